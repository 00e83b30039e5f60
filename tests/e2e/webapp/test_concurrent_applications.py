"""Applications sent at the same moment through several processes all register (issue 12, `panel serve
--workers N`), on SQLite and PostgreSQL: the first applications of a campaign note its attribute names in
the store's catalogue, and two of them doing so at once collide on the catalogue's next version. That
collision is a write conflict to retry (the second finds the names noted), not an error for the applicant
(it was a 500 under `bench/signup_load.py --workers 2`)."""

from __future__ import annotations

import threading

from panel.application import PanelApp
from panel.campaigns import Answers, Campaigns
from panel.config import StoreLocation
from panel.queries import Queries
from panel.store.opening import open_store

APPLICANTS = 8


def test_simultaneous_first_applications_all_register(campaign_app: PanelApp, location: StoreLocation) -> None:
    others = [open_store(location) for _ in range(APPLICANTS - 1)]  # a store connection per worker process
    try:
        apps = [campaign_app, *others]
        start = threading.Barrier(APPLICANTS)
        failures: list[BaseException] = []

        def apply(n: int) -> None:
            campaigns = Campaigns(apps[n])
            campaign = campaigns.get("youth-2026")
            answers = Answers(
                personal={"name": f"Applicant {n}", "email": f"a{n}@example.org"},
                attributes={"age_band": "18-21", "gender": "woman"},
                consents=("contact", "panel_membership"),
            )
            start.wait()
            try:
                campaigns.apply(campaign, answers)
            except BaseException as exc:  # noqa: BLE001 - the test reports every failure
                failures.append(exc)

        threads = [threading.Thread(target=apply, args=(n,)) for n in range(APPLICANTS)]
        for thread in threads:
            thread.start()
        for thread in threads:
            thread.join()
        assert failures == []
        assert len(Queries(campaign_app).participants()) == APPLICANTS
    finally:
        for app in others:
            app.close()
