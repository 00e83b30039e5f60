"""The actor in the stored state (panel.actor): an event decodes identical with and without it, an event
stored before actors were recorded decodes as before, and the name is the one of the running context."""

from __future__ import annotations

import json
from datetime import UTC, datetime
from uuid import UUID, uuid4

import click
from eventsourcing.persistence import StoredEvent

from cli.actor import adopt_by_options
from panel.actor import ACTOR_KEY, act_as, acting_as, clean, current
from panel.application import PanelApp, TextCheckingMapper
from panel.domain.participant import Participant
from panel.store.bulk_import import build_mapper

T = datetime(2026, 3, 1, 9, tzinfo=UTC)


def mapper() -> TextCheckingMapper:
    built = build_mapper(PanelApp, "panel", {})  # the application's own mapper, no database
    assert isinstance(built, TextCheckingMapper)
    return built


def granted(pid: UUID) -> Participant.ConsentGranted:
    return Participant.ConsentGranted(originator_id=pid, originator_version=2, timestamp=T, purpose="contact",
                                      notice_version="v3", method="verbal", captured_by="amy", at=T,
                                      expires_at=None)  # fmt: skip


def test_the_actor_is_stored_and_taken_out_again() -> None:
    m, event = mapper(), granted(uuid4())
    plain = m.to_stored_event(event)
    with acting_as("amy.khan"):
        signed = m.to_stored_event(event)
    assert ACTOR_KEY not in json.loads(plain.state) and json.loads(signed.state)[ACTOR_KEY] == "amy.khan"
    assert vars(event) == vars(granted(event.originator_id))  # the event itself was not changed
    for stored, who in ((plain, None), (signed, "amy.khan")):
        decoded, actor = m.with_actor(stored)
        assert vars(decoded) == vars(event) and decoded == event and actor == who
        assert ACTOR_KEY not in vars(m.to_domain_event(stored))


def test_an_event_stored_before_actors_decodes_as_before() -> None:
    m, pid = mapper(), uuid4()
    state = m.transcoder.encode({"timestamp": T, "purpose": "contact", "notice_version": "v3", "method": "verbal",
                                 "captured_by": "amy", "at": T})  # fmt: skip
    old = StoredEvent(pid, 2, "panel.domain.participant:Participant.ConsentGranted", state)
    assert m.with_actor(old) == (granted(pid), None)


def test_names_are_one_line_and_scoped() -> None:
    assert current() is None
    with acting_as("  amy\n khan\x00 "):
        assert current() == "amy khan"
        with acting_as(""):
            assert current() is None
        act_as("sam.lee")
        assert current() == "sam.lee"
    assert current() is None
    assert clean("x" * 300) == "x" * 100


def test_a_person_naming_by_option_names_the_actor() -> None:
    @click.group()
    def group() -> None:
        pass

    @group.command()
    @click.option("--by")
    def approve(by: str | None) -> None:
        click.echo(f"{by}:{current()}")

    @group.command()
    @click.option("--by", type=click.Choice(["budget", "engagement"]))
    def export(by: str | None) -> None:
        click.echo(f"{by}:{current()}")

    @group.command()
    @click.option("--by")
    def reach(by: str | None) -> None:  # groups by attributes: names no one
        click.echo(f"{by}:{current()}")

    adopt_by_options(group)
    adopt_by_options(group)  # idempotent
    with acting_as("os.user"):
        group.main(["approve", "--by", "finance.lee"], standalone_mode=False)
        assert current() == "finance.lee"
    with acting_as("os.user"):
        group.main(["export", "--by", "budget"], standalone_mode=False)
        group.main(["reach", "--by", "age_band"], standalone_mode=False)
        assert current() == "os.user"
