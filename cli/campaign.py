"""`panel campaign ...`: open an application campaign and show it."""

from __future__ import annotations

from datetime import datetime, timedelta
from pathlib import Path

import click

from cli.options import at_option, pass_app
from cli.render import say, table
from panel.application import PanelApp
from panel.campaigns import Campaigns
from panel.domain.campaign import LANGUAGES, LAYOUTS
from panel.domain.errors import ValidationError
from panel.domain.values import PURPOSES, parse_day
from panel.links import check_base_url
from web.copies import missing_copy


def _day(ctx: click.Context, param: click.Parameter, value: str) -> object:
    return parse_day(value, f"--{param.name}")


@click.group()
def campaign() -> None:
    """Application campaigns: the public page at /apply/SLUG (see `panel serve`)."""


@campaign.command("open")
@click.argument("slug")
@click.option("--engagement", required=True, help="The engagement applicants apply to (reference or id).")
@click.option("--opens", required=True, callback=_day, help="First day applications are taken, YYYY-MM-DD (UTC).")
@click.option("--closes", required=True, callback=_day, help="Last day applications are taken, YYYY-MM-DD (UTC).")
@click.option("--questions", required=True, help="CSV of questions: attribute,question,hint,options,describe.")
@click.option("--notice", required=True, help="The privacy notice text shown with the consents (e.g. notice-v3.md).")
@click.option("--notice-version", default=None, help="The notice's version (default: from the file name, e.g. v3).")
@click.option(
    "--language",
    default="en",
    show_default=True,
    type=click.Choice(list(LANGUAGES)),
    help="The words of its pages: en (plain English), en-easyread (Easy Read) or cy (Welsh, needs web/copy/cy.toml).",
)
@click.option(
    "--layout",
    default="single-page",
    show_default=True,
    type=click.Choice(list(LAYOUTS)),
    help="single-page: the whole form on one page; one-per-page: a question a page, then Check your answers.",
)
@click.option("--phone", default=None, help="Phone number for people who cannot apply online, shown when closed.")
@click.option("--address", default=None, help="Postal address for paper applications (commas between lines).")
@click.option(
    "--purposes", default=",".join(PURPOSES), show_default=True, help="Consent purposes asked for, comma-separated."
)
@click.option(
    "--consent-valid-for",
    "valid_for",
    multiple=True,
    metavar="PURPOSE=PERIOD",
    help="How long a consent given through the campaign lasts, e.g. panel_membership=2y; repeat per purpose.",
)
@click.option("--by", "opened_by", default=None, help="Staff member opening the campaign.")
@at_option
@pass_app
def open_(
    app: PanelApp,
    slug: str,
    engagement: str,
    opens: object,
    closes: object,
    questions: str,
    notice: str,
    notice_version: str | None,
    language: str,
    layout: str,
    phone: str | None,
    address: str | None,
    purposes: str,
    valid_for: tuple[str, ...],
    opened_by: str | None,
    at: datetime | None,
) -> None:
    """Open an application campaign for an engagement (recorded as CampaignOpened).

    The page /apply/SLUG takes applications from --opens to --closes (both days included, UTC);
    before and after, it says the campaign is closed and gives --phone and/or --address instead.
    Every question is optional and offers "Prefer not to say". See docs/web.md for the files.
    --language chooses the words of the pages: plain English, Easy Read, or Welsh (which needs a
    copy file written by a Welsh speaker, web/copy/cy.toml).
    --layout one-per-page asks one thing per page (GOV.UK), then shows "Check your answers";
    nothing is recorded until the applicant sends it from there.
    With --consent-valid-for, every consent given through the campaign (online, assisted) expires
    that long after it was given, as the notice says.

    Example:

        panel campaign open vested-2026 --engagement vested-youth-panel --opens 2026-03-01
        --closes 2026-03-14 --questions questions.csv --notice notice-v3.md --phone "0113 496 0000"
    """
    asked = tuple(p.strip() for p in purposes.split(",") if p.strip())
    no_words = missing_copy(language)
    if no_words:
        raise ValidationError(no_words)
    Campaigns(app).open(
        slug=slug, engagement=engagement, opens=opens, closes=closes, questions=questions, notice=notice,  # type: ignore[arg-type]
        notice_version=notice_version, language=language, phone=phone, address=address, purposes=asked,
        opened_by=opened_by, at=at, consent_valid_for=_valid_for(valid_for), layout=layout,
    )  # fmt: skip
    say(f"Opened campaign {slug}: /apply/{slug} takes applications from {opens} to {closes}")


