"""A draw's fairness certificate: the selection re-run from the draw's record, with its dual proof.

The certificate names pool members only by their slot in the draw's type table (never by id or
name), so it can be published. It is produced only when the re-run reproduces the recorded draw.
"""

from __future__ import annotations

from typing import TYPE_CHECKING, Any

from panel.domain.draw import Draw
from panel.domain.errors import PanelError
from panel.draws.compose import recorded_quotas, run_selection
from panel.draws.record import slot_candidates, table_from_record

if TYPE_CHECKING:
    from panel.draws.protocols import DrawService


class NoCertificateError(PanelError):
    """Raised when a draw has no fairness certificate (not leximin, or recorded before certificates)."""


def draw_certificate(draws: DrawService, draw: Draw) -> dict[str, Any]:
    """Re-run ``draw`` from its record and return its certificate (plain JSON data)."""
    if draw.algorithm != "leximin" or not draw.keeps_types or draw.algorithm_version < 2:
        raise NoCertificateError(
            f"draw {draw.id} has no fairness certificate: certificates exist for leximin draws recorded with "
            f"algorithm version 2 or later (this one: {draw.algorithm} v{draw.algorithm_version}); "
            "check it with `panel draw verify`"
        )
    rows, counts = table_from_record(draw.types or [])
    result = run_selection(
        slot_candidates(rows, counts, draw.features),
        recorded_quotas(draw.quotas),
        draw.size,
        algorithm=draw.algorithm,
        seed=draw.seed,
        seed_from=draw.seed_from,
        reserves=len(draw.drawn_reserves),
        lottery_size=draw.lottery_size,
        algorithm_version=draw.algorithm_version,
    )
    same = (
        result.lottery_index == draw.lottery_index
        and result.inputs_sha256 == draw.inputs_sha256
        and set(result.probabilities) == set(draw.probabilities)
        and all(abs(result.probabilities[s] - p) <= 1e-12 for s, p in draw.probabilities.items())
    )
    if not same or result.certificate is None:
        raise NoCertificateError(
            f"draw {draw.id} does not re-run to its record, so no certificate is given: see `panel draw verify`"
        )
    certificate = dict(result.certificate)
    certificate["lottery"] = {**certificate["lottery"], "selected": sorted(result.selected)}
    certificate["draw"] = {
        "id": str(draw.id),
        "drawn_at": draw.drawn_at.isoformat(),
        "algorithm": f"{draw.algorithm} v{draw.algorithm_version}",
        "solver": f"{draw.solver} {draw.solver_version}",
        "seed": draw.seed,
        "seed_from": draw.seed_from,
        "pool_sha256": draw.pool_sha256,
        "inputs_sha256": draw.inputs_sha256,
        "members": "pool members are named by their slot in the draw's type table",
    }
    return certificate


def check_certificate(data: Any) -> dict[str, Any]:
    """Check a certificate with the standalone checker (numpy only): a summary with ``valid``."""
    from selection.certificate_check import check

    if not isinstance(data, dict):
        return {"valid": False, "failures": ["the certificate is not a JSON object"], "notes": []}
    return check(data)
