"""A realistic, seeded demo store: sign-ups from every channel, consents, engagements and history.

The same seed gives the same people, attributes, consents and participation (effective times are
anchored to a fixed date). Participant ids still differ between stores, because each store keys
its ids with a secret of its own.
"""

from __future__ import annotations

import random
from collections.abc import Callable
from dataclasses import dataclass
from datetime import UTC, date, datetime, timedelta
from uuid import UUID

from faker import Faker

from panel.application import PanelApp
from panel.domain.engagement import engagement_id
from panel.domain.participant import Participant
from panel.engagements import Engagements
from panel.registration import Registration
from panel.validation import ConsentSpec, SignUp, default_consent_method

ANCHOR = datetime(2026, 1, 5, 9, 0, tzinfo=UTC)
SOURCE = "demo"

AGE_BANDS = [("18-21", 8), ("22-25", 8), ("26-34", 15), ("35-49", 24), ("50-64", 24), ("65+", 21)]
GENDERS = [("woman", 50), ("man", 46), ("non-binary", 2), ("prefer_not_to_say", 2)]
ETHNICITY = [("White British", 72), ("White other", 6), ("Asian", 10), ("Black", 5), ("Mixed", 4), ("Other", 3)]
DISABILITY = [("no", 79), ("yes", 19), ("prefer_not_to_say", 2)]
IMD_DECILE = [(str(d), w) for d, w in zip(range(1, 11), (16, 14, 12, 11, 10, 9, 8, 7, 7, 6), strict=False)]
CHANNEL_MIX = [("online", 60), ("phone", 14), ("paper", 10), ("in_person", 11), ("partner_referral", 5)]
STAFF = ["amy.khan", "ben.osei", "cara.lewis", "dev.patel"]


@dataclass(frozen=True)
class PastEngagement:
    ref: str
    name: str
    kind: str
    purpose: str
    day_rate_pence: int
    sessions: list[date]
    invite_share: float


PAST = [
    PastEngagement(
        "gp-access-2025",
        "GP access listening events",
        "consult",
        "How people book and reach GPs",
        5000,
        [date(2025, 6, 10), date(2025, 6, 17)],
        0.12,
    ),
    PastEngagement(
        "mental-health-coproduction",
        "Mental health service co-production",
        "co_produce",
        "Co-design a community mental health offer",
        15000,
        [date(2025, 9, 2), date(2025, 9, 9), date(2025, 9, 16)],
        0.06,
    ),
    PastEngagement(
        "diabetes-prevention-panel",
        "Diabetes prevention panel",
        "involve",
        "Advise on a diabetes prevention programme",
        12000,
        [date(2025, 11, 4), date(2025, 11, 11)],
        0.05,
    ),
]
VESTED = dict(
    ref="vested-youth-panel",
    name="Vested youth panel",
    kind="involve",
    purpose="Young people shape youth health services",
    day_rate_pence=35000,
    sessions=[date(2026, 3, 2) + timedelta(days=i) for i in range(7)],
    target_size=6,
    eligibility=["age_band in 18-21,22-25"],
)


def _pick(rng: random.Random, weighted: list[tuple[str, int]]) -> str:
    return rng.choices([v for v, _ in weighted], weights=[w for _, w in weighted])[0]


def make_signups(people: int, seed: int) -> list[SignUp]:
    """The demo's sign-ups: Faker en_GB contact details and a realistic attribute mix."""
    rng = random.Random(seed)  # noqa: S311 - reproducible demo data, not a secret
    fake = Faker("en_GB")
    fake.seed_instance(seed)
    signups = []
    for i in range(people):
        channel = _pick(rng, CHANNEL_MIX)
        staff = None if channel == "online" else rng.choice(STAFF)
        at = ANCHOR - timedelta(days=rng.randint(60, 720), minutes=rng.randint(0, 600))
        method = default_consent_method(channel)
        by = staff or "self"
        consents = [ConsentSpec("data_processing", "v2", method, by, at)]
        if rng.random() < 0.92:
            consents.append(ConsentSpec("contact", "v2", method, by, at))
        if rng.random() < 0.85:
            consents.append(ConsentSpec("panel_membership", "v2", method, by, at))
        attributes = {
            "age_band": _pick(rng, AGE_BANDS),
            "gender": _pick(rng, GENDERS),
            "ethnicity": _pick(rng, ETHNICITY),
            "disability": _pick(rng, DISABILITY),
            "imd_decile": _pick(rng, IMD_DECILE),
        }
        postcode = fake.postcode()
        attributes["postcode_district"] = postcode.split()[0]
        if attributes["age_band"] in ("18-21", "22-25") and rng.random() < 0.4:
            attributes["unemployed_months"] = str(rng.randint(0, 18))
        personal = {
            "name": fake.name(),
            "email": fake.email(),
            "phone": f"07700 900{i % 1000:03d}",  # Ofcom's numbers for drama: they reach nobody
            "address": fake.street_address().replace("\n", ", "),
            "postcode": postcode,
        }
        signups.append(
            SignUp(
                ref=f"DEMO-{i + 1:05d}",
                channel=channel,
                captured_by=staff,
                personal=personal,
                attributes=attributes,
                consents=tuple(consents),
                at=at,
                source=SOURCE,
            )
        )
    return signups


