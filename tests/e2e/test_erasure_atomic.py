"""Erasure is one transaction: the Erased event and the deletion of the data key commit together.

A process killed just after the erasure commits leaves no key behind; a failure inside the
transaction leaves neither; an erasure left half-done by an older version is finished by a retry
and by `panel init`; and the read models' old row versions are cleaned in the erasure's wake.
"""

from __future__ import annotations

import contextlib
import json
import subprocess
import sys
from datetime import UTC, datetime
from pathlib import Path
from typing import Any
from uuid import UUID

import pytest

from panel.application import PanelApp
from panel.config import StoreLocation
from panel.domain.participant import Participant
from panel.participation import Participation
from panel.queries import Queries
from panel.registration import Registration
from panel.store.keys import KeyStore
from panel.validation import ConsentSpec, SignUp

T0 = datetime(2026, 1, 10, 9, tzinfo=UTC)
NEEDLE = "zq-secret-gender-77"

KILL_AFTER_COMMIT = """
import json, os, signal, sys
from uuid import UUID
from panel.store.keys import KeyStore
from panel.application import PanelApp
from panel.domain.participant import Participant
from panel.participation import Participation
from panel.queries import Queries
from panel.registration import Registration

def die(*args, **kwargs):  # the process dies right after the erasure's transaction committed
    os.kill(os.getpid(), signal.SIGKILL)

KeyStore.destroy_keys = die
KeyStore.destroy_key = die
app = PanelApp(env=json.loads(sys.argv[1]))
Participation(app).erase(UUID(sys.argv[2]), "erasure request ER-1")
"""


def register(app: PanelApp, ref: str) -> UUID:
    consents = (ConsentSpec("contact", "v1", "online", "self", T0),)
    return Registration(app).register(
        SignUp(
            ref=ref,
            channel="online",
            personal={"name": "Zed Quill"},
            attributes={"gender": NEEDLE},
            consents=consents,
            at=T0,
        )
    )


def half_erased(app: PanelApp, pid: UUID) -> None:
    """What the erasure of an older version left when killed between its two steps: the event, and the key."""
    person = app.load(pid, Participant)
    person.erase(reason="erasure request ER-0", at=T0)
    app.save(person)


def test_a_kill_right_after_the_erasure_commits_leaves_no_key(app: PanelApp, location: StoreLocation) -> None:
    pid = register(app, "K-1")
    env = {**location.env(), "CREATE_TABLE": "no"}
    done = subprocess.run(
        [sys.executable, "-c", KILL_AFTER_COMMIT, json.dumps(env), str(pid)], check=False, timeout=120
    )
    assert done.returncode == -9  # killed, as planned
    assert app.load(pid, Participant).is_erased
    assert app.keys.get_keys([pid]) == {}, "the erasure committed but the key survived"


def test_a_failure_inside_the_erasure_leaves_neither(
    app: PanelApp, location: StoreLocation, monkeypatch: pytest.MonkeyPatch
) -> None:
    pid = register(app, "K-2")
    real = KeyStore.deleting

    def deleting_then_failing(self: KeyStore, ids: Any) -> Any:
        delete = real(self, ids)

        def run(cursor: Any) -> None:
            delete(cursor)
            raise RuntimeError("the disk filled up")

        return run

    monkeypatch.setattr(KeyStore, "deleting", deleting_then_failing, raising=False)
    with pytest.raises(RuntimeError, match="disk"):
        Participation(app).erase(pid, "erasure request ER-2")
    monkeypatch.undo()
    assert not app.load(pid, Participant).is_erased
    assert app.keys.get_keys([pid]), "the key was deleted although the erasure was not recorded"
    assert Queries(app).participant(pid).personal.name == "Zed Quill"


def test_a_retry_finishes_an_interrupted_erasure(app: PanelApp, panel) -> None:  # type: ignore[no-untyped-def]
    pid = register(app, "K-3")
    half_erased(app, pid)
    out = panel("participant", "erase", "K-3", "--reason", "erasure request ER-3").out
    assert out.startswith("Finished the erasure of K-3"), out
    assert app.keys.get_keys([pid]) == {}
    err = panel("participant", "erase", "K-3", "--reason", "again", code=1).err
    assert "was erased on" in err  # nothing left to do


def test_init_finishes_every_interrupted_erasure(app: PanelApp, panel) -> None:  # type: ignore[no-untyped-def]
    pids = [register(app, f"K-{n}") for n in (4, 5, 6)]
    for pid in pids[:2]:
        half_erased(app, pid)
    assert "Finished 2 interrupted erasure(s)" in panel("init").out
    assert app.keys.get_keys(pids) == {pids[2]: app.keys.get_keys([pids[2]])[pids[2]]}


def test_the_views_keep_no_old_copy_of_an_erased_persons_data(app: PanelApp, location: StoreLocation, panel) -> None:  # type: ignore[no-untyped-def]
    register(app, "ZQ-REF-77")
    panel("reach", "--by", "gender")  # the views now hold the attribute and the reference
    panel("fatigue")
    assert _view_bytes_containing(location, NEEDLE), "the check cannot see the views' rows"
    panel("participant", "erase", "ZQ-REF-77", "--reason", "erasure request ER-9")
    assert _view_bytes_containing(location, NEEDLE) == []
    if location.dialect == "postgres":  # on SQLite the events, in the same file, keep the reference (not personal)
        assert _view_bytes_containing(location, "ZQ-REF-77") == []


def _view_bytes_containing(location: StoreLocation, needle: str) -> list[str]:
    """Where ``needle`` still appears in the views' storage, old row versions included."""
    if location.dialect == "sqlite":  # the whole file and its logs: the events hold the attribute only sealed
        files = Path(location.target).parent.glob(Path(location.target).name + "*")
        return [p.name for p in files if needle.encode() in p.read_bytes()]
    import psycopg

    from tests.conftest import _pg_connect

    with _pg_connect() as conn:
        with contextlib.suppress(psycopg.errors.UniqueViolation):  # another test created it at the same moment
            conn.execute("CREATE EXTENSION IF NOT EXISTS pageinspect")
        tables = [
            r[0]
            for r in conn.execute(
                "SELECT tablename FROM pg_tables WHERE schemaname = %s AND tablename LIKE '%%_view'", (location.schema,)
            )
        ]
        found = []
        for table in tables:
            name = f'"{location.schema}"."{table}"'
            pages = conn.execute("SELECT pg_relation_size(%s::regclass) / 8192", (name,)).fetchone()[0]
            for page in range(pages):
                raw = conn.execute("SELECT get_raw_page(%s, %s)", (name, page)).fetchone()[0]
                if needle.encode() in bytes(raw):
                    found.append(f"{table} page {page}")
        return found
