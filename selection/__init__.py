"""Stratified random panel selection: a pure library (numpy + HiGHS).

Candidates, quotas and an explicit ``numpy.random.Generator`` in; a SelectionResult out.
"""

from __future__ import annotations

from selection.api import ALGORITHMS, select
from selection.errors import (
    InfeasibleQuotasError,
    PoolTooSmallError,
    QuotaBoundsError,
    QuotaFileError,
    SelectionError,
    SolverError,
    UnknownCandidateError,
    UnknownFeatureError,
    UnsupportedOptionError,
)
from selection.loaders import load_people_csv, load_quotas_csv
from selection.model import ALGORITHM_VERSION, Candidate, PersonType, Quota, Replacement, SelectionResult
from selection.reserves import replace
from selection.verify import verify

__all__ = [
    "ALGORITHMS",
    "ALGORITHM_VERSION",
    "Candidate",
    "InfeasibleQuotasError",
    "PersonType",
    "PoolTooSmallError",
    "Quota",
    "QuotaBoundsError",
    "QuotaFileError",
    "Replacement",
    "SelectionError",
    "SelectionResult",
    "SolverError",
    "UnknownCandidateError",
    "UnknownFeatureError",
    "UnsupportedOptionError",
    "load_people_csv",
    "load_quotas_csv",
    "replace",
    "select",
    "verify",
]
