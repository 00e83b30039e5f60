"""SQLite writers take turns: one queue per process, and a lock file beside the database across processes.

SQLite lets one transaction write at a time. Left to itself, a writer that finds the database locked
sleeps and looks again (Python's busy handler: sleeps growing to 100 ms), so under a burst from several
processes (`panel serve --workers N`, or a command beside the server) a writer can wait several of
those sleeps while others, arriving later, slip in between: an unfair tail. Here a write transaction
first takes its process's turn (a lock, so at most one thread per process waits at the file) and then
``flock`` on ``<database>-lock``, which the kernel grants as soon as the holder lets go; only then
does it ask the connection pool for the writing connection and BEGIN. Readers take no turn (in WAL
mode they never wait for a writer, nor a writer for them), so a process holding a read snapshot
never waits on a writer that waits on it.

The lock file only orders our writers: SQLite's own lock still decides (anything else writing the
file, such as another program, waits on SQLite's busy handler as before). ``flock`` belongs to the
open file, so the kernel drops it when a process dies however it dies. A writer waits at most the
store's lock timeout (``SQLITE_LOCK_TIMEOUT``) for the file, then fails as a busy store does
("database is locked"), as it did before; when the lock file cannot be opened at all, writers go
straight to SQLite's own waiting. PostgreSQL is not touched. (The module's name says "sqlite": the
application tells the store's dialect by its persistence factory's module.)
"""

from __future__ import annotations

import fcntl
import os
import threading
from collections import deque
from collections.abc import Iterator
from contextlib import contextmanager
from typing import Any

from eventsourcing.persistence import ConnectionUnavailableError, OperationalError
from eventsourcing.sqlite import SQLiteConnection, SQLiteDatastore, SQLiteFactory
from eventsourcing.utils import Environment, EnvType

LOCK_SUFFIX = "-lock"  # beside the database's own -wal and -shm
PRIVATE = 0o600


class FairTurn:
    """A lock whose waiters get it in the order they asked for it. ``threading.Lock`` wakes any one of its waiters,
    and a thread arriving just then may take it first, so under a burst one writer can wait through many others'
    turns: the tail of the latency. Here the holder hands the turn straight to the first waiter."""

    def __init__(self) -> None:
        self.mutex = threading.Lock()
        self.held = False
        self.waiters: deque[threading.Lock] = deque()

    def acquire(self, timeout: float) -> bool:
        """Take the turn, waiting at most ``timeout`` seconds; False if it did not come in that time."""
        with self.mutex:
            if not self.held:
                self.held = True
                return True
            waiter = threading.Lock()
            waiter.acquire()
            self.waiters.append(waiter)
        if waiter.acquire(timeout=timeout):
            return True  # handed over by ``release``
        with self.mutex:
            if waiter in self.waiters:
                self.waiters.remove(waiter)
                return False
        return True  # handed over just as the wait ran out: the turn is this thread's

    def release(self) -> None:
        with self.mutex:
            if self.waiters:
                self.waiters.popleft().release()  # the turn passes on without ever being free
            else:
                self.held = False


class WriterTurns:
    """``flock`` on one lock file, taken with a timeout: at once when free, else waited for in a helper thread."""

    def __init__(self, path: str, timeout: float) -> None:
        self.path, self.timeout = path, timeout
        self.fd: int | None = None
        self.pid = -1  # the process ``fd`` was opened in: a forked child opens its own

    def acquire(self) -> int | None:
        """The descriptor now holding the lock (give it to ``release``); None when there is no lock file to take."""
        fd = self._own_fd()
        if fd is None:
            return None
        try:
            fcntl.flock(fd, fcntl.LOCK_EX | fcntl.LOCK_NB)
            return fd
        except BlockingIOError:
            return self._wait()

    def release(self, fd: int) -> None:
        fcntl.flock(fd, fcntl.LOCK_UN)  # explicitly: a forked child may share the open file
        if fd != self.fd:
            os.close(fd)

    def close(self) -> None:
        """Close this process's lock file (with the datastore); a turn still held is let go with it."""
        if self.fd is not None and self.pid == os.getpid():
            os.close(self.fd)
        self.fd, self.pid = None, -1

    def _own_fd(self) -> int | None:
        if self.pid != os.getpid():
            self.fd, self.pid = self._open(), os.getpid()
        return self.fd

    def _open(self) -> int | None:
        try:
            return os.open(self.path, os.O_RDWR | os.O_CREAT | os.O_CLOEXEC, PRIVATE)
        except OSError:
            return None  # e.g. a lock file another user made: SQLite's own locking still holds

    def _wait(self) -> int:
        """Block in ``flock`` on an open file of its own, in a helper thread, for up to the timeout. A helper
        whose waiter gave up lets the lock go as soon as it gets it."""
        fd = self._open()
        if fd is None:
            raise OperationalError("database is locked: the writers' lock file could not be opened")
        got, mutex, state = threading.Event(), threading.Lock(), {"abandoned": False}

        def block() -> None:
            fcntl.flock(fd, fcntl.LOCK_EX)
            with mutex:
                if state["abandoned"]:
                    fcntl.flock(fd, fcntl.LOCK_UN)
                    os.close(fd)
                    return
                got.set()

        threading.Thread(target=block, name="sqlite-writer-turn", daemon=True).start()
        if got.wait(self.timeout):
            return fd
        with mutex:
            if got.is_set():  # the turn came just as the wait ran out
                return fd
            state["abandoned"] = True
        raise OperationalError(
            f"database is locked: another process kept the store's write lock for {self.timeout:g} s"
        )


class TurnTakingSQLiteDatastore(SQLiteDatastore):
    """The library's SQLite datastore, except that a connection for writing waits for its turn (``WriterTurns``)."""

    def __init__(self, db_name: str, **kwargs: Any) -> None:
        super().__init__(db_name, **kwargs)
        self.turn = FairTurn()  # this process's queue, first come first served: one writer goes on to the file
        in_memory = self.pool.is_sqlite_memory_mode or db_name.startswith("file:")
        timeout = float(self.pool.lock_timeout or 5)
        self.turns = None if in_memory else WriterTurns(db_name + LOCK_SUFFIX, timeout)

    def close(self) -> None:
        super().close()
        turns = getattr(self, "turns", None)  # None too when __init__ failed before making it
        if turns is not None:
            turns.close()

    @contextmanager
    def get_connection(self, *, commit: bool) -> Iterator[SQLiteConnection]:
        if not commit:  # readers queue behind nobody
            with super().get_connection(commit=False) as conn:
                yield conn
            return
        if not self.turn.acquire(timeout=self.pool.pool_timeout):  # as long as the pool waits for its writer
            raise ConnectionUnavailableError("Timed out waiting for return of writer")
        try:
            held = self.turns.acquire() if self.turns else None
            try:
                with super().get_connection(commit=True) as conn:  # the pool's writer is free: we hold the turn
                    yield conn
            finally:
                if held is not None and self.turns:
                    self.turns.release(held)
        finally:
            self.turn.release()


class TurnTakingSQLiteFactory(SQLiteFactory):
    """The library's SQLite persistence (``PERSISTENCE_MODULE``), over a ``TurnTakingSQLiteDatastore``."""

    def __init__(self, env: Environment | EnvType | None) -> None:
        super().__init__(env)
        made = self.datastore
        self.datastore = TurnTakingSQLiteDatastore(
            made.pool.db_name,
            lock_timeout=made.pool.lock_timeout,
            single_row_tracking=made.single_row_tracking,
            originator_id_type=made.originator_id_type,
        )
        made.close()  # it never connected
