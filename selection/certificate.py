"""A fairness certificate for a leximin selection: everything an outsider needs to check it with numpy alone.

It holds the instance (types with their feature values and member ids, quotas, panel size,
household groups), the optimal lottery over compositions, the L concrete panels with the stated
probabilities, and for each leximin level the multipliers of the level LP (see ``xspace.py``):
a non-negative combination of the LP's rows proving that no distribution over feasible panels can
give the types still free at that level a higher minimum, while the types fixed at earlier levels
keep theirs. ``certificate_check.py`` (standalone) checks all of it. The format is documented in
docs/draws-provable.md.
"""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any

import numpy as np

from selection.model import normalize
from selection.pool import Pool
from selection.xspace import FIX_SLACK

FORMAT = "participant-panel/leximin-certificate/1"


def build_certificate(
    pool: Pool,
    k: int,
    columns: Sequence[np.ndarray],
    weights: np.ndarray,
    type_probabilities: np.ndarray,
    levels: Sequence[dict[str, Any]],
    cuts: Sequence[tuple[np.ndarray, np.ndarray, float]],
    panels: Sequence[Sequence[str]],
    probabilities: dict[str, float],
    lottery_index: int,
    lottery_report: dict[str, Any],
) -> dict[str, Any]:
    """Return the certificate as plain JSON-ready data."""
    return {
        "format": FORMAT,
        "panel_size": k,
        "features": [normalize(f) for f in pool.features],
        "quotas": [
            {"feature": normalize(q.feature), "value": normalize(q.value), "min": q.min, "max": q.max}
            for q in pool.quotas
        ],
        "types": [
            {
                "values": [normalize(v) for _, v in t.features],
                "count": int(n),
                "members": list(t.members),
                "optimal_probability": float(p),
            }
            for t, n, p in zip(pool.types, pool.sizes, type_probabilities, strict=True)
        ],
        "households": [list(map(int, h)) for h in pool.households],
        "distribution": [
            {"composition": [[int(t), int(c[t])] for t in np.flatnonzero(c)], "probability": float(w)}
            for c, w in zip(columns, weights, strict=True)
        ],
        "levels": [
            {"value": float(level["value"]), "fixed": list(level["fixed"]), "multipliers": list(level["row_duals"])}
            for level in levels
        ],
        "fix_slack": FIX_SLACK,
        "cuts": [
            {"types": [int(t) for t in types], "weights": [float(w) for w in ws], "bound": float(bound)}
            for types, ws, bound in cuts
        ],
        "lottery": {
            "size": len(panels),
            "index": lottery_index,
            "panels": [list(p) for p in panels],
            "probabilities": dict(probabilities),
            "bound": lottery_report.get("bound"),
            "bound_met": lottery_report.get("bound_met"),
            "worst_shortfall": lottery_report.get("worst_shortfall"),
        },
    }
