"""An import larger than one batch is all or nothing, on both backends: a bad row near the end writes
nothing, a failure while a later batch is written leaves no participant, no event, no chain row and no
data key, and a re-run then imports every row exactly once."""

from __future__ import annotations

from pathlib import Path
from uuid import UUID

import pytest

from panel import importer
from panel.application import PanelApp
from panel.audit import Audit
from panel.import_check import check_file
from panel.importer import ImportFileError, import_csv, parse_row
from panel.queries import Queries
from panel.store import bulk_import
from panel.store.chain import chain_table

BATCH = 10
HEADER = "ref,channel,captured_by,name,email,postcode,age_band,consent_contact,consent_panel_membership\n"


def signups_file(tmp_path: Path, n: int, bad_line: int | None = None, name: str = "signups.csv") -> Path:
    lines = [f"S-{i:04d},online,,Person {i},p{i}@example.org,LS6 1AA,18-21,v3,v3\n" for i in range(n)]
    if bad_line is not None:  # file line numbers start at 2 after the header
        lines[bad_line - 2] = f"S-{bad_line:04d},fax,,Person,,LS6 1AA,18-21,v3,v3\n"
    path = tmp_path / name
    path.write_text(HEADER + "".join(lines), encoding="utf-8")
    return path


def stored(app: PanelApp) -> tuple[int, int, int]:
    """(participants, events, data keys) in the store."""
    recorder: object = app.recorder
    events = len(app.recorder.select_notifications(start=None, limit=100_000))
    with recorder.datastore.transaction(commit=False) as c:  # type: ignore[attr-defined]
        c.execute(f"SELECT COUNT(*) AS n FROM {app.keys.keys_table}")
        keys = c.fetchone()["n"]
    return Queries(app).count_participants(), events, keys


@pytest.mark.parametrize("people", [2 * BATCH + 5, 6 * BATCH + 5])  # in this process; in worker processes
def test_a_bad_row_near_the_end_writes_nothing(app: PanelApp, tmp_path: Path, people: int) -> None:
    path = signups_file(tmp_path, people, bad_line=people)  # the file's last row but one
    report = import_csv(app, path, batch=BATCH)
    assert report.rows == people and report.created == 0 and report.events == 0
    assert [line for line, _ in report.rejected] == [people]
    assert "channel 'fax' is unknown" in report.rejected[0][1]
    assert stored(app) == (0, 0, 0)
    skipped = import_csv(app, path, batch=BATCH, skip_invalid=True)
    assert (skipped.created, skipped.unchanged, len(skipped.rejected)) == (people - 1, 0, 1)


@pytest.mark.parametrize("people", [2 * BATCH + 5, 6 * BATCH + 5])
@pytest.mark.parametrize("failure", [RuntimeError("the disk is full"), KeyboardInterrupt()])
def test_a_failure_in_a_later_batch_leaves_nothing_and_a_rerun_imports_each_row_once(
    app: PanelApp, tmp_path: Path, monkeypatch: pytest.MonkeyPatch, people: int, failure: BaseException
) -> None:
    path = signups_file(tmp_path, people)
    real_insert = app.recorder.insert_in  # type: ignore[attr-defined]
    calls: list[int] = []

    def failing_insert(cursor: object, events: list[object]) -> object:
        calls.append(len(events))
        if len(calls) == 4:  # the catalogue's names, then batches 1 and 2 are written; the third fails
            raise failure
        return real_insert(cursor, events)

    parallel = bulk_import.worth_it(people, BATCH)
    monkeypatch.setattr(app.recorder, "insert_in", failing_insert)
    with pytest.raises(type(failure)):
        import_csv(app, path, batch=BATCH)
    assert calls[1:3] == [BATCH * 3, BATCH * 3] and parallel == (people > 3 * BATCH)
    assert stored(app) == (0, 0, 0)  # no participant, no event, no data key
    monkeypatch.setattr(app.recorder, "insert_in", real_insert)

    report = import_csv(app, path, batch=BATCH)
    assert (report.created, report.unchanged, report.events) == (people, 0, people * 3)
    assert stored(app) == (people, people * 3 + 2, people)  # + the attribute catalogue: started, names noted
    assert Audit(app).verify().ok  # the chain runs on over what the rolled-back transaction did not write
    again = import_csv(app, path, batch=BATCH)
    assert (again.created, again.unchanged, again.events) == (0, people, 0)
    assert stored(app) == (people, people * 3 + 2, people)


