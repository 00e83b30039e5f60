"""How commands open the store: only `panel init` and `panel demo` create one or change its schema.

Every other command, on a missing, mistyped or uninitialised store, says so in one line and
writes nothing; on an initialised store it runs no DDL at all (so many can start at once, and a
service can run as a role that does not own the tables). Run as real `panel` subprocesses on
SQLite and PostgreSQL.
"""

from __future__ import annotations

import os
import sqlite3
import stat
import uuid
from collections.abc import Iterator
from concurrent.futures import ThreadPoolExecutor
from contextlib import contextmanager
from dataclasses import replace
from pathlib import Path

import pytest

from panel.application import PanelApp
from panel.config import SCHEMA_VERSION, StoreLocation
from tests.helpers.proc import Ran, run_panel, store_env
from tests.helpers.store import table_rows

READ_ONLY = [
    ("projections", "status"),
    ("reach", "--by", "gender"),
    ("fatigue",),
    ("consent", "report"),
    ("participant", "list"),
    ("engagement", "list"),
    ("pay", "ledger"),
]
WRITES = [
    ("participant", "register", "--ref", "N-1", "--channel", "online", "--name", "Nia"),
    (
        "engagement",
        "open",
        "Panel",
        "--type",
        "consult",
        "--purpose",
        "p",
        "--day-rate",
        "10",
        "--session",
        "2026-03-02",
    ),
]


def at_once(commands: list[tuple[str, ...]], env: dict[str, str]) -> list[Ran]:
    """Start every command at the same moment, each in its own `panel` process."""
    with ThreadPoolExecutor(max_workers=len(commands)) as pool:
        return list(pool.map(lambda args: run_panel(*args, env=env), commands))


def one_error_line(ran: Ran) -> str:
    assert not ran.traceback, ran.err
    lines = [line for line in ran.err.splitlines() if line.strip()]
    assert len(lines) == 1 and lines[0].startswith("Error: "), ran.err
    return lines[0]


def schema_state(location: StoreLocation) -> object:
    """What changes with any DDL: SQLite's schema cookie; the schema's catalogue entries on PostgreSQL."""
    if location.dialect == "sqlite":
        with sqlite3.connect(location.target) as conn:
            return int(conn.execute("PRAGMA schema_version").fetchone()[0])
    import psycopg

    with psycopg.connect(location.target, autocommit=True) as conn:
        rows = conn.execute(
            "SELECT c.oid::bigint, c.relname, c.relkind FROM pg_class c JOIN pg_namespace n "
            "ON n.oid = c.relnamespace WHERE n.nspname = %s",
            (location.schema,),
        ).fetchall()
        return sorted(rows)


# -- a missing or uninitialised store ------------------------------------------------------------------
def test_commands_refuse_a_store_that_was_never_initialised(location: StoreLocation) -> None:
    env = store_env(location)
    for args in [*READ_ONLY, *WRITES]:
        ran = run_panel(*args, env=env)
        assert ran.code == 1, (args, ran)
        line = one_error_line(ran)
        assert f"no panel store at {location.describe()}: run `panel init`" in line, line
        assert ran.out == ""
    if location.dialect == "sqlite":
        assert not Path(location.target).exists(), "a command other than init created the SQLite file"
    assert table_rows(location) == {}, "a command other than init created tables"


@pytest.mark.parametrize("location", ["postgres"], indirect=True)  # schemas are PostgreSQL's
def test_a_mistyped_postgres_schema_is_not_created(location: StoreLocation) -> None:
    typo = replace(location, schema=location.schema + "_typo")
    ran = run_panel("projections", "status", env=store_env(typo))
    assert ran.code == 1 and "no panel store at" in one_error_line(ran)
    import psycopg

    with psycopg.connect(location.target, autocommit=True) as conn:
        assert conn.execute("SELECT 1 FROM pg_namespace WHERE nspname = %s", (typo.schema,)).fetchone() is None


def test_many_commands_at_once_on_a_missing_store_all_refuse_cleanly(location: StoreLocation) -> None:
    ran = at_once(READ_ONLY[:6], store_env(location))
    for one in ran:
        assert one.code == 1 and "no panel store at" in one_error_line(one), one
    assert table_rows(location) == {}


# -- init creates, upgrades, and is the only command that does ---------------------------------------
def test_init_creates_everything_and_commands_then_run_no_ddl(location: StoreLocation, panel) -> None:  # type: ignore[no-untyped-def]
    assert panel("init").out.startswith("Store ready:")
    created = table_rows(location)
    assert {"participant_keys", "panel_settings", "projection_generations"} <= set(created)
    assert any(name.startswith("ledger_g1") for name in created), created  # the payment ledger's view too
    before = schema_state(location)
    for args in [*READ_ONLY, *WRITES]:
        panel(*args)
    panel("consent", "grant", "N-1", "--purpose", "contact", "--notice-version", "v1", "--method", "online",
          "--captured-by", "self")  # fmt: skip
    panel("participant", "erase", "N-1", "--reason", "asked")
    panel("projections", "catch-up")
    assert schema_state(location) == before, "a command other than init changed the schema"
    assert set(table_rows(location)) == set(created)


def test_many_read_only_commands_at_once_never_fail(location: StoreLocation, panel) -> None:  # type: ignore[no-untyped-def]
    panel("init")
    panel(*WRITES[0])
    env = store_env(location)
    for _ in range(2):
        for one in at_once(READ_ONLY[:6], env):
            assert one.code == 0 and not one.traceback, one


