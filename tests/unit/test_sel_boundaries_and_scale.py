"""The library stays pure, and leximin holds up on a realistic mid-sized pool."""

from __future__ import annotations

import ast
import math
import sys

import numpy as np

from selection import Candidate, Quota, select
from tests.helpers.paths import ROOT
from tests.helpers.selection_helpers import satisfies

PACKAGE = ROOT / "selection"
ALLOWED = {"numpy", "highspy", "threadpoolctl", "selection"}  # threadpoolctl: one BLAS thread during a draw


def test_selection_imports_only_the_standard_library_numpy_highspy_and_threadpoolctl():
    for path in PACKAGE.glob("*.py"):
        for node in ast.walk(ast.parse(path.read_text())):
            names = []
            if isinstance(node, ast.Import):
                names = [alias.name for alias in node.names]
            elif isinstance(node, ast.ImportFrom) and node.level == 0 and node.module:
                names = [node.module]
            for name in names:
                top = name.split(".")[0]
                assert top in ALLOWED or top in sys.stdlib_module_names or top == "__future__", (
                    f"{path.name} imports {name}"
                )


def _pool(n: int, k: int, seed: int) -> tuple[list[Candidate], list[Quota]]:
    rng = np.random.default_rng(seed)
    features = {
        "gender": ([0.5, 0.48, 0.02], [1.0, 0.9, 0.8]),
        "age": ([0.22, 0.25, 0.25, 0.18, 0.10], [0.5, 0.8, 1.0, 1.3, 1.1]),
        "region": ([0.3, 0.3, 0.2, 0.2], [1.0, 0.8, 1.2, 1.0]),
        "disability": ([0.18, 0.82], [0.6, 1.0]),
    }
    rows: list[dict[str, str]] = [{} for _ in range(n)]
    quotas = []
    for name, (share, response) in features.items():
        weight = np.array(share) * np.array(response)
        picks = rng.choice(len(share), size=n, p=weight / weight.sum())
        for row, pick in zip(rows, picks, strict=False):
            row[name] = f"v{pick}"
        for value, s in enumerate(share):
            target = s * k
            quotas.append(Quota(name, f"v{value}", math.floor(0.8 * target), math.ceil(1.2 * target)))
    houses = rng.permutation(n)[: n // 5]
    household = {int(p): f"h{int(houses[i - i % 2])}" for i, p in enumerate(houses)}
    return [Candidate(f"p{i:04d}", row, household.get(i)) for i, row in enumerate(rows)], quotas


def test_leximin_on_a_mid_sized_pool_with_households():
    candidates, quotas = _pool(400, 40, seed=3)
    result = select(candidates, quotas, 40, rng=np.random.default_rng(1), reserves=5)
    assert all(satisfies(panel, candidates, quotas, 40) for panel in result.lottery)
    assert abs(sum(result.optimal_probabilities.values()) - 40.0) < 1e-6
    assert min(result.optimal_probabilities.values()) > 0.5 * 40 / 400
    assert result.report["rounding_cost"] < 0.01
    assert result.report["solve_seconds"] < 30
