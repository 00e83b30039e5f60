"""`panel engagement ...`: open, list, show and close engagements."""

from __future__ import annotations

from collections.abc import Callable
from datetime import date, datetime
from typing import Any, TypeVar

import click

from cli.options import at_option, echo_footer, json_option, paging_options, pass_app
from cli.render import echo_json, say, table, when
from panel.application import PanelApp
from panel.domain.money import MAX_RATE_PENCE, format_pence, pence_from_text
from panel.domain.values import ENGAGEMENT_TYPES, parse_day
from panel.engagements import Engagements
from panel.paging import Page
from panel.queries import Queries
from panel.records import EngagementDetails

F = TypeVar("F", bound=Callable[..., Any])


def new_attribute_option(f: F) -> F:
    return click.option(
        "--new-attribute",
        "new_attributes",
        multiple=True,
        help="Confirm that a rule's attribute is new to this store (nobody has it yet); repeat.",
    )(f)


@click.group()
def engagement() -> None:
    """Open and inspect engagements (consultations, panels, co-production)."""


@engagement.command("open")
@click.argument("name")
@click.option(
    "--type",
    "kind",
    type=click.Choice(ENGAGEMENT_TYPES),
    required=True,
    help="Where it sits on the engagement spectrum.",
)
@click.option("--purpose", required=True, help="What the engagement is for, in a sentence.")
@click.option("--day-rate", default="0", show_default=True, help="Payment per full day in pounds, e.g. 350.00.")
@click.option("--session", "sessions", multiple=True, help="A session date (YYYY-MM-DD); repeat for each.")
@click.option("--target-size", type=click.IntRange(min=1), default=None, help="How many people the panel needs.")
@click.option(
    "--eligible",
    "eligibility",
    multiple=True,
    help="Eligibility rule over attributes, e.g. 'age_band in 18-21,22-25'; repeat to combine.",
)
@new_attribute_option
@click.option(
    "--cooldown-days",
    type=click.IntRange(min=0),
    default=None,
    help="Leave out people who attended any engagement within this many days.",
)
@click.option("--ref", default=None, help="Short reference; default made from the name.")
@click.option("--by", "opened_by", default=None, help="Staff member opening it.")
@at_option
@pass_app
def open_(
    app: PanelApp,
    name: str,
    kind: str,
    purpose: str,
    day_rate: str,
    sessions: tuple[str, ...],
    target_size: int | None,
    eligibility: tuple[str, ...],
    new_attributes: tuple[str, ...],
    cooldown_days: int | None,
    ref: str | None,
    opened_by: str | None,
    at: datetime | None,
) -> None:
    """Open an engagement.

    An --eligible rule is NAME OPERATOR VALUE, the operator one of =, !=, >=, <=, >, <, in,
    not in. NAME must be an attribute the store knows (from sign-ups or other engagements); a
    genuinely new one, e.g. before anyone has applied, is confirmed with --new-attribute NAME.

    Example:

        panel engagement open "Vested youth panel" --type involve --purpose "Shape youth services"
        --day-rate 350.00 --session 2026-03-02 --session 2026-03-03 --target-size 6
        --eligible 'age_band in 18-21,22-25'
    """
    eid = Engagements(app).open_engagement(
        new_attributes=new_attributes,
        name=name,
        purpose=purpose,
        kind=kind,
        sessions=[parse_day(s, "--session") for s in sessions],
        day_rate_pence=pence_from_text(day_rate, "--day-rate", ceiling=MAX_RATE_PENCE),
        target_size=target_size,
        eligibility=list(eligibility),
        cooldown_days=cooldown_days,
        ref=ref,
        opened_by=opened_by,
        at=at,
    )
    details = Queries(app).engagement(eid)
    say(f"Opened engagement {details.ref} ({eid})")


@engagement.command("list")
@paging_options(100, "engagements")
@json_option
@pass_app
def list_(app: PanelApp, page: Page, as_json: bool) -> None:
    """List engagements, oldest first, a page at a time (--limit, --offset).

    Example:

        panel engagement list --json
    """
    items, more = Queries(app).engagement_page(page)
    if as_json:
        echo_json({"engagements": items, **page.fields(more)})
        return
    table(
        "Engagements",
        ["ref", "name", "type", "sessions", "day rate", "target", "status"],
        [
            (
                e.ref,
                e.name,
                e.kind,
                len(e.sessions),
                format_pence(e.day_rate_pence),
                e.target_size or "-",
                "closed" if e.closed_at else "open",
            )
            for e in items
        ],
    )
    echo_footer(page.footer(len(items), more, "engagements"))


