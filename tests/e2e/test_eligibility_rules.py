"""Eligibility rules: one strict parser, attribute names checked against the store, and engagement updates.

Unit tests of the parser and the Engagement aggregate (no database), then the recruiter's story as
the real `panel` script in a subprocess on SQLite and PostgreSQL.
"""

from __future__ import annotations

import json
from datetime import UTC, date, datetime

import pytest
from hypothesis import given
from hypothesis import strategies as st

from panel.application import PanelApp
from panel.catalogue import AttributeNames
from panel.domain.attributes import check_rule_names
from panel.domain.engagement import Engagement
from panel.domain.errors import EngagementClosedError, ValidationError
from panel.domain.participant import Participant
from panel.domain.values import OPERATORS, EligibilityRule
from panel.engagements import Engagements
from panel.fatigue import Fatigue
from panel.queries import Queries
from panel.registration import Registration
from panel.store.sealing import seal
from panel.validation import ConsentSpec, SignUp

T0 = datetime(2026, 1, 5, tzinfo=UTC)
OPERATOR_LIST = "=, !=, >=, <=, >, <, in, not in"


# -- the parser -------------------------------------------------------------------------------
@pytest.mark.parametrize(
    "text",
    ["age => 18", "age =< 18", "age == 18", "age =! 18", "age >> 18", "agein 18", "age in18", "age", "age >=", "= 18"],
)
def test_a_rule_that_would_need_guessing_is_refused_with_the_operators(text: str) -> None:
    with pytest.raises(ValidationError, match="not understood") as caught:
        EligibilityRule.parse(text)
    assert OPERATOR_LIST in str(caught.value) and "\n" not in str(caught.value)


@pytest.mark.parametrize(
    "text,fragment",
    [
        ("age >= eighteen", "use a number"),
        ("age >= nan", "use a number"),
        ("age < 1e3", "use a number"),
        ("age_band in 18-21,,22-25", "empty value"),
        ("gender = man,woman", "write 'gender in man,woman'"),
        ("gender != man,woman", "write 'gender not in man,woman'"),
    ],
)
def test_values_are_checked_too(text: str, fragment: str) -> None:
    with pytest.raises(ValidationError, match=fragment):
        EligibilityRule.parse(text)


@pytest.mark.parametrize(
    "text,canonical",
    [
        ("age >= 18", "age >= 18"),
        ("Age-Band in 18-21, 22-25", "age_band in 18-21,22-25"),
        ("age_band not   in 16-17", "age_band not in 16-17"),
        ("disability=yes", "disability = yes"),
        ("imd_decile <= 2", "imd_decile <= 2"),
        ("income > -1.5", "income > -1.5"),
        ("within != 5", "within != 5"),
    ],
)
def test_well_formed_rules_parse_to_one_canonical_text(text: str, canonical: str) -> None:
    assert str(EligibilityRule.parse(text)) == canonical
    assert EligibilityRule.parse(canonical) == EligibilityRule.parse(text)


NAMES = st.from_regex(r"[a-z][a-z0-9_]{0,12}", fullmatch=True).filter(lambda n: n not in ("in", "not"))
WORDS = st.from_regex(r"[A-Za-z0-9][A-Za-z0-9 _-]{0,10}[A-Za-z0-9]", fullmatch=True)


@given(
    field=NAMES, op=st.sampled_from(OPERATORS), words=st.lists(WORDS, min_size=1, max_size=3), n=st.integers(-99, 99)
)
def test_every_rule_reads_back_as_written(field: str, op: str, words: list[str], n: int) -> None:
    values = (str(n),) if op in (">=", "<=", ">", "<") else tuple(words) if "in" in op else (words[0],)
    rule = EligibilityRule(field, op, values)
    assert EligibilityRule.parse(str(rule)) == rule


def test_rule_names_must_be_known_or_confirmed() -> None:
    rules = [EligibilityRule.parse("agee >= 18")]
    with pytest.raises(ValidationError, match="did you mean age\\?.*--new-attribute agee"):
        check_rule_names(rules, {"age", "gender"})
    assert check_rule_names(rules, {"age"}, confirmed=["agee"]) == ["agee"]
    assert check_rule_names([EligibilityRule.parse("core20 = yes")], set()) == []  # derived from imd_decile
    with pytest.raises(ValidationError, match="--new-attribute region is not used by any --eligible rule"):
        check_rule_names(rules, {"agee"}, confirmed=["region"])


