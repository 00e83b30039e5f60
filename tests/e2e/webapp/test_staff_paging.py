"""The staff listings a page at a time, on SQLite and PostgreSQL: `/staff/audit` newest first, 50 records a page
(``PAGE_SIZE``), with Previous and Next links, reading only the page's records; `/staff/payments` a page of
groups with the count and total over every group, through the fold and through the ledger view; and every
bad ``?page=`` answered 400 (or 404 after the last page) with a link to the first page, nothing echoed or written."""

from __future__ import annotations

import re
from datetime import timedelta

import pytest

from panel.access import AccessLog
from panel.application import PanelApp
from panel.config import StoreLocation
from panel.payments import Payments
from panel.staff import Staff
from tests.e2e.webapp.conftest import DURING
from tests.e2e.webapp.test_staff import PASSWORD, sign_in
from tests.e2e.webapp.test_staff_roles import named_vested
from tests.helpers.store import table_rows
from web import staff_pages
from web.staff_pages import PAGE_SIZE

RECORDS = PAGE_SIZE + 3
ACTORS = [f"actor.{i:03d}" for i in range(RECORDS)]  # in the order recorded: the last is the newest
ROW_ACTOR = re.compile(r"<tr><td>[^<]*</td><td>(actor\.\d{3})</td>")
ROW_PERSON = re.compile(r"<tr><td>vested</td><td>(VES-\d{3})</td>")


def _auditor(client_at, app: PanelApp):  # type: ignore[no-untyped-def]
    Staff(app).add("aud.one", "auditor", PASSWORD, by="sam.lee", at=DURING - timedelta(days=1))
    client = client_at()
    assert sign_in(client, "aud.one").status_code == 303
    return client


def _record_all(app: PanelApp) -> None:
    _, pids = named_vested(app, people=1)
    for i, actor in enumerate(ACTORS):
        AccessLog(app).record(actor, "participant show", [pids["VES-001"]], at=DURING + timedelta(minutes=i))


def test_the_audit_page_pages_the_access_records_newest_first(client_at, campaign_app: PanelApp) -> None:  # type: ignore[no-untyped-def]
    _record_all(campaign_app)
    client = _auditor(client_at, campaign_app)
    first = client.get("/staff/audit")
    assert first.status_code == 200 and "The chain is intact" in first.text
    assert ROW_ACTOR.findall(first.text) == ACTORS[::-1][:PAGE_SIZE]  # the newest 50, newest first
    assert f"Showing 1 to {PAGE_SIZE} of {RECORDS} records" in first.text
    assert '<nav class="pagination" aria-label="Pagination">' in first.text
    assert 'href="/staff/audit?page=2" rel="next"' in first.text and 'rel="prev"' not in first.text
    assert 'aria-label="Page 1" aria-current="page">1</a>' in first.text
    assert "<title>Audit (page 1 of 2) - " in first.text
    assert ROW_ACTOR.findall(client.get("/staff/audit", params={"page": "1"}).text) == ROW_ACTOR.findall(first.text)
    second = client.get("/staff/audit", params={"page": "2"})
    assert second.status_code == 200
    assert ROW_ACTOR.findall(second.text) == ACTORS[::-1][PAGE_SIZE:] == ["actor.002", "actor.001", "actor.000"]
    assert f"Showing {PAGE_SIZE + 1} to {RECORDS} of {RECORDS} records" in second.text
    assert 'href="/staff/audit?page=1" rel="prev"' in second.text and 'rel="next"' not in second.text
    assert 'aria-label="Page 2" aria-current="page">2</a>' in second.text
    after = client.get("/staff/audit", params={"page": "3"})
    assert after.status_code == 404 and "the last is page 2" in after.text and "actor." not in after.text
    assert '<a href="/staff/audit">Go to the first page</a>' in after.text


def test_one_page_of_records_has_no_pagination(client_at, campaign_app: PanelApp) -> None:  # type: ignore[no-untyped-def]
    _, pids = named_vested(campaign_app, people=1)
    AccessLog(campaign_app).record("actor.000", "participant show", [pids["VES-001"]], at=DURING)
    page = _auditor(client_at, campaign_app).get("/staff/audit")
    assert ROW_ACTOR.findall(page.text) == ["actor.000"] and "Showing 1 to 1 of 1 records" in page.text
    assert 'class="pagination"' not in page.text and "<title>Audit - " in page.text


