"""`panel campaign status SLUG`: watch a campaign's pool fill (applications, confirmations, eligible so far)."""

from __future__ import annotations

from datetime import datetime

import click

from cli.options import at_option, json_option, pass_app
from cli.render import echo_json, say, table
from panel.application import PanelApp
from panel.campaign_status import CampaignStatus, campaign_status
from panel.clock import now


@click.command("status")
@click.argument("slug")
@click.option("--quotas", "quotas_file", default=None, help="The draw's quotas CSV: each quota's seats beside "
              "how many eligible applicants have that value so far.")  # fmt: skip
@click.option("--feature", "features", multiple=True, help="Also count eligible applicants by this feature; repeat.")
@json_option
@at_option
@pass_app
def status(
    app: PanelApp, slug: str, quotas_file: str | None, features: tuple[str, ...], as_json: bool, at: datetime | None
) -> None:
    """How a campaign is filling: applications by channel, email confirmations, and who would be in the
    engagement's draw pool now (every rule of the draw applied), by the quota features.

    A quota is marked SHORT while fewer eligible applicants have its value than its minimum of
    seats: the draw could not meet it yet.

    Example:

        panel campaign status vested-2026 --quotas vested-quotas.csv
    """
    import selection

    quotas = selection.load_quotas_csv(quotas_file) if quotas_file else []
    found = campaign_status(app, slug, at or now(), features, quotas)
    if as_json:
        echo_json(_as_json(found))
        return
    c = found.campaign
    say(f"Campaign {c.slug} ({c.state_on(found.at.date()).replace('_', ' ')}, {c.opens} to {c.closes}): "
        f"{c.engagement_name}")  # fmt: skip
    channels = ", ".join(f"{k} {v}" for k, v in found.by_channel.items())
    say(f"Applications: {found.applications}" + (f" ({channels})" if channels else ""))
    say(f"Email confirmed: {found.confirmed}; waiting for confirmation: {found.awaiting}")
    say(f"Eligible so far (in the draw's pool now): {found.eligible}")
    for reason, count in found.left_out.items():
        say(f"  left out: {reason} ({count})")
    for feature, counts in found.by_feature.items():
        targets = {t.value: t for t in found.targets if t.feature == feature}
        values = sorted({*counts, *targets})
        rows = []
        for value in values:
            t = targets.get(value)
            seats = f"{t.min}-{t.max}" if t else "-"
            rows.append((value, counts.get(value, 0), seats, "SHORT" if t and t.short else ""))
        table(f"Eligible by {feature}", ["value", "eligible", "quota seats", ""], rows)


def _as_json(found: CampaignStatus) -> dict[str, object]:
    c = found.campaign
    return {
        "slug": c.slug, "engagement": c.engagement_ref, "state": c.state_on(found.at.date()),
        "opens": c.opens.isoformat(), "closes": c.closes.isoformat(), "at": found.at.isoformat(),
        "applications": found.applications, "by_channel": found.by_channel, "confirmed": found.confirmed,
        "awaiting_confirmation": found.awaiting, "eligible": found.eligible, "left_out": found.left_out,
        "by_feature": found.by_feature,
        "quotas": [{"feature": t.feature, "value": t.value, "min": t.min, "max": t.max, "eligible": t.eligible,
                    "short": t.short} for t in found.targets],
    }  # fmt: skip
