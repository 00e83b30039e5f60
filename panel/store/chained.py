"""The hash chain's writes and reads (``panel.store.chain``), shared by both recorders of ``panel.store.recorders``."""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any
from uuid import UUID

from eventsourcing.persistence import StoredEvent

from panel.store.chain import GENESIS, Link, digest, id_bytes, link, links
from panel.store.topic_index import literal

CHAIN_PAGE = 5000  # events chained per read when a chain is computed over an existing log


class ChainedRecorder:
    """The hash chain's writes and reads, shared by both recorders (cursors of either database).

    A subclass sets ``mark`` (its parameter marker), ``position`` (the events' position column) and
    ``events_ref`` / ``chain_ref`` (quoted table names), and provides ``reading()`` and ``insert_links()``.
    """

    mark = "?"
    position = "rowid"
    events_ref = ""
    chain_ref = ""

    def reading(self) -> Any:
        raise NotImplementedError

    def insert_links(self, c: Any, rows: list[Link]) -> None:
        raise NotImplementedError

    def chain_rows(self, c: Any, positions: Sequence[int], stored_events: Sequence[StoredEvent]) -> None:
        """Chain the events just inserted at ``positions``, in the insert's transaction (after its lock)."""
        c.execute(f"SELECT hash FROM {self.chain_ref} ORDER BY position DESC LIMIT 1")
        row = c.fetchone()
        self.insert_links(c, links(GENESIS if row is None else bytes(row["hash"]), positions, stored_events))

    def _select_stored(self, c: Any, after: int, limit: int) -> list[tuple[int, bytes, int, str, bytes]]:
        c.execute(
            f"SELECT {self.position} AS position, originator_id, originator_version, topic, state "
            f"FROM {self.events_ref} WHERE {self.position} > {self.mark} ORDER BY {self.position} LIMIT {self.mark}",
            (after, limit),
        )
        return [
            (r["position"], id_bytes(r["originator_id"]), r["originator_version"], r["topic"], blob(r["state"]))
            for r in c.fetchall()
        ]

    def select_stored(self, after: int, limit: int) -> list[tuple[int, bytes, int, str, bytes]]:
        """Up to ``limit`` stored events after position ``after``: (position, id bytes, version, topic, state)."""
        with self.reading() as c:
            return self._select_stored(c, after, limit)

    def select_links(self, after: int, limit: int) -> list[Link]:
        """Up to ``limit`` chain rows after position ``after``, in order."""
        with self.reading() as c:
            c.execute(
                f"SELECT position, digest, hash FROM {self.chain_ref} WHERE position > {self.mark} "
                f"ORDER BY position LIMIT {self.mark}",
                (after, limit),
            )
            return [Link(r["position"], bytes(r["digest"]), bytes(r["hash"])) for r in c.fetchall()]

    def link_before(self, position: int | None = None) -> Link | None:
        """The last chain row before ``position`` (None: the chain's head); None if there is none."""
        where = "" if position is None else f" WHERE position < {self.mark}"
        with self.reading() as c:
            c.execute(
                f"SELECT position, digest, hash FROM {self.chain_ref}{where} ORDER BY position DESC LIMIT 1",
                () if position is None else (position,),
            )
            r = c.fetchone()
            return None if r is None else Link(r["position"], bytes(r["digest"]), bytes(r["hash"]))

    def originators_page(self, topic: str, offset: int, limit: int) -> list[UUID]:
        """The ids of the aggregates with an event of ``topic``, in log order: ``limit`` of them after ``offset``.

        One statement with LIMIT and OFFSET, so a page of a listing never reads the ids before it
        into Python (the database still walks the log up to the page, or the topic's partial index
        where `panel init` made one: ``panel.store.topic_index``; see docs/participants.md).
        """
        with self.reading() as c:
            c.execute(
                f"SELECT originator_id FROM {self.events_ref} WHERE topic = {literal(topic)} "
                f"ORDER BY {self.position} LIMIT {self.mark} OFFSET {self.mark}",
                (limit, offset),
            )
            return [UUID(bytes=id_bytes(r["originator_id"])) for r in c.fetchall()]

    def originators_count(self, topic: str) -> int:
        """How many events of ``topic`` there are (so how many ids ``originators_page`` can give): one count in
        the database, through the topic's partial index where `panel init` made one, nothing read into Python."""
        with self.reading() as c:
            c.execute(f"SELECT COUNT(*) AS n FROM {self.events_ref} WHERE topic = {literal(topic)}")
            return int(c.fetchone()["n"])

    def originators_after(self, topic: str, after: int, limit: int) -> list[tuple[int, UUID]]:
        """Up to ``limit`` (position, aggregate id) of the events of ``topic`` after position ``after``, in log
        order (through the topic's partial index where there is one)."""
        with self.reading() as c:
            c.execute(
                f"SELECT {self.position} AS position, originator_id FROM {self.events_ref} "
                f"WHERE topic = {literal(topic)} AND {self.position} > {self.mark} "
                f"ORDER BY {self.position} LIMIT {self.mark}",
                (after, limit),
            )
            return [(r["position"], UUID(bytes=id_bytes(r["originator_id"]))) for r in c.fetchall()]

    def moved_after(self, versions: Sequence[tuple[UUID, int]]) -> bool:
        """Whether any of the aggregates has an event after the version given for it: one EXISTS over the events'
        (originator id, version) key, nothing read back or decoded (a cache's freshness check)."""
        if not versions:
            return False
        each = f"(originator_id = {self.mark} AND originator_version > {self.mark})"
        params = [p for aid, version in versions for p in (self.id_param(aid), version)]
        with self.reading() as c:
            c.execute(
                f"SELECT EXISTS (SELECT 1 FROM {self.events_ref} WHERE {' OR '.join([each] * len(versions))}) AS moved",
                params,
            )
            return bool(c.fetchone()["moved"])

    def id_param(self, aid: UUID) -> Any:
        """An aggregate id as the events table's ``originator_id`` parameter (SQLite stores the hex)."""
        return aid.hex

    def last_position_of(self, topics: Sequence[str]) -> int:
        """The position of the last event of any of ``topics`` (0 if none): a change mark for what they decide."""
        parts = " UNION ALL ".join(
            f"SELECT MAX({self.position}) AS p FROM {self.events_ref} WHERE topic = {literal(t)}" for t in topics
        )
        with self.reading() as c:
            c.execute(f"SELECT MAX(p) AS p FROM ({parts}) AS marks")
            r = c.fetchone()
            return int(r["p"] or 0)

    def positions_of_digest(self, event_digest: bytes) -> list[int]:
        """The chain positions whose event had this digest (a scan: only used once a break is found)."""
        with self.reading() as c:
            c.execute(f"SELECT position FROM {self.chain_ref} WHERE digest = {self.mark}", (event_digest,))
            return sorted(r["position"] for r in c.fetchall())

    def max_position(self) -> int:
        """The last position in either the events or the chain (0 when both are empty)."""
        with self.reading() as c:
            c.execute(
                f"SELECT (SELECT MAX({self.position}) FROM {self.events_ref}) AS e, "
                f"(SELECT MAX(position) FROM {self.chain_ref}) AS h"
            )
            r = c.fetchone()
            return max(r["e"] or 0, r["h"] or 0)

    def extend_links(self, c: Any) -> tuple[int, int]:
        """Chain the events after the chain's head, in pages, on cursor ``c`` (in a write transaction, locked).

        Returns how many events were chained and the last position chained (0, 0 when none).
        """
        c.execute(f"SELECT position, hash FROM {self.chain_ref} ORDER BY position DESC LIMIT 1")
        head = c.fetchone()
        after, previous = (0, GENESIS) if head is None else (head["position"], bytes(head["hash"]))
        count = 0
        while page := self._select_stored(c, after, CHAIN_PAGE):
            rows = []
            for position, uid, version, topic, state in page:
                previous = link(previous, position, digest(uid, version, topic, state))
                rows.append(Link(position, digest(uid, version, topic, state), previous))
            self.insert_links(c, rows)
            count, after = count + len(rows), page[-1][0]
        return count, (after if count else 0)


def blob(value: Any) -> bytes:
    """A stored state's bytes; SQLite keeps whatever type was written (text, if someone edited it as text)."""
    return value.encode() if isinstance(value, str) else bytes(value)
