"""The data keys in a database of their own (PANEL_KEYS_URL), wrapped by a master key, on SQLite and PostgreSQL.

Every store here keeps its keys apart: SQLite in a second file, PostgreSQL in a schema of the
`postgres` database (the events are in `test`). A dump of the events holds no data key, the keys
database holds none in clear, and a missing, wrong or unreadable master key is one line.
"""

from __future__ import annotations

import base64
import hashlib
import json
import subprocess
import sys
import uuid
from collections.abc import Iterator
from dataclasses import replace
from pathlib import Path
from uuid import UUID

import pytest

from panel.application import PanelApp
from panel.config import StoreLocation
from panel.domain.participant import Participant
from panel.store.wrapping import WRAPPED_SIZE, MasterKeyError
from tests.conftest import PG_URL

MASTER = base64.b64encode(hashlib.sha256(b"test master key").digest()).decode()
NEW = base64.b64encode(hashlib.sha256(b"test master key, rotated").digest()).decode()
OTHER = base64.b64encode(hashlib.sha256(b"somebody else's master key").digest()).decode()
KEYS_PG = PG_URL.rsplit("/", 1)[0] + "/postgres"  # another database than the events'
PLAIN = {"PANEL_KEYS_URL": "", "PANEL_MASTER_KEY": ""}  # the store as it was: keys with the events, not wrapped
REGISTER = ("participant", "register", "--channel", "online", "--ref")

KILL_AFTER_COMMIT = """
import json, os, signal, sys
from uuid import UUID
from panel.store.keys import KeyStore
from panel.application import PanelApp
from panel.participation import Participation

def die(*args, **kwargs):  # the process dies right after the erasure's transaction committed
    os.kill(os.getpid(), signal.SIGKILL)

KeyStore.destroy_keys = die
app = PanelApp(env=json.loads(sys.argv[1]))
Participation(app).erase(UUID(sys.argv[2]), "erasure request ER-1")
"""


@pytest.fixture
def location(location: StoreLocation, tmp_path: Path) -> Iterator[StoreLocation]:
    """This module's stores keep their data keys apart, wrapped by MASTER."""
    wrapped = {"master_key": MASTER, "master_key_from": "PANEL_MASTER_KEY"}
    if location.dialect == "sqlite":
        yield replace(location, keys_url=str(tmp_path / "keys.db"), **wrapped)
        return
    schema = f"k_{uuid.uuid4().hex[:12]}"
    try:
        yield replace(location, keys_url=f"{KEYS_PG}?schema={schema}", **wrapped)
    finally:
        import psycopg

        with psycopg.connect(KEYS_PG, autocommit=True) as conn:
            conn.execute(f'DROP SCHEMA IF EXISTS "{schema}" CASCADE')


def register(panel, *refs: str) -> None:  # type: ignore[no-untyped-def]
    for ref in refs:
        panel(*REGISTER, ref, "--name", f"Person {ref}", env=None)


def events_holding(location: StoreLocation, keys: dict[UUID, bytes]) -> list[str]:
    """Where any of ``keys`` appears in clear in the events' database: every byte of its SQLite files,
    every row of every table of its PostgreSQL schema."""
    if location.dialect == "sqlite":
        files = Path(location.target).parent.glob(Path(location.target).name + "*")
        return sorted(f"{p.name}: {pid}" for p in files for pid, key in keys.items() if key in p.read_bytes())
    import psycopg

    found = []
    with psycopg.connect(location.target, autocommit=True) as conn:
        tables = [
            r[0] for r in conn.execute("SELECT tablename FROM pg_tables WHERE schemaname = %s", (location.schema,))
        ]
        for table in tables:
            for (row,) in conn.execute(f'SELECT t::text FROM "{location.schema}"."{table}" t'):
                found += [f"{table}: {pid}" for pid, key in keys.items() if key.hex() in row]
    return sorted(found)


def keys_db_rows(location: StoreLocation) -> dict[str, bytes]:
    """The participant_keys rows of the keys' own database, as stored."""
    if location.dialect == "sqlite":
        import sqlite3

        with sqlite3.connect(location.keys_url) as conn:
            return {r[0]: bytes(r[1]) for r in conn.execute("SELECT participant_id, data_key FROM participant_keys")}
    import psycopg

    schema = location.keys_url.rsplit("=", 1)[1]
    with psycopg.connect(KEYS_PG, autocommit=True) as conn:
        rows = conn.execute(f'SELECT participant_id, data_key FROM "{schema}".participant_keys').fetchall()
    return {r[0]: bytes(r[1]) for r in rows}


def keys_db_bytes(location: StoreLocation) -> bytes:
    """Everything the keys' database holds: its files (SQLite), or its rows as text (PostgreSQL)."""
    if location.dialect == "sqlite":
        return b"".join(p.read_bytes() for p in Path(location.keys_url).parent.glob("keys.db*"))
    return repr(keys_db_rows(location)).encode() + "".join(v.hex() for v in keys_db_rows(location).values()).encode()


