"""Writes to the same records from several `panel` processes at once: none is lost, none fails.

Each command loads, decides and saves once; when another process saved first (or the store was
busy) it starts again from a fresh load. Real subprocesses, on SQLite and PostgreSQL.
"""

from __future__ import annotations

import os
import subprocess
import sys
from concurrent.futures import ThreadPoolExecutor
from datetime import UTC, datetime

from panel.application import PanelApp
from panel.queries import Queries
from panel.registration import Registration
from panel.validation import ConsentSpec, SignUp
from tests.helpers.proc import Ran, run_panel, store_env

T0 = datetime(2026, 1, 10, 9, tzinfo=UTC)
GRANT = ("--notice-version", "v2", "--method", "online", "--captured-by", "self")


def at_once(commands: list[tuple[str, ...]], env: dict[str, str]) -> list[Ran]:
    with ThreadPoolExecutor(max_workers=len(commands)) as pool:
        return list(pool.map(lambda args: run_panel(*args, env=env), commands))


def test_consent_grants_and_withdrawals_at_once_are_all_recorded(app: PanelApp, location) -> None:  # type: ignore[no-untyped-def]
    consents = tuple(ConsentSpec(p, "v1", "online", "self", T0) for p in ("contact", "panel_membership"))
    pids = [
        Registration(app).register(SignUp(ref=f"W-{n}", channel="online", consents=consents, at=T0)) for n in (1, 2, 3)
    ]
    commands = [
        ("consent", "withdraw", "W-1", "--purpose", "contact"),
        ("consent", "grant", "W-1", "--purpose", "data_processing", *GRANT),
        ("consent", "withdraw", "W-1", "--purpose", "panel_membership"),
        ("participant", "update", "W-1", "--attr", "gender=woman", "--captured-by", "amy"),
    ]
    for ref in ("W-2", "W-3"):  # the pair the issue saw lose the withdrawal
        commands += [
            ("consent", "withdraw", ref, "--purpose", "contact"),
            ("consent", "grant", ref, "--purpose", "data_processing", *GRANT),
        ]
    for ran in at_once(commands, store_env(location)):
        assert ran.code == 0 and not ran.traceback, ran
    first = Queries(app).participant(pids[0])
    assert {c.purpose for c in first.consents if c.withdrawn_at is None} == {"data_processing"}, first.consents
    assert first.personal.attributes.get("gender") == "woman"
    for pid in pids[1:]:
        active = {c.purpose for c in Queries(app).participant(pid).consents if c.withdrawn_at is None}
        assert active == {"panel_membership", "data_processing"}, active


def test_two_revisions_of_a_rate_card_at_once_make_two_versions(app: PanelApp, location) -> None:  # type: ignore[no-untyped-def]
    card = ("pay", "rate-card", "set", "standard", "--unit", "day", "--by", "lee")
    ran = at_once([(*card, "--amount", "100"), (*card, "--amount", "120")], store_env(location))
    assert all(r.code == 0 and not r.traceback for r in ran), ran
    versions = sorted(r.out.split(" version ")[1].split(":")[0] for r in ran)
    assert versions == ["1", "2"], [r.out for r in ran]


SIGN_UPS = """
import sys
from cli.wiring import Wiring
from panel.registration import Registration
from panel.validation import SignUp
app = Wiring().app
tag = sys.argv[1]
for n in range(int(sys.argv[2])):
    Registration(app).register(SignUp(ref=f"{tag}-{n}", channel="online", personal={"email": f"{tag}-{n}@example.org"}))
print("done", flush=True)
"""


def test_sign_ups_from_several_processes_at_once_are_each_recorded_once(app: PanelApp, location) -> None:  # type: ignore[no-untyped-def]
    """Four processes each register 25 people, one write transaction each, all at the same moment: every one
    is there exactly once and no process failed (on SQLite they take turns at the writers' lock file)."""
    env = {**os.environ, **store_env(location)}
    procs = [
        subprocess.Popen(
            [sys.executable, "-c", SIGN_UPS, f"P{i}", "25"],
            env=env,
            stdout=subprocess.PIPE,
            stderr=subprocess.PIPE,
            text=True,
        )  # fmt: skip
        for i in range(4)
    ]
    outs = [p.communicate(timeout=300) for p in procs]
    assert [p.returncode for p in procs] == [0, 0, 0, 0], [err[-2000:] for _, err in outs]
    refs = [Queries(app).participant_ref(pid) for pid in Queries(app).participant_ids()]
    assert sorted(refs) == sorted(f"P{i}-{n}" for i in range(4) for n in range(25))
