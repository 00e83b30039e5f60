"""`panel draw announce` and `panel draw reveal`: commit to a draw, then complete it with public numbers.

The announcement's other commands (`announcement`, `commitment`, `check-announcement`) are in
`cli/draw_commitment.py`; the rule itself in `panel/draws/announce_rule.py`.
"""

from __future__ import annotations

from datetime import datetime
from pathlib import Path
from typing import Any

import click

from cli.announce_page import check_target, one_pager_option, write_one_pager
from cli.draw_options import (
    ALGORITHMS,
    LOTTERY_HELP,
    MODEL_SETTING_HELP,
    RESERVES_MODELS,
    LotterySize,
    selection_progress,
)
from cli.draw_render import draw_json, show_draw
from cli.options import at_option, json_option, pass_app
from cli.render import echo_json, say
from panel.application import PanelApp
from panel.domain.values import HOUSEHOLD_BY


def announcement_parts(document: dict[str, Any]) -> dict[str, str]:
    """The announcement's facts, each phrased once: the text lines and the one-pager both use these."""
    pool, lottery = document["pool"], document["lottery"]
    quotas = "; ".join(f"{q['feature']}={q['value']} {q['min']}-{q['max']}" for q in document["quotas"]) or "none"
    return {
        "title": f"Announcement {document['announcement']} of the draw for {document['engagement']} "
        f"(round {document['round']}), made {document['announced_at']}",
        "panel": f"Panel of {document['panel_size']} with {document['reserves']} reserves from a pool of "
        f"{pool['members']} (salted commitments, hash {pool['sha256']})",
        "quotas": f"Quotas: {quotas}",
        "algorithm": f"Algorithm: {document['algorithm']} v{document['algorithm_version']} ({document['solver']}); "
        f"lottery of {lottery['size']} panels, hash {lottery['sha256']}",
        "randomness": f"Randomness: {document['randomness']}",
        "rule": 'Rule: h0 = SHA-256("<announcement hash>:<the numbers, ascending, single spaces>"); '
        f"panel = lottery panel (h0 mod {lottery['size']}); "
        + (
            f"reserves chosen by the frozen dropout model (pooled rate {model['model']['prior_rate']:.1%}) with "
            'numbers from SHA-256("dropout-reserves:<h0 hex>")'
            if (model := document.get("reserves_model"))
            else "reserve i from h_i = SHA-256(h_(i-1))"
        ),
        "hash": f"Announcement hash: {document['announcement_sha256']}",
    }


def announcement_lines(document: dict[str, Any]) -> list[str]:
    """The short announcement to publish, as text."""
    return list(announcement_parts(document).values())


