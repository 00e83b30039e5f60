"""Abuse limits on /apply without CAPTCHAs, on SQLite and PostgreSQL: the minimum fill time, the limit per
client address and the limit per email address. Each refusal is a 4xx page and writes nothing."""

from __future__ import annotations

import re
from datetime import datetime, timedelta

from panel.config import StoreLocation
from tests.e2e.webapp.conftest import DURING
from tests.e2e.webapp.test_apply_http import GOOD, csrf_of
from tests.helpers.store import table_rows


class Clock:
    """A clock the test moves on."""

    def __init__(self, moment: datetime) -> None:
        self.moment = moment

    def __call__(self) -> datetime:
        return self.moment


def started_of(page: str) -> str:
    found = re.search(r'name="started" value="([0-9]+\.[0-9a-f]{32})"', page)
    assert found, "the form carries no signed start time"
    return found.group(1)


def test_a_form_sent_back_sooner_than_a_person_could_is_refused(client_at, location: StoreLocation) -> None:  # type: ignore[no-untyped-def]
    clock = Clock(DURING)
    client = client_at(env={}, clock=clock)  # the default minimum: 3 seconds
    page = client.get("/apply/youth-2026")
    form = {**GOOD, "csrf_token": csrf_of(page.text), "started": started_of(page.text)}
    before = table_rows(location)
    clock.moment = DURING + timedelta(seconds=1)
    quick = client.post("/apply/youth-2026", data=form)
    assert quick.status_code == 400 and "<title>Please check your answers" in quick.text
    stamp, signature = form["started"].split(".")
    set_back = client.post("/apply/youth-2026", data={**form, "started": f"{int(stamp) - 60}.{signature}"})
    missing = client.post("/apply/youth-2026", data={k: v for k, v in form.items() if k != "started"})
    assert [set_back.status_code, missing.status_code] == [400, 400]
    assert "Your form could not be read" in set_back.text
    assert table_rows(location) == before
    clock.moment = DURING + timedelta(seconds=4)
    assert client.post("/apply/youth-2026", data=form).status_code == 303


def test_a_form_with_errors_keeps_its_start_time(client_at) -> None:  # type: ignore[no-untyped-def]
    clock = Clock(DURING)
    client = client_at(env={}, clock=clock)
    page = client.get("/apply/youth-2026")
    started = started_of(page.text)
    clock.moment = DURING + timedelta(seconds=30)
    again = client.post(
        "/apply/youth-2026", data={**GOOD, "name": "", "csrf_token": csrf_of(page.text), "started": started}
    )
    assert again.status_code == 400 and started_of(again.text) == started  # the correction is not held back


def test_one_client_address_may_send_a_limited_number_per_hour(client_at, location: StoreLocation) -> None:  # type: ignore[no-untyped-def]
    clock = Clock(DURING)
    client = client_at(env={"PANEL_WEB_LIMIT_PER_ADDRESS": "3", "PANEL_WEB_MIN_FILL_SECONDS": "0"}, clock=clock)
    token = csrf_of(client.get("/apply/youth-2026").text)
    answers = [
        client.post("/apply/youth-2026", data={**GOOD, "email": f"p{n}@example.org", "csrf_token": token})
        for n in range(3)
    ]
    assert [a.status_code for a in answers] == [303, 303, 303]
    before = table_rows(location)
    clock.moment = DURING + timedelta(minutes=20)
    refused = client.post("/apply/youth-2026", data={**GOOD, "email": "p4@example.org", "csrf_token": token})
    assert refused.status_code == 429
    assert 2000 < int(refused.headers["retry-after"]) <= 3601  # until the first of the three is an hour old
    assert "<title>Too many applications have been sent" in refused.text
    assert "0113 496 0000" in refused.text  # the campaign's phone number, for anyone stuck
    assert table_rows(location) == before
    clock.moment = DURING + timedelta(hours=1, seconds=1)
    again = client.post("/apply/youth-2026", data={**GOOD, "email": "p4@example.org", "csrf_token": token})
    assert again.status_code == 303


def test_one_email_address_may_apply_a_limited_number_of_times_per_day(client_at, location: StoreLocation) -> None:  # type: ignore[no-untyped-def]
    clock = Clock(DURING)
    client = client_at(env={"PANEL_WEB_LIMIT_PER_EMAIL": "2", "PANEL_WEB_MIN_FILL_SECONDS": "0"}, clock=clock)
    token = csrf_of(client.get("/apply/youth-2026").text)
    for _ in range(2):
        assert client.post("/apply/youth-2026", data={**GOOD, "csrf_token": token}).status_code == 303
    before = table_rows(location)
    same = client.post("/apply/youth-2026", data={**GOOD, "email": " SAM@Example.org ", "csrf_token": token})
    assert same.status_code == 429
    other = client.post("/apply/youth-2026", data={**GOOD, "email": "someone.else@example.org", "csrf_token": token})
    assert other.status_code == 303
    assert table_rows(location) != before  # the other address was taken ...
    clock.moment = DURING + timedelta(days=1, seconds=1)
    assert client.post("/apply/youth-2026", data={**GOOD, "csrf_token": token}).status_code == 303  # ... and a day on


def test_the_limits_are_read_from_the_environment_in_one_line(panel) -> None:  # type: ignore[no-untyped-def]
    panel("init")
    for variable, value in (
        ("PANEL_WEB_LIMIT_PER_ADDRESS", "lots"),
        ("PANEL_WEB_LIMIT_PER_EMAIL", "-1"),
        ("PANEL_WEB_MIN_FILL_SECONDS", "2.5"),
        ("PANEL_WEB_LIMIT_PER_PARTNER", "1e3"),
    ):
        ran = panel("serve", "--port", "1", code=1, env={variable: value})
        assert ran.err.strip().startswith(f"Error: {variable} {value!r} is not a whole number"), ran.err
        assert "Traceback" not in ran.err
