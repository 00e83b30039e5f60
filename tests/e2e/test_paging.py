"""Listings page (--limit/--offset, or --after on the event log) on SQLite and PostgreSQL.

Each listing is walked a page at a time with the real `panel` script, following `next` in its
--json output: every row is visited exactly once, in the same order one big page gives, and a
paged `participant list` records access only to the people it showed.
"""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

PEOPLE = 13  # more than two pages of 5


def _import(panel: Any, folder: Path) -> list[str]:
    """Sign up PEOPLE people (each consenting, expiring on a different day) and return their references."""
    refs = [f"PG-{i:03d}" for i in range(1, PEOPLE + 1)]
    rows = ["ref,channel,name,registered_at,consent_panel_membership,consent_at,consent_panel_membership_valid_for"]
    rows += [f"{r},online,Person {i},2026-01-{i:02d},v1,2026-01-{i:02d},{30 + i}d" for i, r in enumerate(refs, 1)]
    path = folder / "people.csv"
    path.write_text("\n".join(rows) + "\n", encoding="utf-8")
    panel("participant", "import", str(path))
    return refs


def _walk(panel: Any, args: list[str], key: str, limit: int, env: dict[str, str] | None = None) -> list[Any]:
    """Every row of a listing, page by page (following `next`); checks the paging fields on each page."""
    rows: list[Any] = []
    offset: int | None = 0
    pages = 0
    while offset is not None:
        ran = panel(*args, "--limit", str(limit), "--offset", str(offset), "--json", env=env)
        page = json.loads(ran.out)
        assert (page["limit"], page["offset"]) == (limit, offset)
        assert len(page[key]) <= limit
        assert page["next"] is None or (page["next"] == offset + limit and len(page[key]) == limit)
        rows += page[key]
        offset, pages = page["next"], pages + 1
    assert pages >= 1
    return rows


def test_participant_list_pages_through_everyone_once(app, panel, tmp_path: Path) -> None:  # type: ignore[no-untyped-def]
    refs = _import(panel, tmp_path)
    pager = {"PANEL_USER": "pager"}
    walked = [p["ref"] for p in _walk(panel, ["participant", "list"], "participants", 5, pager)]
    assert walked == refs  # each exactly once, oldest sign-up first
    whole = json.loads(panel("participant", "list", "--limit", "100", "--json").out)
    assert [p["ref"] for p in whole["participants"]] == walked and whole["next"] is None
    shown = json.loads(panel("audit", "access", "--actor", "pager", "--json").out)["access"]
    assert [s["people_shown"] for s in shown] == [5, 5, 3]  # each page recorded the people on it, no more
    last = json.loads(panel("audit", "access", "--participant", refs[-1], "--json").out)["access"]
    assert [(s["actor"], s["people_shown"]) for s in last] == [("pager", 3), (last[-1]["actor"], PEOPLE)]
    table = panel("participant", "list", "--limit", "5", "--offset", "5").out
    assert "Showing participants 6-10; next page: --offset 10 --limit 5" in table
    assert refs[5] in table and refs[4] not in table and refs[10] not in table
    assert "this is the last page" in panel("participant", "list", "--limit", "5", "--offset", "10").out
    beyond = json.loads(panel("participant", "list", "--offset", "99", "--json").out)
    assert beyond["participants"] == [] and beyond["next"] is None


def test_other_listings_page_in_a_stable_order(app, panel, tmp_path: Path) -> None:  # type: ignore[no-untyped-def]
    from panel.engagements import Engagements
    from panel.partners import Partners
    from panel.staff import Staff

    refs = _import(panel, tmp_path)  # the `app` fixture set the store up as `panel init` does
    for name in ("ann", "bo", "cy"):  # set up in process: only the listings need the script
        Staff(app).add(name, "recruiter", "a long passphrase 42", by="x")
        Partners(app).add(f"{name}-org", by="x")
    for i in range(3):
        Engagements(app).open_engagement(
            name=f"Panel {i}", purpose="p", kind="consult", ref=f"eng-{i}", sessions=[], day_rate_pence=0
        )
    for args, key, field, expected, limit in (
        (["staff", "list"], "staff", "name", ["ann", "bo", "cy"], 2),
        (["partner", "list"], "partners", "name", ["ann-org", "bo-org", "cy-org"], 2),
        (["engagement", "list"], "engagements", "ref", ["eng-0", "eng-1", "eng-2"], 2),
        (["consent", "expiring", "--within", "1y", "--as-of", "2026-01-20"], "consents", "ref", refs, 5),
    ):
        assert [r[field] for r in _walk(panel, args, key, limit)] == expected, args
    walked = _walk(panel, ["audit", "access", "--actor", "pager"], "access", 1)
    assert walked == []
    for i in range(3):
        panel("participant", "list", "--limit", "1", "--offset", str(i), env={"PANEL_USER": "pager"})
    assert [a["people_shown"] for a in _walk(panel, ["audit", "access", "--actor", "pager"], "access", 2)] == [1] * 3


