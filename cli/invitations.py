"""`panel invitations send|remind|status`: invitation emails with accept and decline links, session reminders,
and where the invitations to an engagement stand."""

from __future__ import annotations

from datetime import datetime
from typing import Any

import click

from cli.options import at_option, echo_footer, json_option, paging_options
from cli.render import echo_json, say, table, when
from cli.wiring import Wiring
from panel.invitations import DEFAULT_DAYS, Invitations, Invitee, MailRun
from panel.paging import Page
from panel.queries import Queries


def email_words() -> dict[str, str]:
    """The emails' words: web/copy/en.toml, section [email] (one place for the service's words)."""
    from web.site import load_copy

    return dict(load_copy()["email"])


def base_url_of(wiring: Wiring, given: str | None) -> str:
    url = (given or wiring.web_base_url).strip().rstrip("/")
    if not url:
        raise click.UsageError(
            "give --base-url or set PANEL_WEB_BASE_URL: the public address of `panel serve`, "
            "e.g. https://apply.example.org"
        )
    if not url.startswith(("https://", "http://")) or any(c.isspace() for c in url):
        raise click.UsageError(f"--base-url {url!r} is not a web address: write e.g. https://apply.example.org")
    return url


def parse_days(text: str) -> tuple[int, ...]:
    try:
        days = tuple(int(part) for part in text.split(",") if part.strip())
    except ValueError:
        days = ()
    if not days or min(days) < 1 or max(days) > 365:
        raise click.BadParameter(f"{text!r} is not a list of days from 1 to 365, e.g. 7,1", param_hint="--days")
    return days


def report(run: MailRun, verb: str, ref: str, as_json: bool) -> None:
    if as_json:
        echo_json(
            {"engagement": ref, "sent": [{"ref": r, "what": what} for r, what in run.sent], "skipped": run.skipped}
        )
        return
    n = len(run.sent)
    say(f"{verb} {n} email{'s' * (n != 1)} about {ref}")
    for reference, what in run.sent:
        say(f"  {reference}: {what}")
    for reason, refs in sorted(run.skipped.items()):
        say(f"  not sent, {reason}: {', '.join(refs)}")


@click.group()
def invitations() -> None:
    """Email invitations (with accept and decline links) and session reminders; see where invitations stand."""


@invitations.command("send")
@click.argument("engagement_ref")
@click.option("--base-url", default=None, help="Where `panel serve` is reached (default: PANEL_WEB_BASE_URL).")
@at_option
@json_option
@click.pass_obj
def send(wiring: Wiring, engagement_ref: str, base_url: str | None, at: datetime | None, as_json: bool) -> None:
    """Email everyone invited to an engagement who has not been emailed for that invitation yet.

    Run it after `panel draw` (or `panel invite`): each person who has not answered, holds an active
    contact consent and gave an email address gets the engagement's name, purpose and session dates,
    and two links, to accept or decline (they stop working when the first session starts). Each
    email is recorded (InvitationEmailSent), so running it again sends nothing twice. Emails go to
    the outbox (`panel outbox`), and through PANEL_SMTP_URL when it is set.

    Example:

        panel invitations send vested-youth-panel --base-url https://apply.example.org
    """
    from panel.links import store_secret

    url = base_url_of(wiring, base_url)
    app = wiring.app
    eid = app.resolve_engagement(engagement_ref)
    key = store_secret(app.keys, "web_signing")
    wiring.outbox.check()  # an outbox that cannot take mail is one line before any email is recorded as sent
    run = Invitations(app).send(eid, wiring.outbox, email_words(), key=key, base_url=url, at=at)
    report(run, "Sent", Queries(app).engagement(eid).ref, as_json)


@invitations.command("remind")
@click.argument("engagement_ref")
@click.option("--days", default=",".join(map(str, DEFAULT_DAYS)), show_default=True, help="Days before each session.")
@at_option
@json_option
@click.pass_obj
def remind(wiring: Wiring, engagement_ref: str, days: str, at: datetime | None, as_json: bool) -> None:
    """Remind the people who accepted of each session ahead, N days before it (once per session and N).

    Run it every day (from cron, say): a reminder goes when its day has come and has not gone
    before; when several are due for one session only the nearest goes. Nobody without an active
    contact consent, or who withdrew, is emailed. Each reminder is recorded (SessionReminderSent).

    Example:

        panel invitations remind vested-youth-panel --days 7,1
    """
    offsets = parse_days(days)
    app = wiring.app
    eid = app.resolve_engagement(engagement_ref)
    wiring.outbox.check()
    run = Invitations(app).remind(eid, wiring.outbox, email_words(), days=offsets, at=at)
    report(run, "Sent", Queries(app).engagement(eid).ref, as_json)


@invitations.command("status")
@click.argument("engagement_ref")
@paging_options(100, "invitations")
@json_option
@click.pass_obj
def status(wiring: Wiring, engagement_ref: str, page: Page, as_json: bool) -> None:
    """Where each invitation to an engagement stands, and which declines need `panel draw replace`.

    A page of invitations at a time, in the order first invited; the counts by status and the
    replacements due under the table are over every invitation (each person read in turn).

    Example:

        panel invitations status vested-youth-panel
    """
    app = wiring.app
    eid = app.resolve_engagement(engagement_ref)
    counts: dict[str, int] = {}
    due: list[Invitee] = []
    kept: list[Invitee] = []
    for p in page.collect(Invitations(app).each_status(eid), kept):  # counted over all; only this page kept
        counts[p.status] = counts.get(p.status, 0) + 1
        if p.replacement_due:
            due.append(p)
    people, more = page.cut(kept)
    ref = Queries(app).engagement(eid).ref
    rows: list[dict[str, Any]] = [
        {"ref": p.ref, "status": p.status, "invited_at": p.invited_at.isoformat(),
         "draw": None if p.draw_id is None else str(p.draw_id),
         "emailed_at": None if p.emailed_at is None else p.emailed_at.isoformat(), "replacement_due": p.replacement_due}
        for p in people
    ]  # fmt: skip
    if as_json:
        echo_json({"engagement": ref, "invitations": rows, **page.fields(more)})
        return
    if not people and not page.offset:
        say(f"Nobody has been invited to {ref}")
        return
    table(
        f"Invitations to {ref}",
        ["ref", "status", "invited", "emailed", "draw"],
        [
            (
                p.ref,
                p.status,
                when(p.invited_at),
                when(p.emailed_at) if p.emailed_at else "-",
                str(p.draw_id)[:8] if p.draw_id else "-",
            )
            for p in people
        ],  # fmt: skip
    )
    echo_footer(page.footer(len(people), more, "invitations"))
    say(", ".join(f"{n} {s}" for s, n in sorted(counts.items())))
    for p in due:
        say(f"Replacement due: {p.ref} {p.status} (panel draw replace {str(p.draw_id)[:8]} {p.ref} --reason ...)")


def register(group: click.Group) -> None:
    group.add_command(invitations)
