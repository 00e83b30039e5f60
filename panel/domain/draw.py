"""The Draw aggregate: one recorded, verifiable random selection of a panel for an engagement.

A draw records everything needed to re-run it without anyone's attributes in clear:

- the **type table**: each distinct combination of quota feature values (and anonymous household
  group) in the pool, with how many pool members have it. It is aggregate, like the quota table;
- per pool member: their id, the version of their record, an HMAC of their feature values and a
  **sealed slot** (their place in the type table), both under the member's own data key, so an
  erasure makes them unreadable and the member is then known only as part of the type counts;
- the quotas, the algorithm and solver with their versions, the randomness, the probabilities,
  the panel and the ordered reserves, and the panel's composition by type row.

The selection itself runs on the slots, so it can be re-run from the record alone, after any
erasure. Replacements after drop-outs are recorded against the draw, with the reserves skipped
and why, and any quota a replacement breaks (only with a recorded reason).
"""

from __future__ import annotations

from collections import Counter
from datetime import datetime
from typing import Any
from uuid import NAMESPACE_URL, UUID, uuid5

from eventsourcing.domain import Aggregate, event

from panel.domain.errors import PanelError, ParticipationStateError, ValidationError
from panel.domain.event_types import Created, Event
from panel.domain.values import require_utc

DRAW_NAMESPACE = uuid5(NAMESPACE_URL, "https://participant-panel.example/draw")


class QuotaBreakError(PanelError):
    """Raised when a replacement would break a quota and no reason to allow it was given."""


def draw_id(engagement_id: UUID, round_number: int) -> UUID:
    """A draw's id from its engagement and round: two draws of one round can never both be recorded."""
    return uuid5(DRAW_NAMESPACE, f"{engagement_id.hex}/{round_number}")


