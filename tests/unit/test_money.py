"""The one money parser: what a person types is read as the amount they mean, or refused with one line."""

from __future__ import annotations

from datetime import UTC, date, datetime
from decimal import Decimal
from uuid import uuid4

import pytest
from hypothesis import example, given
from hypothesis import strategies as st

from panel.domain.engagement import Engagement
from panel.domain.errors import ValidationError
from panel.domain.money import (
    MAX_LINE_PENCE,
    MAX_RATE_PENCE,
    MAX_TOTAL_PENCE,
    MONEY_FORMS,
    format_pence,
    pence_from_text,
    require_amount,
)
from panel.payments.domain.payment import Payment
from panel.payments.domain.terms import PaymentTerms, RateCard

AT = datetime(2026, 3, 1, tzinfo=UTC)


def renderings(pence: int) -> list[str]:
    """The ways a person may write ``pence`` that the parser accepts."""
    pounds, rest = divmod(pence, 100)
    forms = [f"{pounds}.{rest:02d}", f"£{pounds}.{rest:02d}", f"{pounds:,}.{rest:02d}", f"£{pounds:,}.{rest:02d}"]
    if rest == 0:
        forms += [str(pounds), f"£{pounds}", f"{pounds:,}", f" {pounds} "]
    if rest % 10 == 0:
        forms.append(f"{pounds}.{rest // 10}")
    return forms


def strict_reading(text: str) -> int | None:
    """An independent, deliberately plain reading of an amount (no regular expression): pence, or None."""
    body = text.strip()
    body = body[1:] if body.startswith("£") else body
    whole, dot, decimals = body.partition(".")
    if dot and not 1 <= len(decimals) <= 2:
        return None
    groups = whole.split(",")
    if len(groups) > 1 and (not 1 <= len(groups[0]) <= 3 or groups[0][0] == "0"):
        return None
    if any(len(g) != 3 for g in groups[1:]):
        return None
    digits = "".join(groups) + decimals
    if not digits or not all(c in "0123456789" for c in digits) or not groups[0]:
        return None
    return int(Decimal("".join(groups) + "." + (decimals or "0")) * 100)


@given(st.integers(min_value=0, max_value=MAX_LINE_PENCE), st.data())
def test_every_accepted_form_of_an_amount_reads_back_as_that_amount(pence: int, data: st.DataObject) -> None:
    text = data.draw(st.sampled_from(renderings(pence)))
    assert pence_from_text(text) == pence


AMOUNTISH = st.text(alphabet="0123456789,.£ -+e\u0663\u00a0", max_size=14)


@given(st.one_of(AMOUNTISH, st.text(max_size=20)))
@example("350,00")
@example("3,50")
@example("1,2345")
@example("0,350")
@example("1,234.56")
@example("\u0663\u0665\u0660")  # Arabic-Indic digits: int() would take them, a reader of pounds would not
def test_anything_accepted_is_what_a_strict_reader_would_read(text: str) -> None:
    meant = strict_reading(text)
    try:
        parsed = pence_from_text(text, ceiling=MAX_TOTAL_PENCE)
    except ValidationError as exc:
        message = str(exc)
        assert "\n" not in message and ("not an amount in pounds" in message or "above the ceiling" in message)
        assert meant is None or meant > MAX_TOTAL_PENCE, (text, meant, message)
        return
    assert parsed == meant, (text, parsed, meant)


@pytest.mark.parametrize(
    "text,pence",
    [
        ("350", 35000),
        ("350.00", 35000),
        ("£350.00", 35000),
        ("1,234.56", 123456),
        ("£12.4", 1240),
        ("0.05", 5),
        ("1,200.50", 120050),
        ("100,000.00", MAX_LINE_PENCE),
    ],
)
def test_money_is_parsed_into_integer_pence(text: str, pence: int) -> None:
    assert pence_from_text(text) == pence
    assert isinstance(pence_from_text(text), int)


@pytest.mark.parametrize(
    "text", ["350,00", "3,50", "1,2345", "12,34.00", "0,350", "12.345", "-3", "abc", "1e3", "£ 350", ".50", "350.", ""]
)
def test_a_comma_decimal_point_and_other_misreadings_are_refused_with_the_accepted_forms(text: str) -> None:
    with pytest.raises(ValidationError) as refused:
        pence_from_text(text, "--amount")
    assert str(refused.value) == f"--amount {text!r} is not an amount in pounds: write {MONEY_FORMS}"


@pytest.mark.parametrize(
    "text,ceiling",
    [
        ("100000000000000000000", MAX_LINE_PENCE),
        ("9" * 5000, MAX_LINE_PENCE),  # longer than int() accepts: refused before it
        ("100,000.01", MAX_LINE_PENCE),
        ("5,000.01", MAX_RATE_PENCE),
        ("10,000,000.01", MAX_TOTAL_PENCE),
    ],
)
def test_amounts_above_their_ceiling_are_refused_in_one_line(text: str, ceiling: int) -> None:
    with pytest.raises(ValidationError, match=f"above the ceiling of {format_pence(ceiling)}".replace(".", r"\.")) as e:
        pence_from_text(text, "--amount", ceiling=ceiling)
    assert "\n" not in str(e.value) and len(str(e.value)) < 200


def test_the_domain_refuses_amounts_above_their_ceiling_whatever_the_entry_path() -> None:
    with pytest.raises(ValidationError, match="above the ceiling"):
        require_amount(MAX_LINE_PENCE + 1, "amount")
    with pytest.raises(ValidationError, match="negative"):
        require_amount(-1, "amount")
    with pytest.raises(ValidationError, match="above the ceiling"):
        Payment.accrue(
            id=uuid4(),
            engagement_id=uuid4(),
            engagement_ref="e",
            participant_id=uuid4(),
            participant_ref="p",
            kind="expense",
            category="travel",
            earned_on=date(2026, 3, 1),
            quantity="1",
            gross_pence=10**22,
            receipt="R1",
            created_by="sam",
            at=AT,
        )
    with pytest.raises(ValidationError, match="above the ceiling"):
        RateCard.publish(name="big", unit="day", amount_pence=MAX_RATE_PENCE + 1, by="lee", at=AT)
    with pytest.raises(ValidationError, match="a full day at £4,500.00 per hour is £108,000.00"):
        RateCard.publish(name="x", unit="hour", amount_pence=4_500_00, hours_per_day=6, by="lee", at=AT).revise(
            unit="hour", amount_pence=4_500_00, hours_per_day=24, by="lee", at=AT
        )
    terms = PaymentTerms.agree(engagement_id=uuid4(), at=AT)
    with pytest.raises(ValidationError, match="--amount £10,000,000.01 is above the ceiling"):
        terms.set_budget(code="C", amount_pence=MAX_TOTAL_PENCE + 1, four_eyes_above_pence=0, by="lee", at=AT)
    with pytest.raises(ValidationError, match="--day-rate"):
        Engagement.open(name="E", purpose="p", kind="consult", sessions=[], day_rate_pence=10**20, at=AT)
