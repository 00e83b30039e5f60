"""Signed checkpoints: `panel audit checkpoint`, `panel audit public-key`, `panel audit verify --checkpoint`.

A genuine checkpoint verifies against the store's key and against the published key; one changed
field fails its signature; a history rewritten before the checkpoint with the whole chain recomputed
passes plain `verify` but not `verify --checkpoint`; another store's checkpoint fails; a broken or
empty store gets no checkpoint; bad files and keys give one line and exit 1. SQLite and PostgreSQL.
"""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

import pytest
from cryptography.hazmat.primitives.asymmetric.ed25519 import Ed25519PrivateKey

from cli.wiring import Wiring
from panel.application import PanelApp
from panel.checkpoints import Checkpoint
from panel.config import StoreLocation
from panel.registration import Registration
from tests.helpers.chain_case import expected_head, populate, signup
from tests.helpers.tamper import flip_byte, recompute_chain


def make_checkpoint(panel: Any, path: Path) -> dict[str, Any]:
    ran = panel("audit", "checkpoint", "--output", str(path))
    assert ran.out.startswith("Checkpoint of position ") and ran.out.endswith(f" written to {path}\n"), ran.out
    document: dict[str, Any] = json.loads(path.read_text())
    return document


def check(panel: Any, path: Path, *args: str, code: int = 0) -> dict[str, Any]:
    ran = panel("audit", "verify", "--checkpoint", str(path), "--json", *args, code=code)
    report: dict[str, Any] = json.loads(ran.out)
    return report


def test_a_checkpoint_of_the_head_verifies_by_the_store_key_and_the_published_key(
    app: PanelApp, location: StoreLocation, panel: Any, tmp_path: Path
) -> None:
    last = populate(app)
    key = panel("audit", "public-key").out.strip()
    assert len(key) == 64 and json.loads(panel("audit", "public-key", "--json").out)["public_key"] == key
    document = make_checkpoint(panel, tmp_path / "cp.json")
    assert list(document) == ["format", "position", "chain_hash", "time", "public_key", "signature"]
    assert (document["position"], document["chain_hash"]) == expected_head(location)
    assert document["public_key"] == key and document["time"].endswith("Z") and len(document["signature"]) == 128
    assert json.loads(panel("audit", "checkpoint").out)["position"] == last  # to stdout, pure JSON

    Registration(app).register(signup("N-1"))  # history goes on after the checkpoint
    now_last = app.recorder.max_notification_id()
    assert now_last > last
    ran = panel("audit", "verify", "--checkpoint", str(tmp_path / "cp.json"))
    lines = ran.out.splitlines()
    assert lines[0] == (
        f"OK: checkpoint of {document['time']} signed by the store key ({key}); "
        f"position {last} still has its chain hash {document['chain_hash']}"
    )
    assert lines[1].startswith(f"OK: {now_last} event(s) verified from position 1; head position {now_last} ")
    report = check(panel, tmp_path / "cp.json", "--public-key", key.upper())
    assert (report["ok"], report["trusted"], report["failures"]) == (True, "published key", [])
    assert (report["key_ok"], report["signature_ok"], report["hash_ok"]) == (True, True, True)
    assert report["chain"]["head_position"] == now_last


@pytest.mark.parametrize(
    ("field", "change"),
    [
        ("position", lambda v: v - 1),
        ("chain_hash", lambda v: ("0" if v[0] != "0" else "1") + v[1:]),
        ("time", lambda v: v.replace(v[3], str((int(v[3]) + 1) % 10), 1)),
        ("signature", lambda v: v[:-1] + ("0" if v[-1] != "0" else "1")),
    ],
)
def test_one_changed_field_fails_the_signature(
    app: PanelApp, panel: Any, tmp_path: Path, field: str, change: Any
) -> None:
    populate(app)
    document = make_checkpoint(panel, tmp_path / "cp.json")
    document[field] = change(document[field])
    (tmp_path / "bad.json").write_text(json.dumps(document))
    report = check(panel, tmp_path / "bad.json", code=1)
    assert (report["ok"], report["key_ok"], report["signature_ok"]) == (False, True, False)
    assert report["failures"][0] == (
        "the checkpoint's signature does not match its content: the file was changed after signing"
    )
    ran = panel("audit", "verify", "--checkpoint", str(tmp_path / "bad.json"), code=1)
    assert ran.out == "" and all(line.startswith("Error: ") for line in ran.err.splitlines())
    assert len(ran.err.splitlines()) == len(report["failures"])


