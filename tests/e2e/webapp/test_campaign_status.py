"""`panel campaign status` on SQLite and PostgreSQL: applications by channel, confirmations, the eligible
pool so far by quota feature, and quotas that cannot be met yet."""

from __future__ import annotations

import json
import re
from datetime import timedelta

from panel.application import PanelApp
from panel.campaigns import Answers, AssistedEntry, Campaigns
from panel.config import StoreLocation
from tests.e2e.webapp.conftest import DURING
from tests.e2e.webapp.test_apply_http import GOOD, csrf_of, post
from tests.helpers.proc import run_panel, store_env


def test_the_status_shows_how_the_pool_fills(
    client_at, outbox, campaign_app: PanelApp, location: StoreLocation, tmp_path
) -> None:  # type: ignore[no-untyped-def]
    client = client_at()
    assert post(client, GOOD).status_code == 303  # 18-21, confirms below
    assert post(client, {**GOOD, "email": "kim@example.org", "attr.age_band": "22-25"}).status_code == 303  # waits
    assert post(client, {**GOOD, "email": "", "phone": "07700 900456", "attr.age_band": "22-25"}).status_code == 303
    campaign = Campaigns(campaign_app).get("youth-2026")
    answers = Answers(personal={"name": "Bo Chen", "phone": "07700 900789"}, attributes={"age_band": "18-21"},
                      consents=("contact", "panel_membership"))  # fmt: skip
    Campaigns(campaign_app).apply(campaign, answers, at=DURING, entry=AssistedEntry("paper", "amy.khan", "written"))
    confirm = re.search(r"https://testserver/confirm/(\S+)", outbox.sent[0].body).group(1)  # type: ignore[union-attr]
    page = client.get(f"/confirm/{confirm}")
    assert client.post(f"/confirm/{confirm}", data={"csrf_token": csrf_of(page.text)}).status_code == 200
    quotas = tmp_path / "quotas.csv"
    quotas.write_text("feature,value,min,max\nage_band,18-21,1,3\nage_band,22-25,3,4\n", encoding="utf-8")
    at = (DURING + timedelta(hours=1)).isoformat()
    ran = run_panel("campaign", "status", "youth-2026", "--quotas", str(quotas), "--at", at, "--json",
                    env=store_env(location))  # fmt: skip
    assert ran.code == 0, ran.err
    found = json.loads(ran.out)
    assert (found["state"], found["applications"], found["by_channel"]) == ("open", 4, {"online": 3, "paper": 1})
    assert (found["confirmed"], found["awaiting_confirmation"], found["eligible"]) == (1, 1, 3)
    assert found["left_out"] == {"email address not confirmed (online application)": 1}
    assert found["by_feature"] == {"age_band": {"18-21": 2, "22-25": 1}}
    assert [(q["value"], q["eligible"], q["short"]) for q in found["quotas"]] == [
        ("18-21", 2, False),
        ("22-25", 1, True),
    ]
    text = run_panel("campaign", "status", "youth-2026", "--quotas", str(quotas), "--at", at, env=store_env(location))
    assert "Applications: 4 (online 3, paper 1)" in text.out and "SHORT" in text.out
    missing = run_panel("campaign", "status", "no-such", env=store_env(location))
    assert missing.code == 1 and missing.err.strip() == "Error: no campaign has the slug 'no-such': check the slug"
