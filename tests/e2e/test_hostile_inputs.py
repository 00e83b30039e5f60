"""Hostile and malformed inputs, each answered with one clear line, a non-zero exit and nothing written.

Every case runs the real `panel` script in a subprocess on a prepared store (SQLite and
PostgreSQL). The next hostile input found is one line added to CASES: the arguments, the exit
code expected, a fragment the one error line must contain (for an import, the error line or
the line naming the bad row) and, optionally, environment variables laid over the store's (a
hostile PANEL_DB, PANEL_DATABASE_URL, PANEL_CIPHER_KEY ...).

In arguments and environment values, "{tmp}" is the case's own folder (its working directory)
and "{pg}" the test PostgreSQL server's URL without a database name. A case that needs a file
names it as "{tmp}/NAME"; FILES holds its contents, written into the case's folder before it runs.
"Nothing written" means: no row or table of the prepared store changed, no file appeared in the
case's folder, and no PANEL_PG_SCHEMA named by the case was created.
"""

from __future__ import annotations

from collections.abc import Iterator
from datetime import UTC, date, datetime
from pathlib import Path
from typing import Any

import pytest

from panel.application import PanelApp
from panel.config import StoreLocation
from panel.engagements import Engagements
from panel.registration import Registration
from panel.validation import ConsentSpec, SignUp
from tests.helpers.paths import ROOT
from tests.helpers.proc import run_panel, store_env
from tests.helpers.store import table_rows

T0 = datetime(2026, 1, 10, 9, tzinfo=UTC)

# Files every case finds in its folder ("{tmp}/NAME"), for inputs that must be files of the wrong kind.
A_VALID_BUT_WRONG_KEY = "MDEyMzQ1Njc4OWFiY2RlZjAxMjM0NTY3ODlhYmNkZWY="  # 32 bytes; the store is not encrypted
SQLITE_AT = {"PANEL_DATABASE_URL": "", "PANEL_PG_SCHEMA": ""}
OPEN = ("engagement", "open", "Second panel", "--type", "consult", "--purpose", "p")
WRONG_MASTER, NO_KEY_FILE = {"PANEL_MASTER_KEY": A_VALID_BUT_WRONG_KEY}, {"PANEL_MASTER_KEY_FILE": "{tmp}/missing.key"}
ROTATE, NOT_A_DB = ("admin", "rotate-master-key"), "{tmp}/not-a-database.txt"

