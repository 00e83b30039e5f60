"""The validation layer every entry path shares: what it accepts, how it normalises, and how it names fields."""

from __future__ import annotations

from datetime import UTC, datetime

import pytest
from email_validator import EmailNotValidError, validate_email
from hypothesis import given
from hypothesis import strategies as st

from panel.contact import _SIMPLE_EMAIL, normalise_email, normalise_phone, normalise_postcode
from panel.domain.errors import ValidationError
from panel.domain.text import check_event_text
from panel.domain.values import parse_when
from panel.validation import ConsentSpec, InvalidSignUpError, SignUp, validate_signup

T0 = datetime(2026, 1, 10, 9, tzinfo=UTC)


def test_contact_details_are_normalised() -> None:
    assert normalise_postcode(" ls6  1aa ") == "LS6 1AA"
    assert normalise_postcode("sw1a1aa") == "SW1A 1AA"
    assert normalise_phone("07700 900123") == "+447700900123"  # an Ofcom drama number
    assert normalise_phone("+44 (0)20 7946 0000") == "+442079460000"
    assert normalise_phone("0113 496 0000") == "+441134960000"
    assert normalise_phone("+1 202 555 0199") == "+12025550199"
    assert normalise_email("Jane.Doe@Example.COM") == "Jane.Doe@example.com"
    assert normalise_email("anne@bücher.example") == "anne@bücher.example"
    for bad_phone in ("12345", "9999999999", "0800 FLOWERS?", "not a phone"):
        with pytest.raises(ValidationError, match="is not a phone number"):
            normalise_phone(bad_phone)
    for bad_postcode in ("LS3 3CC", "ZZ9 9QZ", "12345", "LS6"):
        with pytest.raises(ValidationError, match="is not a UK postcode"):
            normalise_postcode(bad_postcode)
    for bad_email in ("not-an-email", "a@localhost", "a@b.test", "a b@example.org"):
        with pytest.raises(ValidationError, match="is not an email address"):
            normalise_email(bad_email)


@given(st.from_regex(_SIMPLE_EMAIL, fullmatch=True))
def test_the_fast_email_check_agrees_with_email_validator(address: str) -> None:
    """Every address the quick pattern accepts is accepted by email-validator, in the same normalised form."""
    try:
        expected = validate_email(address, check_deliverability=False).normalized
    except EmailNotValidError:
        with pytest.raises(ValidationError):
            normalise_email(address)
        return
    assert normalise_email(address) == expected


def test_a_sign_up_is_normalised_and_every_bad_field_is_named() -> None:
    checked = validate_signup(
        SignUp(
            ref=" VES-1 ",
            channel="In person",
            captured_by="amy",
            personal={"email": "Sam@Example.ORG", "postcode": "ls61aa", "phone": "07700900123", "name": " Sam "},
            attributes={"Age Band": "18-21", "gender": "Prefer not to say", "blank": " "},
            consents=(ConsentSpec("contact", " v3 ", "Verbal", "amy", T0),),
        )
    )
    assert (checked.ref, checked.channel, checked.consents[0].method) == ("VES-1", "in_person", "verbal")
    assert checked.personal == {
        "email": "Sam@example.org",
        "postcode": "LS6 1AA",
        "phone": "+447700900123",
        "name": "Sam",
    }
    assert checked.attributes == {"age_band": "18-21", "gender": "prefer_not_to_say"}
    assert checked.consents[0].notice_version == "v3"

    with pytest.raises(InvalidSignUpError) as raised:
        validate_signup(
            SignUp(
                ref="sam@example.org",
                channel="fax",
                personal={"email": "x", "postcode": "nowhere"},
                attributes={"age": "twenty", "Bad Key!": "1"},
                consents=(ConsentSpec("contact", "v" * 41, "online", "self"),),
            ),
            numeric={"age": "engagement e's rule 'age >= 18' compares it with a number"},
        )
    assert [e.field for e in raised.value.errors] == [
        "ref",
        "channel",
        "email",
        "postcode",
        "attributes.age",
        "attributes.bad_key!",
        "consents.contact.notice_version",
    ]
    assert str(raised.value) == "; ".join(e.message for e in raised.value.errors)  # one line for a CLI


def test_times_that_leave_the_calendar_in_utc_are_refused() -> None:
    with pytest.raises(ValidationError, match="out of range"):
        parse_when("9999-12-31T23:00-05:00", "registered_at")
    with pytest.raises(ValidationError, match="out of range"):
        parse_when("0001-01-01T01:00+05:00")


def test_event_text_is_checked_field_by_field() -> None:
    check_event_text({"notice_version": "v3", "sealed": "x" * 10_000, "quotas": [{"age": "18-21"}]})
    with pytest.raises(ValidationError, match="receipt is too long: 61 characters, at most 60"):
        check_event_text({"receipt": "r" * 61})
    with pytest.raises(ValidationError, match=r"reason contains U\+0000 \(NUL\)"):
        check_event_text({"reason": "a\x00b"})
    with pytest.raises(ValidationError, match="quotas contains"):
        check_event_text({"quotas": [{"age": "18\x0021"}]})
    check_event_text({"reason": "two\nlines"})  # a reason may have line breaks
