"""A long-running service's view of the hash chain: verified in full now and then, and in between only
from the head it last verified.

``Audit(app).verify()`` walks every event: at a national store's size that is minutes, too long for a
page an auditor opens. ``ChainWatch`` keeps the head it verified (position and chain hash). A later
check first confirms that the chain row at that head still holds the same hash, then verifies only
the events written since. Anything that changes an event already verified, without changing the
chain, is found by the next full walk, which runs when the last one is older than ``full_every``
(and always on the first check, and after any break). The report says when the full walk ran.

The watch is also a witness: if the chain row at a head it verified later holds another hash, the
history up to there was rewritten (a chain recomputed to match edited events passes a fresh walk).
That break is reported from then on, whatever later walks find, until the service restarts; a
signed checkpoint (``panel audit checkpoint``) is the witness that outlives the process.
"""

from __future__ import annotations

import threading
from dataclasses import dataclass, replace
from datetime import datetime, timedelta

from panel.application import PanelApp
from panel.audit import Audit, ChainReport

FULL_EVERY = timedelta(hours=1)


@dataclass(frozen=True)
class WatchReport:
    """The chain as last checked: the report over everything verified, and when the last full walk ran."""

    report: ChainReport
    full_at: datetime
    new_events: int  # verified by this check (all of them on a full walk)


class ChainWatch:
    """Verifies the chain for a service: in full at most every ``full_every``, from the last head in between."""

    def __init__(self, app: PanelApp, full_every: timedelta = FULL_EVERY) -> None:
        self.app = app
        self.full_every = full_every
        self.last: WatchReport | None = None
        self.rewritten: WatchReport | None = None  # sticky: the verified head was later found changed
        self.lock = threading.Lock()  # one check at a time; a second request waits and reuses its result

    def check(self, now: datetime) -> WatchReport:
        with self.lock:
            if self.rewritten is not None:
                return self.rewritten
            last = self.last
            if last is None or not last.report.ok or now - last.full_at >= self.full_every:
                report = Audit(self.app).verify()
                self.last = WatchReport(report, now, report.checked)
            else:
                self.last = self._since(last, now)
            return self.last

    def _since(self, last: WatchReport, now: datetime) -> WatchReport:
        audit, head = Audit(self.app), last.report.head_position or 0
        recorder = audit.recorder
        if head:
            link = recorder.link_before(head + 1)
            if link is None or link.position != head or link.hash.hex() != last.report.head_hash:
                detail = (
                    f"the chain row at position {head} no longer holds the hash verified at "
                    f"{last.full_at:%Y-%m-%d %H:%M} UTC: the history up to it was rewritten"
                )
                broken = ChainReport(False, 1, 0, None, None, position=head, kind="changed", detail=detail)
                self.rewritten = WatchReport(broken, last.full_at, 0)
                return self.rewritten
        if recorder.max_position() <= head:
            return replace(last, new_events=0)
        more = audit.verify(head + 1)
        report = replace(more, start=last.report.start, checked=last.report.checked + more.checked)
        return WatchReport(report, last.full_at, more.checked)
