"""Errors raised by the selection library.

Every error carries a machine-readable ``code`` and a one-line human message that
names the place (file and line, feature and value) and the fix.
"""

from __future__ import annotations


class SelectionError(Exception):
    """Raised when a selection cannot be computed as asked."""

    code = "selection_error"

    def __init__(self, message: str, *, code: str | None = None) -> None:
        super().__init__(message)
        self.message = message
        if code is not None:
            self.code = code

    def to_dict(self) -> dict[str, object]:
        """Return a JSON-friendly description of the error."""
        return {"code": self.code, "message": self.message}


class QuotaFileError(SelectionError):
    """Raised when a quota or people CSV file is malformed (names file and line)."""

    code = "quota_file"

    def __init__(self, message: str, *, path: str = "", line: int = 0) -> None:
        place = f"{path}:{line}: " if path and line else (f"{path}: " if path else "")
        super().__init__(place + message)
        self.path = path
        self.line = line


class UnknownFeatureError(SelectionError):
    """Raised when a quota names a feature or value that no candidate has."""

    code = "unknown_feature"


class QuotaBoundsError(SelectionError):
    """Raised when a quota's minimum exceeds its maximum (or a bound is negative)."""

    code = "quota_bounds"


class PoolTooSmallError(SelectionError):
    """Raised when the panel size exceeds the pool or the number of households."""

    code = "pool_too_small"


class InfeasibleQuotasError(SelectionError):
    """Raised when no panel of the requested size meets every quota."""

    code = "infeasible_quotas"

    def __init__(self, message: str, *, suggestions: list[str] | None = None) -> None:
        self.suggestions: list[str] = list(suggestions or [])
        text = message
        if self.suggestions:
            text += " Smallest change: " + "; ".join(self.suggestions) + "."
        super().__init__(text)

    def to_dict(self) -> dict[str, object]:
        """Return a JSON-friendly description including the suggested relaxations."""
        return {"code": self.code, "message": self.message, "suggestions": self.suggestions}


class UnsupportedOptionError(SelectionError):
    """Raised when an option does not apply to the chosen algorithm (e.g. quotas with uniform)."""

    code = "unsupported_option"


class UnknownCandidateError(SelectionError):
    """Raised when an id given to must_include, must_exclude or replace is not in the pool."""

    code = "unknown_candidate"


class SolverError(SelectionError):
    """Raised when the LP/ILP solver fails unexpectedly (reported with its status)."""

    code = "solver_failed"
