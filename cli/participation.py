"""`panel invite|accept|decline|attend|no-show|withdraw`: participation in an engagement."""

from __future__ import annotations

from datetime import datetime
from pathlib import Path

import click

from cli.options import at_option, pass_app
from cli.render import err, say
from panel import attendance
from panel.application import PanelApp
from panel.attendance import COMMAND_LINE, RosterEntry, RosterError, read_roster
from panel.domain.values import parse_day
from panel.participation import Participation
from panel.queries import Queries


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
    count = Participation(app).invite(eid, pids, at=at, override_reason=override_reason)
    say(f"Invited {count} participant{'s' if count != 1 else ''} to {Queries(app).engagement(eid).ref}")


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
        Participation(app).respond(eid, pid, accept=accept, at=at)
        say(f"{Queries(app).participant_ref(pid)} {past} the invitation to {Queries(app).engagement(eid).ref}")

    command.help = (
        f"Record that a participant {past} an invitation.\n\nExample:\n\n    panel {verb} vested-youth-panel VES-001"
    )
    return command


ROSTER = click.Path(dir_okay=False, path_type=Path)


@click.command()
@click.argument("engagement_ref")
@click.argument("participants", nargs=-1)
@click.option("--date", "day", required=True, help="Session date (YYYY-MM-DD).")
@click.option("--half-day", is_flag=True, help="The people named on the command line attended half the day.")
@click.option("--roster", type=ROSTER, default=None, help="CSV with a ref column and an optional half_day column.")
@at_option
@pass_app
def attend(
    app: PanelApp,
    engagement_ref: str,
    participants: tuple[str, ...],
    day: str,
    half_day: bool,
    roster: Path | None,
    at: datetime | None,
) -> None:
    """Record attendance at a session, for one person or a whole roster (full day unless half_day says so).

    Every entry is checked first: one bad entry and nothing is recorded. Entries already recorded
    are left unchanged, so running the same roster again changes nothing.

    Example:

        panel attend vested-youth-panel --date 2026-03-02 --roster attended.csv
    """
    _record(app, engagement_ref, participants, day, roster, half_day=half_day, no_show=False, at=at)


@click.command("no-show")
@click.argument("engagement_ref")
@click.argument("participants", nargs=-1)
@click.option("--date", "day", required=True, help="Session date (YYYY-MM-DD).")
@click.option("--roster", type=ROSTER, default=None, help="CSV with a ref column: the people who did not come.")
@at_option
@pass_app
def no_show(
    app: PanelApp,
    engagement_ref: str,
    participants: tuple[str, ...],
    day: str,
    roster: Path | None,
    at: datetime | None,
) -> None:
    """Record that accepted participants did not come to a session (all or nothing, idempotent).

    Example:

        panel no-show vested-youth-panel VES-001 VES-007 --date 2026-03-03
    """
    _record(app, engagement_ref, participants, day, roster, half_day=False, no_show=True, at=at)


def _record(
    app: PanelApp,
    engagement_ref: str,
    participants: tuple[str, ...],
    day: str,
    roster: Path | None,
    *,
    half_day: bool,
    no_show: bool,
    at: datetime | None,
) -> None:
    if not participants and roster is None:
        raise click.UsageError("name the participants, or give --roster FILE")
    session = parse_day(day)
    eid = app.resolve_engagement(engagement_ref)
    entries = [RosterEntry(COMMAND_LINE, ref, half_day) for ref in participants]
    try:
        if roster is not None:
            entries += read_roster(roster, half_days=not no_show)
        outcome = attendance.record(
            app, eid, session, entries, no_show=no_show, at=at, source=str(roster or "the command line")
        )
    except RosterError as exc:
        for where, reason in exc.problems:
            err(f"{where}: {reason}")
        raise
    say(_describe(app, outcome))


def _describe(app: PanelApp, o: attendance.AttendanceOutcome) -> str:
    what = "no-show" if o.no_show else "attendance"
    if len(o.recorded) == 1 and not o.unchanged:
        entry = o.recorded[0]
        ref = Queries(app).participant(app.resolve_participant(entry.ref)).ref
        if o.no_show:
            return f"{ref} did not attend {o.day}"
        return f"{ref} attended {o.day} ({'half' if entry.half_day else 'full'} day)"
    if not o.recorded:
        who = o.unchanged[0].ref if len(o.unchanged) == 1 else f"all {len(o.unchanged)} people"
        return f"Unchanged: {what} at {o.engagement} on {o.day} is already recorded for {who}"
    halves = sum(e.half_day for e in o.recorded)
    detail = f" ({halves} half day{'s' if halves != 1 else ''})" if halves and not o.no_show else ""
    text = f"Recorded {what} at {o.engagement} on {o.day} for {len(o.recorded)} {_people(len(o.recorded))}{detail}"
    return text + (f"; {len(o.unchanged)} already recorded, unchanged" if o.unchanged else "")


def _people(n: int) -> str:
    return "person" if n == 1 else "people"


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
    Participation(app).withdraw_from(eid, pid, reason, at=at)
    say(f"{Queries(app).participant_ref(pid)} withdrew from {Queries(app).engagement(eid).ref}")


def register(group: click.Group) -> None:
    for command in (invite, _respond(True), _respond(False), attend, no_show, withdraw):
        group.add_command(command)
