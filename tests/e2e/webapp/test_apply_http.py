"""The application form over HTTP (Starlette's TestClient), on SQLite and PostgreSQL.

An application writes the same events as `panel participant register --channel online`; bad input,
a missing CSRF token and a closed campaign are answered 4xx with nothing written.
"""

from __future__ import annotations

import re
from datetime import UTC, datetime

from panel.config import StoreLocation
from panel.queries import Queries
from tests.e2e.webapp.conftest import DURING
from tests.helpers.events import events_of
from tests.helpers.proc import run_panel, store_env
from tests.helpers.store import table_rows

GOOD = {
    "name": "Sam Patel",
    "email": "sam@example.org",
    "phone": "07700 900123",
    "postcode": "ls6 1aa",
    "attr.age_band": "18-21",
    "attr.gender": "describe",
    "attr.gender.describe": "genderqueer",
    "attr.imd_decile": "prefer_not_to_say",
    "consent": ["contact", "panel_membership"],
}


def csrf_of(page: str) -> str:
    found = re.search(r'name="csrf_token" value="([0-9a-f]{64})"', page)
    assert found, page
    return found.group(1)


def post(client, data: dict, slug: str = "youth-2026"):  # type: ignore[no-untyped-def]
    page = client.get(f"/apply/{slug}")
    return client.post(f"/apply/{slug}", data={**data, "csrf_token": csrf_of(page.text)})


def kept(state: dict) -> dict:
    """The parts of an event that do not depend on the person or the moment."""
    return {
        k: state[k] for k in ("channel", "captured_by", "source", "purpose", "notice_version", "method") if k in state
    }


def test_the_form_page_is_served_with_its_notice_and_security_headers(client_at) -> None:  # type: ignore[no-untyped-def]
    page = client_at().get("/apply/youth-2026")
    assert page.status_code == 200
    assert '<html lang="en">' in page.text
    assert "<title>Apply to take part: Vested youth panel - " in page.text
    assert "Privacy notice version: v3" in page.text and "choose a fair mix of people by lottery" in page.text
    assert page.text.count("Prefer not to say") == 3  # every question offers it
    assert "__Host-panel_csrf=" in page.headers["set-cookie"] and "HttpOnly" in page.headers["set-cookie"]
    assert "frame-ancestors 'none'" in page.headers["content-security-policy"]
    assert "script-src" not in page.headers["content-security-policy"]  # default-src 'none': no script at all
    assert page.headers["x-content-type-options"] == "nosniff"


def test_an_application_writes_the_same_events_as_the_cli(client_at, campaign_app, location: StoreLocation) -> None:  # type: ignore[no-untyped-def]
    answer = post(client_at(), GOOD)
    assert answer.status_code == 303 and answer.headers["location"] == "/apply/youth-2026/done"
    web = [p for p in Queries(campaign_app).participants() if p.ref.startswith("APP-")]
    assert len(web) == 1
    ran = run_panel(
        "participant", "register", "--ref", "CLI-001", "--channel", "online", "--name", "Sam Patel",
        "--email", "sam@example.org", "--phone", "07700 900123", "--postcode", "LS6 1AA",
        "--attr", "age_band=18-21", "--attr", "gender=genderqueer", "--attr", "imd_decile=prefer not to say",
        "--consent", "contact", "--consent", "panel_membership", "--notice-version", "v3",
        "--at", DURING.isoformat(), env=store_env(location),
    )  # fmt: skip
    assert ran.code == 0, ran.err
    cli_id = campaign_app.resolve_participant("CLI-001")
    from_web = [(t, kept(s)) for _, t, s in events_of(location, web[0].id)]
    from_cli = [(t, kept(s)) for _, t, s in events_of(location, cli_id)]
    assert from_web[0][1].pop("source") == "campaign.youth-2026"  # which campaign it came through
    assert from_cli[0][1].pop("source") == "panel"
    assert from_web == from_cli
    assert [t.rsplit(".", 1)[-1] for t, _ in from_web] == ["Registered", "ConsentGranted", "ConsentGranted"]
    details = Queries(campaign_app).participant(web[0].id)
    assert details.channel == "online"
    assert details.personal.email == "sam@example.org" and details.personal.postcode == "LS6 1AA"
    assert details.personal.attributes == {
        "age_band": "18-21",
        "gender": "genderqueer",
        "imd_decile": "prefer_not_to_say",
    }
    consents = Queries(campaign_app).consent_history(web[0].id)
    assert {(c.purpose, c.notice_version, c.method) for c in consents} == {
        ("contact", "v3", "online"), ("panel_membership", "v3", "online")
    }  # fmt: skip
    done = client_at().get("/apply/youth-2026/done")
    assert done.status_code == 200 and "Application sent" in done.text


