"""The announcement one-pager (`--one-pager FILE`): a real PNG and a one-page A4 PDF, on SQLite and PostgreSQL.

Runs the real `panel` script. The PDF must be A4 (its MediaBox), carry the announcement id and
hashes, and its drawn text must contain the pool hash and the announcement hash exactly as the
text announcement prints them; an existing file is never overwritten and nothing is recorded
when the file is refused.
"""

from __future__ import annotations

import json
import re
import zlib
from pathlib import Path
from typing import Any

from panel.application import PanelApp
from tests.e2e.test_draw_announce import ANNOUNCE
from tests.helpers.draw_case import populate


def _pdf_text(data: bytes) -> bytes:
    """The text the PDF draws, one line per text object: its content streams inflated (matplotlib
    compresses them) and the strings of each BT ... ET object joined (kerning splits them)."""
    streams = []
    for match in re.finditer(rb"stream\r?\n(.*?)\r?\nendstream", data, re.S):
        try:
            streams.append(zlib.decompress(match.group(1)))
        except zlib.error:
            continue
    lines = []
    for block in re.findall(rb"BT(.*?)ET", b"\n".join(streams), re.S):
        strings = re.findall(rb"\(((?:\\.|[^\\)])*)\)", block, re.S)
        lines.append(re.sub(rb"\\(.)", rb"\1", b"".join(strings)))
    return b"\n".join(lines)


def test_announce_writes_a_png_and_the_announcement_writes_an_a4_pdf(  # type: ignore[no-untyped-def]
    app: PanelApp, panel, tmp_path: Path
) -> None:
    populate(app)
    png = tmp_path / "announcement.png"
    ran = panel(*ANNOUNCE, "--one-pager", str(png))
    assert f"One-pager written to {png}" in ran.out
    assert png.read_bytes().startswith(b"\x89PNG\r\n\x1a\n") and png.stat().st_size > 20_000
    found = re.search(r"^Announcement ([0-9a-f-]{36}) ", ran.out, re.M)
    assert found is not None, ran.out
    document: dict[str, Any] = json.loads(panel("draw", "announcement", found.group(1), "--json").out)

    pdf = tmp_path / "announcement.pdf"
    panel("draw", "announcement", document["announcement"][:8], "--one-pager", str(pdf))
    data = pdf.read_bytes()
    assert data.startswith(b"%PDF-")
    boxes = re.findall(rb"/MediaBox\s*\[\s*0\s+0\s+([\d.]+)\s+([\d.]+)\s*\]", data)
    assert len(boxes) == 1  # one page
    width, height = (float(v) for v in boxes[0])
    assert abs(width - 595.28) < 0.5 and abs(height - 841.89) < 0.5  # A4 in points
    assert document["announcement"].encode() in data and document["announcement_sha256"].encode() in data
    drawn = _pdf_text(data)
    assert document["pool"]["sha256"].encode() in drawn and document["announcement_sha256"].encode() in drawn
    assert document["randomness"].encode() in drawn

    ran = panel("draw", "announcement", document["announcement"][:8], "--one-pager", str(pdf), code=1)
    assert ran.err.startswith("Error: ") and "already exists" in ran.err and len(ran.err.strip().splitlines()) == 1
    assert pdf.read_bytes() == data  # never overwritten


def test_a_refused_one_pager_records_no_announcement(app: PanelApp, panel, tmp_path: Path) -> None:  # type: ignore[no-untyped-def]
    populate(app)
    taken = tmp_path / "taken.pdf"
    taken.write_bytes(b"mine")
    for target, fragment in ((tmp_path / "a.svg", "give a file ending .png or .pdf"), (taken, "already exists")):
        ran = panel(*ANNOUNCE, "--one-pager", str(target), code=1)
        assert fragment in ran.err and len(ran.err.strip().splitlines()) == 1 and not ran.traceback
    assert not (tmp_path / "a.svg").exists() and taken.read_bytes() == b"mine"
    ran = panel(*ANNOUNCE, "--json")  # the first announcement of this engagement: nothing was recorded before
    assert json.loads(ran.out)["round"] == 1
