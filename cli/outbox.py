"""`panel outbox`: the emails the service wrote, sent and failed to send; `panel outbox send` sends them."""

from __future__ import annotations

import click

from cli.options import echo_footer, json_option, paging_options
from cli.render import echo_json, say, table, when
from cli.wiring import Wiring
from panel.outbox import STATUSES
from panel.paging import Page


@click.group(invoke_without_command=True)
@click.option("--status", type=click.Choice(STATUSES), default=None, help="Only the messages in this state.")
@paging_options(100, "messages")
@json_option
@click.pass_context
def outbox(ctx: click.Context, status: str | None, page: Page, as_json: bool) -> None:
    """List the emails in the outbox (PANEL_OUTBOX_DIR, default ./outbox): waiting, sent and failed.

    Every email the service writes (confirmation links, personal links) is kept there as an .eml
    file readable by its owner only. Without PANEL_SMTP_URL the messages wait for a relay or a
    person to pick them up; with it they are sent as they are written, and a message the server
    did not take is kept as failed, with the reason. Addresses are shown masked. Oldest first, a
    page at a time; the counts are of every message.

    Example:

        panel outbox --status failed
    """
    if ctx.invoked_subcommand is not None:
        return
    box = ctx.obj.outbox
    entries, more = box.page(page, status)
    counts = box.counts(status)
    if as_json:
        echo_json({
            "messages": [
                {
                    "name": e.name, "status": e.status, "written_at": e.written_at.isoformat(), "kind": e.kind,
                    "to": e.to, "subject": e.subject, "error": e.error or None,
                }
                for e in entries
            ],
            "counts": counts, **page.fields(more),
        })  # fmt: skip
        return
    if not entries:
        total = sum(counts.values())
        if total:  # past the last page
            say(f"No messages from --offset {page.offset}: the outbox holds {total}; try a smaller --offset")
        else:
            say(f"No {status or ''} messages in {box.folder}".replace("  ", " "))
        return
    table(
        f"Outbox {box.folder}",
        ["written", "status", "kind", "to", "subject", "reason"],
        [(when(e.written_at), e.status, e.kind, e.to, e.subject, e.error or "-") for e in entries],
    )
    say(", ".join(f"{n} {s}" for s, n in counts.items() if n))
    echo_footer(page.footer(len(entries), more, "messages"))


@outbox.command("send")
@json_option
@click.pass_obj
def send(wiring: Wiring, as_json: bool) -> None:
    """Send the waiting and failed emails through PANEL_SMTP_URL (exit 1 if any still fails).

    Example:

        PANEL_SMTP_URL=smtp://mail.example.org:25 PANEL_MAIL_FROM=panel@example.org panel outbox send
    """
    box = wiring.outbox
    if box.transport is None:
        raise click.ClickException("PANEL_SMTP_URL is not set: set it to send mail, e.g. smtp://mail.example.org:25")
    sent, failed = box.flush()
    reasons = sorted({e.error for e in box.entries("failed")} - {""}) if failed else []
    if as_json:
        echo_json({"sent": sent, "failed": failed, "server": box.transport.describe(), "reasons": reasons})
    else:
        say(f"Sent {sent} message{'s' * (sent != 1)} through {box.transport.describe()}; {failed} failed")
        for reason in reasons:
            say(f"  failed: {reason}")
    if failed:
        raise SystemExit(1)


def register(group: click.Group) -> None:
    group.add_command(outbox)