# (arguments, expected exit code, fragment of the error line[, environment overrides]).
CASES: list[tuple[Any, ...]] = [
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
    # the store itself: mistyped, missing, unreachable or not a database; only `panel init` creates one
    (
        ("participant", "list"),
        1,
        "no panel store at SQLite {tmp}/panle.db",
        {**SQLITE_AT, "PANEL_DB": "{tmp}/panle.db"},
    ),
    (("reach", "--by", "gender"), 1, "no panel store at", {**SQLITE_AT, "PANEL_DB": "{tmp}/panle.db"}),
    (("participant", "list"), 1, "does not exist: fix PANEL_DB", {**SQLITE_AT, "PANEL_DB": "{tmp}/no-folder/panel.db"}),
    (("init",), 1, "does not exist: fix PANEL_DB", {**SQLITE_AT, "PANEL_DB": "{tmp}/no-folder/panel.db"}),
    (("participant", "list"), 1, "is a folder", {**SQLITE_AT, "PANEL_DB": "{tmp}"}),
    (("participant", "list"), 1, "is not an SQLite database", {**SQLITE_AT, "PANEL_DB": "{tmp}/not-a-database.txt"}),
    (("init",), 1, "is not an SQLite database", {**SQLITE_AT, "PANEL_DB": "{tmp}/not-a-database.txt"}),
    (("participant", "list"), 1, "has no database 'no_such_db_x'", {"PANEL_DATABASE_URL": "{pg}/no_such_db_x"}),
    (("init",), 1, "has no database 'no_such_db_x'", {"PANEL_DATABASE_URL": "{pg}/no_such_db_x"}),
    (
        ("participant", "list"),
        1,
        "connection refused",
        {"PANEL_DATABASE_URL": "postgresql://postgres@127.0.0.1:1/test"},
    ),
    (
        ("projections", "status"),
        1,
        "no panel store at",
        {"PANEL_DATABASE_URL": "{pg}/test", "PANEL_PG_SCHEMA": "no_such_x"},
    ),
    (
        ("participant", "list"),
        1,
        "PANEL_DATABASE_URL 'mysql://x/y' is not a PostgreSQL URL",
        {"PANEL_DATABASE_URL": "mysql://x/y"},
    ),
    (("participant", "list"), 1, "PANEL_CIPHER_KEY is not base64", {"PANEL_CIPHER_KEY": "not a key!"}),
    (("participant", "list"), 1, "PANEL_CIPHER_KEY decodes to 3 bytes", {"PANEL_CIPHER_KEY": "YWJj"}),
    (
        ("participant", "list"),
        1,
        "cannot be read with the PANEL_CIPHER_KEY given",
        {"PANEL_CIPHER_KEY": A_VALID_BUT_WRONG_KEY},
    ),
    (("draw", "hostile-panel", "--size", "1", "--seed", "-5"), 1, "--seed -5 is out of range"),
    (("draw", "hostile-panel", "--size", "1", "--seed", "99999999999999999999"), 1, "is out of range: use a whole"),
    (("draw", "hostile-panel", "--size", "1", "--lottery-size", "1000000000"), 1, "--lottery-size 1000000000 is out"),
    (("draw", "hostile-panel", "--size", "1", "--seed-from", "   "), 1, "--seed-from must be printable text"),
    (("draw", "hostile-panel", "--size", "1", "--seed", "1", "--seed-from", "7 9"), 2, "give --seed or --seed-from"),
    (("draw", "hostile-panel", "--size", "1", "--by", "x" * 201), 1, "--by must be printable text"),
    (("draw", "hostile-panel", "--size", "1", "--reserves", "1", "--reserves-model", "dropout", "--model-setting",
      "shrink=2"), 1, "--model-setting shrink=2: out of range"),  # fmt: skip
    (("draw", "hostile-panel", "--size", "1", "--new-round"), 1, "has no draw yet"),
    (("draw", "hostile-panel", "--size", "1", "--reserves-model", "x"), 2, "'--reserves-model': 'x' is not one of"),
    (("draw", "hostile-panel", "--size", "1", "--reserves-model", "dropout"), 1, "--reserves-model dropout orders"),
    (("draw", "hostile-panel", "--size", "1", "--quotas", "{tmp}/missing.csv"), 1, "cannot read the file"),
    (("draw", "verify", "0000"), 1, "no single draw has an id starting '0000'"),
    (("draw", "replace", "0000", "H-001", "--reason", "x"), 1, "no single draw has an id starting"),
    (("serve", "--workers", "0"), 2, "'--workers': 0 is not in the range 1<=x<=64"),
    (("serve", "--workers", "many"), 2, "'--workers': 'many' is not a valid integer range"),
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
    # float() reads these, but no rule can compare them: nan is never >= 18, inf always is
    (("participant", "register", "--ref", "H-028", "--channel", "online", "--attr", "age=nan"), 1,
     "attribute age 'nan' is not a number, but engagement hostile-panel's rule 'age >= 18'"),
    (("participant", "register", "--ref", "H-029", "--channel", "online", "--attr", "age=Infinity"), 1,
     "attribute age 'Infinity' is not a number"),
    (("participant", "register", "--ref", "H-030", "--channel", "online", "--attr", "age=1e3"), 1,
     "attribute age '1e3' is not a number"),
    (("engagement", "open", "Third panel", "--type", "consult", "--purpose", "p", "--eligible", "age >= nan"), 1,
     "compares with 'nan': use a number"),
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
    (("consent", "grant", "H-001", "--purpose", "contact", "--notice-version", "v2", "--method", "verbal",
      "--captured-by", "amy", "--expires-in", "0d"), 2, "--expires-in '0d' is zero"),
    (("consent", "grant", "H-001", "--purpose", "contact", "--notice-version", "v2", "--method", "verbal",
      "--captured-by", "amy", "--expires", "2020-01-01"), 1, "consent expiry 2020-01-01T00:00:00+00:00 is not after"),
    (("consent", "grant", "H-001", "--purpose", "contact", "--notice-version", "v2", "--method", "verbal",
      "--captured-by", "amy", "--expires", "2030-01-01", "--expires-in", "2y"), 1, "give --expires or --expires-in"),
    (("consent", "expiring", "--within", "banana"), 2, "--within 'banana' is not a period"),
    (("pay", "claim-expense", "H-001", "--engagement", "hostile-panel", "--category", "travel", "--amount", "1",
      "--receipt", "R" * 101, "--by", "amy"), 1, "receipt is too long: 101 characters, at most 60"),
    (("participant", "import", "{tmp}/overflow.csv"), 1, "registered_at '9999-12-31T23:00-05:00' is out of range"),
    (("participant", "import", "{tmp}"), 1, "is a folder, not a file"),
    (("participant", "import", "{tmp}/huge.csv"), 1, "a field is longer than 131,072 characters"),
    (("participant", "import", "{tmp}/semicolons.csv"), 1, "separates its columns with semicolons (;), not commas"),
    (("participant", "import", "{tmp}/nul.csv"), 1, "contains U+0000 (NUL)"),
    (("participant", "import", "{tmp}/not-a-number.csv", "--source", "campaign.youth"), 1,
     "--source 'campaign.youth' is kept for applications through a campaign or the partner API"),
    (("participant", "import", "{tmp}/not-a-number.csv", "--source", "partner.youth-link"), 1,
     "--source 'partner.youth-link' is kept for applications through a campaign or the partner API"),
    (("participant", "import", "{tmp}/not-a-number.csv"), 1, "attribute age 'eighteen' is not a number"),
    (("participant", "import", "{tmp}/long-version.csv"), 1, "notice version is too long"),
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
    # Retention and legal holds (issue 13).
    (("retention", "plan", "--as-of", "2027-13-01"), 2, "--as-of '2027-13-01' is not a date"),
    (("retention", "apply", "--by", "dpo", "--as-of", "soon"), 2, "--as-of 'soon' is not a date"),
    (("retention", "apply", "--by", " "), 1, "--by is empty"),
    (("retention", "apply", "--by", "dpo", "--as-of", "2999-01-01"), 1, "--as-of 2999-01-01 is in the future"),
    (("retention", "plan"), 1, "PANEL_RETENTION_PAYMENT_YEARS='6y' is not", {"PANEL_RETENTION_PAYMENT_YEARS": "6y"}),
    (("participant", "hold", "NOPE", "--reason", "claim CL-7"), 1, "no participant has id or reference 'NOPE'"),
    (("participant", "hold", "H-001", "--reason", "  "), 1, "--reason is empty"),
    (("participant", "hold", "H-001", "--reason", "x", "--by", ""), 1, "--by is empty"),
    (("participant", "release-hold", "H-001", "--reason", "done"), 1, "has no legal hold in force"),
    # An outbox folder that cannot keep mail: one line before any email is recorded as sent (issue 12).
    (("invitations", "send", "hostile-panel", "--base-url", "https://apply.example.org"), 1,
     "cannot keep mail in the outbox folder", {"PANEL_OUTBOX_DIR": "{tmp}/not-a-database.txt/outbox"}),
    # panel audit log (issue 13: who did what).
    (("audit", "log", "--from", "last tuesday"), 1, "--from 'last tuesday' is not a date: use ISO 8601"),
    (("audit", "log", "--from", "2026-03-02", "--to", "2026-03-01"), 1, "is not after --from"),
    # Paging (issue 15): one shared --limit/--offset, refused before anything is shown or recorded.
    (("participant", "list", "--limit", "-1"), 2, "'-1' is not a whole number from 1 to 10,000"),
    (("participant", "list", "--limit", "0"), 2, "'0' is not a whole number from 1 to 10,000"),
    (("participant", "list", "--limit", "10001"), 2, "'10001' is not a whole number from 1 to 10,000"),
    (("participant", "list", "--offset", "-5"), 2, "'-5' is not a whole number 0 or more: give e.g. --offset 100"),
    (("participant", "list", "--offset", "ten"), 2, "'ten' is not a whole number 0 or more"),
    (("engagement", "list", "--limit", "2.5"), 2, "'2.5' is not a whole number from 1 to 10,000"),
    (("consent", "expiring", "--within", "30d", "--offset", "1e3"), 2, "'1e3' is not a whole number 0 or more"),
    (("audit", "access", "--actor", "x", "--limit", " "), 2, "is not a whole number from 1 to 10,000"),
    (("pay", "ledger", "--limit", "0"), 2, "'0' is not a whole number from 1 to 10,000"),
    (("pay", "outstanding", "--offset", "-1"), 2, "'-1' is not a whole number 0 or more"),
    (("retention", "plan", "--limit", "10001"), 2, "'10001' is not a whole number from 1 to 10,000"),
    (("invitations", "status", "x", "--offset", "1.5"), 2, "'1.5' is not a whole number 0 or more"),
    (("audit", "log", "--after", "-3"), 2, "'-3' is not a whole number 0 or more: give e.g. --after 100"),
    # The data keys' database and the master key (issue 13); this store keeps its keys with its events, unwrapped.
    (("participant", "list"), 1, "PANEL_MASTER_KEY is not a 256-bit key", {"PANEL_MASTER_KEY": "not-a-key"}),
    (("participant", "list"), 1, "are not wrapped yet: run `panel init`", WRONG_MASTER),
    (("participant", "list"), 1, "cannot read PANEL_MASTER_KEY_FILE {tmp}/missing.key", NO_KEY_FILE),
    (("participant", "list"), 1, "PANEL_MASTER_KEY_FILE {tmp} is a folder", {"PANEL_MASTER_KEY_FILE": "{tmp}"}),
    (("participant", "list"), 1, "both PANEL_MASTER_KEY and PANEL_MASTER_KEY_FILE", {**WRONG_MASTER, **NO_KEY_FILE}),
    (("participant", "list"), 1, "PANEL_KEYS_URL is set but this store keeps", {"PANEL_KEYS_URL": "{tmp}/keys.db"}),
    (("participant", "list"), 1, "PANEL_KEYS_URL 'ftp://x/keys' is not understood", {"PANEL_KEYS_URL": "ftp://x/keys"}),
    (("init",), 1, f"PANEL_KEYS_URL {NOT_A_DB} is not an SQLite database", {"PANEL_KEYS_URL": NOT_A_DB}),
    (ROTATE, 1, "no new master key: give --new-key-file FILE or set PANEL_NEW_MASTER_KEY"),
    ((*ROTATE, "--new-key-file", "{tmp}/missing.key"), 1, "cannot read --new-key-file {tmp}/missing.key"),
    (ROTATE, 1, "are not wrapped: set PANEL_MASTER_KEY", {"PANEL_NEW_MASTER_KEY": A_VALID_BUT_WRONG_KEY}),
    (("campaign", "open", "welsh", "--engagement", "hostile-panel", "--opens", "2026-03-01", "--closes", "2026-03-14",
      "--questions", str(ROOT / "examples/campaign/questions.csv"),
      "--notice", str(ROOT / "examples/campaign/notice-v3.md"),
      "--phone", "0113 496 0000", "--language", "cy"), 1, "need a copy file (translated by a Welsh speaker"),
    (("campaign", "open", "paged", "--engagement", "hostile-panel", "--opens", "2026-03-01", "--closes", "2026-03-14",
      "--questions", str(ROOT / "examples/campaign/questions.csv"),
      "--notice", str(ROOT / "examples/campaign/notice-v3.md"),
      "--phone", "0113 496 0000", "--layout", "wizard"), 2, "'wizard' is not one of 'single-page', 'one-per-page'"),
    (("draw", "announce", "hostile-panel", "--size", "1", "--quotas", str(ROOT / "examples/vested-quotas.csv"),
      "--randomness", "the UK Lotto on 2026-02-04", "--one-pager", "{tmp}/page.svg"), 1,
     "give a file ending .png or .pdf"),
    (("draw", "announcement", "0000", "--one-pager", "{tmp}/taken.png"), 1, "taken.png already exists: choose another"),
    # digits str.isdigit() takes and int() does not, or numbers too big for a database's integer
    (("participant", "list", "--limit", "\u00b2"), 2, "'\u00b2' is not a whole number from 1 to 10,000"),
    (("participant", "list", "--offset", "9" * 20), 2, "is too large for --offset: give a number of at most 18 digits"),
    (("audit", "log", "--after", "1" * 19), 2, "is too large for --after: give a number of at most 18 digits"),
    (("retention", "plan"), 1, "_DRAW_MONTHS='\u00b2' is not", {"PANEL_RETENTION_DRAW_MONTHS": "\u00b2"}),
    # periods whose end falls outside the years 1 to 9999
    (("participant", "import", "{tmp}/long-validity.csv"), 1, "_valid_for '9999y' is longer than a hundred years"),
    (("participant", "import", "{tmp}/far-consent.csv"), 1, "_valid_for '1y' from 9999-12-01 falls outside"),
]  # fmt: skip

