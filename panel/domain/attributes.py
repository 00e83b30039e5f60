"""The attribute names a store knows, and the check that an eligibility rule names one of them.

Attribute values are personal and sealed per participant; their *names* (age_band, gender, ...) are
not. The ``AttributeCatalogue`` aggregate (one per store, fixed id) records each name the first time
it is seen in a sign-up or declared for an engagement, so a rule can be checked against the store
without unsealing anyone's data.
"""

from __future__ import annotations

import difflib
from collections.abc import Iterable, Sequence
from datetime import datetime
from uuid import NAMESPACE_URL, uuid5

from eventsourcing.domain import Aggregate, event

from panel.domain.errors import ValidationError
from panel.domain.text import attribute_key
from panel.domain.values import EligibilityRule, require_utc

CATALOGUE_ID = uuid5(NAMESPACE_URL, "https://participant-panel.org/attribute-catalogue")
DERIVED = ("imd_quintile", "core20")  # worked out from imd_decile wherever attributes are read (derive_features)


class AttributeCatalogue(Aggregate):
    """The names of the self-described attributes this store has seen or been told about."""

    class Started(Aggregate.Created):
        at: datetime

    class NamesNoted(Aggregate.Event):
        names: list[str]
        origin: str  # "sign-up", "engagement REF", or "history" (listed from earlier events by `panel init`)
        noted_by: str | None
        at: datetime

    @event(Started)
    def __init__(self, at: datetime) -> None:
        self.names: set[str] = set()
        self.noted: list[tuple[str, str, str | None, datetime]] = []  # (name, origin, by, at)

    @classmethod
    def start(cls, at: datetime) -> AttributeCatalogue:
        return cls._create(cls.Started, id=CATALOGUE_ID, at=require_utc(at))

    def note(self, names: Iterable[str], *, origin: str, noted_by: str | None, at: datetime) -> list[str]:
        """Record the names not yet known; returns them (nothing is recorded when there are none)."""
        new = sorted(set(names) - self.names)
        if new:
            self._note(names=new, origin=origin, noted_by=noted_by, at=require_utc(at))
        return new

    @event(NamesNoted)
    def _note(self, names: list[str], origin: str, noted_by: str | None, at: datetime) -> None:
        self.names.update(names)
        self.noted.extend((name, origin, noted_by, at) for name in names)


def attribute_names(raw: Iterable[str]) -> set[str]:
    """Attribute names as sign-ups store them ('Age Band' -> 'age_band'), checked by the same rule."""
    return {attribute_key(name) for name in raw}


def check_rule_names(rules: Sequence[EligibilityRule], known: set[str], confirmed: Iterable[str] = ()) -> list[str]:
    """The genuinely new names the rules use (confirmed by the user); every other name must be known.

    Raises ValidationError for a name neither known nor confirmed (with the closest known names), and
    for a confirmed name no rule uses.
    """
    declared = attribute_names(confirmed)
    used = {rule.field for rule in rules}
    for name in sorted(declared - used):
        raise ValidationError(
            f"--new-attribute {name} is not used by any --eligible rule: drop it, or add a rule on {name}"
        )
    everything = known | set(DERIVED)
    for name in sorted(used - everything - declared):
        close = difflib.get_close_matches(name, sorted(everything), n=3, cutoff=0.7)
        hint = f"did you mean {' or '.join(close)}? " if close else ""
        raise ValidationError(
            f"eligibility rule on {name!r}: no sign-up or engagement has an attribute of that name; {hint}"
            f"if it is new (nobody has applied yet), confirm it with --new-attribute {name}"
        )
    return sorted(declared - everything)


def imd_quintile(decile: str) -> str | None:
    """The IMD quintile ("1".."5") of an IMD decile given as "1".."10"; None for anything else."""
    if not (decile.isascii() and decile.isdigit()) or not 1 <= int(decile) <= 10:
        return None
    return str((int(decile) + 1) // 2)


def derive_features(attributes: dict[str, str]) -> dict[str, str]:
    """The attributes plus the derived ones (``DERIVED``) that draws, eligibility rules and reach all use.

    From a valid ``imd_decile`` (1-10): ``imd_quintile`` and ``core20`` ("yes" for deciles 1-2, the most
    deprived 20% nationally). Values the person stated themselves are kept as they are. Nothing is
    derived from ``imd_quintile`` alone: draws recorded so far hashed their members' features this way,
    and ``panel draw verify`` re-derives them.
    """
    features = dict(attributes)
    quintile = imd_quintile(attributes.get("imd_decile", ""))
    if quintile is not None:
        features.setdefault("imd_quintile", quintile)
        features.setdefault("core20", "yes" if quintile == "1" else "no")
    return features
