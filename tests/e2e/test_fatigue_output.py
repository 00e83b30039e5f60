"""`panel fatigue --json` and `--csv` print what they printed when the report held everyone: the same bytes as
``echo_json`` and ``print_csv`` of the plain report, written a person at a time (issue 15)."""

from __future__ import annotations

import json

from panel.application import PanelApp
from panel.csv_out import csv_text
from panel.records import jsonable
from projections import Projector
from projections.fatigue_report import WINDOWS
from tests.helpers.fatigue_case import AT, plain_fatigue_report, tied_panel

HEADER = [
    "participant",
    "engagements attended",
    *(f"{kind} {d}d" for kind in ("invited", "accepted", "attended") for d in WINDOWS),
    "days since last",
]


def test_json_and_csv_are_the_plain_reports_text(app: PanelApp, projector: Projector, panel) -> None:  # type: ignore[no-untyped-def]
    at = AT.isoformat()
    empty = plain_fatigue_report(projector, AT)
    assert panel("fatigue", "--at", at, "--json").out == _json(empty)  # "people": [] and "usual_suspects": []
    tied_panel(app, projector)
    plain = plain_fatigue_report(projector, AT)
    assert panel("fatigue", "--at", at, "--json").out == _json(plain)
    rows = [
        [
            p.ref or p.participant_id,
            p.participations,
            *(p.invitations[d] for d in WINDOWS),
            *(p.acceptances[d] for d in WINDOWS),
            *(p.attendances[d] for d in WINDOWS),
            "" if p.days_since_last is None else p.days_since_last,
        ]
        for p in plain.people
    ]
    assert panel("fatigue", "--at", at, "--csv").out == csv_text(HEADER, rows)
    out = panel("fatigue", "--at", at, "--limit", "1").out
    assert "Usual suspects (2: top 10% with 2+ engagements)" in out
    assert "│ K1 " in out and "K2" not in out


def _json(report: object) -> str:
    return json.dumps(jsonable(report), indent=2, ensure_ascii=False) + "\n"
