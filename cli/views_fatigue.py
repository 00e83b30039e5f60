"""`panel fatigue ...` (report, rules, simulate) and `panel consent report`."""

from __future__ import annotations

from datetime import datetime
from typing import Any

import click

from cli.options import WHEN, at_or_now, echo_footer, json_option, paging_options
from cli.render import echo_json, echo_json_streamed, print_csv, say, table
from cli.wiring import projector
from panel.fatigue import Fatigue
from panel.paging import Page
from panel.queries import Queries


def _refs(ctx: click.Context) -> dict[str, str]:
    return {e.id.hex: e.ref for e in Queries(ctx.find_root().obj.app).engagements()}


@click.group(invoke_without_command=True)
@click.option("--at", type=WHEN, default=None, help="Measure windows back from this time; default now.")
@click.option("--limit", type=int, default=20, show_default=True, help="People listed in the table.")
@json_option
@click.option("--csv", "as_csv", is_flag=True, help="Print every person's figures as CSV.")
@click.option("--chart", type=click.Path(dir_okay=False), default=None, help="Write a PNG chart here.")
@click.pass_context
def fatigue(
    ctx: click.Context, at: datetime | None, limit: int, as_json: bool, as_csv: bool, chart: str | None
) -> None:
    """Who we keep asking: invitations and attendance per person, and how concentrated they are.

    Example:

        panel fatigue --chart fatigue.png
    """
    if ctx.invoked_subcommand is not None:
        return
    from projections.charts import chart_path, fatigue_chart
    from projections.fatigue_report import WINDOWS, fatigue_report

    chart_to = chart_path(chart) if chart else None  # checked before the views catch up
    report = fatigue_report(projector(ctx), at_or_now(at))
    if chart_to:
        fatigue_chart(report, chart_to)
    if as_json:
        echo_json_streamed(report)  # the people written one at a time
        return
    header = [
        "participant",
        "engagements attended",
        *(f"invited {d}d" for d in WINDOWS),
        *(f"accepted {d}d" for d in WINDOWS),
        *(f"attended {d}d" for d in WINDOWS),
        "days since last",
    ]
    rows = (  # made and written a person at a time
        [
            p.ref or p.participant_id,
            p.participations,
            *(p.invitations[d] for d in WINDOWS),
            *(p.acceptances[d] for d in WINDOWS),
            *(p.attendances[d] for d in WINDOWS),
            "" if p.days_since_last is None else p.days_since_last,
        ]
        for p in report.people
    )
    if as_csv:
        print_csv(header, rows)
        return
    say(
        f"Panel of {report.population} people, {report.participations} participations: the most active 10% "
        f"hold {100 * report.top10_share:.1f}% of them; Gini coefficient {report.gini:.2f}"
    )
    short = ["participant", "engagements attended", "invited 90d", "invited 365d", "attended 365d", "days since last"]
    table(
        f"Usual suspects ({len(report.usual_suspects)}: top 10% with 2+ engagements)",
        short,
        [
            [
                p.ref or p.participant_id,
                p.participations,
                p.invitations[90],
                p.invitations[365],
                p.attendances[365],
                "" if p.days_since_last is None else p.days_since_last,
            ]
            for p in report.usual_suspects[:limit]
        ],
    )
    if chart:
        say(f"Chart written to {chart}")


@fatigue.group()
def rules() -> None:
    """Fatigue rules, set globally or for one engagement (recorded as events)."""


@rules.command("set")
@click.option("--engagement", "engagement_ref", default=None, help="Set this engagement's rules, not the global ones.")
@click.option("--cooldown-days", type=int, default=None, help="No invitation within this many days of attending.")
@click.option("--max-per-year", type=int, default=None, help="At most this many engagements in 12 months.")
@click.option("--set-by", default=None, help="Who set the rules.")
@click.pass_context
def rules_set(
    ctx: click.Context,
    engagement_ref: str | None,
    cooldown_days: int | None,
    max_per_year: int | None,
    set_by: str | None,
) -> None:
    """Set fatigue rules; `panel invite` and the draw enforce them (override with --override-reason).

    Example:

        panel fatigue rules set --cooldown-days 90 --max-per-year 3
    """
    app = ctx.find_root().obj.app
    eid = app.resolve_engagement(engagement_ref) if engagement_ref else None
    Fatigue(app).set_fatigue_rules(eid, cooldown_days=cooldown_days, max_per_year=max_per_year, set_by=set_by)
    scope = f"engagement {Queries(app).engagement(eid).ref}" if eid else "all engagements"
    say(f"Fatigue rules for {scope}: {Fatigue(app).fatigue_rules(eid).describe()}")


