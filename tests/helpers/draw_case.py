"""The draw tests' store: 40 people with varied attributes and consents, and the Vested quotas."""

from __future__ import annotations

from datetime import UTC, date, datetime
from uuid import UUID

import selection
from panel.application import PanelApp
from panel.engagements import Engagements
from panel.registration import Registration
from panel.validation import ConsentSpec, SignUp
from tests.helpers.paths import ROOT

T0 = datetime(2026, 1, 10, 9, tzinfo=UTC)
DRAW_AT = datetime(2026, 2, 1, 9, tzinfo=UTC)


def populate(app: PanelApp, n: int = 40) -> UUID:
    """n young applicants (Vested-like) with mixed attributes; a few cannot be drawn."""
    signups = []
    for i in range(n):
        consents = [
            ConsentSpec("contact", "v3", "online", "self", T0),
            ConsentSpec("panel_membership", "v3", "online", "self", T0),
        ]
        if i % 10 == 9:
            consents = consents[:1]  # no panel_membership consent: not in the pool
        signups.append(
            SignUp(
                ref=f"V-{i:03d}",
                channel="online",
                consents=tuple(consents),
                at=T0,
                personal={"name": f"Applicant {i}", "postcode": f"LS{i % 7} 1AA"},
                attributes={
                    "age_band": "18-21" if i % 2 else "22-25",
                    "gender": "woman" if i % 3 else "man",
                    "imd_decile": str(1 + i % 10),
                },
            )
        )
    signups.append(
        SignUp(
            ref="V-OLD",
            channel="online",
            at=T0,
            consents=signups[0].consents,
            attributes={"age_band": "35-49", "gender": "man"},
        )
    )
    Registration(app).register_many(signups)
    return Engagements(app).open_engagement(
        name="Vested youth panel",
        purpose="youth health",
        kind="involve",
        sessions=[date(2026, 3, 2)],
        day_rate_pence=35000,
        target_size=6,
        eligibility=["age_band in 18-21,22-25"],
        at=T0,
    )


def quotas() -> list[selection.Quota]:
    return selection.load_quotas_csv(ROOT / "examples" / "vested-quotas.csv")
