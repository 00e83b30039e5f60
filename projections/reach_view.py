"""The reach view: who registered (with their attributes), who was invited, selected and attended.

Attributes are unsealed with each participant's data key (fetched for the whole batch in one
query) and kept as one JSON column of the person's row. When a participant is erased, or their
key is already gone, the attributes are removed (NULL); their registration and participation
rows stay, without attributes, so counts stay right.
"""

from __future__ import annotations

import json
from collections.abc import Sequence
from typing import Any
from uuid import UUID

from sqlalchemy import Column, Date, Integer, MetaData, String, Table, Text
from sqlalchemy.engine import Connection

from panel.domain.participant import Participant
from panel.store.sealing import unseal
from projections.bulk.rows import Pending
from projections.people import TS, PeopleView, people_table, touched
from projections.view_base import Rows, handles

PARTICIPATION_EVENTS = (
    Participant.Invited,
    Participant.InvitationAccepted,
    Participant.InvitationDeclined,
    Participant.Attended,
    Participant.NoShow,
    Participant.WithdrewFromEngagement,
)


_TEXTS: dict[tuple[tuple[str, str], ...], str] = {}  # attributes are few values, shared by many people


def _text(attributes: dict[str, str]) -> str:
    """The attributes as the view stores them (JSON, keys sorted), made once per distinct set."""
    key = tuple(attributes.items())
    text = _TEXTS.get(key)
    if text is None:
        if len(_TEXTS) > 100_000:
            _TEXTS.clear()
        text = _TEXTS[key] = json.dumps(attributes, sort_keys=True)
    return text


class ReachView(PeopleView):
    name = "reach"

    def define(self, metadata: MetaData, generation: int) -> dict[str, Table]:
        n = self.table_name
        return {
            "people": people_table(metadata, n("reach_people", generation), Column("attributes", Text)),
            "participation": Table(
                n("reach_participation", generation),
                metadata,
                Column("participant_id", String(32), primary_key=True),
                Column("engagement_id", String(32), primary_key=True),
                Column("status", String(12), nullable=False),
                Column("invited_at", TS, nullable=False),
                Column("draw_id", String(32)),
                Column("override_reason", Text),
                Column("responded_at", TS),
                Column("sessions", Integer, nullable=False),
                Column("half_days", Integer, nullable=False),
                Column("first_session", Date),
                Column("no_shows", Integer, nullable=False),
                sqlite_with_rowid=False,
            ),
        }

    people_events = (Participant.LeftPanel, Participant.Erased, Participant.AttributesUpdated)

    def begin(self, conn: Connection, tables: dict[str, Table], events: Sequence[tuple[int, Any]]) -> None:
        super().begin(conn, tables, events)
        self.participation = Rows(tables["participation"], ["participant_id", "engagement_id"], bulk=self.bulk)
        earlier = touched(events, PARTICIPATION_EVENTS) - self.fresh
        if earlier:
            self.participation.load(conn, "participant_id", earlier)
        self.prepare(events)

    def start_bulk(self, tables: dict[str, Table], span: tuple[int, int, int] | None = None) -> None:
        super().start_bulk(tables, span)
        self.keys: dict[UUID, bytes] = self.app.keys.all_keys(*(span or (0, 256, 8)))  # one scan

    def prepare(self, events: Sequence[tuple[int, Any]]) -> None:
        if self.bulk:
            return  # start_bulk read every key of the part
        sealed = {
            e.originator_id for _, e in events if type(e) in (Participant.Registered, Participant.AttributesUpdated)
        }
        self.keys = self.app.keys.get_keys(sealed) if sealed else {}

    def flush(self, conn: Connection | Pending) -> None:
        super().flush(conn)
        self.participation.flush(conn)

    def forget(self, pid: str) -> None:
        row = self.people.get((pid,))
        if row is not None:
            row["attributes"] = None

    def _unseal(self, pid: UUID, sealed: str) -> dict[str, str] | None:
        key = self.keys.get(pid)
        if key is None:
            return None  # erased: the data can no longer be read, and must not be kept
        return {k: str(v) for k, v in unseal(key, pid, sealed).get("attributes", {}).items()}

    def person_row(self, position: int, e: Participant.Registered) -> dict[str, Any]:
        attributes = self._unseal(e.originator_id, e.sealed)
        return {**super().person_row(position, e), "attributes": None if attributes is None else _text(attributes)}

    @handles(Participant.AttributesUpdated)
    def on_attributes(self, position: int, e: Participant.AttributesUpdated) -> None:
        key = (e.originator_id.hex,)
        row, update = self.people.get(key), self._unseal(e.originator_id, e.sealed)
        if row is None or update is None or row["attributes"] is None:
            return
        row["attributes"] = json.dumps({**json.loads(row["attributes"]), **update}, sort_keys=True)
        self.people.changed(key)

    @handles(Participant.Invited)
    def on_invited(self, position: int, e: Participant.Invited) -> None:
        self.participation.put(
            {
                "participant_id": e.originator_id.hex,
                "engagement_id": e.engagement_id.hex,
                "status": "invited",
                "invited_at": e.at,
                "draw_id": e.draw_id.hex if e.draw_id else None,
                "override_reason": e.override_reason,
                "responded_at": None,
                "sessions": 0,
                "half_days": 0,
                "first_session": None,
                "no_shows": 0,
            }
        )

    def _row(self, e: Any) -> dict[str, Any] | None:
        key = (e.originator_id.hex, e.engagement_id.hex)
        row = self.participation.get(key)
        if row is not None:
            self.participation.changed(key)
        return row

    @handles(Participant.InvitationAccepted)
    def on_accepted(self, position: int, e: Participant.InvitationAccepted) -> None:
        if (row := self._row(e)) is not None:
            row.update(status="accepted", responded_at=e.at)

    @handles(Participant.InvitationDeclined)
    def on_declined(self, position: int, e: Participant.InvitationDeclined) -> None:
        if (row := self._row(e)) is not None:
            row.update(status="declined", responded_at=e.at)

    @handles(Participant.WithdrewFromEngagement)
    def on_withdrew(self, position: int, e: Participant.WithdrewFromEngagement) -> None:
        if (row := self._row(e)) is not None:
            row.update(status="withdrew", responded_at=e.at)

    @handles(Participant.Attended)
    def on_attended(self, position: int, e: Participant.Attended) -> None:
        if (row := self._row(e)) is not None:
            row["sessions"] += 1
            row["half_days"] += 1 if e.half_day else 2
            first = row["first_session"]
            row["first_session"] = e.session_date if first is None or e.session_date < first else first

    @handles(Participant.NoShow)
    def on_no_show(self, position: int, e: Participant.NoShow) -> None:
        if (row := self._row(e)) is not None:
            row["no_shows"] += 1