def _valid_for(given: tuple[str, ...]) -> dict[str, str]:
    """PURPOSE=PERIOD options as a mapping (the campaign checks the purposes and periods)."""
    periods = {}
    for item in given:
        purpose, sep, period = item.partition("=")
        if not sep:
            raise ValidationError(f"--consent-valid-for {item!r} needs PURPOSE=PERIOD, e.g. panel_membership=2y")
        periods[purpose.strip()] = period.strip()
    return periods


@campaign.command("show")
@click.argument("slug")
@pass_app
def show(app: PanelApp, slug: str) -> None:
    """Show a campaign: its engagement, window, notice and questions.

    Example:

        panel campaign show vested-2026
    """
    c = Campaigns(app).get(slug)
    rows = [
        ("engagement", c.engagement_ref),
        ("window", f"{c.opens.isoformat()} to {c.closes.isoformat()}"),
        ("notice", f"{c.notice_version} (sha256 {c.notice_sha256[:12]})"),
        ("consents asked", ", ".join(c.purposes)),
        ("consent valid for", ", ".join(f"{p} {v}" for p, v in c.consent_valid_for.items()) or "no expiry"),
        ("questions", ", ".join(q.attribute for q in c.questions) or "-"),
        ("layout", c.layout),
        ("instead", "; ".join(filter(None, [c.phone, ", ".join(c.address_lines)]))),
    ]
    table(f"Campaign {c.slug}", ["field", "value"], rows)


@campaign.command("preview")
@click.argument("slug")
@click.option("--base-url", default="http://127.0.0.1:8000", show_default=True, help="Where `panel serve` is reached.")
@click.option("--days", default=30, show_default=True, type=click.IntRange(1, 366), help="How long the link works.")
@pass_app
def preview(app: PanelApp, slug: str, base_url: str, days: int) -> None:
    """Print a link for staff to see a campaign's form before it opens (or after it closes).

    The link is signed with the store's key and works for --days; nothing sent from a preview is
    recorded while the campaign is closed.

    Example:

        panel campaign preview youth-2026 --base-url https://apply.example.org
    """
    say(Campaigns(app).preview_link(slug, check_base_url(base_url, "--base-url"), timedelta(days=days)))


@campaign.command("qr")
@click.argument("slug")
@click.option("--base-url", required=True, help="The public address of `panel serve`, e.g. https://apply.example.org.")
@click.option("--output", required=True, help="The file to write: .png or .svg.")
@click.option("--scale", default=10, show_default=True, type=click.IntRange(1, 50), help="Pixels per module.")
@pass_app
def qr(app: PanelApp, slug: str, base_url: str, output: str, scale: int) -> None:
    """Write the campaign's link (BASE/apply/SLUG) as a QR code for posters and leaflets.

    Example:

        panel campaign qr youth-2026 --base-url https://apply.example.org --output youth-2026.png
    """
    import segno

    url = f"{check_base_url(base_url, '--base-url')}/apply/{Campaigns(app).get(slug).slug}"
    target = Path(output)
    if target.suffix.lower() not in (".png", ".svg"):
        raise click.ClickException(f"--output {output!r} must end .png or .svg")
    if not target.parent.is_dir():
        raise click.ClickException(f"--output {output!r}: the folder {str(target.parent)!r} does not exist")
    segno.make(url, error="m").save(str(target), scale=scale, border=4)
    say(f"Wrote {target} (a QR code of {url})")


def register(group: click.Group) -> None:
    from cli.campaign_status import status

    campaign.add_command(status)
    group.add_command(campaign)