@engagement.command("show")
@click.argument("engagement_ref")
@json_option
@pass_app
def show(app: PanelApp, engagement_ref: str, as_json: bool) -> None:
    """Show one engagement by id or reference.

    Example:

        panel engagement show vested-youth-panel
    """
    details = Queries(app).engagement(app.resolve_engagement(engagement_ref))
    if as_json:
        echo_json(details)
        return
    render_engagement(details)


@engagement.command("update")
@click.argument("engagement_ref")
@click.option("--eligible", "eligibility", multiple=True, help="The new eligibility rules (replace the old); repeat.")
@click.option("--everyone", is_flag=True, help="Remove every eligibility rule.")
@new_attribute_option
@click.option("--session", "sessions", multiple=True, help="The new session dates (replace the old); repeat.")
@click.option("--target-size", type=click.IntRange(min=1), default=None, help="How many people the panel needs.")
@click.option("--cooldown-days", type=click.IntRange(min=0), default=None, help="The engagement's own cooldown.")
@click.option("--by", "changed_by", default=None, help="Staff member making the change.")
@click.option("--reason", default=None, help="Why it changed (shown in the engagement's history).")
@at_option
@pass_app
def update(
    app: PanelApp,
    engagement_ref: str,
    eligibility: tuple[str, ...],
    everyone: bool,
    new_attributes: tuple[str, ...],
    sessions: tuple[str, ...],
    target_size: int | None,
    cooldown_days: int | None,
    changed_by: str | None,
    reason: str | None,
    at: datetime | None,
) -> None:
    """Change an engagement's eligibility, sessions, target size or cooldown (each change is recorded).

    Rules and sessions given replace the old ones; sessions that have taken place must be kept.

    Example:

        panel engagement update vested-youth-panel --eligible 'age_band in 16-17,18-21,22-25'
        --target-size 8 --by amy.khan --reason "widened to 16-17 after the schools event"
    """
    if everyone and eligibility:
        raise click.UsageError("give either --eligible rules or --everyone, not both")
    eid = app.resolve_engagement(engagement_ref)
    changed = Engagements(app).update_engagement(
        eid,
        new_attributes=new_attributes,
        eligibility=[] if everyone else (list(eligibility) or None),
        sessions=[parse_day(s, "--session") for s in sessions] or None,
        target_size=target_size,
        cooldown_days=cooldown_days,
        changed_by=changed_by,
        reason=reason,
        at=at,
    )
    ref = Queries(app).engagement(eid).ref
    say(f"Updated {ref}: {', '.join(changed)}" if changed else f"Unchanged: {ref} already has these settings")


@engagement.command("close")
@click.argument("engagement_ref")
@click.option("--reason", required=True, help="Why it is closed.")
@at_option
@pass_app
def close(app: PanelApp, engagement_ref: str, reason: str, at: datetime | None) -> None:
    """Close an engagement: no more invitations.

    Example:

        panel engagement close vested-youth-panel --reason "panel complete"
    """
    eid = app.resolve_engagement(engagement_ref)
    Engagements(app).close_engagement(eid, reason, at)
    say(f"Closed engagement {Queries(app).engagement(eid).ref}")


def render_engagement(e: EngagementDetails) -> None:
    rows = [
        ("id", str(e.id)),
        ("reference", e.ref),
        ("name", e.name),
        ("purpose", e.purpose),
        ("type", e.kind),
        ("sessions", ", ".join(d.isoformat() for d in e.sessions) or "-"),
        ("day rate", format_pence(e.day_rate_pence)),
        ("target size", e.target_size or "-"),
        ("eligibility", "; ".join(e.eligibility) or "everyone"),
        ("cooldown", f"{e.cooldown_days} days" if e.cooldown_days is not None else "-"),
        ("opened", e.opened_at.isoformat()),
        ("closed", e.closed_at.isoformat() if e.closed_at else "-"),
    ]
    table(f"Engagement {e.ref}", ["field", "value"], rows)
    if e.changes:
        table(
            "Changes since it was opened",
            ["when", "what", "from", "to", "by", "reason"],
            [
                (when(c.at), c.field, _value(c.before), _value(c.after), c.changed_by or "-", c.reason or "-")
                for c in e.changes
            ],
        )


def _value(value: object) -> str:
    if value is None:
        return "-"
    if isinstance(value, list):
        return "; ".join(v.isoformat() if isinstance(v, date) else str(v) for v in value) or "everyone"
    return str(value)


def register(group: click.Group) -> None:
    group.add_command(engagement)
