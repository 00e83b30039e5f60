"""`panel audit ...`: check the store's own record (the hash chain over the stored events)."""

from __future__ import annotations

from dataclasses import asdict

import click

from cli.options import json_option, pass_app
from cli.render import echo_json
from panel.application import PanelApp


@click.group()
def audit() -> None:
    """Check that the event history is the one that was written (docs/audit.md)."""


@audit.command("verify")
@click.option(
    "--from",
    "start",
    type=click.IntRange(min=1),
    default=None,
    help="First position to check, trusting the chain before it (default: the whole log).",
)
@json_option
@pass_app
def verify(app: PanelApp, start: int | None, as_json: bool) -> None:
    """Walk the events and their hash chain; say OK with the head, or the first position that breaks.

    A break is `changed` (stored bytes differ from those chained), `missing` (an event was
    deleted), `inserted` (an event the chain does not record) or `reordered` (an event chained
    at another position). Exit 0 when the chain holds, 1 when it breaks.

    Example:

        panel audit verify
    """
    from panel.audit import Audit
    from panel.domain.errors import PanelError

    report = Audit(app).verify(start)
    if as_json:
        echo_json(asdict(report))
        if not report.ok:
            raise SystemExit(1)
        return
    if not report.ok:
        raise PanelError(
            f"chain broken at position {report.position}: {report.kind}: {report.detail} "
            f"({report.checked} event(s) verified from position {report.start} before it)"
        )
    if report.head_position is None:
        click.echo("OK: the store holds no events yet; nothing to verify")
        return
    upgraded = ""
    if report.upgraded:
        events, last, when = report.upgraded.split(" ", 2)
        upgraded = f"; positions up to {last} were chained when the store was upgraded ({when})"
    click.echo(
        f"OK: {report.checked} event(s) verified from position {report.start}; "
        f"head position {report.head_position} sha256 {report.head_hash}{upgraded}"
    )


def register(group: click.Group) -> None:
    group.add_command(audit)
