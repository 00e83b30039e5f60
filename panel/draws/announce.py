"""Announce a draw before its randomness exists, reveal it later, and show members their commitment.

``Announcements(draws)`` builds the draw exactly as ``panel draw --dry-run`` does (``Draws.draw``
with ``dry_run``: the same pool, quota check and lottery, nothing saved), then records only an
``Announcement``: the published document (commitments, quotas, algorithm, lottery, rule; see
``announce_rule``) and the draw's record frozen as composed. ``reveal`` completes it from that alone.
"""

from __future__ import annotations

import contextlib
from collections.abc import Sequence
from dataclasses import dataclass
from datetime import datetime
from typing import Any
from uuid import UUID

from eventsourcing.application import AggregateNotFoundError
from eventsourcing.persistence import IntegrityError
from eventsourcing.utils import get_topic

import selection
from panel.application import PanelApp
from panel.domain.announcement import Announcement, announcement_id
from panel.domain.engagement import Engagement
from panel.domain.errors import PanelError, ValidationError
from panel.draws.announce_dropout import model_section
from panel.draws.announce_rule import (
    FORMAT,
    RULE,
    commitment,
    document_sha256,
    lottery_sha256,
    member_salt,
    pool_sha256,
)
from panel.draws.compose import MAX_TEXT, Progress
from panel.draws.dropout_history import gather
from panel.draws.dropout_settings import parse_settings
from panel.draws.reserves_model import check_model
from panel.draws.service import Draws

ANNOUNCEMENT_TOPIC = get_topic(Announcement.Published)
# The fields of the draw's record frozen at the announcement; the reveal adds the index, panel and reserves.
FROZEN = (
    "size",
    "algorithm",
    "algorithm_version",
    "solver",
    "solver_version",
    "seed",
    "lottery_size",
    "quotas",
    "features",
    "household_by",
    "pool",
    "pool_sha256",
    "inputs_sha256",
    "probabilities",
    "report",
    "drawn_by",
    "round",
    "as_of_position",
    "types",
)


class AnnouncementNotFoundError(PanelError):
    """Raised when no announcement has the given id."""


class AnnouncementExistsError(PanelError):
    """Raised when the engagement round was already announced."""


@dataclass(frozen=True)
class Commitment:
    announcement: UUID
    participant: UUID
    ref: str
    salt: str
    commitment: str
    in_pool: bool


