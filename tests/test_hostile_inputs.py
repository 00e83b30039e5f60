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
    (("draw", "hostile-panel", "--size", "1", "--seed", "-5"), 1, "--seed -5 is out of range"),
    (("draw", "hostile-panel", "--size", "1", "--seed", "99999999999999999999"), 1, "is out of range: use a whole"),
    (("draw", "hostile-panel", "--size", "1", "--lottery-size", "1000000000"), 1, "--lottery-size 1000000000 is out"),
    (("draw", "hostile-panel", "--size", "1", "--seed-from", "   "), 1, "--seed-from must be printable text"),
    (("draw", "hostile-panel", "--size", "1", "--seed", "1", "--seed-from", "7 9"), 2, "give --seed or --seed-from"),
    (("draw", "hostile-panel", "--size", "1", "--by", "x" * 201), 1, "--by must be printable text"),
    (("draw", "hostile-panel", "--size", "1", "--new-round"), 1, "has no draw yet"),
    (("draw", "hostile-panel", "--size", "1", "--quotas", "{tmp}/missing.csv"), 1, "cannot read the file"),
    (("draw", "verify", "0000"), 1, "no single draw has an id starting '0000'"),
    (("draw", "replace", "0000", "H-001", "--reason", "x"), 1, "no single draw has an id starting"),
]


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
    before = table_rows(hostile_store)
    ran = run_panel(*argv, env=store_env(hostile_store), cwd=tmp_path)
    assert ran.code == code, (argv, ran.code, ran.out, ran.err)
    assert not ran.traceback, ran.err
    errors = [line for line in ran.err.splitlines() if line.startswith("Error:")]
    assert len(errors) == 1 and fragment in errors[0], ran.err
    assert ran.out == "", ran.out
    assert table_rows(hostile_store) == before, "a refused command wrote to the store"
