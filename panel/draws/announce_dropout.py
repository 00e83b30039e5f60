"""Dropout-aware reserves for an announced draw (``panel draw announce --reserves-model dropout``).

At the announcement the dropout model is fitted (our own history as of the pool snapshot, the
settings given) and frozen into the published document as ``reserves_model``: the settings, the
model's parameters, rates and history counts, and the dropout probability of every row of the type
table. After the reveal the reserve list is ``choose_reserves`` over the table's slots with the
announced quotas, that model, and a generator seeded from h0 (SHA-256 of ``"dropout-reserves:<h0
hex>"``, first 8 bytes, big-endian, halved to 63 bits); it is compared with the hash chain's list.
So the order is a function of the document and the numbers only: no new judgement at the reveal,
and anyone with the document can recompute it. Nothing here reads a store.
"""

from __future__ import annotations

import hashlib
import json
from collections.abc import Sequence
from typing import Any

import numpy as np

import selection
from panel.draws.dropout_history import history_from_dict
from panel.draws.dropout_settings import DropoutSettings
from panel.draws.record import slot_candidates, table_from_record
from selection.dropout import DropoutModel, estimate_dropout
from selection.dropout_reserves import METHOD, METHOD_VERSION, DropoutReserves, choose_reserves

RULE = (
    "with reserves_model: the reserves are choose_reserves (greedy on simulated expected quota shortfall, "
    "selection/dropout_reserves.py) over the type table's slots, the quotas and the frozen model, with numpy's "
    'default_rng seeded by SHA-256 of "dropout-reserves:<h0 hex>" (first 8 bytes, big-endian, >> 1), compared '
    "with the hash chain's list"
)


def _fit(section: dict[str, Any]) -> DropoutModel:
    settings = DropoutSettings.from_record(section)
    return estimate_dropout(
        history_from_dict(section["model"]["history"]),
        prior_strength=settings.prior_strength,
        default_rate=settings.default_rate,
        shrink=settings.shrink,
    )


def _type_dropout(model: DropoutModel, types: Sequence[Sequence[Any]], features: Sequence[str]) -> list[float]:
    return [
        model.probability(
            selection.Candidate(id="type", features=dict(zip(features, (str(v) for v in row[0]), strict=True)))
        )
        for row in types
    ]


def model_section(
    history: Any, settings: DropoutSettings, types: Sequence[Sequence[Any]], features: Sequence[str]
) -> dict[str, Any]:
    """What the announcement freezes of the dropout model (``history``: ``dropout_history.GatheredHistory``)."""
    section: dict[str, Any] = {
        "name": "dropout",
        "method": METHOD,
        "method_version": METHOD_VERSION,
        "settings": settings.to_dict(),
        "model": {"history": history.history.to_dict()},
        "history": history.meta(),
        "rule": RULE,
    }
    model = _fit(section)
    section["model"] = model.to_dict()
    section["type_dropout"] = _type_dropout(model, types, features)
    result: dict[str, Any] = json.loads(json.dumps(section))
    return result


def check_section(document: dict[str, Any]) -> list[str]:
    """The failures of a document's frozen model: its rates and per-type probabilities must follow from it."""
    section = document.get("reserves_model")
    if not section:
        return []
    model = _fit(section)
    failures = []
    if json.loads(json.dumps(model.to_dict())) != section["model"]:
        failures.append("the dropout model's rates do not follow from its history counts and settings")
    if json.loads(json.dumps(_type_dropout(model, document["types"], document["features"]))) != section["type_dropout"]:
        failures.append("the per-type dropout probabilities do not follow from the dropout model")
    return failures


def generator_seed(head: bytes) -> int:
    return int.from_bytes(hashlib.sha256(f"dropout-reserves:{head.hex()}".encode()).digest()[:8], "big") >> 1


def dropout_list(head: bytes, document: dict[str, Any], panel: Sequence[str], plain: Sequence[str]) -> DropoutReserves:
    """The dropout-aware reserves of an announced draw, compared with the chain's ``plain`` list."""
    section = document["reserves_model"]
    settings = DropoutSettings.from_record(section)
    rows, counts = table_from_record(document["types"])
    candidates = slot_candidates(rows, counts, document["features"])
    quotas = [selection.Quota(q["feature"], q["value"], int(q["min"]), int(q["max"])) for q in document["quotas"]]
    return choose_reserves(
        candidates,
        quotas,
        list(panel),
        int(document["reserves"]),
        _fit(section),
        np.random.default_rng(generator_seed(head)),
        scenarios=settings.scenarios,
        report_scenarios=settings.report_scenarios,
        shortlist=settings.shortlist,
        plain=list(plain),
    )
