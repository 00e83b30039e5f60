"""Every `panel` command either records access before it shows personal data, or shows none.

The commands are found by walking the click tree, so a new command fails the first test until it
is put in exactly one of RECORDS (it shows personal data in clear, and records who saw whose data
first) or NO_PERSONAL_DATA (it prints references, ids, counts or nothing about participants).

One store per backend (a module fixture) runs a scenario through the real `panel` script, each
step as a user of its own (PANEL_USER), so each step's access records are its own. A step of a
RECORDS command must leave one record naming exactly the participants it showed; every other step
must leave none, and none of the fixture's names, emails, phones or postcodes may be on its stdout.
"""

from __future__ import annotations

import json
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from dataclasses import dataclass, field
from datetime import UTC, datetime
from itertools import islice
from pathlib import Path
from uuid import UUID

import click
import pytest

from panel.application import PanelApp
from panel.config import StoreLocation
from tests.helpers.proc import run_panel, store_env

# Commands that show personal data in clear and record access first (the step's `what`).
RECORDS = {"demo", "draw reveal", "draw run", "draw show", "participant list", "participant show"}
# Commands that print no personal data: references, ids, counts, masked addresses, or nothing about
# participants at all (staff and partner names are accounts, not participants).
NO_PERSONAL_DATA = {
    "accept", "admin roles", "attend", "audit access", "audit checkpoint", "audit public-key", "audit verify",
    "campaign open", "campaign preview", "campaign qr", "campaign show", "campaign status", "consent grant",
    "consent history", "consent report", "consent withdraw", "decline", "draw announce", "draw announcement",
    "draw certificate", "draw check-announcement", "draw check-certificate", "draw commitment", "draw list",
    "draw replace", "draw verify", "engagement close", "engagement list", "engagement open", "engagement show",
    "engagement update", "fatigue", "fatigue rules set", "fatigue rules show", "fatigue simulate", "init",
    "invitations remind", "invitations send", "invitations status", "invite", "no-show", "outbox", "outbox send",
    "participant erase", "participant erasure-requests", "participant import", "participant leave",
    "participant register", "participant update", "partner add", "partner list", "partner revoke", "pay accrue",
    "pay approve", "pay budget set", "pay claim-expense", "pay decline", "pay export", "pay issue", "pay ledger",
    "pay outstanding", "pay rate-card assign", "pay rate-card set", "pay rate-card show", "pay reconcile",
    "pay reduce", "pay reverse", "pay show", "pay totals", "pay voucher add", "pay voucher status",
    "projections catch-up", "projections rebuild", "projections status", "reach", "select", "serve", "staff add",
    "staff list", "staff password", "staff remove", "withdraw", "audit log", "retention plan", "retention apply",
    "participant hold", "participant release-hold", "consent expiring", "admin rotate-master-key",
}  # fmt: skip

SAM = ["--name", "Sam Patel", "--email", "sam@example.org", "--phone", "07700 900123", "--postcode", "LS6 1AA",
       "--address", "1 Hill Street, Leeds"]  # fmt: skip
ROBIN = ["--name", "Robin Gone", "--email", "robin@example.org", "--phone", "07700 900456"]
# What the scenario's people gave, as stored (the phone normalised): none may be printed by a step
# that records nothing. The names of everyone on a drawn panel are added once the draws exist.
GIVEN = ["Sam Patel", "sam@example.org", "+447700900123", "07700 900123", "LS6 1AA", "1 Hill Street", "Robin Gone",
         "robin@example.org", "07700 900456", "+447700900456", "Kim Imported", "kim@example.org"]  # fmt: skip
NUMBERS = "04 11 23 35 41 49"


def commands() -> list[str]:
    """Every runnable command path, from the click tree (a group that runs on its own counts too)."""
    from cli.main import cli

    ctx = click.Context(cli)
    found: list[str] = []

    def walk(command: click.Command, path: list[str]) -> None:
        if not isinstance(command, click.Group) or (command.invoke_without_command and path):
            found.append(" ".join(path))
        if isinstance(command, click.Group):
            for name in command.list_commands(ctx):
                sub = command.get_command(ctx, name)
                if sub is not None:
                    walk(sub, [*path, name])

    walk(cli, [])
    return sorted(found)


