"""A message as the bytes of an ``.eml`` file, as ``EmailMessage`` (``email.policy.default``) writes it, sooner.

Building an ``EmailMessage`` parses every header into a parse tree and folds it back out, and ``set_content``
parses the MIME headers it sets: about 2-3 ms a message, the largest single cost of an online application.
Most of the service's messages need none of it: a bare ASCII address, a short ASCII subject, an ASCII body.
For those the bytes are written directly, as the generator writes them: each header as "Name: value" (a
short plain value renders unchanged from its parse tree), the MIME headers, a blank line, and the body
encoded as ``email.contentmanager`` chooses (7bit when no line is longer than the policy allows,
quoted-printable otherwise). Anything else (a display name, a non-ASCII subject or body, a long header, a
body the library would send as base64) goes through ``EmailMessage`` as before. The bytes are the same
either way: tests/unit/test_eml.py compares them.
"""

from __future__ import annotations

import binascii
import re
from email import policy, quoprimime
from email.message import EmailMessage

POLICY = policy.default
WIDTH = POLICY.max_line_length or 78  # the policy's longest line (78)
ATOM = r"[A-Za-z0-9!#$%&'*+/=?^_`{|}~-]+"
PLAIN_ADDRESS = re.compile(rf"{ATOM}(?:\.{ATOM})*@[A-Za-z0-9-]+(?:\.[A-Za-z0-9-]+)*")  # a bare addr-spec
PLAIN_TEXT = re.compile(r"[!-~]+(?: [!-~]+)*")  # printable ASCII words, single spaces, nothing at either end
ADDRESS_HEADERS = ("From", "To")


def eml_bytes(sender: str, to: str, subject: str, kind: str, body: str) -> bytes:
    """The message's bytes: From, To, Subject, X-Panel-Kind, then a text/plain UTF-8 body."""
    headers = (("From", sender), ("To", to), ("Subject", subject), ("X-Panel-Kind", kind))
    encoded = plain_body(body)
    if encoded is not None and all(plain_header(name, value) for name, value in headers):
        cte, payload = encoded
        mime = ('Content-Type: text/plain; charset="utf-8"', f"Content-Transfer-Encoding: {cte}", "MIME-Version: 1.0")
        head = "".join(f"{name}: {value}\n" for name, value in headers) + "".join(f"{line}\n" for line in mime)
        return f"{head}\n{payload}".encode("ascii")
    mail = EmailMessage(policy=POLICY)
    for name, value in headers:
        mail[name] = value
    mail.set_content(body)
    return bytes(mail)


def plain_header(name: str, value: str) -> bool:
    """Whether the header's value is written out unchanged by its parse tree: short, plain ASCII, no encoded
    word; for an address header, one bare address."""
    if len(name) + 2 + len(value) > WIDTH or not PLAIN_TEXT.fullmatch(value) or "=?" in value:
        return False
    return PLAIN_ADDRESS.fullmatch(value) is not None if name in ADDRESS_HEADERS else True


def plain_body(body: str) -> tuple[str, str] | None:
    """(transfer encoding, payload) as ``email.contentmanager`` chooses them for an ASCII text under the policy;
    None for a body that is not ASCII or that it would send as base64 (left to the library)."""
    if not body.isascii():
        return None
    lines, width = body.encode("ascii").splitlines(), WIDTH
    whole = b"\n".join(lines) + b"\n"  # the policy's line separator is "\n"
    if max((len(line) for line in lines), default=0) <= width:
        return "7bit", whole.decode("ascii")
    sniff = b"\n".join(lines[:10]) + b"\n"
    sniff_qp = quoprimime.body_encode(sniff.decode("latin-1"), width)
    if len(sniff_qp) > len(binascii.b2a_base64(sniff)):
        return None
    if len(lines) <= 10:
        return "quoted-printable", sniff_qp
    return "quoted-printable", quoprimime.body_encode(whole.decode("latin-1"), width)
