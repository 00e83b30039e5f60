"""Small helpers around highspy: deterministic options and sparse model building."""

from __future__ import annotations

import contextlib
import ctypes
import os
import sys
from collections.abc import Iterator, Sequence
from contextlib import contextmanager

import highspy
import numpy as np

from selection.errors import SolverError

INF = highspy.kHighsInf


def _flush_c_stdio() -> None:
    """Flush the C library's stdio buffers, so text a C library printed leaves before stdout is restored."""
    with contextlib.suppress(OSError, AttributeError):  # no C library to reach (an unusual platform): nothing buffered
        ctypes.CDLL(None).fflush(None)


@contextmanager
def _stdout_silenced() -> Iterator[None]:
    """Point file descriptor 1 at the null device for the duration (C-level writes included).

    HiGHS prints its banner ("Running HiGHS ...") on stdout when a ``Highs`` object is created
    (1.16 does it in the constructor), before any option can turn its output off; commands that
    print JSON must print nothing else on stdout.
    """
    try:
        sys.stdout.flush()
        saved = os.dup(1)
    except (OSError, ValueError):  # no stdout to protect
        yield
        return
    null = os.open(os.devnull, os.O_WRONLY)
    try:
        os.dup2(null, 1)
        yield
    finally:
        _flush_c_stdio()
        os.dup2(saved, 1)
        os.close(saved)
        os.close(null)


def quiet_highs() -> highspy.Highs:
    """Return a ``Highs`` object created with stdout silenced and its output turned off."""
    with _stdout_silenced():
        h = highspy.Highs()
        h.setOptionValue("output_flag", False)
    return h


def solver_version() -> str:
    """Return the HiGHS version string, e.g. ``1.16.0``."""
    parts = [getattr(highspy, f"HIGHS_VERSION_{p}", None) for p in ("MAJOR", "MINOR", "PATCH")]
    if all(isinstance(p, int) for p in parts):
        return ".".join(str(p) for p in parts)
    h = quiet_highs()
    return f"{h.versionMajor()}.{h.versionMinor()}.{h.versionPatch()}"


def new_model(*, mip_gap: float = 1e-9) -> highspy.Highs:
    """Return a silent, single-threaded, deterministic HiGHS instance."""
    h = quiet_highs()
    h.setOptionValue("threads", 1)
    h.setOptionValue("random_seed", 0)
    h.setOptionValue("mip_rel_gap", mip_gap)
    h.setOptionValue("mip_abs_gap", 1e-9)
    h.setOptionValue("mip_feasibility_tolerance", 1e-9)
    return h


def add_columns(h: highspy.Highs, lower: np.ndarray, upper: np.ndarray, cost: np.ndarray) -> None:
    """Add columns without matrix entries."""
    count = len(lower)
    h.addCols(
        count,
        cost.astype(float),
        lower.astype(float),
        upper.astype(float),
        0,
        np.zeros(count, dtype=np.int32),
        np.zeros(0, dtype=np.int32),
        np.zeros(0),
    )


def add_rows(
    h: highspy.Highs, rows: Sequence[tuple[np.ndarray, np.ndarray]], lower: Sequence[float], upper: Sequence[float]
) -> None:
    """Add rows given as (column indices, values) pairs."""
    starts, indices, values = [], [], []
    offset = 0
    for cols, vals in rows:
        starts.append(offset)
        indices.append(np.asarray(cols, dtype=np.int32))
        values.append(np.asarray(vals, dtype=float))
        offset += len(cols)
    if not rows:
        return
    h.addRows(
        len(rows),
        np.asarray(lower, dtype=float),
        np.asarray(upper, dtype=float),
        offset,
        np.asarray(starts, dtype=np.int32),
        np.concatenate(indices),
        np.concatenate(values),
    )


def set_integer(h: highspy.Highs, count: int) -> None:
    """Mark the first ``count`` columns as integer."""
    h.changeColsIntegrality(count, np.arange(count, dtype=np.int32), np.full(count, highspy.HighsVarType.kInteger))


def run(h: highspy.Highs, what: str) -> highspy.HighsModelStatus:
    """Solve and return the model status, raising SolverError on a solver failure."""
    h.run()
    status = h.getModelStatus()
    if status in (highspy.HighsModelStatus.kOptimal, highspy.HighsModelStatus.kInfeasible):
        return status
    raise SolverError(
        f"HiGHS stopped with status {h.modelStatusToString(status)} while solving "
        f"the {what}; please report this instance."
    )


def is_optimal(status: highspy.HighsModelStatus) -> bool:
    """Return True for an optimal status."""
    return bool(status == highspy.HighsModelStatus.kOptimal)
