"""Fatigue rules: pure evaluation, and enforcement by PanelApp.invite with a recorded override."""

from __future__ import annotations

from datetime import UTC, date, datetime

import pytest

from panel.application import PanelApp
from panel.domain.errors import ValidationError
from panel.domain.participant import Participant
from panel.domain.policy import GLOBAL_POLICY_ID, FatigueRuleError, policy_id
from panel.engagements import Engagements
from panel.fatigue import Fatigue, FatigueRules, Taking, check, gini, top_share
from panel.participation import Participation
from panel.registration import Registration
from panel.validation import SignUp
from tests.helpers.scripted import BOTH, T


def at(day: str) -> datetime:
    return datetime.fromisoformat(day).replace(tzinfo=UTC)


HISTORY = [
    Taking("x", at("2026-01-10"), True, (date(2026, 2, 10),)),
    Taking("y", at("2026-03-01"), False, ()),
    Taking("z", at("2026-04-01"), True, ()),
]


def test_cooldown_runs_from_the_last_attended_session() -> None:
    rules = FatigueRules(cooldown_days=90)
    assert "attended on 2026-02-10, 89 days before" in (check(rules, HISTORY, "new", at("2026-05-10")) or "")
    assert check(rules, HISTORY, "new", at("2026-05-11")) is None  # 90 days: allowed again
    assert check(rules, HISTORY, "x", at("2026-03-01")) is None  # an engagement never counts against itself
    assert check(rules, HISTORY, "new", at("2026-02-01")) is None  # the attendance had not happened yet


def test_max_per_year_counts_engagements_taken_part_in() -> None:
    rules = FatigueRules(max_per_year=2)
    assert "already took part in 2 engagements" in (check(rules, HISTORY, "new", at("2026-06-01")) or "")
    assert check(FatigueRules(max_per_year=3), HISTORY, "new", at("2026-06-01")) is None
    assert check(rules, HISTORY, "new", at("2027-01-11")) is None  # x is more than 12 months back
    assert check(FatigueRules(0, 0), HISTORY, "new", at("2026-02-11")) is None  # 0 switches a rule off


def test_concentration_measures() -> None:
    assert gini([1, 1, 1, 1]) == 0.0
    assert gini([0, 0, 0, 4]) == pytest.approx(0.75)
    assert top_share([5] + [1] * 9) == pytest.approx(5 / 14)
    assert top_share([]) == 0.0 and gini([]) == 0.0


def test_policy_ids_are_stable() -> None:
    from uuid import UUID

    eid = UUID(int=7)
    assert policy_id(None) == GLOBAL_POLICY_ID and policy_id(eid) == policy_id(UUID(int=7)) != GLOBAL_POLICY_ID


def test_invite_enforces_rules_and_records_the_override(app: PanelApp) -> None:
    pid = Registration(app).register(SignUp(ref="A", channel="online", consents=BOTH, at=T(1, 5)))
    x = Engagements(app).open_engagement(
        name="X", purpose="x", kind="consult", sessions=[date(2026, 2, 10)], day_rate_pence=0, at=T(1, 1)
    )
    y = Engagements(app).open_engagement(
        name="Y", purpose="y", kind="consult", sessions=[], day_rate_pence=0, at=T(1, 1), cooldown_days=30
    )
    Participation(app).invite(x, [pid], at=T(1, 20))
    Participation(app).respond(x, pid, accept=True, at=T(1, 21))
    Participation(app).attend(x, pid, date(2026, 2, 10), at=T(2, 10, 17))
    assert Fatigue(app).fatigue_rules(y) == FatigueRules(30, None)  # the engagement's own cooldown applies
    Fatigue(app).set_fatigue_rules(None, cooldown_days=90, max_per_year=3, set_by="lead")
    Fatigue(app).set_fatigue_rules(y, cooldown_days=60, max_per_year=None)
    assert Fatigue(app).fatigue_rules(y) == FatigueRules(60, 3) and Fatigue(app).fatigue_rules(None) == FatigueRules(
        90, 3
    )
    person = app.load(pid, Participant)
    assert Fatigue(app).fatigue_excluded(person, y, T(4, 1)) is not None
    assert Fatigue(app).fatigue_excluded(person, y, T(4, 11)) is None  # 60 days after 10 February
    with pytest.raises(FatigueRuleError, match=r"participant A cannot be invited to y: cooldown: .*--override-reason"):
        Participation(app).invite(y, [pid], at=T(3, 1))
    Participation(app).invite(y, [pid], at=T(3, 1), override_reason="only person with this lived experience")
    invited = [e for e in app.events.get(pid) if type(e).__name__ == "Invited"]
    assert invited[-1].override_reason == "only person with this lived experience"


def test_rules_are_validated(app: PanelApp) -> None:
    with pytest.raises(ValidationError, match="--cooldown-days is negative"):
        Fatigue(app).set_fatigue_rules(None, cooldown_days=-1, max_per_year=None)
    with pytest.raises(ValidationError, match="no rule given"):
        Fatigue(app).set_fatigue_rules(None, cooldown_days=None, max_per_year=None)
