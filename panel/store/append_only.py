"""The event history is append-only, enforced by the database itself (docs/audit.md).

`panel init` (``install``) puts triggers on the events table and its chain table:

- SQLite: ``BEFORE UPDATE`` and ``BEFORE DELETE`` triggers that abort the statement. Anyone who can
  write the file can drop them (the chain still shows what they then change); they stop every
  program that goes through SQL by mistake or on purpose without dropping them first.
- PostgreSQL: one statement-level trigger per table ``BEFORE UPDATE OR DELETE OR TRUNCATE`` that
  raises ``insufficient_privilege``, for every role, the owner and superusers included, unless
  the session (or transaction) sets the maintenance switch ``panel.maintenance`` to ``on``. Roles
  without UPDATE, DELETE or TRUNCATE privilege (``panel admin roles``) cannot get past the
  privilege check at all, switch or not.

Nothing in the panel updates or deletes an event or a chain row: erasure deletes data keys in their
own table, and the upgrade of an older store only inserts chain rows.

On PostgreSQL the library's insert takes ``LOCK TABLE ... IN EXCLUSIVE MODE``, which PostgreSQL
allows only to roles with UPDATE, DELETE or TRUNCATE on the table. ``install`` therefore also makes
``panel_lock_events()``, a SECURITY DEFINER function of the tables' owner that takes the same lock,
and ``adopt`` makes a recorder use it when the store has it: the application role inserts events
with the same serialisation and no right to change them.
"""

from __future__ import annotations

from typing import Any

SWITCH = "panel.maintenance"  # SET panel.maintenance = 'on' lifts the PostgreSQL triggers for the session
TRIGGER_FUNCTION = "panel_append_only"
LOCK_FUNCTION = "panel_lock_events"
REFUSAL = "the event history is append-only"


def guarded_tables(recorder: Any) -> list[str]:
    """The unquoted names of the tables the triggers guard: the events table and its chain table."""
    return [recorder.events_table_name, f"{recorder.events_table_name}_chain"]


def install(app: Any) -> None:
    """Create (or re-create) the triggers and, on PostgreSQL, the lock function: `panel init` only."""
    recorder = app.recorder
    with recorder.datastore.transaction(commit=True) as c:
        if app.dialect == "sqlite":
            for table in guarded_tables(recorder):
                for op in ("UPDATE", "DELETE"):
                    c.execute(
                        f'CREATE TRIGGER IF NOT EXISTS "panel_{table}_no_{op.lower()}" BEFORE {op} ON "{table}" '
                        f"BEGIN SELECT RAISE(ABORT, 'panel: {op} on {table} refused: {REFUSAL}'); END"
                    )
            return
        for statement in _postgres_statements(recorder.datastore.schema, guarded_tables(recorder)):
            c.execute(statement)


def _postgres_statements(schema: str, tables: list[str]) -> list[Any]:
    from psycopg.sql import SQL, Identifier

    function, lock = Identifier(schema, TRIGGER_FUNCTION), Identifier(schema, LOCK_FUNCTION)
    statements: list[Any] = [
        SQL(
            "CREATE OR REPLACE FUNCTION {function}() RETURNS trigger LANGUAGE plpgsql AS $body$ BEGIN "
            "IF coalesce(current_setting({switch}, true), '') = 'on' THEN RETURN NULL; END IF; "
            "RAISE EXCEPTION 'panel: % on %.% refused: {refusal} (docs/audit.md: the maintenance switch)', "
            "TG_OP, TG_TABLE_SCHEMA, TG_TABLE_NAME USING ERRCODE = 'insufficient_privilege'; "
            "END $body$"
        ).format(function=function, switch=SWITCH, refusal=SQL(REFUSAL)),
        SQL(
            "CREATE OR REPLACE FUNCTION {lock}() RETURNS void LANGUAGE plpgsql SECURITY DEFINER "
            "SET search_path = pg_catalog, pg_temp AS $body$ BEGIN "
            "LOCK TABLE {events} IN EXCLUSIVE MODE; END $body$"
        ).format(lock=lock, events=Identifier(schema, tables[0])),
        SQL("REVOKE ALL ON FUNCTION {lock}() FROM PUBLIC").format(lock=lock),
    ]
    for table in tables:
        statements.append(
            SQL(
                "CREATE OR REPLACE TRIGGER {name} BEFORE UPDATE OR DELETE OR TRUNCATE ON {table} "
                "FOR EACH STATEMENT EXECUTE FUNCTION {function}()"
            ).format(name=Identifier(TRIGGER_FUNCTION), table=Identifier(schema, table), function=function)
        )
    return statements


def adopt(app: Any) -> None:
    """On PostgreSQL, take the insert's table lock through ``panel_lock_events()`` when the store has it."""
    if app.dialect != "postgres":
        return
    from psycopg.sql import SQL, Identifier

    recorder = app.recorder
    schema = recorder.datastore.schema
    with recorder.datastore.get_connection() as conn, conn.cursor() as curs:
        curs.execute(
            "SELECT coalesce(has_function_privilege(to_regprocedure(%s), 'EXECUTE'), false) AS found",
            (f'"{schema}".{LOCK_FUNCTION}()',),
        )
        row = curs.fetchone()
    if row is None or not row["found"]:
        return  # a store without the function (init has not run), or a role not granted it: the library's LOCK
    recorder.lock_table_statements = [  # the library's two statements, its LOCK TABLE through the function
        SQL("SET LOCAL lock_timeout = '{0}s'").format(recorder.datastore.lock_timeout),
        SQL("SELECT {lock}()").format(lock=Identifier(schema, LOCK_FUNCTION)),
    ]
