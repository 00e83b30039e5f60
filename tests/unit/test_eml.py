"""``panel.eml`` writes exactly the bytes ``EmailMessage`` writes, for the service's own messages and for
addresses, subjects and bodies that leave its shortcut (display names, non-ASCII, long lines, base64)."""

from __future__ import annotations

import random
import tomllib
from email.message import EmailMessage

import pytest

from panel.eml import eml_bytes, plain_body, plain_header
from tests.helpers.paths import ROOT


def library(sender: str, to: str, subject: str, kind: str, body: str) -> bytes:
    """What the outbox wrote before: every header and the body through EmailMessage."""
    mail = EmailMessage()
    mail["From"], mail["To"], mail["Subject"] = sender, to, subject
    mail["X-Panel-Kind"] = kind
    mail.set_content(body)
    return bytes(mail)


def service_messages() -> list[tuple[str, str, str]]:
    """(kind, subject, body) of every email in the copy files, filled with links of the real length."""
    link = "https://apply.example.org/confirm/" + "AbC-_9" * 30
    found = []
    for path in sorted((ROOT / "web" / "copy").glob("*.toml")):
        words = tomllib.loads(path.read_text())["email"]
        for key, subject in words.items():
            if key.endswith("_subject"):
                body = words[key.replace("_subject", "_body")]
                filled = body.replace("{", "<").replace("}", ">") + f"\n{link}\n"  # placeholders stay as text
                found.append((key, subject, filled))
    return found


@pytest.mark.parametrize(("kind", "subject", "body"), service_messages())
def test_the_service_messages_are_the_same_bytes(kind: str, subject: str, body: str) -> None:
    for to in ("sam.patel+panel@example.org", "o'brien@mail.example.co.uk"):
        assert eml_bytes("panel@localhost", to, subject, kind, body) == library(
            "panel@localhost", to, subject, kind, body
        )


ODD_ADDRESSES = ["Sam Patel <sam@example.org>", '"sam patel"@example.org', "sam..x@example.org", "sam@[127.0.0.1]",
                 "a@b", "ŝam@example.org", "x" * 80 + "@example.org", "sam@example.org, alex@example.org",
                 '"sam"@example.org', "sam(x)@example.org", "sam @example.org", "sam@example.org (Sam)",
                 '"s\\am"@example.org']  # fmt: skip
ODD_SUBJECTS = ["Cadarnhewch eich cyfeiriad e-bost: ŵ ŷ", "=?utf-8?q?hello?=", "two  spaces", " leading", "a" * 90,
                "tab\there", "semi; colon (comment) <x>", ""]  # fmt: skip
ODD_BODIES = ["", "one line", "no newline at the end", "x" * 79, "x" * 200 + "\n" * 12 + "y" * 100, "ŵ" * 10,
              "=" * 300, "\x00\x01" * 50, "a\r\nb\rc\n", "line\x0bvertical tab", "é" * 100,
              "\t" * 90 + "\n" * 20]  # fmt: skip


@pytest.mark.parametrize("to", ODD_ADDRESSES)
@pytest.mark.parametrize("subject", ODD_SUBJECTS)
def test_odd_headers_are_the_same_bytes(to: str, subject: str) -> None:
    assert eml_bytes("panel@localhost", to, subject, "confirm", "Hello\n") == library(
        "panel@localhost", to, subject, "confirm", "Hello\n"
    )


@pytest.mark.parametrize("body", ODD_BODIES)
def test_odd_bodies_are_the_same_bytes(body: str) -> None:
    assert eml_bytes("panel@localhost", "sam@example.org", "Hi", "confirm", body) == library(
        "panel@localhost", "sam@example.org", "Hi", "confirm", body
    )


def test_random_messages_are_the_same_bytes() -> None:
    rng = random.Random(20261203)
    alphabet = "abcXYZ019 .-_=+@<>\"';:()\n\t~!#$%&*?/" + "é"
    for _ in range(400):
        text = "".join(rng.choice(alphabet) for _ in range(rng.randint(0, 400)))
        words = ["".join(rng.choice("ab.+-_'") for _ in range(rng.randint(1, 8))) for _ in range(2)]
        to = f"{words[0]}@{words[1]}.example.org"
        subject = "".join(rng.choice(alphabet.replace("\n", "")) for _ in range(rng.randint(0, 70)))
        assert eml_bytes("panel@localhost", to, subject, "me", text) == library(
            "panel@localhost", to, subject, "me", text
        ), (to, subject, text)


def test_the_shortcut_is_taken_for_plain_messages() -> None:
    assert plain_header("To", "sam.patel+panel@example.org")
    assert plain_header("Subject", "Please confirm your email address")
    assert not plain_header("To", "Sam <sam@example.org>")
    assert plain_body("Hello\n") == ("7bit", "Hello\n")
    assert plain_body("x" * 100)[0] == "quoted-printable"  # type: ignore[index]
    assert plain_body("é") is None