def test_a_page_of_records_loads_only_its_own(campaign_app: PanelApp, monkeypatch: pytest.MonkeyPatch) -> None:
    """Memory bounded by the page: the database counts the records (no pass over their ids in Python), then only
    the page's ids are read (by position, in the database) and only its records loaded and decoded. The store
    holds other events too (the staff account, the campaign, the participant), so a count of them is wrong."""
    from panel.access import RECORDED
    from panel.paging import Page

    _record_all(campaign_app)
    loaded: list[object] = []
    real_load, real_page, real_count = campaign_app.load, campaign_app.originators_page, campaign_app.originators_count
    monkeypatch.setattr(campaign_app, "load", lambda aid, kind: loaded.append(aid) or real_load(aid, kind))
    read: list[tuple[str, int, int]] = []
    monkeypatch.setattr(campaign_app, "originators_page", lambda *asked: read.append(asked) or real_page(*asked))
    counted: list[str] = []
    monkeypatch.setattr(campaign_app, "originators_count", lambda topic: counted.append(topic) or real_count(topic))
    monkeypatch.setattr(campaign_app, "originators", lambda topic: pytest.fail(f"streamed every id of {topic}"))
    entries, total = AccessLog(campaign_app).newest(Page(PAGE_SIZE, PAGE_SIZE))
    assert [e.actor for e in entries] == ["actor.002", "actor.001", "actor.000"] and total == RECORDS
    assert len(loaded) == 3 and read == [(RECORDED, 0, 3)] and counted == [RECORDED]
    assert AccessLog(campaign_app).newest(Page(PAGE_SIZE, 2 * PAGE_SIZE)) == ([], RECORDS)


BAD_PAGES = ["0", "-1", "abc", "1.5", "", " 1", "+1", "0x1", "\uff11", "\u0661", "1e3", "\u00b2", "9" * 8, "9" * 40,
             "<script>alert(1)</script>"]  # fmt: skip


@pytest.mark.parametrize("path", ["/staff/audit", "/staff/payments"])
def test_bad_page_numbers_are_400_and_change_nothing(client_at, campaign_app: PanelApp, location: StoreLocation,
                                                     path: str) -> None:  # type: ignore[no-untyped-def]  # fmt: skip
    named_vested(campaign_app, people=1)
    Staff(campaign_app).add("ada.admin", "admin", PASSWORD, by="sam.lee", at=DURING - timedelta(days=1))
    client = client_at()
    assert sign_in(client, "ada.admin").status_code == 303
    before = table_rows(location)
    for bad in [*([("page", value)] for value in BAD_PAGES), [("page", "1"), ("page", "2")]]:
        answer = client.get(path, params=bad)
        assert answer.status_code == 400, (bad, answer.status_code)
        assert "That is not a page of this list: pages are numbered from 1." in answer.text, bad
        assert f'<a href="{path}">Go to the first page</a>' in answer.text
        assert "<title>Page not found: " in answer.text
        assert "Traceback" not in answer.text and "<script>alert" not in answer.text and "9" * 8 not in answer.text
    huge = client.get(path, params={"page": "9" * 7})  # a page number, far after the last page
    assert huge.status_code == 404 and "the last is page 1." in huge.text
    assert table_rows(location) == before


@pytest.mark.parametrize("views", [False, True], ids=["events", "ledger-view"])
def test_the_payments_page_pages_the_groups_and_totals_them_all(  # type: ignore[no-untyped-def]
    client_at, campaign_app: PanelApp, monkeypatch: pytest.MonkeyPatch, views: bool
) -> None:
    eid, pids = named_vested(campaign_app, people=6)
    Payments(campaign_app).accrue(eid, by="sam")
    # accrued after everyone's fees: in the fold's order VES-001's lines are apart, yet one group
    Payments(campaign_app).claim_expense(eid, pids["VES-001"], category="travel", amount_pence=1240, receipt="bus",
                                         by="sam")  # fmt: skip
    monkeypatch.setattr(staff_pages, "PAGE_SIZE", 4)  # 6 people: a page of 4 groups, then one of 2
    Staff(campaign_app).add("fin.one", "finance", PASSWORD, by="sam.lee", at=DURING - timedelta(days=1))
    client = client_at(views=views)
    assert sign_in(client, "fin.one").status_code == 303
    total = sum(line.amount_pence for line in Payments(campaign_app).lines())
    summary = f"6 groups, £{total // 100}.{total % 100:02d} outstanding"
    first = client.get("/staff/payments")
    assert first.status_code == 200 and summary in first.text  # over every group, not the page's
    assert ROW_PERSON.findall(first.text) == ["VES-001", "VES-002", "VES-003", "VES-004"]
    assert "Showing 1 to 4 of 6 groups" in first.text
    assert 'href="/staff/payments?page=2" rel="next"' in first.text and 'rel="prev"' not in first.text
    second = client.get("/staff/payments", params={"page": "2"})
    assert second.status_code == 200 and summary in second.text
    assert ROW_PERSON.findall(second.text) == ["VES-005", "VES-006"] and "Showing 5 to 6 of 6 groups" in second.text
    assert 'href="/staff/payments?page=1" rel="prev"' in second.text and 'rel="next"' not in second.text
    after = client.get("/staff/payments", params={"page": "3"})
    assert after.status_code == 404 and "the last is page 2." in after.text and "VES-" not in after.text
