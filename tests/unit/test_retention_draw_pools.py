"""``DrawPools``: each person's draws from every pool, as a dict of lists would give them, in the order the
draws were made; ids that end in zero bytes, or differ only in their last byte, are told apart."""

from __future__ import annotations

import random
from datetime import UTC, datetime, timedelta
from uuid import UUID

import numpy as np

from panel.retention.facts import ID_BYTES, DrawPools
from panel.retention.rules import DrawFact

T0 = datetime(2025, 1, 1, tzinfo=UTC)


def test_each_persons_draws_are_the_pools_they_were_in_in_the_order_of_the_draws() -> None:
    rng = random.Random(7)
    people = [UUID(int=rng.getrandbits(128)) for _ in range(300)]
    people += [UUID(bytes=bytes(15) + b"\x01"), UUID(bytes=bytes(16)), UUID(bytes=b"\x05" + bytes(15))]
    people += [UUID(bytes=people[0].bytes[:15] + bytes([people[0].bytes[15] ^ 1]))]  # one bit from another
    facts = [DrawFact(f"e{d} round 1", T0 + timedelta(days=d)) for d in range(12)]
    pools = [rng.sample(people, rng.randint(0, 200)) for _ in facts]
    pools[3] = []  # a draw with an empty pool
    expected: dict[UUID, list[DrawFact]] = {}
    for fact, pool in zip(facts, pools, strict=True):
        for pid in pool:
            expected.setdefault(pid, []).append(fact)
    found = DrawPools(facts, [np.array([p.bytes for p in pool], dtype=ID_BYTES) for pool in pools])
    for pid in [*people, UUID(int=rng.getrandbits(128))]:
        assert found.of(pid) == tuple(expected.get(pid, ())), pid


def test_no_draws() -> None:
    assert DrawPools([], []).of(UUID(int=5)) == ()