class Announcements:
    """Announce, reveal and look up announced draws."""

    def __init__(self, draws: Draws) -> None:
        self.draws = draws
        self.app: PanelApp = draws.app

    def announce(
        self,
        engagement: str | UUID,
        size: int,
        quotas: list[selection.Quota],
        *,
        randomness: str,
        algorithm: str = "leximin",
        seed: int | None = None,
        reserves: int = 0,
        household_by: str | None = None,
        lottery_size: int | None = None,
        at: datetime | None = None,
        announced_by: str | None = None,
        new_round: bool = False,
        progress: Progress | None = None,
        reserves_model: str = "plain",
        model_settings: Sequence[str] = (),
    ) -> Announcement:
        """Compute the draw as a dry run does and record its announcement; nobody is invited."""
        text = randomness.strip()
        if not text or len(text) > MAX_TEXT or not text.isprintable():
            raise ValidationError(
                f"--randomness must be printable text of 1 to {MAX_TEXT} characters naming a public lottery and "
                'its date, e.g. "the numbers of the UK National Lottery on 2026-02-04"'
            )
        if algorithm != "leximin":
            raise ValidationError(
                f"--algorithm {algorithm} draws one panel directly, with no lottery for public numbers to index: "
                "announce a leximin draw"
            )
        if reserves < 0:
            raise ValidationError(f"--reserves {reserves} is negative: use 0 or more")
        check_model(reserves_model, reserves)
        if model_settings and reserves_model != "dropout":
            raise ValidationError("--model-setting sets the dropout model: use it with --reserves-model dropout")
        settings = parse_settings(model_settings, sorted({q.feature for q in quotas}))
        outcome = self.draws.draw(
            engagement,
            size,
            quotas,
            algorithm=algorithm,
            seed=seed,
            reserves=0,  # the reserves come from the hash chain at the reveal
            household_by=household_by,
            lottery_size=lottery_size,
            at=at,
            drawn_by=announced_by,
            progress=progress,
            new_round=new_round,
            dry_run=True,
        )
        draw = outcome.draw
        if draw is None:
            raise PanelError("internal: the dry run returned no draw")
        aid = announcement_id(draw.id)
        if self._exists(aid):
            raise AnnouncementExistsError(
                f"round {draw.round} of this engagement was already announced (id {str(aid)[:8]}): reveal it with "
                "`panel draw reveal`, or pass --new-round once it is drawn"
            )
        commitments = sorted(commitment(member_salt(m.key, aid), m.id) for m in outcome.pool)
        panels = [list(p) for p in outcome.result.lottery]
        document: dict[str, Any] = {
            "format": FORMAT,
            "announcement": str(aid),
            "draw": str(draw.id),
            "engagement": self.app.load(draw.engagement_id, Engagement).ref,
            "round": draw.round,
            "announced_at": draw.drawn_at.isoformat(),
            "randomness": text,
            "panel_size": size,
            "reserves": reserves,
            "algorithm": draw.algorithm,
            "algorithm_version": draw.algorithm_version,
            "solver": f"{draw.solver} {draw.solver_version}",
            "quotas": draw.quotas,
            "features": draw.features,
            "household_by": draw.household_by,
            "types": draw.types,
            "pool": {"members": len(commitments), "commitments": commitments, "sha256": pool_sha256(commitments)},
            "lottery": {
                "size": len(panels),
                "seed": draw.seed,
                "inputs_sha256": draw.inputs_sha256,
                "panels": panels,
                "sha256": lottery_sha256(panels),
            },
            "rule": RULE,
        }
        if reserves_model == "dropout":  # frozen now: the reveal needs no new judgement (announce_dropout)
            history = gather(self.app, int(draw.as_of_position or 0), settings.model_features(draw.features))
            document["reserves_model"] = model_section(history, settings, draw.types or [], draw.features)
        document["announcement_sha256"] = document_sha256(document)
        frozen = {name: getattr(draw, name) for name in FROZEN if name != "report"}
        frozen["report"] = draw.report
        announcement = Announcement.publish(
            draw_id=draw.id,
            at=draw.drawn_at,
            engagement_id=draw.engagement_id,
            round=draw.round,
            document=document,
            announcement_sha256=document["announcement_sha256"],
            frozen=frozen,
            announced_by=announced_by,
        )
        try:
            self.app.save(announcement)
        except IntegrityError:
            raise AnnouncementExistsError(
                f"round {draw.round} of this engagement was announced while this ran: nothing more was recorded"
            ) from None
        return announcement

    def reveal(self, announcement: UUID, numbers: str, at: datetime | None = None) -> Any:
        """Complete an announced draw with the revealed numbers; a ``RevealOutcome``."""
        from panel.clock import now
        from panel.draws.reveal import reveal

        return reveal(self.draws, self.get(announcement), numbers, at or now())

    def commitment(self, announcement: UUID, participant: UUID) -> Commitment:
        """A pool member's salt and commitment in an announcement (shown to them only)."""
        found = self.get(announcement)
        keys = self.app.keys.get_keys([participant])
        if participant not in keys:
            raise ValidationError("this participant's data key is gone (erased): their salt cannot be derived")
        salt = member_salt(keys[participant], found.id)
        mine = commitment(salt, participant)
        ref = str(self.app.repository.get(participant).external_ref)
        in_pool = mine in set(found.document["pool"]["commitments"])
        return Commitment(found.id, participant, ref, salt, mine, in_pool)

    def _exists(self, aid: UUID) -> bool:
        try:
            self.app.repository.get(aid)
        except AggregateNotFoundError:
            return False
        return True

    def get(self, aid: UUID) -> Announcement:
        found: object = None
        with contextlib.suppress(AggregateNotFoundError):
            found = self.app.repository.get(aid)
        if not isinstance(found, Announcement):
            raise AnnouncementNotFoundError(f"no announcement has id {aid}: the id is printed by `panel draw announce`")
        return found

    def resolve(self, text: str) -> UUID:
        """An announcement id from its full id or a unique prefix of it."""
        try:
            return UUID(text)
        except ValueError:
            pass
        wanted = text.replace("-", "").lower()
        matches = [i for i in self.app.originators(ANNOUNCEMENT_TOPIC) if i.hex.startswith(wanted)]
        if len(matches) != 1 or not wanted:
            raise AnnouncementNotFoundError(f"no single announcement has an id starting {text!r}")
        return matches[0]
