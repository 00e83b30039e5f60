"""The payment lines a bank statement can touch, picked from a stream of the ledger's issued and reconciled lines.

``match_statement`` needs, of the whole ledger, only these transfers (a transfer is the lines sharing one
payment reference, compared as ``reconcile.norm`` writes it):

- every transfer with a line still issued (it may match by amount and date, or be listed as not cleared);
- every transfer whose reference a statement line names, or holds (a statement reference containing ours);
- every transfer with a line in a batch a statement line names;
- every line already reconciled to one of these statement lines (its transfer's other lines, if it is wanted for
  none of the reasons above, change nothing: the transfer is not open, and no statement line names it).

Other transfers, reconciled long ago, cannot change the report. They are most of a ledger with a history, so
this holds what the statement and the open transfers need, not the ledger. Two passes over the source: the
first reads each line's reference, status and batch and keeps only the names of the transfers wanted, the
second keeps their lines, in the order the ledger accrued them (the order ``match_statement`` meets them in
a whole fold).
"""

from __future__ import annotations

from collections.abc import Iterator, Sequence
from typing import Protocol

from panel.domain.errors import ConcurrentUpdateError
from panel.payments.domain.values import ISSUED, RECONCILED
from panel.payments.ledger import LedgerLine
from panel.payments.reconcile import StatementLine, norm

TRIES = 5  # passes repeated when another process moved the source between them
Names = tuple[str | None, str, str | None]  # a line's reference, status and batch reference


class IssuedLines(Protocol):
    """The ledger's issued and reconciled lines, read twice (``projections.ledger.IssuedLedger``)."""

    def names(self) -> Iterator[Names]:
        """Every issued or reconciled line's names, in any order; the source is brought up to date first."""

    def lines(self) -> Iterator[LedgerLine]:
        """Every issued or reconciled line, in the order the ledger accrued them."""


class _Wanted:
    """Whether a line makes its transfer wanted by this statement (a function of the line alone)."""

    def __init__(self, statement: Sequence[StatementLine], account: str) -> None:
        self.refs = {norm(line.reference) for line in statement}
        self.batches = self.refs - {""}
        self.keys = {line.key(account) for line in statement}
        self._by_length: dict[int, frozenset[str]] = {}  # the statement references' substrings, by length

    def _within(self, ref: str) -> bool:
        """Whether a statement reference contains ``ref``."""
        n = len(ref)
        if n not in self._by_length:
            self._by_length[n] = frozenset(s[i : i + n] for s in self.refs for i in range(len(s) - n + 1))
        return ref in self._by_length[n]

    def done(self, p: LedgerLine) -> bool:
        """Already reconciled to one of the statement's lines."""
        return p.status == RECONCILED and bool(p.statement_line) and p.statement_line in self.keys

    def transfer(self, reference: str | None, status: str, batch_ref: str | None) -> str | None:
        """A line's transfer (its normalised reference), when the line makes the transfer wanted."""
        if status not in (ISSUED, RECONCILED) or not reference:
            return None
        ref = norm(reference)
        if (
            status == ISSUED
            or ref in self.refs  # named by a statement line (or both name nothing: "---" and "--")
            or (ref and self._within(ref))
            or norm(batch_ref or "") in self.batches
        ):
            return ref
        return None


def statement_payments(statement: Sequence[StatementLine], account: str, issued_lines: IssuedLines) -> list[LedgerLine]:
    """The lines ``match_statement(statement, ...)`` needs, in the source's order: its report over them is the
    report over the whole ledger. Raises ``ConcurrentUpdateError`` if the source kept moving between passes."""
    wanted = _Wanted(statement, account)
    for _ in range(TRIES):
        transfers = {ref for names in issued_lines.names() if (ref := wanted.transfer(*names)) is not None}
        kept = _lines_of(transfers, wanted, issued_lines.lines())
        if kept is not None:
            return kept
    raise ConcurrentUpdateError("the payment ledger kept changing while the statement was matched: run it again")


def _lines_of(transfers: set[str], wanted: _Wanted, lines: Iterator[LedgerLine]) -> list[LedgerLine] | None:
    """The lines of ``transfers`` and those already reconciled to the statement; None if a line wants a transfer
    the first pass did not (it was written between the passes, and its transfer's earlier lines were passed over)."""
    kept: list[LedgerLine] = []
    try:
        for p in lines:
            ref = wanted.transfer(p.reference, p.status, p.batch_ref)
            if ref is not None and ref not in transfers:
                return None
            if p.status in (ISSUED, RECONCILED) and (
                (p.reference and norm(p.reference) in transfers) or wanted.done(p)
            ):
                kept.append(p)
        return kept
    finally:
        close = getattr(lines, "close", None)
        if close is not None:
            close()
