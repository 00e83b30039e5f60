"""The words of the public pages: one TOML file per language or variant in web/copy/ (see docs/web.md).

A campaign's ``language`` names its file: ``en`` (plain English), ``en-easyread`` (Easy Read) or
``cy`` (Welsh, once a Welsh speaker has written web/copy/cy.toml). Standard library only, so the
CLI can check a file exists without loading the web service.
"""

from __future__ import annotations

import tomllib
from pathlib import Path
from typing import Any

COPY_DIR = Path(__file__).parent / "copy"
NAMES = {"en": "English", "en-easyread": "Easy Read English", "cy": "Welsh"}


def copy_path(language: str) -> Path:
    """Where the words for ``language`` live: web/copy/LANGUAGE.toml."""
    return COPY_DIR / f"{language}.toml"


def load_copy(language: str = "en") -> dict[str, Any]:
    """The words of every page, from web/copy/LANGUAGE.toml."""
    with copy_path(language).open("rb") as file:
        return tomllib.load(file)


def html_lang(language: str) -> str:
    """The page's ``<html lang>``: the language without the variant (``en-easyread`` is English, ``en``)."""
    return language.split("-", 1)[0]


def missing_copy(language: str) -> str | None:
    """None when ``language`` has its copy file; otherwise one line saying what is needed and where."""
    if copy_path(language).is_file():
        return None
    name = NAMES.get(language, language)
    who = " (translated by a Welsh speaker, not by a machine)" if language == "cy" else ""
    return (
        f"--language {language}: the {name} pages need a copy file{who} at web/copy/{language}.toml, "
        "with the same keys as web/copy/en.toml: see docs/web.md, 'Languages and Easy Read'"
    )
