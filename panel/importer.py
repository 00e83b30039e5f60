"""CSV import of sign-ups in two reads of the file: every row checked first, then all written or none.

The first read checks every row (``panel.import_check``: each bad row reported with its line,
references repeated within the file too); without ``skip_invalid`` one bad row means nothing is
written. The second read writes the good rows in batches, all in one transaction
(``panel.store.import_writer``), so that a failure part-way leaves the store as it was; a
participant already stored is recognised and left as it is, so importing a file again adds
nothing. Neither read holds the file in memory: a few batches at a time. The format of a row is
``panel.import_rows``'.
"""

from __future__ import annotations

import functools
import itertools
from collections.abc import Callable, Iterable, Iterator
from pathlib import Path
from typing import TypeVar
from uuid import UUID

from panel.application import PanelApp
from panel.catalogue import AttributeNames
from panel.csv_out import write_csv
from panel.csv_rows import ImportFileError, Row, csv_rows, read_rows
from panel.domain.confirmation import CAMPAIGN_SOURCE
from panel.domain.errors import ValidationError
from panel.domain.partner import PARTNER_SOURCE
from panel.domain.values import CHANNELS
from panel.engagements import Engagements
from panel.import_check import FileCheck, Parse, check_file
from panel.import_rows import RESERVED, parse_checked_row, parse_row, row_ref
from panel.records import ImportReport
from panel.store import bulk_import
from panel.store.import_writer import import_transaction, write_in_process
from panel.validation import choice

__all__ = ["RESERVED", "ImportFileError", "Row", "import_csv", "parse_row", "read_rows", "write_rejects"]

T = TypeVar("T")
BATCH = 2500  # sign-ups per batch: the unit of memory and of the worker processes' work
ANALYZE_AFTER = 50_000  # events: an import this large refreshes PostgreSQL's statistics of the events at once


def import_csv(
    app: PanelApp,
    path: Path,
    *,
    channel: str = "online",
    source: str = "import",
    skip_invalid: bool = False,
    progress: Callable[[int], None] | None = None,
    batch: int = BATCH,
) -> ImportReport:
    """Validate every row, then import. Without ``skip_invalid`` one bad row means nothing is written."""
    channel = choice(channel, CHANNELS, "--channel")
    if source.startswith((CAMPAIGN_SOURCE, PARTNER_SOURCE)):
        raise ValidationError(
            f"--source {source!r} is kept for applications through a campaign or the partner API: choose another, "
            "e.g. --source referrals-2026"
        )
    numeric = dict(Engagements(app).numeric_attributes())
    check = check_file(
        path, functools.partial(parse_row, default_channel=channel, source=source, numeric=numeric),
        lambda s: app.participant_id_for(s.ref, s.source),
    )  # fmt: skip
    parse = functools.partial(parse_checked_row, path=path, default_channel=channel, source=source, numeric=numeric)
    if check.rejected and not skip_invalid:
        return ImportReport(rows=check.rows, created=0, unchanged=0, rejected=check.rejected, events=0)
    created, unchanged, events = _write(app, path, parse, check, source, batch, progress) if check.good else (0, 0, 0)
    analyze = getattr(app.recorder, "analyze", None)  # PostgreSQL's recorder; SQLite plans without statistics
    if events >= ANALYZE_AFTER and analyze is not None:
        analyze()  # the next reads plan from them, not from guesses (docs/scale.md, "Statistics first")
    return ImportReport(rows=check.rows, created=created, unchanged=unchanged, rejected=check.rejected, events=events)


def _write(
    app: PanelApp,
    path: Path,
    parse: Parse,
    check: FileCheck,
    source: str,
    batch: int,
    progress: Callable[[int], None] | None,
) -> tuple[int, int, int]:
    """The second read: the good rows written in batches, in one transaction; (created, unchanged, events).

    ``parse`` (a partial of ``parse_checked_row``) parses a row again, or raises ImportFileError if
    the file changed. On a large file the rows go to the worker processes as they are read and are
    parsed there; this process reads, checks ids, stores keys and writes.
    """
    app.keys.note_sources([source])  # its own transaction, before the import's (the name of a source is no event)
    catalogue = AttributeNames(app).noting([dict.fromkeys(check.names, "x")])
    noted = [app.mapper.to_stored_event(e) for c in catalogue for e in c.collect_events()]
    rows = _good_rows(path, {line for line, _ in check.rejected})
    bulk = bulk_import.worth_it(check.good, batch)
    filed_as = source.strip()  # as validation leaves it

    def row_id(row: Row) -> UUID:
        return app.participant_id_for(row_ref(row), filed_as)

    with import_transaction(app, row_id if bulk else None) as writer:
        if noted:
            writer.write_events(noted)
        if bulk:
            return bulk_import.write_batches(
                writer, _batches(rows, batch), progress, threaded=False, remember=False, parse=parse
            )
        return write_in_process(writer, _batches(map(parse, rows), batch), progress)


def _good_rows(path: Path, skip: set[int]) -> Iterator[Row]:
    """The file's rows but those on ``skip`` lines (read again: they were checked, not kept)."""
    with csv_rows(path) as (_, rows):
        yield from (row for row in rows if row.line not in skip)


def _batches(items: Iterable[T], batch: int) -> Iterator[list[T]]:
    """``items`` in lists of ``batch`` (the last one shorter)."""
    it = iter(items)
    while chunk := list(itertools.islice(it, batch)):
        yield chunk


def write_rejects(path: Path, source: Path, rejected: list[tuple[int, str]]) -> Path:
    """Write the rejected rows (original cells plus line and reason) next to the source file."""
    reasons = dict(rejected)
    with csv_rows(source) as (header, rows), path.open("w", newline="", encoding="utf-8") as handle:
        write_csv(
            handle,
            ["line", "reason", *header],
            (
                [row.line, reasons[row.line], *(row.values.get(h, "") for h in header)]
                for row in rows
                if row.line in reasons
            ),
        )
    return path
