"""Signed checkpoints of the hash chain's head: published outside the database, they catch a rewritten history.

A checkpoint is a small JSON document: the head's position and chain hash (hex), the time (UTC),
the store's Ed25519 public key (hex of its 32 bytes) and a signature (hex) over the canonical bytes

    panel-checkpoint/1 LF position LF chain hash LF time LF public key LF

(UTF-8, the position in decimal, no other whitespace). The private key is the 32-byte seed that
`panel init` keeps in the store's settings table (``audit_signing``), beside the web's secrets and
outside the event and chain tables.

``check`` proves, when the chain row at the checkpoint's position still has the signed hash and
the walk from position 1 holds, that nothing at or before that position was rewritten since the
checkpoint was signed, even by someone who recomputed the whole chain consistently: they cannot
recompute the published checkpoint.
"""

from __future__ import annotations

import json
from dataclasses import asdict, dataclass, field
from datetime import datetime
from typing import Any

from cryptography.exceptions import InvalidSignature
from cryptography.hazmat.primitives.asymmetric.ed25519 import Ed25519PrivateKey, Ed25519PublicKey
from cryptography.hazmat.primitives.serialization import Encoding, PublicFormat

from panel.application import PanelApp
from panel.audit import Audit, ChainReport
from panel.config import StoreVersionError
from panel.domain.errors import PanelError, ValidationError

FORMAT = "panel-checkpoint/1"
KEY_SETTING = "audit_signing"  # the Ed25519 private key's 32-byte seed, made by `panel init`
FIELDS = ("format", "position", "chain_hash", "time", "public_key", "signature")
MAX_FILE = 10_000  # a checkpoint is about 400 bytes; anything much longer is not one


class CheckpointFileError(ValidationError):
    """Raised when a checkpoint file cannot be read or is not a checkpoint."""


@dataclass(frozen=True)
class Checkpoint:
    """A signed statement: the chain hash at ``position`` was ``chain_hash`` at ``time``."""

    position: int
    chain_hash: str  # hex
    time: str  # UTC, ISO 8601 with a Z
    public_key: str  # hex of the raw 32 bytes
    signature: str = ""  # hex of the 64-byte Ed25519 signature over ``message()``
    format: str = FORMAT

    def message(self) -> bytes:
        """The canonical bytes that are signed."""
        return f"{FORMAT}\n{self.position}\n{self.chain_hash}\n{self.time}\n{self.public_key}\n".encode()

    def document(self) -> dict[str, Any]:
        """The JSON document to publish, fields in a fixed order."""
        return {name: getattr(self, name) for name in FIELDS}


@dataclass(frozen=True)
class CheckpointReport:
    """What ``check`` found: each failure as one line; ``ok`` when there is none."""

    ok: bool
    trusted: str  # "published key" (--public-key) or "store key"
    key_ok: bool
    signature_ok: bool
    hash_ok: bool
    checkpoint: dict[str, Any]
    chain: dict[str, Any]
    failures: list[str] = field(default_factory=list)


def signing_key(app: PanelApp) -> Ed25519PrivateKey:
    """The store's checkpoint signing key, or one line saying to run `panel init` (a store made before it)."""
    seed = app.keys.setting(KEY_SETTING)
    if seed is None or len(seed) != 32:
        raise StoreVersionError(
            "the store has no checkpoint signing key (it was made before signed checkpoints): "
            "run `panel init` to add one"
        )
    return Ed25519PrivateKey.from_private_bytes(seed)


def public_key_hex(app: PanelApp) -> str:
    """The store's checkpoint public key: 64 hex digits, to publish beside the checkpoints."""
    return signing_key(app).public_key().public_bytes(Encoding.Raw, PublicFormat.Raw).hex()


def make(app: PanelApp, now: datetime) -> Checkpoint:
    """A signed checkpoint of the chain's head, after verifying the whole chain (never sign a broken one)."""
    key = signing_key(app)
    report = Audit(app).verify()
    if not report.ok:
        raise PanelError(
            f"chain broken at position {report.position}: {report.kind}: no checkpoint is signed over a broken "
            "chain: run `panel audit verify` and explain the break first"
        )
    if report.head_position is None or report.head_hash is None:
        raise ValidationError("the store holds no events yet: there is nothing to checkpoint")
    unsigned = Checkpoint(
        report.head_position,
        report.head_hash,
        now.strftime("%Y-%m-%dT%H:%M:%SZ"),
        key.public_key().public_bytes(Encoding.Raw, PublicFormat.Raw).hex(),
    )
    return Checkpoint(**{**asdict(unsigned), "signature": key.sign(unsigned.message()).hex()})


def parse_public_key(text: str) -> str:
    """A published public key as 64 lower-case hex digits, or one line saying what is wrong."""
    key = text.strip().lower()
    if len(key) != 64 or not _is_hex(key):
        raise ValidationError(
            f"--public-key {text.strip()[:80]!r} is not a public key: give the 64 hex digits "
            "`panel audit public-key` printed"
        )
    return key


