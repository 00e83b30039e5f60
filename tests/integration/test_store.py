"""Integration tests: the same scenarios on SQLite and PostgreSQL through the `app` fixture."""

from __future__ import annotations

from datetime import UTC, date, datetime, timedelta
from pathlib import Path

import psycopg
import pytest

from panel.application import PanelApp
from panel.audit import Audit
from panel.config import StoreLocation
from panel.demo import build_demo
from panel.domain.errors import (
    AlreadyRegisteredError,
    ConsentRequiredError,
    ConsentStateError,
    ErasedParticipantError,
    ParticipantNotFoundError,
    ValidationError,
)
from panel.domain.participant import Participant
from panel.engagements import Engagements
from panel.importer import ImportFileError, import_csv
from panel.participation import Participation
from panel.queries import Queries
from panel.registration import Registration
from panel.validation import ConsentSpec, SignUp

T0 = datetime(2026, 1, 10, 9, tzinfo=UTC)
SECRET_NAME, SECRET_EMAIL, SECRET_POSTCODE = (
    "Quentin Zebedee-Marlow",
    "q.zebedee@example.org",
    "ZE9 9QZ",
)  # a postcode in valid form that no test data shares


def signup(ref: str, **kw: object) -> SignUp:
    base: dict[str, object] = dict(
        ref=ref,
        channel="phone",
        captured_by="amy",
        personal={"name": SECRET_NAME, "email": SECRET_EMAIL, "postcode": SECRET_POSTCODE, "phone": "07700 900123"},
        attributes={"age_band": "18-21", "ethnicity": "Black", "imd_decile": "2"},
        consents=(
            ConsentSpec("contact", "v3", "verbal", "amy", T0),
            ConsentSpec("panel_membership", "v3", "verbal", "amy", T0),
        ),
        at=T0,
    )
    base.update(kw)
    return SignUp(**base)  # type: ignore[arg-type]


def open_vested(app: PanelApp) -> object:
    return Engagements(app).open_engagement(
        name="Vested youth panel",
        purpose="youth health",
        kind="involve",
        sessions=[date(2026, 3, 2), date(2026, 3, 3)],
        day_rate_pence=35000,
        target_size=6,
        eligibility=["age_band in 18-21,22-25"],
        at=T0,
    )


def test_recruiter_story(app: PanelApp) -> None:
    """A phone sign-up consents, is invited, accepts, attends a half day, and later withdraws consent."""
    pid = Registration(app).register(signup("VES-001"))
    eid = open_vested(app)
    assert app.resolve_participant("VES-001") == pid
    assert app.resolve_participant(str(pid)) == pid
    assert app.resolve_engagement("vested-youth-panel") == eid
    Participation(app).invite(eid, [pid], at=T0 + timedelta(days=1))
    Participation(app).respond(eid, pid, accept=True, at=T0 + timedelta(days=2))
    Participation(app).attend(eid, pid, date(2026, 3, 2), half_day=True, at=datetime(2026, 3, 2, 17, tzinfo=UTC))
    Participation(app).withdraw_consent(pid, "contact", at=datetime(2026, 4, 1, tzinfo=UTC))

    details = Queries(app).participant(pid)
    assert details.personal.name == SECRET_NAME
    assert details.personal.attributes == {"age_band": "18-21", "ethnicity": "Black", "imd_decile": "2"}
    assert details.participations[0].attended == [("2026-03-02", True)]
    as_of_march = Queries(app).consent_history(pid, datetime(2026, 3, 1, tzinfo=UTC))
    assert {e.purpose: e.withdrawn_at for e in as_of_march} == {"contact": None, "panel_membership": None}
    now = Queries(app).consent_history(pid)
    contact = next(e for e in now if e.purpose == "contact")
    assert contact.withdrawn_at == datetime(2026, 4, 1, tzinfo=UTC)
    assert contact.recorded_at is not None and contact.recorded_at.tzinfo is not None
    assert contact.captured_by == "amy" and contact.method == "verbal" and contact.notice_version == "v3"


def test_inviting_without_contact_consent_writes_nothing(app: PanelApp) -> None:
    with_consent = Registration(app).register(signup("A-1"))
    without = Registration(app).register(signup("A-2", consents=()))
    eid = open_vested(app)
    before = app.recorder.max_notification_id()
    with pytest.raises(ConsentRequiredError, match="A-2 has no active 'contact' consent"):
        Participation(app).invite(eid, [with_consent, without], at=T0 + timedelta(days=1))
    assert app.recorder.max_notification_id() == before  # all or nothing


