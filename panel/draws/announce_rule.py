"""The published rule of an announced draw, and the check anyone can run on the published document.

Everything here is a pure function of the announcement document (JSON) and the revealed numbers:
the same code completes a draw (``panel draw reveal``), re-verifies it (``panel draw verify``) and
checks a published announcement with no store at all (``panel draw check-announcement``).

- **commitment** of a pool member = SHA-256 of ``"<salt hex>:<participant id hex>"``; the salt is
  derived from the member's own data key, so it is never stored, is shown only to them, and is gone
  once they are erased;
- **pool hash** = SHA-256 of the sorted commitments joined by newlines;
- **announcement hash** = SHA-256 of the canonical JSON of the document without that field;
- **numbers**: every whole number of the published result, without leading zeros, in ascending
  order, joined by single spaces ("04, 49 11" -> "4 11 49");
- **h0** = SHA-256 of ``"<announcement hash>:<numbers>"``; **index** = h0 (big-endian) mod L;
  the panel is lottery panel ``index`` (0-based);
- **reserves**: h_i = SHA-256(h_{i-1}); reserve i stands in for panel member (i-1) mod k, the panel
  ordered by SHA-256 of "<h0 hex>:<slot>"; it is the slot at position h_i mod m among the m slots
  (in slot order) nearest that member's type (fewest differing feature values) and still available:
  not on the panel, not a household-mate of it, not already a reserve;
- with a frozen ``reserves_model`` (``--reserves-model dropout``) the reserves are instead the
  dropout-aware list ``announce_dropout`` derives from the document and h0, compared with the chain's.
"""

from __future__ import annotations

import hashlib
import hmac
import json
import re
from collections.abc import Sequence
from typing import Any
from uuid import UUID

from panel.domain.errors import ValidationError
from panel.draws.announce_dropout import check_section, dropout_list
from panel.draws.record import slot_ids, slot_rows

FORMAT = "participant-panel/announcement/1"
MAX_NUMBERS = 100
RULE = {
    "commitment": 'SHA-256 of "<salt hex>:<participant id as 32 hex digits>" (UTF-8)',
    "pool_sha256": "SHA-256 of the sorted commitments joined by newlines",
    "announcement_sha256": "SHA-256 of this document without this field, as JSON with sorted keys, no spaces",
    "numbers": "every whole number of the published result, without leading zeros, ascending, single spaces",
    "h0": 'SHA-256 of "<announcement_sha256>:<numbers>" (UTF-8)',
    "index": "h0 as a big-endian unsigned integer, modulo the lottery size; the panel is lottery.panels[index]",
    "reserves": (
        "h_i = SHA-256(h_(i-1)); reserve i stands in for panel member (i-1) mod k, the panel ordered by SHA-256 of "
        '"<h0 hex>:<slot>"; it is the slot at position h_i mod m among the m slots (in slot order) whose type '
        "differs from that member's in the fewest feature values, not on the panel, not in a household group "
        "of the panel and not already a reserve"
    ),
}


def canonical(data: Any) -> bytes:
    return json.dumps(data, sort_keys=True, separators=(",", ":"), ensure_ascii=False).encode("utf-8")


def sha256_hex(data: bytes) -> str:
    return hashlib.sha256(data).hexdigest()


def member_salt(key: bytes, announcement: UUID) -> str:
    """A pool member's salt for one announcement, from their own data key (never stored)."""
    return hmac.new(key, f"announcement-salt/{announcement.hex}".encode(), hashlib.sha256).hexdigest()


def commitment(salt: str, participant: UUID) -> str:
    return sha256_hex(f"{salt.strip().lower()}:{participant.hex}".encode())


def pool_sha256(commitments: Sequence[str]) -> str:
    return sha256_hex("\n".join(sorted(commitments)).encode())


def lottery_sha256(panels: Sequence[Sequence[str]]) -> str:
    return sha256_hex(canonical([list(p) for p in panels]))


def document_sha256(document: dict[str, Any]) -> str:
    return sha256_hex(canonical({k: v for k, v in document.items() if k != "announcement_sha256"}))


def normalise_numbers(text: str) -> str:
    """The revealed numbers as the rule reads them; anything but numbers and separators is refused."""
    if not text.strip() or re.search(r"[^0-9\s,;:/+-]", text):
        raise ValidationError(
            f'--seed-from {text!r} is not a list of numbers: give the published numbers, e.g. "04 11 23 35 41 49"'
        )
    numbers = re.findall(r"\d+", text)
    if not numbers or len(numbers) > MAX_NUMBERS or any(len(n.lstrip("0")) > 12 for n in numbers):
        raise ValidationError(f"--seed-from {text!r} must hold 1 to {MAX_NUMBERS} whole numbers of up to 12 digits")
    return " ".join(str(n) for n in sorted(int(n) for n in numbers))