def test_every_command_is_in_exactly_one_set() -> None:
    found = set(commands())
    assert not RECORDS & NO_PERSONAL_DATA, RECORDS & NO_PERSONAL_DATA
    missing = sorted(found - RECORDS - NO_PERSONAL_DATA)
    assert not missing, f"put each in RECORDS (and record access) or NO_PERSONAL_DATA: {missing}"
    assert not (RECORDS | NO_PERSONAL_DATA) - found, f"no such commands: {(RECORDS | NO_PERSONAL_DATA) - found}"
    assert {"participant show", "draw run", "outbox", "fatigue"} <= found  # the walk reaches groups and leaves


@dataclass
class Step:
    command: str
    args: Callable[[Scenario], list[str]]
    # the participants the step shows, computed on the store as it runs; None: it shows nobody
    shows: Callable[[PanelApp], set[UUID]] | None = None
    purpose: str | None = None


@dataclass
class Ran:
    step: Step
    actor: str
    out: str
    expected: set[UUID] | None
    records: list[tuple[str, set[UUID], str | None, str]] = field(default_factory=list)  # what, whose, why, channel


@contextmanager
def opened(location: StoreLocation) -> Iterator[PanelApp]:
    """The store as the commands left it (opened afresh, so nothing is cached from before a command)."""
    from cli.wiring import Wiring

    app = Wiring(location).app
    try:
        yield app
    finally:
        app.close()


def drawn(engagement: str) -> Callable[[PanelApp], set[UUID]]:
    """The current panel of an engagement's draw."""

    def panel_of(app: PanelApp) -> set[UUID]:
        from panel.draws import Draws

        eid = app.resolve_engagement(engagement)
        return {UUID(p) for d in Draws(app).recorded() if d.engagement_id == eid for p in d.panel}

    return panel_of


def first(n: int) -> Callable[[PanelApp], set[UUID]]:
    def listed(app: PanelApp) -> set[UUID]:
        from panel.queries import Queries

        return set(islice(Queries(app).participant_ids(), n))

    return listed


def one(ref: str) -> Callable[[PanelApp], set[UUID]]:
    return lambda app: {app.resolve_participant(ref)}


@dataclass
class Scenario:
    location: StoreLocation
    folder: Path
    ran: list[Ran] = field(default_factory=list)
    known: list[str] = field(default_factory=list)

    def panel(self, *args: str, actor: str) -> str:
        env = {**store_env(self.location), "PANEL_USER": actor, "PANEL_OUTBOX_DIR": str(self.folder / "outbox")}
        ran = run_panel(*args, env=env, cwd=self.folder)
        assert ran.code == 0 and not ran.traceback, (args, ran.code, ran.out, ran.err)
        return ran.out

    def draw_id(self, engagement: str) -> str:
        from panel.draws import Draws

        with opened(self.location) as app:
            eid = app.resolve_engagement(engagement)
            return str(next(d.id for d in Draws(app).recorded() if d.engagement_id == eid))

    def first_member(self, engagement: str) -> str:
        """The reference of a member of an engagement's drawn panel."""
        from panel.queries import Queries

        with opened(self.location) as app:
            return Queries(app).participant_ref(min(drawn(engagement)(app)))

    def announcement(self) -> str:
        return str(json.loads((self.folder / "announcement.json").read_text())["announcement"])

    def file(self, name: str, text: str) -> str:
        (self.folder / name).write_text(text, encoding="utf-8")
        return str(self.folder / name)

    def run(self, steps: list[Step]) -> None:
        """Each step as a user of its own; then each step's access records, and the names to look for."""
        from eventsourcing.utils import get_topic

        from panel.domain.access import DataAccess
        from panel.queries import Queries

        for n, step in enumerate(steps):
            out = self.panel(*step.command.split(), *step.args(self), actor=f"reader.{n}")
            if step.command == "draw announce":  # the announcement's id, for the steps after it
                self.file("announcement.json", out)
            expected = None
            if step.shows is not None:
                with opened(self.location) as app:
                    expected = step.shows(app)
            self.ran.append(Ran(step, f"reader.{n}", out, expected))
        with opened(self.location) as app:
            by_actor = {r.actor: r for r in self.ran}
            for aid in app.originators(get_topic(DataAccess.Recorded)):
                a = app.load(aid, DataAccess)
                if a.actor in by_actor:
                    by_actor[a.actor].records.append((a.what, set(a.participant_ids), a.purpose, a.channel))
            panels = set().union(*(drawn(e)(app) for e in ("vested-youth-panel", "lots", "announced")))
            people = [Queries(app).participant(pid).personal for pid in panels]
        self.known = GIVEN + [p.name for p in people if p.name] + [p.email for p in people if p.email]


