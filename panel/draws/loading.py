"""Many aggregates read back in a few queries, as the history stood at a position.

A pool narrowed by the read models still re-checks tens of thousands of people from their own
events; one ``repository.get`` each would be one round trip each. Here their events are read in
chunks of ids (each chunk one query, bounded by the position: the same events ``versions_as_of``
would select) and folded with the aggregates' own ``mutate``, exactly as the repository does.
"""

from __future__ import annotations

from collections.abc import Iterable, Iterator
from typing import TYPE_CHECKING, Any
from uuid import UUID

from eventsourcing.persistence import StoredEvent

from panel.draws.history import events_table, rows_of

if TYPE_CHECKING:
    from panel.application import PanelApp

CHUNK = {"sqlite": 500, "postgres": 5_000}


def _uuid(value: Any) -> UUID:
    return value if isinstance(value, UUID) else UUID(str(value))


def _chunks(app: PanelApp, ids: Iterable[UUID]) -> Iterator[list[UUID]]:
    wanted = sorted(set(ids), key=lambda u: u.hex)
    size = CHUNK.get(app.dialect, 500)
    for start in range(0, len(wanted), size):
        yield wanted[start : start + size]


def _select(app: PanelApp, columns: str, chunk: list[UUID], position: int, tail: str = "") -> list[Any]:
    table = events_table(app)
    if app.dialect == "sqlite":
        marks = ",".join("?" * len(chunk))
        sql = f"SELECT {columns} FROM {table} WHERE originator_id IN ({marks}) AND rowid <= ? {tail}"  # noqa: S608 - the table name is the recorder's, values are bound
        return rows_of(app, sql, (*[u.hex for u in chunk], position))
    sql = f"SELECT {columns} FROM {table} WHERE originator_id = ANY(%s) AND notification_id <= %s {tail}"  # noqa: S608 - the table name is the recorder's, values are bound
    return rows_of(app, sql, (chunk, position))


def versions_of(app: PanelApp, ids: Iterable[UUID], position: int) -> dict[UUID, int]:
    """The version of each of ``ids`` as of ``position`` (absent: it had no event by then)."""
    found: dict[UUID, int] = {}
    for chunk in _chunks(app, ids):
        for r in _select(app, "originator_id, MAX(originator_version) AS version", chunk, position, "GROUP BY 1"):
            found[_uuid(r["originator_id"])] = int(r["version"])
    return found


Memo = dict[int, dict[UUID, Any]]  # position -> aggregates read as of it (one verification's reads)


def load_many(
    app: PanelApp, ids: Iterable[UUID], position: int, memo: Memo | None = None
) -> tuple[dict[UUID, Any], list[UUID]]:
    """Each of ``ids`` as its events up to ``position`` make it (absent: no event by then), and the ids
    whose history cannot be read (a corrupted stored event: reported by the caller, never raised).

    With ``memo``, aggregates already read as of the same position are taken from it and the ones read
    here are added (callers only read them): a verification's checks read the recorded pool once."""
    seen = memo.setdefault(position, {}) if memo is not None else {}
    wanted = set(ids)
    found: dict[UUID, Any] = {pid: seen[pid] for pid in wanted if pid in seen}
    unreadable: list[UUID] = []
    columns = "originator_id, originator_version, topic, state"
    for chunk in _chunks(app, wanted - found.keys()):
        rows = _select(app, columns, chunk, position, "ORDER BY originator_id, originator_version")
        broken: set[UUID] = set()
        for r in rows:
            oid = _uuid(r["originator_id"])
            if oid in broken:
                continue
            stored = StoredEvent(oid, int(r["originator_version"]), str(r["topic"]), bytes(r["state"]))
            try:
                event = app.mapper.to_domain_event(stored)
                found[oid] = event.mutate(found.get(oid))  # type: ignore[attr-defined]
            except Exception:  # noqa: BLE001 - a corrupted stored event is reported as such, never raised
                broken.add(oid)
                found.pop(oid, None)
        unreadable.extend(sorted(broken, key=lambda u: u.hex))
    if memo is not None:
        seen.update(found)
    return found, unreadable
