"""The answers a one-per-page application carries from page to page, sealed in a hidden form field.

Nothing is stored on the server and nothing is written to the event store until the applicant sends the
application from "Check your answers". Between pages the answers travel in the ``carry`` field: JSON,
encrypted and authenticated with AES-256-GCM under a key derived from the store's ``web_session`` secret,
with the campaign's slug as associated data (a token made for one campaign does not open on another). A
changed character, another store's token or another campaign's is refused (``BadCarryError``), so the
applicant sees a clear page and nothing is recorded. The token never goes into a URL or a log.
"""

from __future__ import annotations

import base64
import hashlib
import hmac
import json
import os

from cryptography.exceptions import InvalidTag
from cryptography.hazmat.primitives.ciphers.aead import AESGCM

MAX_CARRY = 48 * 1024  # characters; far more than a form's answers, far less than the body limit
VERSION = b"\x01"


class BadCarryError(Exception):
    """Raised when a carried token is malformed, tampered with, or made by another store or campaign."""


def carry_key(session_key: bytes) -> bytes:
    """The 32-byte key that seals carried answers (derived, so it is used for nothing else)."""
    return hmac.new(session_key, b"carry\x1fv1", hashlib.sha256).digest()


def seal(key: bytes, slug: str, fields: dict[str, list[str]]) -> str:
    """The fields (name -> values, as a form posts them) as an opaque, URL-safe token."""
    nonce = os.urandom(12)
    plain = json.dumps(fields, separators=(",", ":"), sort_keys=True).encode()
    sealed = AESGCM(key).encrypt(nonce, plain, VERSION + slug.encode())
    return base64.urlsafe_b64encode(VERSION + nonce + sealed).decode().rstrip("=")


def unseal(key: bytes, slug: str, token: str) -> dict[str, list[str]]:
    """The fields ``seal`` sealed for this campaign; BadCarryError for anything else."""
    if not token:
        return {}
    if len(token) > MAX_CARRY:
        raise BadCarryError("the carried answers are too long")
    try:
        raw = base64.urlsafe_b64decode(token + "=" * (-len(token) % 4))
        if raw[:1] != VERSION or len(raw) < 29:
            raise BadCarryError("the carried answers are not ours")
        plain = AESGCM(key).decrypt(raw[1:13], raw[13:], VERSION + slug.encode())
        fields = json.loads(plain)
    except (ValueError, InvalidTag):
        raise BadCarryError("the carried answers were changed or are not ours") from None
    if not isinstance(fields, dict) or not all(
        isinstance(k, str) and isinstance(v, list) and all(isinstance(x, str) for x in v) for k, v in fields.items()
    ):
        raise BadCarryError("the carried answers are not a form's fields")
    return fields
