"""End-to-end tests of the `panel` command line over a real store (SQLite and PostgreSQL)."""

from __future__ import annotations

import json
from pathlib import Path

import click

from cli.main import cli
from tests.helpers.paths import ROOT


def test_recruiter_day_one(run, tmp_path: Path) -> None:  # type: ignore[no-untyped-def]
    out, _ = run("init")
    assert out.startswith("Store ready:") and "0 events, 0 participants" in out
    run("init")  # safe twice
    out, _ = run(
        "engagement",
        "open",
        "Vested youth panel",
        "--type",
        "involve",
        "--purpose",
        "youth health",
        "--day-rate",
        "350.00",
        "--session",
        "2026-03-02",
        "--session",
        "2026-03-03",
        "--eligible",
        "age_band in 18-21,22-25",
        "--new-attribute",
        "age_band",  # nobody has applied yet: the recruiter confirms the new attribute
        "--target-size",
        "6",
    )
    assert out.startswith("Opened engagement vested-youth-panel (")
    out, _ = run(
        "participant",
        "register",
        "--ref",
        "VES-001",
        "--channel",
        "phone",
        "--captured-by",
        "amy",
        "--name",
        "Sam Patel",
        "--postcode",
        "LS6 1AA",
        "--attr",
        "age_band=18-21",
        "--at",
        "2026-01-10",
    )
    assert out.startswith("Registered VES-001 as ")
    out, _ = run(
        "consent",
        "grant",
        "VES-001",
        "--purpose",
        "contact",
        "--notice-version",
        "v3",
        "--method",
        "verbal",
        "--captured-by",
        "amy",
        "--at",
        "2026-01-10",
    )
    assert out == "Granted contact consent for VES-001 (notice v3, verbal)\n"
    out, _ = run(
        "consent",
        "grant",
        "VES-001",
        "--purpose",
        "contact",
        "--notice-version",
        "v3",
        "--method",
        "verbal",
        "--captured-by",
        "amy",
        "--at",
        "2026-01-11",
    )
    assert out.startswith("Unchanged: VES-001 already holds contact consent")
    assert (
        run("invite", "vested-youth-panel", "VES-001", "--at", "2026-02-01")[0]
        == "Invited 1 participant to vested-youth-panel\n"
    )
    assert (
        run("accept", "vested-youth-panel", "VES-001", "--at", "2026-02-02")[0]
        == "VES-001 accepted the invitation to vested-youth-panel\n"
    )
    assert (
        run("attend", "vested-youth-panel", "VES-001", "--date", "2026-03-02", "--half-day")[0]
        == "VES-001 attended 2026-03-02 (half day)\n"
    )
    assert (
        run("no-show", "vested-youth-panel", "VES-001", "--date", "2026-03-03")[0]
        == "VES-001 did not attend 2026-03-03\n"
    )
    run("consent", "withdraw", "VES-001", "--purpose", "contact", "--at", "2026-04-01")

    shown = json.loads(run("participant", "show", "VES-001", "--json")[0])
    assert shown["personal"]["name"] == "Sam Patel"
    assert shown["participations"][0]["attended"] == [["2026-03-02", True]]
    history = json.loads(run("consent", "history", "VES-001", "--as-of", "2026-03-15", "--json")[0])
    assert history["active"] == ["contact"]
    assert history["consents"][0]["captured_by"] == "amy"
    later = json.loads(run("consent", "history", "VES-001", "--json")[0])
    assert later["active"] == [] and later["consents"][0]["withdrawn_at"] == "2026-04-01T00:00:00+00:00"
    assert [e["ref"] for e in json.loads(run("engagement", "list", "--json")[0])["engagements"]] == [
        "vested-youth-panel"
    ]
    listed = json.loads(run("participant", "list", "--json")[0])["participants"]
    assert [p["ref"] for p in listed] == ["VES-001"]

    out, _ = run("participant", "erase", "VES-001", "--reason", "request ER-7")
    assert "Erased the personal data of VES-001" in out
    shown = json.loads(run("participant", "show", "VES-001", "--json")[0])
    assert shown["personal"]["erased"] is True and shown["personal"]["name"] is None
    assert "«erased»" in run("participant", "show", "VES-001")[0]