def test_audit_log_reads_on_with_next(app, panel, tmp_path: Path) -> None:  # type: ignore[no-untyped-def]
    _import(panel, tmp_path)  # the `app` fixture set the store up as `panel init` does
    whole = json.loads(panel("audit", "log", "--limit", "1000", "--json").out)
    assert whole["next"] is None and len(whole["events"]) > 10
    positions: list[int] = []
    after: int | None = 0
    while after is not None:
        page = json.loads(panel("audit", "log", "--after", str(after), "--limit", "12", "--json").out)
        assert len(page["events"]) <= 12 and page["after"] == after
        positions += [e["position"] for e in page["events"]]
        after = page["next"]
    assert positions == [e["position"] for e in whole["events"]]
    assert len(set(positions)) == len(positions)


def test_pay_invitation_and_retention_listings_page_with_totals_over_all(  # type: ignore[no-untyped-def]
    app, projector, panel
) -> None:
    from panel.payments import Payments
    from panel.payments.ledger import totals
    from projections.ledger import stream_ledger_lines
    from tests.helpers.vested_case import DAYS, at, open_vested

    eid, pids = open_vested(app, people=3, days=DAYS[:2])  # 3 people, 2 days: 6 fee lines
    Payments(app).accrue(eid, by="sam", at=at("2026-03-11"))
    lines = list(stream_ledger_lines(app, projector.engine))
    assert len(lines) == 6
    pages = [json.loads(panel("pay", "ledger", "--limit", "4", "--offset", str(o), "--json").out) for o in (0, 4)]
    assert [(p["offset"], p["next"]) for p in pages] == [(0, 4), (4, None)]
    assert [x["id"] for p in pages for x in p["lines"]] == [str(line.id) for line in lines]
    whole = {k: getattr(totals(lines), k) for k in pages[0]["totals"]}
    assert pages[0]["totals"] == pages[1]["totals"] == whole and whole["accrued"] == 6 * 35000  # over every line
    table = panel("pay", "ledger", "--limit", "4").out
    assert "next page: --offset 4 --limit 4" in table and "6 lines: accrued £2,100.00" in table

    owed = json.loads(panel("pay", "outstanding", "--limit", "2", "--json").out)
    assert [g["participant"] for g in owed["outstanding"]] == ["VES-001", "VES-002"]
    assert (owed["groups"], owed["amount_pence"], owed["next"]) == (3, 210000, 2)  # over every group
    last = panel("pay", "outstanding", "--limit", "2", "--offset", "2").out
    assert "VES-003" in last and "VES-002" not in last and "3 groups, £2,100.00 outstanding" in last

    periods = _walk(panel, ["pay", "totals"], "totals", 4)
    assert [(t["participant_ref"], t["period"]) for t in periods] == [
        (ref, period) for ref in ("VES-001", "VES-002", "VES-003") for period in ("tax_year", "benefit_week")
    ]
    assert {t["income_pence"] for t in periods} == {70000}  # each person's total over both their lines

    invited = json.loads(panel("invitations", "status", "vested", "--limit", "2", "--json").out)
    assert [i["ref"] for i in invited["invitations"]] == ["VES-001", "VES-002"] and invited["next"] == 2
    last = panel("invitations", "status", "vested", "--limit", "2", "--offset", "2").out
    assert "VES-003" in last and "VES-001" not in last and "3 accepted" in last  # counted over everyone

    plan = ["retention", "plan", "--as-of", "2040-01-01", "--limit", "2"]  # all inactive, kept by unpaid fees
    first = json.loads(panel(*plan, "--json").out)
    assert [d["participant"] for d in first["kept"]] == ["VES-001", "VES-002"]
    assert (first["kept_total"], first["erase_total"], first["next"]) == (3, 0, 2)
    last = panel(*plan, "--offset", "2").out
    assert "VES-003" in last and "VES-002" not in last and "0 to erase, 3 kept" in last
    assert set(pids) == {"VES-001", "VES-002", "VES-003"}
