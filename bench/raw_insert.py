"""The baseline of the import benchmarks: the rows an import stored, written into a plain table with the same
primary key as fast as the driver allows (``executemany`` on SQLite, multi-row ``INSERT ... VALUES`` of
1,000 rows on PostgreSQL), in one transaction; read from the store a page at a time, only the inserts timed.

Used by bench/import_bench.py and bench/scale_parts.py. The PostgreSQL table has a name of its own per call
and is dropped at the end, whether the insert finished or failed.
"""

from __future__ import annotations

import os
import time
import uuid
from collections.abc import Iterator
from pathlib import Path

import psycopg

from panel.application import PanelApp

PG_URL = os.environ.get("PANEL_TEST_DATABASE_URL", "postgresql://postgres@127.0.0.1:5432/test")


def stored_pages(app: PanelApp, page: int = 20_000) -> Iterator[list[tuple[int, str, bytes]]]:
    """The stored rows (version, topic, state), a page at a time."""
    start = None
    while rows := app.recorder.select_notifications(start=start, limit=page):
        yield [(n.originator_version, n.topic, n.state) for n in rows]
        start = rows[-1].id + 1


def raw_rate(backend: str, app: PanelApp, workdir: Path) -> float:
    """The stored rows into a plain table with the same key, in one transaction, as fast as the driver allows."""
    count, elapsed = 0, 0.0
    if backend == "sqlite":
        import sqlite3

        path = workdir / "raw.db"
        for p in workdir.glob("raw.db*"):
            p.unlink()
        conn = sqlite3.connect(path, isolation_level=None)
        conn.execute("PRAGMA journal_mode=WAL")
        conn.execute(
            "CREATE TABLE raw (originator_id TEXT, originator_version INTEGER, topic TEXT, state BLOB, "
            "PRIMARY KEY (originator_id, originator_version))"
        )
        conn.execute("BEGIN")
        for page in stored_pages(app):
            fresh = [(uuid.uuid4().hex, v, t, s) for v, t, s in page]
            start = time.perf_counter()
            conn.executemany("INSERT INTO raw VALUES (?,?,?,?)", fresh)
            elapsed += time.perf_counter() - start
            count += len(fresh)
        start = time.perf_counter()
        conn.execute("COMMIT")
        elapsed += time.perf_counter() - start
        conn.close()
        return count / elapsed
    return raw_postgres(app)


def raw_postgres(app: PanelApp) -> float:
    """PostgreSQL's side of ``raw_rate``."""
    count, elapsed, table = 0, 0.0, f"bench_raw_{os.getpid()}_{uuid.uuid4().hex[:8]}"  # never another run's
    with psycopg.connect(PG_URL) as conn:
        try:
            conn.execute(
                f"CREATE TABLE {table} (originator_id uuid, originator_version bigint, topic text, state bytea, "
                "notification_id bigserial, PRIMARY KEY (originator_id, originator_version))"
            )
            conn.execute(f"CREATE UNIQUE INDEX ON {table} (notification_id)")
            conn.commit()
            with conn.cursor() as cur:
                for page in stored_pages(app):
                    ids = [(uuid.uuid4(), v, t, s) for v, t, s in page]
                    start = time.perf_counter()
                    for i in range(0, len(ids), 1000):
                        chunk = ids[i : i + 1000]
                        values = ",".join(["(%s,%s,%s,%s)"] * len(chunk))
                        cur.execute(
                            f"INSERT INTO {table} (originator_id, originator_version, topic, state) VALUES {values}",
                            [x for row in chunk for x in row],
                        )
                    elapsed += time.perf_counter() - start
                    count += len(ids)
            start = time.perf_counter()
            conn.commit()
            elapsed += time.perf_counter() - start
        finally:
            conn.rollback()  # whatever a failure left open, so that the table can be dropped
            conn.execute(f"DROP TABLE IF EXISTS {table}")
            conn.commit()
    return count / elapsed
