"""/links, "Get a new link", on SQLite and PostgreSQL: a known address gets a fresh link by email (a confirmation
link while unconfirmed, a /me link once confirmed), an unknown one gets nothing, and the page is the same for
both; the per-address and per-email limits apply; nothing is written to the store."""

from __future__ import annotations

import re

from panel.application import PanelApp
from panel.config import StoreLocation
from tests.e2e.webapp.test_apply_http import GOOD, csrf_of, post
from tests.e2e.webapp.test_duplicate_email import confirm_by_link
from tests.helpers.store import table_rows


def ask(client, email: str, **extra: str):  # type: ignore[no-untyped-def]
    page = client.get("/links")
    assert page.status_code == 200
    return client.post("/links", data={"email": email, "csrf_token": csrf_of(page.text), **extra})


def test_a_known_address_gets_a_new_link_and_the_page_says_the_same_for_any_address(
    client_at, outbox, campaign_app: PanelApp, location: StoreLocation
) -> None:  # type: ignore[no-untyped-def]
    client = client_at()
    post(client, GOOD)
    outbox.sent.clear()

    known, unknown = ask(client, "Sam@example.org"), ask(client, "nobody@example.org")
    assert (known.status_code, known.text) == (unknown.status_code, unknown.text) == (200, known.text)
    assert "Check your email" in known.text
    (mail,) = outbox.sent  # only the known address got one: a fresh confirmation link, as it is unconfirmed
    assert (mail.kind, mail.to) == ("confirm", "Sam@example.org")
    confirm_by_link(client, mail.body)

    outbox.sent.clear()
    ask(client, "sam@example.org")
    (mail,) = outbox.sent  # confirmed now: a /me link, no confirmation link
    assert (mail.kind, mail.subject) == ("me_link", "Your personal link") and "/confirm/" not in mail.body
    me = re.search(r"https://testserver(/me/\S+)", mail.body).group(1)  # type: ignore[union-attr]
    assert "sam@example.org" in client.get(me).text


def test_asking_for_links_writes_nothing(client_at, outbox, campaign_app: PanelApp, location: StoreLocation) -> None:  # type: ignore[no-untyped-def]
    client = client_at()
    post(client, GOOD)
    before = table_rows(location)
    for email in ("sam@example.org", "nobody@example.org", "not an email", ""):
        ask(client, email)
    assert table_rows(location) == before


def test_a_bad_address_is_shown_next_to_the_field(client_at, outbox) -> None:  # type: ignore[no-untyped-def]
    client = client_at()
    bad, empty = ask(client, "not an email"), ask(client, "")
    assert bad.status_code == empty.status_code == 400
    assert "<title>Error: Get a new link" in bad.text and 'href="#email"' in bad.text
    assert "Enter an email address in the correct format" in bad.text
    assert "Enter the email address you applied with</a>" in empty.text
    assert ask(client, "sam@example.org", website="http://spam").status_code == 400  # the honeypot
    assert client.post("/links", data={"email": "sam@example.org"}).status_code == 403  # no CSRF token
    assert outbox.sent == []


def test_the_per_email_and_per_address_limits_apply(client_at, outbox) -> None:  # type: ignore[no-untyped-def]
    client = client_at(env={"PANEL_WEB_MIN_FILL_SECONDS": "0", "PANEL_WEB_LIMIT_PER_EMAIL": "3",
                            "PANEL_WEB_LIMIT_PER_ADDRESS": "4"})  # fmt: skip
    post(client, GOOD)
    outbox.sent.clear()
    # the application counted once for the address and the email
    assert [ask(client, "sam@example.org").status_code for _ in range(3)] == [200, 200, 429]
    assert len(outbox.sent) == 2
    refused = ask(client, "SAM@example.org ")  # the same address, written differently
    assert refused.status_code == 429 and int(refused.headers["retry-after"]) > 0
    assert [ask(client, f"p{i}@example.org").status_code for i in range(2)] == [200, 429]  # 4 from this address
