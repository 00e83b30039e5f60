"""The abuse limits hold across serving processes (`panel serve --workers N`), on SQLite and PostgreSQL.

The counts live in the store (``panel_rate_counts``, made by `panel init`): two web applications over
one store, each with its own connections as two worker processes have, share every limit; the
(limit+1)-th request across them is refused with nothing written, not even a count; concurrent takes
never let more through than the limit; and two real `panel serve --workers 2` processes over HTTP
refuse the (limit+1)-th application.
"""

from __future__ import annotations

import threading
from collections.abc import Callable, Iterator
from datetime import UTC, datetime, timedelta

import httpx2
import pytest
from starlette.testclient import TestClient

from panel.application import PanelApp
from panel.campaigns import Campaigns
from panel.config import StoreLocation
from panel.outbox import MemoryOutbox
from panel.queries import Queries
from panel.store.opening import open_store
from panel.store.rate_counts import TABLE, RateCounts
from tests.e2e.webapp.conftest import DURING, EXAMPLES
from tests.e2e.webapp.server import serving
from tests.e2e.webapp.test_apply_http import GOOD, csrf_of
from tests.helpers.proc import store_env
from tests.helpers.store import table_rows

Clients = Callable[[dict[str, str]], tuple[TestClient, TestClient]]


@pytest.fixture
def two_clients(campaign_app: PanelApp, location: StoreLocation) -> Iterator[Clients]:
    """``two_clients(env)``: two web applications over the same store, each over its own PanelApp (its own
    connections, as each worker process has), both at the fixed moment DURING."""
    from web.app import create_app
    from web.settings import WebSettings

    opened: list[PanelApp] = []
    made: list[TestClient] = []

    def make(env: dict[str, str]) -> tuple[TestClient, TestClient]:
        other = open_store(location)
        opened.append(other)
        clients = []
        for app in (campaign_app, other):
            web = create_app(app, WebSettings.from_store(app, env), clock=lambda: DURING, outbox=MemoryOutbox())
            clients.append(TestClient(web, base_url="https://testserver", follow_redirects=False))
        made.extend(clients)
        return clients[0], clients[1]

    yield make
    for client in made:
        client.close()
    for app in opened:
        app.close()


def apply(client: TestClient, email: str) -> int:
    token = csrf_of(client.get("/apply/youth-2026").text)
    return client.post("/apply/youth-2026", data={**GOOD, "email": email, "csrf_token": token}).status_code


def test_two_processes_share_the_limit_per_client_address(two_clients: Clients, location: StoreLocation) -> None:
    first, second = two_clients({"PANEL_WEB_LIMIT_PER_ADDRESS": "3", "PANEL_WEB_MIN_FILL_SECONDS": "0"})
    assert [apply(first, "p1@example.org"), apply(second, "p2@example.org"), apply(first, "p3@example.org")] == [
        303,
        303,
        303,
    ]
    before = table_rows(location, counts=True)
    assert apply(second, "p4@example.org") == 429  # the fourth in the hour, whichever process answers it
    assert apply(first, "p5@example.org") == 429
    assert table_rows(location, counts=True) == before  # no event, no key, not even a count


def test_two_processes_share_the_limit_per_email(
    two_clients: Clients, campaign_app: PanelApp, location: StoreLocation
) -> None:
    first, second = two_clients({"PANEL_WEB_LIMIT_PER_EMAIL": "2", "PANEL_WEB_MIN_FILL_SECONDS": "0"})
    assert [apply(first, "sam@example.org"), apply(second, " SAM@example.org ")] == [303, 303]
    before = table_rows(location, counts=True)
    assert apply(first, "Sam@Example.org") == 429
    assert table_rows(location, counts=True) == before
    assert len(Queries(campaign_app).participants()) == 2


