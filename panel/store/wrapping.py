"""Envelope encryption of the data keys: each participant's key wrapped by the store's master key.

The master key (256 bits) comes from ``PANEL_MASTER_KEY`` (base64 or hex) or from the file named by
``PANEL_MASTER_KEY_FILE``. A wrapped key is stored as::

    0x01 | key id (8 bytes) | nonce (12 bytes) | AES-256-GCM(data key) with its tag (48 bytes)

with the participant's id as associated data, so a wrapped key copied onto another participant's
row does not open. The key id (an HMAC of a fixed label under the master key) tells which master
key wrapped a row: a rotation re-wraps every row and a process still holding the old key is refused.
A check value (a known block wrapped the same way) lets a store refuse a wrong master key when it
opens, not half-way through a command.
"""

from __future__ import annotations

import base64
import binascii
import hashlib
import hmac
import os
import string
from pathlib import Path

from cryptography.exceptions import InvalidTag
from cryptography.hazmat.primitives.ciphers.aead import AESGCM

from panel.config import StoreUnavailableError

FORMAT = b"\x01"
ID_SIZE, NONCE_SIZE, PLAIN_SIZE = 8, 12, 32
WRAPPED_SIZE = 1 + ID_SIZE + NONCE_SIZE + PLAIN_SIZE + 16
CHECK_ID = "master-key-check"  # stands in for a participant id when wrapping the check value
SETTINGS = "PANEL_MASTER_KEY or PANEL_MASTER_KEY_FILE"
MAKE_MASTER_KEY = "python -c 'import base64, os; print(base64.b64encode(os.urandom(32)).decode())'"


class MasterKeyError(StoreUnavailableError):
    """Raised when the master key is missing, malformed, unreadable or not the one the data keys were wrapped with."""


def parse_master_key(text: str, setting: str) -> bytes:
    """The 32 bytes of a master key written in base64 or as 64 hex digits; one line naming ``setting`` if not."""
    text = text.strip()
    if len(text) == 2 * PLAIN_SIZE and all(ch in string.hexdigits for ch in text):
        return bytes.fromhex(text)
    try:
        raw = base64.b64decode(text, validate=True)
    except (binascii.Error, ValueError):
        raw = b""
    if len(raw) != PLAIN_SIZE:
        raise MasterKeyError(
            f"{setting} is not a 256-bit key (32 bytes in base64, or 64 hex digits): make one with {MAKE_MASTER_KEY}"
        )
    return raw


def read_master_key_file(path: str, setting: str = "PANEL_MASTER_KEY_FILE") -> bytes:
    """The master key in the file at ``path``, which other users may not read (mode 0600 or 0640)."""
    where = f"{setting} {path}"
    file = Path(path)
    try:
        mode = file.stat().st_mode
        if file.is_dir():
            raise MasterKeyError(f"{where} is a folder: name the file that holds the master key")
        text = file.read_text(encoding="ascii")
    except OSError as exc:
        raise MasterKeyError(f"cannot read {where}: {exc.strerror}: check the path and its permissions") from None
    except UnicodeDecodeError:
        text = ""
    if mode & 0o007:
        raise MasterKeyError(f"{where} can be read by every user (mode {mode & 0o777:o}): chmod 600 {path}")
    return parse_master_key(text, where)


class MasterKey:
    """A master key and where it was set (named in every error), wrapping and unwrapping data keys."""

    def __init__(self, key: bytes, source: str = "PANEL_MASTER_KEY") -> None:
        if len(key) != PLAIN_SIZE:
            raise MasterKeyError(f"{source} is not a 256-bit key: make one with {MAKE_MASTER_KEY}")
        self.aead = AESGCM(key)
        self.id = hmac.new(key, b"panel master key id", hashlib.sha256).digest()[:ID_SIZE]
        self.source = source

    def wrap(self, participant_hex: str, data_key: bytes) -> bytes:
        nonce = os.urandom(NONCE_SIZE)
        return FORMAT + self.id + nonce + self.aead.encrypt(nonce, data_key, _bound(participant_hex))

    def unwrap(self, participant_hex: str, stored: bytes) -> bytes:
        """The data key in ``stored``; MasterKeyError if this master key did not wrap it (or it was changed)."""
        if len(stored) != WRAPPED_SIZE or stored[:1] != FORMAT:
            raise MasterKeyError(
                f"the data key of {participant_hex} is not wrapped by a master key although the store's keys are: "
                "it was written without the master key, or changed; restore the key table from a backup"
            )
        if stored[1 : 1 + ID_SIZE] != self.id:
            raise MasterKeyError(
                f"the data key of {participant_hex} was wrapped by another master key than the one in {self.source}: "
                "the master key was rotated; restart with the new one"
            )
        nonce = stored[1 + ID_SIZE : 1 + ID_SIZE + NONCE_SIZE]
        try:
            return self.aead.decrypt(nonce, stored[1 + ID_SIZE + NONCE_SIZE :], _bound(participant_hex))
        except InvalidTag:
            raise MasterKeyError(
                f"the wrapped data key of {participant_hex} does not open with the master key in {self.source}: "
                "it was changed or moved to another participant's row; restore the key table from a backup"
            ) from None

    def check_value(self) -> bytes:
        """A known block wrapped by this key: stored beside the keys, it tells a wrong master key at once."""
        return self.wrap(CHECK_ID, bytes(PLAIN_SIZE))

    def opens(self, check: bytes) -> bool:
        """Whether ``check`` (a stored check value) was made by this master key."""
        try:
            return self.unwrap(CHECK_ID, check) == bytes(PLAIN_SIZE)
        except MasterKeyError:
            return False


def key_id(stored_check: bytes) -> str:
    """The id (hex) of the master key that made a stored check value: safe to print."""
    return stored_check[1 : 1 + ID_SIZE].hex()


def _bound(participant_hex: str) -> bytes:
    return b"panel data key\x1f" + participant_hex.encode()
