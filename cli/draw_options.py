"""Options and progress shared by `panel draw` and `panel select`."""

from __future__ import annotations

from typing import Any

import click
from rich.progress import BarColumn, Progress, TextColumn, TimeElapsedColumn

from cli.options import LazyChoice
from cli.render import stderr_is_terminal


def _algorithms() -> tuple[str, ...]:
    import selection

    return tuple(selection.ALGORITHMS)


ALGORITHMS = LazyChoice(_algorithms)


class LotterySize(click.ParamType):
    """``auto`` (None: chosen from the instance) or a whole number of panels, 1 or more."""

    name = "auto|N"

    def convert(self, value: Any, param: click.Parameter | None, ctx: click.Context | None) -> int | None:
        if value is None or (isinstance(value, str) and value.strip().lower() == "auto"):
            return None
        try:
            size = int(value)
        except (TypeError, ValueError):
            self.fail(f"{value!r} is not a lottery size: use auto or a whole number of 1 or more", param, ctx)
        if size < 1:
            self.fail(f"{size} is not a lottery size: use auto or a whole number of 1 or more", param, ctx)
        return size


LOTTERY_HELP = (
    "Panels in the transparent uniform lottery: auto (default) chooses at least 1,000, at least the number "
    "of distinct panels of the optimal lottery, and enough that nobody with a chance ends at zero."
)

RESERVES_MODELS = ("plain", "dropout")
RESERVES_MODEL_HELP = (
    "How the reserves are ordered: plain (the quota-aware ordered list) or dropout (the list minimising the "
    "expected quota shortfall after dropouts, by a model fitted to our own acceptance, withdrawal and no-show "
    "history; recorded and re-checked by `panel draw verify`)."
)

MODEL_SETTING_HELP = (
    "A dropout model setting NAME=VALUE, repeatable, with --reserves-model dropout (recorded; verify uses it): "
    "prior_strength, default_rate, shrink, scenarios, report_scenarios, shortlist, features (comma-separated quota "
    "features); see docs/draws.md."
)


def selection_progress() -> tuple[Progress, Any]:
    bar = Progress(
        TextColumn("{task.description}"),
        BarColumn(),
        TimeElapsedColumn(),
        transient=True,
        disable=not stderr_is_terminal(),
    )
    task = bar.add_task("Selecting", total=None)

    def report(stage: str, done: int, total: int) -> None:
        bar.update(task, description=stage, completed=done, total=total or None)

    return bar, report
