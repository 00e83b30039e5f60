"""Counts of recent requests per key (the web service's abuse limits), kept in the store so that every
serving process sees the same counts.

One table, ``panel_rate_counts`` (made by `panel init`): a row per (scope, key, second) with how many
requests fell in that second. Keys are keyed hashes (``web.limits``), never an address in clear. A
take is one transaction: count the key's rows within the window, and add one only when the count is
under the limit. Takes of one key run one at a time: on SQLite the first statement (a delete of the
key's expired rows) takes the database's write lock; on PostgreSQL a transaction-scoped advisory lock
on the (scope, key) comes first, because two transactions inserting rows for different seconds would
otherwise each count without seeing the other's. Expired rows (of every key, including those nobody
uses again) are deleted by a sweep of the scope at most once a minute per process, so the table
holds about a window's worth of requests.
"""

from __future__ import annotations

import hashlib
import math
import threading
import time
from collections.abc import Callable
from datetime import UTC, datetime, timedelta
from typing import Any

from panel.config import StoreVersionError
from panel.domain.errors import PanelError

TABLE = "panel_rate_counts"
SWEEP_SECONDS = 60.0  # how often (at most) one process deletes a scope's expired rows of every key


class RateLimitedError(PanelError):
    """Raised when a count taken inside another transaction (``RateCounts.taking``) is over its limit: the
    transaction rolls back, so nothing it wrote (nor the count) is kept; ``wait`` is how long until it would go."""

    def __init__(self, wait: timedelta) -> None:
        super().__init__(f"too many requests: try again in {max(1, int(wait.total_seconds()) + 1)} s")
        self.wait = wait


