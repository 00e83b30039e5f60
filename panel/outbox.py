"""Where the service's emails go: a folder that keeps every message, and an SMTP server when one is set.

``FolderOutbox`` writes each message as an ``.eml`` file (mode 0600, in a folder made 0700: it holds an
email address and personal links) into PANEL_OUTBOX_DIR (default ``./outbox``). Without PANEL_SMTP_URL
the messages wait there, for `panel outbox` to list and a relay or a person to pick up. With it, each
message is handed to the server as it is written and moved to ``sent/``, or to ``failed/`` with the
reason beside it (``NAME.error``); `panel outbox send` tries the waiting and failed ones again.
``MemoryOutbox`` keeps messages in a list (tests). Anything with ``send(message)`` can take their place.
"""

from __future__ import annotations

import contextlib
import heapq
import os
import secrets
import smtplib
from collections.abc import Iterator, Mapping
from dataclasses import dataclass
from datetime import UTC, datetime
from email import message_from_bytes, policy
from pathlib import Path
from typing import Protocol

from panel.domain.errors import PanelError, ValidationError
from panel.eml import eml_bytes
from panel.paging import Page
from panel.smtp import SmtpTransport

STATUSES = ("waiting", "sent", "failed")


class OutboxError(PanelError):
    """Raised when a message cannot be kept in the outbox folder (not writable, not a folder, disk full)."""


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


@dataclass(frozen=True)
class OutboxEntry:
    """One message in the folder, as `panel outbox` lists it (the address masked: j***@example.org)."""

    name: str
    status: str  # waiting | sent | failed
    written_at: datetime
    kind: str
    to: str
    subject: str
    error: str = ""


class FolderOutbox:
    """Each message as an .eml file in ``folder``; delivered through ``transport`` when there is one."""

    def __init__(self, folder: str | Path, sender: str = "panel@localhost", transport: SmtpTransport | None = None):
        self.folder = Path(folder)
        self.sender = sender
        self.transport = transport

    def send(self, message: Message) -> None:
        """Keep the message, then hand it to the SMTP server when one is set (a failure is kept, not raised).
        OutboxError when it cannot be kept at all."""
        try:
            path = self.write(message)
        except OSError as exc:
            raise self.unwritable(exc) from None
        if self.transport is not None:
            with contextlib.suppress(OSError):  # sent/ or failed/ not writable: it waits for `panel outbox send`
                self.deliver(path)

    def check(self) -> None:
        """OutboxError now (before anything is recorded) when the folder cannot hold a message."""
        try:
            probe = self._folder("") / f".probe-{secrets.token_hex(4)}"
            _write_private(probe.parent, probe.name, b"")
            probe.unlink()
        except OSError as exc:
            raise self.unwritable(exc) from None

    def unwritable(self, exc: OSError) -> OutboxError:
        reason = exc.strerror or type(exc).__name__
        return OutboxError(
            f"cannot keep mail in the outbox folder {self.folder} ({reason}): make it a writable folder, "
            "or set PANEL_OUTBOX_DIR to one"
        )

    def write(self, message: Message) -> Path:
        data = eml_bytes(self.sender, message.to, message.subject, message.kind, message.body)
        name = f"{datetime.now(UTC):%Y%m%dT%H%M%S%fZ}-{message.kind}-{secrets.token_hex(4)}.eml"
        try:  # the folder is there nearly always: written straight away, without making sure of the folder first
            return _write_private(self.folder, name, data)
        except (FileNotFoundError, NotADirectoryError):  # nothing was created: as before, the folder (0700) first
            return _write_private(self._folder(""), name, data)

    def deliver(self, path: Path) -> str:
        """Send one kept message; move it to sent/ (returns "") or failed/ (returns the reason, also kept)."""
        if self.transport is None:
            raise ValidationError("PANEL_SMTP_URL is not set: set it to send mail, e.g. smtp://mail.example.org:25")
        mail = message_from_bytes(path.read_bytes(), policy=policy.default)
        try:
            self.transport.send(mail)
        except (OSError, smtplib.SMTPException) as exc:
            reason = failure_reason(exc, self.transport)
            os.replace(path, self._folder("failed") / path.name)
            _write_private(self._folder("failed"), f"{path.name}.error", reason.encode(), replace=True)
            return reason
        os.replace(path, self._folder("sent") / path.name)
        (self.folder / "failed" / f"{path.name}.error").unlink(missing_ok=True)
        return ""

    def flush(self) -> tuple[int, int]:
        """Send every waiting and failed message again: (how many were sent, how many failed)."""
        sent = failed = 0
        for status in ("waiting", "failed"):
            for path in self._paths(status):
                if self.deliver(path):
                    failed += 1
                else:
                    sent += 1
        return sent, failed

    def entries(self, status: str | None = None) -> list[OutboxEntry]:
        """The kept messages, oldest first, of one status or all."""
        return [self._entry(path, state) for _, _, state, path in sorted(self._keys(status))]

    def page(self, page: Page, status: str | None = None) -> tuple[list[OutboxEntry], bool]:
        """One page of the kept messages, oldest first (as ``entries`` orders them), and whether more follow.

        The folder's names are walked once and only the ``offset + limit + 1`` oldest are kept (a heap); only the
        page's messages are opened. The names themselves tell when a message was written."""
        oldest = heapq.nsmallest(page.offset + page.limit + 1, self._keys(status))
        rows, more = page.window(oldest)
        return [self._entry(path, state) for _, _, state, path in rows], more

    def counts(self, status: str | None = None) -> dict[str, int]:
        """How many messages each status holds (every status, or the one asked for), without opening them."""
        return {state: sum(1 for _ in self._names(state)) for state in (STATUSES if status is None else (status,))}

    def _keys(self, status: str | None) -> Iterator[tuple[datetime, str, str, Path]]:
        """(written at, name, status, path) of every kept message of ``status`` (all when None), unsorted."""
        for state in STATUSES if status is None else (status,):
            for path in self._names(state):
                yield _written_at(path), path.name, state, path

    def _entry(self, path: Path, state: str) -> OutboxEntry:
        mail = message_from_bytes(path.read_bytes(), policy=policy.default)
        error = path.with_name(path.name + ".error")
        return OutboxEntry(
            name=path.name,
            status=state,
            written_at=_written_at(path),
            kind=str(mail.get("X-Panel-Kind", "")),
            to=mask_address(str(mail.get("To", ""))),
            subject=str(mail.get("Subject", "")),
            error=error.read_text(encoding="utf-8").strip() if error.exists() else "",
        )

    def _names(self, status: str) -> Iterator[Path]:
        """The messages of one status, in no particular order (``_paths`` sorts them)."""
        folder = self.folder / ("" if status == "waiting" else status)
        return folder.glob("*.eml") if folder.is_dir() else iter(())

    def _paths(self, status: str) -> Iterator[Path]:
        return iter(sorted(self._names(status)))

    def _folder(self, sub: str) -> Path:
        folder = self.folder / sub if sub else self.folder
        folder.mkdir(mode=0o700, parents=True, exist_ok=True)
        return folder


