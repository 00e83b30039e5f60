"""Benchmark: a burst of applications (a TV or radio mention) against the real `panel serve`.

For each backend, worker count and think time, in the same run:

1. starts `panel serve` over a fresh store with one open campaign, then drives it over loopback
   with --clients concurrent clients for --seconds, all on one asyncio event loop over raw
   keep-alive HTTP/1.1 connections (a cheap client: the figures are the server's): each client
   fetches the form (its CSRF cookie and token), waits --think seconds (a person filling it in;
   0 is saturation), and sends a complete application with its own email address, again and
   again; every POST's latency is measured; 303 is accepted, anything else an error. ``--think 3``
   is the worst case of people: all start at once and all take exactly 3 s, so every wave of
   applications arrives together; ``--think 3~`` is people: arrivals spread over the first 3 s and
   each form takes from 1.5 to 4.5 s (seeded draws), so the load is the same on average;
2. afterwards counts the campaign's participants and their distinct email addresses: every
   accepted response must be exactly one participant (0 lost, 0 duplicated);
3. the baseline: as many applications again through ``Campaigns.apply`` on ``PanelApp`` directly,
   one after another, in this process; the ratio shows what the web layer costs.

The per-address limit is off for the run (every client is 127.0.0.1); the minimum fill time is on
when the clients think (min(3, shortest think) whole seconds), off at think 0.

``--workers N`` runs `panel serve --workers N`; with ``--reuse-port`` the same app runs in N processes that
each listen on a socket of their own (SO_REUSEPORT), so the kernel spreads the clients' connections over
them, where `panel serve --workers N` lets the first process to wake accept a whole burst.

Run:  .venv/bin/python bench/signup_load.py --clients 50 --seconds 20 --backends sqlite,postgres --think 0,3,3~
"""

from __future__ import annotations

import argparse
import asyncio
import os
import random
import re
import socket
import statistics
import subprocess
import sys
import tempfile
import time
import urllib.parse
import urllib.request
import uuid
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass, field
from datetime import UTC, datetime, timedelta
from pathlib import Path

import psycopg

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))

from panel.campaign_values import Answers  # noqa: E402
from panel.campaigns import Campaigns  # noqa: E402
from panel.config import StoreLocation  # noqa: E402
from panel.domain.confirmation import campaign_source  # noqa: E402
from panel.domain.participant import Participant  # noqa: E402
from panel.queries import Queries  # noqa: E402
from panel.store.opening import open_store  # noqa: E402

PG_URL = os.environ.get("PANEL_TEST_DATABASE_URL", "postgresql://postgres@127.0.0.1:5432/test")
EXAMPLES = ROOT / "examples" / "campaign"
PANEL = str(Path(sys.executable).with_name("panel"))
SLUG = "burst"
SEED = 20261203  # the think times drawn with --spread
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


# --reuse-port: the app `panel serve --workers N` runs (cli.serve:web_from_env), in N processes that each listen on
# a socket of their own bound with SO_REUSEPORT, so the kernel spreads new connections over them. `panel serve
# --workers N` shares one listening socket, and the first process to wake takes a whole burst of keep-alive
# connections (all 50 of the bench's, most runs).
REUSE_PORT_SERVER = """
import multiprocessing, signal, socket, sys
def worker(port):
    import uvicorn
    sock = socket.socket()
    sock.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
    sock.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEPORT, 1)
    sock.bind(("127.0.0.1", port))
    sock.listen(2048)
    config = uvicorn.Config("cli.serve:web_from_env", factory=True, log_level="warning", access_log=False)
    uvicorn.Server(config).run(sockets=[sock])
if __name__ == "__main__":
    port, count = int(sys.argv[1]), int(sys.argv[2])
    procs = [multiprocessing.get_context("spawn").Process(target=worker, args=(port,)) for _ in range(count)]
    for p in procs:
        p.start()
    def stop(*_):
        for p in procs:
            p.terminate()
        for p in procs:
            p.join()
        sys.exit(0)
    signal.signal(signal.SIGTERM, stop)
    for p in procs:
        p.join()
"""


@contextmanager
def serving(
    env: dict[str, str], outbox: str, think: float, workers: int, log: str = "", reuse_port: bool = False
) -> Iterator[str]:
    """`panel serve` on a free port; the minimum fill time is on (whole seconds, at most the think time), so
    clients that think 3 s pass the server's default 3 s check as people would. Its stderr (tracebacks of
    500s among it) is appended to ``log`` when one is named. With ``reuse_port``, the same app in ``workers``
    processes on SO_REUSEPORT sockets instead (``REUSE_PORT_SERVER``)."""
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        port = s.getsockname()[1]
    limits = {"PANEL_WEB_LIMIT_PER_ADDRESS": "0", "PANEL_WEB_MIN_FILL_SECONDS": str(min(3, int(think))),
              "PANEL_OUTBOX_DIR": outbox, "PANEL_WEB_SECURE_COOKIES": "false"}  # fmt: skip
    command = [PANEL, "serve", "--port", str(port), *(["--workers", str(workers)] if workers > 1 else [])]
    if reuse_port:  # from a file: the spawned workers import the script's functions from it
        script = Path(outbox).with_name("reuse_port_server.py")
        script.write_text(REUSE_PORT_SERVER)
        command = [sys.executable, str(script), str(port), str(workers)]
    sink = open(log, "a") if log else subprocess.DEVNULL  # noqa: SIM115 - closed below, after the server
    process = subprocess.Popen(command, env={**os.environ, **env, **limits},
                               stdout=subprocess.DEVNULL, stderr=sink)  # fmt: skip
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
        if log:
            sink.close()  # type: ignore[union-attr]


