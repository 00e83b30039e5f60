"""A draw runs its numerical work on one BLAS thread, and the limit ends with the draw."""

from __future__ import annotations

import numpy as np
from threadpoolctl import threadpool_info

from selection import select
from tests.helpers.selection_helpers import six_features


def _blas_threads() -> list[int]:
    return [int(pool["num_threads"]) for pool in threadpool_info() if pool["user_api"] == "blas"]


def test_a_draw_runs_on_one_blas_thread_and_leaves_the_setting_as_it_was():
    before = _blas_threads()
    assert before, "numpy's BLAS is not visible to threadpoolctl: the limit would do nothing"
    seen: set[int] = set()

    def progress(stage: str, done: int, total: int) -> None:
        seen.update(_blas_threads())

    candidates, quotas = six_features(120, 12, 5)
    result = select(candidates, quotas, 12, rng=np.random.default_rng(3), reserves=2, progress=progress)
    assert len(result.selected) == 12
    assert seen == {1}  # every stage of the draw, reserves included, reported while limited to one thread
    assert _blas_threads() == before
