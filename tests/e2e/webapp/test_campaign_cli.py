"""`panel campaign open` and `panel serve` as a user runs them (the real console script), on both stores."""

from __future__ import annotations

import re
import sqlite3
import urllib.error
import urllib.request

import pytest

from panel.config import StoreLocation
from tests.e2e.webapp.conftest import EXAMPLES
from tests.e2e.webapp.server import serving
from tests.helpers.paths import ROOT
from tests.helpers.proc import run_panel, store_env
from tests.helpers.store import table_rows

OPEN = ["campaign", "open", "youth-2026", "--engagement", "vested-youth-panel", "--opens", "2026-03-01",
        "--closes", "2026-03-14", "--questions", str(EXAMPLES / "questions.csv"),
        "--notice", str(EXAMPLES / "notice-v3.md"), "--phone", "0113 496 0000"]  # fmt: skip


@pytest.fixture
def with_engagement(panel) -> None:  # type: ignore[no-untyped-def]
    panel("init")
    panel("engagement", "open", "Vested youth panel", "--ref", "vested-youth-panel", "--type", "involve",
          "--purpose", "Shape youth services", "--session", "2026-04-02")  # fmt: skip


def test_open_and_show_a_campaign(panel, with_engagement) -> None:  # type: ignore[no-untyped-def]
    ran = panel(*OPEN)
    assert (
        ran.out.strip()
        == "Opened campaign youth-2026: /apply/youth-2026 takes applications from 2026-03-01 to 2026-03-14"
    )
    shown = panel("campaign", "show", "youth-2026").out
    assert "vested-youth-panel" in shown and "2026-03-01 to 2026-03-14" in shown
    assert "age_band, gender, imd_decile" in shown and "v3 (sha256 " in shown
    link = panel("campaign", "preview", "youth-2026", "--base-url", "https://apply.example.org/").out.strip()
    assert re.fullmatch(
        r"https://apply\.example\.org/apply/youth-2026\?preview=preview\.[0-9a-f]{32}\.\d+\.[\w-]{43}", link
    )
    assert panel("campaign", "preview", "nope", code=1).err.startswith("Error: no campaign has the slug 'nope'")
    again = panel(*OPEN, code=1)
    assert again.err.strip() == "Error: campaign 'youth-2026' is already open: choose another slug"


def test_bad_campaign_files_are_refused_in_one_line_and_write_nothing(  # type: ignore[no-untyped-def]
    panel, with_engagement, location: StoreLocation, tmp_path
) -> None:
    bad = tmp_path / "questions.csv"
    bad.write_text("attribute,question,hint,options,describe\nage band!,How old?,,18-21,no\n")
    before = table_rows(location)
    cases = {
        (*OPEN[:-4], "--notice", str(tmp_path / "nope.md"), "--phone", "1"): "notice file",
        tuple(a if a != str(EXAMPLES / "questions.csv") else str(bad) for a in OPEN): "questions file",
        tuple(a if a != "2026-03-14" else "2026-02-01" for a in OPEN): "--closes 2026-02-01 is before --opens",
        tuple(a if a != "youth-2026" else "Youth 2026" for a in OPEN): "campaign slug 'Youth 2026' is not valid",
        tuple(a if a != "vested-youth-panel" else "nope" for a in OPEN): "no engagement has id or reference 'nope'",
        (*OPEN[:-2],): "a campaign needs --phone or --address",
    }
    for args, message in cases.items():
        ran = panel(*args, code=1)
        assert ran.err.startswith("Error: ") and message in ran.err, (args, ran.err)
        assert len(ran.err.strip().splitlines()) == 1
    assert "line 2: attribute name 'age band!' is not valid" in panel(*list(cases)[1], code=1).err
    assert table_rows(location) == before


def test_welsh_without_a_welsh_copy_file_is_refused_in_one_line(  # type: ignore[no-untyped-def]
    panel, with_engagement, location: StoreLocation
) -> None:
    """No machine-written Welsh: until a Welsh speaker writes web/copy/cy.toml, a Welsh campaign is refused."""
    assert not (ROOT / "web" / "copy" / "cy.toml").exists(), "cy.toml now exists: test that --language cy opens"
    before = table_rows(location)
    ran = panel(*OPEN, "--language", "cy", code=1)
    assert ran.err.strip() == (
        "Error: --language cy: the Welsh pages need a copy file (translated by a Welsh speaker, not by a machine) "
        "at web/copy/cy.toml, with the same keys as web/copy/en.toml: see docs/web.md, 'Languages and Easy Read'"
    )
    assert table_rows(location) == before
    assert panel(*OPEN, "--language", "en-easyread").out.startswith("Opened campaign youth-2026")


