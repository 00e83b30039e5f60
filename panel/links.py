"""Signed, expiring links: confirm an email address, see and change what we hold (/me), preview a campaign,
accept or decline an invitation.

A token is ``KIND.SUBJECT.EXPIRES.SIGNATURE``: the kind (``confirm``, ``me``, ``preview``, ``accept`` or
``decline``), the participant's id (not personal data: a keyed hash), the campaign's id, the
invitation email's id (``panel.domain.mailing``) or a change of address's id (``new_email``,
``keep_email``), the expiry as Unix seconds, and an HMAC-SHA256 of the rest under the store's
``web_signing`` key (made by `panel init`). Nothing is stored for a token; a changed character, another
kind or a passed expiry is refused.
"""

from __future__ import annotations

import base64
import hashlib
import hmac
from datetime import UTC, datetime
from uuid import UUID

from panel.config import StoreVersionError
from panel.domain.errors import PanelError, ValidationError

# staff: a signed-in session (web_session key); new_email: a change of address (panel.email_changes), confirmed
# from the new address; keep_email: the same change, stopped from the old address
KINDS = ("confirm", "me", "preview", "staff", "accept", "decline", "new_email", "keep_email")
MAX_TOKEN = 200


class BadLinkError(PanelError):
    """Raised when a link's token is malformed, tampered with, or for another purpose."""


class ExpiredLinkError(PanelError):
    """Raised when a link's token was genuine but has expired."""


def check_base_url(url: str, where: str) -> str:
    """A public web address links start with (no trailing slash), or a ValidationError naming ``where``."""
    base = url.strip().rstrip("/")
    if not base.startswith(("https://", "http://")) or len(base) < 10 or any(c in base for c in " \t\r\n\"'<>"):
        raise ValidationError(f"{where} {url!r} is not a web address: write e.g. https://apply.example.org")
    return base


def store_secret(keys: object, name: str = "web_signing") -> bytes:
    """A web secret of the store (``app.keys``; `panel init` makes them), or one line saying to run `panel init`."""
    key = keys.secret(name, create=False)  # type: ignore[attr-defined]
    if key is None:
        raise StoreVersionError(
            "the store has no web service keys (it was made before `panel serve` existed): run `panel init` to add them"
        )
    return bytes(key)


def _signature(key: bytes, payload: str) -> str:
    digest = hmac.new(key, b"link\x1f" + payload.encode(), hashlib.sha256).digest()
    return base64.urlsafe_b64encode(digest).decode().rstrip("=")


def make_token(key: bytes, kind: str, participant_id: UUID, expires: datetime) -> str:
    if kind not in KINDS:
        raise ValueError(kind)
    payload = f"{kind}.{participant_id.hex}.{int(expires.timestamp())}"
    return f"{payload}.{_signature(key, payload)}"


def read_token(key: bytes, kind: str, token: str, now: datetime) -> UUID:
    """The participant a genuine, unexpired token of this kind names; BadLinkError or ExpiredLinkError."""
    parts = token.split(".") if len(token) <= MAX_TOKEN else []
    if len(parts) != 4:
        raise BadLinkError("this link is not complete: copy the whole link from the email")
    payload, signature = ".".join(parts[:3]), parts[3]
    if not hmac.compare_digest(_signature(key, payload), signature) or parts[0] != kind:
        raise BadLinkError("this link is not valid: copy the whole link from the email")
    try:
        participant_id, expires = UUID(hex=parts[1]), datetime.fromtimestamp(int(parts[2]), UTC)
    except (ValueError, OverflowError, OSError):
        raise BadLinkError("this link is not valid: copy the whole link from the email") from None
    if now >= expires:
        raise ExpiredLinkError("this link has expired")
    return participant_id
