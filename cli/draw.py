"""`panel draw ...`: draw a fair panel for an engagement, then show, verify, replace or list draws.

Registered here too: cli/draw_certificate.py, draw_announce.py and draw_commitment.py (not `select`).
"""

from __future__ import annotations

from datetime import datetime
from pathlib import Path
from typing import Any

import click

from cli.draw_certificate import certificate, check_certificate
from cli.draw_options import (
    ALGORITHMS,
    LOTTERY_HELP,
    MODEL_SETTING_HELP,
    RESERVES_MODEL_HELP,
    RESERVES_MODELS,
    LotterySize,
    selection_progress,
)
from cli.draw_render import draw_json, render_draw, show_draw
from cli.options import at_option, echo_footer, json_option, paging_options, pass_app
from cli.render import echo_json, say, table
from panel.application import PanelApp
from panel.domain.values import HOUSEHOLD_BY
from panel.paging import Page
from panel.queries import Queries


class DefaultToRun(click.Group):
    """`panel draw ENGAGEMENT ...` means `panel draw run ENGAGEMENT ...`."""

    def parse_args(self, ctx: click.Context, args: list[str]) -> list[str]:
        if args and args[0] not in self.commands and not args[0].startswith("-"):
            args = ["run", *args]
        return super().parse_args(ctx, args)


@click.group(cls=DefaultToRun)
def draw() -> None:
    """Draw a fair panel for an engagement, then show, verify or repair it.

    `panel draw ENGAGEMENT ...` is short for `panel draw run ENGAGEMENT ...`.
    """


@draw.command("run")
@click.argument("engagement_ref")
@click.option("--size", type=click.IntRange(min=1), required=True, help="Panel size k.")
@click.option(
    "--quotas",
    "quotas_file",
    type=click.Path(path_type=Path),
    default=None,
    help="Quotas CSV: feature,value,min,max (Sortition Foundation features.csv works too).",
)
@click.option("--household-by", type=click.Choice(HOUSEHOLD_BY), default=None, help="At most one person per household.")
@click.option("--algorithm", type=ALGORITHMS, default=None, help="Default leximin with quotas, uniform without.")
@click.option("--seed", type=int, default=None, help="Seed for the random draw, 0 to 2**63-1 (recorded).")
@click.option("--seed-from", default=None, help="Public randomness, e.g. announced lottery numbers (SHA-256 hashed).")
@click.option("--reserves", type=click.IntRange(min=0), default=0, show_default=True, help="Ordered reserves.")
@click.option("--lottery-size", type=LotterySize(), default="auto", show_default=True, help=LOTTERY_HELP)
@click.option(
    "--reserves-model",
    type=click.Choice(RESERVES_MODELS),
    default="plain",
    show_default=True,
    help=RESERVES_MODEL_HELP,
)
@click.option("--model-setting", "model_settings", multiple=True, metavar="NAME=VALUE", help=MODEL_SETTING_HELP)
@click.option("--by", "drawn_by", default=None, help="Staff member running the draw.")
@click.option(
    "--new-round",
    is_flag=True,
    help="Draw another round for an engagement that already has a draw (recorded as round 2, 3, ...).",
)
@click.option(
    "--dry-run",
    is_flag=True,
    help="Build the pool, check the quotas and the lottery and print it all (the panel by reference); record and "
    "invite nothing.",
)
@at_option
@json_option
@pass_app
def run(
    app: PanelApp,
    engagement_ref: str,
    size: int,
    quotas_file: Path | None,
    household_by: str | None,
    algorithm: str | None,
    seed: int | None,
    seed_from: str | None,
    reserves: int,
    lottery_size: int | None,
    reserves_model: str,
    model_settings: tuple[str, ...],
    drawn_by: str | None,
    new_round: bool,
    dry_run: bool,
    at: datetime | None,
    as_json: bool,
) -> None:
    """Draw a panel among the qualified people of an engagement, record it and invite the panel.

    An engagement has one draw; drop-outs are replaced from its reserves (`panel draw replace`).
    A second draw is refused unless it is explicitly a new round (`--new-round`). Showing the
    panel's names is recorded first (`panel audit access`); --json and --dry-run show references
    only and record no access.

    Example:

        panel draw vested-youth-panel --size 6 --quotas examples/vested-quotas.csv --seed 42 --reserves 3

        panel draw vested-youth-panel --size 6 --quotas examples/vested-quotas.csv --reserves 3 \\
            --reserves-model dropout --model-setting prior_strength=50 --model-setting features=age_band
    """
    import selection
    from panel.draws import Draws

    if seed is not None and seed_from:
        raise click.UsageError("give --seed or --seed-from, not both")
    from cli.wiring import draw_service

    quotas = selection.load_quotas_csv(quotas_file) if quotas_file else []
    chosen = algorithm or ("leximin" if quotas else "uniform")
    eid = app.resolve_engagement(engagement_ref)

    bar, report = selection_progress()
    with bar:
        outcome = draw_service(click.get_current_context()).draw(
            eid,
            size,
            quotas,
            algorithm=chosen,
            seed=seed,
            seed_from=seed_from,
            reserves=reserves,
            household_by=household_by,
            lottery_size=lottery_size,
            at=at,
            drawn_by=drawn_by,
            progress=report,
            new_round=new_round,
            dry_run=dry_run,
            reserves_model=reserves_model,
            model_settings=model_settings,
        )
    if dry_run and outcome.draw is not None:
        if as_json:
            echo_json({**draw_json(app, outcome.draw, per_person=True), "dry_run": True})
            return
        say(
            "Dry run: nothing was recorded and nobody was invited; the same options and seed draw this panel "
            "(references only: showing names would be recorded)."
        )
        render_draw(app, outcome.draw, names=False)
        return
    if as_json:
        echo_json(draw_json(app, Draws(app).get(outcome.draw_id), per_person=True))
        return
    show_draw("draw run", app, Draws(app).get(outcome.draw_id))


