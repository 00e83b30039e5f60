"""Hostile and malformed inputs, each answered with one clear line, a non-zero exit and nothing written.

Every case runs the real `panel` script in a subprocess on a prepared store (SQLite and
PostgreSQL). The next hostile input found is one line added to CASES: the arguments, the exit
code expected, and a fragment the one error line must contain (for an import, the error line or
the line naming the bad row). A case that needs a file names it as "{tmp}/NAME"; FILES holds its
contents, written into the case's own folder before it runs.
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

OPEN = ("engagement", "open", "Second panel", "--type", "consult", "--purpose", "p")

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
    (("participant", "register", "--ref", "H-009", "--channel", "paper"), 1, "needs captured_by"),
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
    ((*OPEN, "--eligible", "age => 18"), 1, "one of the operators =, !=, >=, <=, >, <, in, not in"),
    ((*OPEN, "--eligible", "age_bnd in 18-21"), 1, "did you mean age_band?"),
    ((*OPEN, "--eligible", "height >= 150"), 1, "confirm it with --new-attribute height"),
    ((*OPEN, "--eligible", "age_band in 18-21", "--new-attribute", "region"), 1, "region is not used by any"),
    (("engagement", "update", "hostile-panel", "--eligible", "age_band >= young"), 1, "use a number"),
    (("engagement", "update", "hostile-panel", "--eligible", "agee >= 18"), 1, "--new-attribute agee"),
    (("engagement", "update", "hostile-panel"), 1, "nothing to update"),
    (("attend", "hostile-panel", "--date", "2026-03-02", "--roster", "{tmp}/missing.csv"), 1, "no such file"),
    (("attend", "hostile-panel", "--date", "2026-03-02"), 2, "name the participants, or give --roster"),
    (("attend", "hostile-panel", "H-001", "NOPE", "--date", "2026-03-02"), 1, "2 of 2 entries cannot be recorded"),
    (("no-show", "hostile-panel", "H-001", "--date", "2026-03-09"), 1, "2026-03-09 is not a session"),
    (("participant", "erase", "H-001", "--reason", "request ER-1", "--by", " "), 1, "--by is empty"),
    (
        ("engagement", "update", "hostile-panel", "--session", "2026-03-09", "--at", "2026-06-01"),
        1,
        "2026-03-02 of hostile-panel has already",
    ),
    # one validation for every entry path (issue 10, items 1, 8 and 9; issue 9, item 14)
    (("participant", "register", "--ref", "H-010", "--channel", "online", "--email", "not-an-email"), 1,
     "'not-an-email' is not an email address"),
    (("participant", "register", "--ref", "jane@example.com", "--channel", "online"), 1, "looks like an email address"),
    (("participant", "register", "--ref", "07700 900123", "--channel", "online"), 1, "looks like a phone number"),
    (("participant", "register", "--ref", "H-011", "--channel", "online", "--postcode", "NOT A POSTCODE!!"), 1,
     "'NOT A POSTCODE!!' is not a UK postcode"),
    (("participant", "register", "--ref", "H-012", "--channel", "online", "--phone", "12345"), 1,
     "'12345' is not a phone number"),
    (("participant", "register", "--ref", "H-013", "--channel", "online", "--attr", "Bad Key!=x"), 1,
     "attribute name 'Bad Key!' is not valid"),
    (("participant", "register", "--ref", "H-014", "--channel", "online", "--attr", "age=eighteen"), 1,
     "attribute age 'eighteen' is not a number, but engagement hostile-panel's rule 'age >= 18'"),
    (("participant", "register", "--ref", "H-015", "--channel", "online", "--consent", "contact", "--notice-version",
      "Privacy notice for the youth panel, January 2026 edition v3"), 1, "notice version is too long: 59 characters"),
    (("participant", "register", "--ref", "H-016", "--channel", "phone", "--captured-by", "c" * 201), 1,
     "captured by is too long: 201 characters, at most 100"),
    (("participant", "register", "--ref", "R" * 201, "--channel", "online"), 1, "ref is too long: 201 characters"),
    (("participant", "register", "--ref", "H-017", "--channel", "online", "--name", "Ann\x1b[31m"), 1,
     "name contains U+001B"),
    (("participant", "register", "--ref", "H-018", "--channel", "online", "--at", "9999-12-31T23:00-05:00"), 2,
     "is out of range"),
    (("participant", "update", "H-001", "--phone", "not a phone"), 1, "'not a phone' is not a phone number"),
    (("consent", "grant", "H-001", "--purpose", "data_processing", "--notice-version", "v" * 41, "--method", "verbal",
      "--captured-by", "amy"), 1, "notice version is too long: 41 characters, at most 40"),
    (("consent", "grant", "H-001", "--purpose", "data_processing", "--notice-version", "v2", "--method", "verbal",
      "--captured-by", "a" * 201), 1, "captured by is too long"),
    (("engagement", "open", "E" * 121, "--ref", "long-name", "--type", "consult", "--purpose", "p"), 1,
     "name is too long: 121 characters, at most 120"),
    (("participant", "leave", "H-001", "--reason", "gone\tfor good"), 1, "reason contains U+0009 (TAB)"),
    (("pay", "claim-expense", "H-001", "--engagement", "hostile-panel", "--category", "travel", "--amount", "1",
      "--receipt", "R" * 101, "--by", "amy"), 1, "receipt is too long: 101 characters, at most 60"),
    (("participant", "import", "{tmp}/overflow.csv"), 1, "registered_at '9999-12-31T23:00-05:00' is out of range"),
    (("participant", "import", "{tmp}"), 1, "is a folder, not a file"),
    (("participant", "import", "{tmp}/huge.csv"), 1, "a field is longer than 131,072 characters"),
    (("participant", "import", "{tmp}/semicolons.csv"), 1, "separates its columns with semicolons (;), not commas"),
    (("participant", "import", "{tmp}/nul.csv"), 1, "contains U+0000 (NUL)"),
    (("participant", "import", "{tmp}/not-a-number.csv"), 1, "attribute age 'eighteen' is not a number"),
    (("participant", "import", "{tmp}/long-version.csv"), 1, "notice version is too long"),
]  # fmt: skip

FILES: dict[str, str] = {
    "overflow.csv": "ref,registered_at\nH-020,9999-12-31T23:00-05:00\n",
    "huge.csv": "ref,name\nH-021," + "x" * 10_000_000 + "\n",
    "semicolons.csv": "ref;channel;email\nH-022;online;h22@example.org\n",
    "nul.csv": "ref,consent_contact\nH-023,v1\x00\n",
    "not-a-number.csv": "ref,age\nH-024,eighteen\n",
    "long-version.csv": "ref,consent_contact\nH-025,Privacy notice for the youth panel January 2026 edition v3\n",
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
            name="Hostile panel",
            purpose="p",
            kind="consult",
            sessions=[date(2026, 3, 2)],
            day_rate_pence=35000,
            eligibility=["age >= 18"],
            new_attributes=["age"],
            at=T0,
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
                attributes={"age_band": "18-21", "age": "19"},
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
    for name, content in FILES.items():
        if any(f"{{tmp}}/{name}" in a for a in args):
            (tmp_path / name).write_text(content, encoding="utf-8")
    before = table_rows(hostile_store)
    ran = run_panel(*argv, env=store_env(hostile_store), cwd=tmp_path)
    assert ran.code == code, (argv, ran.code, ran.out, ran.err)
    assert not ran.traceback, ran.err
    errors = [line for line in ran.err.splitlines() if line.startswith("Error:")]
    rows = [line for line in ran.err.splitlines() if line.startswith(f"{tmp_path}/")]  # an import's bad rows
    assert len(errors) == 1 and any(fragment in line for line in errors + rows), ran.err
    assert ran.out == "", ran.out
    assert table_rows(hostile_store) == before, "a refused command wrote to the store"
