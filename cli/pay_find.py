"""Finding payments from what people type (an id, 8 or more of its first characters, our reference) through the
ledger view, for the `panel pay` commands that name payments."""

from __future__ import annotations

from collections.abc import Sequence
from uuid import UUID

import click

from cli.wiring import views_url
from panel.payments import Payments
from projections.connection import make_engine
from projections.ledger import PaymentFinder


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
