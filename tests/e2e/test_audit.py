"""The hash chain over the stored events and `panel audit verify`, on SQLite and PostgreSQL.

Sign-ups recorded one by one and by the bulk import (worker processes) are chained as written; the
head `verify` reports is recomputed here from the raw tables by the documented formula; each kind of
tampering (a changed byte, a deleted event, a forged event, two events swapped) is found at its
first position; an erasure keeps the chain valid; `panel init` chains an older store's log once.
"""

from __future__ import annotations

import json
from datetime import datetime
from typing import Any

import pytest

from panel.application import PanelApp
from panel.config import SCHEMA_VERSION_SETTING, StoreLocation
from panel.participation import Participation
from panel.registration import Registration
from tests.helpers.chain_case import expected_head, populate, signup
from tests.helpers.tamper import delete, flip_byte, insert_forged, swap


def verify_json(panel: Any, *args: str, code: int = 0) -> dict[str, Any]:
    ran = panel("audit", "verify", "--json", *args, code=code)
    return json.loads(ran.out)


def test_one_by_one_and_bulk_sign_ups_are_chained_as_written(app: PanelApp, location: StoreLocation, panel) -> None:  # type: ignore[no-untyped-def]
    last = populate(app)
    head = expected_head(location)
    assert head[0] == last
    report = verify_json(panel)
    assert (report["ok"], report["checked"], report["head_position"], report["head_hash"]) == (True, last, *head)
    ran = panel("audit", "verify")
    assert ran.out == f"OK: {last} event(s) verified from position 1; head position {last} sha256 {head[1]}\n"


@pytest.mark.parametrize("kind", ["changed", "missing", "inserted", "reordered"])
def test_each_kind_of_tampering_is_found_at_its_first_position(
    app: PanelApp, location: StoreLocation, panel, kind: str
) -> None:  # type: ignore[no-untyped-def]
    last = populate(app)
    bad = last // 2
    edit = {
        "changed": lambda: flip_byte(location, bad, guarded=True),
        "missing": lambda: delete(location, bad, guarded=True),
    }
    edit["reordered"] = lambda: swap(location, bad, bad + 7, guarded=True)
    if kind in edit:  # as anyone but an attacker with the owner's rights: refused outright by the database
        with pytest.raises(Exception, match="the event history is append-only"):
            edit[kind]()
    if kind == "changed":
        flip_byte(location, bad)
    elif kind == "missing":
        delete(location, bad)
    elif kind == "inserted":
        bad = insert_forged(location, like=3)
        assert bad == last + 1
    else:
        swap(location, bad, bad + 7)
    ran = panel("audit", "verify", code=1)
    assert ran.out == ""
    assert ran.err.startswith(f"Error: chain broken at position {bad}: {kind}: "), ran.err
    assert ran.err.count("\n") == 1 and f"({bad - 1} event(s) verified from position 1 before it)" in ran.err
    report = verify_json(panel, code=1)
    assert (report["ok"], report["position"], report["kind"], report["checked"]) == (False, bad, kind, bad - 1)
    if kind == "reordered":
        assert report["detail"] == f"this event was chained at position {bad + 7}"


def test_verify_from_a_position_trusts_the_chain_before_it(app: PanelApp, location: StoreLocation, panel) -> None:  # type: ignore[no-untyped-def]
    last = populate(app)
    head = expected_head(location)
    flip_byte(location, 5, index=0)
    assert verify_json(panel, code=1)["position"] == 5
    after = verify_json(panel, "--from", "6")
    assert (after["ok"], after["start"], after["checked"], after["head_position"]) == (True, 6, last - 5, last)
    assert after["head_hash"] == head[1]  # as written: the chain rows were never touched
    beyond = panel("audit", "verify", "--from", str(last + 5), code=1)
    assert beyond.err == (
        f"Error: --from {last + 5} is after the last position in the store ({last}): use a position from 1 to {last}\n"
    )


def test_an_erasure_keeps_the_chain_valid(app: PanelApp, location: StoreLocation, panel) -> None:  # type: ignore[no-untyped-def]
    last = populate(app)
    pid = app.resolve_participant("web:O-2")
    assert Participation(app).erase(pid, "erasure request ER-7")
    assert app.keys.get_keys([pid]) == {}  # the key is gone: the sealed bytes in the chain are noise now
    report = verify_json(panel)
    assert (report["ok"], report["checked"]) == (True, last + 1)
    assert (report["head_position"], report["head_hash"]) == expected_head(location)


def test_init_chains_the_log_of_an_older_store_once(app: PanelApp, location: StoreLocation, panel) -> None:  # type: ignore[no-untyped-def]
    last = populate(app)
    chain: str = app.recorder.chain_ref  # type: ignore[attr-defined]
    with app.recorder.datastore.transaction(commit=True) as c:  # type: ignore[attr-defined]
        c.execute(f"DROP TABLE {chain}")  # the store as schema version 1 left it
    app.keys.put_setting(SCHEMA_VERSION_SETTING, b"1")
    refused = panel("audit", "verify", code=1)
    assert "has schema version 1; this panel needs 2: run `panel init` to upgrade it" in refused.err

    upgraded = panel("init")
    assert f"Chained the {last} events already stored (done once)" in upgraded.out, upgraded.out
    report = verify_json(panel)
    assert (report["ok"], report["checked"], report["head_position"], report["head_hash"]) == (
        True,
        last,
        *expected_head(location),
    )
    chained, up_to, when = report["upgraded"].split(" ")
    assert (chained, up_to) == (str(last), str(last)) and datetime.fromisoformat(when).tzinfo is not None
    assert "positions up to" in panel("audit", "verify").out
    assert "Chained" not in panel("init").out  # again: nothing is chained twice, the upgrade's record stays
    assert verify_json(panel)["upgraded"] == report["upgraded"]
    Registration(app).register(signup("N-1"))  # and new events follow on from the upgraded chain
    now_last = app.recorder.max_notification_id()
    assert now_last > last and verify_json(panel)["checked"] == now_last
