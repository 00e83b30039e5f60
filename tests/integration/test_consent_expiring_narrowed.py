"""`panel consent expiring` read through the consent view gives the full scan's answer, on SQLite and
PostgreSQL: over withdrawn, expired, renewed, erased and never-expiring consents, with the view empty,
stale (events it has not seen: a renewal, a withdrawal, a new grant) and caught up."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

from panel.application import PanelApp
from panel.consent_expiry import expiring_consents
from panel.domain.durations import parse_period
from panel.participation import Participation
from panel.registration import Registration
from panel.validation import ConsentSpec, SignUp
from projections.engine import Projector
from projections.expiry_narrowing import ViewExpiry

AS_OF = datetime(2026, 5, 1, tzinfo=UTC)
T0 = AS_OF - timedelta(days=60)


def day(n: int) -> datetime:
    return AS_OF + timedelta(days=n)


def signup(ref: str, membership: datetime | None = None, contact: datetime | None = None) -> SignUp:
    consents = (
        ConsentSpec("contact", "v3", "online", "self", T0, contact),
        ConsentSpec("panel_membership", "v3", "online", "self", T0, membership),
    )
    return SignUp(ref=ref, channel="online", at=T0, personal={"name": f"Name of {ref}"}, consents=consents)


ASKS = [(w, p, e) for w in ("29d", "30d", "1y") for p in (None, "panel_membership", "contact") for e in (False, True)]


def answers(app: PanelApp, narrowing: ViewExpiry | None) -> list[list[tuple[str, str, str, datetime]]]:
    """Every ask's listing (reference, purpose, state, expiry) through ``narrowing`` (None: every history)."""
    return [
        [
            (c.ref, c.purpose, c.state, c.expires_at)
            for c in expiring_consents(
                app, AS_OF, parse_period(w, "--within"), purpose=p, include_expired=e, narrowing=narrowing
            )
        ]
        for w, p, e in ASKS
    ]


def test_the_consent_view_narrows_to_the_same_answer(app: PanelApp, projector: Projector) -> None:
    people = [
        signup("A-SOON", day(10)), signup("B-LATER", day(40)), signup("C-NEVER"), signup("D-LAPSED", day(-5)),
        signup("E-RENEWED", day(-5)), signup("F-WITHDREW", day(10)), signup("G-ERASED", day(10)),
        signup("H-CONTACT", contact=day(20)), signup("I-EDGE", day(30)), signup("J-LATE-RENEW", day(12)),
        signup("K-LATE-WITHDRAW", day(5)), signup("L-LATE-GRANT"),
    ]  # fmt: skip
    ids = {s.ref: Registration(app).register(s) for s in people}
    act = Participation(app)
    act.grant_consent(ids["E-RENEWED"], ConsentSpec("panel_membership", "v3", "online", "self", day(-1), day(700)))
    act.withdraw_consent(ids["F-WITHDREW"], "panel_membership", "amy", at=day(-2))
    act.erase(ids["G-ERASED"], "erasure request", at=day(-1))
    stale = ViewExpiry(projector, catch_up=False)
    full = answers(app, None)
    assert full[ASKS.index(("30d", None, True))]  # the scenario lists someone
    assert answers(app, stale) == full  # the view has seen nothing: everyone is re-read
    projector.catch_up()
    assert answers(app, stale) == full
    # after the view's position: a renewal, a withdrawal and a new expiring grant it has not seen
    act.grant_consent(ids["J-LATE-RENEW"], ConsentSpec("panel_membership", "v3", "online", "self", day(-1), day(900)))
    act.withdraw_consent(ids["K-LATE-WITHDRAW"], "panel_membership", "amy", at=day(-1))
    act.grant_consent(ids["L-LATE-GRANT"], ConsentSpec("contact", "v3", "online", "self", day(-1), day(3)))
    later = answers(app, None)
    assert later != full  # the late events changed the answer
    assert answers(app, stale) == later
    assert answers(app, ViewExpiry(projector)) == later  # caught up first
    candidates, _ = ViewExpiry(projector, catch_up=False).expiring(AS_OF, day(30), purpose=None, include_expired=False)
    assert ids["C-NEVER"] not in candidates and ids["G-ERASED"] not in candidates  # the view did narrow
