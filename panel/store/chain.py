"""The hash chain over the stored events: tamper evidence that survives erasure.

Every stored event at position ``p`` gets a row ``(p, digest, hash)`` in the chain table beside the
events table (``<events table>_chain``), written by the recorders in the transaction that inserts
the events:

- ``digest = sha256(originator id (16 bytes) || version (8 bytes) || len(topic) (4 bytes) || topic || state)``
  over the event *as stored* (the state after personal data was sealed and the payload encrypted),
  so destroying a participant's data key never changes it;
- ``hash = sha256(previous hash || p (8 bytes) || digest)``, the previous hash of the first event
  being 32 zero bytes.

Keeping the digest beside the hash lets a verifier tell an event moved to another position
(reordered) from an event whose bytes changed. Integers are unsigned big-endian.
"""

from __future__ import annotations

import hashlib
from collections.abc import Iterable, Sequence
from typing import NamedTuple
from uuid import UUID

from eventsourcing.persistence import StoredEvent

GENESIS = bytes(32)
UPGRADE_SETTING = "chain_upgrade"  # "<events chained> <last position> <ISO time>": the chain computed at an upgrade


class Link(NamedTuple):
    """One chain row: the event's position, the digest of its stored bytes, and its chain hash."""

    position: int
    digest: bytes
    hash: bytes


def chain_table(events_table: str) -> str:
    """The chain table's name beside an events table."""
    return f"{events_table}_chain"


def id_bytes(originator_id: UUID | str) -> bytes:
    """An originator id's 16 bytes, from a UUID or the 32 hex digits SQLite keeps."""
    if isinstance(originator_id, UUID):
        return originator_id.bytes
    try:
        if len(originator_id) == 32:
            return bytes.fromhex(originator_id)  # SQLite's 32 hex digits: the same 16 bytes, without making a UUID
        return UUID(originator_id).bytes
    except (ValueError, TypeError, AttributeError):  # not an id at all (edited by hand): its text, which digests apart
        return str(originator_id).encode()


def digest(originator_id: bytes, version: int, topic: str, state: bytes) -> bytes:
    """The digest of one stored event's fields (``originator_id`` as its 16 bytes, see ``id_bytes``)."""
    name = topic.encode()
    return hashlib.sha256(
        b"".join((originator_id, version.to_bytes(8, "big"), len(name).to_bytes(4, "big"), name, bytes(state)))
    ).digest()


def link(previous: bytes, position: int, event_digest: bytes) -> bytes:
    """The chain hash at ``position``, after the chain hash ``previous``."""
    return hashlib.sha256(previous + position.to_bytes(8, "big") + event_digest).digest()


def links(previous: bytes, positions: Sequence[int], stored: Iterable[StoredEvent]) -> list[Link]:
    """The chain rows of events just inserted at ``positions`` (in order), after the chain hash ``previous``."""
    rows = []
    for position, event in zip(positions, stored, strict=True):
        d = digest(id_bytes(event.originator_id), event.originator_version, event.topic, event.state)
        previous = link(previous, position, d)
        rows.append(Link(position, d, previous))
    return rows