def _announce(s: Scenario) -> list[str]:
    s.file("quotas.csv", "feature,value,min,max\ngender,man,0,3\ngender,woman,0,3\n")
    return ["announced", "--size", "2", "--quotas", "quotas.csv", "--reserves", "1", "--randomness", "Lotto 2026-02-04",
            "--at", "2026-02-01", "--json"]  # fmt: skip


def _import(s: Scenario) -> list[str]:
    rows = "ref,channel,name,email,age_band,consent_contact\nKIM-001,online,Kim Imported,kim@example.org,18-21,v1\n"
    return [s.file("people.csv", rows), "--channel", "online", "--source", "test sheet"]


SAM_SIGNUP = ["--ref", "SAM-001", "--channel", "online", *SAM, "--attr", "age_band=18-21", "--attr", "gender=man",
              "--consent", "contact", "--consent", "panel_membership", "--notice-version", "v1",
              "--at", "2026-01-02"]  # fmt: skip
LOTS = ["lots", "--size", "3", "--seed", "1", "--reserves", "2", "--at", "2026-02-01"]
OPEN = ["--type", "consult", "--purpose", "A test", "--at", "2026-01-03"]
STEPS = [
    Step("demo", lambda s: ["--people", "150"], drawn("vested-youth-panel")),
    Step("participant register", lambda s: SAM_SIGNUP),
    Step("participant register", lambda s: ["--ref", "ROB-001", "--channel", "phone", "--captured-by", "amy", *ROBIN]),
    Step("participant import", _import),
    Step("participant show", lambda s: ["SAM-001"], one("SAM-001")),
    Step("participant show", lambda s: ["ROB-001", "--json"], one("ROB-001")),
    Step("participant list", lambda s: ["--limit", "5", "--purpose", "phoning round"], first(5), "phoning round"),
    Step(
        "engagement open",
        lambda s: ["Sam chat", "--ref", "sam-chat", "--day-rate", "50", "--session", "2026-03-10", *OPEN],
    ),
    Step("engagement open", lambda s: ["Lots", "--ref", "lots", "--session", "2026-03-11", *OPEN]),
    Step("engagement open", lambda s: ["Announced", "--ref", "announced", "--session", "2026-03-12", *OPEN]),
    Step("invite", lambda s: ["sam-chat", "SAM-001", "DEMO-00082", "--at", "2026-01-04"]),
    Step("invitations send", lambda s: ["sam-chat", "--base-url", "https://apply.example.org", "--at", "2026-01-04"]),
    Step("invitations status", lambda s: ["sam-chat"]),
    Step("outbox", lambda s: []),
    Step("accept", lambda s: ["sam-chat", "SAM-001", "--at", "2026-01-05"]),
    Step("invitations remind", lambda s: ["sam-chat", "--at", "2026-03-09T08:00Z"]),
    Step("attend", lambda s: ["sam-chat", "SAM-001", "--date", "2026-03-10", "--at", "2026-03-10"]),
    Step("pay accrue", lambda s: ["sam-chat", "--by", "finance.one", "--at", "2026-03-11"]),
    Step("pay ledger", lambda s: []),
    Step("pay export", lambda s: ["--by", "engagement", "--lines"]),
    Step("pay totals", lambda s: []),
    Step("pay outstanding", lambda s: []),
    Step("consent history", lambda s: ["SAM-001"]),
    Step("draw run", lambda s: [*LOTS, "--dry-run"]),
    Step("draw run", lambda s: LOTS, drawn("lots")),
    Step("draw show", lambda s: [s.draw_id("lots"), "--json"]),
    Step("draw show", lambda s: [s.draw_id("lots")], drawn("lots")),
    Step("draw announce", _announce),
    Step(
        "draw reveal",
        lambda s: [s.announcement(), "--seed-from", "04 11 23 35 41 49", "--at", "2026-02-05"],
        drawn("announced"),
    ),
    Step("draw commitment", lambda s: [s.announcement(), "--participant", "SAM-001", "--json"]),
    Step("draw verify", lambda s: [s.draw_id("lots")]),
    Step(
        "draw replace", lambda s: [s.draw_id("lots"), s.first_member("lots"), "--reason", "moved", "--at", "2026-02-06"]
    ),
    Step("participant erase", lambda s: ["ROB-001", "--reason", "asked to be forgotten", "--by", "dpo"]),
    Step("participant erasure-requests", lambda s: []),
    Step("consent withdraw", lambda s: ["SAM-001", "--purpose", "contact"]),
    Step("participant hold", lambda s: ["SAM-001", "--reason", "claim CL-7", "--by", "dpo"]),
    Step("consent expiring", lambda s: ["--within", "30d", "--expired"]),
    Step("retention plan", lambda s: []),
    Step("participant release-hold", lambda s: ["SAM-001", "--reason", "claim settled", "--by", "dpo"]),
    Step("audit log", lambda s: ["--participant", "SAM-001"]),
    Step("audit log", lambda s: ["--limit", "50"]),
    Step("audit access", lambda s: ["--participant", "SAM-001"]),
]