def plain_app(location: StoreLocation) -> PanelApp:
    return PanelApp(env={**replace(location, keys_url="", master_key="").env(), "CREATE_TABLE": "no"})


def test_moving_the_keys_out_leaves_the_events_without_any(panel, location: StoreLocation) -> None:  # type: ignore[no-untyped-def]
    panel("init", env=PLAIN)
    for ref in ("KA-1", "KA-2"):
        panel(*REGISTER, ref, "--name", f"Person {ref}", env=PLAIN)
    before = plain_app(location)
    pids = [before.participant_id_for(ref) for ref in ("KA-1", "KA-2")]
    keys = before.keys.get_keys(pids)
    before.close()
    assert len(keys) == 2 and len(events_holding(location, keys)) >= 2, "the check cannot see keys kept in clear"
    out = panel("init").out
    assert "Moved 2 data keys to PANEL_KEYS_URL" in out and "Wrapped 2 data keys with the master key" in out
    assert events_holding(location, keys) == []
    stored = keys_db_rows(location)
    assert sorted(stored) == sorted(pid.hex for pid in pids)
    assert all(len(v) == WRAPPED_SIZE for v in stored.values())
    assert not any(
        key in keys_db_bytes(location) or key.hex().encode() in keys_db_bytes(location) for key in keys.values()
    )
    assert "Person KA-1" in panel("participant", "show", "KA-1").out
    again = panel("init").out
    assert "Moved" not in again and "Wrapped" not in again
    err = panel("participant", "list", env=PLAIN, code=1).err
    assert err.count("Error:") == 1 and "PANEL_KEYS_URL is not set" in err


def test_sign_up_show_and_erasure_with_the_keys_apart(app: PanelApp, panel, location: StoreLocation) -> None:  # type: ignore[no-untyped-def]
    panel(*REGISTER, "KB-1", "--name", "Ada Quill")
    panel(*REGISTER, "KB-2", "--name", "Bo Quill")
    pid = app.participant_id_for("KB-1")
    keys = app.keys.get_keys([pid, app.participant_id_for("KB-2")])
    assert len(keys) == 2 and pid.hex in keys_db_rows(location)
    assert events_holding(location, keys) == []
    assert "Ada Quill" in panel("participant", "show", "KB-1").out
    panel("participant", "erase", "KB-1", "--reason", "erasure request ER-1")
    assert pid.hex not in keys_db_rows(location) and len(keys_db_rows(location)) == 1
    shown = panel("participant", "show", "KB-1").out
    assert "Ada Quill" not in shown and "erased" in shown
    assert "Bo Quill" in panel("participant", "show", "KB-2").out


def test_an_auditor_checks_the_chain_without_the_keys(app: PanelApp, panel, location: StoreLocation) -> None:  # type: ignore[no-untyped-def]
    panel(*REGISTER, "KC-1", "--name", "Cy Lowe")
    closed = {"PANEL_KEYS_URL": "none", "PANEL_MASTER_KEY": ""}  # as the auditor role runs: no keys database
    assert panel("audit", "verify", env=closed).out.startswith("OK: ")
    before = app.recorder.max_notification_id()
    for args in (
        ("participant", "show", "KC-1"),
        ("participant", "list"),
        (*REGISTER, "KC-2", "--name", "Dee Moss"),
        ("participant", "erase", "KC-1", "--reason", "asked", "--by", "dpo"),
    ):
        err = panel(*args, env=closed, code=1).err
        assert err.count("\n") == 1 and "PANEL_KEYS_URL is 'none'" in err, (args, err)
    assert app.recorder.max_notification_id() == before  # nothing written, not even an access record
    err = panel("init", env=closed, code=1).err
    assert err.count("\n") == 1 and "`panel init` needs the keys database" in err
    assert "Cy Lowe" in panel("participant", "show", "KC-1").out


def test_a_kill_between_the_two_databases_leaves_a_key_that_init_destroys(  # type: ignore[no-untyped-def]
    app: PanelApp, panel, location: StoreLocation
) -> None:
    """The erasure commits its event first, then deletes the key in the keys' database: a kill between the two
    leaves the person erased with a key behind, which a retry or `panel init` destroys (docs/store.md)."""
    panel(*REGISTER, "KC-1", "--name", "Cy Quill")
    pid = app.participant_id_for("KC-1")
    env = {**location.env(), "CREATE_TABLE": "no"}
    done = subprocess.run(
        [sys.executable, "-c", KILL_AFTER_COMMIT, json.dumps(env), str(pid)], check=False, timeout=120
    )
    assert done.returncode == -9
    assert app.load(pid, Participant).is_erased
    assert pid.hex in keys_db_rows(location)
    assert "Cy Quill" not in panel("participant", "show", "KC-1").out  # erased people are never unsealed
    assert "Finished 1 interrupted erasure(s)" in panel("init").out
    assert pid.hex not in keys_db_rows(location)


