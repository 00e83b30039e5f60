"""The scripted history (withdrawals, a backdated withdrawal, half days, leaving, erasure) and view helpers."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import UTC, date, datetime
from typing import Any
from uuid import UUID, uuid4

from sqlalchemy import select

from panel.application import PanelApp
from panel.engagements import Engagements
from panel.participation import Participation
from panel.registration import Registration
from panel.validation import ConsentSpec, SignUp
from projections import Projector


def T(month: int, day: int, hour: int = 9) -> datetime:  # noqa: N802 - reads like a date literal
    return datetime(2026, month, day, hour, tzinfo=UTC)


BOTH = (ConsentSpec("panel_membership", "v1", "online", "self"), ConsentSpec("contact", "v1", "online", "self"))
PEOPLE = {
    "A": {"age_band": "18-21", "imd_decile": "1", "ethnicity": "Black", "disability": "yes"},
    "B": {"age_band": "18-21", "imd_decile": "4", "ethnicity": "White British"},
    "C": {"age_band": "35-49", "imd_decile": "2", "ethnicity": "Asian"},
    "D": {"age_band": "35-49", "imd_decile": "9", "ethnicity": "White British", "disability": "no"},
    "E": {"age_band": "65+", "imd_decile": "5"},
}


@dataclass
class History:
    app: PanelApp
    ids: dict[str, UUID]
    x: UUID
    y: UUID
    draw: UUID


def script(app: PanelApp, step: Any = lambda: None) -> History:
    """The scripted history; ``step`` runs after every command (e.g. an incremental catch-up)."""
    Registration(app).register_many(
        [SignUp(ref=r, channel="online", attributes=a, consents=BOTH, at=T(1, 5)) for r, a in PEOPLE.items()]
    )
    step()
    Registration(app).register(
        SignUp(ref="F", channel="online", attributes={"age_band": "65+"}, consents=(BOTH[1],), at=T(3, 1))
    )
    ids = {r: app.participant_id_for(r) for r in "ABCDEF"}
    x = Engagements(app).open_engagement(
        name="X",
        purpose="x",
        kind="consult",
        sessions=[date(2026, 2, 10), date(2026, 2, 11)],
        day_rate_pence=35000,
        at=T(1, 1),
    )
    y = Engagements(app).open_engagement(
        name="Y", purpose="y", kind="consult", sessions=[date(2026, 4, 1)], day_rate_pence=35000, at=T(1, 1)
    )
    draw = uuid4()
    Participation(app).invite(x, [ids["A"], ids["B"]], at=T(1, 20))
    Participation(app).invite(x, [ids["C"]], at=T(1, 20), draw_id=draw)
    step()
    Participation(app).respond(x, ids["A"], accept=True, at=T(1, 21))
    Participation(app).respond(x, ids["B"], accept=True, at=T(1, 22))
    Participation(app).respond(x, ids["C"], accept=False, at=T(1, 22))
    Participation(app).attend(x, ids["A"], date(2026, 2, 10), at=T(2, 10, 17))
    Participation(app).attend(x, ids["A"], date(2026, 2, 11), half_day=True, at=T(2, 11, 13))
    step()
    Participation(app).attend(x, ids["B"], date(2026, 2, 10), half_day=True, at=T(2, 10, 13))
    Participation(app).withdraw_consent(ids["B"], "contact", at=T(3, 1))
    Participation(app).withdraw_consent(ids["D"], "contact", at=T(1, 10))  # recorded late, effective early
    step()
    Participation(app).invite(y, [ids["A"]], at=T(3, 15))
    Participation(app).respond(y, ids["A"], accept=True, at=T(3, 16))
    Participation(app).attend(y, ids["A"], date(2026, 4, 1), at=T(4, 1, 17))
    Registration(app).update_personal(
        ids["E"], personal={}, attributes={"disability": "yes"}, captured_by="amy", at=T(4, 2)
    )
    step()
    Participation(app).leave_panel(ids["C"], "moved away", at=T(4, 15))
    Participation(app).erase(ids["E"], "erasure request", at=T(5, 1))
    step()
    return History(app, ids, x, y, draw)


def dump(projector: Projector) -> dict[str, list[tuple[Any, ...]]]:
    """Every view table's rows (sorted, times normalised), keyed by view and table."""
    result = {}
    with projector.engine.connect() as conn:
        for name in projector.views:
            for short, table in projector.tables(name).items():
                rows = [tuple(_norm(v) for v in row) for row in conn.execute(select(table))]
                result[f"{name}.{short}"] = sorted(rows, key=repr)
    return result


def _norm(value: Any) -> Any:
    if isinstance(value, datetime):
        return (value if value.tzinfo else value.replace(tzinfo=UTC)).isoformat()
    return value
