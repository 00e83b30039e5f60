"""Staff roles on the web pages, on SQLite and PostgreSQL (panel.staff_roles): every role against every
staff route (200, 303 or 403; a 403, and any POST by an auditor, writes nothing), the recruiter's
participant page recording exactly one DataAccess that `panel audit access` shows, the finance page
naming nobody, and the auditor's page showing the chain's status and the access records."""

from __future__ import annotations

import json
from datetime import timedelta
from uuid import UUID

import pytest
from eventsourcing.utils import get_topic

from panel.access import AccessLog
from panel.application import PanelApp
from panel.config import StoreLocation
from panel.domain.access import DataAccess
from panel.payments import Payments
from panel.queries import Queries
from panel.registration import Registration
from panel.staff import Staff
from panel.staff_roles import GRANTS, PERMISSIONS, may
from tests.e2e.webapp.conftest import DURING
from tests.e2e.webapp.test_apply_http import csrf_of
from tests.e2e.webapp.test_staff import PASSWORD, PHONE_ENTRY, sign_in
from tests.helpers.store import table_rows
from tests.helpers.tamper import flip_byte
from tests.helpers.vested_case import DAYS, open_vested

NAMES = ("Quinn Marlowe", "Rory Ashdown")
ROLES = ("recruiter", "finance", "auditor", "admin")
PARTICIPANT = "/staff/participants/VES-001"
ALLOWED = {  # written out here, not read from panel.staff_roles, so a change to the grants fails this test
    "recruiter": {"/staff", "/staff/apply/youth-2026", "/staff/participants", PARTICIPANT},
    "finance": {"/staff", "/staff/payments"},
    "auditor": {"/staff", "/staff/audit"},
    "admin": {"/staff", "/staff/apply/youth-2026", "/staff/participants", PARTICIPANT, "/staff/payments",
              "/staff/audit"},
}  # fmt: skip
GETS = ALLOWED["admin"]


def named_vested(app: PanelApp, people: int = 2) -> tuple[UUID, dict[str, UUID]]:
    """The Vested case (attended, so payments accrue), each person with a stored name and email."""
    eid, pids = open_vested(app, people=people, days=DAYS[:2])
    for (ref, pid), name in zip(pids.items(), NAMES, strict=False):
        personal = {"name": name, "email": f"{ref.lower()}@example.org"}
        Registration(app).update_personal(pid, personal=personal, attributes={}, captured_by="sam.lee")
    return eid, pids


def access_records(app: PanelApp) -> list[DataAccess]:
    return [app.load(i, DataAccess) for i in app.originators(get_topic(DataAccess.Recorded))]


def test_the_role_table() -> None:
    assert set(GRANTS) == set(ROLES)
    assert GRANTS["admin"] == set(PERMISSIONS)
    assert [p for p in PERMISSIONS if may("auditor", p)] == ["view_audit"]  # auditors only read
    assert not may("recruiter", "view_payments") and not may("finance", "enter_applications")
    assert not may("finance", "view_participants") and not may("nobody", "view_audit")


@pytest.mark.parametrize("role", ROLES)
def test_every_role_against_every_staff_route(
    role: str, client_at, campaign_app: PanelApp, location: StoreLocation
) -> None:  # type: ignore[no-untyped-def]
    named_vested(campaign_app)
    Staff(campaign_app).add("pat.role", role, PASSWORD, by="sam.lee", at=DURING - timedelta(days=1))
    client = client_at()
    assert sign_in(client, "pat.role").status_code == 303
    home = client.get("/staff").text
    token = csrf_of(home)
    for page_path in ("/staff/participants", "/staff/payments", "/staff/audit"):  # the home links what the role may
        assert (f'href="{page_path}"' in home) == (page_path in ALLOWED[role]), (role, page_path)
    for path in sorted(GETS):
        before = table_rows(location)
        page = client.get(path)
        allowed = path in ALLOWED[role]
        assert page.status_code == (200 if allowed else 403), (role, path, page.status_code)
        if not allowed:
            assert "Your role cannot do this" in page.text and "Nothing was changed" in page.text
            assert table_rows(location) == before, (role, path)
        elif path != PARTICIPANT:
            assert table_rows(location) == before, (role, path)  # only the participant page records
    before = table_rows(location)
    posted = client.post("/staff/apply/youth-2026", data={**PHONE_ENTRY, "csrf_token": token})
    if "/staff/apply/youth-2026" in ALLOWED[role]:
        assert posted.status_code == 303 and table_rows(location) != before
    else:
        assert posted.status_code == 403 and table_rows(location) == before
    before = table_rows(location)
    assert client.post("/staff/sign-out", data={"csrf_token": token}).status_code == 303
    assert table_rows(location) == before
    assert {path: client.get(path).status_code for path in GETS} == dict.fromkeys(GETS, 303)  # signed out


