"""``StageIds``: the reach report's ids at the pool, invited, selected and attended stages, held as sorted 16-byte
ids with a "seen" mark, answer as the sets of strings they replace did: each person read from the people table
gets their stages once, and the ids left (at a stage, not in the people table) come last in id order. Ids ending
in zero bytes, all zeros, or differing only in their last byte are told apart."""

from __future__ import annotations

import random
from uuid import UUID

import numpy as np
import pytest

from panel.id_bytes import ID_BYTES, IdCollector, IdSet, hex_ids, pack_hex
from projections.reach_stages import MARKED, StageIds


def _ids(rng: random.Random) -> list[str]:
    ids = [UUID(int=rng.getrandbits(128)).hex for _ in range(400)]
    ids += [
        (bytes(15) + b"\x01").hex(),
        bytes(16).hex(),
        (b"\x05" + bytes(15)).hex(),
        (b"\x05" + bytes(14) + b"\x01").hex(),
    ]
    ids += [ids[0][:30] + "00", ids[0][:30] + "01", ids[1][:28] + "0000"]  # trailing zero bytes, one bit apart
    return ids


def _reference(stages: dict[str, set[str]], batches: list[list[str]]) -> tuple[list[tuple[bool, ...]], list[tuple]]:
    """What the sets of strings gave: each person's marks, discarding them as read, then the ids left, sorted."""
    sets = {name: set(ids) for name, ids in stages.items()}
    read = []
    for pid in (pid for batch in batches for pid in batch):
        read.append(tuple(pid in sets[name] for name in MARKED))
        for name in MARKED:
            sets[name].discard(pid)
    rest = sorted(set().union(*sets.values()))
    return read, [tuple(pid in sets[name] for name in MARKED) for pid in rest]


@pytest.mark.parametrize("seed", [1, 2, 3])
def test_stage_ids_answer_as_the_sets_of_strings_did(seed: int, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setattr("projections.reach_stages.STREAM_ROWS", 16)  # what is left comes in several pages
    rng = random.Random(seed)
    ids = _ids(rng)
    stages = {name: set(rng.sample(ids, rng.randint(0, 250))) for name in MARKED}
    stages["pool"] |= {ids[-1], bytes(16).hex(), ids[-3]}  # zero-ended ids: one read, one left, one read
    people = rng.sample([i for i in ids if i != bytes(16).hex()], 300) + [ids[-3], ids[-1]]
    people += [UUID(int=rng.getrandbits(128)).hex for _ in range(50)]  # at no stage
    rng.shuffle(people)
    batches = [people[i : i + 37] for i in range(0, len(people), 37)] + [[]]
    collected = {name: IdCollector() for name in MARKED}
    for name in MARKED:
        for pid in [*stages[name], *rng.sample(sorted(stages[name]), len(stages[name]) // 3)]:  # with repeats
            collected[name].add(pid)
    found = StageIds(*(collected[name].done() for name in MARKED))
    read = [marks for batch in batches for marks in found.take(batch)]
    assert (read, list(found.left())) == _reference(stages, batches)
    assert bytes(16).hex() in hex_ids(found.pool.left()) and ids[-1] not in hex_ids(found.pool.left())


def test_left_ids_come_back_whole_with_their_trailing_zero_bytes() -> None:
    texts = [bytes(16).hex(), (b"\x05" + bytes(15)).hex(), "ab" * 15 + "00", "ab" * 16]
    ids = IdCollector().extend(texts).done()
    assert hex_ids(ids.left()) == sorted(texts)
    assert ids.take(pack_hex(["ab" * 15 + "00", "cd" * 16])).tolist() == [True, False]
    assert hex_ids(ids.left()) == sorted(set(texts) - {"ab" * 15 + "00"})
    assert ids.take(pack_hex(["ab" * 15 + "00"])).tolist() == [False]  # seen once, then no more


def test_empty_sets_and_no_people() -> None:
    empty = IdSet(np.empty(0, dtype=ID_BYTES))
    assert empty.take(pack_hex(["00" * 16, "ff" * 16])).tolist() == [False, False]
    assert len(empty.left()) == 0 and len(IdCollector().done()) == 0
    stages = StageIds(*(IdCollector().done() for _ in MARKED))
    assert stages.take([]) == [] and list(stages.left()) == []


def test_an_id_that_is_not_32_hex_digits_is_refused() -> None:
    with pytest.raises(ValueError, match="not a participant id"):
        pack_hex(["ab" * 16, "ab" * 15 + "a", "ab" * 16 + "a"])  # 31 and 33 digits would make 64 together
    with pytest.raises(ValueError):
        pack_hex(["zz" * 16])
