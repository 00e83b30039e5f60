"""Regenerate the docs that come from the code, or check that they are current.

    .venv/bin/python scripts/docs.py           # rewrite docs/cli.md and the README's quick tour
    .venv/bin/python scripts/docs.py --check   # exit 1, with a one-line summary, if either is stale
    .venv/bin/python scripts/docs.py --check --cli-only   # docs/cli.md alone, in about a second

- docs/cli.md is every command and subcommand of `panel`, with its help and options, taken from
  the click tree (the same text `--help` prints).
- The README's quick tour (between the `<!-- tour:start -->` and `<!-- tour:end -->` markers) is
  the real output of the real `panel` console script, run on a fresh SQLite store. Ids, record
  times, hashes and which people of a type a draw picks differ from store to store (participant
  ids are keyed by each store's own secret), so `--check` compares the tour with those masked (and
  the HiGHS version, which the dependency pins let vary).
"""

from __future__ import annotations

import argparse
import difflib
import os
import re
import shlex
import subprocess
import sys
import tempfile
from pathlib import Path

import click

ROOT = Path(__file__).resolve().parents[1]
README = ROOT / "README.md"
CLI_DOC = ROOT / "docs" / "cli.md"
PANEL = str(Path(sys.executable).with_name("panel"))
TOUR_START, TOUR_END = "<!-- tour:start -->", "<!-- tour:end -->"
WIDTH = 100

