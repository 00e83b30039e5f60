"""`panel consent report` never contradicts itself: over random histories the pool count never exceeds
either consent count, and both equal what the domain's own replay says, at every date.

Histories mix grants, re-grants on new notice versions, withdrawals, leaving and erasure, recorded in
random order with random effective times (so some are backdated). The rule being checked: at a date
T a person counts as they stood at T; an erasure counts from its effective time on, in every count.
"""

from __future__ import annotations

import itertools
import json
from datetime import UTC, datetime, timedelta
from typing import Any

from hypothesis import HealthCheck, example, given, settings
from hypothesis import strategies as st

from panel.application import PanelApp
from panel.domain.errors import PanelError
from panel.domain.participant import Participant
from panel.domain.values import PURPOSES
from panel.participation import Participation
from panel.queries import Queries
from panel.registration import Registration
from panel.validation import ConsentSpec, SignUp
from projections import Projector
from projections.consent_report import consent_report

T0 = datetime(2026, 1, 1, tzinfo=UTC)
COUNTER = itertools.count()
KINDS = ("grant", "regrant", "withdraw", "leave", "erase")

op = st.tuples(st.sampled_from(KINDS), st.sampled_from(PURPOSES), st.integers(0, 70))
person = st.fixed_dictionaries(
    {"registered": st.integers(0, 40), "initial": st.sets(st.sampled_from(PURPOSES)), "ops": st.lists(op, max_size=6)}
)


def day(n: int) -> datetime:
    return T0 + timedelta(days=n, hours=9)


def apply(app: PanelApp, ref: str, spec: dict[str, Any]) -> None:
    at = day(spec["registered"])
    consents = tuple(ConsentSpec(p, "v1", "online", "self", at) for p in sorted(spec["initial"]))
    pid = Registration(app).register(SignUp(ref=ref, channel="online", consents=consents, at=at))
    for version, (kind, purpose, when) in enumerate(spec["ops"], start=2):
        try:
            if kind in ("grant", "regrant"):
                notice = "v1" if kind == "grant" else f"v{version}"
                Participation(app).grant_consent(pid, ConsentSpec(purpose, notice, "written", "amy", day(when)))
            elif kind == "withdraw":
                Participation(app).withdraw_consent(pid, purpose, "ben", at=day(when))
            elif kind == "leave":
                Participation(app).leave_panel(pid, "moved away", at=day(when))
            else:
                Participation(app).erase(pid, "erasure request", at=day(when), erased_by="dpo")
        except PanelError:
            pass  # refused by the domain (nothing to withdraw, already erased, ...): nothing recorded


def expected(everyone: list[Participant], at: datetime) -> tuple[dict[str, int], int]:
    """The counts at ``at`` from the replayed participants (the domain's truth)."""
    active = dict.fromkeys(PURPOSES, 0)
    pool = 0
    for p in everyone:
        if p.erased_at is not None and p.erased_at <= at:
            continue
        holding = {purpose for purpose in PURPOSES if p.consent_at(purpose, at) is not None}
        for purpose in holding:
            active[purpose] += 1
        present = p.registered_at <= at and (p.left_panel_at is None or p.left_panel_at > at)
        pool += present and {"contact", "panel_membership"} <= holding
    return active, pool


@settings(
    max_examples=20, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture, HealthCheck.too_slow]
)
@given(people=st.lists(person, min_size=1, max_size=4))
@example(  # the case from the field: erased later, counted in the pool but not in the consent counts before
    people=[{"registered": 0, "initial": {"contact", "panel_membership"}, "ops": [("erase", "contact", 50)]}]
)
def test_the_pool_never_exceeds_either_consent_count(app: PanelApp, projector: Projector, people: list[Any]) -> None:
    batch = next(COUNTER)
    for i, spec in enumerate(people):
        apply(app, f"PROP{batch}-{i}", spec)
    projector.catch_up()
    everyone = [app.load(pid, Participant) for pid in Queries(app).participant_ids()]
    days = {0, 72} | {spec["registered"] for spec in people} | {when for spec in people for *_, when in spec["ops"]}
    for n in sorted(days):  # every day something happened in this example (at that very moment), and either end
        at = day(n)
        report = consent_report(projector, at)
        assert report.pool <= report.active["contact"] and report.pool <= report.active["panel_membership"], (n, report)
        assert (report.active, report.pool) == expected(everyone, at), n


def test_consent_report_before_and_after_an_erasure(app: PanelApp, panel) -> None:  # type: ignore[no-untyped-def]
    """The field report, as a subprocess: before the erasure the erased person counts everywhere, after it nowhere."""
    panel("init")
    both = (ConsentSpec("contact", "v1", "online", "self"), ConsentSpec("panel_membership", "v1", "online", "self"))
    for ref in ("R-1", "R-2"):
        Registration(app).register(SignUp(ref=ref, channel="online", consents=both, at=day(0)))
    panel("participant", "erase", "R-2", "--reason", "erasure request", "--by", "dpo", "--at", "2026-03-01")

    before = json.loads(panel("consent", "report", "--at", "2026-02-01", "--json").out)
    assert (before["active"]["contact"], before["active"]["panel_membership"], before["pool"]) == (2, 2, 2)
    after = json.loads(panel("consent", "report", "--at", "2026-04-01", "--json").out)
    assert (after["active"]["contact"], after["active"]["panel_membership"], after["pool"]) == (1, 1, 1)
    out = panel("consent", "report", "--at", "2026-02-01").out
    assert "In the pool (panel_membership and contact, not left or erased): 2" in out
