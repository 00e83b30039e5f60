"""Sealing personal data: AES-GCM under a participant's own data key, their id bound in as associated data.

Aggregates and events only ever hold the sealed text; ``merge_personal`` opens a participant's
sealed blobs in order (later values win) into the plain record the queries return.
"""

from __future__ import annotations

import base64
import json
import os
from typing import TYPE_CHECKING, Any
from uuid import UUID

from cryptography.hazmat.primitives.ciphers.aead import AESGCM

from panel.clock import now
from panel.domain.participant import Participant
from panel.records import PersonalData

if TYPE_CHECKING:
    from panel.validation import SignUp

ERASED = "«erased»"


def seal(key: bytes, participant_id: UUID, data: dict[str, Any]) -> str:
    """Encrypt ``data`` for one participant; the id is bound in as associated data."""
    nonce = os.urandom(12)
    plaintext = json.dumps(data, separators=(",", ":"), sort_keys=True).encode()
    return base64.b64encode(nonce + AESGCM(key).encrypt(nonce, plaintext, participant_id.bytes)).decode()


def unseal(key: bytes, participant_id: UUID, sealed: str) -> dict[str, Any]:
    raw = base64.b64decode(sealed)
    data: dict[str, Any] = json.loads(AESGCM(key).decrypt(raw[:12], raw[12:], participant_id.bytes))
    return data


def merge_personal(key: bytes, pid: UUID, sealed: list[str]) -> PersonalData:
    """Unseal each sealed blob in order; later values win."""
    personal: dict[str, str] = {}
    attributes: dict[str, str] = {}
    for blob in sealed:
        data = unseal(key, pid, blob)
        personal.update(data.get("personal", {}))
        attributes.update(data.get("attributes", {}))
    return PersonalData(
        name=personal.get("name"),
        email=personal.get("email"),
        phone=personal.get("phone"),
        address=personal.get("address"),
        postcode=personal.get("postcode"),
        attributes=attributes,
    )


def sealed_signup(pid: UUID, s: SignUp, key: bytes) -> str:
    """The sealed personal data of a sign-up that ``validate_signup`` returned."""
    return seal(key, pid, {"personal": dict(s.personal), "attributes": dict(s.attributes)})


def signup_events(pid: UUID, s: SignUp, key: bytes) -> list[Any]:
    """The events of one new sign-up, its personal data sealed under ``key`` (the bulk path)."""
    at = s.at or now()
    return Participant.sign_up(
        id=pid,
        source=s.source,
        external_ref=s.ref,
        channel=s.channel,
        captured_by=s.captured_by,
        at=at,
        sealed=sealed_signup(pid, s, key),
        consents=[(c.purpose, c.notice_version, c.method, c.captured_by, c.at or at, c.expires_at) for c in s.consents],
    )