def test_rows_already_imported_are_recognised_in_every_batch(app: PanelApp, tmp_path: Path) -> None:
    first = signups_file(tmp_path, 25, name="first.csv")
    whole = signups_file(tmp_path, 7 * BATCH, name="whole.csv")
    assert import_csv(app, first, batch=BATCH).created == 25
    seen: list[int] = []
    report = import_csv(app, whole, batch=BATCH, progress=seen.append)
    assert (report.created, report.unchanged, report.events) == (7 * BATCH - 25, 25, (7 * BATCH - 25) * 3)
    assert seen == [BATCH] * 7
    assert stored(app) == (7 * BATCH, 7 * BATCH * 3 + 2, 7 * BATCH)


def test_a_reference_repeated_in_a_later_batch_is_rejected_with_its_first_line(app: PanelApp, tmp_path: Path) -> None:
    path = signups_file(tmp_path, 6 * BATCH)
    with path.open("a", encoding="utf-8") as handle:
        handle.write("S-0003,online,,Again,,LS6 1AA,18-21,v3,v3\n")
    report = import_csv(app, path, batch=BATCH)
    assert report.rejected == [(6 * BATCH + 2, "ref 'S-0003' already appears on line 5")]
    assert stored(app) == (0, 0, 0)
    report = import_csv(app, path, batch=BATCH, skip_invalid=True)
    assert (report.created, report.unchanged) == (6 * BATCH, 0)


def test_ids_that_share_a_prefix_are_told_apart_by_their_references(tmp_path: Path) -> None:
    path = signups_file(tmp_path, 30)
    with path.open("a", encoding="utf-8") as handle:
        handle.write("S-0007,online,,Again,,LS6 1AA,18-21,v3,v3\n")

    def parse(row):  # type: ignore[no-untyped-def]
        return parse_row(row, "online", "import")

    same_prefix = check_file(path, parse, lambda s: UUID(int=int(s.ref[2:])))  # every id's first 8 bytes are 0
    assert same_prefix.rejected == [(32, "ref 'S-0007' already appears on line 9")] and same_prefix.good == 30


def test_the_meaning_of_each_column_follows_the_header_whatever_its_order(app: PanelApp, tmp_path: Path) -> None:
    """Columns are read by name (worked out once per header): the same people in another column order, with a
    consent left blank and an attribute before the reference, are stored with the same details."""
    ordered = tmp_path / "ordered.csv"
    ordered.write_text(
        "ref,name,email,age_band,consent_contact,consent_panel_membership\n"
        "S-1,Ann Lee,Ann@Example.org,18-21,v3,v2\n"
        "S-2,Bo Kay,,22-25,,v2\n",
        encoding="utf-8",
    )
    shuffled = tmp_path / "shuffled.csv"
    shuffled.write_text(
        "age_band,consent_panel_membership,Email,ref,consent_contact,name\n"
        "18-21,v2,Ann@Example.org,T-1,v3,Ann Lee\n"
        "22-25,v2,,T-2,,Bo Kay\n",
        encoding="utf-8",
    )
    assert import_csv(app, ordered).created == 2 and import_csv(app, shuffled).created == 2

    def seen(ref: str) -> tuple[object, ...]:
        p = Queries(app).participant(app.participant_id_for(ref, "import"))
        return (p.personal, sorted((c.purpose, c.notice_version) for c in p.consents))

    for i in (1, 2):
        assert seen(f"S-{i}") == seen(f"T-{i}")
    ann, bo = seen("S-1"), seen("S-2")
    assert ann[0].email == "Ann@example.org" and ann[0].attributes == {"age_band": "18-21"}  # type: ignore[attr-defined]
    assert ann[1] == [("contact", "v3"), ("panel_membership", "v2")]
    assert bo[0].email is None and bo[1] == [("panel_membership", "v2")]  # type: ignore[attr-defined]


