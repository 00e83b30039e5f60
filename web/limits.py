"""Abuse limits without CAPTCHAs: how often one client address or one email address may apply, and how
quickly a form may come back after it was shown (a person takes more than a few seconds; a script not).

The counts live in the store (``panel.store.rate_counts``), so every process of `panel serve --workers N`
sees the same ones. Keys are stored as keyed hashes (client addresses and email addresses alike), never
in clear.
"""

from __future__ import annotations

import hashlib
import hmac
from collections.abc import Callable
from datetime import datetime, timedelta
from typing import Any

from panel.numbers import whole_number
from panel.store.rate_counts import RateCounts

HOUR, DAY = timedelta(hours=1), timedelta(days=1)


class SlidingWindow:
    """At most ``limit`` events per key in any ``window``, counted in the store under ``scope``; ``limit`` 0
    means no limit. ``take`` checks and counts in one transaction, so two processes cannot both take the last."""

    def __init__(self, counts: RateCounts, scope: str, limit: int, window: timedelta, secret: bytes) -> None:
        self.counts, self.scope, self.limit, self.window, self.secret = counts, scope, limit, window, secret

    def take(self, key: str, now: datetime) -> timedelta | None:
        """Count an event of ``key`` at ``now`` and return None; or, when it must wait, count nothing and return
        how long until its next event would count."""
        if not self.limit:
            return None
        return self.counts.take(self.scope, self._stored(key), now, self.limit, self.window)

    def taking(self, key: str, now: datetime) -> Callable[[Any], None] | None:
        """``take`` as a statement inside another write transaction (``RateCounts.taking``: over the limit it raises
        RateLimitedError, rolling that transaction back); None when there is no limit. ``tidy`` afterwards."""
        if not self.limit:
            return None
        return self.counts.taking(self.scope, self._stored(key), now, self.limit, self.window)

    def tidy(self, now: datetime) -> None:
        """Sweep the scope's expired counts (at most once a minute per process), after a ``taking``."""
        if self.limit:
            self.counts.tidy(self.scope, now, self.window)

    def wait(self, key: str, now: datetime) -> timedelta | None:
        """How long ``key`` must wait before its next event counts (None: it may go now); counts nothing."""
        if not self.limit:
            return None
        return self.counts.wait(self.scope, self._stored(key), now, self.limit, self.window)

    def release(self, key: str, now: datetime) -> None:
        """Take back the event ``take`` counted for ``key`` at ``now`` (the request turned out not to count)."""
        if self.limit:
            self.counts.release(self.scope, self._stored(key), now)

    def _stored(self, key: str) -> str:
        return hmac.new(self.secret, f"limit\x1f{self.scope}\x1f{key}".encode(), hashlib.sha256).hexdigest()


class ApplyLimits:
    """The limits on /apply (per client address per hour, per email address per day, the minimum fill time), on
    the partner API (requests per partner per hour) and on staff sign-in attempts (10 per client address in 15
    minutes)."""

    def __init__(
        self, counts: RateCounts, key: bytes, per_address: int, per_email: int, min_fill: int, per_partner: int = 600
    ) -> None:
        self.key = key
        self.partners = SlidingWindow(counts, "partner", per_partner, HOUR, key)  # API requests per partner token
        self.addresses = SlidingWindow(counts, "address", per_address, HOUR, key)
        self.emails = SlidingWindow(counts, "email", per_email, DAY, key)
        self.min_fill = timedelta(seconds=min_fill)
        self.sign_ins = SlidingWindow(counts, "sign_in", 10, timedelta(minutes=15), key)  # staff sign-in attempts

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
        shown = whole_number(stamp, 0, 10**12 - 1)
        if shown is None or not hmac.compare_digest(self._sign(stamp), signature):
            return None
        return now.timestamp() - shown < self.min_fill.total_seconds()

    def _sign(self, stamp: str) -> str:
        return hmac.new(self.key, b"started\x1f" + stamp.encode(), hashlib.sha256).hexdigest()[:32]
