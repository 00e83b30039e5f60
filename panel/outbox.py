"""Where the service's emails go: a pluggable outbox (no mail is sent by this version).

``FolderOutbox`` writes each message as an ``.eml`` file (readable by its owner only: it holds an
email address and a personal link) into a folder, PANEL_OUTBOX_DIR (default ``./outbox``);
``MemoryOutbox`` keeps them in a list (tests). Anything with ``send(message)`` can take their place,
e.g. an SMTP sender.
"""

from __future__ import annotations

import os
import secrets
from collections.abc import Mapping
from dataclasses import dataclass
from datetime import UTC, datetime
from email.message import EmailMessage
from pathlib import Path
from typing import Protocol


@dataclass(frozen=True)
class Message:
    to: str
    subject: str
    body: str
    kind: str  # e.g. "confirm"


class Outbox(Protocol):
    def send(self, message: Message) -> None: ...


class MemoryOutbox:
    def __init__(self) -> None:
        self.sent: list[Message] = []

    def send(self, message: Message) -> None:
        self.sent.append(message)


class FolderOutbox:
    """Each message as an .eml file (mode 0600) in ``folder`` (made 0700 when it does not exist)."""

    def __init__(self, folder: str | Path, sender: str = "panel@localhost") -> None:
        self.folder = Path(folder)
        self.sender = sender

    def send(self, message: Message) -> None:
        self.folder.mkdir(mode=0o700, parents=True, exist_ok=True)
        mail = EmailMessage()
        mail["From"], mail["To"], mail["Subject"] = self.sender, message.to, message.subject
        mail["X-Panel-Kind"] = message.kind
        mail.set_content(message.body)
        name = f"{datetime.now(UTC):%Y%m%dT%H%M%S%fZ}-{message.kind}-{secrets.token_hex(4)}.eml"
        fd = os.open(self.folder / name, os.O_CREAT | os.O_EXCL | os.O_WRONLY, 0o600)
        with os.fdopen(fd, "wb") as file:
            file.write(bytes(mail))


def outbox_from_env(environ: Mapping[str, str]) -> FolderOutbox:
    return FolderOutbox(environ.get("PANEL_OUTBOX_DIR", "").strip() or "outbox",
                        environ.get("PANEL_MAIL_FROM", "").strip() or "panel@localhost")  # fmt: skip