# -- the Engagement aggregate -------------------------------------------------------------------
def opened() -> Engagement:
    return Engagement.open(
        name="Vested",
        purpose="p",
        kind="involve",
        sessions=[date(2026, 3, 2), date(2026, 3, 3)],
        day_rate_pence=35000,
        eligibility=["age_band in 18-21"],
        at=T0,
    )


def test_an_update_records_one_event_per_changed_field_and_keeps_the_history() -> None:
    e = opened()
    first = e.collect_events()
    when = datetime(2026, 2, 1, tzinfo=UTC)
    changed = e.update(
        eligibility=["age_band in 16-17,18-21"], target_size=8, changed_by="amy", reason="wider", at=when
    )
    assert changed == ["eligibility", "target size"]
    events = e.collect_events()
    assert [type(x).__name__ for x in events] == ["EligibilityChanged", "TargetSizeChanged"]
    assert e.eligibility == ["age_band in 16-17,18-21"] and e.target_size == 8
    assert e.eligibility_at(datetime(2026, 1, 20, tzinfo=UTC)) == ["age_band in 18-21"]  # as a draw then saw it
    assert e.eligibility_at(when) == ["age_band in 16-17,18-21"]
    assert [(c.field, c.before, c.after, c.changed_by) for c in e.changes] == [
        ("eligibility", ["age_band in 18-21"], ["age_band in 16-17,18-21"], "amy"),
        ("target size", None, 8, "amy"),
    ]
    replayed = None
    for recorded in [*first, *events]:  # what loading it from the store does
        replayed = recorded.mutate(replayed)
    assert replayed is not None and (replayed.eligibility, replayed.changes) == (e.eligibility, e.changes)
    assert e.update(target_size=8, at=when) == []  # the same value again records nothing
    assert e.collect_events() == []


def test_an_update_is_checked_whole_before_anything_is_recorded() -> None:
    e = opened()
    e.collect_events()
    with pytest.raises(ValidationError, match="not understood"):
        e.update(target_size=9, eligibility=["age => 18"], at=datetime(2026, 2, 1, tzinfo=UTC))
    with pytest.raises(ValidationError, match="2026-03-02 of vested has already taken place"):
        e.update(sessions=[date(2026, 3, 3), date(2026, 3, 9)], target_size=9, at=datetime(2026, 3, 2, 18, tzinfo=UTC))
    with pytest.raises(ValidationError, match="nothing to update"):
        e.update(at=datetime(2026, 2, 1, tzinfo=UTC))
    with pytest.raises(ValidationError, match="before vested was opened"):
        e.update(target_size=9, at=datetime(2026, 1, 1, tzinfo=UTC))
    assert e.collect_events() == [] and e.target_size is None
    e.close(reason="done", at=datetime(2026, 4, 1, tzinfo=UTC))
    with pytest.raises(EngagementClosedError):
        e.update(target_size=9, at=datetime(2026, 4, 2, tzinfo=UTC))


# -- the store and the CLI, on both backends ---------------------------------------------------
def register(app: PanelApp, ref: str, **attributes: str) -> None:
    both = (ConsentSpec("contact", "v1", "online", "self"), ConsentSpec("panel_membership", "v1", "online", "self"))
    Registration(app).register(SignUp(ref=ref, channel="online", attributes=attributes, consents=both, at=T0))


OPEN = ("engagement", "open", "Youth panel", "--type", "involve", "--purpose", "p", "--session", "2026-03-02")


def test_a_new_attribute_is_confirmed_explicitly_and_is_known_from_then_on(app: PanelApp, panel) -> None:  # type: ignore[no-untyped-def]
    panel("init")
    ran = panel(*OPEN, "--eligible", "age >= 18", code=1)  # nobody has applied yet: 'age' is new to the store
    assert "confirm it with --new-attribute age" in ran.err and ran.err.count("\n") == 1
    assert Queries(app).engagements() == []
    panel(*OPEN, "--eligible", "age >= 18", "--new-attribute", "age")
    panel(*OPEN, "--ref", "second", "--eligible", "age >= 21")  # declared for an engagement: now known
    assert Engagements(app).known_attributes() == {"age"}
    assert [(name, origin) for name, origin, _, _ in AttributeNames(app).noted()] == [("age", "engagement youth-panel")]


