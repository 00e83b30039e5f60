"""Finding payments through the ledger view for the `panel pay` commands that name payments: from what people
type (an id, 8 or more of its first characters, our reference), or every payment of an engagement in a status."""

from __future__ import annotations

import functools
from collections.abc import Callable, Iterator, Sequence
from contextlib import contextmanager
from uuid import UUID

import click

from cli.wiring import views_url
from panel.payments import Payments
from projections.connection import make_engine
from projections.ledger import ACCRUAL_ORDER, PaymentFinder, approved_pence, stream_ledger_lines


def resolve_payments(payments: Payments, texts: Sequence[str]) -> list[UUID]:
    """Each text's payment, found with the ledger view's reads (``projections.ledger.PaymentFinder``); a text that
    names none, or several, is refused as ``Payments.resolve`` refuses it. The view is read only if a text is not
    a whole id."""
    if not texts:
        return []
    engine = make_engine(click.get_current_context().obj.location, views_url())
    try:
        finder = PaymentFinder(payments.app, engine)
        return [payments.resolve(text, matching=finder) for text in texts]
    finally:
        engine.dispose()


def engagement_payments(payments: Payments, engagement: UUID, status: str) -> list[UUID]:
    """The engagement's payments in ``status``, in the order they were accrued (as ``Payments.lines`` gives them):
    one indexed query on the ledger view, brought up to date first."""
    engine = make_engine(click.get_current_context().obj.location, views_url())
    try:
        lines = stream_ledger_lines(payments.app, engine, engagement=engagement, statuses=[status], order=ACCRUAL_ORDER)
        return [line.id for line in lines]
    finally:
        engine.dispose()


@contextmanager
def approved_totals(payments: Payments) -> Iterator[Callable[[UUID], int]]:
    """``Lifecycle.approve``'s ``approved_so_far``: each engagement's approved total from the ledger view
    (``projections.ledger.approved_pence``), on one engine for the command."""
    engine = make_engine(click.get_current_context().obj.location, views_url())
    try:
        yield functools.partial(approved_pence, payments.app, engine)
    finally:
        engine.dispose()