def history_maker(seed: int) -> Callable[[Participant, SignUp], None]:
    """Past invitations, responses and attendance, a few withdrawals of consent, a few leavers."""
    rng = random.Random(seed * 7919 + 1)  # noqa: S311 - reproducible demo data, not a secret

    def add_history(p: Participant, s: SignUp) -> None:
        for past in PAST:
            invite_at = datetime.combine(past.sessions[0], datetime.min.time(), UTC) - timedelta(days=21)
            if s.at is None or s.at >= invite_at or p.consent_at("contact", invite_at) is None:
                continue
            if rng.random() > past.invite_share * (3 if s.attributes.get("age_band") in ("50-64", "65+") else 1):
                continue
            eid = engagement_id(past.ref)
            p.invite(engagement_id=eid, at=invite_at)
            if rng.random() < 0.3:
                p.respond(engagement_id=eid, accept=False, at=invite_at + timedelta(days=3))
                continue
            p.respond(engagement_id=eid, accept=True, at=invite_at + timedelta(days=2))
            for day in past.sessions:
                moment = datetime.combine(day, datetime.min.time(), UTC) + timedelta(hours=17)
                roll = rng.random()
                if roll < 0.08:
                    p.record_no_show(engagement_id=eid, session_date=day, at=moment)
                else:
                    p.attend(engagement_id=eid, session_date=day, half_day=roll > 0.9, at=moment)
        if rng.random() < 0.04 and p.consent_at("contact", ANCHOR) is not None:
            p.withdraw_consent(purpose="contact", captured_by=None, at=ANCHOR - timedelta(days=rng.randint(1, 30)))
        if rng.random() < 0.02:
            p.leave_panel(reason="asked to leave the panel", at=ANCHOR - timedelta(days=rng.randint(1, 30)))

    return add_history


@dataclass(frozen=True)
class DemoSummary:
    people: int
    created: int
    unchanged: int
    events: int
    engagements: list[str]
    vested_id: UUID


def build_demo(app: PanelApp, people: int, seed: int, progress: Callable[[int], None] | None = None) -> DemoSummary:
    """Open the demo engagements and register the demo people with their history (idempotent)."""
    opened = []
    for past in PAST:
        if not app.exists(engagement_id(past.ref)):
            Engagements(app).open_engagement(
                ref=past.ref,
                name=past.name,
                purpose=past.purpose,
                kind=past.kind,
                sessions=past.sessions,
                day_rate_pence=past.day_rate_pence,
                at=datetime.combine(past.sessions[0], datetime.min.time(), UTC) - timedelta(days=60),
            )
        opened.append(past.ref)
    vested = engagement_id(str(VESTED["ref"]))
    if not app.exists(vested):  # noqa: SLF001
        Engagements(app).open_engagement(at=ANCHOR, new_attributes=["age_band"], **VESTED)  # type: ignore[arg-type]
    opened.append(str(VESTED["ref"]))
    created, unchanged, events = Registration(app).register_many(
        make_signups(people, seed), progress=progress, history=history_maker(seed)
    )
    return DemoSummary(people, created, unchanged, events, opened, vested)


DEMO_QUOTAS = [
    ("age_band", "18-21", 2, 4),
    ("age_band", "22-25", 2, 4),
    ("gender", "woman", 2, 4),
    ("gender", "man", 2, 4),
    ("core20", "yes", 2, 4),
]
DRAW_AT = ANCHOR + timedelta(days=14)


def demo_draw(app: PanelApp, seed: int) -> tuple[UUID, bool]:
    """The demo's main job: a fair draw for the Vested-style youth panel (once per store)."""
    import selection
    from panel.draws import Draws

    draws = Draws(app)
    vested = engagement_id(str(VESTED["ref"]))
    for existing in draws.recorded():
        if existing.engagement_id == vested:
            return existing.id, False
    quotas = [selection.Quota(f, v, lo, hi) for f, v, lo, hi in DEMO_QUOTAS]
    outcome = draws.draw(vested, 6, quotas, seed=seed, reserves=3, at=DRAW_AT, drawn_by="demo")
    return outcome.draw_id, True
