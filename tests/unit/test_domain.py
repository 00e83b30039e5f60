"""Unit tests of the domain: no database, just aggregates and their events."""

from __future__ import annotations

import ast
from datetime import UTC, date, datetime, timedelta
from uuid import uuid4

import pytest

from panel.domain.engagement import Engagement
from panel.domain.errors import (
    ConsentRequiredError,
    ConsentStateError,
    ErasedParticipantError,
    ParticipationStateError,
    ValidationError,
)
from panel.domain.participant import Participant
from panel.domain.values import EligibilityRule, format_pence, parse_when, pence_from_text
from panel.validation import validate_attributes
from tests.helpers.paths import ROOT

T0 = datetime(2026, 1, 1, tzinfo=UTC)


def person(channel: str = "online", captured_by: str | None = None) -> Participant:
    return Participant.register(
        id=uuid4(), source="t", external_ref="R-1", channel=channel, captured_by=captured_by, at=T0, sealed="x"
    )


def days(n: int) -> datetime:
    return T0 + timedelta(days=n)


def test_staff_entered_signup_needs_captured_by() -> None:
    with pytest.raises(ValidationError, match="captured-by"):
        person(channel="phone")
    assert person(channel="phone", captured_by="amy").captured_by == "amy"


def test_unknown_channel_is_refused() -> None:
    with pytest.raises(ValidationError, match="unknown channel 'fax'"):
        person(channel="fax")


def test_naive_times_are_refused() -> None:
    p = person()
    with pytest.raises(ValidationError, match="no timezone"):
        p.grant_consent(
            purpose="contact", notice_version="v1", method="online", captured_by="self", at=datetime(2026, 1, 2)
        )


def test_consent_as_of_follows_effective_time() -> None:
    p = person()
    p.grant_consent(purpose="contact", notice_version="v1", method="online", captured_by="self", at=days(1))
    p.grant_consent(purpose="contact", notice_version="v2", method="written", captured_by="amy", at=days(10))
    p.withdraw_consent(purpose="contact", captured_by="ben", at=days(20))
    assert p.consent_at("contact", days(0)) is None
    assert p.consent_at("contact", days(5)).notice_version == "v1"  # type: ignore[union-attr]
    assert p.consent_at("contact", days(15)).notice_version == "v2"  # type: ignore[union-attr]
    assert p.consent_at("contact", days(25)) is None
    history = p.consent_history(as_of=days(15))
    # a re-grant on v2 supersedes v1 (captured by amy); it is not a withdrawal by the participant
    assert [(e.notice_version, e.state, e.withdrawn_at) for e in history] == [
        ("v1", "superseded", None),
        ("v2", "active", None),
    ]
    assert (history[0].superseded_at, history[0].superseded_by, history[0].superseded_by_notice) == (
        days(10),
        "amy",
        "v2",
    )
    final = p.consent_history()
    assert [(e.state, e.ended_at, e.withdrawn_by) for e in final] == [
        ("superseded", days(10), None),
        ("withdrawn", days(20), "ben"),
    ]


def test_regranting_the_same_consent_records_nothing() -> None:
    p = person()
    assert p.grant_consent(purpose="contact", notice_version="v1", method="online", captured_by="self", at=days(1))
    version = p.version
    assert not p.grant_consent(purpose="contact", notice_version="v1", method="online", captured_by="self", at=days(2))
    assert p.version == version


def test_withdrawing_a_consent_never_granted_is_refused() -> None:
    p = person()
    with pytest.raises(ConsentStateError, match="no active 'contact' consent"):
        p.withdraw_consent(purpose="contact", captured_by=None, at=days(1))
    with pytest.raises(ValidationError, match="unknown consent purpose 'marketing'"):
        p.withdraw_consent(purpose="marketing", captured_by=None, at=days(1))


