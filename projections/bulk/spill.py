"""The log spilled into buckets of participants on local disk, so a rebuild holds one bucket's rows at a time.

A bulk rebuild keeps the rows it builds in memory until it writes them. Over a long log that grows
without bound, so the log is read ONCE, in notification order and undecoded, and each row is
appended to the file of its participant's bucket (``prefix_bucket``: by the first 16 bits of the
id). Every view row belongs to one participant, so each bucket can then be projected on its own,
from its file, exactly as a part is (``projections.bulk.rebuild.load_bucket``), with its events in
log order. The files hold the stored rows as they are in the log (the personal data in them is
sealed per participant, as stored); they live in a private temporary directory (``TMPDIR``) that
``Spill.close`` removes, and take about as much disk as the log's rows.
"""

from __future__ import annotations

import os
import pickle
import shutil
import tempfile
from collections.abc import Callable, Iterator, Sequence
from typing import Any, BinaryIO

from panel.application import PanelApp
from panel.store.partitions import PREFIX_BITS, HexUUID, RawRow, Row, prefix_bucket
from panel.store.protocols import partitioned
from projections.generation import Progress, Source, Target
from projections.reader import read_ahead
from projections.view_base import Batch

BUCKET_EVENTS = 200_000  # events held in memory at once, all processes' buckets together (~0.3 GB of rows)
BUFFER = 1 << 16  # per bucket file: with hundreds of buckets open, their write buffers stay small


def buckets_for(head: int, processes: int) -> int:
    """How many buckets for a log of ``head`` events: 1 (no spill) when it fits, else at least one per
    process, each of at most ``BUCKET_EVENTS / processes`` events (every process holds one at a time)."""
    if processes < 2 and head <= BUCKET_EVENTS:
        return 1
    per_bucket = max(1, BUCKET_EVENTS // processes)
    return min(max(processes, -(-head // per_bucket)), 1 << PREFIX_BITS)


PREFIX = "panel-rebuild-"


def sweep() -> list[str]:
    """Remove the spill directories of this user's rebuilds whose process is gone (killed before its
    ``finally``); returns them."""
    removed = []
    root = tempfile.gettempdir()
    for name in os.listdir(root):
        path = os.path.join(root, name)
        pid = name.removeprefix(PREFIX).split("-", 1)[0]
        if not name.startswith(PREFIX) or not pid.isdigit():
            continue
        try:
            if os.stat(path).st_uid != os.getuid():
                continue
            os.kill(int(pid), 0)  # still running: a rebuild in progress (or a rival's)
        except ProcessLookupError:
            shutil.rmtree(path, ignore_errors=True)
            removed.append(path)
        except OSError:  # gone meanwhile, or another user's process
            continue
    return removed


def topics_of(fresh: list[Target]) -> list[str]:
    """Every topic the views of ``fresh`` apply."""
    return sorted(set().union(*(t.view.topics() for t in fresh)))


def spill_log(projector: Source, topics: Sequence[str], progress: Progress | None, head: int, parts: int) -> Spill:
    """The log up to ``head`` read once and spilled into ``parts`` buckets; ``progress`` counts the spill
    as the first half of the load (the buckets' projection is the second)."""
    spill = Spill(parts, topics)
    try:
        spill.write(projector.app, projector.batch_size, head, progress and (lambda at: progress(at, 2 * head)))
    except BaseException:
        spill.close()
        raise
    return spill


class Spill:
    """The bucket files of one rebuild, in a temporary directory only this user can read."""

    def __init__(self, buckets: int, topics: Sequence[str], directory: str | None = None) -> None:
        self.buckets, self.topics = buckets, list(topics)
        if directory is None:
            sweep()
            directory = tempfile.mkdtemp(prefix=f"{PREFIX}{os.getpid()}-")  # mode 0700
        self.directory = directory

    def path(self, bucket: int) -> str:
        return os.path.join(self.directory, f"bucket-{bucket}")

    def close(self) -> None:
        shutil.rmtree(self.directory, ignore_errors=True)

    def write(self, app: PanelApp, batch_size: int, head: int, progress: Callable[[int], None] | None = None) -> None:
        """Read the log up to ``head`` once (raw, in windows of ids) and append each row to its bucket's file.

        Each dump is one page's rows of one bucket, in columns: ids, hex ids, versions, topic numbers, states.
        """
        number = {topic: i for i, topic in enumerate(self.topics)}
        files: list[BinaryIO] = []
        try:
            for bucket in range(self.buckets):
                files.append(open(self.path(bucket), "wb", buffering=BUFFER))  # noqa: SIM115 - closed below
            for position, rows in _raw_pages(app, batch_size, self.topics, head):
                columns: dict[int, tuple[list[Any], ...]] = {}
                for notification_id, hex_id, version, topic, state in rows:
                    bucket = prefix_bucket(hex_id, self.buckets)
                    if (into := columns.get(bucket)) is None:
                        into = columns[bucket] = ([], [], [], [], [])
                    into[0].append(notification_id)
                    into[1].append(hex_id)
                    into[2].append(version)
                    into[3].append(number[topic])
                    into[4].append(state)
                for bucket, into in columns.items():
                    pickle.dump(into, files[bucket], protocol=pickle.HIGHEST_PROTOCOL)
                if progress:
                    progress(position)
        finally:
            for file in files:
                file.close()

    def pages(self, app: PanelApp, bucket: int, batch_size: int) -> Iterator[Batch]:
        """The bucket's events, decoded, in log order, in pages of about ``batch_size``."""
        decode: Callable[[Any], Any] = app.mapper.to_domain_event  # a Row has the StoredEvent fields it reads
        topics = self.topics
        page = Batch()
        with open(self.path(bucket), "rb", buffering=BUFFER) as file:
            while True:
                try:
                    ids, hexes, versions, numbers, states = pickle.load(file)  # noqa: S301 - our own file, just written
                except EOFError:
                    break
                for row in zip(ids, hexes, versions, numbers, states, strict=True):
                    page.append((row[0], decode(Row(row[0], HexUUID.from_hex(row[1]), row[2], topics[row[3]], row[4]))))
                if len(page) >= batch_size:
                    yield page
                    page = Batch()
        if page:
            yield page


def _raw_pages(app: PanelApp, batch_size: int, topics: Sequence[str], head: int) -> Iterator[tuple[int, list[RawRow]]]:
    """The log's rows of ``topics`` up to ``head``, undecoded (plain tuples: no UUID is made for an id the
    spill only files by its hex), in windows of ``batch_size`` ids, read one window ahead in a thread (the
    database's work overlaps the routing)."""
    recorder = partitioned(app.recorder)

    def produce() -> Iterator[tuple[int, list[RawRow]]]:
        position = 0
        while position < head:
            upto = min(head, position + batch_size)
            yield upto, recorder.select_raw(position, upto, topics)
            position = upto

    return read_ahead(produce(), "projection-spill-reader")
