"""A person's own commitments: the announced draws whose frozen pool holds them (shown at /me).

For each announcement whose pool (as frozen when it was announced) includes the person, their salt
(derived from their own data key, never stored) and the commitment it gives, with what they need to
find it in the published document. An erased person has no key, so nothing can be derived or shown.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime
from uuid import UUID

from panel.application import PanelApp
from panel.domain.announcement import Announcement
from panel.domain.engagement import Engagement
from panel.draws.announce import ANNOUNCEMENT_TOPIC
from panel.draws.announce_rule import commitment, member_salt


@dataclass(frozen=True)
class PoolCommitment:
    """One announced draw's commitment to a pool member, with what they need to check it."""

    announcement: UUID
    announcement_sha256: str
    engagement: str
    announced_at: datetime
    randomness: str
    participant_id: str
    salt: str
    commitment: str
    revealed_numbers: str | None


def pool_commitments(app: PanelApp, participant: UUID) -> list[PoolCommitment]:
    """The person's commitments in every announced draw whose frozen pool holds them, newest first."""
    keys = app.keys.get_keys([participant])
    if participant not in keys:
        return []  # erased: the salt cannot be derived any more
    found = []
    for aid in dict.fromkeys(app.originators(ANNOUNCEMENT_TOPIC)):
        announcement: object = app.repository.get(aid)
        if not isinstance(announcement, Announcement):
            continue
        if participant.hex not in {row[0] for row in announcement.frozen["pool"]}:
            continue
        salt = member_salt(keys[participant], announcement.id)
        mine = commitment(salt, participant)
        if mine not in set(announcement.document["pool"]["commitments"]):
            continue  # cannot happen for a stored announcement; never show a code the document lacks
        engagement: object = app.repository.get(announcement.engagement_id)
        found.append(
            PoolCommitment(
                announcement=announcement.id,
                announcement_sha256=announcement.announcement_sha256,
                engagement=engagement.name
                if isinstance(engagement, Engagement)
                else announcement.document["engagement"],
                announced_at=announcement.announced_at,
                randomness=announcement.document["randomness"],
                participant_id=participant.hex,
                salt=salt,
                commitment=mine,
                revealed_numbers=announcement.numbers,
            )
        )
    return sorted(found, key=lambda c: c.announced_at, reverse=True)
