"""The import's reader reads a file row by row and names the line of every problem, as the whole-file reader did."""

from __future__ import annotations

from pathlib import Path

import pytest

from panel.csv_rows import ImportFileError, Row, csv_rows, read_rows


def test_rows_come_one_by_one_with_their_lines(tmp_path: Path) -> None:
    path = tmp_path / "s.csv"
    path.write_bytes(b'\xef\xbb\xbfRef,Age-Band\r\nA-1,18-21\r\n\r\n"A-2","multi\r\nline"\r\nA-3\r\nA-4,x,extra\r\n')
    with csv_rows(path) as (header, rows):
        assert header == ["ref", "age_band"]
        first = next(rows)
        assert first == Row(2, {"ref": "A-1", "age_band": "18-21"})
        rest = list(rows)
    assert rest == [
        Row(5, {"ref": "A-2", "age_band": "multi\nline"}),
        Row(6, {"ref": "A-3", "age_band": ""}),
        Row(7, {"__extra__": "x"}),
    ]
    assert read_rows(path) == (header, [first, *rest])


def test_bytes_that_are_not_utf8_are_named_by_their_line(tmp_path: Path) -> None:
    path = tmp_path / "latin1.csv"
    path.write_bytes(b"ref,name\nA-1,Ann\nA-2,Ren\xe9e\nA-3,Bo\n")
    with pytest.raises(ImportFileError, match=r"latin1.csv:3: not UTF-8 text: save the file as CSV UTF-8"):
        read_rows(path)
    path.write_bytes(b"r\xe9f,name\nA-1,Ann\n")
    with pytest.raises(ImportFileError, match=r"latin1.csv:1: not UTF-8 text"):
        read_rows(path)
