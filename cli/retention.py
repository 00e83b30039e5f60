"""`panel retention plan|apply` and `panel participant hold|release-hold`: retention rules and legal holds."""

from __future__ import annotations

from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import replace
from datetime import datetime

import click

from cli.options import WHEN, at_option, echo_footer, json_option, paging_options
from cli.render import echo_json, say, table, when
from cli.wiring import views_url
from panel.application import PanelApp
from panel.paging import Page
from panel.queries import Queries
from panel.retention import LegalHolds, Plan, Retention
from projections.connection import make_engine
from projections.ledger import PersonLedger


@click.group()
def retention() -> None:
    """Retention rules: who is erased when, by which rule, and who is kept and why (docs/retention.md)."""


def as_of_option(f):  # type: ignore[no-untyped-def]
    return click.option(
        "--as-of", "as_of", type=WHEN, default=None, help="Read the rules' clocks at this date (ISO 8601); default now."
    )(f)


@contextmanager
def retention_of(ctx: click.Context) -> Iterator[Retention]:
    """The retention service, reading each person's payments from the ledger view (one query per person)."""
    engine = make_engine(ctx.obj.location, views_url())
    try:
        yield Retention(ctx.obj.app, ctx.obj.retention_policy, PersonLedger(ctx.obj.app, engine))
    finally:
        engine.dispose()


def _show(plan: Plan, whole: Plan) -> None:
    """``plan``'s page of both tables, with the counts of the ``whole`` plan."""
    periods = ", ".join(f"{k}={v}" for k, v in plan.policy.as_dict().items())
    say(f"Retention as of {when(plan.as_of)} ({periods})")
    if plan.erase:
        table("Would be erased", ["participant", "rule", "due since", "why"],
              [(d.ref, d.rule, when(d.due_since), d.detail) for d in plan.erase])  # fmt: skip
    if plan.kept:
        table("Due, but kept", ["participant", "rule", "due since", "kept because"],
              [(d.ref, d.rule, when(d.due_since), "; ".join(d.kept_because)) for d in plan.kept])  # fmt: skip
    say(f"{len(whole.erase)} to erase, {len(whole.kept)} kept, {plan.not_due} not due, "
        f"{plan.already_erased} already erased")  # fmt: skip


@retention.command()
@as_of_option
@paging_options(100, "people")
@json_option
@click.pass_context
def plan(ctx: click.Context, as_of: datetime | None, page: Page, as_json: bool) -> None:
    """Show who the retention rules would erase and by which rule, and who is kept and why (writes nothing).

    People are named by reference only. Both tables page together (--limit, --offset: the same rows
    of each); the counts are over everyone. Each person is read from the log in turn (their payments
    from the ledger view) and only the people due are kept. The periods come from
    PANEL_RETENTION_INACTIVE_MONTHS, PANEL_RETENTION_WITHDRAWN_DAYS, PANEL_RETENTION_PAYMENT_YEARS and
    PANEL_RETENTION_DRAW_MONTHS.

    Example:

        panel retention plan --as-of 2028-06-01
    """
    with retention_of(ctx) as service:
        result = service.plan(as_of)
    (erase, more_erase), (kept, more_kept) = page.window(result.erase), page.window(result.kept)
    shown, more = replace(result, erase=erase, kept=kept), more_erase or more_kept
    if as_json:
        counts = {"erase_total": len(result.erase), "kept_total": len(result.kept)}
        echo_json({**shown.as_json(), **counts, **page.fields(more)})
        return
    _show(shown, result)
    echo_footer(page.footer(max(len(erase), len(kept)), more, "people due"))


@retention.command()
@click.option("--by", required=True, help="Staff member carrying out the erasures (recorded on each).")
@as_of_option
@click.pass_context
def apply(ctx: click.Context, by: str, as_of: datetime | None) -> None:
    """Erase everyone the plan erases, through the normal erasure, with the rule as its recorded reason.

    Running it again erases nobody new; people kept (legal hold, open payment, payment record,
    draw record) are left as they are. --as-of (today or earlier) reads the rules' clocks at that
    date; the erasures are recorded as done now.

    Example:

        panel retention apply --by dpo.lee
    """
    with retention_of(ctx) as service:
        done = service.apply(by, as_of)
    plan_ = done.plan
    say(f"Erased {done.erased} participant(s) by the retention rules as of {when(plan_.as_of)}; "
        f"{len(plan_.kept)} kept, {plan_.not_due} not due, {plan_.already_erased} erased before")  # fmt: skip
    if done.erased:
        from cli.views import clean_views

        clean_views(ctx)


@click.command()
@click.argument("participant_ref")
@click.option("--reason", required=True, help="Why the data must be kept, e.g. a claim or investigation reference.")
@click.option("--by", default=None, help="Who places the hold (default PANEL_USER, else the operating-system user).")
@at_option
@click.pass_context
def hold(ctx: click.Context, participant_ref: str, reason: str, by: str | None, at: datetime | None) -> None:
    """Place a legal hold: no retention rule erases this person until the hold is released.

    Example:

        panel participant hold VES-001 --reason "claim CL-7 in progress" --by dpo.lee
    """
    app: PanelApp = ctx.obj.app
    pid = app.resolve_participant(participant_ref)
    LegalHolds(app).place(pid, reason=reason, by=ctx.obj.actor if by is None else by, at=at)
    say(f"Placed a legal hold on {Queries(app).participant_ref(pid)}: retention keeps them until it is released")


@click.command("release-hold")
@click.argument("participant_ref")
@click.option("--reason", required=True, help="Why the hold ends.")
@click.option("--by", default=None, help="Who releases the hold (default PANEL_USER, else the operating-system user).")
@at_option
@click.pass_context
def release_hold(ctx: click.Context, participant_ref: str, reason: str, by: str | None, at: datetime | None) -> None:
    """Release the legal hold on a person: the retention rules apply to them again.

    Example:

        panel participant release-hold VES-001 --reason "claim CL-7 settled"
    """
    app: PanelApp = ctx.obj.app
    pid = app.resolve_participant(participant_ref)
    LegalHolds(app).release(pid, reason=reason, by=ctx.obj.actor if by is None else by, at=at)
    say(f"Released the legal hold on {Queries(app).participant_ref(pid)}")


def register(group: click.Group) -> None:
    from cli.participant import participant

    participant.add_command(hold)
    participant.add_command(release_hold)
    group.add_command(retention)
