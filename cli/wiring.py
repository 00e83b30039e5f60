"""The composition root: the only place that reads the environment and builds the application."""

from __future__ import annotations

import os
from collections.abc import Mapping
from dataclasses import dataclass, field, replace
from functools import cached_property
from typing import TYPE_CHECKING
from uuid import UUID

import click

from cli.render import run_with_progress
from panel.application import PanelApp
from panel.config import DEFAULT_SQLITE_PATH, StoreLocation
from panel.participation import Participation

if TYPE_CHECKING:
    from panel.draws import Draws
    from panel.outbox import FolderOutbox
    from panel.retention.rules import RetentionPolicy
    from panel.store.wrapping import MasterKey
    from projections import Projector


def store_location(environ: dict[str, str] | None = None) -> StoreLocation:
    """PostgreSQL when PANEL_DATABASE_URL is set, otherwise SQLite at PANEL_DB (default ./panel.db)."""
    env: Mapping[str, str] = os.environ if environ is None else environ
    url = env.get("PANEL_DATABASE_URL", "").strip()
    cipher_key = env.get("PANEL_CIPHER_KEY", "").strip()
    if url:
        location = StoreLocation.postgres(url, env.get("PANEL_PG_SCHEMA", "").strip())
    else:
        location = StoreLocation.sqlite(env.get("PANEL_DB", "").strip() or DEFAULT_SQLITE_PATH)
    location = replace(location, cipher_key=cipher_key) if cipher_key else location
    return replace(location, keys_url=env.get("PANEL_KEYS_URL", "").strip(), **master_key_settings(env))


def master_key_settings(env: Mapping[str, str]) -> dict[str, str]:
    """PANEL_MASTER_KEY or PANEL_MASTER_KEY_FILE as the location's master key (base64) and where it came from."""
    import base64

    from panel.store.wrapping import MasterKeyError, parse_master_key, read_master_key_file

    text, path = env.get("PANEL_MASTER_KEY", "").strip(), env.get("PANEL_MASTER_KEY_FILE", "").strip()
    if text and path:
        raise MasterKeyError("both PANEL_MASTER_KEY and PANEL_MASTER_KEY_FILE are set: keep one of them")
    if not text and not path:
        return {}
    key = parse_master_key(text, "PANEL_MASTER_KEY") if text else read_master_key_file(path)
    source = "PANEL_MASTER_KEY" if text else f"PANEL_MASTER_KEY_FILE {path}"
    return {"master_key": base64.b64encode(key).decode(), "master_key_from": source}


def new_master_key(key_file: str | None) -> MasterKey:
    """The master key to rotate to: from ``key_file`` (--new-key-file), else PANEL_NEW_MASTER_KEY."""
    from panel.store.wrapping import MasterKey, MasterKeyError, parse_master_key, read_master_key_file

    if key_file:
        return MasterKey(read_master_key_file(key_file, "--new-key-file"), f"--new-key-file {key_file}")
    text = os.environ.get("PANEL_NEW_MASTER_KEY", "").strip()
    if not text:
        raise MasterKeyError("no new master key: give --new-key-file FILE or set PANEL_NEW_MASTER_KEY")
    return MasterKey(parse_master_key(text, "PANEL_NEW_MASTER_KEY"), "PANEL_NEW_MASTER_KEY")


def views_url(environ: dict[str, str] | None = None) -> str | None:
    """Where read models live when not in the store's own database (PANEL_VIEWS_URL)."""
    env = os.environ if environ is None else environ
    return env.get("PANEL_VIEWS_URL", "").strip() or None


def projector(ctx: click.Context, show_progress: bool = True, catch_up: bool = True) -> Projector:
    """The projector over this store's views, built once per command; caught up first (read-your-writes)."""
    from projections import Projector, make_engine

    root = ctx.find_root()
    if "projector" not in root.meta:
        wiring = root.obj
        engine = make_engine(wiring.location, views_url())
        root.call_on_close(engine.dispose)
        root.meta["projector"] = Projector(wiring.app, engine)
    proj: Projector = root.meta["projector"]
    if catch_up:
        run_with_progress(proj, proj.catch_up, show_progress)
    return proj