def test_a_history_rewritten_before_the_checkpoint_with_the_chain_recomputed_is_caught(
    app: PanelApp, location: StoreLocation, panel: Any, tmp_path: Path
) -> None:
    last = populate(app)
    make_checkpoint(panel, tmp_path / "cp.json")
    key = panel("audit", "public-key").out.strip()
    flip_byte(location, 5)
    assert "chain broken at position 5: changed" in panel("audit", "verify", code=1).err
    recompute_chain(location)  # the attacker covers their tracks: every chain row consistent again
    assert panel("audit", "verify").out.startswith(f"OK: {last} event(s) verified from position 1;")

    ran = panel("audit", "verify", "--checkpoint", str(tmp_path / "cp.json"), "--public-key", key, code=1)
    assert ran.out == ""
    assert ran.err == (
        f"Error: the chain hash at position {last} is not the checkpoint's: history at or before position {last} "
        f"was rewritten after the checkpoint of {json.loads((tmp_path / 'cp.json').read_text())['time']} "
        "(even if the chain was recomputed to match)\n"
    )
    report = check(panel, tmp_path / "cp.json", code=1)
    assert (report["key_ok"], report["signature_ok"], report["hash_ok"], report["chain"]["ok"]) == (
        True,
        True,
        False,
        True,
    )


def test_events_removed_from_the_end_with_their_chain_rows_are_caught(
    app: PanelApp, location: StoreLocation, panel: Any, tmp_path: Path
) -> None:
    last = populate(app)
    make_checkpoint(panel, tmp_path / "cp.json")
    from tests.helpers.tamper import _db

    with _db(location) as (conn, table, pos, p):
        conn.execute(f"DELETE FROM {table} WHERE {pos} = {p}", (last,))
        conn.execute(f"DELETE FROM {table}_chain WHERE position = {p}", (last,))
    assert panel("audit", "verify").out.startswith(f"OK: {last - 1} event(s)")
    ran = panel("audit", "verify", "--checkpoint", str(tmp_path / "cp.json"), code=1)
    assert ran.err == (
        f"Error: the store has no chain row at the checkpoint's position {last}: events at or before it were "
        "removed (or this is another store)\n"
    )


def test_a_checkpoint_of_another_store_fails(
    app: PanelApp, location: StoreLocation, panel: Any, tmp_path: Path
) -> None:
    populate(app)
    other = Wiring(StoreLocation.sqlite(str(tmp_path / "other.db"))).create_store().app
    try:
        Registration(other).register(signup("X-1"))
        from panel.checkpoints import make, public_key_hex
        from panel.clock import now

        theirs, their_key = make(other, now()), public_key_hex(other)
    finally:
        other.close()
    (tmp_path / "theirs.json").write_text(json.dumps(theirs.document()))
    report = check(panel, tmp_path / "theirs.json", code=1)
    assert (report["trusted"], report["key_ok"], report["signature_ok"], report["hash_ok"]) == (
        "store key",
        False,
        True,
        False,
    )
    assert report["failures"][0].endswith("not this store's key (" + report["failures"][0].split("(")[-1])
    assert "a checkpoint of another store, or a forged one" in report["failures"][0]
    published = check(panel, tmp_path / "theirs.json", "--public-key", their_key, code=1)
    assert (published["key_ok"], published["signature_ok"], published["hash_ok"]) == (True, True, False)

    # a checkpoint of this store's head, correctly signed, but by a key that is not this store's
    ours = make_checkpoint(panel, tmp_path / "cp.json")
    forger = Ed25519PrivateKey.generate()
    from cryptography.hazmat.primitives.serialization import Encoding, PublicFormat

    raw = forger.public_key().public_bytes(Encoding.Raw, PublicFormat.Raw).hex()
    forged = Checkpoint(ours["position"], ours["chain_hash"], ours["time"], raw)
    signed = {**forged.document(), "signature": forger.sign(forged.message()).hex()}
    (tmp_path / "forged.json").write_text(json.dumps(signed))
    forged_report = check(panel, tmp_path / "forged.json", code=1)
    assert (forged_report["key_ok"], forged_report["signature_ok"], forged_report["hash_ok"]) == (False, True, True)
    key = panel("audit", "public-key").out.strip()
    ran = panel("audit", "verify", "--checkpoint", str(tmp_path / "forged.json"), "--public-key", key, code=1)
    assert (
        ran.err
        == f"Error: the checkpoint was signed by key {raw[:16]}..., not the published key given ({key[:16]}...)\n"
    )


