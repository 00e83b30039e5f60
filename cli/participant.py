"""`panel participant ...`: register, show, list, update, leave and erase participants (import: beside it)."""

from __future__ import annotations

from datetime import UTC, datetime

import click

from cli.options import F, at_option, echo_footer, json_option, paging_options, pass_app
from cli.participant_import import import_command
from cli.participant_render import render_participant, status
from cli.render import echo_json, say, table, when
from panel.application import PanelApp
from panel.domain.errors import ValidationError
from panel.domain.values import CHANNELS, CONSENT_METHODS, PURPOSES
from panel.email_index import DuplicateEmailError
from panel.paging import Page
from panel.participation import Participation
from panel.queries import Queries
from panel.registration import Registration
from panel.validation import ConsentSpec, SignUp, default_consent_method


@click.group()
def participant() -> None:
    """Register and look after participants."""


def _attrs(pairs: tuple[str, ...]) -> dict[str, str]:
    out: dict[str, str] = {}
    for pair in pairs:
        key, sep, value = pair.partition("=")
        if not sep or not key.strip():
            raise ValidationError(f"--attr {pair!r} is not key=value: write e.g. --attr age_band=18-21")
        out[key.strip()] = value.strip()
    return out


def contact_options(f: F) -> F:
    """The contact-detail options and ``--attr``, shared by the commands that take personal data."""
    for name, text in (
        ("postcode", "Postcode."),
        ("address", "Postal address."),
        ("phone", "Phone number."),
        ("email", "Email address."),
        ("name", "Full name."),
    ):
        f = click.option(f"--{name}", default=None, help=text)(f)
    return click.option("--attr", "attrs", multiple=True, help="Self-described attribute key=value; repeat.")(f)


@participant.command("register")
@click.option("--ref", required=True, help="The application's external reference, e.g. VES-001.")
@click.option("--channel", type=click.Choice(CHANNELS, case_sensitive=False), required=True, help="How they signed up.")
@click.option("--captured-by", default=None, help="Staff member who took a phone, paper or in-person sign-up.")
@contact_options
@click.option(
    "--consent",
    "consents",
    multiple=True,
    type=click.Choice(PURPOSES),
    help="A consent purpose given at sign-up; repeat. Needs --notice-version.",
)
@click.option("--notice-version", default=None, help="Privacy notice version shown at sign-up.")
@click.option(
    "--consent-method",
    type=click.Choice(CONSENT_METHODS, case_sensitive=False),
    default=None,
    help=(
        "How consent was given (default: online for online sign-ups, written for paper and partner referrals, "
        "verbal otherwise)."
    ),
)
@at_option
@pass_app
def register_(
    app: PanelApp,
    ref: str,
    channel: str,
    captured_by: str | None,
    attrs: tuple[str, ...],
    name: str | None,
    email: str | None,
    phone: str | None,
    address: str | None,
    postcode: str | None,
    consents: tuple[str, ...],
    notice_version: str | None,
    consent_method: str | None,
    at: datetime | None,
) -> None:
    """Register one sign-up, from any channel.

    Every field is checked as `panel participant import` checks a row (the same rules), and
    nothing is written if any is invalid: the email must be an email address, the phone a UK
    number (or + and a country code; stored as +447700900123), the postcode a UK postcode (stored
    as LS6 1AA), and the reference an application number, never an email or phone number.

    Example:

        panel participant register --ref VES-063 --channel phone --captured-by amy --name "Sam Patel"
        --phone "07700 900123" --postcode "LS6 1AA" --attr age_band=18-21 --consent contact
        --notice-version v3
    """
    if consents and not notice_version:
        raise ValidationError("--consent needs --notice-version: name the privacy notice version shown")
    method = consent_method or default_consent_method(channel)
    specs = tuple(ConsentSpec(p, notice_version or "", method, captured_by or "self", at) for p in consents)
    personal = {"name": name, "email": email, "phone": phone, "address": address, "postcode": postcode}
    pid = Registration(app).register(
        SignUp(
            ref=ref,
            channel=channel,
            captured_by=captured_by,
            personal={k: v for k, v in personal.items() if v},
            attributes=_attrs(attrs),
            consents=specs,
            at=at,
        )
    )
    say(f"Registered {ref} as {pid}")


@participant.command()
@click.argument("participant_ref")
@json_option
@click.pass_context
def show(ctx: click.Context, participant_ref: str, as_json: bool) -> None:
    """Show a participant: sign-up, personal data, consents and participation.

    Showing personal data is recorded first (who, from PANEL_USER or the system user; see
    `panel audit access`).

    Example:

        panel participant show VES-001
    """
    app: PanelApp = ctx.obj.app
    pid = app.resolve_participant(participant_ref)
    ctx.obj.record_access("participant show", [pid])
    details = Queries(app).participant(pid)
    if as_json:
        echo_json(details)
        return
    render_participant(app, details)


