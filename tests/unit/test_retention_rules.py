"""The retention rules, pure: facts, a policy and a moment in; a decision out (no database)."""

from __future__ import annotations

from datetime import UTC, date, datetime
from uuid import uuid4

import pytest

from panel.domain.errors import ValidationError
from panel.retention.rules import (
    DrawFact,
    PaymentFact,
    PersonFacts,
    RetentionPolicy,
    add_months,
    decide,
    payment_kept_until,
    policy_from,
    tax_year_end,
)

POLICY = RetentionPolicy()


def at(text: str) -> datetime:
    return datetime.fromisoformat(text).replace(tzinfo=UTC)


def person(last: str = "2024-01-10", **facts) -> PersonFacts:  # type: ignore[no-untyped-def]
    return PersonFacts(uuid4(), "R-1", at(last), **facts)


def test_the_defaults_are_the_documented_ones() -> None:
    assert POLICY.as_dict() == {"inactive_months": 24, "withdrawn_days": 30, "payment_years": 6, "draw_months": 12}


def test_inactivity_makes_a_person_due_on_the_day_24_months_after_their_last_activity() -> None:
    assert decide(person(), POLICY, at("2026-01-09T23:59")) is None
    found = decide(person(), POLICY, at("2026-01-10"))
    assert found is not None and found.erase
    assert (found.rule, found.due_since) == ("inactive", at("2026-01-10"))
    assert found.reason == "retention rule inactive: no activity since 2024-01-10 (24 months)"


def test_a_withdrawn_membership_starts_its_own_clock_and_the_rule_due_first_is_named() -> None:
    withdrawn = person("2025-11-01", membership_withdrawn_at=at("2025-11-01"))
    assert decide(withdrawn, POLICY, at("2025-11-30")) is None
    found = decide(withdrawn, POLICY, at("2025-12-01"))
    assert found is not None and (found.rule, found.due_since) == ("withdrawn", at("2025-12-01"))
    old = person("2023-01-01", membership_withdrawn_at=at("2025-06-01"))  # inactive since 2025-01-01: first
    decision = decide(old, POLICY, at("2025-08-01"))
    assert decision is not None and decision.rule == "inactive"


def test_each_keep_is_listed_and_keeps_the_person() -> None:
    facts = person(
        holds=("claim CL-7",),
        payments=(PaymentFact("PP-1", "approved", None), PaymentFact("PP-2", "reconciled", date(2024, 5, 1))),
        draws=(DrawFact("travel round 1", at("2025-09-01")),),
    )
    found = decide(facts, POLICY, at("2026-03-01"))
    assert found is not None and not found.erase
    assert found.kept_because == (
        "legal hold: claim CL-7",
        "payment PP-1 is approved (not settled)",
        "payment PP-2 made on 2024-05-01 is a finance record kept until 2031-04-05",
        "in the pool of draw travel round 1 on 2025-09-01, kept to re-verify until 2026-09-01",
    )


@pytest.mark.parametrize("status", ["accrued", "approved", "issued"])
def test_an_unsettled_payment_keeps_the_person_however_old(status: str) -> None:
    facts = person(payments=(PaymentFact("PP-1", status, date(2010, 1, 1) if status == "issued" else None),))
    found = decide(facts, POLICY, at("2040-01-01"))
    assert found is not None and found.kept_because == (f"payment PP-1 is {status} (not settled)",)


@pytest.mark.parametrize("status", ["declined", "cancelled", "reversed"])
def test_a_payment_never_made_keeps_nobody(status: str) -> None:
    found = decide(person(payments=(PaymentFact("PP-1", status, None),)), POLICY, at("2027-01-01"))
    assert found is not None and found.erase


def test_the_payment_record_is_kept_to_the_end_of_the_sixth_tax_year_after_payment() -> None:
    assert tax_year_end(date(2024, 4, 5)) == date(2024, 4, 5)
    assert tax_year_end(date(2024, 4, 6)) == date(2025, 4, 5)
    assert payment_kept_until(date(2024, 4, 5), 6) == date(2030, 4, 5)
    assert payment_kept_until(date(2024, 4, 6), 6) == date(2031, 4, 5)
    facts = person(payments=(PaymentFact("PP-1", "reconciled", date(2024, 2, 1)),))
    last_day = decide(facts, POLICY, at("2030-04-05T23:00"))
    assert last_day is not None and not last_day.erase
    after = decide(facts, POLICY, at("2030-04-06"))
    assert after is not None and after.erase


def test_a_draw_keeps_its_pool_for_its_configured_months() -> None:
    facts = person(draws=(DrawFact("d", at("2026-01-31")),))
    assert add_months(at("2026-01-31"), 1) == at("2026-02-28")
    assert not decide(facts, POLICY, at("2027-01-30")).erase  # type: ignore[union-attr]
    assert decide(facts, POLICY, at("2027-01-31")).erase  # type: ignore[union-attr]
    assert decide(facts, RetentionPolicy(draw_months=0), at("2026-03-01")).erase  # type: ignore[union-attr]


def test_settings_come_from_the_environment_and_a_bad_one_is_one_line_naming_it() -> None:
    assert policy_from({}) == POLICY
    assert policy_from({"PANEL_RETENTION_PAYMENT_YEARS": " 7 ", "PANEL_RETENTION_DRAW_MONTHS": ""}) == RetentionPolicy(
        payment_years=7
    )
    for name, value in [("PANEL_RETENTION_INACTIVE_MONTHS", "0"), ("PANEL_RETENTION_WITHDRAWN_DAYS", "-1"),
                        ("PANEL_RETENTION_PAYMENT_YEARS", "six"), ("PANEL_RETENTION_DRAW_MONTHS", "1201")]:  # fmt: skip
        with pytest.raises(ValidationError, match=f"^{name}='{value}' is not a whole number") as raised:
            policy_from({name: value})
        assert "\n" not in str(raised.value)