def test_the_participant_page_records_who_saw_whom(client_at, campaign_app: PanelApp, panel) -> None:  # type: ignore[no-untyped-def]
    _, pids = named_vested(campaign_app)
    Staff(campaign_app).add("amy.khan", "recruiter", PASSWORD, by="sam.lee", at=DURING - timedelta(days=1))
    client = client_at()
    assert sign_in(client).status_code == 303
    assert access_records(campaign_app) == []
    found = client.get("/staff/participants", params={"ref": "VES-001"})
    assert found.status_code == 303 and found.headers["location"] == "/staff/participants/VES-001"
    assert access_records(campaign_app) == []  # the lookup form shows nobody
    page = client.get("/staff/participants/VES-001")
    person = Queries(campaign_app).participant(pids["VES-001"])
    assert page.status_code == 200 and person.personal.name == NAMES[0] and NAMES[0] in page.text
    assert "ves-001@example.org" in page.text and NAMES[1] not in page.text
    (record,) = access_records(campaign_app)
    assert (record.actor, record.channel, record.what, record.participant_ids) == (
        "amy.khan", "web", "staff participant page", [pids["VES-001"]]
    )  # fmt: skip
    assert record.at == DURING
    assert [e.actor for e in AccessLog(campaign_app).entries(pids["VES-002"])] == []
    shown = json.loads(panel("audit", "access", "--participant", "VES-001", "--json").out)["access"]
    assert [(s["actor"], s["what"], s["channel"], s["people_shown"]) for s in shown] == [
        ("amy.khan", "staff participant page", "web", 1)
    ]
    assert "amy.khan" in panel("audit", "access", "--participant", "VES-001").out
    for missing in ("/staff/participants/NOPE-999", "/staff/participants/" + "X" * 101):
        unknown = client.get(missing)
        assert unknown.status_code == 404 and "No participant has that reference" in unknown.text
    empty = client.get("/staff/participants", params={"ref": ""})
    assert empty.status_code == 400 and "Enter a participant reference" in empty.text
    assert len(access_records(campaign_app)) == 1  # nothing recorded for nobody shown


@pytest.mark.parametrize("views", [False, True], ids=["events", "ledger-view"])
def test_finance_sees_amounts_by_reference_and_no_names(client_at, campaign_app: PanelApp, views: bool) -> None:  # type: ignore[no-untyped-def]
    eid, pids = named_vested(campaign_app)
    Payments(campaign_app).accrue(eid, by="sam")
    Staff(campaign_app).add("fin.one", "finance", PASSWORD, by="sam.lee", at=DURING - timedelta(days=1))
    client = client_at(views=views)
    assert sign_in(client, "fin.one").status_code == 303
    page = client.get("/staff/payments")
    assert page.status_code == 200
    lines = Payments(campaign_app).lines()
    assert lines and {line.status for line in lines} == {"accrued"}
    for ref in pids:
        assert f"<td>{ref}</td>" in page.text
    assert "awaiting approval" in page.text
    total = sum(line.amount_pence for line in lines)
    assert f"£{total // 100}.{total % 100:02d} outstanding" in page.text
    assert [name for name in NAMES if name in page.text] == [] and "@example.org" not in page.text
    assert access_records(campaign_app) == []


def test_the_auditor_sees_the_chain_and_the_access_records(client_at, campaign_app: PanelApp) -> None:  # type: ignore[no-untyped-def]
    _, pids = named_vested(campaign_app, people=1)
    AccessLog(campaign_app).record("sam.lee", "participant show", [pids["VES-001"]], at=DURING)
    Staff(campaign_app).add("aud.one", "auditor", PASSWORD, by="sam.lee", at=DURING - timedelta(days=1))
    client = client_at()
    assert sign_in(client, "aud.one").status_code == 303
    page = client.get("/staff/audit")
    assert page.status_code == 200
    assert "The chain is intact" in page.text
    assert "<td>sam.lee</td><td>participant show</td><td>cli</td>" in page.text
    assert NAMES[0] not in page.text and "ves-001@example.org" not in page.text


def test_the_audit_page_names_a_broken_chain(client_at, campaign_app: PanelApp, location: StoreLocation) -> None:  # type: ignore[no-untyped-def]
    named_vested(campaign_app, people=1)
    Staff(campaign_app).add("aud.one", "auditor", PASSWORD, by="sam.lee", at=DURING - timedelta(days=1))
    client = client_at()
    assert sign_in(client, "aud.one").status_code == 303
    flip_byte(location, 3)  # someone with the owner's rights changes the third event
    page = client.get("/staff/audit")
    assert page.status_code == 200 and "The chain is broken at position 3 (changed)" in page.text


HOSTILE = [  # (method, path, params): each answered 4xx, nothing written, nothing echoed
    ("GET", "/staff/participants/<script>alert(1)</script>", None),
    ("GET", "/staff/participants/VES-001%0D%0ASet-Cookie:%20x=1", None),
    ("GET", "/staff/participants/" + "A" * 101, None),
    ("GET", "/staff/participants/..%2F..%2Fetc%2Fpasswd", None),
    ("GET", "/staff/participants/' OR 1=1 --", None),
    ("GET", "/staff/participants", {"ref": "B" * 101}),
    ("GET", "/staff/participants", {"ref": "   "}),
    ("POST", "/staff/participants/VES-001", None),
    ("POST", "/staff/payments", None),
    ("POST", "/staff/audit", None),
]


@pytest.mark.parametrize(("method", "path", "params"), HOSTILE)
def test_hostile_staff_requests_are_refused_and_write_nothing(
    method, path, params, client_at, campaign_app, location
) -> None:  # type: ignore[no-untyped-def]
    named_vested(campaign_app, people=1)
    Staff(campaign_app).add("ada.admin", "admin", PASSWORD, by="sam.lee", at=DURING - timedelta(days=1))
    client = client_at()
    assert sign_in(client, "ada.admin").status_code == 303
    before = table_rows(location)
    answer = client.request(method, path, params=params)
    assert 400 <= answer.status_code < 500, (path, answer.status_code)
    assert "<script>alert" not in answer.text and "Traceback" not in answer.text
    assert table_rows(location) == before