def test_serve_refuses_a_missing_store_in_one_line(tmp_path) -> None:  # type: ignore[no-untyped-def]
    ran = run_panel("serve", env={"PANEL_DB": str(tmp_path / "nope.db"), "PANEL_DATABASE_URL": ""})
    assert ran.code == 1 and not ran.traceback
    assert (
        ran.err.strip() == f"Error: no panel store at SQLite {tmp_path / 'nope.db'}: run `panel init`, or fix PANEL_DB"
    )


def test_a_store_made_before_the_web_service_gets_its_keys_from_init(panel, location: StoreLocation) -> None:  # type: ignore[no-untyped-def]
    panel("init")
    _delete_web_secrets(location)  # as a store made before this version
    ran = panel("serve", code=1)
    assert ran.err.strip() == (
        "Error: the store has no web service keys (it was made before `panel serve` existed): run `panel init` to "
        "add them"
    )
    panel("init")
    with serving(store_env(location)) as base:
        with urllib.request.urlopen(base + "/accessibility") as page:  # noqa: S310 - our own server
            assert page.status == 200 and b"Accessibility statement" in page.read()
        with pytest.raises(urllib.error.HTTPError) as missing:
            urllib.request.urlopen(base + "/apply/none")  # noqa: S310 - our own server
        assert missing.value.code == 404
        missing.value.close()


def _delete_web_secrets(location: StoreLocation) -> None:
    if location.dialect == "sqlite":
        with sqlite3.connect(location.target) as conn:
            assert conn.execute("DELETE FROM panel_settings WHERE name LIKE 'web_%'").rowcount == 2
        return
    import psycopg

    with psycopg.connect(location.target, autocommit=True) as conn:
        done = conn.execute(f"DELETE FROM \"{location.schema}\".panel_settings WHERE name LIKE 'web_%'").rowcount
        assert done == 2


def test_the_campaign_link_as_a_qr_code(panel, with_engagement, tmp_path) -> None:  # type: ignore[no-untyped-def]
    import segno

    panel(*OPEN)
    tmp_path = tmp_path / "posters"
    tmp_path.mkdir()
    png = tmp_path / "youth.png"
    ran = panel("campaign", "qr", "youth-2026", "--base-url", "https://apply.example.org/", "--output", str(png))
    assert ran.out.strip() == f"Wrote {png} (a QR code of https://apply.example.org/apply/youth-2026)"
    expected = tmp_path / "expected.png"  # the same code made directly from the URL the poster must carry
    segno.make("https://apply.example.org/apply/youth-2026", error="m").save(str(expected), scale=10, border=4)
    assert png.read_bytes()[:8] == b"\x89PNG\r\n\x1a\n" and png.read_bytes() == expected.read_bytes()
    svg = tmp_path / "youth.svg"
    panel("campaign", "qr", "youth-2026", "--base-url", "https://apply.example.org", "--output", str(svg))
    assert svg.read_text(encoding="utf-8").lstrip().startswith("<?xml") and "<svg" in svg.read_text(encoding="utf-8")
    for args, message in (
        (("--base-url", "apply.example.org", "--output", str(tmp_path / "a.png")),
         "Error: --base-url 'apply.example.org' is not a web address: write e.g. https://apply.example.org"),
        (("--base-url", "https://apply.example.org", "--output", str(tmp_path / "a.gif")),
         "Error: --output '" + str(tmp_path / "a.gif") + "' must end .png or .svg"),
        (("--base-url", "https://apply.example.org", "--output", str(tmp_path / "nope" / "a.png")),
         "Error: --output '" + str(tmp_path / "nope" / "a.png") + "': the folder '" + str(tmp_path / "nope")
         + "' does not exist"),
    ):  # fmt: skip
        refused = panel("campaign", "qr", "youth-2026", *args, code=1)
        assert refused.err.strip() == message and "Traceback" not in refused.err
    assert sorted(p.name for p in tmp_path.iterdir()) == ["expected.png", "youth.png", "youth.svg"]
