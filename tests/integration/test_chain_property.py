"""Property: for random histories, `audit verify` passes on the untouched store and fails on every
single-byte change of any stored event (SQLite and PostgreSQL).

Two halves, over the same random histories:

* in the database: a byte of a stored event, chosen by hypothesis, is changed with the owner's
  rights (tests.helpers.tamper); ``Audit.verify`` names that event's position as the first break;
  the byte is changed back and the chain verifies again (so the break was that byte and only it);
* exhaustively: every byte of every stored event of the history (its id, its topic and its state
  as stored) is changed in turn in a copy of the rows read from the database, and the same
  ``Audit.verify`` walk, reading that copy, names that position every time.
"""

from __future__ import annotations

import itertools
from collections.abc import Iterator
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from typing import Any

from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from panel.application import PanelApp
from panel.audit import Audit
from panel.config import StoreLocation
from panel.domain.values import PURPOSES
from panel.participation import Participation
from panel.registration import Registration
from panel.store.chain import Link
from panel.validation import ConsentSpec, SignUp
from tests.helpers.tamper import flip_byte

T0 = datetime(2026, 1, 5, 9, tzinfo=UTC)
COUNTER = itertools.count()

ops = st.lists(
    st.one_of(
        st.tuples(
            st.just("sign_up"),
            st.text(st.characters(categories=["L", "Zs"]), min_size=1, max_size=30),
            st.sampled_from(["18-21", "22-25", "Other"]),
        ),
        st.tuples(st.just("grant"), st.integers(0, 50), st.sampled_from(PURPOSES)),
        st.tuples(st.just("withdraw"), st.integers(0, 50), st.sampled_from(PURPOSES)),
        st.tuples(st.just("erase"), st.integers(0, 50), st.just("")),
    ),
    min_size=1,
    max_size=12,
)


def play(app: PanelApp, history: list[tuple[str, Any, str]]) -> None:
    """Record a random history: sign-ups (personal data sealed), consent grants and withdrawals, erasures."""
    n = next(COUNTER)
    people: list[Any] = []
    erased: set[Any] = set()
    granted: dict[Any, set[str]] = {}
    participation = Participation(app)
    for step, (op, arg, extra) in enumerate(history):
        at = T0 + timedelta(days=n, minutes=step)
        if op == "sign_up" or not people:
            name = arg if op == "sign_up" else "Ann"
            people.append(
                Registration(app).register(
                    SignUp(
                        ref=f"H{n}-{len(people)}",
                        channel="online",
                        personal={"name": name.strip() or "Ann", "email": f"h{n}.{len(people)}@example.org"},
                        attributes={"age_band": extra or "18-21"},
                        consents=(ConsentSpec("contact", "v1", "online", "self", at),),
                        at=at,
                    )
                )
            )
            granted[people[-1]] = {"contact"}
            continue
        pid = people[arg % len(people)]
        if pid in erased:
            continue
        if op == "grant" and extra not in granted[pid]:
            participation.grant_consent(pid, ConsentSpec(extra, "v2", "online", "self", at))
            granted[pid].add(extra)
        elif op == "withdraw" and extra in granted[pid]:
            participation.withdraw_consent(pid, extra, at=at)
            granted[pid].discard(extra)
        elif op == "erase":
            participation.erase(pid, reason="asked", at=at, erased_by="test")
            erased.add(pid)


@dataclass
class Copy:
    """A copy of the stored events and chain rows, read the way ``Audit`` reads the real recorder."""

    events: list[tuple[int, bytes, int, str, bytes]]
    chain: list[Link]

    def select_stored(self, after: int, limit: int) -> list[tuple[int, bytes, int, str, bytes]]:
        return [e for e in self.events if e[0] > after][:limit]

    def select_links(self, after: int, limit: int) -> list[Link]:
        return [c for c in self.chain if c.position > after][:limit]

    def link_before(self, position: int | None = None) -> Link | None:
        before = [c for c in self.chain if position is None or c.position < position]
        return before[-1] if before else None

    def positions_of_digest(self, digest: bytes) -> list[int]:
        return [c.position for c in self.chain if c.digest == digest]

    def max_position(self) -> int:
        return max([e[0] for e in self.events] + [c.position for c in self.chain] + [0])


@dataclass
class NoSettings:
    def setting(self, name: str) -> bytes | None:
        return None


@dataclass
class Reading:
    """What ``Audit`` needs of an application: a recorder (here the copy) and the store's settings."""

    recorder: Copy
    keys: NoSettings


def variants(event: tuple[int, bytes, int, str, bytes], mask: int) -> Iterator[tuple[int, bytes, int, str, bytes]]:
    """The event with each byte of its id, its topic and its state changed in turn (XOR ``mask``)."""
    position, oid, version, topic, state = event
    for i in range(len(oid)):
        yield position, oid[:i] + bytes([oid[i] ^ mask]) + oid[i + 1 :], version, topic, state
    name = topic.encode()
    for i in range(len(name)):  # topics are ASCII: a 7-bit mask keeps them text
        yield position, oid, version, (name[:i] + bytes([name[i] ^ (mask & 0x7F or 1)]) + name[i + 1 :]).decode(), state
    for i in range(len(state)):
        yield position, oid, version, topic, state[:i] + bytes([state[i] ^ mask]) + state[i + 1 :]


@settings(max_examples=12, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture])
@given(history=ops, pick=st.integers(0, 10**6), index=st.integers(0, 10**6), mask=st.integers(1, 255))
def test_verify_passes_untouched_and_fails_on_every_single_byte_change(
    app: PanelApp, location: StoreLocation, history: list[tuple[str, Any, str]], pick: int, index: int, mask: int
) -> None:
    before = app.recorder.max_notification_id() or 0
    play(app, history)
    audit = Audit(app)
    assert audit.verify().ok
    last = app.recorder.max_notification_id()
    new = app.recorder.select_stored(before, last - before)
    assert [e[0] for e in new] == list(range(before + 1, last + 1))

    # in the database: one byte, picked by hypothesis, of one of this history's events
    position, _, _, _, state = new[pick % len(new)]
    at = index % len(state)
    flip_byte(location, position, at, mask=mask)
    report = audit.verify()
    assert (report.ok, report.position, report.kind) == (False, position, "changed")
    flip_byte(location, position, at, mask=mask)  # back as it was: the chain verifies again
    assert audit.verify().ok

    # exhaustively, in a copy: every byte of every event of this history
    events = app.recorder.select_stored(0, last)
    chain = app.recorder.select_links(0, last)
    for k in range(before, last):
        for changed in variants(events[k], mask):
            copy = Copy(events[:k] + [changed] + events[k + 1 :], chain)
            found = Audit(Reading(copy, NoSettings())).verify(start=before + 1)  # type: ignore[arg-type]
            assert (found.ok, found.position) == (False, changed[0]), changed[:4]