def test_a_consent_column_for_no_purpose_is_refused_on_every_row(app: PanelApp, tmp_path: Path) -> None:
    path = tmp_path / "unknown.csv"
    path.write_text("ref,consent_contact,consent_newsletter\nS-1,v3,v1\nS-2,v3,\n", encoding="utf-8")
    report = import_csv(app, path)
    assert [line for line, _ in report.rejected] == [2, 3]
    assert all("column consent_newsletter names no consent purpose" in reason for _, reason in report.rejected)
    assert stored(app) == (0, 0, 0)


@pytest.mark.parametrize("people", [2 * BATCH + 5, 6 * BATCH + 5])  # parsed again here; in the worker processes
def test_a_row_spoilt_between_the_two_reads_rolls_the_whole_import_back(
    app: PanelApp, tmp_path: Path, monkeypatch: pytest.MonkeyPatch, people: int
) -> None:
    path = signups_file(tmp_path, people)
    real_check = importer.check_file

    def check_then_spoil(*args: object, **kwargs: object) -> object:
        found = real_check(*args, **kwargs)  # type: ignore[arg-type]
        lines = path.read_text(encoding="utf-8").splitlines(keepends=True)
        lines[-2] = lines[-2].replace(",online,", ",fax,")  # the file's last row but one, in the last batch
        path.write_text("".join(lines), encoding="utf-8")
        return found

    monkeypatch.setattr(importer, "check_file", check_then_spoil)
    with pytest.raises(ImportFileError, match=rf"signups.csv:{people}: channel 'fax' is unknown.*the file changed"):
        import_csv(app, path, batch=BATCH)
    assert stored(app) == (0, 0, 0)


def test_a_large_import_refreshes_the_statistics_of_the_events(
    app: PanelApp, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    """On PostgreSQL an import of ANALYZE_AFTER events or more analyses the events and their chain at once (the
    planner's guesses made each person's read a JIT-compiled parallel scan); a smaller one leaves it to
    autovacuum. SQLite plans without statistics, and gets no statistics table (no command but init makes one)."""
    monkeypatch.setattr(importer, "ANALYZE_AFTER", 3 * BATCH + 1)  # 3 events a person: registered, 2 consents
    recorder: object = app.recorder
    if app.dialect == "sqlite":
        assert not hasattr(recorder, "analyze")
        import_csv(app, signups_file(tmp_path, 2 * BATCH), batch=BATCH)
        with recorder.datastore.transaction(commit=False) as c:  # type: ignore[attr-defined]
            c.execute("SELECT name FROM sqlite_master WHERE name LIKE 'sqlite_stat%'")
            assert c.fetchall() == []
        return
    schema, table = recorder.datastore.schema, recorder.events_table_name  # type: ignore[attr-defined]

    def analysed() -> list[int]:
        with recorder.datastore.transaction(commit=False) as c:  # type: ignore[attr-defined]
            c.execute(
                "SELECT relname, analyze_count FROM pg_stat_user_tables WHERE schemaname = %s ORDER BY relname",
                (schema,),
            )
            counts = {r["relname"]: r["analyze_count"] for r in c.fetchall()}
        return [counts[table], counts[chain_table(table)]]

    before = analysed()
    assert import_csv(app, signups_file(tmp_path, BATCH, name="small.csv"), batch=BATCH).events == 3 * BATCH
    assert analysed() == before  # one event short of the bound
    monkeypatch.setattr(importer, "ANALYZE_AFTER", 3)
    assert import_csv(app, signups_file(tmp_path, BATCH + 1, name="more.csv"), batch=BATCH).events == 3  # one more
    assert analysed() == [n + 1 for n in before]
