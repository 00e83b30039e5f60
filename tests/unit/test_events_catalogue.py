"""docs/events.md lists every event class of the panel package, with its topic, version and fields.

The classes are found at test time by importing every module under ``panel`` and collecting the
event classes nested in each aggregate defined there, so a new aggregate or event anywhere in the
package is covered without a list kept here. Events are keyed by qualified name
(``Participant.Registered``), not by module, so moving a module does not break the catalogue; the
catalogue's topic must still resolve to the class (a moved class keeps its old topic readable with
``register_topic``).
"""

from __future__ import annotations

import dataclasses
import importlib
import inspect
import pkgutil
import re
from dataclasses import dataclass

import pytest
from eventsourcing.domain import Aggregate, CanMutateAggregate
from eventsourcing.utils import resolve_topic

import panel
from tests.helpers.paths import ROOT

CATALOGUE = ROOT / "docs" / "events.md"
BASE_FIELDS = {"originator_id", "originator_version", "timestamp", "originator_topic"}


@dataclass(frozen=True)
class Entry:
    topic: str
    version: int
    fields: tuple[str, ...]


def own_fields(event_class: type) -> tuple[str, ...]:
    return tuple(f"{f.name}: {f.type}" for f in dataclasses.fields(event_class) if f.name not in BASE_FIELDS)


def aggregates_in_panel() -> dict[str, type[Aggregate]]:
    found: dict[str, type[Aggregate]] = {}
    for info in pkgutil.walk_packages(panel.__path__, "panel."):
        module = importlib.import_module(info.name)
        for obj in vars(module).values():
            if inspect.isclass(obj) and issubclass(obj, Aggregate) and obj.__module__ == module.__name__:
                found[obj.__qualname__] = obj
    return found


def event_classes() -> dict[str, type]:
    """Every event class nested in a panel aggregate, by qualified name.

    The library gives each aggregate an ``Event`` base and a default ``Created`` class; the base is
    never recorded, and the default ``Created`` only counts when the aggregate declares no created
    event of its own (then it has fields of its own).
    """
    found: dict[str, type] = {}
    for aggregate in aggregates_in_panel().values():
        for name, member in vars(aggregate).items():
            if not (inspect.isclass(member) and issubclass(member, CanMutateAggregate)) or name == "Event":
                continue
            if name == "Created" and not own_fields(member):
                continue
            found[member.__qualname__] = member
    return found


def read_catalogue(text: str) -> dict[str, Entry]:
    entries: dict[str, Entry] = {}
    for block in re.split(r"^### ", text, flags=re.MULTILINE)[1:]:
        name = block.split("\n", 1)[0].strip()
        topic = re.search(r"^- topic: `([^`]+)`", block, re.MULTILINE)
        version = re.search(r"^- class_version: (\d+)", block, re.MULTILINE)
        fields = re.search(r"^- fields: (.*)$", block, re.MULTILINE)
        assert topic and version and fields, f"docs/events.md: the entry {name} needs topic, class_version and fields"
        entries[name] = Entry(topic.group(1), int(version.group(1)), tuple(re.findall(r"`([^`]+)`", fields.group(1))))
    return entries


def differences(classes: dict[str, type], catalogue: dict[str, Entry]) -> list[str]:
    problems: list[str] = []
    for name, cls in sorted(classes.items()):
        entry = catalogue.get(name)
        if entry is None:
            problems.append(f"{name}: missing from docs/events.md")
            continue
        if entry.fields != own_fields(cls):
            problems.append(f"{name}: fields differ: docs {list(entry.fields)}, code {list(own_fields(cls))}")
        version = getattr(cls, "class_version", 1)
        if entry.version != version:
            problems.append(f"{name}: class_version differs: docs {entry.version}, code {version}")
        try:
            resolved = resolve_topic(entry.topic)
        except Exception as exc:  # noqa: BLE001 - any failure to resolve is the finding
            problems.append(f"{name}: topic {entry.topic} no longer resolves ({exc}): register_topic the old name")
        else:
            if resolved is not cls:
                problems.append(f"{name}: topic {entry.topic} resolves to {resolved!r}, not this class")
    problems += [f"{name}: in docs/events.md but no such event class" for name in sorted(set(catalogue) - set(classes))]
    return problems


def test_every_event_class_is_in_the_catalogue_as_it_is() -> None:
    classes = event_classes()
    assert "Participant.Registered" in classes and "Payment.Accrued" in classes  # the walk finds the package
    problems = differences(classes, read_catalogue(CATALOGUE.read_text(encoding="utf-8")))
    assert not problems, "docs/events.md is out of date:\n" + "\n".join(problems)


@pytest.mark.parametrize(
    ("edit", "expected"),
    [
        (lambda t: t.replace("### Participant.LeftPanel", "### Participant.LeftThePanel"), "LeftPanel: missing"),
        (
            lambda t: t.replace("`reason: str`, `at: datetime`, `erased_by: str | None`", "`reason: str`"),
            "fields differ",
        ),
        (
            lambda t: re.sub(r"(### Participant\.Erased\n(?:.*\n)*?- class_version: )2", r"\g<1>1", t),
            "class_version differs",
        ),
        (
            lambda t: t.replace("panel.domain.participant:Participant.NoShow", "panel.gone:Participant.NoShow"),
            "resolve",
        ),
    ],
)
def test_the_check_fails_when_the_catalogue_is_wrong(edit, expected) -> None:  # type: ignore[no-untyped-def]
    text = CATALOGUE.read_text(encoding="utf-8")
    edited = edit(text)
    assert edited != text
    problems = differences(event_classes(), read_catalogue(edited))
    assert any(expected in p for p in problems), problems
