"""The fatigue report lists people in the order and with the figures the plain computation gives, on SQLite and
PostgreSQL, though it holds a row of numbers per person instead of everyone's ``PersonFatigue`` (issue 15)."""

from __future__ import annotations

from panel.application import PanelApp
from projections import Projector
from projections.fatigue_report import fatigue_report
from tests.helpers.fatigue_case import AT, plain_fatigue_report, tied_panel


def test_ties_are_broken_as_the_plain_sort_breaks_them(app: PanelApp, projector: Projector) -> None:
    case = tied_panel(app, projector)
    report = fatigue_report(projector, AT)
    plain = plain_fatigue_report(projector, AT)
    nul = "N\x00" if projector.engine.dialect.name == "sqlite" else "N-"
    group = ["", None, "A", "A0", "B-2", "N", nul, "Z", "a", "b-1", "dup", "dup", "z", "é"]
    assert [p.ref for p in report.people] == ["K1", "K2", "H1", "H2", *group, "M", "L", "W"]
    dups = [p.participant_id for p in report.people if p.ref == "dup"]
    assert dups == sorted(dups) and dups[0] in case.group  # a full tie keeps id order
    assert list(report.people) == plain.people  # every figure too
    assert list(report.usual_suspects) == plain.usual_suspects and [p.ref for p in plain.usual_suspects] == [
        "K1",
        "K2",
    ]
    fewer = fatigue_report(projector, AT, suspects_min=1).usual_suspects  # the top 10% decide, not the minimum
    assert list(fewer) == plain_fatigue_report(projector, AT, suspects_min=1).usual_suspects == plain.usual_suspects
    figures = (report.at, report.population, report.participations, report.top10_share, report.gini)
    assert figures == (plain.at, plain.population, plain.participations, plain.top10_share, plain.gini)
    assert report.distribution == plain.distribution and report.population == 22
    assert next(p.days_since_last for p in report.people if p.ref == "Z") == 0


def test_the_people_read_as_a_sequence(app: PanelApp, projector: Projector) -> None:
    tied_panel(app, projector)
    people, plain = fatigue_report(projector, AT).people, plain_fatigue_report(projector, AT).people
    assert len(people) == len(plain) == 21
    assert (people[0], people[5], people[-1]) == (plain[0], plain[5], plain[-1])
    assert list(people[3:9]) == plain[3:9] and list(people[::-4]) == plain[::-4] and len(people[:4]) == 4
    assert people == plain and plain == people and people != plain[:-1] and people[1:] != plain[:-1]
    assert list(reversed(people)) == plain[::-1] and people.index(plain[7]) == 7 and plain[2] in people
