"""`panel invite|accept|decline|attend|no-show|withdraw`: participation in an engagement."""

from __future__ import annotations

from datetime import datetime

import click

from cli.options import at_option, pass_app
from cli.render import say
from panel.application import PanelApp
from panel.domain.values import parse_day


@click.command()
@click.argument("engagement_ref")
@click.argument("participants", nargs=-1, required=True)
@click.option("--override-reason", default=None, help="Invite despite a fatigue rule; the reason is recorded.")
@at_option
@pass_app
def invite(
    app: PanelApp, engagement_ref: str, participants: tuple[str, ...], override_reason: str | None, at: datetime | None
) -> None:
    """Invite participants to an engagement (all or none: each needs an active contact consent).

    Example:

        panel invite vested-youth-panel VES-001 VES-002
    """
    eid = app.resolve_engagement(engagement_ref)
    pids = [app.resolve_participant(p) for p in participants]
    count = app.invite(eid, pids, at=at, override_reason=override_reason)
    say(f"Invited {count} participant{'s' if count != 1 else ''} to {app.engagement(eid).ref}")


def _respond(accept: bool) -> click.Command:
    verb = "accept" if accept else "decline"
    past = verb + "ed" if accept else verb + "d"

    @click.command(verb)
    @click.argument("engagement_ref")
    @click.argument("participant")
    @at_option
    @pass_app
    def command(app: PanelApp, engagement_ref: str, participant: str, at: datetime | None) -> None:
        eid = app.resolve_engagement(engagement_ref)
        pid = app.resolve_participant(participant)
        app.respond(eid, pid, accept=accept, at=at)
        say(f"{app.participant_aggregate(pid).external_ref} {past} the invitation to {app.engagement(eid).ref}")

    command.help = (
        f"Record that a participant {past} an invitation.\n\nExample:\n\n    panel {verb} vested-youth-panel VES-001"
    )
    return command


@click.command()
@click.argument("engagement_ref")
@click.argument("participant")
@click.option("--date", "day", required=True, help="Session date (YYYY-MM-DD).")
@click.option("--half-day", is_flag=True, help="They attended half the day.")
@at_option
@pass_app
def attend(app: PanelApp, engagement_ref: str, participant: str, day: str, half_day: bool, at: datetime | None) -> None:
    """Record attendance at a session (full day unless --half-day).

    Example:

        panel attend vested-youth-panel VES-001 --date 2026-03-02 --half-day
    """
    eid = app.resolve_engagement(engagement_ref)
    pid = app.resolve_participant(participant)
    app.attend(eid, pid, parse_day(day), half_day=half_day, at=at)
    say(f"{app.participant_aggregate(pid).external_ref} attended {day} ({'half' if half_day else 'full'} day)")


@click.command("no-show")
@click.argument("engagement_ref")
@click.argument("participant")
@click.option("--date", "day", required=True, help="Session date (YYYY-MM-DD).")
@at_option
@pass_app
def no_show(app: PanelApp, engagement_ref: str, participant: str, day: str, at: datetime | None) -> None:
    """Record that an accepted participant did not come to a session.

    Example:

        panel no-show vested-youth-panel VES-001 --date 2026-03-03
    """
    eid = app.resolve_engagement(engagement_ref)
    pid = app.resolve_participant(participant)
    app.record_no_show(eid, pid, parse_day(day), at=at)
    say(f"{app.participant_aggregate(pid).external_ref} did not attend {day}")


@click.command()
@click.argument("engagement_ref")
@click.argument("participant")
@click.option("--reason", required=True, help="Why they withdrew.")
@at_option
@pass_app
def withdraw(app: PanelApp, engagement_ref: str, participant: str, reason: str, at: datetime | None) -> None:
    """Record that a participant withdrew from an engagement (what they earned is kept).

    Example:

        panel withdraw vested-youth-panel VES-001 --reason "moved away"
    """
    eid = app.resolve_engagement(engagement_ref)
    pid = app.resolve_participant(participant)
    app.withdraw_from(eid, pid, reason, at=at)
    say(f"{app.participant_aggregate(pid).external_ref} withdrew from {app.engagement(eid).ref}")


def register(group: click.Group) -> None:
    for command in (invite, _respond(True), _respond(False), attend, no_show, withdraw):
        group.add_command(command)