def chain_head(announcement_hash: str, numbers: str) -> bytes:
    return hashlib.sha256(f"{announcement_hash}:{numbers}".encode()).digest()


def lottery_index(head: bytes, size: int) -> int:
    return int.from_bytes(head, "big") % size


def chain_reserves(head: bytes, types: Sequence[Sequence[Any]], panel: Sequence[str], count: int) -> list[str]:
    """The reserves' slots, in order, from the hash chain after ``head`` (see the module's rule).

    Reserve i stands in for one panel member (the panel in the order of SHA-256 of "<h0 hex>:<slot>",
    taken in turn) and is the chain's pick among the available slots whose type is nearest to that
    member's (fewest feature values differing), so a drop-out usually has a reserve of their own type.
    """
    counts = [int(row[2]) for row in types]
    row_of = dict(zip(slot_ids(counts), slot_rows(counts), strict=True))
    group = {s: types[r][1] for s, r in row_of.items()}
    taken = {group[s] for s in panel if group.get(s) is not None}
    available = sorted(s for s, g in group.items() if s not in set(panel) and (g is None or g not in taken))
    order = sorted(panel, key=lambda s: hashlib.sha256(f"{head.hex()}:{s}".encode()).digest())
    reserves: list[str] = []
    link = head
    while len(reserves) < count and available and order:
        link = hashlib.sha256(link).digest()
        target = types[row_of[order[len(reserves) % len(order)]]][0]
        distance = {s: sum(a != b for a, b in zip(types[row_of[s]][0], target, strict=True)) for s in available}
        nearest = [s for s in available if distance[s] == min(distance.values())]
        pick = nearest[int.from_bytes(link, "big") % len(nearest)]
        reserves.append(pick)
        available.remove(pick)
    return reserves


def announced_reserves(head: bytes, document: dict[str, Any], panel: Sequence[str]) -> list[str]:
    """The reserves' slots by the announcement's rule: the hash chain's list, or (with a frozen
    ``reserves_model``) the dropout-aware list chosen with it (``announce_dropout``)."""
    plain = chain_reserves(head, document["types"], panel, int(document["reserves"]))
    if not document.get("reserves_model"):
        return plain
    return list(dropout_list(head, document, panel, plain).reserves)


def check_document(
    document: dict[str, Any], numbers: str, salt: str | None = None, participant: UUID | None = None
) -> dict[str, Any]:
    """Recompute an announcement's hashes, the index and the panel position from the document alone."""
    failures: list[str] = []
    if document.get("format") != FORMAT:
        failures.append(f"the format is {document.get('format')!r}, not {FORMAT!r}")
    stated = str(document.get("announcement_sha256", ""))
    recomputed = document_sha256(document)
    if recomputed != stated:
        failures.append(f"the announcement hash does not match its content (recomputed {recomputed[:16]}...)")
    pool, lottery = document["pool"], document["lottery"]
    if pool_sha256(pool["commitments"]) != pool["sha256"] or len(pool["commitments"]) != pool["members"]:
        failures.append("the pool hash or size does not match the commitments")
    panels = lottery["panels"]
    if lottery_sha256(panels) != lottery["sha256"] or len(panels) != lottery["size"]:
        failures.append("the lottery hash or size does not match its panels")
    if sum(int(row[2]) for row in document["types"]) != pool["members"]:
        failures.append("the type table does not count the pool")
    normalised = normalise_numbers(numbers)
    head = chain_head(stated, normalised)
    index = lottery_index(head, int(lottery["size"]))
    panel = list(panels[index]) if 0 <= index < len(panels) else []
    result: dict[str, Any] = {
        "valid": not failures,
        "failures": failures,
        "announcement_sha256": stated,
        "numbers": normalised,
        "h0": head.hex(),
        "lottery_size": lottery["size"],
        "lottery_index": index,
        "panel_slots": panel,
        "reserve_slots": chain_reserves(head, document["types"], panel, int(document["reserves"])),
    }
    if document.get("reserves_model"):  # the dropout-aware list, compared with the chain's
        failures.extend(check_section(document))
        chosen = dropout_list(head, document, panel, result["reserve_slots"])
        result["valid"] = not failures
        result["reserves_model"] = "dropout"
        result["chain_reserve_slots"] = result["reserve_slots"]
        result["reserve_slots"] = list(chosen.reserves)
        result["kept"] = chosen.report["kept"]
    if salt is not None and participant is not None:
        mine = commitment(salt, participant)
        result["commitment"] = mine
        result["in_pool"] = mine in set(pool["commitments"])
        if not result["in_pool"]:
            result["failures"].append(f"the commitment {mine[:16]}... of this salt and id is not in the pool")
            result["valid"] = False
    return result