@draw.command("show")
@click.argument("draw_id")
@json_option
@click.pass_context
def show(ctx: click.Context, draw_id: str, as_json: bool) -> None:
    """Show a draw: the panel, target vs pool vs selected, and the probabilities.

    The panel's names are personal data: showing them is recorded first (`panel audit access`);
    --json gives references only and records nothing.

    Example:

        panel draw show 3f2a9c1e
    """
    from panel.draws import Draws

    app: PanelApp = ctx.obj.app
    draws = Draws(app)
    recorded = draws.get(draws.resolve(draw_id))
    if as_json:
        echo_json(draw_json(app, recorded, per_person=True))
        return
    show_draw("draw show", app, recorded)


@draw.command("verify")
@click.argument("draw_id")
@pass_app
def verify(app: PanelApp, draw_id: str) -> None:
    """Re-run a draw and check it against the history: pool, panel, reserves, invitations.

    The pool is rebuilt from everyone's history as of the draw (consents, eligibility, fatigue);
    the selection is re-run from the draw's recorded type table; the invitations recorded for the
    draw must be its panel and replacements. Differences are listed on stderr (exit 1); what can no
    longer be re-checked (members erased since) is stated.

    Example:

        panel draw verify 3f2a9c1e
    """
    from cli.wiring import draw_service
    from panel.domain.errors import PanelError

    draws = draw_service(click.get_current_context())
    did = draws.resolve(draw_id)
    found = draws.verify(did)
    recorded = draws.get(did)
    for note in found.notes:
        click.echo(f"Not re-checked: {note}", err=True)
    if found.differences:
        for line in found.differences:
            click.echo(f"- {line}", err=True)
        raise PanelError(f"draw {did} does not verify: {len(found.differences)} difference(s) listed above")
    partly = " as far as it can be re-checked (see the notes on stderr)" if found.notes else ""
    if recorded.reserves_model:
        partly += ", dropout-aware reserves re-derived from the recorded model, history counts and seed"
    if "announcement" in recorded.report:
        partly += f", revealed from announcement {recorded.report['announcement']['id'][:8]} by its published rule"
    say(
        f"Verified draw {did}{partly}: same pool as the history gives ({len(recorded.pool)} people, hash "
        f"{recorded.pool_sha256[:12]}), same panel, reserves and probabilities ({recorded.algorithm} "
        f"v{recorded.algorithm_version}, {recorded.solver} {recorded.solver_version}), invitations as recorded"
    )


@draw.command("replace")
@click.argument("draw_id")
@click.argument("participant")
@click.option(
    "--reason",
    required=True,
    help="Why the member drops out (and, with --allow-quota-break, why the break is accepted).",
)
@click.option(
    "--allow-quota-break",
    is_flag=True,
    help="Record the replacement even if no reserve keeps every quota (recorded on the draw with --reason).",
)
@at_option
@pass_app
def replace(
    app: PanelApp, draw_id: str, participant: str, reason: str, allow_quota_break: bool, at: datetime | None
) -> None:
    """Replace a panel member who dropped out by the reserve who restores the quotas best.

    That is the first reserve in the list who keeps every quota and the household rule. Reserves who
    were erased, left, no longer consent to contact or would break a quota are skipped, and the
    message says why. When no reserve keeps the quotas nothing is recorded, unless
    --allow-quota-break is given: then the reserve leaving the fewest people missing from (or above)
    the quotas is taken, the earlier in the list on ties.

    Example:

        panel draw replace 3f2a9c1e VES-014 --reason "started a job"
    """
    from panel.draws import Draws
    from panel.draws.replace import describe
    from panel.draws.results import RefBook

    draws = Draws(app)
    did = draws.resolve(draw_id)
    outcome = draws.replace(did, app.resolve_participant(participant), reason, at, allow_quota_break=allow_quota_break)
    say(describe(outcome, RefBook(draws)))


@draw.command("list")
@paging_options(100, "draws")
@json_option
@pass_app
def list_(app: PanelApp, page: Page, as_json: bool) -> None:
    """List draws, oldest first, a page at a time (--limit, --offset).

    Example:

        panel draw list
    """
    from panel.draws import Draws

    draws, more = Draws(app).recorded_page(page)
    rows: list[dict[str, Any]] = [
        {
            "id": d.id,
            "engagement": Queries(app).engagement(d.engagement_id).ref,
            "round": d.round,
            "at": d.drawn_at,
            "size": d.size,
            "pool": len(d.pool),
            "algorithm": d.algorithm,
            "replacements": len(d.replacements),
        }
        for d in draws
    ]
    if as_json:
        echo_json({"draws": rows, **page.fields(more)})
        return
    keys = ("engagement", "round", "at", "size", "pool", "algorithm", "replacements")
    cells = [[str(r["id"]), *(r[k].isoformat(timespec="minutes") if k == "at" else r[k] for k in keys)] for r in rows]
    table("Draws", ["id", "engagement", "round", "drawn at", "size", "pool", "algorithm", "replacements"], cells)
    echo_footer(page.footer(len(rows), more, "draws"))


def register(group: click.Group) -> None:
    from cli import draw_announce, draw_commitment

    for command in (certificate, check_certificate, *draw_announce.COMMANDS, *draw_commitment.COMMANDS):
        draw.add_command(command)
    group.add_command(draw)
