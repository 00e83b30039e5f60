"""Hostile and malformed inputs, each answered with one clear line, a non-zero exit and nothing written.

Every case runs the real `panel` script in a subprocess on a prepared store (SQLite and
PostgreSQL). The next hostile input found is one line added to CASES: the arguments, the exit
code expected, and a fragment the one error line must contain.
"""

from __future__ import annotations

from collections.abc import Iterator
from datetime import UTC, date, datetime
from pathlib import Path

import pytest

from panel.application import ConsentSpec, PanelApp, SignUp
from panel.config import StoreLocation
from tests.helpers.proc import run_panel, store_env
from tests.helpers.store import table_rows

T0 = datetime(2026, 1, 10, 9, tzinfo=UTC)

# (arguments, expected exit code, fragment of the error line). "{tmp}" is the case's own folder.
CASES: list[tuple[tuple[str, ...], int, str]] = [
    (("participant", "show", "NOPE"), 1, "no participant has id or reference 'NOPE'"),
    (("invite", "no-such-engagement", "H-001"), 1, "no engagement has id or reference"),
    (
        (
            "consent",
            "grant",
            "H-001",
            "--purpose",
            "contact",
            "--notice-version",
            "v1",
            "--method",
            "online",
            "--captured-by",
            "self",
            "--at",
            "31/01/2026",
        ),
        2,
        "is not a date",
    ),
    (("consent", "withdraw", "H-001", "--purpose", "data_processing"), 1, "holds no active 'data_processing'"),
    (("attend", "hostile-panel", "H-001", "--date", "2026-03-02"), 1, "cannot attend"),
    (("participant", "register", "--ref", "H-009", "--channel", "paper"), 1, "needs --captured-by"),
    (("participant", "import", "{tmp}/missing.csv"), 1, "no such file"),
    # Money: one parser for every amount, with a ceiling per line, per rate and per total (issues 9.1, 10.2).
    (
        ("engagement", "open", "E", "--type", "consult", "--purpose", "p", "--day-rate", "350,00"),
        1,
        "'350,00' is not an amount",
    ),
    (("pay", "rate-card", "set", "day", "--unit", "day", "--amount", "3,50", "--by", "lee"), 1, "write 350, 350.00"),
    (
        ("pay", "rate-card", "set", "day", "--unit", "day", "--amount", "5000.01", "--by", "lee"),
        1,
        "ceiling of £5,000.00",
    ),
    (
        ("pay", "rate-card", "set", "h", "--unit", "hour", "--amount", "5000", "--hours-per-day", "24", "--by", "lee"),
        1,
        "ceiling",
    ),
    (
        ("pay", "budget", "set", "hostile-panel", "--code", "C", "--amount", "1,2345", "--by", "lee"),
        1,
        "'1,2345' is not",
    ),
    (("pay", "budget", "set", "hostile-panel", "--code", "C", "--amount", "10000000.01", "--by", "lee"), 1, "ceiling"),
    (
        (
            "pay",
            "claim-expense",
            "H-001",
            "--engagement",
            "hostile-panel",
            "--category",
            "travel",
            "--amount",
            "100000000000000000000",
            "--receipt",
            "R1",
            "--by",
            "amy",
        ),
        1,
        "above the ceiling of £100,000.00",
    ),
    (
        (
            "pay",
            "claim-expense",
            "H-001",
            "--engagement",
            "hostile-panel",
            "--category",
            "travel",
            "--amount",
            "9" * 5000,
            "--receipt",
            "R1",
            "--by",
            "amy",
        ),
        1,
        "above the ceiling",
    ),
    (
        (
            "pay",
            "voucher",
            "add",
            "H-001",
            "--engagement",
            "hostile-panel",
            "--code",
            "V1",
            "--face-value",
            "100000.01",
            "--by",
            "amy",
        ),
        1,
        "ceiling",
    ),
    (
        (
            "pay",
            "reduce",
            "H-001",
            "--engagement",
            "hostile-panel",
            "--amount",
            "350,00",
            "--reason",
            "r",
            "--by",
            "amy",
        ),
        1,
        "not an amount",
    ),
    (
        (
            "pay",
            "budget",
            "set",
            "hostile-panel",
            "--code",
            "C",
            "--amount",
            "100",
            "--four-eyes-above",
            "3,50",
            "--by",
            "lee",
        ),
        1,
        "--four-eyes-above '3,50'",
    ),
    (
        ("pay", "reconcile", "{tmp}/comma-statement.csv", "--account", "a"),
        1,
        "comma-statement.csv:2: amount '350,00' is not",
    ),
    (("pay", "totals", "--thresholds", "{tmp}/thresholds.json"), 1, "threshold 1: amount '1,2345' is not an amount"),
    # Files that cannot be read, and charts that cannot be written (issue 10.9).
    (("reach", "--by", "gender", "--targets", "{tmp}/latin1-targets.csv"), 1, "line 2: byte 0xe9 is not UTF-8"),
    (("reach", "--by", "age_band", "--targets", "{tmp}/nul-targets.csv"), 1, "line 2: holds a NUL byte"),
    (("reach", "--by", "age_band", "--chart", "{tmp}/missing/reach.png"), 1, "missing does not exist"),
    (("reach", "--by", "age_band", "--chart", "{tmp}/reach.txt"), 1, "name a .png, .svg, .pdf file"),
    (("fatigue", "--chart", "{tmp}/missing/fatigue.png"), 1, "missing does not exist"),
    (("pay", "reconcile", "{tmp}/latin1-statement.csv", "--account", "a"), 1, "line 2: byte 0xe9 is not UTF-8"),
    # Statement columns mapped with --columns (issue 9.17).
    (("pay", "reconcile", "{tmp}/statement.csv", "--account", "a", "--columns", "when=Date"), 1, "unknown key 'when'"),
    (
        ("pay", "reconcile", "{tmp}/statement.csv", "--account", "a", "--columns", "date=Date,amount=Paid in"),
        1,
        "no 'Paid in' column for the amount",
    ),
]


