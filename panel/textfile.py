"""Read a text file a person gives us (a targets file, a bank statement), or say in one line why not."""

from __future__ import annotations

from pathlib import Path

from panel.domain.errors import ValidationError


def read_text(path: str | Path, what: str, fix: str = "check the path") -> str:
    """The file's text (UTF-8, a byte-order mark allowed); refused with its line when it is not UTF-8.

    ``what`` names the file for the message, e.g. "targets file" or "bank statement"; ``fix`` says
    what to do when there is no such file.
    """
    source = Path(path)
    try:
        data = source.read_bytes()
    except FileNotFoundError:
        raise ValidationError(f"{what} {source} not found: {fix}") from None
    except IsADirectoryError:
        raise ValidationError(f"{what} {source} is a folder: give the CSV file inside it") from None
    except OSError as exc:
        raise ValidationError(f"{what} {source} cannot be read: {exc.strerror or exc}") from None
    try:
        text = data.decode("utf-8-sig")
    except UnicodeDecodeError as exc:
        line = data[: exc.start].count(b"\n") + 1
        raise ValidationError(
            f"{what} {source} line {line}: byte 0x{data[exc.start]:02x} is not UTF-8 text: "
            "save the file as CSV UTF-8 (in Excel: Save As, CSV UTF-8)"
        ) from None
    if "\x00" in text:
        line = text[: text.index("\x00")].count("\n") + 1
        raise ValidationError(
            f"{what} {source} line {line}: holds a NUL byte, so it is not a text file: save it as CSV"
        )
    return text
