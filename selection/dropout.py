"""Dropout model: each person's probability of dropping out after accepting a panel place.

The input is our own history, counted per quota feature value: how many people who accepted
a place had that value (``accepted``) and how many of them then withdrew or did not turn up
(``dropped``), plus the same two totals over all people.

Estimate (documented in docs/draws.md, "Dropout-aware reserves"):

1. The pooled rate ``p0 = (D + m * default_rate) / (N + m)``: the overall observed rate,
   shrunk towards ``default_rate`` with ``m`` pseudo-observations (so with no history at
   all ``p0 = default_rate``).
2. Per feature value a Beta-Binomial posterior mean with the Beta(m * p0, m * (1 - p0))
   prior: ``p_v = (d_v + m * p0) / (n_v + m)``. Thin data stays near ``p0``; plenty of data
   converges to the observed ``d_v / n_v``.
3. Per person a logistic-additive (naive-Bayes, product-of-odds) combination:
   ``logit p = logit p0 + sum_f (logit p_{f, v_f} - logit p0)`` over the features the
   history covers. A value never seen (or a feature the person lacks) adds nothing. It
   assumes the features act independently on the odds; strongly correlated features
   (age band and employment, say) count the same effect twice and push probabilities
   towards the extremes, so ``shrink`` (0 < shrink <= 1) scales every effect down.
"""

from __future__ import annotations

import math
from collections.abc import Iterable, Mapping
from dataclasses import dataclass, field
from typing import Any

from selection.errors import SelectionError
from selection.model import Candidate, normalize
from selection.pool import feature_values

MODEL_VERSION = 1
"""Bump whenever ``estimate_dropout`` or ``DropoutModel.probability`` can give other numbers."""

DEFAULT_RATE = 0.15
"""The rate assumed with no history at all (UK assembly practice: roughly 1 in 7 drop out)."""

DEFAULT_STRENGTH = 20.0
"""Prior strength m: how many pseudo-observations the pooled rate is worth per value."""


class DropoutHistoryError(SelectionError):
    """Raised when dropout history counts or prior settings are impossible."""

    code = "dropout_history"


@dataclass(frozen=True)
class ValueCounts:
    """History for one feature value: people who accepted a place, and how many dropped out."""

    feature: str
    value: str
    accepted: int
    dropped: int


@dataclass(frozen=True)
class DropoutHistory:
    """Totals over all people who accepted, and the same counts split by feature value."""

    accepted: int
    dropped: int
    by_value: tuple[ValueCounts, ...] = ()

    def to_dict(self) -> dict[str, Any]:
        """Return the history as plain JSON-friendly data (sorted, so it hashes stably)."""
        rows = sorted((normalize(v.feature), normalize(v.value), v.accepted, v.dropped) for v in self.by_value)
        return {
            "accepted": self.accepted,
            "dropped": self.dropped,
            "by_value": [{"feature": f, "value": v, "accepted": a, "dropped": d} for f, v, a, d in rows],
        }


@dataclass(frozen=True)
class DropoutModel:
    """The fitted model: pooled rate, per-value rates and how they combine per person."""

    prior_rate: float
    prior_strength: float
    default_rate: float
    shrink: float
    history: DropoutHistory
    rates: Mapping[tuple[str, str], float] = field(default_factory=dict)
    version: int = MODEL_VERSION

    def probability(self, candidate: Candidate) -> float:
        """Return the candidate's estimated probability of dropping out."""
        return self.probability_of(feature_values(candidate))

    def probability_of(self, values: Mapping[str, str]) -> float:
        """Return the dropout probability for normalised feature values ``{feature: value}``."""
        base = _logit(self.prior_rate)
        total = base
        for feature, value in values.items():
            rate = self.rates.get((feature, value))
            if rate is not None:
                total += self.shrink * (_logit(rate) - base)
        return 1.0 / (1.0 + math.exp(-total))

    def to_dict(self) -> dict[str, Any]:
        """Return the model's parameters and inputs as plain JSON-friendly data."""
        return {
            "model": "beta-binomial per value, logistic-additive per person",
            "version": self.version,
            "prior_rate": self.prior_rate,
            "prior_strength": self.prior_strength,
            "default_rate": self.default_rate,
            "shrink": self.shrink,
            "rates": [{"feature": f, "value": v, "rate": r} for (f, v), r in sorted(self.rates.items())],
            "history": self.history.to_dict(),
        }


def _logit(p: float) -> float:
    p = min(max(p, 1e-9), 1 - 1e-9)
    return math.log(p / (1 - p))


def _check_counts(label: str, accepted: int, dropped: int) -> None:
    if accepted < 0 or dropped < 0:
        raise DropoutHistoryError(f"dropout history {label}: counts must not be negative; fix the counts.")
    if dropped > accepted:
        raise DropoutHistoryError(
            f"dropout history {label}: {dropped} dropped out of {accepted} who accepted; "
            "dropped must not exceed accepted."
        )


def estimate_dropout(
    history: DropoutHistory,
    *,
    prior_strength: float = DEFAULT_STRENGTH,
    default_rate: float = DEFAULT_RATE,
    shrink: float = 1.0,
) -> DropoutModel:
    """Fit the dropout model to ``history`` (see the module docstring for the formulae)."""
    if not prior_strength > 0 or not math.isfinite(prior_strength):
        raise DropoutHistoryError(f"prior strength {prior_strength} must be a positive number.")
    if not 0 < default_rate < 1:
        raise DropoutHistoryError(f"default dropout rate {default_rate} must lie strictly between 0 and 1.")
    if not 0 < shrink <= 1:
        raise DropoutHistoryError(f"shrink {shrink} must lie in (0, 1].")
    _check_counts("totals", history.accepted, history.dropped)
    m = float(prior_strength)
    p0 = (history.dropped + m * default_rate) / (history.accepted + m)
    merged: dict[tuple[str, str], list[int]] = {}
    for row in history.by_value:
        key = (normalize(row.feature), normalize(row.value))
        _check_counts(f"{key[0]}={key[1]}", row.accepted, row.dropped)
        counts = merged.setdefault(key, [0, 0])
        counts[0] += row.accepted
        counts[1] += row.dropped
    rates = {key: (d + m * p0) / (n + m) for key, (n, d) in merged.items()}
    return DropoutModel(p0, m, default_rate, shrink, history, rates)


def history_from_records(records: Iterable[tuple[Mapping[str, str], bool]], features: Iterable[str]) -> DropoutHistory:
    """Count ``(feature values, dropped out?)`` records of people who accepted a place.

    Only ``features`` (the quota features) are counted; values are normalised.
    """
    wanted = [normalize(f) for f in features]
    accepted = dropped = 0
    counts: dict[tuple[str, str], list[int]] = {}
    for values, out in records:
        normal = {normalize(k): normalize(v) for k, v in values.items()}
        accepted += 1
        dropped += bool(out)
        for feature in wanted:
            if feature in normal:
                row = counts.setdefault((feature, normal[feature]), [0, 0])
                row[0] += 1
                row[1] += bool(out)
    by_value = tuple(ValueCounts(f, v, n, d) for (f, v), (n, d) in sorted(counts.items()))
    return DropoutHistory(accepted, dropped, by_value)
