"""`panel draw ...`: the group, and `panel draw run` (draw a fair panel for an engagement).

Registered here too: cli/draw_records.py (show, list, verify, replace), draw_certificate.py,
draw_announce.py and draw_commitment.py (not `select`).
"""

from __future__ import annotations

from datetime import datetime
from pathlib import Path

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
from cli.options import at_option, json_option, pass_app
from cli.render import echo_json, say
from panel.application import PanelApp
from panel.domain.values import HOUSEHOLD_BY


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


def register(group: click.Group) -> None:
    from cli import draw_announce, draw_commitment, draw_records

    commands = (*draw_records.COMMANDS, certificate, check_certificate)
    for command in (*commands, *draw_announce.COMMANDS, *draw_commitment.COMMANDS):
        draw.add_command(command)
    group.add_command(draw)
