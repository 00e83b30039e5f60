"""`panel projections ...`, `panel reach`, `panel fatigue ...` and `panel consent report`: the read models."""

from __future__ import annotations

from datetime import datetime
from typing import Any

import click

from cli.options import WHEN, LazyChoice, at_or_now, json_option
from cli.render import echo_json, err, print_csv, run_with_progress, say, table
from cli.wiring import projector
from panel.queries import Queries


def _stages() -> tuple[str, ...]:
    from projections.reach import STAGES

    return STAGES


def clean_views(ctx: click.Context) -> None:
    """In an erasure's wake: catch the views up (they drop the person's attributes and reference), then scrub
    the old row versions. The erasure itself is already recorded, so a failure here is a warning."""
    from panel.domain.errors import PanelError
    from panel.store.conflicts import explain

    try:
        projector(ctx, show_progress=False).scrub()
    except Exception as exc:  # reported in one line; the erasure stands either way
        if not isinstance(exc, PanelError) and explain(exc) is None:
            raise
        err(f"Warning: the read models were not cleaned yet ({exc}): run `panel projections catch-up`")


def _pct(value: float | None) -> str:
    return "" if value is None else f"{100 * value:.1f}%"


# -- projections ---------------------------------------------------------------------------
@click.group()
def projections() -> None:
    """Read models: their position, catch-up and rebuild."""


@projections.command()
@json_option
@click.pass_context
def status(ctx: click.Context, as_json: bool) -> None:
    """Show each view's generation, position and lag behind the event log, and any event a view cannot apply.

    Example:

        panel projections status
    """
    rows = projector(ctx, catch_up=False).status()
    if as_json:
        echo_json(
            [
                {
                    "view": s.name,
                    "generation": s.generation,
                    "position": s.position,
                    "head": s.head,
                    "lag": s.lag,
                    "rebuilding": s.building,
                    "problem": s.problem,
                }
                for s in rows
            ]
        )
        return
    columns = ["view", "generation", "position", "head", "lag", "rebuilding"]
    problems = any(s.problem for s in rows)
    table(
        None,
        columns + (["problem"] if problems else []),
        [
            (s.name, s.generation, s.position, s.head, s.lag, s.building or "")
            + ((s.problem or "",) if problems else ())
            for s in rows
        ],
    )


def batch_option(default: int) -> Any:
    return click.option(
        "--batch",
        type=click.IntRange(100, 100_000),
        default=default,
        show_default=True,
        help="Events per transaction (larger is faster on SQLite but holds its write lock longer).",
    )


@projections.command("catch-up")
@batch_option(2000)
@click.pass_context
def catch_up(ctx: click.Context, batch: int) -> None:
    """Process new events into every view (each batch commits rows and position together).

    Example:

        panel projections catch-up
    """
    proj = projector(ctx, catch_up=False)
    proj.batch_size = batch
    read = run_with_progress(proj, proj.catch_up)
    say(f"Caught up: read {read} events; every view is at position {proj.head()}")


@projections.command()
@click.argument("view", required=False)
@batch_option(20000)
@click.option(
    "--workers",
    type=click.IntRange(1, 64),
    default=None,
    help="Processes for the bulk load (default: one per CPU, at most 4; only used from "
    "50,000 events per process up; 1 keeps it in this process).",
)
@click.pass_context
def rebuild(ctx: click.Context, view: str | None, batch: int, workers: int | None) -> None:
    """Rebuild one view (or all) from the first event, then switch readers to it.

    Readers keep the old tables until the new ones are complete; an interrupted rebuild resumes.

    Example:

        panel projections rebuild reach --batch 20000 --workers 2
    """
    proj = projector(ctx, catch_up=False)
    proj.batch_size = batch
    if workers is not None:
        proj.bulk_workers = workers
    names = [proj.view(view).name] if view else list(proj.views)
    read = run_with_progress(proj, proj.rebuild, True, names)
    generations = ", ".join(f"{s.name} (generation {s.generation})" for s in proj.status() if s.name in names)
    say(f"Rebuilt {generations} from {read} events")


