"""Benchmark: a burst of applications (a TV or radio mention) against the real `panel serve`.

For each backend, in the same run:

1. starts `panel serve` over a fresh store with one open campaign, then drives it over loopback
   with --clients concurrent clients for --seconds: each client fetches the form (its CSRF cookie
   and token) and sends a complete application with its own email address, again and again;
   every POST's latency is measured; 303 is accepted, anything else an error;
2. afterwards counts the campaign's participants and their distinct email addresses: every
   accepted response must be exactly one participant (0 lost, 0 duplicated);
3. the baseline: as many applications again through ``Campaigns.apply`` on ``PanelApp`` directly,
   one after another, in this process; the ratio shows what the web layer costs.

The abuse limits are turned off for the run (every client is 127.0.0.1, and a script fills the
form in no time): PANEL_WEB_LIMIT_PER_ADDRESS=0, PANEL_WEB_MIN_FILL_SECONDS=0.

Run:  .venv/bin/python bench/signup_load.py --clients 50 --seconds 20 --backends sqlite,postgres
"""

from __future__ import annotations

import argparse
import http.cookiejar
import os
import re
import socket
import statistics
import subprocess
import sys
import tempfile
import threading
import time
import urllib.error
import urllib.parse
import urllib.request
import uuid
from collections.abc import Iterator
from contextlib import contextmanager
from datetime import UTC, datetime, timedelta
from pathlib import Path

import psycopg

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))

from panel.campaigns import Answers, Campaigns  # noqa: E402
from panel.config import StoreLocation  # noqa: E402
from panel.domain.confirmation import campaign_source  # noqa: E402
from panel.domain.participant import Participant  # noqa: E402
from panel.queries import Queries  # noqa: E402
from panel.store.opening import open_store  # noqa: E402

PG_URL = os.environ.get("PANEL_TEST_DATABASE_URL", "postgresql://postgres@127.0.0.1:5432/test")
EXAMPLES = ROOT / "examples" / "campaign"
PANEL = str(Path(sys.executable).with_name("panel"))
SLUG = "burst"
FORM = {"name": "Sam Patel", "postcode": "LS6 1AA", "attr.age_band": "18-21", "attr.gender": "prefer_not_to_say",
        "consent": ["contact", "panel_membership"]}  # fmt: skip


@contextmanager
def location(backend: str, folder: str) -> Iterator[StoreLocation]:
    if backend == "sqlite":
        yield StoreLocation.sqlite(os.path.join(folder, f"{uuid.uuid4().hex}.db"))
        return
    schema = f"bench_load_{uuid.uuid4().hex[:8]}"
    with psycopg.connect(PG_URL, autocommit=True) as conn:
        conn.execute(f'CREATE SCHEMA "{schema}"')
    try:
        yield StoreLocation.postgres(PG_URL, schema)
    finally:
        with psycopg.connect(PG_URL, autocommit=True) as conn:
            conn.execute(f'DROP SCHEMA "{schema}" CASCADE')


def store_env(where: StoreLocation) -> dict[str, str]:
    if where.dialect == "sqlite":
        return {"PANEL_DB": where.target}
    return {"PANEL_DATABASE_URL": where.target, "PANEL_PG_SCHEMA": where.schema or ""}


def panel(env: dict[str, str], *args: str) -> None:
    subprocess.run([PANEL, *args], env={**os.environ, **env}, check=True, capture_output=True, text=True)


def prepare(env: dict[str, str]) -> None:
    today = datetime.now(UTC).date()
    panel(env, "init")
    panel(env, "engagement", "open", "Burst panel", "--ref", "burst-panel", "--type", "involve", "--purpose", "p",
          "--session", (today + timedelta(days=30)).isoformat())  # fmt: skip
    window = ["--opens", (today - timedelta(days=1)).isoformat(), "--closes", (today + timedelta(days=13)).isoformat()]
    files = ["--questions", str(EXAMPLES / "questions.csv"), "--notice", str(EXAMPLES / "notice-v3.md")]
    panel(env, "campaign", "open", SLUG, "--engagement", "burst-panel", *window, *files, "--phone", "0113 496 0000")


@contextmanager
def serving(env: dict[str, str], outbox: str) -> Iterator[str]:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        port = s.getsockname()[1]
    limits = {"PANEL_WEB_LIMIT_PER_ADDRESS": "0", "PANEL_WEB_MIN_FILL_SECONDS": "0", "PANEL_OUTBOX_DIR": outbox,
              "PANEL_WEB_SECURE_COOKIES": "false"}  # fmt: skip
    process = subprocess.Popen([PANEL, "serve", "--port", str(port)], env={**os.environ, **env, **limits},
                               stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)  # fmt: skip
    base = f"http://127.0.0.1:{port}"
    try:
        for _ in range(300):
            try:
                with urllib.request.urlopen(base + "/accessibility", timeout=1):  # noqa: S310 - our own server
                    break
            except OSError:
                time.sleep(0.1)
        yield base
    finally:
        process.terminate()
        process.wait(timeout=20)


