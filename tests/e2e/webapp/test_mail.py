"""Email through a real local SMTP server (aiosmtpd), on SQLite and PostgreSQL: the confirmation link is sent
by SMTP and followed; a message the server did not take is kept as failed, listed by `panel outbox` and
sent later by `panel outbox send`."""

from __future__ import annotations

import json
import re
from collections.abc import Iterator
from email import message_from_bytes, policy
from pathlib import Path
from typing import Any

import pytest
from aiosmtpd.controller import Controller

from panel.application import PanelApp
from panel.confirmations import Confirmations
from panel.outbox import FolderOutbox, outbox_from_env
from panel.queries import Queries
from tests.e2e.webapp.conftest import DURING
from tests.e2e.webapp.server import free_port
from tests.e2e.webapp.test_apply_http import GOOD, csrf_of, post
from tests.helpers.proc import run_panel

FROM = "panel@youth-panel.example.org"


class Inbox:
    """What the SMTP server received: (envelope sender, recipients, the message)."""

    def __init__(self) -> None:
        self.received: list[tuple[str, list[str], Any]] = []

    async def handle_DATA(self, server: Any, session: Any, envelope: Any) -> str:  # noqa: N802 - aiosmtpd's name
        message = message_from_bytes(envelope.content, policy=policy.default)
        self.received.append((envelope.mail_from, list(envelope.rcpt_tos), message))
        return "250 Message accepted for delivery"


class Server:
    def __init__(self, port: int) -> None:
        self.port, self.inbox = port, Inbox()
        self.controller = Controller(self.inbox, hostname="127.0.0.1", port=port)

    def __enter__(self) -> Server:
        self.controller.start()
        return self

    def __exit__(self, *exc: object) -> None:
        self.controller.stop()


@pytest.fixture
def smtp() -> Iterator[Server]:
    with Server(free_port()) as server:
        yield server


def mail_env(folder: Path, port: int) -> dict[str, str]:
    return {"PANEL_OUTBOX_DIR": str(folder), "PANEL_SMTP_URL": f"smtp://127.0.0.1:{port}", "PANEL_MAIL_FROM": FROM}


@pytest.fixture
def outbox(tmp_path: Path, request: pytest.FixtureRequest) -> FolderOutbox:
    """The web pages' outbox (used by client_at): a folder, sending through the test's SMTP server."""
    port = request.getfixturevalue("smtp").port if "smtp" in request.fixturenames else free_port()
    return outbox_from_env(mail_env(tmp_path / "outbox", port))


def body_of(message: Any) -> str:
    return str(message.get_body(preferencelist=("plain",)).get_content())


def test_the_confirmation_link_goes_by_smtp_and_works(smtp, client_at, outbox, campaign_app: PanelApp) -> None:  # type: ignore[no-untyped-def]
    client = client_at()
    assert post(client, GOOD).status_code == 303
    ((sender, recipients, message),) = smtp.inbox.received
    assert (sender, recipients, message["From"]) == (FROM, ["sam@example.org"], FROM)
    assert message["X-Panel-Kind"] == "confirm"
    confirm = re.search(r"https://testserver/confirm/(\S+)", body_of(message))
    assert confirm, body_of(message)
    page = client.get(f"/confirm/{confirm.group(1)}")
    done = client.post(f"/confirm/{confirm.group(1)}", data={"csrf_token": csrf_of(page.text)})
    assert done.status_code == 200 and "Your email address is confirmed" in done.text
    (person,) = [p for p in Queries(campaign_app).participants() if p.ref.startswith("APP-")]
    assert Confirmations(campaign_app).confirmed_at(person.id) == DURING
    (kept,) = outbox.entries()
    assert (kept.status, kept.to, kept.error) == ("sent", "s***@example.org", "")
    assert (outbox.folder / "sent" / kept.name).stat().st_mode & 0o777 == 0o600


def test_a_message_the_server_did_not_take_is_kept_listed_and_sent_later(  # type: ignore[no-untyped-def]
    client_at, outbox, campaign_app: PanelApp, tmp_path: Path
) -> None:
    port = outbox.transport.port  # nothing listens there yet
    assert post(client_at(), GOOD).status_code == 303  # the application is taken all the same
    assert len(Queries(campaign_app).participants()) == 1
    env = mail_env(outbox.folder, port)
    listed = run_panel("outbox", "--json", env=env)
    assert listed.code == 0, listed.err
    (entry,) = json.loads(listed.out)["messages"]
    assert (entry["status"], entry["kind"], entry["to"]) == ("failed", "confirm", "s***@example.org")
    assert entry["error"].startswith(f"cannot reach 127.0.0.1:{port}")
    text = run_panel("outbox", env=env)
    assert "sam@example.org" not in text.out and "s***@example.org" in text.out and "1 failed" in text.out
    still_down = run_panel("outbox", "send", env=env)
    assert still_down.code == 1 and "Sent 0 messages" in still_down.out and "failed: cannot reach" in still_down.out
    with Server(port) as server:
        sent = run_panel("outbox", "send", "--json", env=env)
        assert sent.code == 0, sent.err
        assert json.loads(sent.out) == {
            "sent": 1, "failed": 0, "server": f"smtp://127.0.0.1:{port}", "reasons": []
        }  # fmt: skip
    ((_, recipients, message),) = server.inbox.received
    assert recipients == ["sam@example.org"] and "/confirm/" in body_of(message)
    assert [e.status for e in outbox.entries()] == ["sent"]
    assert not list((outbox.folder / "failed").glob("*.error"))