FILES: dict[str, str | bytes] = {
    "not-a-database.txt": b"name,age\nAnn,34\n",
    "overflow.csv": "ref,registered_at\nH-020,9999-12-31T23:00-05:00\n",
    "huge.csv": "ref,name\nH-021," + "x" * 10_000_000 + "\n",
    "semicolons.csv": "ref;channel;email\nH-022;online;h22@example.org\n",
    "nul.csv": "ref,consent_contact\nH-023,v1\x00\n",
    "not-a-number.csv": "ref,age\nH-024,eighteen\n",
    "long-version.csv": "ref,consent_contact\nH-025,Privacy notice for the youth panel January 2026 edition v3\n",
    # bytes are written as they are (some are not UTF-8 on purpose)
    "latin1-targets.csv": "category,value,share\ngender,femme mari\xe9e,0.5\n".encode("latin-1"),
    "nul-targets.csv": b"category,value,share\nage_band,18-21\x00,0.5\n",
    "latin1-statement.csv": "date,amount,reference\n2026-03-21,-12.40,Caf\xe9 PP-1\n".encode("latin-1"),
    "statement.csv": b"Date,Description,Paid out\n2026-03-21,PP-1,12.40\n",
    "comma-statement.csv": b'date,amount,reference\n2026-03-21,"350,00",PP-1\n',
    "taken.png": b"a file that must not be overwritten",
    "long-validity.csv": "ref,consent_contact,consent_contact_valid_for\nH-026,v1,9999y\n",
    "far-consent.csv": "ref,consent_contact,consent_at,consent_contact_valid_for\nH-027,v1,9999-12-01T00:00Z,1y\n",
    "thresholds.json": (
        b'{"thresholds": [{"name": "x", "period": "tax_year", "amount": "1,2345", "from": "2026-04-06"}]}'
    ),
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
        Engagements(app).open_engagement(
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
        Registration(app).register(
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


def _case_id(case: tuple[Any, ...]) -> str:
    env = case[3] if len(case) > 3 else {}
    return (" ".join(case[0]) + "".join(f" {k}={v}" for k, v in env.items() if v))[:90]


@pytest.mark.parametrize("case", CASES, ids=[_case_id(c) for c in CASES])
def test_hostile_input_is_refused_cleanly(hostile_store: StoreLocation, tmp_path: Path, case: tuple[Any, ...]) -> None:
    args, code, fragment, overrides = (*case, {})[:4]
    from tests.conftest import PG_URL, _require_postgres

    pg_server = PG_URL.rsplit("/", 1)[0]
    if any("{pg}" in v for v in overrides.values()):
        _require_postgres()

    def fill(text: str) -> str:
        return text.replace("{tmp}", str(tmp_path)).replace("{pg}", pg_server)

    named = " ".join([*args, *overrides.values()])
    for name, content in FILES.items():
        if f"{{tmp}}/{name}" in named:
            (tmp_path / name).write_bytes(content if isinstance(content, bytes) else content.encode())
    argv = [fill(a) for a in args]
    env = {**store_env(hostile_store), **{k: fill(v) for k, v in overrides.items()}}
    schema = env.get("PANEL_PG_SCHEMA") if env.get("PANEL_DATABASE_URL") else None
    before, files, had_schema = table_rows(hostile_store), _files(tmp_path), _schema_exists(schema)
    ran = run_panel(*argv, env=env, cwd=tmp_path)
    assert ran.code == code, (argv, ran.code, ran.out, ran.err)
    assert not ran.traceback, ran.err
    errors = [line for line in ran.err.splitlines() if line.startswith("Error:")]
    rows = [line for line in ran.err.splitlines() if line.startswith(f"{tmp_path}/")]  # an import's bad rows
    assert len(errors) == 1 and any(fill(fragment) in line for line in errors + rows), ran.err
    assert ran.out == "", ran.out
    assert table_rows(hostile_store) == before, "a refused command wrote to the store"
    assert _files(tmp_path) == files, "a refused command created or changed a file"
    assert _schema_exists(schema) == had_schema, f"a refused command created the schema {schema}"


def _files(folder: Path) -> dict[str, tuple[int, float]]:
    return {str(p): (p.stat().st_size, p.stat().st_mtime) for p in sorted(folder.rglob("*"))}


def _schema_exists(schema: str | None) -> bool:
    if not schema:
        return False
    from tests.conftest import _pg_connect

    try:
        conn = _pg_connect()
    except Exception:  # no server: nothing could have been created there
        return False
    with conn:
        return conn.execute("SELECT 1 FROM pg_namespace WHERE nspname = %s", (schema,)).fetchone() is not None