def test_concurrent_takes_let_exactly_the_limit_through(campaign_app: PanelApp, location: StoreLocation) -> None:
    other = open_store(location)
    try:
        stores = [campaign_app.rate_counts, other.rate_counts]
        answers: list[timedelta | None] = []
        start = threading.Barrier(12)

        def take(counts: RateCounts, n: int) -> None:
            start.wait()
            moment = DURING + timedelta(milliseconds=300 * n)  # several seconds: several rows, one key
            answers.append(counts.take("address", "same-key", moment, 5, timedelta(hours=1)))

        threads = [threading.Thread(target=take, args=(stores[n % 2], n)) for n in range(12)]
        for thread in threads:
            thread.start()
        for thread in threads:
            thread.join()
        assert sum(answer is None for answer in answers) == 5
        assert all(answer is None or timedelta(0) < answer <= timedelta(hours=1, seconds=4) for answer in answers)
        assert stores[1].wait("address", "same-key", DURING + timedelta(seconds=5), 5, timedelta(hours=1))
        assert (
            stores[0].wait("address", "same-key", DURING + timedelta(hours=1, seconds=5), 5, timedelta(hours=1)) is None
        )
    finally:
        other.close()


def test_counts_older_than_the_window_are_deleted(campaign_app: PanelApp) -> None:
    counts = campaign_app.rate_counts
    for key in ("a", "b", "c"):
        assert counts.take("email", key, DURING, 5, timedelta(days=1)) is None
    counts.release("email", "c", DURING)
    assert counts.rows() == 2
    later = RateCounts(counts.datastore, counts.dialect, counts.schema)  # another process: its sweep is due
    assert later.take("email", "d", DURING + timedelta(days=1, seconds=1), 5, timedelta(days=1)) is None
    assert later.rows() == 1


def test_a_store_without_the_table_is_told_to_run_init(panel, location: StoreLocation) -> None:  # type: ignore[no-untyped-def]
    panel("init")
    _drop_counts(location)  # as a store made before the counts were kept in it
    ran = panel("serve", "--workers", "2", code=1)
    assert ran.err.strip() == (
        f"Error: the store has no {TABLE} table for the web service's limits (it was made before the limits were "
        "shared between processes): run `panel init` to add it"
    )
    panel("init")
    assert TABLE in table_rows(location, counts=True)


def test_two_real_worker_processes_refuse_the_application_past_the_limit(
    campaign_app: PanelApp, location: StoreLocation, tmp_path
) -> None:  # type: ignore[no-untyped-def]
    today = datetime.now(UTC).date()
    Campaigns(campaign_app).open(
        slug="now-open", engagement="vested-youth-panel", opens=today - timedelta(days=1),
        closes=today + timedelta(days=7), questions=EXAMPLES / "questions.csv", notice=EXAMPLES / "notice-v3.md",
        phone="0113 496 0000", address="Youth Health Panel, PO Box 123, Leeds, LS1 1AA",
    )  # fmt: skip
    env = {
        **store_env(location),
        "PANEL_OUTBOX_DIR": str(tmp_path / "outbox"),
        "PANEL_WEB_SECURE_COOKIES": "false",
        "PANEL_WEB_MIN_FILL_SECONDS": "0",
        "PANEL_WEB_LIMIT_PER_ADDRESS": "3",
    }
    with serving(env, "--workers", "2") as base:
        answers = []
        for n in range(4):
            with httpx2.Client(base_url=base, timeout=30) as client:  # a new connection each time: either worker
                token = csrf_of(client.get("/apply/now-open").text)
                data = {**GOOD, "email": f"w{n}@example.org", "csrf_token": token}
                answers.append(client.post("/apply/now-open", data=data).status_code)
    assert answers == [303, 303, 303, 429]
    assert len(Queries(campaign_app).participants()) == 3


def _drop_counts(location: StoreLocation) -> None:
    if location.dialect == "sqlite":
        import sqlite3

        with sqlite3.connect(location.target) as conn:
            conn.execute(f"DROP TABLE {TABLE}")
        return
    import psycopg

    with psycopg.connect(location.target, autocommit=True) as conn:
        conn.execute(f'DROP TABLE "{location.schema}".{TABLE}')
