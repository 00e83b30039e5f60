"""The event history is append-only, enforced by the database (panel.store.append_only, panel.store.roles).

On both stores plain UPDATE and DELETE of events and chain rows are refused (PostgreSQL: TRUNCATE
too, even for the owner) while erasure and the upgrade of an older store go on working; `panel init`
gives an older store its triggers. On PostgreSQL the maintenance switch lifts the triggers for one
session, and `panel admin roles` makes an application role that cannot change history whatever
it sets, yet registers and erases people; an auditor that can only read; an owner that runs init.
"""

from __future__ import annotations

import sqlite3
import uuid
from collections.abc import Iterator
from typing import Any
from urllib.parse import urlparse, urlunparse

import pytest

from panel.application import PanelApp
from panel.config import StoreLocation
from panel.participation import Participation
from tests.helpers.chain_case import expected_head, populate

REFUSED = "the event history is append-only"


def connect(location: StoreLocation, user: str | None = None) -> Any:
    """A plain connection, as any program with the database's address (and, on SQLite, the file) has."""
    if location.dialect == "sqlite":
        return sqlite3.connect(location.target, isolation_level=None)
    import psycopg

    return psycopg.connect(_as(location.target, user) if user else location.target, autocommit=True)


def _as(url: str, user: str) -> str:
    parsed = urlparse(url)
    return urlunparse(parsed._replace(netloc=f"{user}@{parsed.hostname}" + (f":{parsed.port}" if parsed.port else "")))


def tables(location: StoreLocation) -> tuple[str, str]:
    if location.dialect == "sqlite":
        return "stored_events", "stored_events_chain"
    return f'"{location.schema}".panel_events', f'"{location.schema}".panel_events_chain'


def edits(location: StoreLocation) -> list[str]:
    events, chain = tables(location)
    pos = "rowid" if location.dialect == "sqlite" else "notification_id"
    found = [
        f"UPDATE {events} SET topic = 'x' WHERE {pos} = 3",
        f"DELETE FROM {events} WHERE {pos} = 3",
        f"DELETE FROM {events}",
        f"UPDATE {chain} SET hash = digest WHERE position = 3",
        f"DELETE FROM {chain} WHERE position = 3",
    ]
    if location.dialect == "postgres":
        found += [f"TRUNCATE {events} CASCADE", f"TRUNCATE {chain}"]
    return found


def refused(conn: Any, statement: str) -> str:
    """The database's refusal of ``statement`` (asserting there is one)."""
    try:
        conn.execute(statement)
    except Exception as exc:
        return str(exc)
    raise AssertionError(f"not refused: {statement}")


def test_the_database_refuses_to_change_events_and_chain_rows(
    app: PanelApp, location: StoreLocation, panel: Any
) -> None:
    last = populate(app)
    head = expected_head(location)
    with connect(location) as conn:  # the tables' owner (PostgreSQL: the test's superuser)
        for statement in edits(location):
            assert REFUSED in refused(conn, statement), statement
    assert expected_head(location) == head
    assert panel("audit", "verify").out.startswith(f"OK: {last} event(s) verified")


def test_erasure_and_new_events_still_work_under_the_triggers(
    app: PanelApp, location: StoreLocation, panel: Any
) -> None:
    last = populate(app)
    pid = app.resolve_participant("web:O-1")
    assert Participation(app).erase(pid, "erasure request ER-9")
    assert app.keys.get_keys([pid]) == {}
    ran = panel("audit", "verify")
    assert ran.out.startswith(f"OK: {last + 1} event(s) verified from position 1; head position {last + 1} ")


@pytest.mark.parametrize("location", ["postgres"], indirect=True)  # the switch is PostgreSQL's (SQLite: drop them)
def test_the_maintenance_switch_lifts_the_triggers_for_its_session_only(
    app: PanelApp, location: StoreLocation, panel: Any
) -> None:
    populate(app)
    events, _ = tables(location)
    with connect(location) as conn:
        conn.execute("SET panel.maintenance = 'on'")
        assert conn.execute(f"UPDATE {events} SET topic = topic || 'x' WHERE notification_id = 3").rowcount == 1
        conn.execute("SET panel.maintenance = 'off'")
        assert REFUSED in refused(conn, f"UPDATE {events} SET topic = 'y' WHERE notification_id = 4")
    with connect(location) as other:  # another session never had it
        assert REFUSED in refused(other, f"DELETE FROM {events} WHERE notification_id = 5")
    assert "chain broken at position 3: changed" in panel("audit", "verify", code=1).err  # and the chain saw it


