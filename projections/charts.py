"""Charts a person can read at a glance (matplotlib, Agg backend, PNG files)."""

from __future__ import annotations

import os
from collections import Counter
from pathlib import Path
from typing import Any

from panel.domain.errors import ValidationError
from projections.fatigue_report import FatigueReport
from projections.reach import ReachReport, Representation

UNDER_COLOUR, OK_COLOUR, TARGET_COLOUR = "#c0392b", "#2e86c1", "#bbbbbb"
FORMATS = (".png", ".svg", ".pdf")


def chart_path(text: str, option: str = "--chart") -> Path:
    """Where a chart will be written, checked before any work: a known format, in a folder we can write to."""
    path = Path(text)
    if path.suffix.lower() not in FORMATS:
        raise ValidationError(f"{option} {text}: name a {', '.join(FORMATS)} file, e.g. {option} reach.png")
    folder = path.parent
    if not folder.is_dir():
        raise ValidationError(f"{option} {text}: the folder {folder} does not exist: create it or choose another path")
    if path.is_dir() or not os.access(folder, os.W_OK) or (path.exists() and not os.access(path, os.W_OK)):
        raise ValidationError(f"{option} {text}: cannot write there: choose another path")
    return path


def why_no_reach_chart(report: ReachReport) -> str | None:
    """Why the reach chart would be empty (and so is not drawn), or None when there is something to draw."""
    scope = f"engagement {report.engagement}" if report.engagement else "the whole panel"
    window = f"{report.since.date() if report.since else 'the start'} to {report.until.date()}"
    if report.totals.get(report.stage, 0) == 0:
        return f"nobody is at the '{report.stage}' stage for {scope} from {window}: no chart to draw"
    if not _reach_rows(report):
        return "no group has a target to compare with: give --targets with the categories of --by"
    return None


def _reach_rows(report: ReachReport) -> list[Representation]:
    return [r for r in report.representation if r.target is not None and r.share is not None]


def _pyplot() -> Any:  # matplotlib.pyplot, imported only when a chart is drawn
    import matplotlib

    matplotlib.use("Agg")
    import matplotlib.pyplot as plt

    return plt


def reach_chart(report: ReachReport, path: str | Path) -> Path:
    """Target share (grey) against reached share (blue, red when under-reached) for each group."""
    plt = _pyplot()
    rows = list(reversed(_reach_rows(report)))  # under-reached first = at the top
    height = max(3.0, 0.38 * len(rows) + 1.5)
    fig, ax = plt.subplots(figsize=(9, height))
    ys = range(len(rows))
    ax.barh(
        [y + 0.2 for y in ys],
        [100 * (r.target or 0) for r in rows],
        height=0.4,
        color=TARGET_COLOUR,
        label="target population",
    )
    colours = [UNDER_COLOUR if "under-reached" in r.flags else OK_COLOUR for r in rows]
    ax.barh(
        [y - 0.2 for y in ys],
        [100 * (r.share or 0) for r in rows],
        height=0.4,
        color=colours,
        label=f"{report.stage} (red = under-reached)",
    )
    labels = [
        f"{r.category}: {r.value}"
        + (" [Core20]" if "Core20" in r.flags else "")
        + (f"  x{r.ratio:.2f}" if r.ratio is not None else "")
        for r in rows
    ]
    ax.set_yticks(list(ys), labels)
    ax.set_xlabel("share of people (%)")
    scope = f"engagement {report.engagement}" if report.engagement else "whole panel"
    ax.set_title(f"Reach: {report.stage}, {scope} ({report.totals[report.stage]} people) vs target")
    ax.legend(loc="lower right")
    ax.grid(axis="x", alpha=0.3)
    fig.tight_layout()
    out = Path(path)
    fig.savefig(out, dpi=120)
    plt.close(fig)
    return out


def fatigue_chart(report: FatigueReport, path: str | Path) -> Path:
    """Left: how many people took part how often. Right: the Lorenz curve of participations."""
    plt = _pyplot()
    per_person = report.distribution
    fig, (left, right) = plt.subplots(1, 2, figsize=(11, 4.5))
    spread = Counter(per_person)
    xs = sorted(spread)
    left.bar([str(x) for x in xs], [spread[x] for x in xs], color=OK_COLOUR)
    left.set_xlabel("engagements attended")
    left.set_ylabel("people")
    left.set_title("How often people take part")
    total = sum(per_person) or 1
    cumulative, running = [0.0], 0
    for value in per_person:
        running += value
        cumulative.append(100 * running / total)
    people = [100 * i / max(1, len(per_person)) for i in range(len(per_person) + 1)]
    right.plot(people, cumulative, color=UNDER_COLOUR, label="actual")
    right.plot([0, 100], [0, 100], color=TARGET_COLOUR, linestyle="--", label="everyone equal")
    right.set_xlabel("% of people (least to most active)")
    right.set_ylabel("% of all participations")
    right.set_title(f"Top 10% hold {100 * report.top10_share:.0f}% - Gini {report.gini:.2f}")
    right.legend(loc="upper left")
    fig.tight_layout()
    out = Path(path)
    fig.savefig(out, dpi=120)
    plt.close(fig)
    return out
