"""Payment lines for the web's pages: from the ledger view when the service has the views' engine
(`panel serve` gives it one, as the CLI's commands have), else folded from the stored events (a site
made without views, as most tests make it). The view answers with one indexed query after a catch-up;
the fold reads every payment event in the store, which a national programme counts in millions.
"""

from __future__ import annotations

from collections.abc import Iterable
from typing import Protocol
from uuid import UUID

from sqlalchemy.engine import Engine

from panel.application import PanelApp
from panel.payments.base import PaymentService
from panel.payments.ledger import LedgerLine
from panel.payments.outstanding import WAITING
from projections.ledger import PersonLedger, stream_ledger_lines


class LedgerReads(Protocol):
    def person(self, participant: UUID) -> list[LedgerLine]:
        """One person's payment lines, in the order they were accrued."""
        ...

    def waiting(self) -> Iterable[LedgerLine]:
        """Every line not yet finished (accrued, approved or issued), each engagement's and person's lines
        together, in the order Python sorts (engagement reference, participant reference)."""
        ...


class FoldedLedger:
    def __init__(self, app: PanelApp) -> None:
        self.app = app

    def person(self, participant: UUID) -> list[LedgerLine]:
        return PaymentService(self.app).lines(participant=participant)

    def waiting(self) -> Iterable[LedgerLine]:
        lines = [line for line in PaymentService(self.app).lines() if line.status in WAITING]
        return sorted(lines, key=lambda line: (line.engagement_ref, line.participant_ref))


class ViewLedger:
    def __init__(self, app: PanelApp, engine: Engine) -> None:
        self.app, self.engine = app, engine

    def person(self, participant: UUID) -> list[LedgerLine]:
        return PersonLedger(self.app, self.engine)(participant)  # caught up as it is made

    def waiting(self) -> Iterable[LedgerLine]:
        return stream_ledger_lines(self.app, self.engine, statuses=sorted(WAITING), by_code_point=True)


def ledger_reads(app: PanelApp, views: Engine | None) -> LedgerReads:
    return FoldedLedger(app) if views is None else ViewLedger(app, views)