@pytest.fixture(scope="module", params=["sqlite", "postgres"])
def scenario(request: pytest.FixtureRequest, tmp_path_factory: pytest.TempPathFactory) -> Iterator[Scenario]:
    """The scenario, run once per backend."""
    from tests.conftest import PG_URL, _pg_connect, _require_postgres

    folder = tmp_path_factory.mktemp("access")
    schema = None
    if request.param == "sqlite":
        location = StoreLocation.sqlite(str(folder / "panel.db"))
    else:
        _require_postgres()
        schema = f"t_access_{datetime.now(UTC).strftime('%H%M%S%f')}"
        with _pg_connect() as conn:
            conn.execute(f'CREATE SCHEMA "{schema}"')
        location = StoreLocation.postgres(PG_URL, schema)
    s = Scenario(location, folder)
    try:
        s.run(STEPS)
        yield s
    finally:
        if schema is not None:
            with _pg_connect() as conn:
                conn.execute(f'DROP SCHEMA IF EXISTS "{schema}" CASCADE')


def test_the_scenario_runs_every_recording_command_and_only_listed_ones() -> None:
    assert {s.command for s in STEPS if s.shows} == RECORDS
    assert {s.command for s in STEPS} <= RECORDS | NO_PERSONAL_DATA
    assert all(s.shows is None for s in STEPS if s.command in NO_PERSONAL_DATA)


def test_showing_personal_data_records_whom_it_showed_first(scenario: Scenario) -> None:
    recording = [r for r in scenario.ran if r.expected is not None]
    assert {r.step.command for r in recording} == RECORDS
    for r in recording:
        assert r.expected, (r.step.command, "the scenario should show somebody")
        assert r.records == [(r.step.command, r.expected, r.step.purpose, "cli")], (r.step.command, r.records)
    demo = next(r for r in recording if r.step.command == "demo")
    assert len(demo.expected or ()) == 6 and sum(name in demo.out for name in scenario.known) >= 6


def test_every_other_step_records_nothing_and_prints_no_personal_data(scenario: Scenario) -> None:
    assert len(scenario.known) > len(GIVEN) + 10  # the panels' names and emails are among them
    quiet = [r for r in scenario.ran if r.expected is None]
    assert len(quiet) > 20
    for r in quiet:
        assert r.records == [], (r.step.command, r.records)
        shown = [k for k in scenario.known if k in r.out]
        assert not shown, (r.step.command, shown)
    # the same names are printed where access is recorded, so the checks above can fail
    shows = next(r for r in scenario.ran if r.step.command == "participant show" and r.expected)
    assert "Sam Patel" in shows.out and "sam@example.org" in shows.out and "+447700900123" in shows.out
