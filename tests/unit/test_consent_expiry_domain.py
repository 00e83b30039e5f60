"""Consent expiry in the domain: ConsentGranted version 1 (stored before expiry existed) loads with no
expiry, and Campaign.Opened version 1 with no validity periods; periods parse one way for every path;
an expired grant is not in force from its expiry on, and a renewal replaces the expiry; partner
referrals and import rows carry their validity period."""

from __future__ import annotations

from datetime import UTC, date, datetime, timedelta
from uuid import UUID, uuid4

import pytest
from eventsourcing.persistence import DatetimeAsISO, JSONTranscoder, Mapper, StoredEvent, UUIDAsHex
from eventsourcing.utils import get_topic

from panel.application import DateAsISO
from panel.domain.campaign import Campaign
from panel.domain.durations import Period, parse_period
from panel.domain.errors import ValidationError
from panel.domain.participant import Participant
from panel.importer import Row, parse_row
from panel.partners import referral_signup
from panel.validation import InvalidSignUpError

T = datetime(2026, 1, 31, 9, tzinfo=UTC)


def mapper() -> Mapper[UUID]:
    transcoder = JSONTranscoder()
    for transcoding in (UUIDAsHex(), DatetimeAsISO(), DateAsISO()):
        transcoder.register(transcoding)
    return Mapper(transcoder=transcoder)


def test_a_version_1_grant_loads_with_no_expiry_and_a_version_2_grant_keeps_it() -> None:
    m, pid = mapper(), uuid4()
    fields = {"purpose": "contact", "notice_version": "v1", "method": "online", "captured_by": "self", "at": T}
    state = m.transcoder.encode({"originator_id": pid, "originator_version": 2, "timestamp": T, **fields})
    old = m.to_domain_event(StoredEvent(pid, 2, get_topic(Participant.ConsentGranted), state))
    assert isinstance(old, Participant.ConsentGranted) and old.expires_at is None and old.purpose == "contact"
    lapse = T + timedelta(days=730)
    new = Participant.ConsentGranted(originator_id=pid, originator_version=3, timestamp=T, expires_at=lapse, **fields)
    again = m.to_domain_event(m.to_stored_event(new))
    assert again.expires_at == lapse  # type: ignore[attr-defined]


def test_a_version_1_campaign_loads_with_no_validity_periods() -> None:
    m, cid = mapper(), uuid4()
    state = m.transcoder.encode({
        "originator_id": cid, "originator_version": 1, "timestamp": T, "originator_topic": get_topic(Campaign),
        "slug": "old-2025", "engagement_ref": "e", "opens": date(2025, 1, 1), "closes": date(2025, 1, 2),
        "questions": [], "purposes": ["contact"], "notice_version": "v1", "notice_sha256": "0" * 64,
        "notice_lines": ["x"], "language": "en", "phone": "0113", "address_lines": [], "opened_by": None, "at": T,
    })  # fmt: skip
    old = m.to_domain_event(StoredEvent(cid, 1, get_topic(Campaign.Opened), state))
    assert old.consent_valid_for == {}  # type: ignore[attr-defined]
    assert old.layout == "single-page"  # type: ignore[attr-defined]  # and, through version 2, the single page


def test_a_version_2_campaign_loads_as_a_single_page() -> None:
    m, cid = mapper(), uuid4()
    state = m.transcoder.encode({
        "originator_id": cid, "originator_version": 1, "timestamp": T, "originator_topic": get_topic(Campaign),
        "slug": "old-2026", "engagement_ref": "e", "opens": date(2026, 1, 1), "closes": date(2026, 1, 2),
        "questions": [], "purposes": ["contact"], "notice_version": "v1", "notice_sha256": "0" * 64,
        "notice_lines": ["x"], "language": "en", "phone": "0113", "address_lines": [], "opened_by": None, "at": T,
        "consent_valid_for": {"contact": "2y"}, "class_version": 2,
    })  # fmt: skip
    old = m.to_domain_event(StoredEvent(cid, 1, get_topic(Campaign.Opened), state))
    assert old.layout == "single-page" and old.consent_valid_for == {"contact": "2y"}  # type: ignore[attr-defined]
    new = Campaign.open(slug="new-2026", engagement_ref="e", opens=date(2026, 1, 1), closes=date(2026, 1, 2),
                        questions=[], purposes=["contact"], notice_version="v1", notice_sha256="0" * 64,
                        notice_lines=["x"], language="en", phone="0113", address_lines=[], opened_by=None, at=T,
                        layout="one-per-page")  # fmt: skip
    again = m.to_domain_event(m.to_stored_event(new.collect_events()[0]))
    assert again.layout == "one-per-page"  # type: ignore[attr-defined]


@pytest.mark.parametrize(
    ("text", "start", "end"),
    [
        ("30d", T, T + timedelta(days=30)),
        ("2w", T, T + timedelta(days=14)),
        ("1m", T, datetime(2026, 2, 28, 9, tzinfo=UTC)),  # 31 January + 1 month: the last day of February
        ("13m", T, datetime(2027, 2, 28, 9, tzinfo=UTC)),
        ("2y", datetime(2028, 2, 29, tzinfo=UTC), datetime(2030, 2, 28, tzinfo=UTC)),
        (" 6M ".lower(), T, datetime(2026, 7, 31, 9, tzinfo=UTC)),
    ],
)
def test_periods_are_calendar_arithmetic(text: str, start: datetime, end: datetime) -> None:
    assert parse_period(text).after(start) == end


