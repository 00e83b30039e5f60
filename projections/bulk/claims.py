"""The bookkeeping of a bulk load in parts: the claim on a fresh generation and each part's marker.

They are rows of the tracking table beside the generation's own position (``KEY#claim``,
``KEY#partN``). A claim token written at the start lets the next rebuild (or a rival one) find a
half-loaded generation and clear it instead of adding to it; every part's write transaction
share-locks the claim, so a rival claim waits for them. A part's marker is written once its rows
are; the load sets the position only when every marker is there.
"""

from __future__ import annotations

import secrets

from sqlalchemy import select
from sqlalchemy.engine import Connection

from panel.domain.errors import PanelError
from projections import connection, db
from projections.generation import Source, Target


class SupersededError(PanelError):
    """Raised when another rebuild claimed the generation while this one was loading it (run the rebuild again)."""


def token_key(t: Target) -> str:
    return f"{t.key}#claim"


def part_key(t: Target, part: int) -> str:
    return f"{t.key}#part{part}"


def marks(conn: Connection, fresh: list[Target], parts: int = 0, share: bool = False) -> dict[str, int]:
    """Positions, claims (and the first ``parts`` part markers) of ``fresh``: under the writers' lock, or
    (``share``) a share lock on the claim rows, which a rival ``claim`` must wait out before it clears anything."""
    keys = [t.key for t in fresh] + [token_key(t) for t in fresh]
    keys += [part_key(t, k) for t in fresh for k in range(parts)]
    if share and conn.dialect.name == "postgresql":
        claims = [token_key(t) for t in fresh]
        conn.execute(
            select(db.TRACKING.c.view_name).where(db.TRACKING.c.view_name.in_(claims)).with_for_update(read=True)
        )
        return db.positions(conn, keys)
    return db.positions(conn, keys, lock=not share)


def arrived(conn: Connection, t: Target, head: int) -> set[int]:
    """The parts of ``t`` whose marker says they were loaded up to ``head``."""
    prefix = f"{t.key}#part"
    found = conn.execute(
        select(db.TRACKING.c.view_name).where(
            db.TRACKING.c.view_name.like(f"{prefix}%"), db.TRACKING.c.position == head
        )
    )
    return {int(name.removeprefix(prefix)) for (name,) in found}


def check_claim(conn: Connection, fresh: list[Target], token: int) -> None:
    """Raise ``SupersededError`` unless the claim is still this load's (share-locked: a rival claim waits)."""
    now = marks(conn, fresh, share=True)
    superseded = [t.view.name for t in fresh if now[t.key] != 0 or now[token_key(t)] != token]
    if superseded:
        raise SupersededError(f"another rebuild took over the {', '.join(superseded)} view(s); run the rebuild again")


def forget_marks(conn: Connection, t: Target) -> None:
    conn.execute(db.TRACKING.delete().where(db.TRACKING.c.view_name.like(f"{t.key}#%")))


def claim(projector: Source, fresh: list[Target], partitioned: bool) -> int:
    """Clear what an interrupted (or rival) partitioned load left in these generations; claim them.

    Returns the claim token the parts must still find when they commit (0 when not partitioned).
    """
    token = secrets.randbelow(2**31 - 1) + 1 if partitioned else 0
    with connection.writing(projector.engine) as conn:
        db.positions(conn, [], lock=True)
        for t in fresh:
            left = conn.execute(db.TRACKING.select().where(db.TRACKING.c.view_name.like(f"{t.key}#%"))).first()
            if left is not None:  # rows of some parts may be in: the generation starts again, empty
                forget_marks(conn, t)  # first: it waits for any part still committing under the old claim
                for table in t.tables.values():
                    conn.execute(table.delete())
            if partitioned:
                db.set_position(conn, token_key(t), token)
    return token