def test_a_missing_wrong_or_unreadable_master_key_is_one_line(app: PanelApp, panel, tmp_path: Path) -> None:  # type: ignore[no-untyped-def]
    panel(*REGISTER, "KD-1", "--name", "Di Quill")
    key_file = tmp_path / "master.key"
    key_file.write_text(MASTER + "\n")
    key_file.chmod(0o644)
    cases = [
        ({"PANEL_MASTER_KEY": ""}, "are wrapped by a master key: set PANEL_MASTER_KEY or PANEL_MASTER_KEY_FILE"),
        ({"PANEL_MASTER_KEY": OTHER}, "the master key in PANEL_MASTER_KEY does not open the data keys"),
        ({"PANEL_MASTER_KEY": "0123"}, "PANEL_MASTER_KEY is not a 256-bit key"),
        ({"PANEL_MASTER_KEY_FILE": str(key_file)}, "both PANEL_MASTER_KEY and PANEL_MASTER_KEY_FILE are set"),
        ({"PANEL_MASTER_KEY": "", "PANEL_MASTER_KEY_FILE": str(key_file)}, "can be read by every user (mode 644)"),
        (
            {"PANEL_MASTER_KEY": "", "PANEL_MASTER_KEY_FILE": str(tmp_path / "nope")},
            "cannot read PANEL_MASTER_KEY_FILE",
        ),
        ({"PANEL_KEYS_URL": ""}, "PANEL_KEYS_URL is not set"),
        ({"PANEL_KEYS_URL": str(tmp_path / "other.db")}, "no data keys at PANEL_KEYS_URL"),
    ]
    for env, fragment in cases:
        for args in (("participant", "show", "KD-1"), ("serve", "--port", "8765")):
            err = panel(*args, code=1, env=env).err
            assert err.count("Error:") == 1 and fragment in err, (env, args, err)
    key_file.chmod(0o600)
    assert (
        "Di Quill"
        in panel(
            "participant", "show", "KD-1", env={"PANEL_MASTER_KEY": "", "PANEL_MASTER_KEY_FILE": str(key_file)}
        ).out
    )


def test_rotation_re_wraps_every_key_and_retires_the_old_master_key(  # type: ignore[no-untyped-def]
    app: PanelApp, panel, location: StoreLocation, tmp_path: Path
) -> None:
    panel(*REGISTER, "KE-1", "--name", "Eve Quill")
    panel(*REGISTER, "KE-2", "--name", "Fay Quill")
    before = keys_db_rows(location)
    refused = panel("admin", "rotate-master-key", code=1, env={"PANEL_MASTER_KEY": OTHER, "PANEL_NEW_MASTER_KEY": NEW})
    assert "does not open the data keys" in refused.err and keys_db_rows(location) == before
    same = panel("admin", "rotate-master-key", code=1, env={"PANEL_NEW_MASTER_KEY": MASTER})
    assert "the new master key is the one in PANEL_MASTER_KEY" in same.err
    new_file = tmp_path / "new.key"
    new_file.write_text(NEW)
    new_file.chmod(0o600)
    out = panel("admin", "rotate-master-key", "--new-key-file", str(new_file)).out
    assert out.startswith("Re-wrapped 2 data keys under the new master key"), out
    after = keys_db_rows(location)
    assert sorted(after) == sorted(before) and all(after[p] != before[p] for p in before)
    assert "does not open the data keys" in panel("participant", "show", "KE-1", code=1).err
    assert "Eve Quill" in panel("participant", "show", "KE-1", env={"PANEL_MASTER_KEY": NEW}).out
    with pytest.raises(MasterKeyError, match="was rotated"):  # a process still running with the old key
        app.keys.ensure_keys([uuid.uuid4()])
    with pytest.raises(MasterKeyError, match="another master key"):
        app.keys.get_keys([app.participant_id_for("KE-1")])


def test_init_wraps_the_keys_kept_with_the_events(panel, location: StoreLocation) -> None:  # type: ignore[no-untyped-def]
    here = {"PANEL_KEYS_URL": ""}
    panel("init", env=PLAIN)
    panel(*REGISTER, "KF-1", "--name", "Gil Quill", env=PLAIN)
    app = plain_app(location)
    keys = app.keys.get_keys([app.participant_id_for("KF-1")])
    app.close()
    assert events_holding(location, keys), "the check cannot see a key kept in clear"
    refused = panel("participant", "show", "KF-1", code=1, env=here).err
    assert "PANEL_MASTER_KEY is set but the data keys in the store's own database are not wrapped yet" in refused
    assert "Wrapped 1 data keys with the master key" in panel("init", env=here).out
    assert events_holding(location, keys) == []
    assert "Gil Quill" in panel("participant", "show", "KF-1", env=here).out
    assert "are wrapped by a master key" in panel("participant", "show", "KF-1", code=1, env=PLAIN).err