BAD = [("0d", "is zero"), ("banana", "is not a period"), ("", "not a"), ("-3d", "not a period"),
       ("2.5y", "not a period"), ("2 years", "not a period"), ("\u00b2y", "not a period"), ("\uff12y", "not a period"),
       ("101y", "longer than a hundred years: give at most 100y"), ("1201m", "give at most 1200m"),
       ("5219w", "give at most 5218w"), ("36526d", "give at most 36525d"), ("9999y", "at most 100y")]  # fmt: skip


@pytest.mark.parametrize(("text", "fragment"), BAD)
def test_bad_periods_say_how_to_write_one(text: str, fragment: str) -> None:
    with pytest.raises(ValidationError, match=fragment):
        parse_period(text, "--within")


def test_a_hundred_years_is_the_longest_period() -> None:
    assert [parse_period(t).after(T).year for t in ("100y", "1200m", "5218w", "36525d")] == [2126] * 4


LATE = [("1y", datetime(9999, 3, 1, tzinfo=UTC)), ("2w", datetime(9999, 12, 25, tzinfo=UTC))]


@pytest.mark.parametrize(("text", "start"), LATE)
def test_a_period_that_ends_after_the_year_9999_is_refused(text: str, start: datetime) -> None:
    with pytest.raises(ValidationError, match=f"consent_at_valid_for '{text}' from 9999-.* falls outside the years"):
        parse_period(text).after(start, "consent_at_valid_for")


def test_periods_look_back_as_far_as_they_look_ahead() -> None:
    assert Period(1, "m").before(datetime(2026, 3, 31, tzinfo=UTC)) == datetime(2026, 2, 28, tzinfo=UTC)
    assert Period(30, "d").before(T) == T - timedelta(days=30)


def person() -> Participant:
    return Participant.register(id=uuid4(), source="default", external_ref="X-1", channel="online",
                                captured_by=None, at=T, sealed="")  # fmt: skip


def test_an_expired_grant_is_not_in_force_and_a_renewal_replaces_the_expiry() -> None:
    p, lapse = person(), T + timedelta(days=10)
    assert p.grant_consent(purpose="contact", notice_version="v1", method="online", captured_by="self", at=T,
                           expires_at=lapse)  # fmt: skip
    assert p.consent_at("contact", lapse - timedelta(microseconds=1)) is not None
    assert p.consent_at("contact", lapse) is None
    (entry,) = p.consent_history()
    assert (entry.state, entry.state_at(lapse), entry.lapses_at) == ("active", "expired", lapse)
    # the same grant with the same expiry repeats (nothing recorded); another expiry is a renewal
    assert not p.grant_consent(purpose="contact", notice_version="v1", method="online", captured_by="self",
                               at=T + timedelta(days=1), expires_at=lapse)  # fmt: skip
    later = T + timedelta(days=400)
    assert p.grant_consent(purpose="contact", notice_version="v1", method="online", captured_by="self",
                           at=T + timedelta(days=5), expires_at=later)  # fmt: skip
    assert p.consent_at("contact", lapse) is not None and p.consent_at("contact", later) is None
    with pytest.raises(ValidationError, match="is not after the grant"):
        p.grant_consent(purpose="contact", notice_version="v2", method="online", captured_by="self", at=T,
                        expires_at=T)  # fmt: skip


def test_a_bulk_sign_up_keeps_the_expiry_as_the_aggregate_does() -> None:
    lapse = T + timedelta(days=10)
    events = Participant.sign_up(id=uuid4(), source="default", external_ref="X-2", channel="online",
                                 captured_by=None, at=T, sealed="",
                                 consents=[("contact", "v1", "online", "self", T, lapse)])  # fmt: skip
    assert [getattr(e, "expires_at", "-") for e in events] == ["-", lapse]


def test_a_partner_referral_may_say_how_long_each_consent_lasts() -> None:
    body = {"reference": "R-1", "consents": [{"purpose": "contact", "notice_version": "v3", "valid_for": "2y"},
                                             {"purpose": "panel_membership", "notice_version": "v3"}]}  # fmt: skip
    signup = referral_signup("youth-link", body, T)
    assert [c.expires_at for c in signup.consents] == [datetime(2028, 1, 31, 9, tzinfo=UTC), None]
    for bad in ("forever", "9999y"):  # 9999 years ran past the year 9999: a ValueError, and a 500
        body["consents"][0]["valid_for"] = bad  # type: ignore[index]
        with pytest.raises(InvalidSignUpError) as refused:
            referral_signup("youth-link", body, T)
        assert [e.field for e in refused.value.errors] == ["consents.contact.valid_for"]


def test_an_import_row_may_say_how_long_each_consent_lasts() -> None:
    values = {
        "ref": "I-1",
        "consent_contact": "v3",
        "consent_at": "2026-01-31T09:00Z",
        "consent_contact_valid_for": "6m",
    }
    checked = parse_row(Row(2, values), "online", "default")
    assert [c.expires_at for c in checked.consents] == [datetime(2026, 7, 31, 9, tzinfo=UTC)]
    with pytest.raises(InvalidSignUpError, match="consent_contact_valid_for"):
        parse_row(Row(2, {**values, "consent_contact_valid_for": "0m"}), "online", "default")
