"""`panel audit ...`: check the store's own record (the hash chain over the stored events)."""

from __future__ import annotations

from dataclasses import asdict
from typing import TYPE_CHECKING

import click

from cli.options import json_option, pass_app
from cli.render import echo_json
from panel.application import PanelApp

if TYPE_CHECKING:
    from panel.audit import ChainReport


@click.group()
def audit() -> None:
    """Check that the event history is the one that was written (docs/audit.md)."""


@audit.command("verify")
@click.option(
    "--from",
    "start",
    type=click.IntRange(min=1),
    default=None,
    help="First position to check, trusting the chain before it (default: the whole log).",
)
@click.option(
    "--checkpoint",
    "checkpoint_file",
    metavar="FILE",
    default=None,
    help="A signed checkpoint (`panel audit checkpoint`): prove nothing at or before it was rewritten.",
)
@click.option(
    "--public-key",
    metavar="KEY",
    default=None,
    help="With --checkpoint: the published public key (64 hex digits) to trust instead of the store's own.",
)
@json_option
@pass_app
def verify(
    app: PanelApp, start: int | None, checkpoint_file: str | None, public_key: str | None, as_json: bool
) -> None:
    """Walk the events and their hash chain; say OK with the head, or the first position that breaks.

    A break is `changed` (stored bytes differ from those chained), `missing` (an event was
    deleted), `inserted` (an event the chain does not record) or `reordered` (an event chained
    at another position). With --checkpoint FILE it also checks the checkpoint's signature and key,
    and that the chain hash at its position is still the signed one. Exit 0 when all holds, 1 when not.

    Example:

        panel audit verify --checkpoint checkpoint-2026-11.json --public-key "$(cat panel-public-key.txt)"
    """
    from panel.audit import Audit
    from panel.checkpoints import chain_line
    from panel.domain.errors import PanelError, ValidationError

    if checkpoint_file is not None:
        _verify_checkpoint(app, checkpoint_file, public_key, start, as_json)
        return
    if public_key is not None:
        raise ValidationError("--public-key is the key of a checkpoint: give the checkpoint too (--checkpoint FILE)")
    report = Audit(app).verify(start)
    if as_json:
        echo_json(asdict(report))
        if not report.ok:
            raise SystemExit(1)
        return
    if not report.ok:
        raise PanelError(chain_line(report))
    click.echo(_ok_line(report))


def _ok_line(report: ChainReport) -> str:
    if report.head_position is None:
        return "OK: the store holds no events yet; nothing to verify"
    upgraded = ""
    if report.upgraded:
        events, last, when = report.upgraded.split(" ", 2)
        upgraded = f"; positions up to {last} were chained when the store was upgraded ({when})"
    return (
        f"OK: {report.checked} event(s) verified from position {report.start}; "
        f"head position {report.head_position} sha256 {report.head_hash}{upgraded}"
    )


def _verify_checkpoint(app: PanelApp, path: str, public_key: str | None, start: int | None, as_json: bool) -> None:
    from panel import checkpoints
    from panel.audit import ChainReport
    from panel.textfile import read_text

    published = None if public_key is None else checkpoints.parse_public_key(public_key)
    text = read_text(path, "checkpoint file", "give the file `panel audit checkpoint --output` wrote")
    report = checkpoints.check(app, checkpoints.read(text, f"checkpoint file {path}"), published, start)
    if as_json:
        echo_json(asdict(report))
    elif report.ok:
        cp = report.checkpoint
        click.echo(
            f"OK: checkpoint of {cp['time']} signed by the {report.trusted} ({cp['public_key']}); "
            f"position {cp['position']} still has its chain hash {cp['chain_hash']}"
        )
        click.echo(_ok_line(ChainReport(**report.chain)))
    else:
        for line in report.failures:
            click.echo(f"Error: {line}", err=True)
    if not report.ok:
        raise SystemExit(1)


@audit.command("checkpoint")
@click.option("--output", metavar="FILE", default=None, help="Write the checkpoint to FILE instead of stdout.")
@json_option
@pass_app
def checkpoint(app: PanelApp, output: str | None, as_json: bool) -> None:
    """Sign a checkpoint of the chain's head (position, chain hash, time) with the store's key, to publish.

    Verifies the whole chain first and refuses to sign a broken one. The checkpoint is a small JSON
    document: publish it where nobody can change it later (board papers, a letter to the DPO) and
    check it any time with `panel audit verify --checkpoint FILE`. With --output, a line on stdout
    says where it went (--json: the checkpoint itself).

    Example:

        panel audit checkpoint --output checkpoint-2026-11.json
    """
    import json

    from panel import checkpoints
    from panel.clock import now
    from panel.domain.errors import ValidationError

    made = checkpoints.make(app, now())
    document = made.document()
    if output is None:
        echo_json(document)
        return
    try:
        with open(output, "x", encoding="utf-8") as file:
            file.write(json.dumps(document, indent=2) + "\n")
    except FileExistsError:
        raise ValidationError(
            f"{output} already exists: choose another file (a checkpoint is never overwritten)"
        ) from None
    except OSError as exc:
        raise ValidationError(f"cannot write {output}: {exc.strerror or exc}") from None
    if as_json:
        echo_json(document)
        return
    click.echo(f"Checkpoint of position {made.position} (sha256 {made.chain_hash}) at {made.time} written to {output}")


@audit.command("public-key")
@json_option
@pass_app
def public_key(app: PanelApp, as_json: bool) -> None:
    """Print the store's checkpoint public key (64 hex digits), to publish apart from the checkpoints.

    Anyone holding it can check a checkpoint with `panel audit verify --checkpoint FILE --public-key KEY`.

    Example:

        panel audit public-key > panel-public-key.txt
    """
    from panel.checkpoints import public_key_hex

    key = public_key_hex(app)
    if as_json:
        echo_json({"algorithm": "ed25519", "public_key": key})
        return
    click.echo(key)


def register(group: click.Group) -> None:
    from cli.audit_access import access
    from cli.audit_log import log

    audit.add_command(access)
    audit.add_command(log)
    group.add_command(audit)
