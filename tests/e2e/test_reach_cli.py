"""`panel reach` as a user runs it: no empty chart for an empty stage, and single-value target rows
(``core20,yes``, as the docs recommend) taken as such (real subprocesses, SQLite and PostgreSQL)."""

from __future__ import annotations

from datetime import UTC, date, datetime
from pathlib import Path
from typing import Any

from panel.application import PanelApp
from panel.engagements import Engagements
from panel.registration import Registration
from panel.validation import ConsentSpec, SignUp

T0 = datetime(2026, 1, 10, 9, tzinfo=UTC)


def small_panel(app: PanelApp) -> None:
    """Three registered people and an engagement nobody has attended yet."""
    Engagements(app).open_engagement(
        name="Empty", ref="empty", purpose="p", kind="consult", sessions=[date(2026, 3, 2)], at=T0, day_rate_pence=0
    )
    for n, (age, decile) in enumerate([("18-21", "1"), ("18-21", "5"), ("22-25", "9")], start=1):
        Registration(app).register(
            SignUp(
                ref=f"R-{n}",
                channel="online",
                attributes={"age_band": age, "imd_decile": decile, "gender": "woman"},
                consents=(ConsentSpec("contact", "v1", "online", "self"),),
                at=T0,
            )
        )


def test_an_empty_stage_gets_a_message_and_no_chart(app: PanelApp, panel: Any, tmp_path: Path) -> None:
    small_panel(app)
    targets = tmp_path / "targets.csv"
    targets.write_text("category,value,share\nage_band,18-21,0.5\nage_band,22-25,0.5\n", encoding="utf-8")
    chart = tmp_path / "empty.png"
    ran = panel("reach", "--engagement", "empty", "--by", "age_band", "--targets", str(targets), "--chart", str(chart))
    assert "No chart written: nobody is at the 'attended' stage for engagement empty" in ran.err
    assert "Chart written" not in ran.out and not chart.exists()

    drawn = tmp_path / "registered.png"
    ran = panel("reach", "--by", "age_band", "--targets", str(targets), "--chart", str(drawn), "--to", "2026-02-01")
    assert f"Chart written to {drawn}" in ran.out and drawn.stat().st_size > 0 and ran.err == ""


def test_a_category_with_one_value_is_not_told_to_add_up_to_1(app: PanelApp, panel: Any, tmp_path: Path) -> None:
    small_panel(app)
    targets = tmp_path / "targets.csv"
    targets.write_text(
        "category,value,share\nage_band,18-21,0.5\nage_band,22-25,0.5\ncore20,yes,0.35\n"
        "gender,woman,0.5\ngender,man,0.4\n",
        encoding="utf-8",
    )
    out = panel("reach", "--by", "age_band", "--targets", str(targets), "--to", "2026-02-01").out
    assert "category 'gender': target shares add up to 0.90, not 1" in out
    assert "'core20'" not in out and "0.35, not 1" not in out
    assert "core20   │ yes" in out  # the Core20 row is still compared with its target
