"""Staff sign-in and assisted entry, on SQLite and PostgreSQL: a recruiter enters a phone application
(channel, captured_by and the consent method recorded), roles are checked, sessions end with the
account, and `panel staff` manages the accounts. Every refusal writes nothing."""

from __future__ import annotations

import json
import re
from datetime import timedelta

from panel.application import PanelApp
from panel.config import StoreLocation
from panel.domain.engagement import Engagement
from panel.draws.pool_builder import build_pool
from panel.queries import Queries
from panel.staff import Staff
from tests.e2e.webapp.conftest import DURING
from tests.e2e.webapp.test_apply_http import GOOD, csrf_of
from tests.helpers.store import table_rows

PASSWORD = "correct horse battery staple"  # noqa: S105 - the test accounts' password
PHONE_ENTRY = {**GOOD, "channel": "phone", "method": "verbal"}


def sign_in(client, name: str = "amy.khan", password: str = PASSWORD):  # type: ignore[no-untyped-def]
    page = client.get("/staff/sign-in")
    return client.post("/staff/sign-in", data={"name": name, "password": password, "csrf_token": csrf_of(page.text)})


def enter(client, data: dict):  # type: ignore[no-untyped-def]
    page = client.get("/staff/apply/youth-2026")
    return client.post("/staff/apply/youth-2026", data={**data, "csrf_token": csrf_of(page.text)})


def test_a_recruiter_enters_a_phone_application(client_at, campaign_app: PanelApp, outbox) -> None:  # type: ignore[no-untyped-def]
    Staff(campaign_app).add("Amy.Khan", "recruiter", PASSWORD, by="sam.lee", at=DURING - timedelta(days=1))
    client = client_at()
    assert client.get("/staff").headers["location"] == "/staff/sign-in?next=/staff"
    signed = sign_in(client)
    assert signed.status_code == 303 and signed.headers["location"] == "/staff"
    cookie = signed.headers["set-cookie"]
    assert cookie.startswith("__Host-panel_staff=") and "HttpOnly" in cookie and "samesite=strict" in cookie.lower()
    home = client.get("/staff")
    assert home.status_code == 200 and 'href="/staff/apply/youth-2026"' in home.text and "amy.khan" in home.text
    form = client.get("/staff/apply/youth-2026")
    assert "How did the application come in?" in form.text and "How did they agree?" in form.text
    saved = enter(client, PHONE_ENTRY)
    assert saved.status_code == 303, saved.text
    ref = re.fullmatch(r"/staff\?entered=(APP-[A-Z]+)", saved.headers["location"])
    assert ref, saved.headers["location"]
    assert ref.group(1) in client.get(saved.headers["location"]).text
    (person,) = Queries(campaign_app).participants()
    details = Queries(campaign_app).participant(person.id)
    assert (details.ref, details.channel, details.captured_by) == (ref.group(1), "phone", "amy.khan")
    assert {(c.purpose, c.method, c.captured_by, c.notice_version) for c in details.consents} == {
        ("contact", "verbal", "amy.khan", "v3"), ("panel_membership", "verbal", "amy.khan", "v3")
    }  # fmt: skip
    engagement = campaign_app.load(campaign_app.resolve_engagement("vested-youth-panel"), Engagement)
    pool = build_pool(campaign_app, engagement, DURING + timedelta(days=20), features=["age_band"])
    assert pool.standings[person.id].reason is None  # taken by staff: no email confirmation to wait for


def test_wrong_credentials_and_missing_answers_are_refused(client_at, campaign_app, location: StoreLocation) -> None:  # type: ignore[no-untyped-def]
    Staff(campaign_app).add("amy.khan", "recruiter", PASSWORD, by="sam.lee")
    client = client_at()
    before = table_rows(location)
    for name, password in (("amy.khan", "wrong password here"), ("nobody", PASSWORD), ("", "")):
        refused = sign_in(client, name, password)
        assert refused.status_code == 400 and "Enter a correct user name and password" in refused.text
        assert "<title>Error: Sign in as staff" in refused.text and "set-cookie" not in {
            k for k, v in refused.headers.items() if "panel_staff" in v
        }
    assert client.get("/staff").status_code == 303
    assert sign_in(client).status_code == 303
    incomplete = enter(client, GOOD)  # no channel, no consent method
    assert incomplete.status_code == 400
    summary = incomplete.text.split('class="error-summary"')[1].split("</div>")[0]
    assert re.findall(r'<a href="#([^"]+)">', summary) == ["channel", "method"]
    odd = enter(client, {**PHONE_ENTRY, "channel": "online"})  # staff enter only what came by another channel
    assert odd.status_code == 400 and "Choose how the application came in" in odd.text
    assert table_rows(location) == before


