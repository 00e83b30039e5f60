"""The master key: how it is written, how it wraps a data key, and what it refuses."""

from __future__ import annotations

import base64
import os
from pathlib import Path
from uuid import uuid4

import pytest

from panel.store.wrapping import WRAPPED_SIZE, MasterKey, MasterKeyError, parse_master_key, read_master_key_file

RAW = bytes(range(32))


def test_a_master_key_is_32_bytes_in_base64_or_hex() -> None:
    assert parse_master_key(base64.b64encode(RAW).decode(), "PANEL_MASTER_KEY") == RAW
    assert parse_master_key(RAW.hex().upper() + "\n", "PANEL_MASTER_KEY") == RAW
    for bad in ("", "not a key", base64.b64encode(RAW[:16]).decode(), RAW.hex()[:-1]):
        with pytest.raises(MasterKeyError, match="^PANEL_MASTER_KEY is not a 256-bit key"):
            parse_master_key(bad, "PANEL_MASTER_KEY")


def test_a_wrapped_key_opens_only_for_its_own_participant_and_master_key() -> None:
    master, data_key, pid = MasterKey(RAW), os.urandom(32), uuid4().hex
    stored = master.wrap(pid, data_key)
    assert len(stored) == WRAPPED_SIZE and data_key not in stored
    assert master.unwrap(pid, stored) == data_key
    with pytest.raises(MasterKeyError, match="moved to another participant's row"):
        master.unwrap(uuid4().hex, stored)  # copied onto someone else's row
    with pytest.raises(MasterKeyError, match="another master key than the one in PANEL_MASTER_KEY"):
        MasterKey(os.urandom(32)).unwrap(pid, stored)
    with pytest.raises(MasterKeyError, match="is not wrapped"):
        master.unwrap(pid, data_key)  # a plain key written behind the master key's back
    changed = stored[:-1] + bytes([stored[-1] ^ 1])
    with pytest.raises(MasterKeyError, match="does not open"):
        master.unwrap(pid, changed)


def test_the_check_value_tells_the_right_master_key_from_a_wrong_one() -> None:
    check = MasterKey(RAW).check_value()
    assert MasterKey(RAW).opens(check)
    assert not MasterKey(os.urandom(32)).opens(check)


def test_a_key_file_others_can_read_is_refused(tmp_path: Path) -> None:
    file = tmp_path / "master.key"
    file.write_text(base64.b64encode(RAW).decode() + "\n")
    file.chmod(0o644)
    with pytest.raises(MasterKeyError, match=f"^PANEL_MASTER_KEY_FILE {file} can be read by every user .*chmod 600"):
        read_master_key_file(str(file))
    file.chmod(0o640)  # a service's group may read it
    assert read_master_key_file(str(file)) == RAW
    with pytest.raises(MasterKeyError, match="^cannot read PANEL_MASTER_KEY_FILE .*No such file"):
        read_master_key_file(str(tmp_path / "missing.key"))
    with pytest.raises(MasterKeyError, match="is a folder"):
        read_master_key_file(str(tmp_path))
    file.write_bytes(b"\xff\xfe")
    with pytest.raises(MasterKeyError, match="is not a 256-bit key"):
        read_master_key_file(str(file))
