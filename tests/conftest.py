"""One fixture runs every store scenario on SQLite and on PostgreSQL.

PostgreSQL comes from PANEL_TEST_DATABASE_URL (default postgresql://postgres@127.0.0.1:5432/test);
each test gets a schema of its own, dropped afterwards. Under CI=true an unreachable PostgreSQL
fails the run instead of skipping.
"""

from __future__ import annotations

import os
import uuid
from collections.abc import Iterator

import pytest

from panel.application import PanelApp
from panel.config import StoreLocation

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
def cli_env(location: StoreLocation) -> dict[str, str]:
    """Environment for CliRunner so the `panel` command uses this test's store."""
    if location.dialect == "sqlite":
        return {"PANEL_DB": location.target, "PANEL_DATABASE_URL": ""}
    return {"PANEL_DATABASE_URL": location.target, "PANEL_PG_SCHEMA": location.schema}


@pytest.fixture
def run(cli_env: dict[str, str]):  # type: ignore[no-untyped-def]
    """Run `panel ...` in-process on this test's store; check the exit code; return (stdout, stderr)."""
    from click.testing import CliRunner

    from cli.main import cli

    runner = CliRunner()

    def invoke(*args: str, code: int = 0) -> tuple[str, str]:
        result = runner.invoke(cli, list(args), env=cli_env, catch_exceptions=False)
        assert result.exit_code == code, (result.stdout, result.stderr)
        return result.stdout, result.stderr

    return invoke


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