def test_names_seen_in_sign_ups_are_known_and_typos_get_a_suggestion(app: PanelApp, panel) -> None:  # type: ignore[no-untyped-def]
    panel("init")
    register(app, "A-1", age_band="18-21")
    panel("participant", "update", "A-1", "--attr", "employment_status=student", "--captured-by", "amy")
    assert Engagements(app).known_attributes() == {"age_band", "employment_status"}
    ran = panel(*OPEN, "--eligible", "age_bnd in 18-21", code=1)
    assert "did you mean age_band?" in ran.err
    panel(*OPEN, "--eligible", "age_band in 18-21", "--eligible", "employment_status != student")


def test_engagement_update_is_recorded_and_shown_as_history(app: PanelApp, panel) -> None:  # type: ignore[no-untyped-def]
    panel("init")
    register(app, "A-1", age_band="18-21")
    panel(*OPEN, "--eligible", "age_band in 18-21", "--at", "2026-01-06")
    update = (
        "engagement",
        "update",
        "youth-panel",
        "--eligible",
        "age_band in 16-17,18-21",
        "--session",
        "2026-03-02",
        "--session",
        "2026-03-09",
        "--target-size",
        "8",
        "--cooldown-days",
        "90",
        "--by",
        "amy",
        "--reason",
        "widened after the schools event",
        "--at",
        "2026-02-01",
    )
    assert panel(*update).out.strip() == "Updated youth-panel: eligibility, sessions, target size, cooldown"
    assert panel(*update).out.strip() == "Unchanged: youth-panel already has these settings"
    shown = panel("engagement", "show", "youth-panel").out
    assert "Changes since it was opened" in shown and "widened after the schools event" in shown
    eligibility_row = next(line for line in shown.splitlines() if "2026-02-01" in line and "eligibility" in line)
    assert "age_band in 18-21" in eligibility_row and "age_band in 16-17,18-21" in eligibility_row
    data = json.loads(panel("engagement", "show", "youth-panel", "--json").out)
    assert data["eligibility"] == ["age_band in 16-17,18-21"] and data["target_size"] == 8
    assert data["sessions"] == ["2026-03-02", "2026-03-09"] and data["cooldown_days"] == 90
    assert [(c["field"], c["after"], c["changed_by"]) for c in data["changes"]] == [
        ("eligibility", ["age_band in 16-17,18-21"], "amy"),
        ("sessions", ["2026-03-02", "2026-03-09"], "amy"),
        ("target size", 8, "amy"),
        ("cooldown", 90, "amy"),
    ]
    assert Fatigue(app).fatigue_rules(app.resolve_engagement("youth-panel")).cooldown_days == 90
    panel("engagement", "update", "youth-panel", "--everyone")
    assert json.loads(panel("engagement", "show", "youth-panel", "--json").out)["eligibility"] == []


def test_a_store_older_than_the_list_of_names_is_listed_once_by_init(app: PanelApp, panel) -> None:  # type: ignore[no-untyped-def]
    """Sign-ups written before the catalogue existed: rules are refused until `panel init` lists their names."""
    panel("init")
    pid = app.participant_id_for("OLD-1")
    key = app.keys.ensure_keys([pid])[pid]
    sealed = seal(key, pid, {"personal": {}, "attributes": {"age_band": "18-21", "gender": "man"}})
    events = Participant.sign_up(
        id=pid, source="panel", external_ref="OLD-1", channel="online", captured_by=None, at=T0, sealed=sealed
    )
    app.recorder.insert_events([app.mapper.to_stored_event(e) for e in events])  # as the code before the list did
    ran = panel(*OPEN, "--eligible", "age_band in 18-21", code=1)
    assert "run `panel init` once" in ran.err
    assert "Listed 2 attribute names" in panel("init").out
    assert "Listed" not in panel("init").out  # once only
    panel(*OPEN, "--eligible", "age_band in 18-21")
    assert Engagements(app).known_attributes() == {"age_band", "gender"}
