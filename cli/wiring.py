"""The composition root: the only place that reads the environment and builds the application."""

from __future__ import annotations

import os
from dataclasses import replace
from functools import cached_property

from panel.application import PanelApp
from panel.config import DEFAULT_SQLITE_PATH, StoreLocation


def store_location(environ: dict[str, str] | None = None) -> StoreLocation:
    """PostgreSQL when PANEL_DATABASE_URL is set, otherwise SQLite at PANEL_DB (default ./panel.db)."""
    env = os.environ if environ is None else environ
    url = env.get("PANEL_DATABASE_URL", "").strip()
    cipher_key = env.get("PANEL_CIPHER_KEY", "").strip()
    if url:
        location = StoreLocation.postgres(url, env.get("PANEL_PG_SCHEMA", "").strip())
    else:
        location = StoreLocation.sqlite(env.get("PANEL_DB", "").strip() or DEFAULT_SQLITE_PATH)
    return replace(location, cipher_key=cipher_key) if cipher_key else location


def views_url(environ: dict[str, str] | None = None) -> str | None:
    """Where read models live when not in the store's own database (PANEL_VIEWS_URL)."""
    env = os.environ if environ is None else environ
    return env.get("PANEL_VIEWS_URL", "").strip() or None


class Wiring:
    """Builds the application once, on first use; nothing connects at import time."""

    def __init__(self, location: StoreLocation | None = None) -> None:
        self.location = location or store_location()

    @cached_property
    def app(self) -> PanelApp:
        return PanelApp(env=self.location.env())

    def close(self) -> None:
        if "app" in self.__dict__:
            self.app.close()