class Connection:
    """One keep-alive HTTP/1.1 connection over asyncio streams, with the cookies the server set: a client that
    costs little CPU, so the figures are the server's, not the load generator's."""

    def __init__(self, host: str, port: int) -> None:
        self.host, self.port = host, port
        self.cookies: dict[str, str] = {}
        self.reader: asyncio.StreamReader | None = None
        self.writer: asyncio.StreamWriter | None = None

    async def request(self, method: str, path: str, body: bytes = b"") -> tuple[int, bytes]:
        if self.writer is None or self.reader is None:
            self.reader, self.writer = await asyncio.open_connection(self.host, self.port)
        head = [f"{method} {path} HTTP/1.1", f"Host: {self.host}:{self.port}", "Connection: keep-alive"]
        if self.cookies:
            head.append("Cookie: " + "; ".join(f"{k}={v}" for k, v in self.cookies.items()))
        if method == "POST":
            head += ["Content-Type: application/x-www-form-urlencoded", f"Content-Length: {len(body)}"]
        self.writer.write(("\r\n".join(head) + "\r\n\r\n").encode("latin-1") + body)
        await self.writer.drain()
        status_line = await self.reader.readline()
        if not status_line:
            raise ConnectionResetError("the server closed the connection")
        status = int(status_line.split()[1])
        length, chunked, close = 0, False, False
        while (line := await self.reader.readline()) not in (b"\r\n", b""):
            name, _, value = line.decode("latin-1").partition(":")
            name, value = name.strip().lower(), value.strip()
            if name == "content-length":
                length = int(value)
            elif name == "transfer-encoding" and "chunked" in value.lower():
                chunked = True
            elif name == "connection" and value.lower() == "close":
                close = True
            elif name == "set-cookie":
                pair = value.split(";", 1)[0]
                key, _, val = pair.partition("=")
                self.cookies[key.strip()] = val.strip()
        data = await self._chunks() if chunked else await self.reader.readexactly(length)
        if close:
            self.close()
        return status, data

    async def _chunks(self) -> bytes:
        assert self.reader is not None
        parts = []
        while size := int((await self.reader.readline()).split(b";")[0], 16):
            parts.append(await self.reader.readexactly(size))
            await self.reader.readline()
        await self.reader.readline()
        return b"".join(parts)

    def close(self) -> None:
        if self.writer is not None:
            self.writer.close()
        self.reader = self.writer = None


TOKEN = re.compile(rb'name="csrf_token" value="([0-9a-f]{64})"')
STARTED = re.compile(rb'name="started" value="([^"]+)"')  # the signed moment the form was shown


async def client(base: str, deadline: float, tag: str, think: float, seen: Seen, spread: random.Random | None) -> None:
    """Fetch the form (CSRF cookie and token), wait ``think`` seconds (a person filling it in), send it; again.

    With ``spread`` each wait is drawn from it, uniform between half and one and a half times ``think`` (people
    take different times over a form), and the first form is fetched after a wait drawn from 0 to ``think`` (they
    arrive over a few seconds); without, every client starts at once and waits exactly ``think`` (all send at once)."""
    host, port = base.removeprefix("http://").split(":")
    conn, n = Connection(host, int(port)), 0
    if spread and think:  # people arrive over the first ``think`` seconds, not all at the same instant
        await asyncio.sleep(spread.uniform(0, think))
    while time.perf_counter() < deadline:
        try:
            start = time.perf_counter()
            status, page = await conn.request("GET", f"/apply/{SLUG}")
            seen.forms.append(time.perf_counter() - start)
            found, started = TOKEN.search(page), STARTED.search(page)
            if status != 200 or found is None or started is None:
                seen.count(f"form {status}")
                continue
            if think:
                await asyncio.sleep(spread.uniform(think / 2, think * 1.5) if spread else think)
            sent = {**FORM, "email": f"{tag}-{n}@example.org", "csrf_token": found.group(1).decode(),
                    "started": started.group(1).decode()}  # fmt: skip
            body = urllib.parse.urlencode(sent, doseq=True).encode()
            n += 1
            start = time.perf_counter()
            status, _ = await conn.request("POST", f"/apply/{SLUG}", body)
            seen.posts.append(time.perf_counter() - start)
            seen.count("accepted" if status == 303 else str(status))
        except (OSError, asyncio.IncompleteReadError, ValueError) as exc:
            conn.close()
            seen.count(type(exc).__name__)
    conn.close()