# (note shown above the command, command); {draw}, {csv} and {bad} are filled in as the tour runs.
TOUR: list[tuple[str, str]] = [
    (
        (
            "Build the demo store: 400 Faker en_GB sign-ups from every channel, consents, four engagements, "
            "some history, and the main job, a fair draw for the Vested-style youth panel."
        ),
        "panel demo --people 400 --seed 2026",
    ),
    (
        (
            "Check the draw: the pool is rebuilt from the history, the selection re-run from the record, the "
            "invitations compared."
        ),
        "panel draw verify {draw}",
    ),
    (
        "Register a phone sign-up taken by a member of staff, with consent given verbally.",
        (
            "panel participant register --ref VES-063 --channel phone --captured-by amy.khan --name 'Sam Patel' "
            "--phone '07700 900123' --postcode 'LS6 1AA' --attr age_band=18-21 --attr gender=man "
            "--attr imd_decile=2 --consent contact --consent panel_membership --notice-version v2 --at 2026-01-12"
        ),
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
    ("The erasure is a row of the consent history: when, by whom and why.", "panel consent history VES-063"),
    ("Errors say what, where and how to fix, with exit code 1.", "panel invite vested-youth-panel NOPE"),
]

APPLICATIONS = (
    "ref,name,email,postcode,age_band,gender,imd_decile,consent_contact,consent_panel_membership\n"
    "WEB-101,Ana Silva,ana.silva@example.org,LS7 3AB,22-25,woman,1,v2,v2\n"
    "WEB-102,Tom Reid,tom.reid@example.org,LS8 2BD,18-21,man,4,v2,v2\n"
)
BAD = "ref,channel,email\nWEB-201,online,not-an-email\nWEB-202,phone,\n"


# --- docs/cli.md ---------------------------------------------------------------------------------


def _walk(command: click.Command, ctx: click.Context) -> list[tuple[str, click.Command, click.Context]]:
    found = [(ctx.command_path, command, ctx)]
    if isinstance(command, click.Group):
        for name in command.list_commands(ctx):
            sub = command.get_command(ctx, name)
            if sub is not None and not sub.hidden:
                found += _walk(sub, click.Context(sub, info_name=name, parent=ctx, max_content_width=WIDTH))
    return found


def cli_reference() -> str:
    """docs/cli.md: every command's --help, in tree order, with an index of one line per command."""
    from cli.main import cli

    root = click.Context(cli, info_name="panel", max_content_width=WIDTH, terminal_width=WIDTH)
    commands = _walk(cli, root)
    lines = [
        "# Command reference",
        "",
        "Generated by `scripts/docs.py` from the click tree: each section is what `--help` prints. Do not edit",
        "by hand; run `.venv/bin/python scripts/docs.py` after changing a command (CI runs `--check`).",
        "",
        "Every listing and show command takes `--json` (pure JSON on stdout). Errors print one line,",
        "`Error: what, where, how to fix`, on stderr and exit 1 (usage errors exit 2; `panel pay reconcile`",
        "exits 3 when a statement needs attention). A participant or engagement may be named by its full id",
        "or its external reference.",
        "",
        "| command | what it does |",
        "|---|---|",
    ]
    for path, command, _ctx in commands:
        anchor = re.sub(r"[^a-z0-9 -]", "", path.lower()).replace(" ", "-")
        summary = command.get_short_help_str(limit=200).replace("|", "\\|")
        lines.append(f"| [`{path}`](#{anchor}) | {summary} |")
    for path, command, ctx in commands:
        lines += ["", f"## {path}", "", "```text", command.get_help(ctx).rstrip(), "```"]
    return "\n".join(lines) + "\n"


# --- the README's quick tour ---------------------------------------------------------------------


def run_tour() -> str:
    """Run every command of the tour on a fresh SQLite store; the Markdown block with their output."""
    with tempfile.TemporaryDirectory(prefix="panel-tour-") as folder:
        work = Path(folder)
        (work / "applications.csv").write_text(APPLICATIONS, encoding="utf-8")
        (work / "bad.csv").write_text(BAD, encoding="utf-8")
        env = {k: v for k, v in os.environ.items() if not k.startswith("PANEL_")}
        env.update(PANEL_DB=str(work / "panel.db"), COLUMNS="130", NO_COLOR="1", TERM="dumb")
        draw = ""
        out = ["```console"]
        for note, template in TOUR:
            command = template.format(draw=draw[:8], csv="applications.csv", bad="bad.csv")
            if note:
                out.append(f"\n# {note}")
            out.append(f"$ {command}")
            done = subprocess.run(  # noqa: S603 - our own console script, fixed arguments
                [PANEL, *shlex.split(command)[1:]],
                check=False,
                cwd=work,
                env=env,
                capture_output=True,
                text=True,
                timeout=120,
            )
            output = (done.stdout + done.stderr).rstrip()
            out.append(output)
            if not draw and "panel draw verify " in output:
                draw = output.split("panel draw verify ")[-1].strip()
        out.append("```")
        return "\n".join(out) + "\n"


MASKS = [
    (re.compile(r"[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}"), "<id>"),
    (re.compile(r"hash [0-9a-f]{12}"), "hash <hash>"),
    (re.compile(r"\d{4}-\d\d-\d\d \d\d:\d\dZ"), "<recorded>"),
    (re.compile(r"HiGHS \d+\.\d+\.\d+"), "HiGHS <version>"),  # any solver version the pins allow
    (re.compile(r"DEMO-\d{5}"), "DEMO-<n>"),
    (re.compile(r"^│ DEMO-<n> +│ .*│ *[\d.]+% *│$"), "│ DEMO-<n> │ <name> │ <p> │"),  # who of a type is drawn
    (re.compile(r"[ ━─]+"), " "),  # table widths follow the names
]


def normalise(tour: str) -> list[str]:
    lines = []
    for line in tour.splitlines():
        for pattern, replacement in MASKS:
            line = pattern.sub(replacement, line)
        lines.append(line.rstrip())
    return lines


def replace_tour(readme: str, tour: str) -> str:
    start, end = readme.index(TOUR_START) + len(TOUR_START), readme.index(TOUR_END)
    return readme[:start] + "\n" + tour + readme[end:]


def current_tour(readme: str) -> str:
    if TOUR_START not in readme or TOUR_END not in readme:
        raise SystemExit(f"README.md has no {TOUR_START} ... {TOUR_END} block for the quick tour")
    return readme[readme.index(TOUR_START) + len(TOUR_START) : readme.index(TOUR_END)].strip("\n") + "\n"


# --- main ----------------------------------------------------------------------------------------


def first_difference(name: str, old: list[str], new: list[str]) -> str:
    changed = [line for line in difflib.unified_diff(old, new, lineterm="", n=0) if line[:1] in "+-"]
    changed = [line for line in changed if not line.startswith(("+++", "---"))]
    example = changed[0][:90] if changed else ""
    return f"{name} is stale ({len(changed)} changed lines, first: {example!r})"


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description="Regenerate docs/cli.md and the README's quick tour.")
    parser.add_argument("--check", action="store_true", help="change nothing; exit 1 if either is stale")
    parser.add_argument("--cli-only", action="store_true", help="only docs/cli.md (skips the tour: a second)")
    args = parser.parse_args(argv)
    sys.path.insert(0, str(ROOT))

    reference = cli_reference()
    tour = None if args.cli_only else run_tour()
    readme = README.read_text(encoding="utf-8")
    what = "docs/cli.md" if tour is None else "docs/cli.md and the README's quick tour"
    if args.check:
        stale = []
        old_reference = CLI_DOC.read_text(encoding="utf-8") if CLI_DOC.exists() else ""
        if old_reference != reference:
            stale.append(first_difference("docs/cli.md", old_reference.splitlines(), reference.splitlines()))
        if tour is not None:
            old_tour, new_tour = normalise(current_tour(readme)), normalise(tour)
            if old_tour != new_tour:
                stale.append(first_difference("README.md quick tour", old_tour, new_tour))
        if stale:
            print("; ".join(stale) + ": run .venv/bin/python scripts/docs.py", file=sys.stderr)
            return 1
        print(f"docs are current: {what}")
        return 0
    CLI_DOC.parent.mkdir(exist_ok=True)
    CLI_DOC.write_text(reference, encoding="utf-8")
    if tour is not None:
        README.write_text(replace_tour(readme, tour), encoding="utf-8")
    print(f"wrote {what}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
