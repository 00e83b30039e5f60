"""When the outbox cannot keep a message (its folder is not writable, or not a folder), on SQLite and PostgreSQL:
the web service keeps the application and says so on a plain page, with how to get the links later; `panel
invitations send` says so in one line before it records anything. (A mail server that cannot be reached is
not a failure here: the message is kept in failed/ for `panel outbox send`, see test_mail.py.)"""

from __future__ import annotations

from pathlib import Path

import pytest

from panel.application import PanelApp
from panel.config import StoreLocation
from panel.outbox import FolderOutbox
from panel.queries import Queries
from tests.e2e.test_invitations_cli import ENGAGEMENT
from tests.e2e.test_invitations_cli import store as store  # noqa: F401 - the fixture, for the CLI test
from tests.e2e.webapp.test_apply_http import GOOD, post
from tests.e2e.webapp.test_links_http import ask
from tests.helpers.store import table_rows


def blocked(tmp_path: Path) -> Path:
    """A path no one can make a folder at: its parent is a file (even root cannot)."""
    (tmp_path / "not-a-folder").write_text("", encoding="utf-8")
    return tmp_path / "not-a-folder" / "outbox"


@pytest.fixture
def outbox(tmp_path: Path) -> FolderOutbox:
    return FolderOutbox(blocked(tmp_path))


def test_the_application_is_kept_and_the_page_says_the_email_could_not_go(
    client_at, outbox: FolderOutbox, campaign_app: PanelApp, tmp_path: Path
) -> None:  # type: ignore[no-untyped-def]
    client = client_at()
    page = post(client, GOOD)
    assert page.status_code == 200 and "Traceback" not in page.text
    assert "<title>We have your application, but could not email you" in page.text
    assert 'href="/links"' in page.text and "Do not apply again" in page.text
    (person,) = Queries(campaign_app).participants()  # the record was kept
    assert person.personal.email == "sam@example.org"

    outbox.folder = tmp_path / "outbox"  # the folder is fixed: the applicant asks for a new link
    assert ask(client, "sam@example.org").status_code == 200
    (kept,) = outbox.entries()
    assert (kept.kind, kept.to, kept.status) == ("confirm", "s***@example.org", "waiting")


def test_links_says_the_same_when_the_email_cannot_be_kept(client_at, outbox: FolderOutbox) -> None:  # type: ignore[no-untyped-def]
    client = client_at()
    post(client, GOOD)  # kept, though its email was not
    known, unknown = ask(client, "sam@example.org"), ask(client, "nobody@example.org")
    assert (known.status_code, known.text) == (unknown.status_code, unknown.text)


def test_invitations_send_is_one_line_and_records_nothing_when_the_outbox_cannot_take_mail(
    store,
    panel,
    location: StoreLocation,
    tmp_path: Path,  # noqa: F811
) -> None:  # type: ignore[no-untyped-def]
    panel("draw", ENGAGEMENT, "--size", "3", "--seed", "1", "--reserves", "2", "--at", "2026-03-01T09:00:00Z")
    before = table_rows(location)
    env = {"PANEL_OUTBOX_DIR": str(blocked(tmp_path)), "PANEL_SMTP_URL": "", "PANEL_WEB_BASE_URL": ""}
    ran = panel("invitations", "send", ENGAGEMENT, "--base-url", "https://apply.example.org", code=1, env=env)
    assert ran.err.startswith("Error: cannot keep mail in the outbox folder ") and len(ran.err.splitlines()) == 1
    assert "set PANEL_OUTBOX_DIR" in ran.err
    assert table_rows(location) == before  # no invitation recorded as emailed
    ran = panel("invitations", "remind", ENGAGEMENT, code=1, env=env)
    assert "cannot keep mail in the outbox folder" in ran.err


def test_a_change_of_email_whose_old_address_cannot_be_told_is_dropped(
    client_at, outbox: FolderOutbox, campaign_app: PanelApp, location: StoreLocation, tmp_path: Path
) -> None:  # type: ignore[no-untyped-def]
    from datetime import timedelta

    from panel.links import make_token, store_secret
    from tests.e2e.webapp.conftest import DURING
    from tests.e2e.webapp.test_apply_http import csrf_of
    from tests.e2e.webapp.test_email_change import NEW

    client, blocked_folder = client_at(), outbox.folder
    outbox.folder = tmp_path / "outbox"
    post(client, GOOD)
    (person,) = Queries(campaign_app).participants()
    me = f"/me/{make_token(store_secret(campaign_app.keys), 'me', person.id, DURING + timedelta(days=1))}"
    csrf = csrf_of(client.get(f"{me}/details").text)  # its access is recorded; then the outbox breaks
    outbox.folder, before = blocked_folder, table_rows(location)
    page = client.post(f"{me}/details", data={"name": "Sam Patel", "email": NEW, "csrf_token": csrf})
    assert page.status_code == 200 and "<title>We could not change your email address" in page.text
    assert table_rows(location) == before  # the waiting change was dropped: no email_change row is left
    assert Queries(campaign_app).participant(person.id).personal.email == "sam@example.org"
    assert [e.kind for e in FolderOutbox(tmp_path / "outbox").entries()] == ["confirm"]  # nothing went to NEW