def test_invitation_needs_contact_consent_at_that_time() -> None:
    p = person()
    eid = uuid4()
    p.grant_consent(purpose="contact", notice_version="v1", method="online", captured_by="self", at=days(5))
    with pytest.raises(ConsentRequiredError, match="no active 'contact' consent"):
        p.invite(engagement_id=eid, at=days(4))
    p.invite(engagement_id=eid, at=days(6))
    assert p.participation_status(eid) == "invited"


def test_participation_follows_the_history() -> None:
    p = person()
    eid = uuid4()
    p.grant_consent(purpose="contact", notice_version="v1", method="online", captured_by="self", at=days(1))
    with pytest.raises(ParticipationStateError, match="not invited"):
        p.respond(engagement_id=eid, accept=True, at=days(2))
    p.invite(engagement_id=eid, at=days(2))
    with pytest.raises(ParticipationStateError, match="needs accepted"):
        p.attend(engagement_id=eid, session_date=date(2026, 2, 1), half_day=False, at=days(31))
    p.respond(engagement_id=eid, accept=True, at=days(3))
    p.attend(engagement_id=eid, session_date=date(2026, 2, 1), half_day=True, at=days(31))
    with pytest.raises(ParticipationStateError, match="already recorded"):
        p.attend(engagement_id=eid, session_date=date(2026, 2, 1), half_day=False, at=days(31))
    p.record_no_show(engagement_id=eid, session_date=date(2026, 2, 2), at=days(32))
    p.withdraw_from(engagement_id=eid, reason="moved", at=days(33))
    record = p.participations[eid.hex]
    assert record["status"] == "withdrew"
    assert record["attended"] == [["2026-02-01", True]]  # what was earned stays recorded


def test_erasure_blocks_further_personal_commands() -> None:
    p = person()
    p.erase(reason="request", at=days(1))
    with pytest.raises(ErasedParticipantError):
        p.grant_consent(purpose="contact", notice_version="v1", method="online", captured_by="self", at=days(2))


def test_engagement_validates_before_opening() -> None:
    with pytest.raises(ValidationError, match="unknown engagement type"):
        Engagement.open(name="X", purpose="p", kind="chat", sessions=[], day_rate_pence=0, at=T0)
    with pytest.raises(ValidationError, match="not understood"):
        Engagement.open(
            name="X", purpose="p", kind="involve", sessions=[], day_rate_pence=0, at=T0, eligibility=["age_band ~ 18"]
        )
    e = Engagement.open(
        name="Vested youth panel",
        purpose="p",
        kind="involve",
        sessions=[date(2026, 3, 2)],
        day_rate_pence=35000,
        at=T0,
        eligibility=["age_band in 18-21,22-25", "unemployed_months >= 4"],
    )
    assert e.ref == "vested-youth-panel"
    assert e.is_eligible({"age_band": "18-21", "unemployed_months": "6"})
    assert not e.is_eligible({"age_band": "18-21", "unemployed_months": "2"})
    assert not e.is_eligible({"age_band": "prefer_not_to_say", "unemployed_months": "6"})
    with pytest.raises(ValidationError, match="not a session"):
        e.require_session(date(2026, 3, 9))


@pytest.mark.parametrize(
    "text,pence", [("350", 35000), ("350.00", 35000), ("£12.4", 1240), ("0.05", 5), ("1,200.50", 120050)]
)
def test_money_is_parsed_into_integer_pence(text: str, pence: int) -> None:
    assert pence_from_text(text) == pence
    assert isinstance(pence_from_text(text), int)


@pytest.mark.parametrize("text", ["12.345", "-3", "abc", "1e3"])
def test_bad_amounts_are_refused(text: str) -> None:
    with pytest.raises(ValidationError, match="not an amount"):
        pence_from_text(text)


