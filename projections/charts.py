"""Charts a person can read at a glance (matplotlib, Agg backend, PNG files)."""

from __future__ import annotations

from collections import Counter
from pathlib import Path

from projections.fatigue_report import FatigueReport
from projections.reach import ReachReport

UNDER_COLOUR, OK_COLOUR, TARGET_COLOUR = "#c0392b", "#2e86c1", "#bbbbbb"


def _pyplot():  # type: ignore[no-untyped-def]
    import matplotlib

    matplotlib.use("Agg")
    import matplotlib.pyplot as plt

    return plt


def reach_chart(report: ReachReport, path: str | Path) -> Path:
    """Target share (grey) against reached share (blue, red when under-reached) for each group."""
    plt = _pyplot()
    rows = [r for r in report.representation if r.target is not None and r.share is not None]
    rows = list(reversed(rows))  # under-reached first = at the top
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
