"""Options shared by many commands, as decorator factories."""

from __future__ import annotations

import functools
from collections.abc import Callable, Sequence
from datetime import datetime
from typing import Any, TypeVar, cast

import click

from panel.clock import now
from panel.domain.durations import Period, parse_period
from panel.domain.values import parse_when
from panel.numbers import LONGEST, whole_number

F = TypeVar("F", bound=Callable[..., Any])


class WhenType(click.ParamType):
    """An ISO 8601 date or date-time, read as UTC when it has no offset."""

    name = "ISO8601"

    def convert(self, value: Any, param: click.Parameter | None, ctx: click.Context | None) -> datetime:
        if isinstance(value, datetime):
            return value
        try:
            return parse_when(str(value), f"--{param.name.replace('_', '-')}" if param and param.name else "time")
        except Exception as exc:  # click reports the message as a usage error
            self.fail(str(exc), param, ctx)


WHEN = WhenType()


class PeriodType(click.ParamType):
    """A period such as 30d, 6w, 6m or 2y (``panel.domain.durations``: the one parser every path shares)."""

    name = "PERIOD"

    def convert(self, value: Any, param: click.Parameter | None, ctx: click.Context | None) -> Period:
        if isinstance(value, Period):
            return value
        try:
            return parse_period(str(value), f"--{param.name.replace('_', '-')}" if param and param.name else "period")
        except Exception as exc:  # click reports the message as a usage error
            self.fail(str(exc), param, ctx)


PERIOD = PeriodType()


def json_option(f: F) -> F:
    return click.option("--json", "as_json", is_flag=True, help="Print JSON instead of a table.")(f)


def at_option(f: F) -> F:
    return click.option(
        "--at", type=WHEN, default=None, help="Effective time (ISO 8601, UTC if no offset); default now."
    )(f)


def at_or_now(at: datetime | None) -> datetime:
    """The time an ``--at``/``--to`` option gave, or now (UTC) when it gave none."""
    return at or now()


def pass_app(f: F) -> F:
    """Give the command the application built by the wiring module."""

    @click.pass_context
    def wrapper(ctx: click.Context, *args: Any, **kwargs: Any) -> Any:
        return ctx.invoke(f, ctx.obj.app, *args, **kwargs)

    wrapper.__name__ = f.__name__
    wrapper.__doc__ = f.__doc__
    return wrapper  # type: ignore[return-value]


def pass_payments(f: F) -> F:
    """Give the command the payments service over the application built by the wiring module."""

    @click.pass_context
    def wrapper(ctx: click.Context, *args: Any, **kwargs: Any) -> Any:
        from panel.payments import Payments  # only the pay commands pay for importing it

        return ctx.invoke(f, Payments(ctx.obj.app), *args, **kwargs)

    wrapper.__name__ = f.__name__
    wrapper.__doc__ = f.__doc__
    return wrapper  # type: ignore[return-value]


def by_option(help_text: str = "Staff member doing this (recorded on the event).") -> Callable[[F], F]:
    return click.option("--by", required=True, help=help_text)


def engagement_option(f: F) -> F:
    return click.option("--engagement", "engagement_ref", required=True, help="Engagement id or reference.")(f)


class LazyChoice(click.Choice):
    """A ``click.Choice`` whose values come from the package that defines them, imported only when
    the option is parsed or its help shown (so `panel consent grant` never loads the read models)."""

    def __init__(self, source: Callable[[], Sequence[str]]) -> None:
        self._source = source
        super().__init__(())

    @property  # type: ignore[override]
    def choices(self) -> Sequence[str]:
        return tuple(self._source())

    @choices.setter
    def choices(self, value: Sequence[str]) -> None:
        """click sets the choices in its constructor; ours are always read from the source."""


class RowCountType(click.ParamType):
    """A whole number (of rows, or a log position), at least ``least`` and at most ``most`` (None: no bound)."""

    name = "N"

    def __init__(self, least: int, most: int | None = None) -> None:
        self.least, self.most = least, most

    def convert(self, value: Any, param: click.Parameter | None, ctx: click.Context | None) -> int:
        name = f"--{param.name}" if param and param.name else "the number"
        most, text = self.most, str(value).strip()
        number = whole_number(text, self.least, most)
        if number is None and most is None and text.isascii() and text.isdigit():
            self.fail(f"{value!r} is too large for {name}: give a number of at most {LONGEST} digits")
        if number is None:
            bound = f"from {self.least} to {most:,}" if most else f"{self.least} or more"
            self.fail(f"{value!r} is not a whole number {bound}: give e.g. {name} {max(self.least, 100)}")
        return number


def paging_options(default: int = 100, noun: str = "rows") -> Callable[[F], F]:
    """``--limit N`` and ``--offset N`` (one page of a listing), given to the command as ``page``.

    The one paging option every listing shares: a bad value is refused in one line (exit 2) before
    anything runs. The command's listing reads only this page (``panel.paging.Page``).
    """

    from panel.paging import MAX_LIMIT

    def decorate(f: F) -> F:
        @functools.wraps(f)
        def wrapper(*args: Any, limit: int, offset: int, **kwargs: Any) -> Any:
            from panel.paging import Page

            return f(*args, page=Page(limit, offset), **kwargs)

        with_offset = click.option(
            "--offset", type=RowCountType(0), default=0, show_default=True,
            help=f"Skip this many {noun} first (the footer, or `next` in --json, gives the next page's).",
        )(wrapper)  # fmt: skip
        return cast(F, click.option(
            "--limit", type=RowCountType(1, MAX_LIMIT), default=default, show_default=True,
            help=f"Show at most this many {noun} (a page; at most 10,000).",
        )(with_offset))  # fmt: skip

    return decorate


def echo_footer(line: str | None) -> None:
    """Print a listing's paging footer, if it has one (tables only: --json carries `next`)."""
    if line:
        from cli.render import say

        say(line)
