"""Benchmark: expected quota shortfall after dropouts, plain reserves against dropout-aware reserves.

Run:  .venv/bin/python bench/reserves_bench.py --sizes 1000:30:6 5000:60:10 20000:100:15

Each size is n:k:reserves. The pool and quotas are selection_bench's (six features, response
bias). The true dropout chance is logistic-additive: a base rate of 10% with higher odds for
the young, the deprived (IMD quintiles 1-2) and the disabled. The model is estimated from a
synthetic history of ``--history`` past acceptors drawn from the same truth; the panel is a
legacy draw; the named baseline is the plain ordered list (``draw_reserves``), built in the
same run from the same generator. Both lists are scored on the same ``--scenarios`` fresh
scenarios under the true dropout chances (and, for reference, under the estimated model).
"""

from __future__ import annotations

import argparse
import datetime
import sys
import time
from pathlib import Path

import numpy as np

sys.path.insert(0, str(Path(__file__).resolve().parent))

from selection_bench import FEATURES, SEED, make_people, make_quotas  # noqa: E402

import selection  # noqa: E402
from selection.dropout import DropoutHistory, DropoutModel, estimate_dropout, history_from_records  # noqa: E402
from selection.dropout_reserves import choose_reserves  # noqa: E402
from selection.dropout_sim import expected_shortfall  # noqa: E402

BASE_RATE = 0.10
ODDS = {  # odds multipliers on the base rate: who drops out more
    ("age_band", "16-29"): 3.0,
    ("age_band", "30-44"): 1.5,
    ("imd_quintile", "1"): 2.5,
    ("imd_quintile", "2"): 1.6,
    ("disability", "yes"): 1.5,
}


def truth() -> DropoutModel:
    """The true dropout chances, written as a logistic-additive model (no estimation)."""
    odds = BASE_RATE / (1 - BASE_RATE)
    rates = {key: odds * mult / (1 + odds * mult) for key, mult in ODDS.items()}
    return DropoutModel(BASE_RATE, 1.0, BASE_RATE, 1.0, DropoutHistory(0, 0), rates)


def history(size: int, seed: int) -> DropoutHistory:
    """Past acceptors drawn from the pool's distribution, each dropping out with the true chance."""
    rng = np.random.default_rng([seed, 1])  # not make_people's stream: that would tie dropout to gender
    model = truth()
    rows = make_people(size, households=False, seed=seed)
    records = []
    for row in rows:
        values = {f: row[f] for f in FEATURES}
        records.append((values, bool(rng.random() < model.probability_of(values))))
    return history_from_records(records, FEATURES)


def run(n: int, k: int, reserves: int, args: argparse.Namespace) -> dict[str, object]:
    """Draw a panel, both reserve lists, and score them; return one table row."""
    rows = make_people(n, households=True)
    candidates = [selection.Candidate(r["id"], {f: r[f] for f in FEATURES}, r["address"]) for r in rows]
    quotas = [selection.Quota(*q) for q in make_quotas(k)]
    panel = selection.select(
        candidates, quotas, k, rng=np.random.default_rng(SEED), algorithm="legacy", monte_carlo_draws=1
    ).selected
    model = estimate_dropout(history(args.history, SEED + 1), prior_strength=args.prior_strength)
    started = time.perf_counter()
    result = choose_reserves(
        candidates,
        quotas,
        panel,
        reserves,
        model,
        np.random.default_rng(SEED),
        scenarios=args.training,
        report_scenarios=2,
    )
    seconds = time.perf_counter() - started
    lists = {"dropout-aware": result.reserves, "plain": result.plain}
    true = expected_shortfall(
        candidates, quotas, panel, lists, truth(), scenarios=args.scenarios, seed=SEED + 2, baseline="plain"
    )["lists"]
    modelled = expected_shortfall(
        candidates, quotas, panel, lists, model, scenarios=args.scenarios, seed=SEED + 2, baseline="plain"
    )["lists"]
    return {
        "n": n,
        "k": k,
        "R": reserves,
        "none": true["no reserves"]["expected_shortfall"],
        "plain": true["plain"]["expected_shortfall"],
        "aware": true["dropout-aware"]["expected_shortfall"],
        "diff": true["dropout-aware"]["difference_to_plain"],
        "se": true["dropout-aware"]["difference_standard_error"],
        "model_plain": modelled["plain"]["expected_shortfall"],
        "model_aware": modelled["dropout-aware"]["expected_shortfall"],
        "seconds": seconds,
        "kept": result.report["kept"],
    }


def main() -> None:
    """Parse the sizes, run each and print a markdown table."""
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--sizes", nargs="+", default=["1000:30:6", "5000:60:10", "20000:100:15"])
    parser.add_argument("--scenarios", type=int, default=5000, help="scoring scenarios (same for both lists)")
    parser.add_argument("--training", type=int, default=400, help="scenarios the chooser optimises on")
    parser.add_argument("--history", type=int, default=1500, help="past acceptors the model is estimated from")
    parser.add_argument("--prior-strength", type=float, default=20.0)
    args = parser.parse_args()
    print(f"# reserves_bench {datetime.datetime.now(datetime.UTC):%Y-%m-%d %H:%M} UTC, seed {SEED}")
    print(f"# scoring scenarios {args.scenarios}, training {args.training}, history {args.history} acceptors")
    head = "| n | k | reserves | no reserves | plain (baseline) | dropout-aware | difference ± se | "
    head += "model: plain / aware | choose s | kept |"
    print(head)
    print("|" + "---|" * 10)
    for size in args.sizes:
        n, k, r = (int(x) for x in size.split(":"))
        row = run(n, k, r, args)
        print(
            f"| {n:,} | {k} | {r} | {row['none']:.3f} | {row['plain']:.3f} | {row['aware']:.3f} | "
            f"{row['diff']:+.3f} ± {row['se']:.3f} | {row['model_plain']:.3f} / {row['model_aware']:.3f} | "
            f"{row['seconds']:.1f} | {row['kept']} |",
            flush=True,
        )


if __name__ == "__main__":
    main()
