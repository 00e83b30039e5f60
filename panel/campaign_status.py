"""How a campaign is filling: applications by channel, email confirmations, and who would be in the
draw's pool today, by the features the quotas use (`panel campaign status`)."""

from __future__ import annotations

from collections import Counter
from collections.abc import Sequence
from dataclasses import dataclass, field
from datetime import datetime
from uuid import UUID

from panel.application import PanelApp
from panel.campaign_values import CampaignDetails
from panel.campaigns import Campaigns
from panel.confirmations import Confirmations
from panel.domain.confirmation import campaign_source
from panel.domain.engagement import Engagement
from panel.domain.participant import Participant
from panel.draws.pool_builder import UNCONFIRMED, build_pool
from panel.queries import Queries
from selection.model import Quota


@dataclass(frozen=True)
class Target:
    """A quota's seats beside how many eligible applicants have that value so far."""

    feature: str
    value: str
    min: int
    max: int
    eligible: int

    @property
    def short(self) -> bool:
        """Fewer eligible applicants than the quota's minimum of seats: that quota cannot be met yet."""
        return self.eligible < self.min


@dataclass(frozen=True)
class CampaignStatus:
    campaign: CampaignDetails
    at: datetime
    applications: int
    by_channel: dict[str, int]
    confirmed: int
    awaiting: int  # online applications with an email address not yet confirmed
    eligible: int  # in the draw's pool for the engagement, as of ``at``
    left_out: dict[str, int]  # reason -> how many applicants the pool leaves out
    by_feature: dict[str, dict[str, int]] = field(default_factory=dict)  # eligible applicants per value
    targets: list[Target] = field(default_factory=list)


def campaign_status(
    app: PanelApp, slug: str, at: datetime, features: Sequence[str] = (), quotas: Sequence[Quota] = ()
) -> CampaignStatus:
    """The campaign's applicants as of ``at``. ``quotas`` (selection Quotas: feature, value, min, max) add their
    features and a target line each; ``features`` adds features to count without targets."""
    campaign = Campaigns(app).get(slug)
    source = campaign_source(slug)
    applicants: list[Participant] = []
    for pid in Queries(app).participant_ids():
        person = app.load(pid, Participant)
        if person.source == source:
            applicants.append(person)
    confirmations = Confirmations(app)
    confirmed = {p.id for p in applicants if (c := confirmations.confirmed_at(p.id)) is not None and c <= at}
    wanted = list(dict.fromkeys([*features, *(q.feature for q in quotas)]))
    engagement = app.load(app.resolve_engagement(campaign.engagement_ref), Engagement)
    ids: set[UUID] = {p.id for p in applicants}
    pool = build_pool(app, engagement, at, features=wanted, candidate_ids=ids) if ids else None
    members = [] if pool is None else [m for m in pool.members if m.id in ids]
    standings = [s for pid, s in (pool.standings.items() if pool else ()) if pid in ids]
    left_out = Counter(s.reason for s in standings if s.reason is not None)
    by_feature = {f: dict(sorted(Counter(m.features[f] for m in members).items())) for f in wanted}
    targets = [Target(q.feature, q.value, q.min, q.max, by_feature.get(q.feature, {}).get(q.value, 0)) for q in quotas]
    return CampaignStatus(
        campaign=campaign,
        at=at,
        applications=len(applicants),
        by_channel=dict(sorted(Counter(p.channel for p in applicants).items())),
        confirmed=len(confirmed),
        awaiting=left_out.get(UNCONFIRMED, 0),
        eligible=len(members),
        left_out=dict(left_out.most_common()),
        by_feature=by_feature,
        targets=targets,
    )