def test_no_checkpoint_of_an_empty_or_broken_store(
    app: PanelApp, location: StoreLocation, panel: Any, tmp_path: Path
) -> None:
    ran = panel("audit", "checkpoint", code=1)
    assert ran.err == "Error: the store holds no events yet: there is nothing to checkpoint\n"
    populate(app)
    flip_byte(location, 3)
    ran = panel("audit", "checkpoint", "--output", str(tmp_path / "cp.json"), code=1)
    assert ran.err.startswith("Error: chain broken at position 3: changed: no checkpoint is signed over a broken chain")
    assert not (tmp_path / "cp.json").exists()


BAD_FILES = {
    "not JSON": (b"position: 4\n", "is not a checkpoint: not JSON"),
    "a list": (b"[1, 2]", "is not a checkpoint: a JSON object with format, position"),
    "fields missing": (b'{"format": "panel-checkpoint/1", "position": 3}', "it lacks chain_hash, time, public_key"),
    "binary": (b"\xff\xfe\x00garbage", "is not UTF-8 text"),
    "huge": (b"{" + b" " * 20_000 + b"}", "far more than one holds"),
    "nested": (b"[" * 5000 + b"]" * 5000, "JSON nested far too deep"),
}


@pytest.mark.parametrize("case", sorted(BAD_FILES))
def test_a_bad_checkpoint_file_gives_one_line(app: PanelApp, panel: Any, tmp_path: Path, case: str) -> None:
    populate(app)
    content, message = BAD_FILES[case]
    (tmp_path / "bad.json").write_bytes(content)
    for extra in ((), ("--json",)):
        ran = panel("audit", "verify", "--checkpoint", str(tmp_path / "bad.json"), *extra, code=1)
        assert ran.out == "" and ran.err.count("\n") == 1 and ran.err.startswith("Error: "), ran.err
        assert message in ran.err, ran.err


def test_bad_field_values_missing_files_and_keys_give_one_line(app: PanelApp, panel: Any, tmp_path: Path) -> None:
    populate(app)
    good = make_checkpoint(panel, tmp_path / "cp.json")
    for field, value, message in (
        ("position", "12", "position must be a whole number from 1"),
        ("position", 0, "position must be a whole number from 1"),
        ("chain_hash", "zz" * 32, "chain_hash must be 64 hex digits"),
        ("signature", "ab", "signature must be 128 hex digits"),
        ("time", "yesterday", "time must be a UTC time"),
        ("format", "other/9", "is not 'panel-checkpoint/1'"),
    ):
        (tmp_path / "bad.json").write_text(json.dumps({**good, field: value}))
        ran = panel("audit", "verify", "--checkpoint", str(tmp_path / "bad.json"), code=1)
        assert ran.err.count("\n") == 1 and message in ran.err, (field, ran.err)
    for args, message in (
        (("--checkpoint", str(tmp_path / "none.json")), "checkpoint file"),
        (("--checkpoint", str(tmp_path)), "is a folder"),
        (("--checkpoint", str(tmp_path / "cp.json"), "--public-key", "abc"), "is not a public key"),
        (("--public-key", good["public_key"]), "give the checkpoint too (--checkpoint FILE)"),
    ):
        ran = panel("audit", "verify", *args, code=1)
        assert ran.out == "" and ran.err.count("\n") == 1 and message in ran.err, (args, ran.err)
    ran = panel("audit", "checkpoint", "--output", str(tmp_path / "cp.json"), code=1)
    assert (
        ran.err
        == f"Error: {tmp_path / 'cp.json'} already exists: choose another file (a checkpoint is never overwritten)\n"
    )
    assert json.loads((tmp_path / "cp.json").read_text()) == good


def test_init_gives_an_older_store_a_signing_key_once(app: PanelApp, location: StoreLocation, panel: Any) -> None:
    populate(app)
    with app.recorder.datastore.transaction(commit=True) as c:  # type: ignore[attr-defined]
        c.execute(f"DELETE FROM {app.keys.settings_table} WHERE name = 'audit_signing'")
    ran = panel("audit", "checkpoint", code=1)
    assert ran.err == (
        "Error: the store has no checkpoint signing key (it was made before signed checkpoints): "
        "run `panel init` to add one\n"
    )
    panel("init")
    key = panel("audit", "public-key").out
    panel("init")
    assert panel("audit", "public-key").out == key and len(key.strip()) == 64
