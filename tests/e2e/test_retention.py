"""Retention over a scripted three-year history (2019 to 2022, checked again in 2025), on SQLite and PostgreSQL.

The history is recorded through the application with explicit effective times; the plan, the
erasures and the legal holds go through the real `panel` console script. Expected outcomes are
worked out by hand from the default periods (24 months inactive, 30 days after a panel_membership
withdrawal, payment records to 6 years after the end of the tax year, draws 12 months).
"""

from __future__ import annotations

import json
import subprocess
import sys
from datetime import UTC, date, datetime
from uuid import UUID

from panel.application import PanelApp
from panel.config import StoreLocation
from panel.domain.participant import Participant
from panel.engagements import Engagements
from panel.participation import Participation
from panel.payments import Payments
from panel.registration import Registration
from panel.validation import ConsentSpec, SignUp


def at(text: str) -> datetime:
    return datetime.fromisoformat(text).replace(tzinfo=UTC)


def needle(ref: str) -> str:
    return f"zq-{ref.lower()}-needle"


def name(ref: str) -> str:
    return f"Quillon {ref.title().replace('-', '')}"


def sign_up(app: PanelApp, ref: str, when: str) -> UUID:
    consents = tuple(ConsentSpec(p, "v1", "online", "self", at(when)) for p in ("contact", "panel_membership"))
    return Registration(app).register(
        SignUp(
            ref=ref,
            channel="online",
            personal={"name": name(ref), "email": f"{ref.lower()}@example.org"},
            attributes={"gender": needle(ref)},
            consents=consents,
            at=at(when),
        )
    )


def history(app: PanelApp) -> dict[str, UUID]:
    """Seven people; what happens to each is in the comment beside them."""
    ids = {
        "R-INACT": sign_up(app, "R-INACT", "2019-01-10"),  # nothing after sign-up: due 2021-01-10
        "R-ACTIVE": sign_up(app, "R-ACTIVE", "2019-01-10"),  # a consent change on 2021-03-01: due 2023-03-01
        "R-HELD": sign_up(app, "R-HELD", "2019-01-10"),  # due 2021-01-10, on legal hold
        "R-PAID": sign_up(app, "R-PAID", "2019-01-10"),  # paid 2019-02-01 (tax year to 2019-04-05): kept to 2025-04-05
        "R-OPEN": sign_up(app, "R-OPEN", "2019-01-10"),  # an expense claimed and never approved: kept while open
        "R-WDRAWN": sign_up(app, "R-WDRAWN", "2020-06-01"),  # panel_membership withdrawn 2021-12-01: due 2021-12-31
        "R-WDNEW": sign_up(app, "R-WDNEW", "2020-06-01"),  # withdrawn 2022-01-01: due 2022-01-31
    }
    part = Participation(app)
    part.grant_consent(ids["R-ACTIVE"], ConsentSpec("data_processing", "v1", "online", "self", at("2021-03-01")))
    part.withdraw_consent(ids["R-WDRAWN"], "panel_membership", at=at("2021-12-01"))
    part.withdraw_consent(ids["R-WDNEW"], "panel_membership", at=at("2022-01-01"))
    eid = Engagements(app).open_engagement(
        name="Travel study", ref="travel", purpose="Bus routes", kind="consult", sessions=[date(2019, 1, 20)],
        day_rate_pence=5000, at=at("2019-01-12"),
    )  # fmt: skip
    pay = Payments(app)
    for ref in ("R-PAID", "R-OPEN"):
        pay.claim_expense(eid, ids[ref], category="travel", amount_pence=1240, receipt=f"bus {ref}", by="sam",
                          spent_on=date(2019, 1, 20), at=at("2019-01-20"))  # fmt: skip
    paid = [line.id for line in pay.lines(participant=ids["R-PAID"])]
    pay.approve(paid, by="lee", at=at("2019-01-25"))
    pay.approve(paid, by="ana", at=at("2019-01-26"))  # the second pair of eyes
    pay.issue(paid, route="bank_transfer", by="kim", at=at("2019-02-01"))
    reference = pay.lines(participant=ids["R-PAID"])[0].reference
    statement = f"date,amount,reference,payee\n2019-02-02,-12.40,{reference},R-PAID\n"
    assert pay.reconcile(statement, name="s.csv", account="fund", at=at("2019-02-05")).recorded == 1
    return ids


