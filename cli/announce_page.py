"""The one-page A4 announcement (`--one-pager FILE`, PNG or PDF) to publish before the lottery is drawn.

Every fact on the page is one of the phrases `cli.draw_announce.announcement_parts` makes (the
text `panel draw announce` prints, passed in as `parts`) or a field of the published document itself
(the quota table), so the page cannot disagree with
the text or the JSON. Drawn with matplotlib's Agg/PDF backends (no display, no network, only the
fonts matplotlib ships); the QR code (segno) holds the announcement hash. No personal data: the
announcement holds none.
"""

from __future__ import annotations

import textwrap
from pathlib import Path
from typing import Any

import click

from panel.domain.errors import ValidationError

SUFFIXES = (".png", ".pdf")
A4_INCHES = (210 / 25.4, 297 / 25.4)
WIDTH = 92  # characters per line of body text at the size used
one_pager_option = click.option(
    "--one-pager",
    "one_pager",
    metavar="FILE",
    type=click.Path(path_type=Path, dir_okay=False),
    default=None,
    help="Also write the announcement as a one-page A4 FILE (.png or .pdf) to publish; never overwrites.",
)


def check_target(path: Path | None) -> None:
    """Refuse, before anything is recorded, a one-pager file of another kind or one that exists."""
    if path is None:
        return
    if path.suffix.lower() not in SUFFIXES:
        raise ValidationError(f"--one-pager {path}: give a file ending .png or .pdf (the suffix chooses the format)")
    if path.exists():
        raise ValidationError(
            f"--one-pager {path} already exists: choose another file (a one-pager is never overwritten)"
        )
    if not path.parent.is_dir():
        raise ValidationError(f"--one-pager {path}: the folder {path.parent} does not exist")


def _checks(document: dict[str, Any]) -> list[str]:
    short = document["announcement"][:8]
    return [
        "1. Keep a copy of this announcement: panel draw announcement " + short + " --json > announcement.json",
        "2. After the lottery, check the draw from the announcement and the numbers alone:",
        '   panel draw check-announcement announcement.json --numbers "<the numbers drawn>"',
        "   (it recomputes every hash, the index and the panel's and reserves' places in the lottery)",
        "3. A member of the pool can confirm they were in it with the salt shown to them:",
        "   panel draw check-announcement announcement.json --numbers ... --salt S --participant-id ID",
        "4. The organisers complete the draw with: panel draw reveal " + short + ' --seed-from "<numbers>"',
    ]


def _quota_rows(document: dict[str, Any]) -> list[list[str]]:
    return [[str(q["feature"]), str(q["value"]), str(q["min"]), str(q["max"])] for q in document["quotas"]]


def _wrapped(text: str, indent: str = "  ") -> str:
    return "\n".join(textwrap.wrap(text, WIDTH, break_long_words=True, subsequent_indent=indent))


def render(document: dict[str, Any], parts: dict[str, str]) -> Any:
    """The page as a matplotlib Figure (not attached to pyplot, so nothing global is touched)."""
    from matplotlib.figure import Figure

    figure = Figure(figsize=A4_INCHES)
    y = 0.955

    def write(text: str, size: float = 8.5, gap: float = 0.006, **style: Any) -> None:
        nonlocal y
        lines = text.count("\n") + 1
        figure.text(0.07, y, text, fontsize=size, va="top", ha="left", linespacing=1.35, **style)
        y -= lines * size * 1.35 / 72 / A4_INCHES[1] + gap

    def section(heading: str) -> None:
        nonlocal y
        y -= 0.008
        write(heading, size=11, weight="bold", gap=0.004)

    write(f"Announcement of a random draw: {document['engagement']}", size=15, weight="bold", gap=0.004)
    write(
        _wrapped(
            "This announcement is published before the public lottery numbers below exist. Everything that "
            "decides who is chosen is fixed here; the numbers then pick one outcome by the published rule.",
            indent="",
        ),
        size=9,
        gap=0.01,
    )
    section("What will be drawn")
    write(_wrapped(parts["title"]))
    write(_wrapped(parts["panel"]), family="monospace", size=8)
    section("The quotas (people of each kind on the panel, at least - at most)")
    rows = _quota_rows(document)
    if rows:
        height = 0.0155 * (len(rows) + 1)
        axes = figure.add_axes((0.07, y - height, 0.5, height))
        axes.axis("off")
        table = axes.table(cellText=rows, colLabels=["Feature", "Value", "At least", "At most"], loc="upper left")
        table.auto_set_font_size(False)
        table.set_fontsize(8)
        y -= height + 0.008
    write(_wrapped(parts["quotas"]), size=7.5, color="0.35")
    section("How the panel is chosen")
    write(_wrapped(parts["algorithm"]), family="monospace", size=8)
    write(_wrapped(parts["randomness"]))
    write(_wrapped(parts["rule"]), family="monospace", size=8)
    section("This announcement")
    write(_wrapped(parts["hash"]), family="monospace", size=8)
    write(f"Announced: {document['announced_at']}    Announcement id: {document['announcement']}", size=8)
    section("How anyone can check the draw after the numbers are drawn")
    write("\n".join(_checks(document)), family="monospace", size=7.5)
    _qr(figure, document["announcement_sha256"])
    figure.text(
        0.07, 0.03, "No personal data: the pool is published only as salted commitments.", fontsize=7, color="0.35"
    )
    return figure


def _qr(figure: Any, text: str) -> None:
    import numpy as np
    import segno

    matrix = np.pad(np.array([list(row) for row in segno.make(text, error="m").matrix], dtype=float), 4)
    axes = figure.add_axes((0.74, 0.045, 0.19, 0.19 * A4_INCHES[0] / A4_INCHES[1]))
    axes.imshow(1 - matrix, cmap="gray", interpolation="nearest")
    axes.set_axis_off()
    figure.text(0.835, 0.045, "QR: the announcement hash", fontsize=6.5, ha="center", va="top", color="0.35")


def write_one_pager(document: dict[str, Any], parts: dict[str, str], path: Path) -> None:
    """Write the page to `path` (PNG or PDF by its suffix), never over an existing file."""
    check_target(path)
    figure = render(document, parts)
    kind = path.suffix.lower().lstrip(".")
    metadata = {"Title": f"Announcement {document['announcement']}"}
    if kind == "pdf":
        metadata["Subject"] = f"announcement_sha256 {document['announcement_sha256']}"
        metadata["Keywords"] = f"pool_sha256 {document['pool']['sha256']}"
    try:
        with open(path, "xb") as file:
            figure.savefig(file, format=kind, dpi=100, metadata=metadata)
    except FileExistsError:
        raise ValidationError(
            f"--one-pager {path} already exists: choose another file (a one-pager is never overwritten)"
        ) from None
    except OSError as exc:
        path.unlink(missing_ok=True)
        raise ValidationError(f"--one-pager: cannot write {path}: {exc.strerror or exc}") from None
