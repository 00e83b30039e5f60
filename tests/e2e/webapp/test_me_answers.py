"""Changing one's answers at /me/TOKEN/answers, on SQLite and PostgreSQL: the campaign's questions with the
answers held; a change is AttributesUpdated captured by self_service; hostile values write nothing."""

from __future__ import annotations

import json
from datetime import timedelta

import pytest

from panel.config import StoreLocation
from panel.links import make_token, store_secret
from panel.queries import Queries
from panel.registration import Registration
from panel.validation import SignUp
from tests.e2e.webapp.conftest import DURING
from tests.e2e.webapp.test_apply_http import GOOD, csrf_of, post
from tests.e2e.webapp.test_self_service_changes import applicant, me_link
from tests.helpers.events import events_of
from tests.helpers.store import table_rows

SAME = {"attr.age_band": "18-21", "attr.gender": "describe", "attr.gender.describe": "genderqueer",
        "attr.imd_decile": "prefer_not_to_say"}  # fmt: skip


def test_a_person_changes_an_answer(client_at, outbox, campaign_app, location: StoreLocation) -> None:  # type: ignore[no-untyped-def]
    client = client_at()
    assert post(client, GOOD).status_code == 303
    me = me_link(outbox)
    assert f'href="{me}/answers"' in client.get(me).text
    page = client.get(f"{me}/answers")
    assert page.status_code == 200 and page.headers["cache-control"] == "no-store"
    assert "How old are you?" in page.text and 'value="genderqueer"' in page.text  # the answers held, shown
    assert 'value="18-21" checked' in page.text and 'value="prefer_not_to_say" checked' in page.text
    token = csrf_of(page.text)
    before = table_rows(location)
    same = client.post(f"{me}/answers", data={**SAME, "csrf_token": token})
    assert same.status_code == 303 and table_rows(location) == before  # nothing changed, nothing written
    changed = client.post(f"{me}/answers", data={**SAME, "attr.age_band": "22-25", "attr.gender.describe": "agender",
                                                  "csrf_token": token})  # fmt: skip
    assert changed.status_code == 303 and changed.headers["location"] == me
    person = applicant(campaign_app)
    held = Queries(campaign_app).participant(person.id).personal.attributes
    assert held == {"age_band": "22-25", "gender": "agender", "imd_decile": "prefer_not_to_say"}
    (_, topic, state) = events_of(location, person.id)[-1]
    assert topic.endswith("AttributesUpdated") and state["captured_by"] == "self_service"
    assert "agender" not in json.dumps(state)  # sealed, never in clear
    shown = client.get(me).text
    assert "22-25" in shown and "agender" in shown
    pnts = client.post(f"{me}/answers", data={**SAME, "attr.age_band": "prefer_not_to_say", "csrf_token": token})
    assert pnts.status_code == 303
    assert Queries(campaign_app).participant(person.id).personal.attributes["age_band"] == "prefer_not_to_say"


HOSTILE = [
    pytest.param({"attr.age_band": "99-100"}, 400, "attr-age_band", id="answer-not-offered"),
    pytest.param(
        {"attr.imd_decile": "describe", "attr.imd_decile.describe": "x"},
        400,
        "attr-imd_decile",
        id="describe-where-not-offered",
    ),  # fmt: skip
    pytest.param({"attr.gender": "describe", "attr.gender.describe": ""}, 400, "attr-gender-describe", id="empty"),
    pytest.param({"attr.gender": "describe", "attr.gender.describe": "a\u202eb"}, 400, "attr-gender", id="bidi"),
    pytest.param({"attr.gender": "describe", "attr.gender.describe": "a\x00b"}, 400, "attr-gender", id="nul"),
    pytest.param({"attr.gender": "describe", "attr.gender.describe": "x" * 5000}, 400, "attr-gender", id="oversized"),
    pytest.param({"attr.age_band": ["18-21", "22-25"]}, 400, None, id="repeated-field"),
    pytest.param({"csrf_token": "0" * 64}, 403, None, id="wrong-csrf"),
]


@pytest.mark.parametrize(("change", "status", "field"), HOSTILE)
def test_hostile_answers_write_nothing(client_at, outbox, location: StoreLocation, change, status, field) -> None:  # type: ignore[no-untyped-def]
    client = client_at()
    assert post(client, GOOD).status_code == 303
    me = me_link(outbox)
    token = csrf_of(client.get(f"{me}/answers").text)
    before = table_rows(location)
    answer = client.post(f"{me}/answers", data={**SAME, "csrf_token": token, **change})
    assert answer.status_code == status, answer.text
    if field:
        assert f'<a href="#{field}">' in answer.text and "<title>Error: " in answer.text
    assert table_rows(location) == before


def test_an_erased_person_gets_no_form(client_at, outbox, location: StoreLocation) -> None:  # type: ignore[no-untyped-def]
    client = client_at()
    assert post(client, GOOD).status_code == 303
    me = me_link(outbox)
    token = csrf_of(client.get(f"{me}/erase").text)
    assert client.post(f"{me}/erase", data={"confirm": "yes", "csrf_token": token}).status_code == 200
    page = client.get(f"{me}/answers")
    assert page.status_code == 409 and "/answers" not in page.text and "How old are you?" not in page.text
    before = table_rows(location)
    assert client.post(f"{me}/answers", data={**SAME, "attr.age_band": "22-25", "csrf_token": token}).status_code == 409
    assert table_rows(location) == before


def test_someone_not_from_a_campaign_changes_their_own_answers(
    client_at, campaign_app, location: StoreLocation
) -> None:  # type: ignore[no-untyped-def]
    signup = SignUp(ref="IMP-1", channel="paper", captured_by="amy", personal={"name": "Ann Lee"}, at=DURING,
                    attributes={"Home town": "Leeds", "housing": "renting"})  # fmt: skip
    pid = Registration(campaign_app).register(signup)
    key = store_secret(campaign_app.keys, "web_signing")
    me = f"/me/{make_token(key, 'me', pid, DURING + timedelta(days=1))}"
    client = client_at()
    page = client.get(f"{me}/answers")
    assert page.status_code == 200 and "How old are you?" not in page.text  # no campaign: their own answers
    assert 'name="attr.home_town.describe"' in page.text and 'value="Leeds"' in page.text
    token = csrf_of(page.text)
    kept = {"attr.home_town": "describe", "attr.home_town.describe": "Leeds", "attr.housing": "describe",
            "attr.housing.describe": "renting", "csrf_token": token}  # fmt: skip
    before = table_rows(location)
    offered = client.post(f"{me}/answers", data={**kept, "attr.housing": "renting"})  # only describe or prefer not
    assert offered.status_code == 400 and '<a href="#attr-housing">' in offered.text
    assert table_rows(location) == before
    done = client.post(f"{me}/answers", data={**kept, "attr.housing": "prefer_not_to_say"})
    assert done.status_code == 303
    held = Queries(campaign_app).participant(pid).personal.attributes
    assert held == {"home_town": "Leeds", "housing": "prefer_not_to_say"}
    (_, topic, state) = events_of(location, pid)[-1]
    assert topic.endswith("AttributesUpdated") and state["captured_by"] == "self_service"