@participant.command("list")
@paging_options(100, "participants")
@click.option("--purpose", default=None, help="Why the list is needed (kept with the access record).")
@json_option
@click.pass_context
def list_(ctx: click.Context, page: Page, purpose: str | None, as_json: bool) -> None:
    """List participants (oldest sign-up first), a page at a time; showing their names is recorded first.

    Only the page asked for is read (in the database) and only the people on it are recorded as
    shown (`panel audit access`). When more follow, the last line (or `next` in --json) gives the
    --offset of the next page.

    Example:

        panel participant list --limit 20 --offset 40
    """
    app: PanelApp = ctx.obj.app
    queries = Queries(app)
    shown, more = queries.participant_page(page)
    ctx.obj.record_access("participant list", shown, purpose)
    people = [queries.participant(pid) for pid in shown]
    if as_json:
        echo_json({"participants": people, **page.fields(more)})
        return
    moment = datetime.now(UTC)
    table(
        f"Participants (showing {len(people)})",
        ["ref", "id", "channel", "name", "consents", "status"],
        [
            (
                p.ref,
                str(p.id)[:8],
                p.channel,
                p.personal.name or ("«erased»" if p.personal.erased else "-"),
                ",".join(p.active_consents(moment)) or "-",
                status(p),
            )
            for p in people
        ],
    )
    echo_footer(page.footer(len(people), more, "participants"))


@participant.command()
@click.argument("participant_ref")
@click.option("--captured-by", default=None, help="Staff member recording the change.")
@click.option(
    "--add-duplicate",
    is_flag=True,
    help="Record an --email another participant confirmed anyway (a shared mailbox, say); they keep it for duplicates.",
)
@contact_options
@at_option
@pass_app
def update(
    app: PanelApp,
    participant_ref: str,
    captured_by: str | None,
    add_duplicate: bool,
    attrs: tuple[str, ...],
    name: str | None,
    email: str | None,
    phone: str | None,
    address: str | None,
    postcode: str | None,
    at: datetime | None,
) -> None:
    """Update contact details or self-described attributes.

    A new --email moves the person in the email index (duplicates of a confirmed address are recognised under
    the new address, no longer the old); an address another participant confirmed is refused, and nothing is
    written, unless --add-duplicate.

    Example:

        panel participant update VES-001 --attr unemployed_months=5 --postcode "LS7 2AB"
    """
    pid = app.resolve_participant(participant_ref)
    personal = {"name": name, "email": email, "phone": phone, "address": address, "postcode": postcode}
    try:
        Registration(app).update_personal(
            pid,
            personal={k: v for k, v in personal.items() if v},
            attributes=_attrs(attrs),
            captured_by=captured_by,
            at=at,
            refuse_duplicate=not add_duplicate,
        )
    except DuplicateEmailError as exc:  # the duplicate rule of every entry path; staff see who, and choose
        raise ValidationError(
            f"participant {exc.holder} already confirmed this email address: check with `panel participant show "
            f"{exc.holder}`, or pass --add-duplicate to record it anyway"
        ) from None
    say(f"Updated {Queries(app).participant_ref(pid)}")


@participant.command()
@click.argument("participant_ref")
@click.option("--reason", required=True, help="Why they left.")
@at_option
@pass_app
def leave(app: PanelApp, participant_ref: str, reason: str, at: datetime | None) -> None:
    """Record that a participant left the panel (they stay in the history).

    Example:

        panel participant leave VES-001 --reason "asked to stop"
    """
    pid = app.resolve_participant(participant_ref)
    Participation(app).leave_panel(pid, reason, at)
    say(f"{Queries(app).participant_ref(pid)} left the panel")


@participant.command()
@click.argument("participant_ref")
@click.option("--reason", required=True, help="Why the data is erased, e.g. the request reference.")
@click.option("--by", "erased_by", default=None, help="Staff member carrying out the erasure (shown to auditors).")
@at_option
@click.pass_context
def erase(ctx: click.Context, participant_ref: str, reason: str, erased_by: str | None, at: datetime | None) -> None:
    """Erase a participant's personal data by destroying their data key; the audit trail stays.

    The erasure and the key's deletion are one transaction; the read models are then brought up to
    date and cleaned. Run it again if it was interrupted: it finishes what is left.

    Example:

        panel participant erase VES-001 --reason "erasure request ER-12" --by dpo.lee
    """
    app: PanelApp = ctx.obj.app
    pid = app.resolve_participant(participant_ref)
    fresh = Participation(app).erase(pid, reason, at, erased_by=erased_by)
    ref = Queries(app).participant_ref(pid)
    if fresh:
        say(f"Erased the personal data of {ref} ({pid}); its history remains without personal data")
    else:
        say(f"Finished the erasure of {ref} ({pid}) recorded earlier: its data key is now destroyed")
    from cli.views import clean_views

    clean_views(ctx)


@participant.command("erasure-requests")
@paging_options(100, "requests")
@json_option
@pass_app
def erasure_requests(app: PanelApp, page: Page, as_json: bool) -> None:
    """List people who asked (at /me) for their data to be erased and are not erased yet, with what holds it back.

    A request with nothing holding it back is carried out at once; one held back by a payment still
    open waits here until the payment is settled, then: panel participant erase REF --reason ... --by ...
    Oldest request first, a page at a time (--limit, --offset).

    Example:

        panel participant erasure-requests
    """
    from panel.erasure_requests import ErasureRequests

    pending, more = page.window(ErasureRequests(app).waiting())
    if as_json:
        echo_json({"requests": [{"participant": p.reference, "id": str(p.participant_id),
                                 "requested_at": p.requested_at.isoformat(), "blocked_by": list(p.blocked_by)}
                                for p in pending], **page.fields(more)})  # fmt: skip
        return
    if not pending:
        say("No erasure requests are waiting" + (f" after the first {page.offset}" if page.offset else ""))
        return
    table("Erasure requests waiting", ["participant", "asked", "held back by"],
          [(p.reference, when(p.requested_at), "; ".join(p.blocked_by) or "-") for p in pending])  # fmt: skip
    echo_footer(page.footer(len(pending), more, "requests"))


def register(group: click.Group) -> None:
    participant.add_command(import_command)
    group.add_command(participant)
