"""`panel audit log`: every recorded event, when it was stored and who did it (docs/audit.md)."""

from __future__ import annotations

from datetime import date, datetime, timedelta
from typing import Any

import click

from cli.options import RowCountType, json_option, pass_app
from cli.render import echo_json, say, table
from panel.application import PanelApp
from panel.audit_log import DEFAULT_LIMIT, AuditLog, LogEntry, LogFilter


@click.command("log")
@click.option(
    "--participant", "participant_ref", default=None, help="Only events of this participant (reference or id)."
)
@click.option(
    "--actor", default=None, help="Only events recorded as done by this person (or party, e.g. partner:NAME)."
)
@click.option(
    "--from", "start", metavar="DATE|TIME", default=None, help="From this UTC date or ISO 8601 time (inclusive)."
)
@click.option(
    "--to", "end", metavar="DATE|TIME", default=None, help="Up to this UTC date (inclusive) or ISO 8601 time."
)
@click.option("--after", type=RowCountType(0), default=0, help="Only positions after this one (to read on).")
@click.option(
    "--limit", type=RowCountType(1, 100_000), default=DEFAULT_LIMIT, show_default=True,
    help="At most this many events.",
)  # fmt: skip
@json_option
@pass_app
def log(
    app: PanelApp,
    participant_ref: str | None,
    actor: str | None,
    start: str | None,
    end: str | None,
    after: int,
    limit: int,
    as_json: bool,
) -> None:
    """List the recorded events in order: position, time stored (UTC), who did it, and what.

    Who is the `--by` a command was given, else PANEL_USER, else the operating-system user; on the
    web, the signed-in staff member, `partner:NAME`, `applicant` (the application form) or `self`
    (a person's own links). `-` marks an event stored before actors were recorded. The participant
    column gives a reference, never personal data. Reads the log a page at a time; when more events
    match than --limit, the last line (or `next` in --json) says how to read on (--after POSITION).

    Example:

        panel audit log --participant VES-001 --from 2026-03-01 --to 2026-03-31
    """
    since, until = _between(start, end)
    pid = app.resolve_participant(participant_ref) if participant_ref else None
    where = LogFilter(participant_id=pid, actor=actor.strip() if actor else None, start=since, end=until)
    entries = AuditLog(app).entries(where, after=after, limit=limit + 1)
    more = len(entries) > limit
    entries = entries[:limit]
    if as_json:
        following = entries[-1].position if more else None
        echo_json({"events": [_json(e) for e in entries], "limit": limit, "after": after, "next": following})
        return
    if not entries:
        say("No events match" if participant_ref or actor or start or end or after else "No events recorded yet")
        return
    table(
        None,
        ["position", "time (UTC)", "who", "what", "participant"],
        [
            (e.position, _time(e.at), e.actor or "-", f"{e.aggregate}.{e.event}", e.participant_ref or "")
            for e in entries
        ],
    )
    if more:
        say(f"Showing {limit} events; read on with --after {entries[-1].position}")


def _between(start: str | None, end: str | None) -> tuple[datetime | None, datetime | None]:
    """The --from and --to times (UTC); a bare --to date includes that whole day. Bad input: one line."""
    from panel.domain.errors import ValidationError
    from panel.domain.values import parse_when

    since = parse_when(start.strip(), "--from") if start is not None else None
    until = parse_when(end.strip(), "--to") if end is not None else None
    if until is not None and end is not None and len(end.strip()) == 10:
        until = until + timedelta(days=1) if until.date() < date.max else None  # 9999-12-31: no end at all
    if since is not None and until is not None and until <= since:
        raise ValidationError(f"--to {end} is not after --from {start}: give a --to later than --from")
    return since, until


def _time(moment: datetime | None) -> str:
    return "-" if moment is None else moment.strftime("%Y-%m-%d %H:%M:%SZ")


def _json(e: LogEntry) -> dict[str, Any]:
    return {"position": e.position, "at": e.at.isoformat() if e.at else None, "actor": e.actor,
            "aggregate": e.aggregate, "event": e.event, "aggregate_id": str(e.aggregate_id),
            "participant": e.participant_ref}  # fmt: skip