class Draw(Aggregate):
    """A completed selection: inputs, randomness, probabilities, panel, reserves and replacements."""

    class Completed(Created):
        class_version = 3
        engagement_id: UUID
        size: int
        algorithm: str
        algorithm_version: int
        solver: str
        solver_version: str
        seed: int | None
        seed_from: str | None
        lottery_size: int
        lottery_index: int
        quotas: list[dict[str, Any]]
        features: list[str]
        household_by: str | None
        pool: list[list[Any]]
        pool_sha256: str
        inputs_sha256: str
        probabilities: dict[str, float]
        selected: list[str]
        reserves: list[str]
        report: dict[str, Any]
        drawn_by: str | None
        at: datetime
        round: int
        as_of_position: int | None
        types: list[list[Any]] | None
        panel_rows: list[int] | None
        reserves_model: dict[str, Any] | None

        @staticmethod
        def upcast_v1_v2(state: dict[str, Any]) -> None:
            """Version 1 drew on person ids and kept no type table: the first round, nothing else known."""
            state.update(round=1, as_of_position=None, types=None, panel_rows=None)

        @staticmethod
        def upcast_v2_v3(state: dict[str, Any]) -> None:
            """Version 2 had only the plain reserve list (``reserves_model`` None: the plain model)."""
            state["reserves_model"] = None

    class MemberReplaced(Event):
        class_version = 3
        dropout: str
        replacement: str | None
        reason: str
        quota_ok: bool
        message: str
        at: datetime
        skipped: list[list[str]]
        broken: list[str]
        override_reason: str | None
        panel_rows: list[int] | None
        replacement_rule: str

        @staticmethod
        def upcast_v1_v2(state: dict[str, Any]) -> None:
            """Version 1 kept no skipped reserves, no broken list and no composition."""
            state.update(skipped=[], broken=[], override_reason=None, panel_rows=None)

        @staticmethod
        def upcast_v2_v3(state: dict[str, Any]) -> None:
            """Version 2 recorded no rule: its replacements took the first reserve keeping every quota."""
            state["replacement_rule"] = "first"

    @event(Completed)
    def __init__(
        self,
        engagement_id: UUID,
        size: int,
        algorithm: str,
        algorithm_version: int,
        solver: str,
        solver_version: str,
        seed: int | None,
        seed_from: str | None,
        lottery_size: int,
        lottery_index: int,
        quotas: list[dict[str, Any]],
        features: list[str],
        household_by: str | None,
        pool: list[list[Any]],
        pool_sha256: str,
        inputs_sha256: str,
        probabilities: dict[str, float],
        selected: list[str],
        reserves: list[str],
        report: dict[str, Any],
        drawn_by: str | None,
        at: datetime,
        round: int,
        as_of_position: int | None,
        types: list[list[Any]] | None,
        panel_rows: list[int] | None,
        reserves_model: dict[str, Any] | None,
    ) -> None:
        self.engagement_id = engagement_id
        self.size = size
        self.algorithm = algorithm
        self.algorithm_version = algorithm_version
        self.solver = solver
        self.solver_version = solver_version
        self.seed = seed
        self.seed_from = seed_from
        self.lottery_size = lottery_size
        self.lottery_index = lottery_index
        self.quotas = quotas
        self.features = features
        self.household_by = household_by
        self.pool = pool
        self.pool_sha256 = pool_sha256
        self.inputs_sha256 = inputs_sha256
        self.probabilities = probabilities
        self.selected = list(selected)
        self.reserves = list(reserves)
        self.drawn_reserves = list(reserves)
        self.report = report
        self.drawn_by = drawn_by
        self.drawn_at = at
        self.round = round
        self.as_of_position = as_of_position
        self.types = types
        self.drawn_panel_rows = None if panel_rows is None else list(panel_rows)
        self.panel_rows = None if panel_rows is None else list(panel_rows)
        self.reserves_model = reserves_model  # None: the plain ordered list; else the dropout model's record
        self.panel = list(selected)
        self.replacements: list[dict[str, Any]] = []

    @property
    def keeps_types(self) -> bool:
        """True when the draw recorded its type table (version 2 on), so it re-runs after erasures."""
        return self.types is not None

    @classmethod
    def record(cls, *, id: UUID, at: datetime, **fields: Any) -> Draw:
        if fields["seed"] is None and not fields["seed_from"]:
            raise ValidationError("a draw must record its randomness: a seed or public randomness text")
        if len(fields["selected"]) != fields["size"]:
            raise ValidationError(f"the panel has {len(fields['selected'])} members, not {fields['size']}")
        if fields["round"] < 1:
            raise ValidationError(f"a draw's round is 1 or more, not {fields['round']}")
        if fields["types"] is not None and sum(int(row[-1]) for row in fields["types"]) != len(fields["pool"]):
            raise ValidationError("the type table does not count the pool: every pool member has one type")
        fields.setdefault("reserves_model", None)
        return cls._create(cls.Completed, id=id, at=require_utc(at), **fields)

    def replace(
        self,
        *,
        dropout: str,
        replacement: str | None,
        reason: str,
        quota_ok: bool,
        message: str,
        at: datetime,
        skipped: list[list[str]],
        broken: list[str],
        override_reason: str | None,
        panel_rows: list[int] | None,
        rule: str,
    ) -> None:
        if dropout not in self.panel:
            raise ParticipationStateError(f"{dropout} is not on the current panel of this draw")
        if replacement is not None and replacement not in self.reserves:
            raise ParticipationStateError(f"{replacement} is not a remaining reserve of this draw")
        if not reason.strip():
            raise ValidationError("--reason is empty: say why the member is replaced")
        override = (override_reason or "").strip() or None
        if not quota_ok and override is None:
            raise QuotaBreakError(
                f"the replacement breaks the quotas ({'; '.join(broken) or message}): nothing recorded; "
                "pass --allow-quota-break --reason TEXT to record it anyway"
            )
        self._replace(
            dropout=dropout,
            replacement=replacement,
            reason=reason.strip(),
            quota_ok=quota_ok,
            message=message,
            at=require_utc(at),
            skipped=skipped,
            broken=broken,
            override_reason=override,
            panel_rows=panel_rows,
            replacement_rule=rule,
        )

    @event(MemberReplaced)
    def _replace(
        self,
        dropout: str,
        replacement: str | None,
        reason: str,
        quota_ok: bool,
        message: str,
        at: datetime,
        skipped: list[list[str]],
        broken: list[str],
        override_reason: str | None,
        panel_rows: list[int] | None,
        replacement_rule: str,
    ) -> None:
        self.panel.remove(dropout)
        if replacement is not None:
            self.panel.append(replacement)
            self.reserves.remove(replacement)
        self.panel_rows = None if panel_rows is None else list(panel_rows)
        self.replacements.append(
            {
                "dropout": dropout,
                "replacement": replacement,
                "reason": reason,
                "quota_ok": quota_ok,
                "message": message,
                "at": at,
                "skipped": [list(s) for s in skipped],
                "broken": list(broken),
                "override_reason": override_reason,
                "rule": replacement_rule,
            }
        )

    def panel_composition(self) -> Counter[int] | None:
        """The current panel's type rows as counts (None when not known)."""
        return None if self.panel_rows is None else Counter(self.panel_rows)
