"""Read what the retention rules need from the store: each person's activity, membership consent,
payments, the draws whose pools they are in, and the legal holds in force (references, no personal data).

Payments are read one person at a time through ``payments_of`` (a person's id -> their payment lines, in the
order they were accrued): the CLI passes ``projections.ledger.PersonLedger``, one indexed query on the
ledger view per person, so going through everyone never holds everyone's payments."""

from __future__ import annotations

from collections.abc import Callable, Iterable, Iterator
from datetime import datetime
from typing import TYPE_CHECKING, Any
from uuid import UUID

import numpy as np
from eventsourcing.utils import get_topic

from panel.domain.draw import Draw
from panel.domain.engagement import Engagement
from panel.domain.participant import Participant
from panel.id_bytes import ID_BYTES
from panel.payments.ledger import LedgerLine
from panel.queries import REGISTERED_TOPIC
from panel.retention.holds import LegalHolds
from panel.retention.rules import DrawFact, PaymentFact, PersonFacts
from panel.validation import DEFAULT_SOURCE

if TYPE_CHECKING:
    from panel.application import PanelApp

DRAW_TOPIC = get_topic(Draw.Completed)
MEMBERSHIP = "panel_membership"
PaymentsOf = Callable[[UUID], Iterable[LedgerLine]]  # one person's payment lines, in the order they were accrued


def _payment_times(line: LedgerLine) -> Iterator[datetime]:
    for moment in (line.accrued_at, line.approved_at, line.issued_at, line.reconciled_at, line.closed_at):
        if moment is not None:
            yield moment


class RetentionFacts:
    """Gathers ``PersonFacts`` for every participant, one person at a time (their payments from ``payments_of``)."""

    def __init__(self, app: PanelApp, payments_of: PaymentsOf) -> None:
        self.app = app
        self.payments_of = payments_of

    def each(self) -> Iterator[PersonFacts | None]:
        """Each participant's facts in registration order, read one person at a time (None: erased, no longer
        the rules' business)."""
        draws = self._draws()
        holds = {pid: tuple(h.reason for h in found) for pid, found in LegalHolds(self.app).in_force().items()}
        for pid in self.app.originators(REGISTERED_TOPIC):  # each person's first event, once: streamed, not held
            events = list(self.app.events.get(pid))
            if any(isinstance(e, Participant.Erased) for e in events):
                yield None
                continue
            lines = list(self.payments_of(pid))
            times: list[datetime] = [at for e in events if isinstance(at := getattr(e, "at", None), datetime)]
            times += [t for line in lines for t in _payment_times(line)]
            yield PersonFacts(
                participant_id=pid,
                ref=self._ref(events),
                last_activity=max(times),
                membership_withdrawn_at=self._withdrawn(events),
                payments=tuple(
                    PaymentFact(
                        line.reference or str(line.id)[:8],
                        line.status,
                        line.issued_at.date() if line.issued_at else None,
                    )
                    for line in lines
                ),  # fmt: skip
                draws=draws.of(pid),
                holds=holds.get(pid, ()),
            )

    @staticmethod
    def _ref(events: list[Any]) -> str:
        first = events[0]
        return str(first.external_ref) if first.source == DEFAULT_SOURCE else f"{first.source}:{first.external_ref}"

    @staticmethod
    def _withdrawn(events: list[Any]) -> datetime | None:
        """When panel_membership was withdrawn, if the latest record of it (by effective time) is a withdrawal."""
        kinds = (Participant.ConsentGranted, Participant.ConsentWithdrawn)
        records = [e for e in events if isinstance(e, kinds) and e.purpose == MEMBERSHIP]
        if not records:
            return None
        last = max(enumerate(records), key=lambda pair: (pair[1].at, pair[0]))[1]
        return last.at if isinstance(last, Participant.ConsentWithdrawn) else None

    def _draws(self) -> DrawPools:
        facts: list[DrawFact] = []
        refs: dict[UUID, str] = {}

        def pools() -> Iterator[np.ndarray]:
            for did in dict.fromkeys(self.app.originators(DRAW_TOPIC)):
                draw = self.app.load(did, Draw)  # one draw at a time: its pool is read, kept as 16 bytes an id
                if draw.engagement_id not in refs:
                    refs[draw.engagement_id] = self.app.load(draw.engagement_id, Engagement).ref
                facts.append(DrawFact(f"{refs[draw.engagement_id]} round {draw.round}", draw.drawn_at))
                yield np.array([UUID(str(row[0])).bytes for row in draw.pool], dtype=ID_BYTES)

        return DrawPools(facts, pools())


class DrawPools:
    """Which draws' pools each person was in, for every draw in the store: each membership is 16 bytes of the
    person's id and the draw's number (4 bytes), sorted by id, and a person's draws are found by binary search.
    A dict of each person's list of draws took several times that, and a national store's draws (pools of
    tens of thousands, year after year) add up to millions of memberships.

    ``facts[i]`` is the draw whose pool is the ``i``-th of ``pools`` (read to the end before ``facts`` is)."""

    def __init__(self, facts: list[DrawFact], pools: Iterable[np.ndarray]) -> None:
        arrays = list(pools)
        sizes = [len(pool) for pool in arrays]
        ids = np.concatenate(arrays) if arrays else np.empty(0, dtype=ID_BYTES)
        del arrays  # the pools' own arrays go as soon as they are one
        order = np.argsort(ids, kind="stable")  # stable: one person's draws stay in the order they were made
        self.facts = facts
        self.ids = ids[order]
        self.which = np.repeat(np.arange(len(sizes), dtype=np.int32), sizes)[order]

    def of(self, participant: UUID) -> tuple[DrawFact, ...]:
        """The draws whose pools held ``participant``, in the order the draws were made."""
        key = np.bytes_(participant.bytes)
        ids = self.ids
        start = int(ids.searchsorted(key))
        # numpy gives an S16 item back without its trailing zero bytes, so the key is compared without them
        if start == len(ids) or ids[start] != key.rstrip(b"\0"):  # in no pool: most people, one search
            return ()
        stop = int(ids.searchsorted(key, "right"))
        return tuple(self.facts[i] for i in self.which[start:stop])
