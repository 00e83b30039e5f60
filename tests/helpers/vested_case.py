"""The Vested case, set up through the application: 6 people, 7 days at £350, VES-001 half a day on 5 March."""

from __future__ import annotations

from datetime import UTC, date, datetime
from uuid import UUID

from panel.application import PanelApp
from panel.engagements import Engagements
from panel.participation import Participation
from panel.registration import Registration
from panel.validation import ConsentSpec, SignUp

T0 = datetime(2026, 2, 1, tzinfo=UTC)
DAYS = [date(2026, 3, d) for d in (2, 3, 4, 5, 6, 9, 10)]
REFS = [f"VES-00{i}" for i in range(1, 7)]


def at(text: str) -> datetime:
    return datetime.fromisoformat(text).replace(tzinfo=UTC)


def open_vested(app: PanelApp, people: int = 6, days: list[date] = DAYS) -> tuple[UUID, dict[str, UUID]]:
    eid = Engagements(app).open_engagement(
        name="Vested",
        ref="vested",
        purpose="Youth employment services",
        kind="involve",
        sessions=days,
        day_rate_pence=35000,
        at=T0,
    )
    pids = {}
    for ref in REFS[:people]:
        pids[ref] = Registration(app).register(
            SignUp(ref=ref, channel="online", at=T0, consents=(ConsentSpec("contact", "v3", "online", "self"),))
        )
    Participation(app).invite(eid, list(pids.values()), at=at("2026-02-10"))
    for ref, pid in pids.items():
        Participation(app).respond(eid, pid, accept=True, at=at("2026-02-11"))
        for day in days:
            Participation(app).attend(
                eid,
                pid,
                day,
                half_day=(ref == "VES-001" and day == date(2026, 3, 5)),
                at=datetime.combine(day, datetime.min.time(), UTC),
            )
    return eid, pids
