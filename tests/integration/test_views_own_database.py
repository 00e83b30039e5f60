"""The views on a database of their own (PANEL_VIEWS_URL): caught up there, rebuilt while a writer keeps writing.

The events are on SQLite or PostgreSQL (the ``location`` fixture); the views on a second SQLite file
or in a second PostgreSQL schema (the tests make no databases: only `panel init` runs DDL on a
store, and the fixtures' own schemas are how tests get a second place on PostgreSQL). A writer in
another process registers people throughout the rebuild; readers keep the old generation until the
switch, and after it (and a catch-up) the views hold what a fresh rebuild of the whole log holds.
"""

from __future__ import annotations

import json
import subprocess
import sys
import time
import uuid
from collections.abc import Iterator
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

import pytest
from sqlalchemy import func, select

from panel.application import PanelApp
from panel.config import StoreLocation
from panel.domain.participant import Participant
from panel.queries import Queries
from panel.registration import Registration
from projections import Projector, make_engine
from projections.consent_report import pool_candidates
from tests.conftest import PG_URL, _pg_connect, _require_postgres
from tests.helpers.chain_case import signup
from tests.helpers.scripted import dump

ROOT = Path(__file__).resolve().parents[2]
LATER = datetime(2027, 1, 1, tzinfo=UTC)
WRITER = """
import json, sys, time
from pathlib import Path
from panel.application import PanelApp
from panel.registration import Registration
from tests.helpers.chain_case import signup
env, stop = json.loads(sys.argv[1]), Path(sys.argv[2])
app = PanelApp(env=env)
i = 0
while not stop.exists() and i < 2000:
    Registration(app).register(signup(f"W-{i}"))
    i += 1
    time.sleep(0.01)
app.close()
print(i)
"""


@pytest.fixture(params=["sqlite", "postgres"])
def views_url(request: pytest.FixtureRequest, tmp_path: Path) -> Iterator[str]:
    """A second database for the views: an SQLite file, or a PostgreSQL schema reached through the URL."""
    if request.param == "sqlite":
        yield f"sqlite:///{tmp_path / 'views.db'}"
        return
    _require_postgres()
    schema = f"v_{uuid.uuid4().hex[:12]}"
    with _pg_connect() as conn:
        conn.execute(f'CREATE SCHEMA "{schema}"')
    try:
        yield f"{PG_URL}?options=-csearch_path%3D{schema}"
    finally:
        with _pg_connect() as conn:
            conn.execute(f'DROP SCHEMA IF EXISTS "{schema}" CASCADE')


def holders(app: PanelApp) -> set[uuid.UUID]:
    """Who holds the contact consent now, from each participant's own history (the truth the views mirror)."""
    found = set()
    for pid in Queries(app).participant_ids():
        person = app.load(pid, Participant)
        if person.consent_at("contact", LATER) is not None and person.consent_at("panel_membership", LATER):
            found.add(pid)
    return found


def people_rows(projector: Projector) -> int:
    table = projector.tables("consent")["people"]  # one row per registered participant
    with projector.engine.connect() as conn:
        count = int(conn.execute(select(func.count()).select_from(table)).scalar_one())
        conn.rollback()
    return count


def both_consents(ref: str) -> Any:
    from dataclasses import replace

    from panel.validation import ConsentSpec

    base = signup(ref)
    extra = ConsentSpec("panel_membership", "v1", "online", "self", base.at)
    return replace(base, consents=(*base.consents, extra))


def test_views_on_their_own_database_rebuilt_while_a_writer_writes(
    app: PanelApp, location: StoreLocation, views_url: str, tmp_path: Path
) -> None:
    registration = Registration(app)
    for i in range(30):
        registration.register(both_consents(f"P-{i}") if i % 3 else signup(f"P-{i}"))
    engine = make_engine(views_url=views_url)
    projector = Projector(app, engine, batch_size=7, bulk_workers=1)
    projector.catch_up()
    assert people_rows(projector) == 30
    assert pool_candidates(projector, LATER) == holders(app) and len(holders(app)) == 20

    stop = tmp_path / "stop"
    writer = subprocess.Popen(
        [sys.executable, "-c", WRITER, json.dumps(location.env()), str(stop)],
        cwd=ROOT,
        stdout=subprocess.PIPE,
        stderr=subprocess.PIPE,
        text=True,
    )
    reader = Projector(app, engine, bulk_workers=1)
    before = {s.name: s.generation for s in reader.status()}
    seen: dict[str, Any] = {}

    def during(done: int, total: int) -> None:
        if seen:
            return
        start = projector.head()
        deadline = time.monotonic() + 60
        while projector.head() < start + 5 and time.monotonic() < deadline:  # the writer goes on writing
            time.sleep(0.05)
        status = {s.name: s for s in reader.status()}
        seen.update(
            wrote=projector.head() - start,
            generations={n: s.generation for n, s in status.items()},
            building=all(s.building is not None for s in status.values()),
            people=people_rows(reader),  # readers still read the old generation
        )

    try:
        projector.rebuild(progress=during)
        after_switch = projector.head()
        time.sleep(0.3)  # a few more writes after the switch
    finally:
        stop.touch()
        out, err = writer.communicate(timeout=60)
    assert writer.returncode == 0, err
    written = int(out)
    assert seen["wrote"] >= 5 and seen["building"], seen
    assert seen["generations"] == before and seen["people"] == 30
    assert all(s.generation == before[s.name] + 1 and s.building is None for s in reader.status())
    assert projector.head() >= after_switch

    projector.catch_up()
    assert people_rows(projector) == 30 + written
    assert pool_candidates(projector, LATER) == holders(app)
    caught_up = dump(projector)
    projector.rebuild()  # a fresh generation from the whole log, nobody writing: the same rows
    assert dump(projector) == caught_up
    assert people_rows(reader) == 30 + written
    engine.dispose()
