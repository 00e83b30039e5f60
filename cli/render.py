"""Shared output helpers: rich tables for people, JSON for programs."""

from __future__ import annotations

import json
import sys
from collections.abc import Sequence
from typing import Any

import click
from rich.console import Console
from rich.table import Table

from panel.records import jsonable


def console() -> Console:
    return Console(highlight=False, soft_wrap=True, width=max(100, Console().width))


def echo_json(value: Any) -> None:
    click.echo(json.dumps(jsonable(value), indent=2, sort_keys=False, ensure_ascii=False))


def table(title: str | None, columns: Sequence[str], rows: Sequence[Sequence[Any]]) -> None:
    t = Table(title=title, title_justify="left", show_lines=False)
    for name in columns:
        t.add_column(name, overflow="fold")
    for row in rows:
        t.add_row(*("" if v is None else str(v) for v in row))
    console().print(t)


def say(text: str) -> None:
    console().print(text)


def err(text: str) -> None:
    click.echo(text, err=True)
    sys.stderr.flush()


def stderr_is_terminal() -> bool:
    """Progress bars only when a person is watching."""
    return sys.stderr.isatty()


def when(moment: object) -> str:
    """A UTC time for tables: 2026-03-02 14:30Z (JSON output keeps full ISO 8601)."""
    if moment is None:
        return "-"
    text = moment.strftime("%Y-%m-%d %H:%MZ")  # type: ignore[attr-defined]
    return text.removesuffix(" 00:00Z")