def test_bad_input_shows_the_error_summary_and_writes_nothing(client_at, location: StoreLocation) -> None:  # type: ignore[no-untyped-def]
    before = table_rows(location)
    bad = {**GOOD, "email": "not-an-email", "name": "", "consent": ["contact"], "attr.gender.describe": ""}
    answer = post(client_at(), bad)
    assert answer.status_code == 400
    assert answer.text.count("<title>Error: Apply to take part") == 1
    summary = answer.text.split('class="error-summary"')[1].split("</div>")[0]
    links = re.findall(r'<a href="#([^"]+)">', summary)
    assert links == ["name", "email", "attr-gender-describe", "consent-panel_membership"]
    for anchor in links:
        assert f'id="{anchor}"' in answer.text  # each link goes to its field
        assert f'id="{anchor}-error"' in answer.text  # and the message sits beside it
    assert "Enter an email address in the correct format, like name@example.com" in answer.text
    assert 'value="not-an-email"' in answer.text  # what they typed is shown again
    assert table_rows(location) == before


def test_no_contact_at_all_asks_for_an_email_or_a_phone(client_at, location: StoreLocation) -> None:  # type: ignore[no-untyped-def]
    before = table_rows(location)
    answer = post(client_at(), {**GOOD, "email": "", "phone": ""})
    assert answer.status_code == 400
    # the campaign's own plain message, not the email-format wording that replaces validation messages
    assert "Enter an email address or a phone number so we can contact you" in answer.text
    assert "in the correct format" not in answer.text
    assert table_rows(location) == before


def test_a_form_without_a_valid_csrf_token_is_refused(client_at, location: StoreLocation) -> None:  # type: ignore[no-untyped-def]
    client = client_at()
    client.get("/apply/youth-2026")
    before = table_rows(location)
    missing = client.post("/apply/youth-2026", data=GOOD)
    forged = client.post("/apply/youth-2026", data={**GOOD, "csrf_token": "0" * 64})
    fresh = client_at()  # a token from another visitor's page, without their cookie
    stolen = fresh.post("/apply/youth-2026", data={**GOOD, "csrf_token": csrf_of(client.get("/apply/youth-2026").text)})
    assert [missing.status_code, forged.status_code, stolen.status_code] == [403, 403, 403]
    assert "Your form could not be sent" in missing.text
    assert table_rows(location) == before


def test_a_closed_campaign_says_so_and_what_to_do_instead(client_at, location: StoreLocation) -> None:  # type: ignore[no-untyped-def]
    early = client_at(datetime(2026, 2, 28, 23, 59, tzinfo=UTC)).get("/apply/youth-2026")
    late_client = client_at(datetime(2026, 3, 15, 0, 0, tzinfo=UTC))
    late = late_client.get("/apply/youth-2026")
    assert early.status_code == 200 and "Applications are not open yet" in early.text and "1 March 2026" in early.text
    assert "Applications have closed" in late.text and "14 March 2026" in late.text
    for page in (early, late):
        assert 'href="tel:01134960000"' in page.text and "PO Box 123" in page.text
        assert "<form" not in page.text
    last_day = client_at(datetime(2026, 3, 14, 23, 59, tzinfo=UTC)).get("/apply/youth-2026")
    assert "<form" in last_day.text
    before = table_rows(location)
    while_open = client_at()
    token = csrf_of(while_open.get("/apply/youth-2026").text)  # a page kept open since the campaign was open
    late_client.cookies = while_open.cookies
    refused = late_client.post("/apply/youth-2026", data={**GOOD, "csrf_token": token})
    assert refused.status_code == 409 and "Applications have closed" in refused.text
    assert table_rows(location) == before


