"""Consent with an expiry, on SQLite and PostgreSQL: it counts as absent from that moment, in the
pool (the domain's rules and the consent view alike) and for invitations; a draw made before the
expiry still verifies after it; `panel consent expiring` lists exactly whom to ask again; a renewal
takes them off the list; a campaign's validity period gives every grant through it an expiry.
"""

from __future__ import annotations

import json
from datetime import UTC, date, datetime, timedelta
from pathlib import Path
from uuid import UUID

import pytest

from panel.application import PanelApp
from panel.campaign_values import Answers
from panel.campaigns import Campaigns
from panel.domain.errors import ConsentStateError, PanelError
from panel.domain.participant import Participant
from panel.draws import Draws
from panel.draws.pool_builder import build_pool
from panel.engagements import Engagements
from panel.participation import Participation
from panel.registration import Registration
from panel.validation import ConsentSpec, SignUp
from projections.consent_report import pool_candidates
from projections.engine import Projector
from tests.helpers.draw_case import DRAW_AT, T0, loose_quotas, populate
from tests.helpers.paths import ROOT

EXPIRES = datetime(2026, 6, 1, tzinfo=UTC)
BEFORE, AFTER = EXPIRES - timedelta(seconds=1), EXPIRES


def both(ref: str, membership_expires: datetime | None = None, contact_expires: datetime | None = None) -> SignUp:
    return SignUp(
        ref=ref,
        channel="online",
        at=T0,
        personal={"name": f"Name of {ref}"},
        consents=(
            ConsentSpec("contact", "v3", "online", "self", T0, contact_expires),
            ConsentSpec("panel_membership", "v3", "online", "self", T0, membership_expires),
        ),
    )


def register(app: PanelApp, signups: list[SignUp]) -> dict[str, UUID]:
    return {s.ref: Registration(app).register(s) for s in signups}


def test_a_consent_with_an_expiry_is_in_the_pool_before_and_out_after(app: PanelApp, projector: Projector) -> None:
    ids = register(app, [both("KEEP"), both("LAPSE", EXPIRES), both("RENEW", EXPIRES)])
    eid = Engagements(app).open_engagement(
        name="Expiry panel", purpose="p", kind="consult", sessions=[date(2026, 9, 1)], day_rate_pence=0, at=T0
    )
    engagement = app.repository.get(eid)
    projector.catch_up()
    assert pool_candidates(projector, BEFORE) == set(ids.values())
    assert pool_candidates(projector, AFTER) == {ids["KEEP"]}  # a stored time, compared: no event, no rebuild

    before, after = build_pool(app, engagement, BEFORE), build_pool(app, engagement, AFTER)
    assert {m.id for m in before.members} == set(ids.values())
    assert {m.id for m in after.members} == {ids["KEEP"]}
    assert after.excluded == {"no active panel_membership consent": 2}

    # a renewal (a new grant, with a new expiry) replaces the old expiry; the view re-folds from its stored log
    renewed = EXPIRES + timedelta(days=730)
    Participation(app).grant_consent(
        ids["RENEW"], ConsentSpec("panel_membership", "v3", "online", "self", BEFORE - timedelta(days=1), renewed)
    )
    Participation(app).withdraw_consent(ids["LAPSE"], "contact", at=BEFORE - timedelta(days=2))
    projector.catch_up()
    assert pool_candidates(projector, AFTER) == {ids["KEEP"], ids["RENEW"]}
    assert pool_candidates(projector, renewed) == {ids["KEEP"]}
    assert {m.id for m in build_pool(app, engagement, AFTER).members} == {ids["KEEP"], ids["RENEW"]}
    assert projector.rebuild() and pool_candidates(projector, AFTER) == {ids["KEEP"], ids["RENEW"]}


def test_an_expired_contact_consent_blocks_an_invitation(app: PanelApp) -> None:
    pid = register(app, [both("INV", contact_expires=EXPIRES)])["INV"]
    eid = Engagements(app).open_engagement(
        name="Invite panel", purpose="p", kind="consult", sessions=[date(2026, 9, 1)], day_rate_pence=0, at=T0
    )
    person = app.load(pid, Participant)
    assert person.consent_at("contact", BEFORE) is not None
    assert person.consent_at("contact", AFTER) is None
    with pytest.raises(PanelError, match="has no active 'contact' consent at 2026-06-01"):
        Participation(app).invite(eid, [pid], at=AFTER)
    with pytest.raises(ConsentStateError):  # nothing left to withdraw once it lapsed
        Participation(app).withdraw_consent(pid, "contact", at=AFTER)


