"""The person's own /me pages record that their data was shown (issue 13), on both stores.

Each page that shows what we hold (/me, its details and answers pages) records one DataAccess first:
who is `self` (the holder of the person's link), channel `web`; `panel audit access` lists them. A
bad link, or the page of someone erased, records nothing.
"""

from __future__ import annotations

from panel.access import AccessLog
from panel.participation import Participation
from tests.e2e.webapp.test_apply_http import GOOD, post
from tests.e2e.webapp.test_self_service_http import applicant, links


def test_each_me_page_records_that_it_showed_the_persons_data(client_at, outbox, campaign_app, panel) -> None:  # type: ignore[no-untyped-def]
    client = client_at()
    post(client, GOOD)
    _, me = links(outbox)
    person = applicant(campaign_app)
    log = AccessLog(campaign_app)
    assert log.entries(person.id) == []
    for path, what in (
        ("", "self-service page"),
        ("/details", "self-service details"),
        ("/answers", "self-service answers"),
    ):
        assert client.get(f"/me/{me}{path}").status_code == 200, path
        last = log.entries(person.id)[-1]
        assert (last.actor, last.what, last.channel, last.people) == ("self", what, "web", 1)
    assert len(log.entries(person.id)) == 3
    assert client.get(f"/me/{me}x").status_code == 400  # a tampered link shows nothing and records nothing
    assert len(log.entries(person.id)) == 3
    listed = panel("audit", "access", "--participant", person.ref).out
    assert listed.count("self-service") == 3 and "self" in listed
    Participation(campaign_app).erase(person.id, reason="asked")
    client.get(f"/me/{me}")
    assert len(log.entries(person.id)) == 3  # an erased person's page shows nothing of them: no record
