"""The fatigue view: every invitation, response and attendance as an activity row, per participant.

Rows are only ever appended, so a batch is one bulk insert. Activity is pseudonymous (participant
id, engagement, time) and is kept after erasure so the panel-level figures stay right; the
erased person's reference is removed and they leave the per-person lists.
"""

from __future__ import annotations

from datetime import UTC, datetime, time
from typing import Any

from sqlalchemy import Boolean, Column, Index, Integer, MetaData, String, Table, Text
from sqlalchemy.engine import Connection

from panel.domain.participant import Participant
from projections.bulk.rows import Pending
from projections.people import TS, PeopleView, people_table
from projections.upsert import upsert
from projections.view_base import handles


class FatigueView(PeopleView):
    name = "fatigue"

    def define(self, metadata: MetaData, generation: int) -> dict[str, Table]:
        n = self.table_name
        activity = Table(
            n("fatigue_activity", generation),
            metadata,
            Column("position", Integer, primary_key=True, autoincrement=False),
            Column("participant_id", String(32), nullable=False),
            Column("engagement_id", String(32), nullable=False),
            Column("kind", String(10), nullable=False),
            Column("at", TS, nullable=False),
            Column("half_day", Boolean, nullable=False),
        )
        Index(f"ix_{activity.name}_pid", activity.c.participant_id)
        return {
            "people": people_table(metadata, n("fatigue_people", generation), Column("ref", Text)),
            "activity": activity,
        }

    def begin(self, conn: Connection, tables: dict[str, Any], events: Any) -> None:
        super().begin(conn, tables, events)
        self.activity_table = tables["activity"]
        self.activity: list[dict[str, Any]] = []

    def flush(self, conn: Connection | Pending) -> None:
        super().flush(conn)
        if self.activity:
            if isinstance(conn, Pending):  # a bulk load
                conn.add(self.activity_table, self.activity)
            else:
                upsert(conn, self.activity_table, self.activity)

    def person_row(self, position: int, e: Participant.Registered) -> dict[str, Any]:
        return {**super().person_row(position, e), "ref": e.external_ref}

    def forget(self, pid: str) -> None:
        row = self.people.get((pid,))
        if row is not None:
            row["ref"] = None

    def _add(self, position: int, e: Any, kind: str, at: Any, half_day: bool = False) -> None:
        self.activity.append(
            {
                "position": position,
                "participant_id": e.originator_id.hex,
                "engagement_id": e.engagement_id.hex,
                "kind": kind,
                "at": at,
                "half_day": half_day,
            }
        )

    @handles(Participant.Invited)
    def on_invited(self, position: int, e: Participant.Invited) -> None:
        self._add(position, e, "invited", e.at)

    @handles(Participant.InvitationAccepted)
    def on_accepted(self, position: int, e: Participant.InvitationAccepted) -> None:
        self._add(position, e, "accepted", e.at)

    @handles(Participant.InvitationDeclined)
    def on_declined(self, position: int, e: Participant.InvitationDeclined) -> None:
        self._add(position, e, "declined", e.at)

    @handles(Participant.WithdrewFromEngagement)
    def on_withdrew(self, position: int, e: Participant.WithdrewFromEngagement) -> None:
        self._add(position, e, "withdrew", e.at)

    @handles(Participant.Attended)
    def on_attended(self, position: int, e: Participant.Attended) -> None:
        self._add(position, e, "attended", datetime.combine(e.session_date, time(), UTC), e.half_day)