class RateCounts:
    """The ``panel_rate_counts`` table of the store whose datastore (``app.recorder.datastore``) is given."""

    def __init__(self, datastore: Any, dialect: str, schema: str = "") -> None:
        self.datastore, self.dialect, self.schema = datastore, dialect, schema
        self.p = "?" if dialect == "sqlite" else "%s"
        self.table = f'"{schema}".{TABLE}' if schema else TABLE
        self.swept: dict[str, float] = {}
        self.lock = threading.Lock()

    def create_table(self) -> None:
        """`panel init` only: the table and its index (a no-op on a store that has them)."""
        with self.datastore.transaction(commit=True) as c:
            c.execute(
                f"CREATE TABLE IF NOT EXISTS {self.table} (scope TEXT NOT NULL, subject TEXT NOT NULL, "
                "at_second BIGINT NOT NULL, n INTEGER NOT NULL, PRIMARY KEY (scope, subject, at_second))"
            )
            c.execute(f"CREATE INDEX IF NOT EXISTS {TABLE}_at ON {self.table} (scope, at_second)")

    def require_table(self) -> None:
        """One line to run `panel init` when the store predates the table (made before `panel serve --workers`)."""
        with self.datastore.transaction(commit=False) as c:
            if self.dialect == "sqlite":
                c.execute("SELECT 1 FROM sqlite_master WHERE type = 'table' AND name = ?", (TABLE,))
            else:
                c.execute(
                    "SELECT 1 FROM pg_tables WHERE schemaname = %s AND tablename = %s", (self.schema or "public", TABLE)
                )
            found = c.fetchone() is not None
        if not found:
            raise StoreVersionError(
                f"the store has no {TABLE} table for the web service's limits (it was made before the limits were "
                "shared between processes): run `panel init` to add it"
            )

    def take(self, scope: str, key: str, now: datetime, limit: int, window: timedelta) -> timedelta | None:
        """Count one request of ``key`` at ``now`` if fewer than ``limit`` fall in the ``window`` before it, and
        return None; otherwise count nothing and return how long until the oldest of them leaves the window."""
        count = self.taking(scope, key, now, limit, window)
        try:
            with self.datastore.transaction(commit=True) as c:
                count(c)
            wait = None
        except RateLimitedError as exc:  # nothing was counted (nor written: the check comes before the insert)
            wait = exc.wait
        self.tidy(scope, now, window)
        return wait

    def taking(self, scope: str, key: str, now: datetime, limit: int, window: timedelta) -> Callable[[Any], None]:
        """``take`` as a statement run on the cursor of another write transaction on the store's database (a
        sign-up's, ``panel.registration``), so the count commits or rolls back with what that transaction writes:
        over the limit it raises RateLimitedError, which rolls the whole transaction back. Call ``tidy`` after the
        transaction (the sweep runs in a transaction of its own)."""
        at, since = _second(now), _floor(now - window)

        def run(c: Any) -> None:
            self._serialise(c, scope, key, since)
            wait = self._wait(c, scope, key, since, now, limit, window)
            if wait is not None:
                raise RateLimitedError(wait)
            c.execute(
                f"INSERT INTO {self.table} (scope, subject, at_second, n) VALUES ({self.p}, {self.p}, {self.p}, 1) "
                f"ON CONFLICT (scope, subject, at_second) DO UPDATE SET n = {self.table}.n + 1",
                (scope, key, at),
            )

        return run

    def tidy(self, scope: str, now: datetime, window: timedelta) -> None:
        """The sweep of ``scope``'s expired rows that ``take`` runs (at most once a minute per process)."""
        self._sweep(scope, _floor(now - window))

    def wait(self, scope: str, key: str, now: datetime, limit: int, window: timedelta) -> timedelta | None:
        """What ``take`` would answer, counting nothing (and writing nothing)."""
        with self.datastore.transaction(commit=False) as c:
            return self._wait(c, scope, key, _floor(now - window), now, limit, window)

    def release(self, scope: str, key: str, now: datetime) -> None:
        """Take back one request ``take`` counted at ``now`` (the request turned out not to count)."""
        at = _second(now)
        with self.datastore.transaction(commit=True) as c:
            where = f"scope = {self.p} AND subject = {self.p} AND at_second = {self.p}"
            c.execute(f"UPDATE {self.table} SET n = n - 1 WHERE {where}", (scope, key, at))
            c.execute(f"DELETE FROM {self.table} WHERE {where} AND n <= 0", (scope, key, at))

    def rows(self) -> int:
        """How many rows the table holds (its bound is a window's worth of requests)."""
        with self.datastore.transaction(commit=False) as c:
            c.execute(f"SELECT count(*) AS total FROM {self.table}")
            return int(c.fetchone()["total"])

    def _serialise(self, c: Any, scope: str, key: str, since: int) -> None:
        """Make the takes of one key wait for each other, first thing in the transaction."""
        if self.dialect == "sqlite":  # a write first: it takes the write lock (waiting for it), so takes queue up
            c.execute(
                f"DELETE FROM {self.table} WHERE scope = ? AND subject = ? AND at_second <= ?", (scope, key, since)
            )
            return
        # PostgreSQL: one key's takes queue on a lock of their own; expired rows go in the sweep only, so a
        # take and a sweep never wait for each other's rows (no deadlock)
        digest = hashlib.sha256(f"{TABLE}\x1f{scope}\x1f{key}".encode()).digest()
        c.execute("SELECT pg_advisory_xact_lock(%s)", (int.from_bytes(digest[:8], "big", signed=True),))

    def _wait(
        self, c: Any, scope: str, key: str, since: int, now: datetime, limit: int, window: timedelta
    ) -> timedelta | None:
        c.execute(
            f"SELECT COALESCE(SUM(n), 0) AS count, MIN(at_second) AS oldest FROM {self.table} "
            f"WHERE scope = {self.p} AND subject = {self.p} AND at_second > {self.p}",
            (scope, key, since),
        )
        row = c.fetchone()
        if int(row["count"]) < limit:
            return None
        return datetime.fromtimestamp(int(row["oldest"]), UTC) + window - now

    def _sweep(self, scope: str, since: int) -> None:
        moment = time.monotonic()
        with self.lock:
            if moment - self.swept.get(scope, -SWEEP_SECONDS) < SWEEP_SECONDS:
                return
            self.swept[scope] = moment
        with self.datastore.transaction(commit=True) as c:
            c.execute(f"DELETE FROM {self.table} WHERE scope = {self.p} AND at_second <= {self.p}", (scope, since))


def _second(moment: datetime) -> int:
    """``moment`` as whole seconds since the epoch, rounded up: a request counts a little longer, never less."""
    return math.ceil(moment.timestamp())


def _floor(moment: datetime) -> int:
    """The last whole second at or before ``moment``: rows at or before it have left a window starting then."""
    return math.floor(moment.timestamp())