def test_hostile_submissions_are_answered_4xx_and_write_nothing(client_at, location: StoreLocation) -> None:  # type: ignore[no-untyped-def]
    client = client_at()
    before = table_rows(location)
    cases = {
        "script in the name": ({**GOOD, "name": "<script>alert(1)</script>\x00"}, 400),
        "an answer not offered": ({**GOOD, "attr.age_band": "99"}, 400),
        "an unknown consent": ({**GOOD, "consent": ["contact", "panel_membership", "sell_my_data"]}, 400),
        "a field sent twice": ({**GOOD, "name": ["A", "B"]}, 400),
        "the honeypot filled": ({**GOOD, "website": "http://spam.example"}, 400),
        "an oversized name": ({**GOOD, "name": "x" * 5000}, 400),
        "a bad postcode": ({**GOOD, "postcode": "NOT A POSTCODE"}, 400),
        "a bidi override": ({**GOOD, "name": "Sam\u202ePatel"}, 400),
        "a too long description": ({**GOOD, "attr.gender.describe": "y" * 300}, 400),
        "a header injection in the email": ({**GOOD, "email": "sam@example.org\r\nBcc: all@example.org"}, 400),
        "a line break in the name": ({**GOOD, "name": "Sam\nPatel"}, 400),
        "only a NUL as the name": ({**GOOD, "name": "\x00"}, 400),
        "letters as the phone": ({**GOOD, "phone": "call me maybe"}, 400),
        "an oversized phone": ({**GOOD, "phone": "0" * 50}, 400),
        "an oversized postcode": ({**GOOD, "postcode": "LS6 1AA" * 5}, 400),
        "an oversized email": ({**GOOD, "email": "a" * 300 + "@example.org"}, 400),
        "an email without a domain": ({**GOOD, "email": "sam@"}, 400),
        "no way to contact them": ({**GOOD, "email": "", "phone": ""}, 400),
        "nothing at all": ({}, 400),
        "a required consent missing": ({**GOOD, "consent": ["contact"]}, 400),
        "no consents": ({**GOOD, "consent": []}, 400),
        "a consent sent twice": ({**GOOD, "consent": ["contact", "contact", "panel_membership"]}, 400),
        "describe on a question without it": ({**GOOD, "attr.age_band": "describe"}, 400),
        "describe chosen, nothing described": ({**GOOD, "attr.gender.describe": ""}, 400),
        "a control character described": ({**GOOD, "attr.gender.describe": "x\x07"}, 400),
        "a bidi isolate described": ({**GOOD, "attr.gender.describe": "\u2066x"}, 400),
        "prefer not to say misspelt": ({**GOOD, "attr.gender": "prefer_not"}, 400),
        "two answers to one question": ({**GOOD, "attr.age_band": ["18-21", "22-25"]}, 400),
        "an answer out of range": ({**GOOD, "attr.imd_decile": "11"}, 400),
        "markup as an answer": ({**GOOD, "attr.age_band": "<b>18-21</b>"}, 400),
        "too many fields": ({**GOOD, **{f"x{i}": "1" for i in range(300)}}, 400),
        "a body over the limit": ({**GOOD, "padding": "x" * 66_000}, 413),
    }
    for what, (data, status) in cases.items():
        answer = post(client, data)
        assert answer.status_code == status, what
        assert "<script>alert" not in answer.text, what
    page = client.get("/apply/youth-2026")
    huge = client.post(
        "/apply/youth-2026", content=b"name=" + b"x" * 70_000 + b"&csrf_token=" + csrf_of(page.text).encode(),
        headers={"content-type": "application/x-www-form-urlencoded"},
    )  # fmt: skip
    not_utf8 = client.post(
        "/apply/youth-2026", content=b"name=\xff\xfe&csrf_token=" + csrf_of(page.text).encode(),
        headers={"content-type": "application/x-www-form-urlencoded"},
    )  # fmt: skip
    assert (huge.status_code, not_utf8.status_code) == (413, 400)
    token = csrf_of(page.text)
    chunked = client.post(
        "/apply/youth-2026", content=(b"name=" + b"x" * 1000 for _ in range(80)),
        headers={"content-type": "application/x-www-form-urlencoded"},
    )  # fmt: skip
    twice = client.post("/apply/youth-2026", data={**GOOD, "csrf_token": [token, token]})
    in_query = client.post(f"/apply/youth-2026?csrf_token={token}", data=GOOD)
    as_json = client.post("/apply/youth-2026", json={**GOOD, "csrf_token": token})
    multipart = client.post("/apply/youth-2026", data=GOOD, files={"upload": ("a.txt", b"hello")})
    assert [r.status_code for r in (chunked, twice, in_query, as_json, multipart)] == [413, 403, 403, 403, 403]
    assert client.put("/apply/youth-2026", data=GOOD).status_code == 405
    assert client.delete("/apply/youth-2026").status_code == 405
    assert client.post("/apply/no-such-campaign", data={**GOOD, "csrf_token": token}).status_code == 404
    assert client.get("/apply/no-such-campaign").status_code == 404
    assert client.get("/apply/youth-2026/../../etc/passwd").status_code == 404
    assert table_rows(location) == before


def test_staff_preview_a_closed_campaign_and_nothing_sent_from_it_is_saved(  # type: ignore[no-untyped-def]
    client_at, campaign_app, location: StoreLocation
) -> None:
    from datetime import timedelta

    from panel.campaigns import Campaigns

    link = Campaigns(campaign_app).preview_link("youth-2026", "https://testserver", timedelta(days=30))
    assert link.startswith("https://testserver/apply/youth-2026?preview=preview.")
    early = client_at(datetime(2026, 2, 20, tzinfo=UTC))
    page = early.get(link)
    assert page.status_code == 200 and "<form" in page.text and "Preview for staff" in page.text
    tampered = early.get(link[:-2] + ("AA" if not link.endswith("AA") else "BB"))
    assert "Applications are not open yet" in tampered.text and "<form" not in tampered.text
    before = table_rows(location)
    sent = early.post("/apply/youth-2026", data={**GOOD, "csrf_token": csrf_of(page.text)})
    assert sent.status_code == 409
    assert table_rows(location) == before