def test_roles_and_sessions(client_at, campaign_app, location: StoreLocation) -> None:  # type: ignore[no-untyped-def]
    staff = Staff(campaign_app)
    staff.add("fin.one", "finance", PASSWORD, by="sam.lee")
    staff.add("amy.khan", "recruiter", PASSWORD, by="sam.lee")
    finance = client_at()
    assert sign_in(finance, "fin.one").status_code == 303
    assert "Your role cannot enter applications" in finance.get("/staff").text
    before = table_rows(location)
    assert finance.get("/staff/apply/youth-2026").status_code == 403
    token = csrf_of(finance.get("/staff").text)
    assert finance.post("/staff/apply/youth-2026", data={**PHONE_ENTRY, "csrf_token": token}).status_code == 403
    stranger = client_at()  # no session at all
    assert stranger.post("/staff/apply/youth-2026", data=PHONE_ENTRY).status_code == 303
    forged = client_at()
    forged.cookies.set("__Host-panel_staff", "staff." + "0" * 32 + ".9999999999.AAAA", domain="testserver")
    assert forged.get("/staff").status_code == 303
    recruiter = client_at()
    assert sign_in(recruiter).status_code == 303 and recruiter.get("/staff").status_code == 200
    staff.remove("amy.khan", by="sam.lee")  # the session ends with the account
    assert recruiter.get("/staff").status_code == 303
    assert table_rows(location) != before  # the removal itself was recorded ...
    late = client_at(DURING + timedelta(hours=9))
    late.cookies = finance.cookies  # ... and a session lasts 8 hours
    assert late.get("/staff").status_code == 303
    out = finance.post("/staff/sign-out", data={"csrf_token": token})
    assert out.status_code == 303 and 'panel_staff=""' in out.headers["set-cookie"]


def test_sign_in_attempts_are_limited(client_at, campaign_app) -> None:  # type: ignore[no-untyped-def]
    Staff(campaign_app).add("amy.khan", "recruiter", PASSWORD, by="sam.lee")
    client = client_at()
    codes = [sign_in(client, "amy.khan", f"guess number {n:04}").status_code for n in range(10)]
    assert codes == [400] * 10
    assert sign_in(client).status_code == 429  # even the right password, until the window passes


def test_panel_staff_commands(panel) -> None:  # type: ignore[no-untyped-def]
    panel("init")
    added = panel(
        "staff", "add", "Amy.Khan", "--role", "recruiter", "--by", "sam.lee", "--password-stdin", stdin=PASSWORD + "\n"
    )
    assert added.out.strip() == "Added amy.khan (recruiter); they sign in at /staff/sign-in"
    short = panel(
        "staff", "add", "bo", "--role", "finance", "--by", "sam.lee", "--password-stdin", stdin="short\n", code=1
    )
    assert short.err.strip().startswith("Error: the password is shorter than 12 characters")
    again = panel(
        "staff", "add", "amy.khan", "--role", "admin", "--by", "x", "--password-stdin", stdin=PASSWORD, code=1
    )
    assert again.err.strip() == "Error: staff member amy.khan already exists: choose another user name"
    bad_name = panel(
        "staff", "add", "amy khan!", "--role", "admin", "--by", "x", "--password-stdin", stdin=PASSWORD, code=1
    )
    assert "is not 2 to 60 letters, digits, dots, dashes or underscores" in bad_name.err
    assert (
        panel("staff", "add", "x1", "--role", "boss", "--by", "x", code=2).err.count("Invalid value for '--role'") == 1
    )
    listed = json.loads(panel("staff", "list", "--json").out)["staff"]
    assert [(m["name"], m["role"], m["added_by"], m["removed_at"]) for m in listed] == [
        ("amy.khan", "recruiter", "sam.lee", None)
    ]
    assert panel("staff", "password", "amy.khan", "--password-stdin", stdin="another long password\n").code == 0
    assert panel("staff", "remove", "amy.khan", "--by", "sam.lee").out.strip() == "Removed amy.khan"
    assert panel("staff", "remove", "amy.khan", "--by", "sam.lee", code=1).err.strip() == (
        "Error: staff member amy.khan was already removed"
    )
    for ran in (short, again, bad_name):
        assert "Traceback" not in ran.err
