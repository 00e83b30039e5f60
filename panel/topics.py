"""The topics of the store's few, long-lived aggregates, each given a partial index by `panel init`.

Engagements, campaigns, draws and the rest are listed by topic (``PanelApp.originators``), and every sign-up
needs the engagements' eligibility rules (``Engagements.numeric_attributes``); ``panel.store.topic_index``
keeps those reads from walking a national log. People's own events are not here: there are millions of them,
and the read models list people.
"""

from __future__ import annotations

from eventsourcing.utils import get_topic

from panel.domain.access import DataAccess
from panel.domain.announcement import Announcement
from panel.domain.campaign import Campaign
from panel.domain.draw import Draw
from panel.domain.engagement import Engagement
from panel.domain.erasure_request import ErasureRequest
from panel.domain.legal_hold import LegalHold
from panel.domain.participant import Participant
from panel.domain.partner import Partner
from panel.domain.staff import StaffAccount

ENGAGEMENT_RULES = (get_topic(Engagement.Opened), get_topic(Engagement.EligibilityChanged))  # what sets the rules

INDEXED_TOPICS = (
    *ENGAGEMENT_RULES,
    get_topic(Campaign.Opened),
    get_topic(Draw.Completed),
    get_topic(Announcement.Published),
    get_topic(Partner.Added),
    get_topic(StaffAccount.Added),
    get_topic(ErasureRequest.Received),
    get_topic(LegalHold.Placed),
    get_topic(Participant.Erased),
    get_topic(DataAccess.Recorded),
)
