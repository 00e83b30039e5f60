"""The staff pages other than the participant page show no stored personal data, so they record no
access (docs/audit.md), on SQLite and PostgreSQL: after a recruiter enters an application, the home
and entry pages name the person by reference only. The participant page, which shows stored data,
records access first (actor: the staff member, channel web): test_staff_roles.py."""

from __future__ import annotations

import re
from datetime import timedelta

from eventsourcing.utils import get_topic

from panel.application import PanelApp
from panel.domain.access import DataAccess
from panel.queries import Queries
from panel.staff import Staff
from tests.e2e.webapp.conftest import DURING
from tests.e2e.webapp.test_staff import PASSWORD, PHONE_ENTRY, enter, sign_in

# not the forms' own examples (07700 900123, LS6 1AA), so what is found here was stored
ENTRY = {**PHONE_ENTRY, "name": "Jordan Quill", "email": "jordan.quill@example.org", "phone": "07700 900777",
         "postcode": "ls7 3bb"}  # fmt: skip
GIVEN = ("Jordan Quill", "jordan.quill@example.org", "07700 900777", "+447700900777", "LS7 3BB", "ls7 3bb")


def test_the_staff_pages_name_people_by_reference_only(client_at, campaign_app: PanelApp, outbox) -> None:  # type: ignore[no-untyped-def]
    Staff(campaign_app).add("amy.khan", "recruiter", PASSWORD, by="sam.lee", at=DURING - timedelta(days=1))
    client = client_at()
    assert sign_in(client).status_code == 303
    saved = enter(client, ENTRY)
    assert saved.status_code == 303, saved.text
    ref = re.fullmatch(r"/staff\?entered=(APP-[A-Z]+)", saved.headers["location"])
    assert ref, saved.headers["location"]
    pages = [client.get(path).text for path in (saved.headers["location"], "/staff", "/staff/apply/youth-2026")]
    assert ref.group(1) in pages[0]
    (person,) = Queries(campaign_app).participants()  # what the pages could show is stored
    assert Queries(campaign_app).participant(person.id).personal.phone == "+447700900777"
    for text in pages:
        assert not [given for given in GIVEN if given in text]
    assert list(campaign_app.originators(get_topic(DataAccess.Recorded))) == []