def test_without_a_mail_server_messages_wait_in_the_folder(client_at, outbox, tmp_path: Path) -> None:  # type: ignore[no-untyped-def]
    folder = tmp_path / "waiting"
    plain = outbox_from_env({"PANEL_OUTBOX_DIR": str(folder)})
    assert plain.transport is None
    from panel.outbox import Message

    plain.send(Message(to="ana@example.org", subject="Confirm your email address", body="a link", kind="confirm"))
    listed = run_panel("outbox", "--status", "waiting", env={"PANEL_OUTBOX_DIR": str(folder)})
    assert listed.code == 0 and "a***@example.org" in listed.out and "1 waiting" in listed.out
    refused = run_panel("outbox", "send", env={"PANEL_OUTBOX_DIR": str(folder)})
    assert refused.code == 1
    assert (
        refused.err.strip() == "Error: PANEL_SMTP_URL is not set: set it to send mail, e.g. smtp://mail.example.org:25"
    )
    assert [e.status for e in plain.entries()] == ["waiting"]


@pytest.mark.parametrize(
    ("env", "message"),
    [
        ({"PANEL_SMTP_URL": "http://mail.example.org"}, "Error: PANEL_SMTP_URL must start smtp:// or smtps://"),
        ({"PANEL_SMTP_URL": "smtp://mail.example.org:99999"}, "Error: PANEL_SMTP_URL is not a URL"),
        ({"PANEL_SMTP_URL": "smtp://mail.example.org?tls=yes"}, "Error: PANEL_SMTP_URL takes one option"),
        ({"PANEL_SMTP_URL": "smtp://mail.example.org"}, "Error: PANEL_MAIL_FROM is not set"),
        ({"PANEL_MAIL_FROM": "panel\r\nBcc: x@y"}, "Error: PANEL_MAIL_FROM 'panel\\r\\nBcc: x@y' is not an email"),
    ],
)
def test_bad_mail_settings_are_one_line(env: dict[str, str], message: str, tmp_path: Path) -> None:
    for command in (("outbox",), ("outbox", "send")):
        ran = run_panel(*command, env={"PANEL_OUTBOX_DIR": str(tmp_path / "box"), **env})
        assert ran.code == 1 and ran.err.strip().startswith(message), ran.err
        assert "Traceback" not in ran.err and len(ran.err.strip().splitlines()) == 1
    assert not (tmp_path / "box").exists()


def test_a_change_of_address_tells_the_old_one_by_smtp(smtp, client_at, outbox, campaign_app: PanelApp) -> None:  # type: ignore[no-untyped-def]
    client = client_at()
    assert post(client, GOOD).status_code == 303
    ((_, _, first),) = smtp.inbox.received
    me = re.search(r"https://testserver(/me/\S+)", body_of(first)).group(1)  # type: ignore[union-attr]
    page = client.get(f"{me}/details")
    form = {"name": "Sam Patel", "email": "sam.new@example.org", "csrf_token": csrf_of(page.text)}
    assert client.post(f"{me}/details", data=form).status_code == 200
    (_, (_, to_old, told), (_, to_new, asked)) = smtp.inbox.received
    assert (to_old, told["X-Panel-Kind"], to_new, asked["X-Panel-Kind"]) == (
        ["sam@example.org"], "email_change_asked", ["sam.new@example.org"], "new_email"
    )  # fmt: skip
    assert "s***@example.org" in body_of(told) and "sam.new@" not in body_of(told) and "/me/" not in body_of(told)
    keep = re.search(r"https://testserver(/keep-email/\S+)", body_of(told)).group(1)  # type: ignore[union-attr]
    stop = client.post(keep, data={"csrf_token": csrf_of(client.get(keep).text)})
    assert stop.status_code == 200 and "The change is stopped" in stop.text
    listed = run_panel("outbox", "--json", env=mail_env(outbox.folder, smtp.port))
    assert listed.code == 0, listed.err
    assert [(e["status"], e["kind"], e["to"]) for e in json.loads(listed.out)["messages"]][1:] == [
        ("sent", "email_change_asked", "s***@example.org"), ("sent", "new_email", "s***@example.org")
    ]  # fmt: skip