def plan(panel, as_of: str) -> dict:  # type: ignore[no-untyped-def]
    return json.loads(panel("retention", "plan", "--as-of", as_of, "--json").out)


def rules(found: dict, part: str) -> dict[str, str]:
    return {row["participant"]: row["rule"] for row in found[part]}


READ_FILES = """
import sys
from pathlib import Path
main = Path(sys.argv[1])
for p in main.parent.glob(main.name + "*"):
    if sys.argv[2].encode() in p.read_bytes():
        print(p.name)
"""


def in_clear(location: StoreLocation, text: str) -> list[str]:
    """Where ``text`` appears: the SQLite files' bytes, or any row of any table of the PostgreSQL schema."""
    if location.dialect == "sqlite":  # read in another process: closing a file this process has open in SQLite
        # would drop this process's SQLite locks on it (POSIX locks are per process), and the app here holds one
        done = subprocess.run([sys.executable, "-c", READ_FILES, location.target, text], capture_output=True,
                              text=True, check=True, timeout=120)  # fmt: skip
        return done.stdout.split()
    from tests.conftest import _pg_connect

    found = []
    with _pg_connect() as conn:
        tables = [
            r[0] for r in conn.execute("SELECT tablename FROM pg_tables WHERE schemaname = %s", (location.schema,))
        ]
        assert tables, "the check cannot see the schema's tables"
        for table in tables:
            rows = conn.execute(f'SELECT t::text FROM "{location.schema}"."{table}" AS t').fetchall()
            if any(text in r[0] or text.encode().hex() in r[0] for r in rows):  # bytea shows as hex
                found.append(table)
    return found


def test_retention_over_three_years(app: PanelApp, location: StoreLocation, panel) -> None:  # type: ignore[no-untyped-def]
    ids = history(app)
    panel("participant", "hold", "R-HELD", "--reason", "claim CL-7 in progress", "--by", "dpo.lee")
    panel("reach", "--by", "gender")  # the read models now hold everyone's attribute
    assert in_clear(location, needle("R-INACT")), "the check cannot see the views' rows"

    before = app.recorder.max_notification_id()
    first = plan(panel, "2022-01-15")
    assert app.recorder.max_notification_id() == before, "the plan wrote something"
    assert rules(first, "erase") == {"R-INACT": "inactive", "R-WDRAWN": "withdrawn"}
    assert rules(first, "kept") == {"R-HELD": "inactive", "R-PAID": "inactive", "R-OPEN": "inactive"}
    why = {row["participant"]: " ".join(row["kept_because"]) for row in first["kept"]}
    assert why["R-HELD"] == "legal hold: claim CL-7 in progress"
    assert "kept until 2025-04-05" in why["R-PAID"] and "made on 2019-02-01" in why["R-PAID"]
    assert "is accrued (not settled)" in why["R-OPEN"]
    assert {row["participant"]: row["due_since"][:10] for row in first["erase"] + first["kept"]} == {
        "R-INACT": "2021-01-10", "R-WDRAWN": "2021-12-31", "R-HELD": "2021-01-10", "R-PAID": "2021-02-05",
        "R-OPEN": "2021-01-20",
    }  # fmt: skip
    assert (first["not_due"], first["already_erased"]) == (2, 0)  # R-ACTIVE and R-WDNEW
    text = panel("retention", "plan", "--as-of", "2022-01-15").out
    assert "2 to erase, 3 kept, 2 not due, 0 already erased" in text
    assert "Quillon" not in text and "example.org" not in text  # references only, never names

    out = panel("retention", "apply", "--by", "dpo.lee", "--as-of", "2022-01-15").out
    assert out.startswith("Erased 2 participant(s) by the retention rules as of 2022-01-15"), out
    assert panel("retention", "apply", "--by", "dpo.lee", "--as-of", "2022-01-15").out.startswith("Erased 0 ")
    for ref in ("R-INACT", "R-WDRAWN"):
        person = app.load(ids[ref], Participant)
        assert person.is_erased and person.erased_at is not None and person.erased_at > at("2026-12-01")  # done now
        erased = [e for e in app.events.get(ids[ref]) if isinstance(e, Participant.Erased)]
        assert [(e.erased_by, e.reason.split(":")[0]) for e in erased] == [
            ("dpo.lee", f"retention rule {rules(first, 'erase')[ref]}")
        ]
        assert app.keys.get_keys([ids[ref]]) == {}
        for clear in (needle(ref), name(ref), f"{ref.lower()}@example.org"):
            assert in_clear(location, clear) == [], (ref, clear)
    assert in_clear(location, needle("R-ACTIVE")), "someone kept lost their data"
    assert not any(app.load(ids[r], Participant).is_erased for r in ("R-HELD", "R-PAID", "R-OPEN", "R-ACTIVE"))

    # the payment record's last day, then the day after; the hold released
    assert "R-PAID" in rules(plan(panel, "2025-04-05"), "kept")
    panel("participant", "release-hold", "R-HELD", "--reason", "claim CL-7 settled")
    later = plan(panel, "2025-04-06")
    assert rules(later, "erase") == {"R-ACTIVE": "inactive", "R-HELD": "inactive", "R-PAID": "inactive",
                                     "R-WDNEW": "withdrawn"}  # fmt: skip
    assert rules(later, "kept") == {"R-OPEN": "inactive"}
    assert (later["not_due"], later["already_erased"]) == (0, 2)
    assert panel("retention", "apply", "--by", "dpo.lee", "--as-of", "2025-04-06").out.startswith("Erased 4 ")
    assert not app.load(ids["R-OPEN"], Participant).is_erased


