"""The privacy notice's lines as blocks to show: headings (# ...), bullet lists (- ...) and paragraphs.

Only these three forms are read; everything else is text, escaped by the templates.
"""

from __future__ import annotations

from collections.abc import Sequence


def notice_blocks(lines: Sequence[str]) -> list[tuple[str, list[str]]]:
    """[("heading", [text]), ("list", [items]), ("paragraph", [text])] in order."""
    blocks: list[tuple[str, list[str]]] = []
    for raw in lines:
        line = raw.strip()
        if not line:
            blocks.append(("break", []))
        elif line.startswith("#"):
            blocks.append(("heading", [line.lstrip("#").strip()]))
        elif line[:2] in ("- ", "* "):
            if blocks and blocks[-1][0] == "list":
                blocks[-1][1].append(line[2:].strip())
            else:
                blocks.append(("list", [line[2:].strip()]))
        elif blocks and blocks[-1][0] == "paragraph":
            blocks[-1][1].append(line)
        else:
            blocks.append(("paragraph", [line]))
    return [b for b in blocks if b[0] != "break"]
