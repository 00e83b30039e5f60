"""A pool member sees their salted commitment at /me for each announced draw (issue 14), on both stores.

The person's /me page lists every announced draw whose frozen pool holds them: the announcement's id
and hash, their salt and commitment, and how to check it. What it shows is checked the way a member
would: the real `panel draw check-announcement` with that salt and id finds the commitment in the
published document. Someone outside the pool sees no such section; an erased person sees nothing.
"""

from __future__ import annotations

import html
import json
import re
from datetime import timedelta
from pathlib import Path
from typing import Any
from uuid import UUID

from panel.access import AccessLog
from panel.application import PanelApp
from panel.draws import Draws
from panel.draws.announce import Announcements
from panel.links import make_token
from panel.participation import Participation
from panel.queries import Queries
from tests.helpers.draw_case import DRAW_AT, populate, quotas

NUMBERS = "04 11 23 35 41 49"
TITLE = "Check you were in a draw"


def client_for(app: PanelApp) -> Any:  # type: ignore[no-untyped-def]
    from starlette.testclient import TestClient

    from web.app import create_app
    from web.settings import WebSettings

    settings = WebSettings.from_store(app, {"PANEL_WEB_MIN_FILL_SECONDS": "0"})
    web = create_app(app, settings, clock=lambda: DRAW_AT + timedelta(days=1))
    return TestClient(web, base_url="https://testserver", follow_redirects=False), settings


def me_link(settings: Any, pid: UUID) -> str:  # type: ignore[no-untyped-def]
    return "/me/" + make_token(settings.signing_key, "me", pid, DRAW_AT + timedelta(days=20))


def shown(page: str, label: str) -> str:
    found = re.search(rf"<dt class=\"summary-list__key\">{re.escape(label)}</dt><dd[^>]*>(?:<code>)?([^<]*)", page)
    assert found, label
    return html.unescape(found.group(1))


def test_a_pool_member_checks_their_commitment_from_their_page(app: PanelApp, panel, tmp_path: Path) -> None:  # type: ignore[no-untyped-def]
    populate(app)
    service = Announcements(Draws(app))
    announced = service.announce(
        "vested-youth-panel", 6, quotas(), randomness="the UK Lotto on 2026-02-04", seed=11, reserves=2, at=DRAW_AT
    )
    people = {p.ref: p for p in Queries(app).participants()}
    member, outsider = people["V-000"].id, people["V-009"].id  # V-009 gave no panel_membership consent
    client, settings = client_for(app)

    page = client.get(me_link(settings, member))
    assert page.status_code == 200 and page.text.count(TITLE) == 1
    expected = service.commitment(announced.id, member)
    assert shown(page.text, "Your secret number") == expected.salt
    assert shown(page.text, "Your code") == expected.commitment
    assert shown(page.text, "Your person number") == member.hex
    assert shown(page.text, "Draw number") == str(announced.id)
    assert shown(page.text, "Fingerprint of the list") == announced.announcement_sha256
    assert shown(page.text, "Lottery numbers used") == "Not drawn yet"
    assert "SHA-256" in page.text and "commitments" in page.text  # says what is hashed and where to look
    last = AccessLog(app).entries(member)[-1]
    assert (last.actor, last.what, last.channel) == ("self", "self-service page", "web")

    path = tmp_path / "announcement.json"
    path.write_text(json.dumps(announced.document), encoding="utf-8")
    checked = panel("draw", "check-announcement", str(path), "--numbers", NUMBERS, "--salt",
                    shown(page.text, "Your secret number"), "--participant-id", shown(page.text, "Your person number"),
                    "--json").out  # fmt: skip
    assert json.loads(checked)["in_pool"] is True  # what the page shows is what the published pool holds
    wrong = panel("draw", "check-announcement", str(path), "--numbers", NUMBERS, "--salt", "0" * 64,
                  "--participant-id", member.hex, code=1).out  # fmt: skip
    assert "NOT in the pool" in wrong

    assert TITLE not in client.get(me_link(settings, outsider)).text  # not in the frozen pool: nothing shown

    service.reveal(announced.id, NUMBERS, at=DRAW_AT + timedelta(days=3))
    after = client.get(me_link(settings, member)).text
    assert shown(after, "Lottery numbers used") == "4 11 23 35 41 49"
    assert f'--numbers "4 11 23 35 41 49" --salt {expected.salt}' in after

    Participation(app).erase(member, reason="asked")
    erased = client.get(me_link(settings, member))
    assert erased.status_code == 200 and TITLE not in erased.text and expected.salt not in erased.text
    client.close()