def test_init_gives_an_older_store_its_triggers(app: PanelApp, location: StoreLocation, panel: Any) -> None:
    populate(app)
    events, chain = tables(location)
    with connect(location) as conn:
        if location.dialect == "sqlite":
            names = conn.execute("SELECT name FROM sqlite_master WHERE type = 'trigger'").fetchall()
            assert len(names) == 4
            for (name,) in names:
                conn.execute(f'DROP TRIGGER "{name}"')
        else:
            for table in (events, chain):
                conn.execute(f"DROP TRIGGER panel_append_only ON {table}")
            conn.execute(f'DROP FUNCTION "{location.schema}".panel_lock_events()')
        conn.execute(f"DELETE FROM {chain} WHERE position = 2")  # the store as it was: nothing refused
    assert "chain broken at position 2: inserted" in panel("audit", "verify", code=1).err
    panel("init")
    panel("init")  # twice: nothing doubles
    with connect(location) as conn:
        for statement in edits(location):
            assert REFUSED in refused(conn, statement), statement
        if location.dialect == "sqlite":
            assert conn.execute("SELECT count(*) FROM sqlite_master WHERE type = 'trigger'").fetchone()[0] == 4


def test_roles_are_postgresql_s(location: StoreLocation, panel: Any) -> None:
    panel("init")
    if location.dialect == "sqlite":
        ran = panel("admin", "roles", code=1)
        assert ran.err == (
            "Error: database roles are PostgreSQL's: an SQLite store is one file, kept private (mode 0600) "
            "and append-only by its triggers (docs/store.md)\n"
        )
    for bad in ("Panel", "1x", "a-b", "x" * 50, "p; DROP"):
        ran = panel("admin", "roles", "--prefix", bad, code=1)
        assert ran.out == "" and ran.err.count("\n") == 1 and "cannot start a role name" in ran.err, ran.err


def register(ref: str, name: str) -> tuple[str, ...]:
    return (
        *("participant", "register", "--ref", ref, "--channel", "online", "--name", name),
        *("--email", f"{ref.lower()}@example.org", "--attr", "age_band=18-21"),
        *("--consent", "contact", "--notice-version", "v1"),
    )


# -- roles (PostgreSQL) ----------------------------------------------------------------------------
@pytest.fixture
def prefix(location: StoreLocation) -> Iterator[str]:
    """A role prefix of this test's own (roles are cluster-wide); its roles are dropped afterwards."""
    name = f"t{uuid.uuid4().hex[:10]}"
    yield name
    import psycopg

    with psycopg.connect(location.target, autocommit=True) as conn:
        for role in (f"{name}_app", f"{name}_auditor", f"{name}_owner"):
            if conn.execute("SELECT 1 FROM pg_roles WHERE rolname = %s", (role,)).fetchone():
                conn.execute(f'REASSIGN OWNED BY "{role}" TO CURRENT_USER')
                conn.execute(f'DROP OWNED BY "{role}"')
                conn.execute(f'DROP ROLE "{role}"')


@pytest.mark.parametrize("location", ["postgres"], indirect=True)
def test_the_application_role_cannot_change_history_yet_registers_and_erases(
    location: StoreLocation, panel: Any, prefix: str
) -> None:
    panel("init")
    ran = panel("admin", "roles", "--prefix", prefix)
    assert ran.out.splitlines()[0] == (
        f"{prefix}_owner: owns the tables: `panel init`, `panel projections rebuild`, maintenance (created)"
    )
    as_app = {"PANEL_DATABASE_URL": _as(location.target, f"{prefix}_app")}
    for ref, name in (("R-1", "Ro Le"), ("R-2", "Ann Other")):
        panel(*register(ref, name), env=as_app)
    panel("participant", "erase", "R-1", "--reason", "asked", env=as_app)
    assert "«erased»" in panel("participant", "list", env=as_app).out
    events, chain = tables(location)
    with connect(location, f"{prefix}_app") as conn:
        conn.execute("SET panel.maintenance = 'on'")  # the switch does not give back a privilege it lacks
        for statement in edits(location):
            assert "permission denied" in refused(conn, statement), statement
        assert conn.execute(f'SELECT count(*) FROM "{location.schema}".participant_keys').fetchone()[0] == 1
    ran = panel("init", env=as_app, code=1)
    assert ran.err.count("\n") == 1 and "run them as the role that owns the tables" in ran.err

    as_auditor = {"PANEL_DATABASE_URL": _as(location.target, f"{prefix}_auditor")}
    assert panel("audit", "verify", env=as_auditor).out.startswith("OK: ")
    with connect(location, f"{prefix}_auditor") as conn:
        for statement in (
            f'SELECT * FROM "{location.schema}".participant_keys',
            f"INSERT INTO {chain} (position, digest, hash) VALUES (999, '', '')",
            f"UPDATE {events} SET topic = 'x'",
        ):
            assert "permission denied" in refused(conn, statement), statement

    as_owner = {"PANEL_DATABASE_URL": _as(location.target, f"{prefix}_owner")}
    assert panel("init", env=as_owner).out.startswith("Store ready")
    panel("projections", "rebuild", env=as_owner)
    assert "Ann Other" in panel("participant", "list", env=as_app).out  # the rebuilt views are the app's too
    with connect(location, f"{prefix}_owner") as conn:  # the owner too is refused, unless it sets the switch
        assert REFUSED in refused(conn, f"DELETE FROM {events}")
    again = panel("admin", "roles", "--prefix", prefix).out.splitlines()
    assert [line.rsplit("(", 1)[-1] for line in again[:3]] == ["already there)"] * 3
    assert panel("audit", "verify").out.startswith("OK: ")
