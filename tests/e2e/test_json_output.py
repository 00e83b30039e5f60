"""Every command that has `--json` prints JSON and nothing else on stdout, whatever the solver prints.

The commands are found by walking the click tree, so a new `--json` command is covered as soon as
it exists: it needs one entry in ARGS (its arguments on the prepared store), or this test fails and
says so. Each runs as the real `panel` script in a subprocess (C libraries such as HiGHS write to
the process's stdout, which click's CliRunner never sees), on a demo store with a draw and payments.
"""

from __future__ import annotations

import json
from collections.abc import Callable, Iterator
from datetime import UTC, datetime
from pathlib import Path

import click
import pytest

from panel.config import StoreLocation
from tests.helpers.paths import ROOT
from tests.helpers.proc import run_panel, store_env

QUOTAS = str(ROOT / "examples" / "vested-quotas.csv")


class Store:
    """A prepared store and the ids and files the commands need."""

    def __init__(self, location: StoreLocation, folder: Path) -> None:
        self.location = location
        self.folder = folder

    def panel(self, *args: str) -> str:
        ran = run_panel(*args, env=store_env(self.location), cwd=self.folder)
        assert ran.code == 0 and not ran.traceback, (args, ran.code, ran.out, ran.err)
        return ran.out

    def json(self, *args: str) -> object:
        return json.loads(self.panel(*args, "--json"))


def _people_csv(folder: Path) -> str:
    rows = ["id,age_band,gender,core20"]
    rows += [
        f"P{i:03d},{'18-21' if i % 2 else '22-25'},{'woman' if i % 3 else 'man'},{'yes' if i % 4 else 'no'}"
        for i in range(40)
    ]
    path = folder / "people.csv"
    path.write_text("\n".join(rows) + "\n", encoding="utf-8")
    return str(path)


def _certificate(s: Store) -> str:
    """The demo draw's fairness certificate, written to a file."""
    draw_id = next(d["id"] for d in s.json("draw", "list")["draws"] if d["algorithm"] == "leximin")  # type: ignore[union-attr, index]
    path = s.folder / "cert.json"
    path.write_text(s.panel("draw", "certificate", draw_id), encoding="utf-8")
    return str(path)


def _announced(s: Store) -> str:
    """An announced draw of the demo's diabetes panel (announced once per store); its id."""
    if not (s.folder / "announcement.json").exists():
        args = ["draw", "announce", "diabetes-prevention-panel", "--size", "6", "--quotas", QUOTAS, "--seed", "5"]
        (s.folder / "announcement.json").write_text(s.panel(*args, "--randomness", "Lotto 2026-02-04", "--json"))
    return str(json.loads((s.folder / "announcement.json").read_text())["announcement"])


# The arguments of each `--json` command on the prepared store (before `--json`).
ARGS: dict[str, Callable[[Store], list[str]]] = {
    "audit checkpoint": lambda s: [],
    "audit public-key": lambda s: [],
    "audit access": lambda s: ["--participant", "DEMO-00001"],
    "audit log": lambda s: ["--participant", "DEMO-00001"],
    "audit verify": lambda s: [],
    "campaign status": lambda s: ["demo-2026", "--quotas", QUOTAS],
    "consent history": lambda s: ["DEMO-00001"],
    "consent report": lambda s: [],
    "consent expiring": lambda s: ["--within", "30d"],
    "draw announce": lambda s: [
        "gp-access-2025",
        "--size",
        "6",
        "--quotas",
        QUOTAS,
        "--randomness",
        "Lotto on 2026-02-04",
    ],
    "draw announcement": lambda s: [_announced(s)],
    "draw check-announcement": lambda s: [_announced(s) and "announcement.json", "--numbers", "1 2 3 4 5 6"],
    "draw check-certificate": lambda s: [_certificate(s)],
    "draw commitment": lambda s: [_announced(s), "--participant", "DEMO-00001"],
    "draw reveal": lambda s: [_announced(s), "--seed-from", "1 2 3 4 5 6"],
    "draw list": lambda s: [],
    "draw run": lambda s: ["mental-health-coproduction", "--size", "6", "--quotas", QUOTAS, "--seed", "3"],
    "draw show": lambda s: [s.json("draw", "list")["draws"][0]["id"]],  # type: ignore[index]
    "engagement list": lambda s: [],
    "engagement show": lambda s: ["vested-youth-panel"],
    "fatigue": lambda s: [],
    "fatigue rules show": lambda s: [],
    "fatigue simulate": lambda s: ["--cooldown-days", "90"],
    "invitations remind": lambda s: ["vested-youth-panel"],
    "invitations send": lambda s: ["vested-youth-panel", "--base-url", "https://apply.example.org"],
    "invitations status": lambda s: ["vested-youth-panel"],
    "outbox": lambda s: [],
    "outbox send": lambda s: [],
    "participant erasure-requests": lambda s: [],
    "participant list": lambda s: [],
    "participant show": lambda s: ["DEMO-00001"],
    "pay ledger": lambda s: [],
    "pay outstanding": lambda s: [],
    "pay rate-card show": lambda s: ["consult-day"],
    "pay reconcile": lambda s: [str(ROOT / "examples" / "statement.csv"), "--account", "community fund 12345678"],
    "pay show": lambda s: [s.json("pay", "ledger")["lines"][0]["id"]],  # type: ignore[index]
    "pay totals": lambda s: [],
    "projections status": lambda s: [],
    "reach": lambda s: ["--by", "age_band"],
    "partner list": lambda s: [],
    "staff list": lambda s: [],
    "select": lambda s: ["--people", _people_csv(s.folder), "--quotas", QUOTAS, "--size", "6", "--seed", "1"],
    "retention plan": lambda s: ["--as-of", "2030-01-01"],
}