def test_legal_holds_are_refused_when_they_do_not_follow(app: PanelApp, panel) -> None:  # type: ignore[no-untyped-def]
    sign_up(app, "R-ONE", "2019-01-10")
    panel("participant", "hold", "R-ONE", "--reason", "dispute D-1")
    again = panel("participant", "hold", "R-ONE", "--reason", "dispute D-2", code=1).err
    assert "already on legal hold" in again and "dispute D-1" in again
    panel("participant", "release-hold", "R-ONE", "--reason", "closed")
    assert "no legal hold in force" in panel("participant", "release-hold", "R-ONE", "--reason", "x", code=1).err
    panel("participant", "erase", "R-ONE", "--reason", "request ER-1")
    assert "was erased" in panel("participant", "hold", "R-ONE", "--reason", "late", code=1).err


def test_a_bad_retention_setting_is_one_line_naming_it(panel) -> None:  # type: ignore[no-untyped-def]
    panel("init")
    for value in ("x", "0", "-3", "2.5", "9999"):
        ran = panel("retention", "plan", code=1, env={"PANEL_RETENTION_INACTIVE_MONTHS": value})
        assert ran.err.startswith("Error: PANEL_RETENTION_INACTIVE_MONTHS=") and ran.err.count("\n") == 1, ran.err
    ran = panel("retention", "plan", "--json", env={"PANEL_RETENTION_WITHDRAWN_DAYS": "0"})
    assert json.loads(ran.out)["policy"]["withdrawn_days"] == 0


def test_a_draw_keeps_its_pool_until_its_record_expires_and_still_verifies_after(app: PanelApp, panel) -> None:  # type: ignore[no-untyped-def]
    from panel.draws import Draws

    ids = {ref: sign_up(app, ref, "2019-01-10") for ref in ("D-1", "D-2", "D-3", "D-4")}
    eid = Engagements(app).open_engagement(
        name="Bus panel", ref="bus", purpose="Bus routes", kind="consult", sessions=[date(2021, 1, 5)],
        day_rate_pence=0, at=at("2020-11-01"),
    )  # fmt: skip
    outcome = Draws(app).draw(eid, 2, [], algorithm="uniform", seed=7, at=at("2020-12-01"))
    selected = {UUID(str(pid)) for pid in Draws(app).get(outcome.draw_id).selected}
    drawn = {ref for ref, pid in ids.items() if pid in selected}
    pool_only = set(ids) - drawn  # invited on 2020-12-01 (activity); the others' last activity is 2019-01-10

    middle = plan(panel, "2021-06-01")
    assert rules(middle, "erase") == {} and set(rules(middle, "kept")) == pool_only
    assert all(
        row["kept_because"] == ["in the pool of draw bus round 1 on 2020-12-01, kept to re-verify until 2021-12-01"]
        for row in middle["kept"]
    )
    assert middle["not_due"] == 2  # the two drawn: invited on 2020-12-01, due 2022-12-01
    assert set(rules(plan(panel, "2021-12-01"), "erase")) == pool_only
    assert panel("retention", "apply", "--by", "dpo.lee", "--as-of", "2021-12-01").out.startswith("Erased 2 ")
    verified = panel("draw", "verify", str(outcome.draw_id))
    assert verified.out.startswith("Verified draw") and "2 pool member(s) erased since the draw" in verified.err
