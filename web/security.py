"""CSRF tokens, security headers and the request body limit (pure ASGI, no JavaScript needed).

CSRF: a random token in a cookie (HttpOnly, SameSite=Strict; Secure and ``__Host-`` with
HTTPS) and, in each form, its HMAC under the store's signing key. A POST whose field does not
match its cookie is refused with 403 before anything is read or written.
"""

from __future__ import annotations

import hashlib
import hmac
import secrets
from typing import Any

CSP = (
    "default-src 'none'; style-src 'self'; img-src 'self'; form-action 'self'; frame-ancestors 'none'; base-uri 'none'"
)
HEADERS = [
    (b"content-security-policy", CSP.encode()),
    (b"x-content-type-options", b"nosniff"),
    (b"referrer-policy", b"no-referrer"),
    (b"x-frame-options", b"DENY"),
    (b"cross-origin-opener-policy", b"same-origin"),
    (b"permissions-policy", b"camera=(), microphone=(), geolocation=()"),
]


def csrf_cookie_name(secure: bool) -> str:
    return "__Host-panel_csrf" if secure else "panel_csrf"


def new_csrf_cookie() -> str:
    return secrets.token_urlsafe(32)


def csrf_field(key: bytes, cookie: str) -> str:
    """The form's hidden CSRF value for this cookie."""
    return hmac.new(key, b"csrf\x1f" + cookie.encode(), hashlib.sha256).hexdigest()


def csrf_ok(key: bytes, cookie: str | None, field: str | None) -> bool:
    if not cookie or not field or len(cookie) > 100:
        return False
    return hmac.compare_digest(csrf_field(key, cookie), field)


class SecurityHeaders:
    """Adds the security headers to every response."""

    def __init__(self, app: Any, *, hsts: bool) -> None:
        self.app = app
        self.headers = HEADERS + ([(b"strict-transport-security", b"max-age=31536000")] if hsts else [])

    async def __call__(self, scope: dict[str, Any], receive: Any, send: Any) -> None:
        if scope["type"] != "http":
            await self.app(scope, receive, send)
            return

        async def with_headers(message: dict[str, Any]) -> None:
            if message["type"] == "http.response.start":
                message["headers"] = [*message.get("headers", []), *self.headers]
            await send(message)

        await self.app(scope, receive, with_headers)
