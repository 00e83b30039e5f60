"""Partial indexes on the events table for the topics of the store's few, long-lived aggregates.

Listing the engagements, campaigns, draws, partners or staff accounts means finding the events of one topic
among every event in the log; the library's ``select_notifications(topics=...)`` walks the whole log to do it,
so on a national store each such listing, and each sign-up (which needs the engagements' eligibility rules),
would read millions of rows. `panel init` (``install``) gives each rare topic a partial index holding only
that topic's rows: a few entries each, kept in log order, costing an insert of another topic nothing but the
test of its topic. The reads here name the topic as a literal, so both databases' planners can match the
index's condition (a bound parameter would hide the value from the plan); a store made before the indexes
still answers the same, by a scan, until `panel init` adds them.
"""

from __future__ import annotations

import hashlib
import re
from collections.abc import Iterable
from typing import Any

_TOPIC = re.compile(r"[A-Za-z0-9_.:]+")


def literal(topic: str) -> str:
    """``topic`` as an SQL string literal; a topic is a module path and a class name, never anything else."""
    if not _TOPIC.fullmatch(topic):
        raise ValueError(f"not an event topic: {topic!r}")
    return f"'{topic}'"


def index_name(table: str, topic: str) -> str:
    """The partial index of ``topic`` on ``table`` (unquoted): the table's name and a digest of the topic."""
    return f"{table}_topic_{hashlib.sha256(topic.encode()).hexdigest()[:12]}"


def install(recorder: Any, topics: Iterable[str]) -> list[str]:
    """Create the partial index of each topic (idempotent): `panel init` only. Returns the indexes' names."""
    table = recorder.events_table_name
    names = []
    with recorder.datastore.transaction(commit=True) as c:
        for topic in sorted(set(topics)):
            name = index_name(table, topic)
            if hasattr(recorder.datastore, "schema"):  # PostgreSQL: in the store's schema, in log order
                c.execute(
                    f'CREATE INDEX IF NOT EXISTS "{name}" ON "{recorder.datastore.schema}"."{table}" '
                    f"(notification_id) WHERE topic = {literal(topic)}"
                )
            else:  # SQLite: an index's rows are in (key, rowid) order, and the key is the one topic
                c.execute(f'CREATE INDEX IF NOT EXISTS "{name}" ON "{table}" (topic) WHERE topic = {literal(topic)}')
            names.append(name)
    return names
