"""Access records: who was shown whose personal data, when and why (`panel audit access`).

Commands that show personal data in clear record a DataAccess event *before* they show it, so there
is no showing without its record; the record itself holds no personal data.
"""

from __future__ import annotations

from collections.abc import Iterator
from dataclasses import dataclass
from datetime import datetime
from uuid import UUID

from eventsourcing.utils import get_topic

from panel.application import PanelApp
from panel.clock import now
from panel.domain import text
from panel.domain.access import DataAccess
from panel.paging import Page

RECORDED = get_topic(DataAccess.Recorded)


@dataclass(frozen=True)
class AccessEntry:
    at: datetime
    actor: str
    what: str
    purpose: str | None
    channel: str
    people: int  # how many participants were shown together


class AccessLog:
    def __init__(self, app: PanelApp) -> None:
        self.app = app

    def record(
        self,
        actor: str,
        what: str,
        participant_ids: list[UUID],
        *,
        purpose: str | None = None,
        channel: str = "cli",
        at: datetime | None = None,
    ) -> None:
        """Record that ``actor`` was shown these participants' personal data (nothing when the list is empty)."""
        if not participant_ids:
            return
        self.app.keys.data.require_open()  # no record of a showing that cannot happen (keys not open here)
        checked = text.check_optional(purpose, "purpose", text.LABEL) if purpose else None
        self.app.save(DataAccess.record(actor, what, participant_ids, checked, channel, at or now()))

    def entries(self, participant_id: UUID | None = None, actor: str | None = None) -> list[AccessEntry]:
        """The showings of one participant's data (or all), by one actor (or any), oldest first."""
        return list(self.matching(participant_id, actor))

    def matching(self, participant_id: UUID | None = None, actor: str | None = None) -> Iterator[AccessEntry]:
        """``entries``, streamed: one record loaded at a time, so a page (``Page.window``) stops reading early."""
        for aid in self.app.originators(RECORDED):
            access = self.app.load(aid, DataAccess)
            if participant_id is not None and participant_id not in access.participant_ids:
                continue
            if actor is not None and access.actor != actor:
                continue
            yield _entry(access)

    def newest(self, page: Page) -> tuple[list[AccessEntry], int]:
        """One page of every record, newest first, and how many records there are (the staff audit page).

        The database counts the records (``originators_count``: one COUNT over the topic's index), then the
        page is read from its far end (``originators_page``: ``offset`` counted from the oldest) and only its
        records are loaded: memory holds the page, never the log."""
        total = self.app.originators_count(RECORDED)
        end = max(total - page.offset, 0)
        start = max(end - page.limit, 0)
        ids = self.app.originators_page(RECORDED, start, end - start) if end > start else []
        return [_entry(self.app.load(aid, DataAccess)) for aid in reversed(ids)], total


def _entry(access: DataAccess) -> AccessEntry:
    return AccessEntry(access.at, access.actor, access.what, access.purpose, access.channel,
                       len(access.participant_ids))  # fmt: skip
