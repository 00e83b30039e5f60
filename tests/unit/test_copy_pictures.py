"""The pictures the copy files name for Easy Read ([pictures.SECTION] KEY = NAME): each picture is one of ours in
web/static/pictures/ (hand-written SVG, no script, no outside reference, a fixed 64 by 64 size), each KEY is a
paragraph of that page's copy, and plain English names none."""

from __future__ import annotations

import xml.etree.ElementTree as ET
from pathlib import Path

import pytest

from web.copies import COPY_DIR, load_copy

PICTURES = Path(COPY_DIR).parent / "static" / "pictures"
FILES = sorted(p.stem for p in COPY_DIR.glob("*.toml"))
SVG = "{http://www.w3.org/2000/svg}"


@pytest.mark.parametrize("language", FILES)
def test_every_picture_named_exists_for_a_paragraph_that_exists(language: str) -> None:
    copy = load_copy(language)
    for section, named in copy["pictures"].items():
        for key, picture in named.items():
            assert isinstance(copy[section][key], str), f"{language}: pictures.{section}.{key} names no paragraph"
            assert picture == "" or (PICTURES / f"{picture}.svg").is_file(), f"{language}: no picture {picture!r}"


def test_plain_english_names_no_picture_and_easy_read_names_them_all() -> None:
    plain, easy = load_copy("en")["pictures"], load_copy("en-easyread")["pictures"]
    assert {v for named in plain.values() for v in named.values()} == {""}
    assert all(v for named in easy.values() for v in named.values())


@pytest.mark.parametrize("path", sorted(PICTURES.glob("*.svg")), ids=lambda p: p.name)
def test_each_picture_is_a_plain_64_pixel_svg(path: Path) -> None:
    root = ET.parse(path).getroot()  # noqa: S314 - our own files, from the repository
    assert root.tag == f"{SVG}svg" and (root.get("width"), root.get("height"), root.get("viewBox")) == (
        "64", "64", "0 0 64 64"
    )  # fmt: skip
    tags = {element.tag.removeprefix(SVG) for element in root.iter()}
    assert tags <= {"svg", "circle", "rect", "path", "line", "polyline"}, tags  # no script, text, image or link
    assert not any(k.endswith("href") for element in root.iter() for k in element.attrib)


def test_the_set_holds_the_pictures_easy_read_pages_need() -> None:
    assert {p.stem for p in PICTURES.glob("*.svg")} == {
        "person", "envelope", "phone", "house", "calendar", "tick", "money", "question"
    }  # fmt: skip