def test_bad_commands_write_nothing(app: PanelApp) -> None:
    pid = Registration(app).register(signup("B-1", consents=()))
    eid = open_vested(app)
    before = app.recorder.max_notification_id()
    with pytest.raises(ConsentStateError):
        Participation(app).withdraw_consent(pid, "contact", at=T0)
    with pytest.raises(ValidationError, match="unknown consent purpose"):
        Participation(app).grant_consent(pid, ConsentSpec("newsletter", "v1", "online", "self", T0))
    with pytest.raises(ParticipantNotFoundError, match="NOPE"):
        app.resolve_participant("NOPE")
    with pytest.raises(ValidationError, match="not a session"):
        Participation(app).attend(eid, pid, date(2026, 5, 1))
    with pytest.raises(AlreadyRegisteredError):
        Registration(app).register(signup("B-1"))
    assert app.recorder.max_notification_id() == before


def test_erasure_leaves_no_personal_data_in_the_database(app: PanelApp, location: StoreLocation) -> None:
    pid = Registration(app).register(signup("E-1"))
    other = Registration(app).register(signup("E-2", personal={"name": "Keep Me"}))
    eid = open_vested(app)
    Participation(app).invite(eid, [pid], at=T0 + timedelta(days=1))
    Registration(app).update_personal(
        pid,
        personal={"address": "1 Secret Street"},
        attributes={"gender": "woman"},
        captured_by="amy",
        at=T0 + timedelta(days=2),
    )
    key = app.keys.get_keys([pid])[pid]
    Participation(app).erase(pid, "erasure request ER-1", at=T0 + timedelta(days=3))

    details = Queries(app).participant(pid)  # history still loads
    assert details.personal.erased and details.personal.name is None
    assert details.erased_at == T0 + timedelta(days=3)
    assert [p.status for p in details.participations] == ["invited"]
    assert Queries(app).participant(other).personal.name == "Keep Me"
    assert Queries(app).count_participants() == 2
    with pytest.raises(ErasedParticipantError):
        Participation(app).grant_consent(pid, ConsentSpec("contact", "v4", "online", "self", T0 + timedelta(days=4)))

    assert app.keys.get_keys([pid]) == {}  # the data key itself is gone
    needles = [SECRET_NAME, SECRET_EMAIL, SECRET_POSTCODE, "1 Secret Street"]
    if location.dialect == "sqlite":  # the key's bytes are overwritten in the file, not just unlinked
        assert all(key not in p.read_bytes() for p in Path(location.target).parent.glob("panel.db*"))
    blobs = _database_bytes(app, location)
    assert blobs and any(b"Keep Me" not in b for b in blobs)
    for blob in blobs:
        for needle in needles:
            assert needle.encode() not in blob, f"{needle!r} found after erasure"


def _database_bytes(app: PanelApp, location: StoreLocation) -> list[bytes]:
    if location.dialect == "sqlite":
        app.close()
        return [p.read_bytes() for p in Path(location.target).parent.glob(Path(location.target).name + "*")]
    chunks = []
    with psycopg.connect(location.target, autocommit=True) as conn:
        tables = conn.execute("SELECT tablename FROM pg_tables WHERE schemaname = %s", (location.schema,)).fetchall()
        for (table,) in tables:
            for row in conn.execute(f'SELECT * FROM "{location.schema}"."{table}"').fetchall():
                chunks.append(repr(row).encode() + b"".join(v for v in row if isinstance(v, (bytes, memoryview))))
    return chunks


def test_import_is_validated_whole_and_idempotent(app: PanelApp, tmp_path: Path) -> None:
    good = tmp_path / "signups.csv"
    good.write_text(
        "ref,channel,captured_by,name,email,postcode,age_band,gender,consent_contact,consent_panel_membership\n"
        "IMP-1,online,,Ann Lee,ann@example.org,LS1 1AA,18-21,woman,v3,v3\n"
        "IMP-2,phone,amy,Bo Chen,,LS2 2BB,22-25,Prefer not to say,v3,\n"
        "IMP-3,paper,ben,Cy Dee,cy@example.org,LS3 3DD,26-34,man,,\n"
    )
    first = import_csv(app, good)
    assert (first.created, first.unchanged, first.rejected) == (3, 0, [])
    events = app.recorder.max_notification_id()
    again = import_csv(app, good)
    assert (again.created, again.unchanged, again.events) == (0, 3, 0)
    assert app.recorder.max_notification_id() == events
    bo = Queries(app).participant(app.resolve_participant("import:IMP-2"))
    assert bo.personal.attributes["gender"] == "prefer_not_to_say"
    assert [c.method for c in bo.consents] == ["verbal"]

    bad = tmp_path / "bad.csv"
    bad.write_text(
        "ref,channel,captured_by,email,registered_at\n"
        "OK-1,online,,ok@example.org,2026-01-02\n"
        ",online,,,\n"
        "X-2,fax,,,\n"
        "X-3,phone,,,\n"
        "X-4,online,,not-an-email,\n"
        "X-5,online,,,31/01/2026\n"
        "OK-1,online,,,\n"
    )
    report = import_csv(app, bad)
    assert report.created == 0 and app.recorder.max_notification_id() == events
    assert [line for line, _ in report.rejected] == [3, 4, 5, 6, 7, 8]
    skipped = import_csv(app, bad, skip_invalid=True)
    assert skipped.created == 1