# Files written into each case's folder before it runs, for cases that need a bad file to read.
FILES: dict[str, bytes] = {
    "latin1-targets.csv": "category,value,share\ngender,femme mari\xe9e,0.5\n".encode("latin-1"),
    "nul-targets.csv": b"category,value,share\nage_band,18-21\x00,0.5\n",
    "latin1-statement.csv": "date,amount,reference\n2026-03-21,-12.40,Caf\xe9 PP-1\n".encode("latin-1"),
    "statement.csv": b"Date,Description,Paid out\n2026-03-21,PP-1,12.40\n",
    "comma-statement.csv": b'date,amount,reference\n2026-03-21,"350,00",PP-1\n',
    "thresholds.json": b'{"thresholds": [{"name": "x", "period": "tax_year", "amount": "1,2345", "from": "2026-04-06"}]}',
}


@pytest.fixture(scope="module", params=["sqlite", "postgres"])
def hostile_store(request: pytest.FixtureRequest, tmp_path_factory: pytest.TempPathFactory) -> Iterator[StoreLocation]:
    """One prepared store per backend: an engagement and one consenting participant, H-001."""
    from tests.conftest import PG_URL, _pg_connect, _require_postgres

    if request.param == "sqlite":
        location = StoreLocation.sqlite(str(tmp_path_factory.mktemp("hostile") / "panel.db"))
        schema = None
    else:
        _require_postgres()
        schema = f"t_hostile_{datetime.now(UTC).strftime('%H%M%S%f')}"
        with _pg_connect() as conn:
            conn.execute(f'CREATE SCHEMA "{schema}"')
        location = StoreLocation.postgres(PG_URL, schema)
    assert run_panel("init", env=store_env(location)).code == 0
    app = PanelApp(env=location.env())
    try:
        app.open_engagement(
            name="Hostile panel", purpose="p", kind="consult", sessions=[date(2026, 3, 2)], day_rate_pence=35000, at=T0
        )
        consents = (
            ConsentSpec("contact", "v1", "verbal", "amy", T0),
            ConsentSpec("panel_membership", "v1", "verbal", "amy", T0),
        )
        app.register(
            SignUp(
                ref="H-001",
                channel="phone",
                captured_by="amy",
                personal={"name": "Hana Ostile"},
                attributes={"age_band": "18-21"},
                consents=consents,
                at=T0,
            )
        )
    finally:
        app.close()
    yield location
    if schema is not None:
        with _pg_connect() as conn:
            conn.execute(f'DROP SCHEMA IF EXISTS "{schema}" CASCADE')


@pytest.mark.parametrize("args,code,fragment", CASES, ids=[" ".join(c[0])[:60] for c in CASES])
def test_hostile_input_is_refused_cleanly(
    hostile_store: StoreLocation, tmp_path: Path, args: tuple[str, ...], code: int, fragment: str
) -> None:
    argv = [a.replace("{tmp}", str(tmp_path)) for a in args]
    for name, data in FILES.items():
        (tmp_path / name).write_bytes(data)
    before = table_rows(hostile_store)
    ran = run_panel(*argv, env=store_env(hostile_store), cwd=tmp_path)
    assert ran.code == code, (argv, ran.code, ran.out, ran.err)
    assert not ran.traceback, ran.err
    errors = [line for line in ran.err.splitlines() if line.startswith("Error:")]
    assert len(errors) == 1 and fragment in errors[0], ran.err
    assert ran.out == "", ran.out
    assert table_rows(hostile_store) == before, "a refused command wrote to the store"
