"""Shared output helpers: rich tables for people, JSON for programs."""

from __future__ import annotations

import dataclasses
import json
import sys
from collections.abc import Callable, Iterable, Iterator, Mapping, Sequence
from datetime import datetime
from typing import Any

import click
from rich.console import Console
from rich.table import Table

from panel.csv_out import write_csv
from panel.records import jsonable

BIG_CATCH_UP = 5000  # notifications behind: a catch-up this long shows a progress bar


def console() -> Console:
    return Console(highlight=False, soft_wrap=True, width=max(100, Console().width))


def echo_json(value: Any) -> None:
    click.echo(json.dumps(jsonable(value), indent=2, sort_keys=False, ensure_ascii=False))


def echo_json_streamed(record: Any) -> None:
    """``echo_json(record)`` for a dataclass with long lists: the same text, written as it is made. A field that is
    a sequence or an iterator (a report's million people) is written an element at a time, never as one string."""
    pending: list[str] = []
    for piece in _json_pieces(record):
        pending.append(piece)
        if len(pending) >= 1000:
            click.echo("".join(pending), nl=False)
            pending.clear()
    click.echo("".join(pending))


def _json_pieces(record: Any) -> Iterator[str]:
    """The text of ``json.dumps(jsonable(record), indent=2, ensure_ascii=False)``, in pieces."""
    for n, f in enumerate(dataclasses.fields(record)):
        value = getattr(record, f.name)
        yield ("{" if n == 0 else ",") + "\n  " + json.dumps(f.name, ensure_ascii=False) + ": "
        if isinstance(value, (str, bytes, Mapping)) or not isinstance(value, Iterable):
            yield _dumps(value, 1)
            continue
        empty = True
        for item in value:
            yield ("[" if empty else ",") + "\n    " + _dumps(item, 2)
            empty = False
        yield "[]" if empty else "\n  ]"
    yield "\n}" if dataclasses.fields(record) else "{}"


def _dumps(value: Any, level: int) -> str:
    """``value`` as JSON indented as it would be ``level`` levels deep (a JSON string holds no raw newline)."""
    return json.dumps(jsonable(value), indent=2, ensure_ascii=False).replace("\n", "\n" + "  " * level)


def table(title: str | None, columns: Sequence[str], rows: Sequence[Sequence[Any]]) -> None:
    t = Table(title=title, title_justify="left", show_lines=False)
    for name in columns:
        t.add_column(name, overflow="fold")
    for row in rows:
        t.add_row(*("" if v is None else str(v) for v in row))
    console().print(t)


def counted(n: int, noun: str, plural: str | None = None) -> str:
    """``n`` and the noun that goes with it: "1 participant", "1,204 participants", "0 events"."""
    return f"{n:,} {noun if n == 1 else plural or noun + 's'}"


def say(text: str) -> None:
    console().print(text)


def err(text: str) -> None:
    click.echo(text, err=True)
    sys.stderr.flush()


def stderr_is_terminal() -> bool:
    """Progress bars only when a person is watching."""
    return sys.stderr.isatty()


def when(moment: datetime | None) -> str:
    """A UTC time for tables: 2026-03-02 14:30Z (JSON output keeps full ISO 8601)."""
    if moment is None:
        return "-"
    text = moment.strftime("%Y-%m-%d %H:%MZ")
    return text.removesuffix(" 00:00Z")


def print_csv(header: Sequence[str], rows: Iterable[Iterable[Any]]) -> None:
    """Print a CSV on stdout through the one CSV writer (formulas neutralised), as the rows come (a long
    export is never held whole)."""
    write_csv(sys.stdout, header, rows)


def run_with_progress(proj: Any, action: Callable[..., int], show: bool = True, *args: Any) -> int:
    """Run a projector's catch-up or rebuild, with a progress bar on stderr when it is long."""
    behind = max(s.lag for s in proj.status())
    if not show or (behind < BIG_CATCH_UP and action.__name__ == "catch_up"):
        return int(action(*args))
    from rich.progress import BarColumn, MofNCompleteColumn, Progress, TextColumn, TimeRemainingColumn

    with Progress(
        TextColumn("{task.description}"),
        BarColumn(),
        MofNCompleteColumn(),
        TimeRemainingColumn(),
        console=Console(stderr=True),
        transient=True,
    ) as bar:
        task = bar.add_task(action.__name__.replace("_", "-") + " views", total=None)

        def tick(done: int, total: int) -> None:
            bar.update(task, completed=done, total=total)

        return int(action(*args, progress=tick))