def test_import_killed_half_way_completes_on_rerun(
    app: PanelApp, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    path = tmp_path / "many.csv"
    path.write_text("ref,consent_contact\n" + "".join(f"K-{i},v1\n" for i in range(3000)))  # 2 batches
    real_insert = app.recorder.insert_in  # type: ignore[attr-defined]
    calls = {"n": 0}

    def dying_insert(cursor: object, events: object) -> object:
        calls["n"] += 1
        if calls["n"] == 3:  # the catalogue's names, the first batch, then the second
            raise KeyboardInterrupt  # the process is stopped during the second batch
        return real_insert(cursor, events)

    monkeypatch.setattr(app.recorder, "insert_in", dying_insert)
    with pytest.raises(KeyboardInterrupt):
        import_csv(app, path)
    monkeypatch.setattr(app.recorder, "insert_in", real_insert)
    assert calls["n"] == 3
    assert Queries(app).count_participants() == 0  # one transaction: the first batch went with the second
    assert not app.recorder.select_notifications(start=None, limit=10)
    report = import_csv(app, path)
    assert (report.created, report.unchanged) == (3000, 0)
    assert Queries(app).count_participants() == 3000
    # one Registered + one ConsentGranted each, and the attribute catalogue started (PostgreSQL's ids skip
    # those the rolled-back transaction took)
    assert len(app.recorder.select_notifications(start=None, limit=10_000)) == 6001
    assert Audit(app).verify().ok


def test_malformed_csv_names_the_line(app: PanelApp, tmp_path: Path) -> None:
    path = tmp_path / "broken.csv"
    path.write_text('ref,name\nA-1,"unterminated\n')
    with pytest.raises(ImportFileError, match="broken.csv"):
        import_csv(app, path)
    path.write_text("name,email\nAnn,ann@example.org\n")
    with pytest.raises(ImportFileError, match=r"broken.csv:1: no 'ref' column"):
        import_csv(app, path)


def test_concurrent_writers_never_lose_an_update(location: StoreLocation) -> None:
    first, second = PanelApp(env=location.env()), PanelApp(env=location.env())
    pid = Registration(first).register(signup("C-1", consents=()))
    stale = second.load(pid, Participant)
    Participation(first).grant_consent(pid, ConsentSpec("contact", "v1", "online", "self", T0))
    stale.grant_consent(purpose="data_processing", notice_version="v1", method="online", captured_by="self", at=T0)
    from eventsourcing.persistence import IntegrityError

    with pytest.raises(IntegrityError):
        second.save(stale)  # the raw conflict is detected...
    Participation(second).grant_consent(
        pid, ConsentSpec("data_processing", "v1", "online", "self", T0)
    )  # ...and commands retry
    assert {c.purpose for c in Queries(first).participant(pid).consents} == {"contact", "data_processing"}
    first.close()
    second.close()


def test_reopening_a_store_is_safe(location: StoreLocation) -> None:
    one = PanelApp(env=location.env())
    pid = Registration(one).register(signup("R-1"))
    one.close()
    two = PanelApp(env=location.env())  # tables exist, the id secret is kept
    assert two.resolve_participant("R-1") == pid
    assert Queries(two).participant(pid).personal.name == SECRET_NAME
    two.close()


def test_demo_is_reproducible(location: StoreLocation, tmp_path: Path) -> None:
    app = PanelApp(env=location.env())
    summary = build_demo(app, people=60, seed=7)
    assert summary.created == 60 and summary.events > 60
    again = build_demo(app, people=60, seed=7)
    assert again.created == 0 and again.unchanged == 60
    other = PanelApp(env=StoreLocation.sqlite(str(tmp_path / "other.db")).env())
    build_demo(other, people=60, seed=7)

    def fingerprint(a: PanelApp) -> list[object]:
        return sorted(
            (
                p.ref,
                p.channel,
                p.personal.name,
                tuple(sorted(p.personal.attributes.items())),
                tuple((c.purpose, c.granted_at, c.withdrawn_at) for c in p.consents),
                tuple((r.status, tuple(r.attended)) for r in p.participations),
            )
            for p in Queries(a).participants()
        )

    assert fingerprint(app) == fingerprint(other)
    app.close()
    other.close()


def test_payloads_can_also_be_encrypted_at_rest(location: StoreLocation) -> None:
    from dataclasses import replace

    from eventsourcing.cryptography import AESCipher

    encrypted = replace(location, cipher_key=AESCipher.create_key(32))
    app = PanelApp(env=encrypted.env())
    pid = Registration(app).register(signup("X-1"))
    states = [n.state for n in app.recorder.select_notifications(start=None, limit=10)]
    assert states and all(b'"purpose"' not in s and b'"external_ref"' not in s for s in states)
    assert Queries(app).participant(pid).personal.name == SECRET_NAME  # and it reads back
    app.close()


def test_references_resolve_across_sources(app: PanelApp) -> None:
    web = Registration(app).register(signup("S-1", source="web"))
    assert app.resolve_participant("S-1") == web  # a bare reference is looked up in every source
    assert app.resolve_participant("web:S-1") == web
    Registration(app).register(signup("S-1", source="paper-forms"))
    with pytest.raises(ParticipantNotFoundError, match="several sources .* write SOURCE:REF"):
        app.resolve_participant("S-1")
    assert app.resolve_participant("web:S-1") == web


def test_hex_uuids_of_the_bulk_read_path_behave_as_uuids() -> None:
    import pickle
    from uuid import UUID, uuid4

    from panel.store.partitions import HexUUID, partition_bounds

    plain = uuid4()
    for made in (HexUUID(plain.hex), HexUUID.from_hex(plain.hex), HexUUID(int=plain.int)):
        assert made == plain and hash(made) == hash(plain) and {plain: 1}[made] == 1
        assert made.hex == plain.hex and str(made) == str(plain)
        assert type(pickle.loads(pickle.dumps(made))) is UUID and pickle.loads(pickle.dumps(made)) == plain
    assert [partition_bounds(k, 3) for k in range(3)] == [(0, 85), (85, 170), (170, 256)]


@pytest.mark.parametrize("buckets", [1, 3, 7, 400, 65536])
def test_each_id_prefix_falls_in_the_bucket_whose_bounds_hold_it(buckets: int) -> None:
    from panel.store.partitions import prefix_bounds, prefix_bucket

    bounds = [prefix_bounds(k, buckets) for k in range(buckets)]
    assert bounds[0][0] == 0 and bounds[-1][1] == 65536
    assert all(a[1] == b[0] for a, b in zip(bounds, bounds[1:], strict=False))  # they tile the prefixes
    for prefix in range(0, 65536, 7):
        low, high = bounds[prefix_bucket(f"{prefix:04x}" + "f" * 28, buckets)]
        assert low <= prefix < high


def test_all_keys_reads_the_keys_of_one_range_of_16_bit_prefixes(app: PanelApp) -> None:
    from uuid import UUID

    from panel.store.partitions import prefix_bounds

    ids = [UUID(f"{prefix:04x}" + "1" * 28) for prefix in (0x0000, 0x3FFF, 0x4000, 0x7FFF, 0x8000, 0xFFFF)]
    made = app.keys.ensure_keys(ids)
    quarters = [app.keys.all_keys(*prefix_bounds(k, 4), 16) for k in range(4)]
    assert [sorted(q) for q in quarters] == [sorted(ids[:2]), sorted(ids[2:4]), [ids[4]], [ids[5]]]
    assert all(q[pid] == made[pid] for q in quarters for pid in q)
    assert sorted(app.keys.all_keys(0x40, 0x80)) == sorted(ids[2:4])  # by first byte, as before


def test_the_raw_read_gives_the_notifications_the_library_reads_and_the_parts_add_up_to_it(app: PanelApp) -> None:
    from eventsourcing.utils import get_topic

    from panel.store.protocols import partitioned

    registration = Registration(app)
    for n in range(12):
        registration.register(signup(f"V-{n}"))
    recorder = partitioned(app.recorder)
    head = int(app.recorder.max_notification_id() or 0)
    library = app.recorder.select_notifications(0, limit=head + 1, inclusive_of_start=False)
    expected = [(n.id, n.originator_id.hex, n.originator_version, n.topic, bytes(n.state)) for n in library]
    raw = recorder.select_raw(0, head, [])
    assert [tuple(r) for r in raw] == expected and len(expected) > 30
    assert all(type(r[1]) is str and len(r[1]) == 32 for r in raw)
    granted = get_topic(Participant.ConsentGranted)
    only = [tuple(r) for r in recorder.select_raw(3, head - 2, [granted])]
    assert only == [e for e in expected if e[3] == granted and 3 < e[0] <= head - 2] and only
    parts = sorted(
        (r.id, r.originator_id.hex, r.originator_version, r.topic, r.state)
        for k in range(3)
        for r in recorder.select_partition(0, head, [], k, 3)
    )
    assert parts == expected