# -- reach ---------------------------------------------------------------------------------
@click.command()
@click.option("--engagement", "engagement_ref", default=None, help="Only this engagement's invitations.")
@click.option(
    "--targets",
    type=click.Path(dir_okay=False),
    default=None,
    help="CSV of category,value,share (e.g. census shares), see examples/population.csv.",
)
@click.option("--by", "by", required=True, help="Attributes to break down by, comma-separated.")
@click.option("--from", "since", type=WHEN, default=None, help="Start of the window (ISO 8601).")
@click.option("--to", "until", type=WHEN, default=None, help="End of the window; default now.")
@click.option(
    "--stage",
    type=LazyChoice(_stages),
    default=None,
    help="Stage compared with the targets (default attended per engagement, else registered).",
)
@click.option("--plus", multiple=True, help="A PLUS group as a rule, e.g. 'ethnicity in Black,Asian'; repeatable.")
@json_option
@click.option("--csv", "as_csv", is_flag=True, help="Print CSV for spreadsheets.")
@click.option("--chart", type=click.Path(dir_okay=False), default=None, help="Write a PNG chart here.")
@click.pass_context
def reach(
    ctx: click.Context,
    engagement_ref: str | None,
    targets: str | None,
    by: str,
    since: datetime | None,
    until: datetime | None,
    stage: str | None,
    plus: tuple[str, ...],
    as_json: bool,
    as_csv: bool,
    chart: str | None,
) -> None:
    """Who we reach at each stage, by attribute, compared with the population we serve.

    Under-reached groups come first; Core20 (IMD deciles 1-2) and PLUS groups are flagged.

    Example:

        panel reach --targets examples/population.csv --by age_band,imd_quintile --plus 'ethnicity in Black,Asian'
    """
    from projections.charts import chart_path
    from projections.reach import STAGES, reach_report
    from projections.targets import read_targets

    chart_to = chart_path(chart) if chart else None  # every input is checked before the views catch up
    shares = read_targets(targets) if targets else None
    app = ctx.find_root().obj.app
    eid = app.resolve_engagement(engagement_ref) if engagement_ref else None
    details = Queries(app).engagement(eid) if eid else None
    rules = Queries(app).engagement_rules(eid) if eid else []
    report = reach_report(
        projector(ctx),
        by=by.split(","),
        targets=shares,
        engagement=eid,
        engagement_ref=details.ref if details else None,
        since=since,
        until=at_or_now(until),
        stage=stage,
        plus=plus,
        eligibility=rules,
    )
    written = _reach_chart(report, chart_to) if chart_to else None
    if as_json:
        echo_json(report)
        return
    rep = [
        (
            r.category,
            r.value,
            r.count,
            _pct(r.share),
            _pct(r.target),
            "" if r.ratio is None else f"{r.ratio:.2f}",
            "" if r.gap is None else f"{100 * r.gap:+.1f}",
            " ".join(r.flags),
        )
        for r in report.representation
    ]
    if as_csv:
        if targets:
            print_csv(["category", "value", "count", "share", "target", "ratio", "gap_points", "flags"], rep)
        else:
            print_csv([*report.by, *STAGES], [[g[k] for k in [*report.by, *STAGES]] for g in report.groups])
        return
    scope = f"engagement {report.engagement}" if report.engagement else "whole panel"
    window = f"{report.since.date() if report.since else 'start'} to {report.until.date()}"
    table(
        f"Reach by {', '.join(report.by)} ({scope}, {window})",
        [*report.by, *STAGES],
        [[g[k] for k in [*report.by, *STAGES]] for g in report.groups]
        + [["total", *([""] * (len(report.by) - 1)), *(report.totals[s] for s in STAGES)]],
    )
    if targets or plus:
        table(
            f"Representation of '{report.stage}' against targets (under-reached first)",
            ["category", "value", "count", "share", "target", "ratio", "gap (pts)", "flags"],
            rep,
        )
    for note in report.notes:
        say(f"Note: {note}")
    if written:
        say(f"Chart written to {written}")


def _reach_chart(report: Any, path: Any) -> Any:
    """Draw the reach chart, or say on stderr why there is nothing to draw (and write no file)."""
    from projections.charts import reach_chart, why_no_reach_chart

    reason = why_no_reach_chart(report)
    if reason:
        err(f"No chart written: {reason}")
        return None
    return reach_chart(report, path)


def register(cli: click.Group) -> None:
    from cli.consent import consent
    from cli.views_fatigue import fatigue, report

    for command in (projections, reach, fatigue):
        cli.add_command(command)
    consent.add_command(report)