def client(base: str, deadline: float, tag: str, latencies: list[float], outcome: dict[str, int]) -> None:
    opener = urllib.request.build_opener(urllib.request.HTTPCookieProcessor(http.cookiejar.CookieJar()), NoRedirect)
    n = 0
    while time.perf_counter() < deadline:
        try:
            with opener.open(f"{base}/apply/{SLUG}", timeout=30) as page:
                token = re.search(r'name="csrf_token" value="([0-9a-f]{64})"', page.read().decode()).group(1)  # type: ignore[union-attr]
            body = urllib.parse.urlencode({**FORM, "email": f"{tag}-{n}@example.org", "csrf_token": token}, doseq=True)
            start = time.perf_counter()
            try:
                with opener.open(f"{base}/apply/{SLUG}", data=body.encode(), timeout=30) as answer:
                    status = answer.status
            except urllib.error.HTTPError as exc:
                status = exc.code
            latencies.append(time.perf_counter() - start)
            key = "accepted" if status == 303 else str(status)
        except OSError as exc:
            key = type(exc).__name__
        with LOCK:
            outcome[key] = outcome.get(key, 0) + 1
        n += 1


class NoRedirect(urllib.request.HTTPRedirectHandler):
    def redirect_request(self, *args, **kwargs):  # type: ignore[no-untyped-def]
        return None


LOCK = threading.Lock()


def campaign_people(where: StoreLocation) -> tuple[int, int]:
    """(participants through the campaign, their distinct email addresses)."""
    app = open_store(where)
    try:
        source = campaign_source(SLUG)
        ids = [pid for pid in Queries(app).participant_ids() if app.load(pid, Participant).source == source]
        emails = {Queries(app).participant(pid).personal.email for pid in ids}
        return len(ids), len(emails)
    finally:
        app.close()


def direct(where: StoreLocation, count: int) -> float:
    """Applications per second through Campaigns.apply on PanelApp, one after another."""
    app = open_store(where)
    try:
        campaigns = Campaigns(app)
        campaign = campaigns.get(SLUG)
        start = time.perf_counter()
        for n in range(count):
            personal = {"name": "Sam Patel", "postcode": "LS6 1AA", "email": f"direct-{n}@example.org"}
            answers = Answers(
                personal=personal, attributes={"age_band": "18-21"}, consents=("contact", "panel_membership")
            )
            campaigns.apply(campaign, answers)
        return count / (time.perf_counter() - start)
    finally:
        app.close()


def run(backend: str, clients: int, seconds: float, folder: str) -> list[str]:
    with location(backend, folder) as where:
        env = store_env(where)
        prepare(env)
        latencies: list[float] = []
        outcome: dict[str, int] = {"accepted": 0}
        with serving(env, os.path.join(folder, f"outbox-{backend}")) as base:
            deadline = time.perf_counter() + seconds
            threads = [threading.Thread(target=client, args=(base, deadline, f"c{i}", latencies, outcome))
                       for i in range(clients)]  # fmt: skip
            began = time.perf_counter()
            for t in threads:
                t.start()
            for t in threads:
                t.join()
            elapsed = time.perf_counter() - began
        people, emails = campaign_people(where)
        rate = outcome["accepted"] / elapsed
        baseline = direct(where, max(50, min(outcome["accepted"], 500)))
    q = statistics.quantiles(latencies, n=100) if len(latencies) > 1 else [0.0] * 99
    lost = outcome["accepted"] - people
    duplicated = people - emails
    errors = ",".join(f"{k}:{v}" for k, v in sorted(outcome.items()) if k != "accepted") or "0"
    return [backend, str(clients), f"{elapsed:.1f}", str(outcome["accepted"]), errors, f"{rate:.1f}",
            f"{q[49] * 1000:.0f}", f"{q[94] * 1000:.0f}", f"{q[98] * 1000:.0f}", f"{baseline:.1f}",
            f"{rate / baseline:.2f}", str(lost), str(duplicated)]  # fmt: skip


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n", 1)[0])
    parser.add_argument("--clients", type=int, default=50)
    parser.add_argument("--seconds", type=float, default=20.0)
    parser.add_argument("--backends", default="sqlite,postgres")
    args = parser.parse_args()
    header = ["backend", "clients", "seconds", "accepted", "errors", "per s", "p50 ms", "p95 ms", "p99 ms",
              "direct per s", "web/direct", "lost", "duplicated"]  # fmt: skip
    rows = []
    with tempfile.TemporaryDirectory() as folder:
        for backend in args.backends.split(","):
            rows.append(run(backend.strip(), args.clients, args.seconds, folder))
    widths = [max(len(r[i]) for r in [header, *rows]) for i in range(len(header))]
    for row in [header, *rows]:
        print("  ".join(cell.rjust(w) for cell, w in zip(row, widths, strict=True)))
    print(f"# {datetime.now(UTC):%Y-%m-%d %H:%M}Z, {os.cpu_count()} CPUs; targets: p95 < 300 ms at 50 clients "
          "on SQLite, web/direct >= 0.5 on PostgreSQL, 0 lost, 0 duplicated")  # fmt: skip


if __name__ == "__main__":
    main()
