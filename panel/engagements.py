"""Engagements: open, change and close them; the attribute names their rules may use."""

from __future__ import annotations

from collections.abc import Sequence
from datetime import datetime
from typing import TYPE_CHECKING, Any
from uuid import UUID

from panel.catalogue import AttributeNames
from panel.clock import now
from panel.domain.engagement import Change, Engagement
from panel.domain.errors import ValidationError
from panel.domain.values import EligibilityRule
from panel.queries import Queries
from panel.topics import ENGAGEMENT_RULES
from panel.validation import NumericAttributes

if TYPE_CHECKING:
    from panel.application import PanelApp


class Engagements:
    """Commands on engagements (the queries that read them are ``panel.queries``)."""

    def __init__(self, app: PanelApp) -> None:
        self.app = app

    def open_engagement(self, *, new_attributes: Sequence[str] = (), **fields: Any) -> UUID:
        """Open an engagement; its rules may only name known attributes, or ones confirmed as new."""
        at = fields.pop("at", None) or now()

        def attempt() -> UUID:
            engagement = Engagement.open(at=at, **fields)
            if self.app.exists(engagement.id):
                raise ValidationError(
                    f"an engagement with reference {engagement.ref!r} already exists: choose another name or --ref"
                )
            catalogue = self._declare_rule_names(engagement, engagement.rules, new_attributes, engagement.opened_by)
            self.app.save(engagement, *catalogue)
            return engagement.id

        return self.app.retry(attempt)

    def update_engagement(
        self, eid: UUID, *, new_attributes: Sequence[str] = (), at: datetime | None = None, **changes: Any
    ) -> list[str]:
        """Change an engagement's eligibility, sessions, target size or cooldown; returns what changed."""

        def attempt() -> list[str]:
            engagement = self.app.load(eid, Engagement)
            changed = engagement.update(at=at or now(), **changes)
            rules = engagement.rules if changes.get("eligibility") is not None else []
            catalogue = self._declare_rule_names(engagement, rules, new_attributes, changes.get("changed_by"))
            self.app.save(engagement, *catalogue)
            return changed

        return self.app.retry(attempt)

    def close_engagement(self, eid: UUID, reason: str, at: datetime | None = None) -> None:
        engagement = self.app.load(eid, Engagement)
        engagement.close(reason=reason, at=at or now())
        self.app.save(engagement)

    def engagement_changes(self, eid: UUID) -> list[Change]:
        """The recorded changes to an engagement since it was opened, oldest first."""
        return list(self.app.load(eid, Engagement).changes)

    def known_attributes(self) -> set[str]:
        """The attribute names seen in sign-ups or declared for engagements (read from a small recorded list)."""
        return AttributeNames(self.app).known()

    def numeric_attributes(self) -> NumericAttributes:
        """The attributes some engagement's eligibility rule compares with a number (>=, <=, >, <), and why.

        Every sign-up asks, so the answer is kept (``app.memo``) with the position of the last event that opened
        an engagement or changed its rules, and worked out again only when a later one is recorded."""
        last = getattr(self.app.recorder, "last_position_of", None)
        mark = None if last is None else int(last(ENGAGEMENT_RULES))
        kept = self.app.memo.get("numeric_attributes")
        if mark is not None and kept is not None and kept[0] == mark:
            return dict(kept[1])
        numeric = self._numeric_attributes()
        if mark is not None:
            self.app.memo["numeric_attributes"] = (mark, dict(numeric))
        return numeric

    def _numeric_attributes(self) -> NumericAttributes:
        numeric: dict[str, str] = {}
        for details in Queries(self.app).engagements():
            for rule_text in details.eligibility:
                try:
                    rule = EligibilityRule.parse(rule_text)
                except ValidationError:
                    continue
                if rule.op in (">=", "<=", ">", "<"):
                    numeric.setdefault(
                        rule.field, f"engagement {details.ref}'s rule '{rule}' compares it with a number"
                    )
        return numeric

    def _declare_rule_names(
        self, engagement: Engagement, rules: list[Any], confirmed: Sequence[str], by: str | None
    ) -> list[Any]:
        return AttributeNames(self.app).declare(rules, confirmed, f"engagement {engagement.ref}", by)
