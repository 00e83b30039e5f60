"""Which reserve fills an empty panel seat: the replacement rules, pure numerics (no store).

Each reserve in the committed order is either unavailable (``None``: cannot be invited) or an
``Option``: the quota gap of the panel once they join, and how many rules (quotas, the household
rule) the panel would then break. The rules, both deterministic, so anyone can recompute them:

- ``"first"`` (replacements recorded before the rule was recorded): the first reserve who breaks
  nothing; when every reserve breaks something, the one breaking the fewest rules, the earlier on
  ties.
- ``"best"``: the reserve who restores the quotas best: the smallest quota gap after the swap,
  ``sum over quotas of max(0, min - count) + max(0, count - max)`` (people missing below minimums
  plus people above maximums), then the fewest rules broken, then the earlier in the committed
  order. A reserve who breaks nothing has gap 0 and nothing broken, so when one exists "best" takes
  the first such reserve, exactly as "first" does; the rules differ only when every reserve breaks
  something (a seat filled with ``--allow-quota-break``), where "best" takes the reserve who leaves
  the fewest people missing from the quotas rather than the one naming the fewest quotas.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass

from selection.errors import SelectionError
from selection.model import Candidate, Quota, normalize
from selection.pool import feature_values

RULES = ("first", "best")
CURRENT_RULE = "best"


class UnknownReplacementRuleError(SelectionError):
    """Raised when a replacement rule is not one of ``RULES``."""

    code = "unknown_replacement_rule"


@dataclass(frozen=True)
class Option:
    """A reserve who can be invited: the panel's quota gap with them, and the rules it would break."""

    gap: int
    broken: int


def quota_gap(members: Sequence[Candidate], quotas: Sequence[Quota]) -> int:
    """People missing below the quotas' minimums plus people above their maximums, for this panel."""
    values = [feature_values(m) for m in members]
    gap = 0
    for quota in quotas:
        feature, value = normalize(quota.feature), normalize(quota.value)
        count = sum(v.get(feature) == value for v in values)
        gap += max(0, quota.min - count) + max(0, count - quota.max)
    return gap


def pick(options: Sequence[Option | None], rule: str) -> int | None:
    """The index of the reserve ``rule`` takes (None: nobody can be invited)."""
    if rule not in RULES:
        raise UnknownReplacementRuleError(f"replacement rule {rule!r} is unknown: use one of {', '.join(RULES)}")
    scored = [(o, i) for i, o in enumerate(options) if o is not None]
    if not scored:
        return None
    if rule == "first":
        return min(scored, key=lambda t: (t[0].broken, t[1]))[1]
    return min(scored, key=lambda t: (t[0].gap, t[0].broken, t[1]))[1]
