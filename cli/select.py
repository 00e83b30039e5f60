"""`panel select`: a fair panel from a CSV of people, with no store (Sortition Foundation files work)."""

from __future__ import annotations

import statistics
from pathlib import Path

import click

from cli.draw_options import ALGORITHMS, LOTTERY_HELP, LotterySize, selection_progress
from cli.draw_render import rounding_line
from cli.options import json_option
from cli.render import echo_json, say, table


@click.command("select")
@click.option(
    "--people",
    "people_file",
    type=click.Path(path_type=Path),
    required=True,
    help="People CSV: an id column and one column per feature (Sortition Foundation people.csv works).",
)
@click.option(
    "--quotas",
    "quotas_file",
    type=click.Path(path_type=Path),
    required=True,
    help="Quotas CSV: feature,value,min,max[,min_flex,max_flex].",
)
@click.option("--size", type=click.IntRange(min=1), required=True, help="Panel size k.")
@click.option("--id-column", default=None, help="Column holding each person's id (default: detected).")
@click.option("--household-by", default=None, help="Column(s), comma-separated, that identify a household.")
@click.option("--algorithm", type=ALGORITHMS, default="leximin", show_default=True)
@click.option("--seed", type=int, default=0, show_default=True, help="Seed for the random draw.")
@click.option("--seed-from", default=None, help="Public randomness text instead of a seed.")
@click.option("--reserves", type=click.IntRange(min=0), default=0, show_default=True)
@click.option("--lottery-size", type=LotterySize(), default="auto", show_default=True, help=LOTTERY_HELP)
@json_option
def select_(
    people_file: Path,
    quotas_file: Path,
    size: int,
    id_column: str | None,
    household_by: str | None,
    algorithm: str,
    seed: int,
    seed_from: str | None,
    reserves: int,
    lottery_size: int | None,
    as_json: bool,
) -> None:
    """Run the selection on files alone; nothing is recorded (a trial run before the real draw).

    Example:

        panel select --people people.csv --quotas features.csv --size 30 --household-by address,postcode --json
    """
    import numpy as np

    import selection

    quotas = selection.load_quotas_csv(quotas_file)
    columns = [c.strip() for c in household_by.split(",")] if household_by else None
    people = selection.load_people_csv(
        people_file, id_column=id_column, features=[q.feature for q in quotas], household_by=columns
    )
    bar, report = selection_progress()
    with bar:
        result = selection.select(
            people,
            quotas,
            size,
            rng=np.random.default_rng(seed),
            algorithm=algorithm,
            reserves=reserves,
            lottery_size=lottery_size,
            seed_from=seed_from,
            progress=report,
        )
    if as_json:
        echo_json(
            {
                "selected": list(result.selected),
                "reserves": list(result.reserves),
                "probabilities": result.probabilities,
                "lottery_index": result.lottery_index,
                "lottery_size": len(result.lottery),
                "algorithm": result.algorithm,
                "algorithm_version": result.algorithm_version,
                "solver": result.solver,
                "solver_version": result.solver_version,
                "report": result.report,
            }
        )
        return
    probs = list(result.probabilities.values())
    say(
        f"Selected {size} of {len(people)} people with {result.algorithm} "
        f"(panel {result.lottery_index + 1} of a {len(result.lottery)}-panel lottery); selection probability "
        f"min {min(probs):.1%}, median {statistics.median(probs):.1%}, max {max(probs):.1%}"
    )
    if result.report.get("lottery"):
        say(rounding_line(result.report["lottery"]))
    if result.report.get("unused_quotas"):
        say("Note: quotas on values nobody in the pool has: " + "; ".join(result.report["unused_quotas"]))
    quota_rows = result.report.get("quotas") or []
    if quota_rows:
        table(
            "Target vs pool vs selected",
            ["feature", "value", "min", "max", "pool", "selected"],
            [
                (q.get("feature"), q.get("value"), q.get("min"), q.get("max"), q.get("pool"), q.get("selected"))
                for q in quota_rows
            ],
        )
    say("Selected: " + ", ".join(result.selected))
    if result.reserves:
        say("Reserves in order: " + ", ".join(result.reserves))


def register(group: click.Group) -> None:
    group.add_command(select_)