@dataclass
class Seen:
    posts: list[float] = field(default_factory=list)  # seconds per application (the POST)
    forms: list[float] = field(default_factory=list)  # seconds per form page (the GET)
    outcome: dict[str, int] = field(default_factory=lambda: {"accepted": 0})

    def count(self, key: str) -> None:
        self.outcome[key] = self.outcome.get(key, 0) + 1


async def drive(base: str, clients: int, seconds: float, think: float, spread: bool = False) -> tuple[Seen, float]:
    """All the clients on one event loop; (what they saw, the seconds it took). With ``spread`` the think times
    vary (seeded: client i draws from ``random.Random(SEED + i)``), otherwise they are all ``think``."""
    seen = Seen()
    began = time.perf_counter()
    deadline = began + seconds
    draws = [random.Random(SEED + i) if spread else None for i in range(clients)]  # noqa: S311 - a load model
    await asyncio.gather(*(client(base, deadline, f"c{i}", think, seen, draws[i]) for i in range(clients)))
    return seen, time.perf_counter() - began


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


def run(
    backend: str,
    clients: int,
    seconds: float,
    think: float,
    workers: int,
    folder: str,
    log: str = "",
    spread: bool = False,
    reuse_port: bool = False,
) -> list[str]:
    with location(backend, folder) as where:
        env = store_env(where)
        prepare(env)
        least = think / 2 if spread else think  # the shortest wait: the minimum fill time must not refuse it
        outbox = os.path.join(folder, f"outbox-{backend}-{think}")
        with serving(env, outbox, least, workers, log, reuse_port) as base:
            seen, elapsed = asyncio.run(drive(base, clients, seconds, think, spread))
        people, emails = campaign_people(where)
        accepted = seen.outcome["accepted"]
        rate = accepted / elapsed
        baseline = direct(where, max(50, min(accepted, 500)))
    q = statistics.quantiles(seen.posts, n=100) if len(seen.posts) > 1 else [0.0] * 99
    f = statistics.quantiles(seen.forms, n=100) if len(seen.forms) > 1 else [0.0] * 99
    lost, duplicated = accepted - people, people - emails
    shown = f"{think / 2:g}-{think * 1.5:g}" if spread else f"{think:g}"
    errors = ",".join(f"{k}:{v}" for k, v in sorted(seen.outcome.items()) if k != "accepted") or "0"
    served = f"{workers} (reuse-port)" if reuse_port else str(workers)
    return [backend, served, str(clients), shown, f"{elapsed:.1f}", str(accepted), errors,
            f"{rate:.1f}", f"{q[49] * 1000:.0f}", f"{q[94] * 1000:.0f}", f"{q[98] * 1000:.0f}", f"{f[94] * 1000:.0f}",
            f"{baseline:.1f}", f"{rate / baseline:.2f}", str(lost), str(duplicated)]  # fmt: skip


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n", 1)[0])
    parser.add_argument("--clients", type=int, default=50)
    parser.add_argument("--seconds", type=float, default=20.0)
    parser.add_argument("--backends", default="sqlite,postgres")
    parser.add_argument("--think", default="0,3", help="seconds each client waits between the form and sending it; "
                        "a list runs each (0: saturation); N~ draws each wait from N/2 to 1.5N (seeded)")  # fmt: skip
    parser.add_argument("--workers", default="1", help="`panel serve --workers N`; a list runs each")
    parser.add_argument("--server-log", default="", help="append the server's stderr (500s' tracebacks) to this file")
    parser.add_argument("--reuse-port", action="store_true", help="N processes on SO_REUSEPORT sockets (the kernel "
                        "spreads connections) instead of `panel serve --workers N` (one shared socket)")  # fmt: skip
    args = parser.parse_args()
    header = ["backend", "workers", "clients", "think s", "seconds", "accepted", "errors", "per s", "p50 ms",
              "p95 ms", "p99 ms", "form p95 ms", "direct per s", "web/direct", "lost", "duplicated"]  # fmt: skip
    rows = []
    with tempfile.TemporaryDirectory() as folder:
        for backend in args.backends.split(","):
            for workers in (int(w) for w in args.workers.split(",")):
                for think in args.think.split(","):
                    spread, seconds = think.endswith("~"), float(think.rstrip("~"))
                    rows.append(
                        run(
                            backend.strip(),
                            args.clients,
                            args.seconds,
                            seconds,
                            workers,
                            folder,
                            args.server_log,
                            spread,
                            args.reuse_port and workers > 1,
                        )
                    )
                    print(" ".join(rows[-1]), file=sys.stderr, flush=True)
    widths = [max(len(r[i]) for r in [header, *rows]) for i in range(len(header))]
    for row in [header, *rows]:
        print("  ".join(cell.rjust(w) for cell, w in zip(row, widths, strict=True)))
    print(f"# {datetime.now(UTC):%Y-%m-%d %H:%M}Z, {os.cpu_count()} CPUs, one asyncio client loop; targets: p95 < 300 "
          "ms at 50 clients on SQLite, web/direct >= 0.5 on PostgreSQL, 0 lost, 0 duplicated")  # fmt: skip


if __name__ == "__main__":
    main()