@click.command("announce")
@click.argument("engagement_ref")
@click.option("--size", type=click.IntRange(min=1), required=True, help="Panel size k.")
@click.option("--quotas", "quotas_file", type=click.Path(path_type=Path), required=True, help="Quotas CSV.")
@click.option("--reserves", type=click.IntRange(min=0), default=0, show_default=True, help="Reserves (hash chain).")
@click.option(
    "--randomness", required=True, help='The public randomness to come, e.g. "the numbers of <lottery> on <date>".'
)
@click.option("--household-by", type=click.Choice(HOUSEHOLD_BY), default=None, help="At most one person per household.")
@click.option("--algorithm", type=ALGORITHMS, default="leximin", show_default=True, help="Selection algorithm.")
@click.option("--seed", type=int, default=None, help="Seed that lays out the lottery, 0 to 2**63-1 (published).")
@click.option("--lottery-size", type=LotterySize(), default="auto", show_default=True, help=LOTTERY_HELP)
@click.option(
    "--reserves-model",
    type=click.Choice(RESERVES_MODELS),
    default="plain",
    show_default=True,
    help="plain (the hash chain's list) or dropout (a dropout model frozen into the announcement orders them).",
)
@click.option("--model-setting", "model_settings", multiple=True, metavar="NAME=VALUE", help=MODEL_SETTING_HELP)
@click.option("--by", "announced_by", default=None, help="Staff member making the announcement.")
@click.option("--new-round", is_flag=True, help="Announce another round for an engagement that already has a draw.")
@one_pager_option
@at_option
@json_option
@pass_app
def announce(
    app: PanelApp,
    engagement_ref: str,
    size: int,
    quotas_file: Path,
    reserves: int,
    randomness: str,
    household_by: str | None,
    algorithm: str,
    seed: int | None,
    lottery_size: int | None,
    reserves_model: str,
    model_settings: tuple[str, ...],
    announced_by: str | None,
    new_round: bool,
    one_pager: Path | None,
    at: datetime | None,
    as_json: bool,
) -> None:
    """Announce a draw before its randomness exists: freeze the pool, quotas and lottery, and the rule.

    The pool, quota check and lottery are computed exactly as `panel draw --dry-run` computes them.
    Only the announcement is recorded (nobody is invited); publish what it prints (or its --json),
    then complete the draw with `panel draw reveal` once the named lottery's numbers are drawn.
    With --one-pager FILE (.png or .pdf) the announcement is also written as a one-page A4 sheet
    for the public; the file is checked before anything is recorded and never overwritten.

    Example:

        panel draw announce vested-youth-panel --size 6 --quotas quotas.csv --reserves 3
            --randomness "the numbers of the UK Lotto on 2026-02-04"
    """
    import selection
    from cli.wiring import draw_service
    from panel.draws.announce import Announcements

    check_target(one_pager)
    quotas = selection.load_quotas_csv(quotas_file)
    bar, report = selection_progress()
    with bar:
        made = Announcements(draw_service(click.get_current_context())).announce(
            app.resolve_engagement(engagement_ref),
            size,
            quotas,
            randomness=randomness,
            algorithm=algorithm,
            seed=seed,
            reserves=reserves,
            household_by=household_by,
            lottery_size=lottery_size,
            at=at,
            announced_by=announced_by,
            new_round=new_round,
            progress=report,
            reserves_model=reserves_model,
            model_settings=model_settings,
        )
    if one_pager is not None:
        write_one_pager(made.document, announcement_parts(made.document), one_pager)
    if as_json:
        echo_json(made.document)
        return
    if one_pager is not None:
        say(f"One-pager written to {one_pager}")
    for line in announcement_lines(made.document):
        say(line)
    say(
        f"Recorded the announcement only; nobody was invited. Publish it (`panel draw announcement "
        f"{str(made.id)[:8]} --json`), then: panel draw reveal {str(made.id)[:8]} --seed-from NUMBERS"
    )


@click.command("reveal")
@click.argument("announcement_id")
@click.option("--seed-from", "numbers", required=True, help='The numbers drawn, e.g. "04 11 23 35 41 49".')
@at_option
@json_option
@pass_app
def reveal(app: PanelApp, announcement_id: str, numbers: str, at: datetime | None, as_json: bool) -> None:
    """Complete an announced draw with the public numbers: record the draw and invite the panel.

    Only the announcement is used (its frozen pool, lottery and rule), never today's pool. A panel
    member who since withdrew consent, left or was erased is not invited and is replaced by the
    reserve of the committed hash chain who restores the quotas best. A draw is revealed once.
    Showing the panel's names is recorded first (`panel audit access`); --json shows references only.

    Example:

        panel draw reveal 1a2b3c4d --seed-from "04 11 23 35 41 49"
    """
    from panel.draws import Draws
    from panel.draws.announce import Announcements
    from panel.draws.replace import describe
    from panel.draws.results import RefBook

    draws = Draws(app)
    service = Announcements(draws)
    outcome = service.reveal(service.resolve(announcement_id), numbers, at)
    recorded = draws.get(outcome.draw_id)
    refs = RefBook(draws)
    size = outcome.announcement.document["lottery"]["size"]
    computation = {
        "announcement": str(outcome.announcement.id),
        "announcement_sha256": outcome.announcement.announcement_sha256,
        "numbers": outcome.numbers,
        "h0": outcome.chain_head,
        "lottery_size": size,
        "lottery_index": outcome.lottery_index,
        "not_invited": [{"ref": refs(pid), "why": why} for pid, why in outcome.not_invited],
        "replacements": [describe(r, refs) for r in outcome.replaced],
        "problems": outcome.problems,
    }
    if as_json:
        echo_json({**draw_json(app, recorded, per_person=True), "reveal": computation})
        return
    say(f'h0 = SHA-256("{outcome.announcement.announcement_sha256}:{outcome.numbers}") = {outcome.chain_head}')
    say(f"Lottery index = h0 mod {size} = {outcome.lottery_index}")
    show_draw("draw reveal", app, recorded)
    for pid, why in outcome.not_invited:
        say(f"Not invited: {refs(pid)} ({why})")
    for line in computation["replacements"]:
        say(line)
    for line in outcome.problems:
        click.echo(f"Not replaced: {line}", err=True)


COMMANDS = (announce, reveal)
