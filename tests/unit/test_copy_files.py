"""Every copy file in web/copy/ (a language, or the Easy Read variant) has exactly the words en.toml has.

A key added to en.toml and missed in another file, or a key only one file has, fails here; so does a
placeholder such as {confirm} that a translation dropped or renamed (the email would lose its link).
"""

from __future__ import annotations

import string
from pathlib import Path
from typing import Any

import pytest

from web.copies import COPY_DIR, html_lang, load_copy, missing_copy

FILES = sorted(p.stem for p in COPY_DIR.glob("*.toml"))


def keys(table: dict[str, Any], prefix: str = "") -> set[str]:
    found = set()
    for key, value in table.items():
        found.add(prefix + key)
        if isinstance(value, dict):
            found |= keys(value, f"{prefix}{key}.")
    return found


def placeholders(table: dict[str, Any], prefix: str = "") -> dict[str, set[str]]:
    found: dict[str, set[str]] = {}
    for key, value in table.items():
        if isinstance(value, dict):
            found |= placeholders(value, f"{prefix}{key}.")
        elif isinstance(value, str):
            found[prefix + key] = {name for _, name, _, _ in string.Formatter().parse(value) if name}
    return found


def test_the_easy_read_file_is_there() -> None:
    assert {"en", "en-easyread"} <= set(FILES)


@pytest.mark.parametrize("language", [f for f in FILES if f != "en"])
def test_a_copy_file_has_exactly_the_keys_of_en(language: str) -> None:
    standard, other = load_copy("en"), load_copy(language)
    assert sorted(keys(standard) - keys(other)) == [], f"web/copy/{language}.toml is missing these keys"
    assert sorted(keys(other) - keys(standard)) == [], f"web/copy/{language}.toml has keys en.toml does not"
    assert placeholders(other) == placeholders(standard), f"web/copy/{language}.toml changed a {{placeholder}}"


def test_the_key_check_finds_a_missing_and_an_extra_key() -> None:
    standard = {"apply": {"title": "Apply", "submit": "Send"}, "site": {"name": "x"}}
    other = {"apply": {"title": "Ask"}, "site": {"name": "y", "extra": "z"}}
    assert keys(standard) - keys(other) == {"apply.submit"}
    assert keys(other) - keys(standard) == {"site.extra"}


def test_easy_read_words_differ_from_the_standard_words() -> None:
    standard, easy = load_copy("en"), load_copy("en-easyread")
    assert easy["apply"]["title"] != standard["apply"]["title"]
    assert easy["apply"]["submit"] != standard["apply"]["submit"]


def test_html_lang_drops_the_variant() -> None:
    assert [html_lang(x) for x in ("en", "en-easyread", "cy")] == ["en", "en", "cy"]


def test_a_language_without_its_copy_file_is_named_with_the_fix() -> None:
    assert missing_copy("en") is None and missing_copy("en-easyread") is None
    line = missing_copy("xx")
    assert line is not None and "web/copy/xx.toml" in line and "docs/web.md" in line and "\n" not in line


def test_welsh_needs_a_welsh_speaker(tmp_path: Path) -> None:
    if (COPY_DIR / "cy.toml").is_file():  # once a Welsh speaker has written it, Welsh pages are available
        assert missing_copy("cy") is None
    else:
        line = missing_copy("cy")
        assert line is not None and "Welsh speaker" in line and "web/copy/cy.toml" in line