def test_a_draw_made_before_the_expiry_still_verifies_after_it(app: PanelApp, panel, tmp_path: Path) -> None:  # type: ignore[no-untyped-def]
    eid = populate(app)
    lapse_at = DRAW_AT + timedelta(days=7)
    expiring = [app.resolve_participant(r) for r in ("V-000", "V-001", "V-002", "V-003")]
    for pid in expiring:  # renewed with a term a week after the draw
        Participation(app).grant_consent(
            pid, ConsentSpec("panel_membership", "v3", "online", "self", T0 + timedelta(days=1), lapse_at)
        )
    draws = Draws(app)
    did = draws.draw(eid, 6, loose_quotas(tmp_path), seed=5, reserves=2, at=DRAW_AT).draw_id
    pool = {UUID(row[0]) for row in draws.get(did).pool}
    assert set(expiring) <= pool
    verified = panel("draw", "verify", str(did))  # the store's clock is now long after the expiry
    assert verified.out.startswith(f"Verified draw {did}"), verified.out + verified.err

    other = Engagements(app).open_engagement(  # nobody is invited to it yet: only consent can leave them out
        name="Another panel", purpose="p", kind="consult", sessions=[date(2026, 9, 1)], day_rate_pence=0, at=T0
    )
    assert set(expiring) <= {m.id for m in build_pool(app, app.repository.get(other), DRAW_AT).members}
    later = build_pool(app, app.repository.get(other), lapse_at)
    assert not set(expiring) & {m.id for m in later.members}
    assert {later.standings[pid].reason for pid in expiring} == {"no active panel_membership consent"}


def test_consent_expiring_lists_exactly_whom_to_ask_again(app: PanelApp, panel) -> None:  # type: ignore[no-untyped-def]
    panel("init")
    as_of = datetime(2026, 5, 1, tzinfo=UTC)
    d = lambda n: as_of + timedelta(days=n)  # noqa: E731
    signups = [
        both("A-SOON", membership_expires=d(10)),
        both("B-LATER", membership_expires=d(40)),
        both("C-NEVER"),
        both("D-LAPSED", membership_expires=d(-5)),
        both("E-RENEWED", membership_expires=d(-5)),
        both("F-WITHDREW", membership_expires=d(10)),
        both("G-ERASED", membership_expires=d(10)),
        both("H-CONTACT", contact_expires=d(20)),
        both("I-EDGE", membership_expires=d(30)),
    ]
    ids = register(app, signups)
    Participation(app).grant_consent(
        ids["E-RENEWED"], ConsentSpec("panel_membership", "v3", "online", "self", d(-1), d(700))
    )
    Participation(app).withdraw_consent(ids["F-WITHDREW"], "panel_membership", "amy", at=d(-2))
    Participation(app).erase(ids["G-ERASED"], "erasure request", at=d(-1))

    def listed(*args: str) -> list[tuple[str, str, str]]:
        data = json.loads(panel("consent", "expiring", "--as-of", "2026-05-01", "--json", *args).out)
        return [(c["ref"], c["purpose"], c["state"]) for c in data["consents"]]

    assert listed("--within", "30d") == [
        ("A-SOON", "panel_membership", "expiring"),
        ("H-CONTACT", "contact", "expiring"),
        ("I-EDGE", "panel_membership", "expiring"),
    ]
    assert listed("--within", "30d", "--purpose", "panel_membership") == [
        ("A-SOON", "panel_membership", "expiring"),
        ("I-EDGE", "panel_membership", "expiring"),
    ]
    assert listed("--within", "29d", "--expired") == [
        ("D-LAPSED", "panel_membership", "expired"),
        ("A-SOON", "panel_membership", "expiring"),
        ("H-CONTACT", "contact", "expiring"),
    ]
    assert ("B-LATER", "panel_membership", "expiring") in listed("--within", "2m")

    table = panel("consent", "expiring", "--as-of", "2026-05-01", "--within", "30d").out
    assert "A-SOON" in table and "2026-05-11" in table and "Name of" not in table

    # a renewal by the CLI takes A-SOON off the list; the history shows the new expiry
    renewed = panel(
        "consent", "grant", "A-SOON", "--purpose", "panel_membership", "--notice-version", "v3", "--method",
        "online", "--captured-by", "self", "--at", "2026-05-01", "--expires-in", "2y",
    )  # fmt: skip
    assert "expires 2028-05-01" in renewed.out, renewed.out
    assert [r for r, _, _ in listed("--within", "30d")] == ["H-CONTACT", "I-EDGE"]
    history = json.loads(panel("consent", "history", "A-SOON", "--json").out)
    membership = [c for c in history["consents"] if c["purpose"] == "panel_membership"]
    assert [(c["state"], c["expires_at"]) for c in membership] == [
        ("superseded", "2026-05-11T00:00:00+00:00"),
        ("active", "2028-05-01T00:00:00+00:00"),
    ]
    lapsed = json.loads(panel("consent", "history", "D-LAPSED", "--json").out)
    assert "panel_membership" not in lapsed["active"]
    assert {c["purpose"]: c["state"] for c in lapsed["consents"]}["panel_membership"] == "expired"
    shown = panel("participant", "show", "D-LAPSED").out
    assert "2026-04-26" in shown and "expired" in shown


