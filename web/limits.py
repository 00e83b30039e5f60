"""Abuse limits without CAPTCHAs: how often one client address or one email address may apply, and how
quickly a form may come back after it was shown (a person takes more than a few seconds; a script not).

The counters live in the serving process (a sliding window of times per key), so with several
processes each keeps its own; put a limit in the proxy as well when you run more than one. Email
addresses are counted by a keyed hash, never kept in clear.
"""

from __future__ import annotations

import hashlib
import hmac
import threading
from collections import deque
from datetime import datetime, timedelta

HOUR, DAY = timedelta(hours=1), timedelta(days=1)


class SlidingWindow:
    """At most ``limit`` events per key in any ``window``; ``limit`` 0 means no limit."""

    def __init__(self, limit: int, window: timedelta) -> None:
        self.limit, self.window = limit, window
        self.seen: dict[str, deque[datetime]] = {}
        self.lock = threading.Lock()

    def wait(self, key: str, now: datetime) -> timedelta | None:
        """How long ``key`` must wait before its next event counts (None: it may go now)."""
        if not self.limit:
            return None
        with self.lock:
            times = self._recent(key, now)
            return None if len(times) < self.limit else times[0] + self.window - now

    def record(self, key: str, now: datetime) -> None:
        if not self.limit:
            return
        with self.lock:
            self._recent(key, now).append(now)

    def _recent(self, key: str, now: datetime) -> deque[datetime]:
        times = self.seen.setdefault(key, deque())
        while times and times[0] <= now - self.window:
            times.popleft()
        if len(self.seen) > 100_000:  # keys nobody used within the window go, so memory stays bounded
            for stale in [k for k, t in self.seen.items() if not t or t[-1] <= now - self.window]:
                del self.seen[stale]
            times = self.seen.setdefault(key, times)
        return times


class ApplyLimits:
    """The limits on /apply (per client address per hour, per email address per day, the minimum fill time), on
    the partner API (requests per partner per hour) and on staff sign-in attempts (10 per client address in 15
    minutes)."""

    def __init__(self, key: bytes, per_address: int, per_email: int, min_fill: int, per_partner: int = 600) -> None:
        self.key = key
        self.partners = SlidingWindow(per_partner, HOUR)  # partner API requests per partner token
        self.addresses = SlidingWindow(per_address, HOUR)
        self.emails = SlidingWindow(per_email, DAY)
        self.min_fill = timedelta(seconds=min_fill)
        self.sign_ins = SlidingWindow(10, timedelta(minutes=15))  # staff sign-in attempts per client address

    def email_key(self, email: str) -> str:
        return hmac.new(self.key, b"email\x1f" + email.strip().lower().encode(), hashlib.sha256).hexdigest()

    def started_field(self, now: datetime) -> str:
        """The form's hidden ``started`` value: when it was shown, signed so it cannot be set back."""
        stamp = str(int(now.timestamp()))
        return f"{stamp}.{self._sign(stamp)}"

    def too_fast(self, field: str, now: datetime) -> bool | None:
        """True when the form came back sooner than the minimum; None when ``field`` is missing or forged."""
        if not self.min_fill:
            return False
        stamp, _, signature = field.partition(".")
        if not stamp.isdigit() or len(stamp) > 12 or not hmac.compare_digest(self._sign(stamp), signature):
            return None
        return now.timestamp() - int(stamp) < self.min_fill.total_seconds()

    def _sign(self, stamp: str) -> str:
        return hmac.new(self.key, b"started\x1f" + stamp.encode(), hashlib.sha256).hexdigest()[:32]
