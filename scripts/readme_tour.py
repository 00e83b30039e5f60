"""Run the README's quick tour against a fresh SQLite store and print it as Markdown.

Usage:  .venv/bin/python scripts/readme_tour.py > /tmp/tour.md   (then paste it under "Quick tour")
Every command shown in the README's tour is run here, and its real output is what is printed.
"""

from __future__ import annotations

import os
import shlex
import subprocess
import sys
import tempfile
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
PANEL = str(Path(sys.executable).with_name("panel"))

STEPS: list[tuple[str, str]] = [
    (
        "Build the demo store: 400 Faker en_GB sign-ups from every channel, consents, four engagements, "
        "some history, and the main job, a fair draw for the Vested-style youth panel.",
        "panel demo --people 400 --seed 2026",
    ),
    (
        "Check the draw: the pool is rebuilt from the history, the selection re-run from the record, the "
        "invitations compared.",
        "panel draw verify {draw}",
    ),
    (
        "Register a phone sign-up taken by a member of staff, with consent given verbally.",
        "panel participant register --ref VES-063 --channel phone --captured-by amy.khan --name 'Sam Patel' "
        "--phone '07700 900123' --postcode 'LS6 1AA' --attr age_band=18-21 --attr gender=man --attr imd_decile=2 "
        "--consent contact --consent panel_membership --notice-version v2 --at 2026-01-12",
    ),
    (
        "Import a CSV of online applications (validated whole first; re-running it changes nothing).",
        "panel participant import {csv}",
    ),
    ("", "panel participant import {csv}"),
    ("A bad file is refused with every bad row named, and nothing is written.", "panel participant import {bad}"),
    ("Invite, accept, attend a half day.", "panel invite vested-youth-panel VES-063 --at 2026-02-01"),
    ("", "panel accept vested-youth-panel VES-063 --at 2026-02-02"),
    ("", "panel attend vested-youth-panel VES-063 --date 2026-03-02 --half-day"),
    (
        "Withdraw consent, then replay consent as it stood before the withdrawal (the auditor's question).",
        "panel consent withdraw VES-063 --purpose contact --captured-by ben.osei --at 2026-04-01",
    ),
    ("", "panel consent history VES-063 --as-of 2026-03-15"),
    (
        "Erase a person: their data key is destroyed, their history stays.",
        "panel participant erase VES-063 --reason 'erasure request ER-2026-014' --by dpo.lee --at 2026-05-02",
    ),
    ("", "panel participant show VES-063"),
    ("The erasure is a row of the consent history: when, by whom and why.", "panel consent history VES-063"),
    ("Errors say what, where and how to fix, with exit code 1.", "panel invite vested-youth-panel NOPE"),
]


def main() -> None:
    work = Path(tempfile.mkdtemp(prefix="panel-tour-"))
    (work / "applications.csv").write_text(
        "ref,name,email,postcode,age_band,gender,imd_decile,consent_contact,consent_panel_membership\n"
        "WEB-101,Ana Silva,ana.silva@example.org,LS7 3AB,22-25,woman,1,v2,v2\n"
        "WEB-102,Tom Reid,tom.reid@example.org,LS8 2CD,18-21,man,4,v2,v2\n"
    )
    (work / "bad.csv").write_text("ref,channel,email\nWEB-201,online,not-an-email\nWEB-202,phone,\n")
    env = dict(os.environ, PANEL_DB=str(work / "panel.db"), PANEL_DATABASE_URL="", COLUMNS="130")
    draw = ""
    print("```console")
    for note, template in STEPS:
        command = template.format(draw=draw[:8], csv="applications.csv", bad="bad.csv")
        if note:
            print(f"\n# {note}")
        print(f"$ {command}")
        done = subprocess.run([PANEL, *shlex.split(command)[1:]], cwd=work, env=env, capture_output=True, text=True)
        output = (done.stdout + done.stderr).rstrip()
        print(output)
        if "panel draw verify" in output and not draw:
            draw = output.split("panel draw verify ")[-1].strip()
    print("```")


if __name__ == "__main__":
    main()
