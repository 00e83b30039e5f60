"""The hash chain checked inside PostgreSQL: a span of positions at a time, for ``panel.audit``.

The chain's rules (``panel.store.chain``) need nothing PostgreSQL lacks: ``sha256``, ``uuid_send``,
``int8send`` and ``int4send`` rebuild the digest of each stored event and the hash of each chain row
from the same bytes, in C, next to the rows. One statement per span joins the span's events to its
chain rows by position and says whether every one of them agrees; the span's first row follows from
the stored chain row before the span, as ``Audit.verify(start=...)`` trusts it, so spans that each
agree make a chain that agrees (each span ends on a row the next one starts from). Nothing is read
back but a count. Where a span disagrees, ``panel.audit`` walks it in Python, which names the
position and the kind of break.
"""

from __future__ import annotations

from typing import Any

from panel.store.chain import GENESIS

SPAN = 500_000  # positions per statement: each is a bounded sort and join inside the database

_SPAN_CHECK = """
WITH stored AS (
    SELECT notification_id AS position,
           sha256(uuid_send(originator_id) || int8send(originator_version)
                  || int4send(octet_length(convert_to(topic, 'UTF8'))) || convert_to(topic, 'UTF8')
                  || state) AS digest
    FROM {events} WHERE notification_id > %(after)s AND notification_id <= %(upto)s
), chained AS (
    SELECT position, digest, hash, lag(hash) OVER (ORDER BY position) AS previous
    FROM {chain} WHERE position > %(after)s AND position <= %(upto)s
), before AS (
    SELECT coalesce((SELECT hash FROM {chain} WHERE position <= %(after)s ORDER BY position DESC LIMIT 1),
                    %(genesis)s::bytea) AS hash
)
SELECT count(*) AS rows,
       bool_and(stored.position IS NOT NULL AND chained.position IS NOT NULL
                AND stored.digest = chained.digest
                AND sha256(coalesce(chained.previous, before.hash) || int8send(chained.position) || chained.digest)
                    = chained.hash) AS agrees
FROM stored FULL JOIN chained ON stored.position = chained.position CROSS JOIN before
"""


def span_agrees(recorder: Any, after: int, upto: int) -> tuple[int, bool]:
    """(rows in the span, whether each event's digest and each chain hash in positions ``after + 1`` to
    ``upto`` agree with the rules): ``recorder`` is the PostgreSQL recorder of ``panel.store.recorders``."""
    statement = _SPAN_CHECK.format(events=recorder.events_ref, chain=recorder.chain_ref)
    with recorder.reading() as c:
        c.execute(statement, {"after": after, "upto": upto, "genesis": GENESIS})
        found = c.fetchone()
    rows = int(found["rows"] or 0)
    return rows, rows == 0 or bool(found["agrees"])
