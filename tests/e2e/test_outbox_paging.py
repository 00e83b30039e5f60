"""`panel outbox` a page at a time: oldest first across the three folders, the counts of every message,
and only the page's messages opened (the rest are never read)."""

from __future__ import annotations

import json
from datetime import UTC, datetime, timedelta
from pathlib import Path

import pytest

from panel.eml import eml_bytes
from panel.outbox import FolderOutbox
from panel.paging import Page
from tests.helpers.proc import run_panel

T0 = datetime(2026, 3, 1, 9, tzinfo=UTC)


def fill(folder: Path) -> list[tuple[str, str]]:
    """Seven messages spread over waiting, sent/ and failed/ (one failed with its reason), written a minute
    apart in an order that differs from any one folder's: returns (name, status), oldest first."""
    plan = ["sent", "waiting", "failed", "sent", "waiting", "waiting", "failed"]
    made = []
    for i, status in enumerate(plan):
        where = folder if status == "waiting" else folder / status
        where.mkdir(parents=True, exist_ok=True)
        name = f"{T0 + timedelta(minutes=i):%Y%m%dT%H%M%S%fZ}-confirm-{i:08x}.eml"
        to = f"person{i}@example.org"
        (where / name).write_bytes(eml_bytes("panel@localhost", to, f"Message {i}", "confirm", "a link"))
        if status == "failed":
            (where / f"{name}.error").write_text(f"the server answered 55{i}\n", encoding="utf-8")
        made.append((name, status))
    return made


def listed(folder: Path, *args: str) -> dict:
    ran = run_panel("outbox", "--json", *args, env={"PANEL_OUTBOX_DIR": str(folder)})
    assert ran.code == 0 and not ran.traceback, ran.err
    return json.loads(ran.out)


def test_pages_run_oldest_first_across_the_folders_and_count_every_message(tmp_path: Path) -> None:
    made = fill(tmp_path / "outbox")
    first = listed(tmp_path / "outbox", "--limit", "3")
    assert [(m["name"], m["status"]) for m in first["messages"]] == made[:3]
    assert (first["limit"], first["offset"], first["next"]) == (3, 0, 3)
    assert first["counts"] == {"waiting": 3, "sent": 2, "failed": 2}
    second = listed(tmp_path / "outbox", "--limit", "3", "--offset", "3")
    assert [(m["name"], m["status"]) for m in second["messages"]] == made[3:6]
    last = listed(tmp_path / "outbox", "--limit", "3", "--offset", "6")
    assert [(m["name"], m["status"]) for m in last["messages"]] == made[6:] and last["next"] is None
    assert last["messages"][0]["error"] == "the server answered 556" and last["messages"][0]["to"] == "p***@example.org"
    failed = listed(tmp_path / "outbox", "--status", "failed", "--limit", "1", "--offset", "1")
    assert [m["name"] for m in failed["messages"]] == [made[6][0]] and failed["counts"] == {"failed": 2}
    assert listed(tmp_path / "outbox")["messages"] == [*first["messages"], *second["messages"], *last["messages"]]


def test_the_table_says_how_to_see_the_next_page(tmp_path: Path) -> None:
    fill(tmp_path / "outbox")
    env = {"PANEL_OUTBOX_DIR": str(tmp_path / "outbox")}
    page = run_panel("outbox", "--limit", "2", env=env)
    assert page.code == 0, page.err
    assert "3 waiting, 2 sent, 2 failed" in page.out and "next page: --offset 2 --limit 2" in page.out
    assert page.out.count("p***@example.org") == 2
    past = run_panel("outbox", "--offset", "50", env=env)
    assert past.code == 0 and "the outbox holds 7; try a smaller --offset" in past.out
    bad = run_panel("outbox", "--limit", "0", env=env)
    assert bad.code == 2 and "--limit" in bad.err and not bad.traceback


def test_a_page_opens_only_its_own_messages(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    made = fill(tmp_path / "outbox")
    opened: list[str] = []
    real = Path.read_bytes

    def spy(self: Path) -> bytes:
        opened.append(self.name)
        return real(self)

    monkeypatch.setattr(Path, "read_bytes", spy)
    entries, more = FolderOutbox(tmp_path / "outbox").page(Page(limit=2, offset=1))
    assert [e.name for e in entries] == [made[1][0], made[2][0]] and more
    assert sorted(opened) == sorted([made[1][0], made[2][0]])
