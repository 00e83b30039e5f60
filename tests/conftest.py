"""One fixture runs every store scenario on SQLite and on PostgreSQL.

PostgreSQL comes from PANEL_TEST_DATABASE_URL (default postgresql://postgres@127.0.0.1:5432/test);
each test gets a schema of its own, dropped afterwards. Under CI=true an unreachable PostgreSQL
fails the run instead of skipping.
"""

from __future__ import annotations

import os
import uuid
from collections.abc import Iterator
from typing import TYPE_CHECKING
from uuid import UUID

import pytest

from panel.actor import acting_as
from panel.application import PanelApp
from panel.config import StoreLocation

if TYPE_CHECKING:
    from projections import Projector

LAYERS = ("unit", "integration", "e2e")


def pytest_collection_modifyitems(items: list[pytest.Item]) -> None:
    """Mark each test with its layer, from its folder: ``-m unit`` is the inner loop (no database)."""
    for item in items:
        layer = next((part for part in item.path.parts if part in LAYERS), None)
        if layer is not None:
            item.add_marker(getattr(pytest.mark, layer))


PG_URL = os.environ.get("PANEL_TEST_DATABASE_URL", "postgresql://postgres@127.0.0.1:5432/test")


def _pg_connect():  # type: ignore[no-untyped-def]
    import psycopg

    return psycopg.connect(PG_URL, autocommit=True, connect_timeout=3)


def _require_postgres() -> None:
    try:
        _pg_connect().close()
    except Exception as exc:
        if os.environ.get("CI", "").lower() == "true":
            pytest.fail(f"PostgreSQL at {PG_URL} is required in CI and cannot be reached: {exc}")
        pytest.skip(f"PostgreSQL not reachable at {PG_URL}: {exc}")


@pytest.fixture(autouse=True)
def _nobody_acting() -> Iterator[None]:
    """Each test starts with no actor named, and whatever it names goes with it: a command run in this process
    (click's CliRunner) names its actor for the rest of the context, which later tests in the same worker
    would otherwise record on every event they write."""
    with acting_as(None):
        yield


@pytest.fixture(params=["sqlite", "postgres"])
def location(request: pytest.FixtureRequest, tmp_path) -> Iterator[StoreLocation]:  # type: ignore[no-untyped-def]
    if request.param == "sqlite":
        yield StoreLocation.sqlite(str(tmp_path / "panel.db"))
        return
    _require_postgres()
    schema = f"t_{uuid.uuid4().hex[:12]}"
    with _pg_connect() as conn:
        conn.execute(f'CREATE SCHEMA "{schema}"')
    try:
        yield StoreLocation.postgres(PG_URL, schema)
    finally:
        with _pg_connect() as conn:
            conn.execute(f'DROP SCHEMA IF EXISTS "{schema}" CASCADE')


@pytest.fixture
def app(location: StoreLocation) -> Iterator[PanelApp]:
    """An application over a store set up as `panel init` sets it up (the views' tables included)."""
    from cli.wiring import Wiring

    application = Wiring(location).create_store().app
    yield application
    application.close()


@pytest.fixture
def panel(location: StoreLocation):  # type: ignore[no-untyped-def]
    """Run the real `panel` console script in a subprocess on this test's store.

    ``panel(*args, code=0, stdin=None, env=None)`` checks the exit code and returns the Ran result
    (code, out, err). Use it wherever what is printed, or the exit code, is the point.
    """
    from tests.helpers.proc import run_panel, store_env

    base = store_env(location)

    def invoke(*args: str, code: int | None = 0, stdin: str | None = None, env: dict[str, str] | None = None):  # type: ignore[no-untyped-def]
        ran = run_panel(*args, env={**base, **(env or {})}, stdin=stdin)
        if code is not None:
            assert ran.code == code, (args, ran.code, ran.out, ran.err)
        assert not ran.traceback, (args, ran.err)
        return ran

    return invoke


@pytest.fixture
def run(panel):  # type: ignore[no-untyped-def]
    """``panel`` for tests that want text: ``run(*args, code=0)`` returns the console script's (stdout, stderr)."""

    def invoke(*args: str, code: int = 0) -> tuple[str, str]:
        ran = panel(*args, code=code)
        return ran.out, ran.err

    return invoke


@pytest.fixture
def vested(app: PanelApp) -> tuple[UUID, dict[str, UUID]]:
    """The Vested case: 6 people, 7 days at £350, VES-001 half a day on 5 March."""
    from tests.helpers.vested_case import open_vested

    return open_vested(app)


@pytest.fixture
def projector(app: PanelApp, location: StoreLocation) -> Iterator[Projector]:
    """A projector over the test's own store (SQLite or PostgreSQL), in small batches."""
    from projections import Projector, make_engine

    engine = make_engine(location)
    yield Projector(app, engine, batch_size=3)
    engine.dispose()