@rules.command("show")
@json_option
@click.pass_context
def rules_show(ctx: click.Context, as_json: bool) -> None:
    """Show the global fatigue rules and the rules in force for each open engagement.

    Example:

        panel fatigue rules show
    """
    app = ctx.find_root().obj.app
    rows: list[tuple[str, Any, Any, str]] = [("(global)", *_cells(Fatigue(app).fatigue_rules(None)))]
    rows += [
        (e.ref, *_cells(Fatigue(app).fatigue_rules(e.id))) for e in Queries(app).engagements() if e.closed_at is None
    ]
    if as_json:
        echo_json(
            [{"scope": r[0], "cooldown_days": r[1] or None, "max_per_year": r[2] or None, "rule": r[3]} for r in rows]
        )
        return
    table("Fatigue rules in force", ["scope", "cooldown days", "max per year"], [r[:3] for r in rows])


def _cells(r: Any) -> tuple[Any, Any, str]:
    return (r.cooldown_days or "", r.max_per_year or "", r.describe())


@fatigue.command()
@click.option("--cooldown-days", type=int, default=None, help="Cooldown to try.")
@click.option("--max-per-year", type=int, default=None, help="Yearly cap to try.")
@paging_options(100, "exclusions")
@json_option
@click.pass_context
def simulate(
    ctx: click.Context, cooldown_days: int | None, max_per_year: int | None, page: Page, as_json: bool
) -> None:
    """Who would have been excluded, and when, had these rules existed over the past history.

    The invitations the rules would have refused are listed in the order they were sent, a page at a
    time; the counts are over the whole history.

    Example:

        panel fatigue simulate --cooldown-days 90 --max-per-year 3
    """
    from panel.domain.errors import ValidationError
    from panel.fatigue import FatigueRules
    from projections.fatigue_report import simulate as run

    if not cooldown_days and not max_per_year:
        raise ValidationError("no rule to simulate: pass --cooldown-days N and/or --max-per-year N")
    result = run(projector(ctx), FatigueRules(cooldown_days, max_per_year), page)
    if as_json:
        echo_json({
            "rules": result.rules, "invitations": result.invitations, "excluded": result.excluded,
            "people": result.people, "exclusions": result.exclusions, **page.fields(result.more),
        })  # fmt: skip
        return
    refs = _refs(ctx)
    say(
        f"Rule: {result.rules.describe()}. Of {result.invitations} past invitations, "
        f"{result.excluded} would have been refused "
        f"({result.people} {'person' if result.people == 1 else 'people'})."
    )
    table(
        None,
        ["invited on", "participant", "engagement", "why"],
        [
            (e.invited_at.date(), e.ref or e.participant_id, refs.get(e.engagement_id, e.engagement_id), e.reason)
            for e in result.exclusions
        ],
    )
    echo_footer(page.footer(len(result.exclusions), result.more, "exclusions"))


@click.command()
@click.option("--at", type=WHEN, default=None, help="Count consents active at this time; default now.")
@json_option
@click.pass_context
def report(ctx: click.Context, at: datetime | None, as_json: bool) -> None:
    """Consent counts by purpose now, and grants and withdrawals per month (effective dates).

    Example:

        panel consent report
    """
    from projections.consent_report import consent_report

    result = consent_report(projector(ctx), at_or_now(at))
    if as_json:
        echo_json(result)
        return
    table(
        f"Active consent at {result.at.isoformat(timespec='minutes')}",
        ["purpose", "people"],
        sorted(result.active.items()),
    )
    say(f"In the pool (panel_membership and contact, not left or erased): {result.pool}")
    table("Grants and withdrawals by month", ["month", "purpose", "granted", "withdrawn"], result.months)
