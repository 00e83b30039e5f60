"""`panel draw announcement`, `panel draw commitment` and `panel draw check-announcement`.

What a published announcement lets anyone check: its hashes, the index and panel position the
revealed numbers give, and (for a pool member, with the salt shown to them) their own inclusion.
"""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any
from uuid import UUID

import click

from cli.announce_page import check_target, one_pager_option, write_one_pager
from cli.draw_announce import announcement_lines, announcement_parts
from cli.options import json_option, pass_app
from cli.render import echo_json, say
from panel.application import PanelApp


@click.command("announcement")
@click.argument("announcement_id")
@one_pager_option
@json_option
@pass_app
def announcement(app: PanelApp, announcement_id: str, one_pager: Path | None, as_json: bool) -> None:
    """Print an announcement as published (--json: the document to publish, byte for byte the same data).

    With --one-pager FILE (.png or .pdf) it is also written as a one-page A4 sheet for the public.

    Example:

        panel draw announcement 1a2b3c4d --json > announcement.json
        panel draw announcement 1a2b3c4d --one-pager announcement.pdf
    """
    from panel.draws import Draws
    from panel.draws.announce import Announcements

    check_target(one_pager)
    service = Announcements(Draws(app))
    found = service.get(service.resolve(announcement_id))
    if one_pager is not None:
        write_one_pager(found.document, announcement_parts(found.document), one_pager)
    if as_json:
        echo_json(found.document)
        return
    if one_pager is not None:
        say(f"One-pager written to {one_pager}")
    for line in announcement_lines(found.document):
        say(line)
    if found.revealed_at is not None:
        say(f"Revealed {found.revealed_at.isoformat()} with {found.numbers}: index {found.lottery_index}")


@click.command("commitment")
@click.argument("announcement_id")
@click.option("--participant", "participant", required=True, help="The pool member's reference or id.")
@json_option
@pass_app
def commitment(app: PanelApp, announcement_id: str, participant: str, as_json: bool) -> None:
    """Show a pool member their salt and commitment in an announcement, to check their own inclusion.

    The salt is derived from the member's own data key and never stored; give it (with the id) to
    that member only. With it, `panel draw check-announcement FILE --salt ... --participant-id ...`
    confirms their commitment is in the published pool.

    Example:

        panel draw commitment 1a2b3c4d --participant VES-014
    """
    from panel.draws import Draws
    from panel.draws.announce import Announcements

    service = Announcements(Draws(app))
    mine = service.commitment(service.resolve(announcement_id), app.resolve_participant(participant))
    data = {
        "announcement": str(mine.announcement),
        "participant": mine.ref,
        "participant_id": mine.participant.hex,
        "salt": mine.salt,
        "commitment": mine.commitment,
        "in_pool": mine.in_pool,
    }
    if as_json:
        echo_json(data)
        return
    say(f"{mine.ref} in announcement {str(mine.announcement)[:8]}:")
    say(f"  participant id {mine.participant.hex}")
    say(f"  salt           {mine.salt}")
    say(f'  commitment     {mine.commitment}  (SHA-256 of "salt:participant id")')
    say("  in the committed pool: " + ("yes" if mine.in_pool else "NO (they were not in the pool)"))


def _read(path: Path) -> dict[str, Any]:
    from panel.domain.errors import ValidationError

    try:
        data = json.loads(path.read_text(encoding="utf-8"))
    except (OSError, UnicodeDecodeError, ValueError) as exc:
        raise ValidationError(
            f"{path}: cannot read the announcement ({type(exc).__name__}); give the JSON `panel draw announce "
            "--json` printed"
        ) from None
    if not isinstance(data, dict):
        raise ValidationError(f"{path}: not an announcement (a JSON object is expected)")
    return data


@click.command("check-announcement")
@click.argument("path", type=click.Path(path_type=Path))
@click.option("--numbers", required=True, help='The numbers drawn, e.g. "04 11 23 35 41 49".')
@click.option("--salt", default=None, help="A pool member's salt (from `panel draw commitment`).")
@click.option("--participant-id", default=None, help="That member's participant id (32 hex digits).")
@json_option
def check_announcement(path: Path, numbers: str, salt: str | None, participant_id: str | None, as_json: bool) -> None:
    """Check a published announcement and compute, from it alone, the index the numbers give.

    Recomputes the announcement, pool and lottery hashes, then the lottery index and the panel's
    slots and the reserves' slots by the published rule; with --salt and --participant-id, whether
    that member's commitment is in the pool. Exit 0 when every check passes, 1 when one fails.
    Needs no store.

    Example:

        panel draw check-announcement announcement.json --numbers "04 11 23 35 41 49"
    """
    from panel.domain.errors import ValidationError
    from panel.draws.announce_rule import check_document

    if (salt is None) != (participant_id is None):
        raise click.UsageError("give --salt and --participant-id together")
    member = None
    if participant_id is not None:
        try:
            member = UUID(participant_id)
        except ValueError:
            raise ValidationError(f"--participant-id {participant_id!r} is not a participant id") from None
    document = _read(path)
    try:
        result = check_document(document, numbers, salt, member)
    except (KeyError, TypeError, IndexError, AttributeError) as exc:
        raise ValidationError(f"{path}: not a complete announcement ({type(exc).__name__}: {exc})") from None
    if as_json:
        echo_json(result)
    else:
        for line in result["failures"]:
            click.echo(f"FAILED: {line}", err=True)
        say(f"Numbers {result['numbers']}: h0 {result['h0']}")
        say(
            f"Lottery index {result['lottery_index']} of {result['lottery_size']}: panel slots "
            + " ".join(result["panel_slots"])
        )
        say("Reserve slots in order: " + (" ".join(result["reserve_slots"]) or "none"))
        if result.get("reserves_model") == "dropout":
            say(
                "  (chosen by the announced dropout model; the hash chain's list was "
                + (" ".join(result["chain_reserve_slots"]) or "empty")
                + f"; kept: {result['kept']})"
            )
        if "in_pool" in result:
            say(
                f"Commitment {result['commitment']}: "
                + ("in the committed pool" if result["in_pool"] else "NOT in the pool")
            )
        if result["valid"]:
            say(f"Announcement valid: hash {result['announcement_sha256']} matches its content")
    if not result["valid"]:
        raise SystemExit(1)


COMMANDS = (announcement, commitment, check_announcement)