class Wiring:
    """Builds the application once, on first use; nothing connects at import time.

    Every command opens an existing store (``app``), which creates and writes nothing; only
    `panel init` and `panel demo` call ``create_store``.
    """

    def __init__(self, location: StoreLocation | None = None) -> None:
        self._location = location

    @cached_property
    def location(self) -> StoreLocation:
        return self._location or store_location()

    @cached_property
    def app(self) -> PanelApp:
        from panel.store.opening import open_store

        return open_store(self.location)

    def create_store(self) -> Setup:
        """Create or upgrade the store and its read models' tables (`panel init`, `panel demo`)."""
        from panel.store.opening import create_store, private_files
        from projections import Projector, make_engine
        from projections.connection import private_sqlite_file
        from projections.registry import every_view

        app = create_store(self.location)
        self.__dict__["app"] = app
        engine = make_engine(self.location, views_url())
        try:
            tightened = private_sqlite_file(engine)
            projector = Projector(app, engine, views=every_view(), ddl=True)
            projector.setup()
            rebuilt = list(projector.upgraded)
            if rebuilt:  # a column only the log can fill (the ledger's accrued_position): once, on upgrade
                projector.rebuild(rebuilt)
        finally:
            engine.dispose()
        tightened = sorted({*tightened, *private_files(self.location)})
        return Setup(app, tightened, Participation(app).finish_erasures(), rebuilt)

    @cached_property
    def actor(self) -> str:
        """Who is running the command, for access records: PANEL_USER, else the operating-system user."""
        import getpass

        named = os.environ.get("PANEL_USER", "").strip()
        if named:
            return named[:100]
        try:
            return getpass.getuser()
        except (OSError, KeyError):  # no user name in this environment (a container, say)
            return "unknown"

    def record_access(self, what: str, participant_ids: list[UUID], purpose: str | None = None) -> None:
        """Record that this command is about to show these participants' personal data (panel.access)."""
        from panel.access import AccessLog

        AccessLog(self.app).record(self.actor, what, participant_ids, purpose=purpose)

    @cached_property
    def outbox(self) -> FolderOutbox:
        """Where emails go: PANEL_OUTBOX_DIR, PANEL_MAIL_FROM and PANEL_SMTP_URL (one line when one is wrong)."""
        from panel.outbox import outbox_from_env

        return outbox_from_env(os.environ)

    @cached_property
    def web_base_url(self) -> str:
        """PANEL_WEB_BASE_URL: the public address of `panel serve`, which links in emails start with ("" if unset)."""
        return os.environ.get("PANEL_WEB_BASE_URL", "").strip().rstrip("/")

    @cached_property
    def retention_policy(self) -> RetentionPolicy:
        """The retention rules' periods: PANEL_RETENTION_* (one line naming a bad one; unset: the defaults)."""
        from panel.retention.rules import policy_from

        return policy_from(os.environ)

    def close(self) -> None:
        if "app" in self.__dict__:
            self.app.close()


@dataclass(frozen=True)
class Setup:
    """What `panel init` did besides creating tables: files made private, interrupted erasures finished."""

    app: PanelApp
    tightened: list[str]
    erasures: list[UUID]
    rebuilt: list[str] = field(default_factory=list)  # views rebuilt to fill the columns this version added


def draw_service(ctx: click.Context) -> Draws:
    """The draw service, its pool narrowed by the consent, reach and fatigue read models (caught up
    first); every candidate is still re-checked from their history, for a draw and its verification."""
    from panel.draws import Draws
    from projections.pool_narrowing import ViewNarrowing

    return Draws(ctx.find_root().obj.app, narrowing=ViewNarrowing(projector(ctx, catch_up=False)))
