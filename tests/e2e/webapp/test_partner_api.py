"""The partner API over HTTP, on SQLite and PostgreSQL: a good referral, the same one again (idempotent),
malformed and invalid bodies, no token, a wrong token and a revoked one. Every refusal is a 4xx with a
machine-readable error and writes nothing; `panel partner` prints a token once and revokes it."""

from __future__ import annotations

import json

import pytest

from panel.application import PanelApp
from panel.config import StoreLocation
from panel.partners import Partners
from panel.queries import Queries
from tests.helpers.store import table_rows

REFERRAL = {
    "reference": "YL-0042",
    "name": "Sam Patel",
    "email": "sam@example.org",
    "postcode": "LS6 1AA",
    "attributes": {"age_band": "18-21"},
    "consents": [
        {"purpose": "contact", "notice_version": "v3"},
        {"purpose": "panel_membership", "notice_version": "v3"},
    ],
}


@pytest.fixture
def token(campaign_app: PanelApp) -> str:
    _, made = Partners(campaign_app).add("youth-link", by="sam.lee")
    return made


def send(client, body: object, token: str | None, content_type: str = "application/json"):  # type: ignore[no-untyped-def]
    headers = {"content-type": content_type, **({"authorization": f"Bearer {token}"} if token else {})}
    raw = body if isinstance(body, bytes) else json.dumps(body).encode()
    return client.post("/api/v1/applications", content=raw, headers=headers)


def test_a_referral_is_registered_once(client_at, campaign_app: PanelApp, token: str) -> None:  # type: ignore[no-untyped-def]
    client = client_at()
    first = send(client, REFERRAL, token)
    assert first.status_code == 201, first.text
    answer = first.json()
    assert answer["reference"] == "YL-0042" and answer["created"] is True
    again = send(client, {**REFERRAL, "name": "Sam P."}, token)  # a retry: the same person, nothing written
    assert again.status_code == 200 and again.json() == {**answer, "created": False}
    (person,) = Queries(campaign_app).participants()
    details = Queries(campaign_app).participant(person.id)
    assert str(person.id) == answer["id"]
    assert (details.channel, details.captured_by, details.source, details.personal.name) == (
        "partner_referral", "youth-link", "partner.youth-link", "Sam Patel"
    )  # fmt: skip
    assert {(c.purpose, c.method, c.captured_by) for c in details.consents} == {
        ("contact", "written", "youth-link"), ("panel_membership", "written", "youth-link")
    }  # fmt: skip


@pytest.mark.parametrize(
    ("body", "content_type", "status", "code", "fields"),
    [
        (b"{not json", "application/json", 400, "malformed", None),
        (REFERRAL, "text/plain", 415, "not_json", None),
        ([REFERRAL], "application/json", 400, "invalid", ["body"]),
        ({**REFERRAL, "reference": 42}, "application/json", 400, "invalid", ["reference"]),
        ({**REFERRAL, "email": "not-an-email"}, "application/json", 400, "invalid", ["email"]),
        ({**REFERRAL, "name": ["Sam"]}, "application/json", 400, "invalid", ["name"]),
        ({**REFERRAL, "attributes": {"age": 19}}, "application/json", 400, "invalid", ["attributes"]),
        ({**REFERRAL, "consents": [{"purpose": "everything", "notice_version": "v3"}]}, "application/json", 400,
         "invalid", None),
        ({**REFERRAL, "consents": "contact"}, "application/json", 400, "invalid", ["consents"]),
        ({**REFERRAL, "admin": True}, "application/json", 400, "invalid", ["admin"]),
        ({**REFERRAL, "name": "<script>alert(1)</script>\u202e"}, "application/json", 400, "invalid", ["name"]),
        (b'{"reference": "' + b"x" * 70_000 + b'"}', "application/json", 413, "too_large", None),
    ],
)  # fmt: skip
def test_bad_referrals_name_the_field_and_write_nothing(  # type: ignore[no-untyped-def]
    client_at, token: str, location: StoreLocation, body, content_type, status, code, fields
) -> None:
    before = table_rows(location)
    answer = send(client_at(), body, token, content_type)
    assert answer.status_code == status, answer.text
    error = answer.json()["error"]
    assert error["code"] == code and error["message"]
    if fields is not None:
        assert [f["field"] for f in error["fields"]] == fields, error
    assert table_rows(location) == before


def test_no_token_a_wrong_one_or_a_revoked_one_is_401(client_at, campaign_app, token: str, location) -> None:  # type: ignore[no-untyped-def]
    client = client_at()
    before = table_rows(location)
    for bad in (None, token[:-2] + "xx", "youth-link", "nobody." + token.split(".", 1)[1], "x" * 500):
        answer = send(client, REFERRAL, bad)
        assert answer.status_code == 401 and answer.json()["error"]["code"] == "unauthenticated"
        assert answer.headers["www-authenticate"].startswith("Bearer")
    assert table_rows(location) == before
    Partners(campaign_app).revoke("youth-link", by="sam.lee")
    assert send(client, REFERRAL, token).status_code == 401


def test_the_api_is_described(client_at) -> None:  # type: ignore[no-untyped-def]
    client = client_at()
    spec = client.get("/api/openapi.json").json()
    assert spec["openapi"].startswith("3.1") and "/api/v1/applications" in spec["paths"]
    page = client.get("/api/docs")
    assert page.status_code == 200 and "Authorization: Bearer TOKEN" in page.text and "YL-2026-0042" in page.text


def test_panel_partner_commands(panel) -> None:  # type: ignore[no-untyped-def]
    panel("init")
    added = panel("partner", "add", "Youth-Link", "--by", "sam.lee")
    lines = added.out.strip().splitlines()
    assert lines[0] == "Added partner youth-link. Its token (shown only now):"
    assert lines[1].startswith("youth-link.") and len(lines[1]) > 40
    assert lines[1] not in panel("partner", "list", "--json").out  # the token is never shown again
    assert panel("partner", "add", "youth-link", "--by", "x", code=1).err.strip() == (
        "Error: partner youth-link already exists: choose another name"
    )
    assert "is not 2 to 40 letters" in panel("partner", "add", "a b", "--by", "x", code=1).err
    assert panel("partner", "revoke", "youth-link", "--by", "sam.lee").out.strip() == (
        "Revoked the token of partner youth-link"
    )
    (listed,) = json.loads(panel("partner", "list", "--json").out)["partners"]
    assert listed["name"] == "youth-link" and listed["revoked_at"] is not None