def json_commands() -> list[str]:
    """Every command path (e.g. "draw show") with a `--json` option, from the click tree."""
    from cli.main import cli

    ctx = click.Context(cli)
    found: list[str] = []

    def walk(command: click.Command, path: list[str]) -> None:
        if any(isinstance(p, click.Option) and "--json" in p.opts for p in command.params):
            found.append(" ".join(path))
        if isinstance(command, click.Group):
            for name in command.list_commands(ctx):
                sub = command.get_command(ctx, name)
                if sub is not None:
                    walk(sub, [*path, name])

    walk(cli, [])
    return sorted(found)


@pytest.fixture(scope="module", params=["sqlite", "postgres"])
def prepared(request: pytest.FixtureRequest, tmp_path_factory: pytest.TempPathFactory) -> Iterator[Store]:
    """The demo store (400 people, four engagements, a draw) with a rate card and accrued payments."""
    from tests.conftest import PG_URL, _pg_connect, _require_postgres

    folder = tmp_path_factory.mktemp("json")
    if request.param == "sqlite":
        location = StoreLocation.sqlite(str(folder / "panel.db"))
        schema = None
    else:
        _require_postgres()
        schema = f"t_json_{datetime.now(UTC).strftime('%H%M%S%f')}"
        with _pg_connect() as conn:
            conn.execute(f'CREATE SCHEMA "{schema}"')
        location = StoreLocation.postgres(PG_URL, schema)
    store = Store(location, folder)
    store.panel("demo", "--people", "150")
    store.panel("pay", "rate-card", "set", "consult-day", "--unit", "day", "--amount", "50.00", "--by", "fin")
    store.panel("pay", "rate-card", "assign", "consult-day", "--engagement", "gp-access-2025", "--by", "fin")
    store.panel("pay", "accrue", "gp-access-2025", "--by", "sam", "--at", "2025-07-01")
    examples = ROOT / "examples" / "campaign"
    store.panel("campaign", "open", "demo-2026", "--engagement", "vested-youth-panel", "--opens", "2026-03-01",
                "--closes", "2026-03-14", "--questions", str(examples / "questions.csv"),
                "--notice", str(examples / "notice-v3.md"), "--phone", "0113 496 0000")  # fmt: skip
    yield store
    if schema is not None:
        with _pg_connect() as conn:
            conn.execute(f'DROP SCHEMA IF EXISTS "{schema}" CASCADE')


def test_every_json_command_is_listed() -> None:
    missing = sorted(set(json_commands()) - set(ARGS))
    assert not missing, f"add the arguments of these --json commands to ARGS: {missing}"
    assert {"draw run", "select", "draw show"} <= set(json_commands())


# Commands whose documented exit code here is not 0: the example statement matches none of this
# store's payments, so reconcile reports lines that need attention (exit 3), in JSON all the same.
EXIT_CODES = {"pay reconcile": 3}
# The environment some commands need besides the store's: `outbox send` a mail server (the outbox is
# empty, so nothing is sent and nothing needs to listen there).
ENV = {"outbox send": {"PANEL_SMTP_URL": "smtp://127.0.0.1:9", "PANEL_MAIL_FROM": "panel@example.org"}}


@pytest.mark.parametrize("command", json_commands())
def test_json_output_is_pure_json(prepared: Store, command: str) -> None:
    args = [*command.split(), *ARGS[command](prepared), "--json"]
    ran = run_panel(*args, env={**store_env(prepared.location), **ENV.get(command, {})}, cwd=prepared.folder)
    assert ran.code == EXIT_CODES.get(command, 0) and not ran.traceback, (args, ran.code, ran.err)
    assert "HiGHS" not in ran.out.split("{", 1)[0].split("[", 1)[0], ran.out[:300]
    json.loads(ran.out)  # the whole of stdout, nothing before or after
