"""The read-model commands end to end (the real console script over a SQLite or PostgreSQL store)."""

from __future__ import annotations

import json
from pathlib import Path

import click
import pytest

from cli.main import cli
from panel.application import PanelApp
from tests.helpers.scripted import script

TARGETS = "category,value,share\nage_band,18-21,0.1\nage_band,35-49,0.5\nage_band,65+,0.4\n"


def test_a_recruiter_checks_reach_fatigue_and_consent(app: PanelApp, run, tmp_path: Path) -> None:  # type: ignore[no-untyped-def]
    script(app)
    head = app.recorder.max_notification_id()
    out, _ = run("projections", "status", "--json")
    assert {(v["view"], v["position"], v["lag"]) for v in json.loads(out)} >= {("reach", 0, head)}
    out, _ = run("projections", "catch-up")
    assert out == f"Caught up: read {head} events; every view is at position {head}\n"
    out, _ = run("projections", "catch-up")
    assert out == f"Caught up: read 0 events; every view is at position {head}\n"

    targets = tmp_path / "targets.csv"
    targets.write_text(TARGETS)
    out, _ = run("reach", "--targets", str(targets), "--by", "age_band", "--to", "2026-06-01", "--csv")
    assert out.splitlines() == [
        "category,value,count,share,target,ratio,gap_points,flags",
        "age_band,65+,1,20.0%,40.0%,0.50,-20.0,under-reached",
        "age_band,35-49,2,40.0%,50.0%,0.80,-10.0,",
        "age_band,18-21,2,40.0%,10.0%,4.00,+30.0,over-reached",
        "age_band,(erased),1,,,,,",
        "core20,yes,2,50.0%,,,,Core20",  # A and C of the 4 with a known IMD decile; no target in this file
    ]
    chart = tmp_path / "reach.png"
    out, _ = run(
        "reach",
        "--targets",
        str(targets),
        "--by",
        "age_band,imd_quintile",
        "--to",
        "2026-06-01",
        "--plus",
        "disability=yes",
        "--chart",
        str(chart),
    )
    assert "Reach by age_band, imd_quintile (whole panel, start to 2026-06-01)" in out
    assert "PLUS" in out and "Core20" in out and f"Chart written to {chart}" in out
    assert chart.read_bytes()[:4] == b"\x89PNG"
    data = json.loads(run("reach", "--by", "age_band", "--engagement", "x", "--to", "2026-06-01", "--json")[0])
    assert data["totals"] == {"registered": 6, "pool": 1, "invited": 3, "selected": 1, "attended": 2}

    out, _ = run("fatigue", "--at", "2026-06-01")
    assert out.startswith(
        "Panel of 6 people, 3 participations: the most active 10% hold 66.7% of them; Gini coefficient 0.72\n"
    )
    out, _ = run("fatigue", "simulate", "--cooldown-days", "90")
    assert out.startswith(
        "Rule: no invitation within 90 days of an attendance. Of 4 past invitations, "
        "1 would have been refused (1 person)."
    )
    rows = run("fatigue", "--at", "2026-06-01", "--csv")[0].splitlines()
    assert rows[1].startswith("A,2,0,1,2,") and rows[1].endswith(",61")

    out, _ = run("consent", "report", "--at", "2026-06-01", "--json")
    assert json.loads(out)["active"] == {"contact": 3, "panel_membership": 4, "data_processing": 0}

    out, _ = run("fatigue", "rules", "set", "--cooldown-days", "90", "--max-per-year", "3")
    assert out == (
        "Fatigue rules for all engagements: no invitation within 90 days of an attendance; "
        "at most 3 engagements in 12 months\n"
    )
    run("engagement", "open", "Z", "--type", "consult", "--purpose", "z", "--day-rate", "0")
    _, err = run("invite", "z", "A", "--at", "2026-04-20", code=1)
    assert err.startswith("Error: participant A cannot be invited to z: cooldown: attended on 2026-04-01")
    run("invite", "z", "A", "--at", "2026-04-20", "--override-reason", "lived experience")

    out, _ = run("projections", "rebuild", "reach")
    assert out.startswith("Rebuilt reach (generation 2) from ")
    out, _ = run("projections", "rebuild", "--workers", "1")
    assert out.startswith("Rebuilt reach (generation 3), consent (generation 2), fatigue (generation 2) from ")


def test_clear_errors(app: PanelApp, run, tmp_path: Path) -> None:  # type: ignore[no-untyped-def]
    script(app)
    _, err = run("reach", "--by", " ", code=1)
    assert err == "Error: --by is empty: name one or more attributes, e.g. --by age_band,imd_quintile\n"
    _, err = run("reach", "--by", "age_band", "--targets", str(tmp_path / "none.csv"), code=1)
    assert err.startswith(f"Error: targets file {tmp_path / 'none.csv'} not found: pass --targets")
    bad = tmp_path / "bad.csv"
    bad.write_text("category,value,share\nage_band,18-21,lots\n")
    _, err = run("reach", "--by", "age_band", "--targets", str(bad), code=1)
    assert err.startswith(f"Error: targets file {bad} line 2: share 'lots' is not a number")
    _, err = run("fatigue", "simulate", code=1)
    assert err.startswith("Error: no rule to simulate")
    _, err = run("projections", "rebuild", "nope", code=1)
    assert err == "Error: unknown view 'nope': use one of reach, consent, fatigue\n"
    _, err = run("projections", "rebuild", "--workers", "0", code=2)
    assert "Invalid value for '--workers': 0 is not in the range 1<=x<=64." in err


@pytest.mark.parametrize(
    "path",
    [
        ("projections", "status"),
        ("projections", "catch-up"),
        ("projections", "rebuild"),
        ("reach",),
        ("fatigue",),
        ("fatigue", "rules", "set"),
        ("fatigue", "rules", "show"),
        ("fatigue", "simulate"),
        ("consent", "report"),
    ],
)
def test_every_command_has_help_with_an_example(path: tuple[str, ...]) -> None:
    command: click.Command | None = cli
    for name in path:
        assert isinstance(command, click.Group)
        command = command.get_command(click.Context(command), name)  # loads the command's module if needed
    assert (
        command is not None
        and command.help
        and "Example:" in command.help
        and "panel " + " ".join(path) in command.help
    )
