"""FolderOutbox writes a message straight into its folder, and makes the folder (0700) only when it is missing:
at the first message, and again when someone removed it while the service ran."""

from __future__ import annotations

import shutil
import stat
from pathlib import Path

import pytest

from panel.outbox import FolderOutbox, Message, OutboxError

HELLO = Message(to="sam@example.org", subject="Hello", body="Hi Sam", kind="confirm")


def mode(path: Path) -> int:
    return stat.S_IMODE(path.stat().st_mode)


def test_the_folder_is_made_private_when_missing_and_again_after_it_was_removed(tmp_path: Path) -> None:
    folder = tmp_path / "mail" / "outbox"
    outbox = FolderOutbox(folder)
    outbox.send(HELLO)
    assert mode(folder) == 0o700 and [mode(p) for p in folder.iterdir()] == [0o600]
    outbox.send(HELLO)
    assert len(list(folder.glob("*.eml"))) == 2
    shutil.rmtree(folder)
    outbox.send(HELLO)
    assert mode(folder) == 0o700 and len(list(folder.glob("*.eml"))) == 1


def test_a_file_where_the_folder_should_be_is_an_outbox_error(tmp_path: Path) -> None:
    (tmp_path / "outbox").write_text("not a folder")
    with pytest.raises(OutboxError, match="cannot keep mail in the outbox folder"):
        FolderOutbox(tmp_path / "outbox").send(HELLO)
