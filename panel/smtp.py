"""Sending email through an SMTP server named by a URL (PANEL_SMTP_URL), with the standard library's smtplib.

``smtp://[user[:password]@]host[:port]`` (port 25 by default; ``?starttls=true`` upgrades the connection
with STARTTLS before any password is sent), ``smtps://...`` (TLS from the start, port 465 by default).
User and password are percent-decoded, so a password may hold any character.
"""

from __future__ import annotations

import smtplib
import ssl
from dataclasses import dataclass
from email.message import EmailMessage
from urllib.parse import parse_qs, unquote, urlsplit

from panel.domain.errors import ValidationError

TIMEOUT = 10.0  # seconds to connect and for each reply: a stuck relay must not hold a web request for long
_TRUE, _FALSE = ("true", "1", "yes"), ("false", "0", "no")


@dataclass(frozen=True)
class SmtpTransport:
    """Where and how to hand messages to an SMTP server."""

    host: str
    port: int
    tls: bool = False  # smtps: TLS from the first byte
    starttls: bool = False
    user: str = ""
    password: str = ""

    @classmethod
    def from_url(cls, url: str) -> SmtpTransport:
        """The transport a PANEL_SMTP_URL names, or a ValidationError saying what to write instead."""
        example = "write e.g. PANEL_SMTP_URL=smtp://user:password@mail.example.org:587?starttls=true"
        try:
            parts = urlsplit(url.strip())
            port = parts.port
        except ValueError:
            raise ValidationError(f"PANEL_SMTP_URL is not a URL: {example}") from None
        if parts.scheme not in ("smtp", "smtps") or not parts.hostname:
            raise ValidationError(f"PANEL_SMTP_URL must start smtp:// or smtps:// and name a host: {example}")
        options = {key: values[-1].strip().lower() for key, values in parse_qs(parts.query).items()}
        if set(options) - {"starttls"} or options.get("starttls", "false") not in _TRUE + _FALSE:
            raise ValidationError(f"PANEL_SMTP_URL takes one option, starttls=true or false: {example}")
        tls = parts.scheme == "smtps"
        return cls(
            host=parts.hostname,
            port=port or (465 if tls else 25),
            tls=tls,
            starttls=options.get("starttls", "false") in _TRUE,
            user=unquote(parts.username or ""),
            password=unquote(parts.password or ""),
        )

    def describe(self) -> str:
        """Where mail goes, without the password (for logs and the CLI)."""
        scheme = "smtps" if self.tls else "smtp"
        return f"{scheme}://{self.user + '@' if self.user else ''}{self.host}:{self.port}" + (
            "?starttls=true" if self.starttls else ""
        )

    def send(self, mail: EmailMessage) -> None:
        """Hand ``mail`` to the server; raises OSError or smtplib.SMTPException when it is not accepted."""
        context = ssl.create_default_context()
        client: smtplib.SMTP
        if self.tls:
            client = smtplib.SMTP_SSL(self.host, self.port, timeout=TIMEOUT, context=context)
        else:
            client = smtplib.SMTP(self.host, self.port, timeout=TIMEOUT)
        with client:
            if self.starttls:
                client.starttls(context=context)
            if self.user:
                client.login(self.user, self.password)
            client.send_message(mail)
