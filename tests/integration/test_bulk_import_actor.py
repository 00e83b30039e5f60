"""A bulk import in worker processes records the importer as the actor of every event, like the sequential
path, on SQLite and PostgreSQL (a context variable does not cross into a worker: it is passed)."""

from __future__ import annotations

from panel.actor import acting_as
from panel.application import PanelApp
from panel.audit_log import AuditLog, LogFilter
from panel.registration import Registration
from panel.store import bulk_import as bulk
from tests.integration.test_bulk_import import BATCH, people


def test_worker_processes_record_the_importer(app: PanelApp) -> None:
    signups = people(5 * BATCH)
    assert bulk.worth_it(len(signups), BATCH)  # so the import below runs in worker processes
    with acting_as("importer.kim"):
        created, _, events = Registration(app).register_many(signups, batch=BATCH)
    with acting_as("amy.khan"):
        Registration(app).register_many(people(3, prefix="S-"), batch=BATCH)  # sequential
    logged = AuditLog(app).entries(LogFilter(), limit=10_000)
    assert created == 5 * BATCH and len(logged) > events
    by_person: dict[str, set[str | None]] = {(e.participant_ref or "")[:2]: set() for e in logged}
    for e in logged:
        by_person[(e.participant_ref or "")[:2]].add(e.actor)
    assert by_person == {"B-": {"importer.kim"}, "S-": {"amy.khan"}, "": {"importer.kim"}}  # the attribute catalogue
    assert sum(1 for e in logged if (e.participant_ref or "").startswith("B-")) == events