def test_formatting_and_parsing_helpers() -> None:
    assert format_pence(245000) == "£2,450.00"
    assert parse_when("2026-03-02") == datetime(2026, 3, 2, tzinfo=UTC)
    assert parse_when("2026-03-02T10:00+01:00") == datetime(2026, 3, 2, 9, tzinfo=UTC)
    with pytest.raises(ValidationError, match="not a date"):
        parse_when("02/03/2026")
    assert validate_attributes({"Age Band": " 18-21 ", "gender": "Prefer not to say", "x": ""}) == {
        "age_band": "18-21",
        "gender": "prefer_not_to_say",
    }
    assert str(EligibilityRule.parse("disability=yes")) == "disability = yes"


def test_domain_imports_nothing_from_outer_layers() -> None:
    """panel/domain imports only the standard library and eventsourcing.domain (the design card)."""
    allowed_third_party = {"eventsourcing"}
    forbidden = {"cli", "projections", "selection", "sqlalchemy", "psycopg", "click", "numpy", "faker", "rich"}
    root = ROOT
    for path in (root / "panel" / "domain").rglob("*.py"):
        tree = ast.parse(path.read_text())
        for node in ast.walk(tree):
            names = []
            if isinstance(node, ast.Import):
                names = [alias.name for alias in node.names]
            elif isinstance(node, ast.ImportFrom) and node.module and node.level == 0:
                names = [node.module]
            for name in names:
                top = name.split(".")[0]
                assert top not in forbidden, f"{path.name} imports {name}"
                if top == "eventsourcing":
                    assert name == "eventsourcing.domain", f"{path.name} imports {name}"
                assert top in allowed_third_party | {"panel", "__future__"} or _is_stdlib(top), (
                    f"{path.name} imports {name}"
                )


def test_selection_and_projections_respect_the_dependency_rule() -> None:
    root = ROOT
    rules = {
        "selection": {"panel", "projections", "cli", "eventsourcing", "sqlalchemy", "psycopg", "click"},
        "projections": {"cli"},
    }
    for package, forbidden in rules.items():
        for path in (root / package).rglob("*.py"):
            for node in ast.walk(ast.parse(path.read_text())):
                if isinstance(node, ast.Import):
                    tops = [a.name.split(".")[0] for a in node.names]
                elif isinstance(node, ast.ImportFrom) and node.module and node.level == 0:
                    tops = [node.module.split(".")[0]]
                else:
                    continue
                for top in tops:
                    assert top not in forbidden, f"{package}/{path.name} imports {top}"


def _is_stdlib(name: str) -> bool:
    import sys

    return name in sys.stdlib_module_names


def test_bulk_sign_up_events_replay_to_the_same_participant_as_the_commands() -> None:
    pid = uuid4()
    consents = [
        ("contact", "v3", "verbal", "amy", days(1)),
        ("contact", "v3", "verbal", "amy", days(2)),
        ("panel_membership", "v3", "verbal", "amy", days(1)),
        ("contact", "v4", "written", "ben", days(3)),
    ]
    events = Participant.sign_up(
        id=pid, source="t", external_ref="R-9", channel="phone", captured_by="amy", at=T0, sealed="s", consents=consents
    )
    replayed = None
    for e in events:
        replayed = e.mutate(replayed)
    by_commands = Participant.register(
        id=pid, source="t", external_ref="R-9", channel="phone", captured_by="amy", at=T0, sealed="s"
    )
    for purpose, version, method, by, at in consents:
        by_commands.grant_consent(purpose=purpose, notice_version=version, method=method, captured_by=by, at=at)
    assert len(events) == by_commands.version == 4  # the repeated v3 grant is not recorded twice
    assert [type(e) for e in events] == [type(e) for e in by_commands.collect_events()]
    assert replayed.consent_log == by_commands.consent_log  # type: ignore[union-attr]
    assert (replayed.external_ref, replayed.channel, replayed.sealed) == ("R-9", "phone", ["s"])  # type: ignore[union-attr]
    with pytest.raises(ValidationError, match="unknown consent method"):
        Participant.sign_up(
            id=pid,
            source="t",
            external_ref="R-9",
            channel="online",
            captured_by=None,
            at=T0,
            sealed="s",
            consents=[("contact", "v1", "email", "self", T0)],
        )