def test_a_campaigns_validity_period_gives_every_grant_through_it_an_expiry(app: PanelApp, panel) -> None:  # type: ignore[no-untyped-def]
    panel("init")
    examples = ROOT / "examples" / "campaign"
    panel("engagement", "open", "Youth panel", "--ref", "youth", "--type", "involve", "--purpose", "p")
    panel(
        "campaign", "open", "youth-2026", "--engagement", "youth", "--opens", "2026-03-01", "--closes",
        "2026-03-14", "--questions", str(examples / "questions.csv"), "--notice", str(examples / "notice-v3.md"),
        "--phone", "0113 496 0000", "--consent-valid-for", "panel_membership=2y",
    )  # fmt: skip
    assert "panel_membership 2y" in panel("campaign", "show", "youth-2026").out
    campaign = Campaigns(app).get("youth-2026")
    at = datetime(2026, 3, 5, 10, tzinfo=UTC)
    answers = Answers(
        personal={"name": "Ann Example", "email": "ann@example.org"}, consents=("contact", "panel_membership")
    )
    pid = Campaigns(app).apply(campaign, answers, at=at)
    expiries = {e.purpose: e.expires_at for e in app.load(pid, Participant).consent_history()}
    assert expiries == {"contact": None, "panel_membership": datetime(2028, 3, 5, 10, tzinfo=UTC)}

    refused = panel(
        "campaign", "open", "youth-2027", "--engagement", "youth", "--opens", "2026-03-01", "--closes",
        "2026-03-14", "--questions", str(examples / "questions.csv"), "--notice", str(examples / "notice-v3.md"),
        "--phone", "0113 496 0000", "--consent-valid-for", "panel_membership=forever", code=1,
    )  # fmt: skip
    assert "--consent-valid-for panel_membership 'forever' is not a period" in refused.err
    assert [c.slug for c in Campaigns(app).all()] == ["youth-2026"]  # nothing written


def test_panel_init_adds_the_expiry_column_to_an_older_consent_view(app: PanelApp, projector: Projector, panel) -> None:  # type: ignore[no-untyped-def]
    panel("init")
    register(app, [both("OLD"), both("NEW", EXPIRES)])
    projector.catch_up()
    with projector.engine.begin() as conn:  # the consent view as a version before expiry left it
        conn.exec_driver_sql("ALTER TABLE consent_log_g1_view DROP COLUMN expires_at")
    refused = panel("consent", "report", code=1)
    assert "consent_log_g1_view.expires_at missing): run `panel init`" in refused.err, refused.err
    panel("init")
    report = json.loads(panel("consent", "report", "--json", "--at", "2026-07-01").out)
    assert report["pool"] == 1  # NEW's membership expired on 1 June: the interval end was kept in the state table