def test_several_inits_at_once_all_succeed(location: StoreLocation) -> None:
    ran = at_once([("init",)] * 4, store_env(location))
    for one in ran:
        assert one.code == 0 and one.out.startswith("Store ready:"), one


def test_an_older_store_is_refused_until_init_upgrades_it(location: StoreLocation, panel) -> None:  # type: ignore[no-untyped-def]
    app = PanelApp(env=location.env())  # tables as a store made before versions were recorded
    _set_version(app, None)
    app.close()
    ran = panel("participant", "list", code=1)
    assert "has no recorded schema version; this panel needs" in one_error_line(ran)
    assert "run `panel init` to upgrade it" in ran.err
    panel("init")
    panel("participant", "list")


def test_a_newer_store_is_refused_even_by_init(location: StoreLocation, panel) -> None:  # type: ignore[no-untyped-def]
    app = PanelApp(env=location.env())
    _set_version(app, SCHEMA_VERSION + 1)
    app.close()
    before = table_rows(location)
    for args in (("participant", "list"), ("init",)):
        ran = panel(*args, code=1)
        assert f"newer than this panel's {SCHEMA_VERSION}: upgrade participant-panel" in one_error_line(ran)
    assert table_rows(location) == before


def _set_version(app: PanelApp, version: int | None) -> None:
    table = app.keys.settings_table
    mark = app.keys.p
    with app.recorder.datastore.transaction(commit=True) as c:  # type: ignore[attr-defined]
        c.execute(f"DELETE FROM {table} WHERE name = {mark}", ("schema_version",))
        if version is not None:
            c.execute(f"INSERT INTO {table} (name, value) VALUES ({mark}, {mark})", ("schema_version", b"%d" % version))


# -- a role that may not create tables (PostgreSQL) --------------------------------------------------
@contextmanager
def worker_role(location: StoreLocation) -> Iterator[str]:
    """A login role with DML on the store's tables and no CREATE anywhere; dropped afterwards."""
    import psycopg

    role = f"panel_worker_{uuid.uuid4().hex[:8]}"
    with psycopg.connect(location.target, autocommit=True) as conn:
        conn.execute(f'CREATE ROLE "{role}" LOGIN')
        conn.execute(f'GRANT USAGE ON SCHEMA "{location.schema}" TO "{role}"')
        conn.execute(f'GRANT SELECT, INSERT, UPDATE, DELETE ON ALL TABLES IN SCHEMA "{location.schema}" TO "{role}"')
        conn.execute(f'GRANT USAGE, SELECT ON ALL SEQUENCES IN SCHEMA "{location.schema}" TO "{role}"')
    try:
        yield role
    finally:
        with psycopg.connect(location.target, autocommit=True) as conn:
            conn.execute(f'DROP OWNED BY "{role}"')
            conn.execute(f'DROP ROLE "{role}"')


@pytest.mark.parametrize("location", ["postgres"], indirect=True)  # roles are PostgreSQL's (SQLite: file modes)
def test_commands_run_as_a_role_that_cannot_create_tables(location: StoreLocation, panel) -> None:  # type: ignore[no-untyped-def]
    panel("init")
    with worker_role(location) as role:
        env = {"PANEL_DATABASE_URL": _with_user(location.target, role)}  # the same database, another user
        for args in [*WRITES, *READ_ONLY]:
            panel(*args, env=env)
        panel("consent", "grant", "N-1", "--purpose", "contact", "--notice-version", "v1", "--method", "online",
              "--captured-by", "self", env=env)  # fmt: skip
        panel("participant", "erase", "N-1", "--reason", "asked", env=env)
        ran = panel("projections", "rebuild", env=env, code=1)  # a rebuild makes tables: the owner's job
        assert "run them as the role that owns the tables" in one_error_line(ran)


def _with_user(url: str, user: str) -> str:
    from urllib.parse import urlparse, urlunparse

    parsed = urlparse(url)
    netloc = f"{user}@{parsed.hostname}" + (f":{parsed.port}" if parsed.port else "")
    return urlunparse(parsed._replace(netloc=netloc))


# -- file permissions (SQLite) -----------------------------------------------------------------------
@pytest.mark.parametrize("location", ["sqlite"], indirect=True)  # file modes are SQLite's (PostgreSQL: docs/store.md)
def test_the_sqlite_store_and_its_logs_are_private(location: StoreLocation, panel, tmp_path: Path) -> None:  # type: ignore[no-untyped-def]
    old = os.umask(0o022)
    try:
        panel("init")
        app = PanelApp(env={**location.env(), "CREATE_TABLE": "no"})
        with app.recorder.datastore.transaction(commit=True):  # type: ignore[attr-defined]
            files = [Path(location.target + s) for s in ("", "-wal", "-shm")]
            assert all(f.exists() for f in files)
            modes = {f.name: stat.S_IMODE(f.stat().st_mode) for f in files}
        app.close()
        assert modes == dict.fromkeys(modes, 0o600), modes
        views = tmp_path / "views.db"
        panel("init", env={"PANEL_VIEWS_URL": f"sqlite:///{views}"})
        assert stat.S_IMODE(views.stat().st_mode) == 0o600
        Path(location.target).chmod(0o644)  # a store made before this: init makes it private
        assert "readable by its owner only" in panel("init").out
        assert stat.S_IMODE(Path(location.target).stat().st_mode) == 0o600
    finally:
        os.umask(old)