def read(text: str, source: str) -> Checkpoint:
    """The checkpoint in a file's text, or one line (CheckpointFileError) saying why it is not one."""
    if len(text) > MAX_FILE:
        raise CheckpointFileError(f"{source} is not a checkpoint: {len(text)} characters, far more than one holds")
    try:
        data = json.loads(text)
    except json.JSONDecodeError as exc:
        raise CheckpointFileError(f"{source} is not a checkpoint: not JSON ({exc.msg} at line {exc.lineno})") from None
    except RecursionError:
        raise CheckpointFileError(f"{source} is not a checkpoint: JSON nested far too deep") from None
    if not isinstance(data, dict):
        raise CheckpointFileError(f"{source} is not a checkpoint: a JSON object with {', '.join(FIELDS)} is expected")
    missing = [name for name in FIELDS if name not in data]
    if missing:
        raise CheckpointFileError(f"{source} is not a checkpoint: it lacks {', '.join(missing)}")
    if data["format"] != FORMAT:
        raise CheckpointFileError(f"{source}: format {str(data['format'])[:40]!r} is not {FORMAT!r}")
    position = data["position"]
    if not isinstance(position, int) or isinstance(position, bool) or position < 1:
        raise CheckpointFileError(f"{source}: position must be a whole number from 1")
    for name, digits in (("chain_hash", 64), ("public_key", 64), ("signature", 128)):
        value = data[name]
        if not isinstance(value, str) or len(value) != digits or not _is_hex(value):
            raise CheckpointFileError(f"{source}: {name} must be {digits} hex digits")
    if not isinstance(data["time"], str) or not _is_time(data["time"]):
        raise CheckpointFileError(f"{source}: time must be a UTC time like 2026-01-31T23:59:59Z")
    return Checkpoint(position, data["chain_hash"], data["time"], data["public_key"], data["signature"])


def check(
    app: PanelApp, checkpoint: Checkpoint, published_key: str | None, start: int | None = None
) -> CheckpointReport:
    """Check the checkpoint's key and signature, that its position still has its hash, and the chain walk."""
    failures = []
    if published_key is not None:
        trusted, key_ok = "published key", checkpoint.public_key.lower() == published_key
        if not key_ok:
            failures.append(
                f"the checkpoint was signed by key {checkpoint.public_key[:16]}..., not the published key given "
                f"({published_key[:16]}...)"
            )
    else:
        store_key = public_key_hex(app)
        trusted, key_ok = "store key", checkpoint.public_key.lower() == store_key
        if not key_ok:
            failures.append(
                f"the checkpoint was signed by key {checkpoint.public_key[:16]}..., not this store's key "
                f"({store_key[:16]}...): a checkpoint of another store, or a forged one"
            )
    signature_ok = _signature_holds(checkpoint)
    if not signature_ok:
        failures.append("the checkpoint's signature does not match its content: the file was changed after signing")
    hash_ok = _hash_holds(app, checkpoint, failures)
    chain = Audit(app).verify(start)
    if not chain.ok:
        failures.append(chain_line(chain))
    return CheckpointReport(
        ok=not failures,
        trusted=trusted,
        key_ok=key_ok,
        signature_ok=signature_ok,
        hash_ok=hash_ok,
        checkpoint=checkpoint.document(),
        chain=asdict(chain),
        failures=failures,
    )


def _signature_holds(checkpoint: Checkpoint) -> bool:
    try:
        Ed25519PublicKey.from_public_bytes(bytes.fromhex(checkpoint.public_key)).verify(
            bytes.fromhex(checkpoint.signature), checkpoint.message()
        )
    except (InvalidSignature, ValueError):
        return False
    return True


def _hash_holds(app: PanelApp, checkpoint: Checkpoint, failures: list[str]) -> bool:
    at = checkpoint.position
    row = app.recorder.link_before(at + 1)  # type: ignore[attr-defined]  # the chained recorders'
    if row is None or row.position != at:
        failures.append(
            f"the store has no chain row at the checkpoint's position {at}: events at or before it were removed "
            "(or this is another store)"
        )
        return False
    if row.hash.hex() != checkpoint.chain_hash.lower():
        failures.append(
            f"the chain hash at position {at} is not the checkpoint's: history at or before position {at} "
            f"was rewritten after the checkpoint of {checkpoint.time} (even if the chain was recomputed to match)"
        )
        return False
    return True


def chain_line(report: ChainReport) -> str:
    return (
        f"chain broken at position {report.position}: {report.kind}: {report.detail} "
        f"({report.checked} event(s) verified from position {report.start} before it)"
    )


def _is_hex(text: str) -> bool:
    return all(c in "0123456789abcdefABCDEF" for c in text)


def _is_time(text: str) -> bool:
    if not text.endswith("Z"):
        return False
    try:
        datetime.fromisoformat(text[:-1] + "+00:00")
    except ValueError:
        return False
    return True