def test_errors_are_one_line_with_exit_1(run, tmp_path: Path) -> None:  # type: ignore[no-untyped-def]
    run("init")
    _, err = run("participant", "show", "NOPE", code=1)
    assert err == ("Error: no participant has id or reference 'NOPE': check it with `panel participant list`\n")
    run("participant", "register", "--ref", "P-1", "--channel", "online")
    _, err = run("consent", "withdraw", "P-1", "--purpose", "contact", "--at", "2026-01-01", code=1)
    assert err.startswith("Error: participant P-1 holds no active 'contact' consent at 2026-01-01T00:00:00+00:00")
    _, err = run(
        "consent",
        "grant",
        "P-1",
        "--purpose",
        "contact",
        "--notice-version",
        "v1",
        "--method",
        "online",
        "--captured-by",
        "self",
        "--at",
        "31/01/2026",
        code=2,
    )
    assert "--at '31/01/2026' is not a date" in err
    _, err = run(
        "consent",
        "grant",
        "P-1",
        "--purpose",
        "marketing",
        "--notice-version",
        "v1",
        "--method",
        "online",
        "--captured-by",
        "self",
        code=2,
    )
    assert "'marketing' is not one of" in err
    run("engagement", "open", "Panel", "--type", "consult", "--purpose", "p", "--session", "2026-03-02")
    _, err = run("invite", "panel", "P-1", code=1)
    assert err.startswith("Error: participant P-1 has no active 'contact' consent at ")
    _, err = run("engagement", "open", "Panel", "--type", "consult", "--purpose", "p", code=1)
    assert "already exists" in err
    _, err = run("participant", "register", "--ref", "P-2", "--channel", "paper", code=1)
    assert err == "Error: a paper sign-up needs captured_by (the staff member who took it)\n"


def test_import_reports_every_bad_row(run, tmp_path: Path) -> None:  # type: ignore[no-untyped-def]
    path = tmp_path / "signups.csv"
    path.write_text(
        "ref,channel,captured_by,email,age_band,consent_contact\n"
        "S-1,online,,s1@example.org,18-21,v3\n"
        "S-2,phone,,,22-25,v3\n"
        "S-3,online,,bad-email,22-25,v3\n"
    )
    run("init")
    out, err = run("participant", "import", str(path), code=1)
    assert err.splitlines() == [
        f"{path}:3: a phone sign-up needs captured_by (the staff member who took it)",
        f"{path}:4: email 'bad-email' is not an email address (An email address must have an @-sign.): "
        "write e.g. sam@example.org",
        f"Error: {path}: 2 of 3 rows are invalid, nothing was imported: fix them, or pass --skip-invalid to "
        "import the rest",
    ]
    assert json.loads(run("participant", "list", "--json")[0])["participants"] == []
    out, err = run("participant", "import", str(path), "--skip-invalid")
    assert out == f"Imported {path}: 1 new, 0 already present, 2 rejected, 2 events written\n"
    rejects = tmp_path / "signups.rejects.csv"
    assert rejects.read_text().splitlines()[0] == "line,reason,ref,channel,captured_by,email,age_band,consent_contact"
    out, _ = run("participant", "import", str(path), "--skip-invalid")
    assert out == f"Imported {path}: 0 new, 1 already present, 2 rejected, 0 events written\n"
    out, _ = run("init")  # the store's counts, each noun as its number takes it
    assert out.rstrip().endswith(" events, 1 participant)"), out


def test_demo_prints_what_it_did(run) -> None:  # type: ignore[no-untyped-def]
    out, _ = run("demo", "--people", "150", "--seed", "3")
    assert out.startswith("Demo store (seed 3): 150 people registered, 0 already present, ")
    assert "Drew a fair panel of 6 for vested-youth-panel" in out
    draw_id = out.split("panel draw verify ")[-1].strip()
    assert run("draw", "verify", draw_id)[0].startswith(f"Verified draw {draw_id}")
    out, _ = run("demo", "--people", "150", "--seed", "3")
    assert "0 people registered, 150 already present, 0 events written" in out
    assert "Already drawn: a fair panel of 6" in out and draw_id in out


def _commands(group: click.Group, prefix: str = "") -> list[tuple[str, click.Command]]:
    found = []
    ctx = click.Context(group)
    for name in group.list_commands(ctx):
        command = group.get_command(ctx, name)
        assert command is not None, f"`panel {prefix}{name}` is listed but cannot be loaded"
        path = f"{prefix}{name}"
        found.append((path, command))
        if isinstance(command, click.Group):
            found.extend(_commands(command, path + " "))
    return found


def test_every_command_has_help_with_an_example_and_is_in_the_docs() -> None:
    root = ROOT
    # the hand-written pages (docs/cli.md is generated from the same help, so it cannot miss one)
    written = [root / "README.md", *(p for p in (root / "docs").glob("*.md") if p.name != "cli.md")]
    docs = "\n".join(p.read_text(encoding="utf-8") for p in written)
    for path, command in _commands(cli):
        assert command.help, f"`panel {path}` has no help"
        if not isinstance(command, click.Group):
            assert "Example:" in command.help, f"`panel {path}` has no Example in its help"
        assert f"panel {path}" in docs, f"`panel {path}` is not in README.md or docs/"