def failure_reason(exc: BaseException, transport: SmtpTransport) -> str:
    """One line on why the server did not take a message, without the recipient's address."""
    if isinstance(exc, smtplib.SMTPRecipientsRefused):
        return "the server refused the recipient address"
    if isinstance(exc, smtplib.SMTPAuthenticationError):
        return "the server refused the user name or password in PANEL_SMTP_URL"
    if isinstance(exc, smtplib.SMTPResponseException):
        return f"the server answered {exc.smtp_code}"
    if isinstance(exc, smtplib.SMTPException):
        return f"the SMTP conversation failed ({type(exc).__name__})"
    return f"cannot reach {transport.host}:{transport.port} ({getattr(exc, 'strerror', None) or type(exc).__name__})"


def mask_address(address: str) -> str:
    """``j***@example.org``: enough to tell messages apart, not enough to read someone's address."""
    local, at, domain = address.partition("@")
    return f"{local[:1]}***@{domain}" if at else "***"


def outbox_from_env(environ: Mapping[str, str]) -> FolderOutbox:
    """The outbox PANEL_OUTBOX_DIR, PANEL_MAIL_FROM and PANEL_SMTP_URL describe; one line when one is wrong."""
    url = environ.get("PANEL_SMTP_URL", "").strip()
    transport = SmtpTransport.from_url(url) if url else None
    sender = environ.get("PANEL_MAIL_FROM", "").strip()
    if transport is not None and not sender:
        raise ValidationError(
            "PANEL_MAIL_FROM is not set: set the From address mail is sent as, e.g. panel@example.org"
        )
    if sender and ("@" not in sender or any(c in sender for c in "\r\n<>")):
        raise ValidationError(f"PANEL_MAIL_FROM {sender!r} is not an email address: write e.g. panel@example.org")
    return FolderOutbox(environ.get("PANEL_OUTBOX_DIR", "").strip() or "outbox", sender or "panel@localhost", transport)


def _write_private(folder: Path, name: str, data: bytes, replace: bool = False) -> Path:
    path = folder / name
    if replace:
        path.unlink(missing_ok=True)
    fd = os.open(path, os.O_CREAT | os.O_EXCL | os.O_WRONLY, 0o600)
    with os.fdopen(fd, "wb") as file:
        file.write(data)
    return path


def _written_at(path: Path) -> datetime:
    try:
        return datetime.strptime(path.name[:22], "%Y%m%dT%H%M%S%fZ").replace(tzinfo=UTC)
    except ValueError:  # a file someone put there by hand
        return datetime.fromtimestamp(path.stat().st_mtime, UTC)
