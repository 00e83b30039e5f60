"""The two files a campaign is opened with: its questions (CSV) and its privacy notice (Markdown-like text).

Questions file: UTF-8 CSV with the columns ``attribute,question,hint,options,describe``:

- ``attribute``: the self-described attribute the answer is recorded as, e.g. ``age_band``;
- ``question``: the question as shown, e.g. "How old are you?";
- ``hint``: optional help under the question;
- ``options``: the answers offered, separated by ``|``; each is ``value=Label`` or just a value
  shown as it is, e.g. ``18-21=18 to 21|22-25=22 to 25``;
- ``describe``: ``yes`` to offer "I describe myself another way" with a text box.

Every question is optional and is followed by "Prefer not to say". Bad rows are refused with
their line; nothing is recorded.
"""

from __future__ import annotations

import csv
import hashlib
import io
from dataclasses import dataclass
from pathlib import Path

from panel.domain import text
from panel.domain.errors import ValidationError
from panel.textfile import read_text

COLUMNS = ("attribute", "question", "hint", "options", "describe")
QUESTION = 200
HINT = 300
NOTICE_LINES = 400


@dataclass(frozen=True)
class Notice:
    version: str
    sha256: str
    lines: list[str]


def read_questions(path: str | Path) -> list[dict[str, object]]:
    """The questions of a campaign from its CSV file, or ValidationError naming the line and the fix."""
    source = read_text(path, "questions file")
    rows = list(csv.reader(io.StringIO(source)))
    if not rows:
        raise ValidationError(f"questions file {path} is empty: give a header line {','.join(COLUMNS)} and a question")
    header = [h.strip().lower() for h in rows[0]]
    missing = [c for c in ("attribute", "question", "options") if c not in header]
    if missing:
        raise ValidationError(
            f"questions file {path} line 1: no column {', '.join(missing)}: the header is {','.join(COLUMNS)}"
        )
    questions, seen = [], set()
    for line, row in enumerate(rows[1:], start=2):
        if not any(cell.strip() for cell in row):
            continue
        cells = dict(zip(header, row, strict=False))
        try:
            question = _question(cells)
        except ValidationError as exc:
            raise ValidationError(f"questions file {path} line {line}: {exc}") from None
        if question["attribute"] in seen:
            raise ValidationError(
                f"questions file {path} line {line}: attribute {question['attribute']} is asked twice: ask it once"
            )
        seen.add(question["attribute"])
        questions.append(question)
    return questions


def _question(cells: dict[str, str]) -> dict[str, object]:
    key = text.attribute_key(cells.get("attribute", ""))
    wording = text.check_text(cells.get("question", ""), "question", QUESTION, required=True)
    hint = text.check_text(cells.get("hint", "") or "", "hint", HINT)
    describe = (cells.get("describe", "") or "").strip().lower()
    if describe not in ("", "yes", "no"):
        raise ValidationError(
            f"describe {describe!r} is not yes or no: write yes to offer a text box, or leave it blank"
        )
    options = []
    for item in (cells.get("options", "") or "").split("|"):
        if not item.strip():
            continue
        value, sep, label = item.partition("=")
        value = text.check_text(value, "option", text.ATTRIBUTE_VALUE, required=True)
        label = text.check_text(label if sep else value, "option label", QUESTION, required=True)
        if value.lower().replace("_", " ") == "prefer not to say":
            continue  # every question offers it already
        options.append({"value": value, "label": label})
    if not options and describe != "yes":
        raise ValidationError("no options: give answers separated by | (e.g. 18-21|22-25), or describe yes")
    return {"attribute": key, "question": wording, "hint": hint, "options": options, "describe": describe == "yes"}


def read_notice(path: str | Path, version: str | None = None) -> Notice:
    """The privacy notice: its text as lines, its SHA-256 (of the text with \\n line ends) and its version.

    The version is ``version`` if given, else the file name's last ``-`` part (notice-v3.md -> v3).
    """
    source = read_text(path, "notice file").replace("\r\n", "\n").replace("\r", "\n")
    if not source.strip():
        raise ValidationError(f"notice file {path} is empty: give the privacy notice text people agree to")
    lines = source.rstrip("\n").split("\n")
    if len(lines) > NOTICE_LINES:
        raise ValidationError(f"notice file {path} has {len(lines)} lines, at most {NOTICE_LINES}: shorten it")
    for number, line in enumerate(lines, start=1):
        try:
            text.require_clean(line, "notice", 2000)
        except ValidationError as exc:
            raise ValidationError(f"notice file {path} line {number}: {exc}") from None
    label = version or Path(path).stem.rsplit("-", 1)[-1]
    label = text.check_text(label, "notice_version", text.NOTICE_VERSION, required=True)
    digest = hashlib.sha256(("\n".join(lines) + "\n").encode()).hexdigest()
    return Notice(label, digest, lines)
