"""`panel consent ...`: grant, withdraw and replay consent history."""

from __future__ import annotations

from datetime import datetime
from typing import Any

import click

from cli.consent_expiring import expiring
from cli.options import PERIOD, WHEN, at_option, json_option, pass_app
from cli.render import echo_json, say, table, when
from panel.application import PanelApp
from panel.clock import now
from panel.domain.consent import ConsentEntry
from panel.domain.durations import Period
from panel.domain.errors import ValidationError
from panel.domain.values import CONSENT_METHODS, PURPOSES
from panel.participation import Participation
from panel.queries import Queries
from panel.records import ConsentRecord, jsonable
from panel.validation import ConsentSpec

PURPOSE = click.Choice(PURPOSES)


@click.group()
def consent() -> None:
    """Record and audit consent, per purpose."""


@consent.command()
@click.argument("participant")
@click.option("--purpose", type=PURPOSE, required=True, help="What the consent covers.")
@click.option("--notice-version", required=True, help="Version of the privacy notice or script shown, e.g. v3.")
@click.option("--method", type=click.Choice(CONSENT_METHODS), required=True, help="How it was given.")
@click.option("--captured-by", required=True, help="Staff member who captured it, or 'self' online.")
@click.option("--expires-in", type=PERIOD, default=None, help="Valid for this long from the grant, e.g. 2y, 6m, 30d.")
@click.option("--expires", type=WHEN, default=None, help="Valid until this moment (ISO 8601); lapses then.")
@at_option
@pass_app
def grant(
    app: PanelApp,
    participant: str,
    purpose: str,
    notice_version: str,
    method: str,
    captured_by: str,
    expires_in: Period | None,
    expires: datetime | None,
    at: datetime | None,
) -> None:
    """Record that a participant granted consent for a purpose, optionally until an expiry.

    A consent with an expiry counts as absent from that moment (pools, invitations) until it is
    granted again; granting again (a renewal) replaces the expiry.

    Example:

        panel consent grant VES-001 --purpose contact --notice-version v3 --method verbal --captured-by amy \
            --expires-in 2y
    """
    if expires_in is not None and expires is not None:
        raise ValidationError("give --expires or --expires-in, not both")
    at = at or now()
    expires_at = expires_in.after(at) if expires_in is not None else expires
    pid = app.resolve_participant(participant)
    spec = ConsentSpec(purpose, notice_version, method, captured_by, at, expires_at)
    changed = Participation(app).grant_consent(pid, spec)
    ref = Queries(app).participant_ref(pid)
    until = f", expires {when(expires_at)}" if expires_at else ""
    say(
        f"Granted {purpose} consent for {ref} (notice {notice_version}, {method}{until})"
        if changed
        else f"Unchanged: {ref} already holds {purpose} consent on notice {notice_version} ({method}{until})"
    )


@consent.command()
@click.argument("participant")
@click.option("--purpose", type=PURPOSE, required=True, help="The consent to withdraw.")
@click.option("--captured-by", default=None, help="Staff member who took the withdrawal.")
@at_option
@pass_app
def withdraw(app: PanelApp, participant: str, purpose: str, captured_by: str | None, at: datetime | None) -> None:
    """Record that a participant withdrew consent for a purpose.

    Example:

        panel consent withdraw VES-001 --purpose contact
    """
    pid = app.resolve_participant(participant)
    Participation(app).withdraw_consent(pid, purpose, captured_by, at)
    say(f"Withdrew {purpose} consent for {Queries(app).participant_ref(pid)}")


@consent.command()
@click.argument("participant")
@click.option("--as-of", type=WHEN, default=None, help="Show consent as it stood at this moment (ISO 8601).")
@json_option
@pass_app
def history(app: PanelApp, participant: str, as_of: datetime | None, as_json: bool) -> None:
    """Replay a participant's consents from the event log, optionally as of a moment.

    Each grant is active, withdrawn (by the participant) or superseded (re-granted on another
    notice version or by another method); an erasure is a row of its own.

    Example:

        panel consent history VES-001 --as-of 2026-03-01
    """
    record = Queries(app).consent_record(app.resolve_participant(participant), as_of)
    note = _before_registration(record)
    if as_json:
        echo_json(_as_json(record, note))
        return
    if note and not record.consents:
        say(note)
        return
    title = f"Consent history of {record.ref}" + (f" as of {when(as_of)}" if as_of else "")
    rows = [_grant_row(e, as_of or now()) for e in record.consents]
    if record.erasure is not None:
        e = record.erasure
        rows.append(
            (
                "all data",
                "-",
                "-",
                "-",
                "-",
                when(e.recorded_at),
                when(e.at),
                e.erased_by or "not recorded",
                f"erased: {e.reason}",
            )
        )
    columns = ["purpose", "notice", "method", "captured by", "granted", "recorded", "ended", "ended by", "state"]
    table(title, columns, rows)
    if note:
        say(note)


def _before_registration(record: ConsentRecord) -> str | None:
    if not record.not_yet_registered:
        return None
    return f"{record.ref} was not registered until {when(record.registered_at)}"


def _grant_row(e: ConsentEntry, moment: datetime) -> tuple[str, ...]:
    if e.state == "withdrawn":
        ended, by, state = e.withdrawn_at, e.withdrawn_by or "not recorded", "withdrawn"
    elif e.state == "superseded":
        ended, by, state = e.superseded_at, e.superseded_by or "-", f"superseded by {e.superseded_by_notice}"
    else:
        ended, by, state = None, "-", expiry_state(e, moment)  # active (until its expiry), or expired by then
    return (
        e.purpose,
        e.notice_version,
        e.method,
        e.captured_by,
        when(e.granted_at),
        when(e.recorded_at),
        when(ended),
        by,
        state,
    )


def expiry_state(e: ConsentEntry, moment: datetime) -> str:
    """'active', 'active until DATE' or 'expired DATE' for a grant neither withdrawn nor superseded."""
    state = e.state_at(moment)
    if e.expires_at is None or state not in ("active", "expired"):
        return state
    return f"active until {when(e.expires_at)}" if state == "active" else f"expired {when(e.expires_at)}"


def _as_json(record: ConsentRecord, note: str | None) -> dict[str, Any]:
    return {
        "participant": record.participant_id,
        "ref": record.ref,
        "registered_at": record.registered_at,
        "as_of": record.as_of,
        "registered": not record.not_yet_registered,
        "note": note,
        "consents": [
            {**jsonable(e), "state": e.state_at(record.as_of or now()), "ended_at": jsonable(e.ended_at)}
            for e in record.consents
        ],
        "active": record.active(),
        "erasure": record.erasure,
    }


consent.add_command(expiring)


def register(group: click.Group) -> None:
    group.add_command(consent)
