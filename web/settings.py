"""The web service's settings: keys from the store (made by `panel init`), the rest from the environment."""

from __future__ import annotations

import os
from collections.abc import Mapping
from dataclasses import dataclass

from panel.application import PanelApp
from panel.domain.errors import ValidationError
from panel.links import check_base_url, store_secret
from panel.numbers import whole_number

MAX_BODY = 64 * 1024  # bytes; the application form is a few kilobytes at most


@dataclass(frozen=True)
class WebSettings:
    """``signing_key`` signs CSRF tokens (and later links); ``secure_cookies`` marks cookies Secure (HTTPS)."""

    signing_key: bytes
    session_key: bytes
    secure_cookies: bool = True
    max_body: int = MAX_BODY
    base_url: str = ""  # the public address links in emails start with; empty: the address the request came to
    confirm_days: int = 7  # how long an email confirmation link works
    me_days: int = 30  # how long a personal /me link works
    limit_per_address: int = 30  # applications sent from one client address per hour (0: no limit)
    limit_per_email: int = 5  # applications with one email address per day (0: no limit)
    min_fill_seconds: int = 3  # a form sent back sooner than this after it was shown is refused (0: no check)
    limit_per_partner: int = 600  # partner API requests with one partner's token per hour (0: no limit)

    @classmethod
    def from_store(cls, app: PanelApp, environ: Mapping[str, str] | None = None) -> WebSettings:
        """The store's web keys (one line to run `panel init` if the store predates them) and the environment's
        PANEL_WEB_SECURE_COOKIES (true/false, default true), PANEL_WEB_MAX_BODY (bytes), PANEL_WEB_BASE_URL and the
        abuse limits PANEL_WEB_LIMIT_PER_ADDRESS (per hour), PANEL_WEB_LIMIT_PER_EMAIL (per day),
        PANEL_WEB_MIN_FILL_SECONDS and PANEL_WEB_LIMIT_PER_PARTNER (partner API requests per hour; 0 turns each off)."""
        env = os.environ if environ is None else environ
        signing, session = store_secret(app.keys, "web_signing"), store_secret(app.keys, "web_session")
        app.rate_counts.require_table()  # the limits' counts, shared by the serving processes
        secure = env.get("PANEL_WEB_SECURE_COOKIES", "true").strip().lower()
        if secure not in ("true", "false", "1", "0", "yes", "no"):
            raise ValidationError(f"PANEL_WEB_SECURE_COOKIES {secure!r} is not true or false: set true behind HTTPS")
        raw_max = env.get("PANEL_WEB_MAX_BODY", str(MAX_BODY)).strip()
        max_body = whole_number(raw_max, 1024, 10 * 1024 * 1024)
        if max_body is None:
            raise ValidationError(f"PANEL_WEB_MAX_BODY {raw_max!r} is not a size in bytes from 1024 to 10485760")
        raw_base = env.get("PANEL_WEB_BASE_URL", "").strip()
        base = check_base_url(raw_base, "PANEL_WEB_BASE_URL") if raw_base else ""
        limits = {
            name: _count(env, variable, default)
            for name, variable, default in (
                ("limit_per_address", "PANEL_WEB_LIMIT_PER_ADDRESS", cls.limit_per_address),
                ("limit_per_email", "PANEL_WEB_LIMIT_PER_EMAIL", cls.limit_per_email),
                ("min_fill_seconds", "PANEL_WEB_MIN_FILL_SECONDS", cls.min_fill_seconds),
                ("limit_per_partner", "PANEL_WEB_LIMIT_PER_PARTNER", cls.limit_per_partner),
            )
        }
        return cls(signing, session, secure in ("true", "1", "yes"), max_body, base, **limits)


def _count(env: Mapping[str, str], variable: str, default: int) -> int:
    raw = env.get(variable, "").strip() or str(default)
    count = whole_number(raw, 0, 1_000_000)
    if count is None:
        raise ValidationError(f"{variable} {raw!r} is not a whole number from 0 to 1000000: 0 turns it off")
    return count
