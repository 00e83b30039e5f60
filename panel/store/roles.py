"""PostgreSQL roles for a store (`panel admin roles`): an owner, the application, and a read-only auditor.

- ``<prefix>_owner`` owns the store's tables and functions: `panel init`, `panel projections rebuild`
  and maintenance (with the switch of ``panel.store.append_only``) run as it.
- ``<prefix>_app`` runs the service and every other command: SELECT and INSERT on the events and
  chain tables and nothing more there (no UPDATE, DELETE or TRUNCATE, whatever the switch says);
  SELECT, INSERT, UPDATE and DELETE on the other tables (data keys, so erasure works; settings,
  read models and their tracking); the owner's lock function to insert events in order.
- ``<prefix>_auditor`` may only read the events, the chain and the settings: enough for
  `panel audit verify`; not the data keys, not the read models.

Roles are created with LOGIN and no password (set one: ``ALTER ROLE ... PASSWORD``). Running the
command again changes nothing that is already as it should be; tables made later by the owner get
the same grants by default privileges. Roles belong to the whole PostgreSQL cluster, not the schema.
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from typing import Any

from panel.config import StoreVersionError
from panel.domain.errors import ValidationError
from panel.store.append_only import LOCK_FUNCTION, guarded_tables
from panel.store.opening import SETTINGS

PREFIX = re.compile(r"[a-z_][a-z0-9_]{0,40}")
APP_ON_OTHER_TABLES = "SELECT, INSERT, UPDATE, DELETE"


@dataclass(frozen=True)
class Roles:
    """The three role names, and which of them this run created."""

    owner: str
    app: str
    auditor: str
    created: tuple[str, ...]
    tables: int  # tables of the store's schema given their grants


def role_names(prefix: str) -> tuple[str, str, str]:
    if not PREFIX.fullmatch(prefix):
        raise ValidationError(
            f"--prefix {prefix[:60]!r} cannot start a role name: use lower-case letters, digits and _ "
            "(at most 41, not starting with a digit), e.g. panel"
        )
    return f"{prefix}_owner", f"{prefix}_app", f"{prefix}_auditor"


def create_roles(app: Any, prefix: str) -> Roles:
    """Create the roles if missing and give each its rights on this store's schema, in one transaction."""
    owner, application, auditor = role_names(prefix)
    if app.dialect != "postgres":
        raise ValidationError(
            "database roles are PostgreSQL's: an SQLite store is one file, kept private (mode 0600) "
            "and append-only by its triggers (docs/store.md)"
        )
    from psycopg.sql import SQL, Identifier

    recorder = app.recorder
    schema = recorder.datastore.schema
    guarded = guarded_tables(recorder)
    with recorder.datastore.transaction(commit=True) as c:
        c.execute("SELECT to_regprocedure(%s) IS NOT NULL AS found", (f'"{schema}".{LOCK_FUNCTION}()',))
        if not c.fetchone()["found"]:
            raise StoreVersionError(
                "the store has no append-only triggers yet (made before them): run `panel init` first, as the "
                "role that owns the tables"
            )
        c.execute("SELECT rolname FROM pg_roles WHERE rolname = ANY(%s)", ([owner, application, auditor],))
        existing = {row["rolname"] for row in c.fetchall()}
        created = tuple(name for name in (owner, application, auditor) if name not in existing)
        for name in created:
            c.execute(SQL("CREATE ROLE {} LOGIN").format(Identifier(name)))
        c.execute("SELECT tablename FROM pg_tables WHERE schemaname = %s ORDER BY tablename", (schema,))
        tables = [row["tablename"] for row in c.fetchall()]
        s, o, a, r = (Identifier(n) for n in (schema, owner, application, auditor))
        statements = [
            SQL("GRANT USAGE, CREATE ON SCHEMA {s} TO {o}"),
            SQL("GRANT USAGE ON SCHEMA {s} TO {a}, {r}"),
            SQL("GRANT USAGE, SELECT ON ALL SEQUENCES IN SCHEMA {s} TO {a}"),
            SQL(
                "ALTER DEFAULT PRIVILEGES FOR ROLE {o} IN SCHEMA {s} GRANT " + APP_ON_OTHER_TABLES + " ON TABLES TO {a}"
            ),
            SQL("ALTER DEFAULT PRIVILEGES FOR ROLE {o} IN SCHEMA {s} GRANT USAGE, SELECT ON SEQUENCES TO {a}"),
        ]
        for statement in statements:
            c.execute(statement.format(s=s, o=o, a=a, r=r))
        for table in tables:
            t = Identifier(schema, table)
            c.execute(SQL("ALTER TABLE {t} OWNER TO {o}").format(t=t, o=o))
            if table in guarded:
                c.execute(SQL("REVOKE UPDATE, DELETE, TRUNCATE, REFERENCES, TRIGGER ON {t} FROM {a}").format(t=t, a=a))
                c.execute(SQL("GRANT SELECT, INSERT ON {t} TO {a}").format(t=t, a=a))
            else:
                c.execute(SQL("GRANT " + APP_ON_OTHER_TABLES + " ON {t} TO {a}").format(t=t, a=a))
            if table in (*guarded, SETTINGS):
                c.execute(SQL("GRANT SELECT ON {t} TO {r}").format(t=t, r=r))
        c.execute(  # ours and the library's (its insert function and the composite type it takes)
            "SELECT p.oid::regprocedure::text AS signature FROM pg_proc p "
            "JOIN pg_namespace n ON n.oid = p.pronamespace WHERE n.nspname = %s",
            (schema,),
        )
        for row in c.fetchall():
            c.execute(SQL("ALTER FUNCTION " + row["signature"] + " OWNER TO {o}").format(o=o))
        c.execute(
            "SELECT t.typname FROM pg_type t JOIN pg_namespace n ON n.oid = t.typnamespace "
            "JOIN pg_class k ON k.oid = t.typrelid WHERE n.nspname = %s AND k.relkind = 'c'",
            (schema,),
        )
        for row in c.fetchall():
            c.execute(SQL("ALTER TYPE {t} OWNER TO {o}").format(t=Identifier(schema, row["typname"]), o=o))
        c.execute(SQL("GRANT EXECUTE ON FUNCTION {f}() TO {a}").format(f=Identifier(schema, LOCK_FUNCTION), a=a))
    return Roles(owner, application, auditor, created, len(tables))
