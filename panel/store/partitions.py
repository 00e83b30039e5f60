"""Reading the log by part of the aggregates: the partition arithmetic and the cheap rows the recorders'
``select_partition`` returns, for the parallel rebuild and the views that fill by part."""

from __future__ import annotations

from typing import NamedTuple
from uuid import UUID, SafeUUID


def partition_bounds(part: int, parts: int) -> tuple[int, int]:
    """The first bytes of the originator ids in ``part`` of ``parts``: the half-open range [low, high) of 0..256.

    Every event of one aggregate falls in the same part, so the parts can be projected apart.
    """
    if not 0 <= part < parts <= 256:
        raise ValueError(f"part {part} of {parts}: use 0 <= part < parts <= 256")
    return part * 256 // parts, (part + 1) * 256 // parts


PREFIX_BITS = 16  # the finer partition: by the first two bytes of the id (up to 65,536 buckets)


def prefix_bounds(bucket: int, buckets: int) -> tuple[int, int]:
    """The 16-bit id prefixes in ``bucket`` of ``buckets``: the half-open range [low, high) of 0..65536.

    A prefix ``p`` falls in bucket ``p * buckets >> 16`` (``prefix_bucket``); these are exactly the
    prefixes it sends there, so a bucket's rows and its data keys (``all_keys(low, high, 16)``) agree.
    """
    if not 0 <= bucket < buckets <= 1 << PREFIX_BITS:
        raise ValueError(f"bucket {bucket} of {buckets}: use 0 <= bucket < buckets <= 65536")
    span = 1 << PREFIX_BITS
    return -(-bucket * span // buckets), -(-(bucket + 1) * span // buckets)


def prefix_bucket(hex_id: str, buckets: int) -> int:
    """The bucket (of ``buckets``) of an id given as 32 hex digits: by its first 16 bits (``prefix_bounds``)."""
    return int(hex_id[:4], 16) * buckets >> PREFIX_BITS


class Row(NamedTuple):
    """A notification as ``select_partition`` returns it: the fields of the library's ``Notification``
    (which the mapper decodes alike) in a tuple, much cheaper to make than that frozen dataclass."""

    id: int
    originator_id: UUID
    originator_version: int
    topic: str
    state: bytes


RawRow = tuple[int, str, int, str, bytes]  # a notification undecoded: id, originator id in 32 hex digits, version,
# topic, state


class HexUUID(UUID):
    """A UUID that keeps its hex text: projections ask every event's originator id for ``.hex``, often many
    times, and the read path already has (SQLite) or can make it once. ``hex`` is a slot here, which
    shadows ``UUID.hex`` (a property that formats the number again on every call)."""

    __slots__ = ("hex",)

    def __init__(self, hex: str | None = None, *, int: int | None = None) -> None:  # UUID's own argument names
        super().__init__(hex, int=int)
        object.__setattr__(self, "hex", f"{self.int:032x}")

    @classmethod
    def from_hex(cls, text: str) -> HexUUID:
        """From 32 lower-case hex digits, as the stores keep them (the checks of ``UUID()`` skipped)."""
        made = object.__new__(cls)
        object.__setattr__(made, "int", int(text, 16))
        object.__setattr__(made, "is_safe", SafeUUID.unknown)
        object.__setattr__(made, "hex", text)
        return made

    def __reduce__(self) -> tuple[type, tuple[str]]:
        return UUID, (self.hex,)  # travels as a plain UUID
