"""Benchmark: our leximin against the Sortition Foundation's sortition-algorithms.

Run:  .venv/bin/python bench/selection_bench.py --sizes 500 2000 10000 --panels 30 100
Their side runs only when --sf-python points at a venv with sortition-algorithms installed.
--baseline DIR times another checkout's code (its bench/selection_bench.py and selection/, e.g. main's
from `git worktree add DIR main`) in the same run, just before ours at each size, as "baseline leximin".
"""

from __future__ import annotations

import math

import numpy as np

SEED = 20240601
FEATURES: dict[str, list[tuple[str, float, float]]] = {
    # value, population share, response multiplier (under-responding groups < 1)
    "gender": [("female", 0.50, 1.0), ("male", 0.48, 0.9), ("other", 0.02, 0.8)],
    "age_band": [
        ("16-29", 0.22, 0.5),
        ("30-44", 0.25, 0.8),
        ("45-59", 0.25, 1.0),
        ("60-74", 0.18, 1.3),
        ("75+", 0.10, 1.1),
    ],
    "ethnicity": [
        ("white", 0.80, 1.0),
        ("asian", 0.09, 0.6),
        ("black", 0.04, 0.5),
        ("mixed", 0.03, 0.6),
        ("arab", 0.01, 0.5),
        ("other", 0.03, 0.6),
    ],
    "region": [
        ("north", 0.20, 1.0),
        ("midlands", 0.17, 0.9),
        ("east", 0.15, 1.0),
        ("london", 0.16, 0.8),
        ("south", 0.20, 1.1),
        ("west", 0.12, 1.0),
    ],
    "imd_quintile": [("1", 0.20, 0.5), ("2", 0.20, 0.75), ("3", 0.20, 1.0), ("4", 0.20, 1.2), ("5", 0.20, 1.4)],
    "disability": [("yes", 0.18, 0.6), ("no", 0.82, 1.0)],
}


def make_people(n: int, *, households: bool, seed: int = SEED) -> list[dict[str, str]]:
    """Return n synthetic respondents (id, six features, address) with response bias."""
    rng = np.random.default_rng(seed)
    rows: list[dict[str, str]] = [{"id": f"p{i:05d}"} for i in range(n)]
    for feature, values in FEATURES.items():
        weights = np.array([share * resp for _, share, resp in values])
        picks = rng.choice(len(values), size=n, p=weights / weights.sum())
        for row, pick in zip(rows, picks, strict=True):
            row[feature] = values[pick][0]
    for i, row in enumerate(rows):
        row["address"] = f"a{i:05d}"
    if households:
        sharing = rng.permutation(n)[: n // 5]
        pos = 0
        while pos < len(sharing) - 1:
            size = int(rng.integers(2, 4))
            group = sharing[pos : pos + size]
            for member in group:
                rows[member]["address"] = f"h{group[0]:05d}"
            pos += size
    return rows


def make_quotas(k: int) -> list[tuple[str, str, int, int]]:
    """Return (feature, value, min, max) with min=floor(.8t), max=ceil(1.2t), t=share*k."""
    quotas = []
    for feature, values in FEATURES.items():
        for value, share, _ in values:
            target = share * k
            quotas.append((feature, value, math.floor(0.8 * target), math.ceil(1.2 * target)))
    return quotas


def gini(values: list[float]) -> float:
    """Gini coefficient (0 = equal)."""
    x = np.sort(np.asarray(values, dtype=float))
    if x.size == 0 or x.sum() == 0:
        return 0.0
    index = np.arange(1, x.size + 1)
    return float((2 * index - x.size - 1) @ x / (x.size * x.sum()))


def _peak_mb() -> float:
    import resource

    return resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024.0


def ours_worker(n: int, k: int, households: bool, algorithm: str) -> dict[str, object]:
    """Run our library in this process and return the measurements."""
    import time

    import selection

    rows = make_people(n, households=households)
    names = list(FEATURES)
    candidates = [selection.Candidate(r["id"], {f: r[f] for f in names}, r["address"]) for r in rows]
    quotas = [selection.Quota(*q) for q in make_quotas(k)]
    started, cpu = time.perf_counter(), time.process_time()
    result = selection.select(
        candidates, quotas, k, rng=np.random.default_rng(SEED), algorithm=algorithm, monte_carlo_draws=1000
    )
    seconds, cpu = time.perf_counter() - started, time.process_time() - cpu
    optimal = list(result.optimal_probabilities.values())
    lottery = list(result.probabilities.values())
    if algorithm == "legacy":  # one draw plus the Monte Carlo draws estimating probabilities
        return {
            "side": "ours",
            "algorithm": algorithm,
            "seconds": seconds / 1001,
            "per_draw": True,
            "draws": 1000,
            "peak_mb": _peak_mb(),
            "min_p": min(lottery),
            "max_p": max(lottery),
            "gini": gini(lottery),
        }
    return {
        "side": "ours",
        "algorithm": algorithm,
        "seconds": seconds,
        "cpu_seconds": cpu,  # this process's CPU time: less sensitive than the wall clock to a busy machine
        "peak_mb": _peak_mb(),
        "min_p": min(optimal),
        "max_p": max(optimal),
        "gini": gini(optimal),
        "lottery_min_p": min(lottery),
        "types": result.report.get("types"),
        "rounds": result.report.get("rounds"),
        "levels": result.report.get("levels"),
        "support": result.report.get("support"),
        **{f"lottery_{key}": value for key, value in (result.report.get("lottery") or {}).items()},
    }


def sf_worker(n: int, k: int, households: bool, algorithm: str, draws: int) -> dict[str, object]:
    """Run sortition-algorithms (their venv) in this process and return the measurements."""
    import contextlib
    import random
    import sys
    import time

    from sortition_algorithms import Settings
    from sortition_algorithms.committee_generation.legacy import find_random_sample_legacy
    from sortition_algorithms.committee_generation.leximin import find_distribution_leximin
    from sortition_algorithms.committee_generation.maximin import find_distribution_maximin
    from sortition_algorithms.features import read_in_features
    from sortition_algorithms.people import read_in_people

    random.seed(SEED)
    rows = make_people(n, households=households)
    head = ["id", *FEATURES, "address"]
    body = [{"feature": f, "value": v, "min": str(lo), "max": str(hi)} for f, v, lo, hi in make_quotas(k)]
    address = ["address"] if households else []
    settings = Settings(
        id_column="id", columns_to_keep=["address"], check_same_address=households, check_same_address_columns=address
    )
    with contextlib.redirect_stdout(sys.stderr):
        features, _, _ = read_in_features(["feature", "value", "min", "max"], body)
        people, _ = read_in_people(head, rows, features, settings)
        started = time.perf_counter()
        if algorithm == "legacy":
            counts: dict[str, int] = {}
            done = 0
            while done < draws and (done == 0 or time.perf_counter() - started < 60):
                panels, _ = find_random_sample_legacy(people, features, k, address, max_attempts=100)
                for person in panels[0]:
                    counts[person] = counts.get(person, 0) + 1
                done += 1
            seconds = (time.perf_counter() - started) / done
            probs = [counts.get(r["id"], 0) / done for r in rows]
            extra: dict[str, object] = {"draws": done, "per_draw": True}
        else:
            finder = find_distribution_maximin if algorithm == "maximin" else find_distribution_leximin
            committees, weights, _ = finder(features, people, k, address, "highspy")
            seconds = time.perf_counter() - started
            marginal: dict[str, float] = {}
            for committee, weight in zip(committees, weights, strict=True):
                for person in committee:
                    marginal[person] = marginal.get(person, 0.0) + weight
            probs = [marginal.get(r["id"], 0.0) for r in rows]
            extra = {"support": sum(1 for w in weights if w > 1e-9)}
    return {
        "side": "sf",
        "algorithm": algorithm,
        "seconds": seconds,
        "peak_mb": _peak_mb(),
        "min_p": min(probs),
        "max_p": max(probs),
        "gini": gini(probs),
        **extra,
    }


def _run(python: str, args: list[str], limit: float, script: str = __file__) -> dict[str, object]:
    import json
    import subprocess
    import sys
    import time

    started = time.perf_counter()
    try:
        done = subprocess.run(
            [python, script, "--worker", *args], capture_output=True, text=True, timeout=limit, check=False
        )
    except subprocess.TimeoutExpired:
        return {"status": f"timeout >{limit:.0f}s"}
    lines = [ln for ln in done.stdout.splitlines() if ln.startswith("{")]
    if done.returncode != 0 or not lines:
        error = (done.stderr.strip().splitlines() or ["no output"])[-1]
        print(f"  {args}: {error}", file=sys.stderr)
        if "gurobi" in error.lower() or "license" in error.lower():
            return {"status": "needs Gurobi (licence limit)"}
        return {"status": "error: " + error[:60]}
    result: dict[str, object] = json.loads(lines[-1])
    result["status"] = "ok"
    result["wall"] = time.perf_counter() - started
    return result


HEADER = (
    "| pool n | panel k | households | implementation | time (s) | CPU (s) | peak MB | min p | max p | Gini "
    "| min p / (k/n) | lottery min p | time vs ours | types | support | lottery L | worst shortfall (1/L) "
    "| below 1/L | at zero | new panels |"
)
RULE = "|---:|---:|:-:|---|---:|---:|---:|---:|---:|---:|---:|---:|---:|---:|---:|---:|---:|---:|---:|---:|"


def _lottery_cells(r: dict[str, object]) -> str:
    if "lottery_size" not in r:
        return " | | | | | | |"
    size = int(r["lottery_size"])  # type: ignore[call-overload]
    short = float(r["lottery_worst_shortfall"])  # type: ignore[arg-type]
    return (
        f" {r.get('types')} | {r.get('support')} | {size} | {short:.5f} ({short * size:.2f}) "
        f"| {r.get('lottery_below_bound')} | {r.get('lottery_at_zero')} | {r.get('lottery_new_panels', '-')} |"
    )


def _row(n: int, k: int, hh: bool, name: str, r: dict[str, object], base: float | None) -> str:
    if r.get("status") != "ok":
        status = str(r["status"])
        if base and status.startswith("timeout >"):
            limit = float(status.removeprefix("timeout >").rstrip("s"))
            return (
                f"| {n} | {k} | {'Y' if hh else '-'} | {name} | {status} | | | | | | | | >{limit / base:.0f}x "
                "| | | | | | |"
            )
        return f"| {n} | {k} | {'Y' if hh else '-'} | {name} | {status} |" + " |" * 14
    seconds = float(r["seconds"])  # type: ignore[arg-type]
    per = " /draw" if r.get("per_draw") else ""
    ratio = f"{seconds / base:.1f}x" if base and not per else ""
    fair = k / n
    low = float(r["min_p"])  # type: ignore[arg-type]
    low_text = f"({low:.2%})" if per else f"{low:.2%}"
    lottery = f"{float(r['lottery_min_p']):.2%}" if "lottery_min_p" in r else ""  # type: ignore[arg-type]
    cpu = f"{float(r['cpu_seconds']):.2f}" if "cpu_seconds" in r else ""  # type: ignore[arg-type]
    peak, high, gini_ = (float(r[key]) for key in ("peak_mb", "max_p", "gini"))  # type: ignore[arg-type]
    return (
        f"| {n} | {k} | {'Y' if hh else '-'} | {name} | {seconds:.{4 if per else 2}f}{per} | {cpu} | "
        f"{peak:.0f} | {low_text} | {high:.2%} | {gini_:.3f} | {low / fair:.2f} | {lottery} | {ratio} |"
        + _lottery_cells(r)
    )


def main() -> None:
    """Run the grid and print a markdown table."""
    import argparse
    import json
    import os
    import sys

    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--sizes", type=int, nargs="+", default=[500, 2000, 10000])
    parser.add_argument("--panels", type=int, nargs="+", default=[30, 100])
    parser.add_argument("--households", choices=["no", "yes", "both"], default="both")
    parser.add_argument("--sf-python", default="/tmp/sfbench/bin/python")
    parser.add_argument("--sf-algorithms", nargs="*", default=["maximin", "leximin", "legacy"])
    parser.add_argument("--ours-algorithms", nargs="*", default=["leximin"])
    parser.add_argument("--time-limit", type=float, default=300.0)
    parser.add_argument("--legacy-draws", type=int, default=200)
    parser.add_argument("--jsonl", default="", help="append every measurement to this file")
    parser.add_argument("--baseline", default="", help="a checkout whose selection/ is timed before ours")
    parser.add_argument(
        "--table-from", nargs="*", default=None, help="print the table from recorded --jsonl files instead of running"
    )
    args = parser.parse_args()
    if args.table_from is not None:
        _table_from(args.table_from)
        return
    sf = args.sf_python if os.path.exists(args.sf_python) else None
    house_options = {"no": [False], "yes": [True], "both": [False, True]}[args.households]
    print(HEADER)
    print(RULE)
    for n in args.sizes:
        for k in args.panels:
            for hh in house_options:
                base = None
                spec = [str(n), str(k), "y" if hh else "n"]
                runs = [("ours " + a, sys.executable, ["ours", *spec, a], __file__) for a in args.ours_algorithms]
                if args.baseline:
                    script = os.path.join(args.baseline, "bench", "selection_bench.py")
                    runs.insert(0, ("baseline leximin", sys.executable, ["ours", *spec, "leximin"], script))
                if sf:
                    sf_args = [
                        ("SF " + a, sf, ["sf", *spec, a, str(args.legacy_draws)], __file__) for a in args.sf_algorithms
                    ]
                    runs += sf_args
                for name, python, worker_args, script in runs:
                    result = _run(python, worker_args, args.time_limit, script)
                    if name == "ours leximin" and result.get("status") == "ok":
                        base = float(result["seconds"])  # type: ignore[arg-type]
                    print(_row(n, k, hh, name, result, base), flush=True)
                    if args.jsonl:
                        with open(args.jsonl, "a") as handle:
                            handle.write(json.dumps({"n": n, "k": k, "households": hh, "name": name, **result}) + "\n")


def _table_from(paths: list[str]) -> None:
    import json

    rows = []
    for path in paths:
        with open(path) as handle:
            rows += [json.loads(line) for line in handle if line.strip()]
    order = ["ours leximin", "baseline leximin", "ours legacy", "SF maximin", "SF leximin", "SF legacy"]
    rows.sort(key=lambda r: (r["n"], r["k"], r["households"], order.index(r["name"]) if r["name"] in order else 99))
    print(HEADER)
    print(RULE)
    base: dict[tuple[int, int, bool], float] = {}
    for r in rows:
        key = (r["n"], r["k"], r["households"])
        if r["name"] == "ours leximin" and r.get("status") == "ok":
            base[key] = float(r["seconds"])
        print(_row(r["n"], r["k"], r["households"], r["name"], r, base.get(key)))


def _worker(argv: list[str]) -> None:
    import json
    import sys

    side, n, k, hh, algorithm = argv[:5]
    sys.path.insert(0, str(__import__("pathlib").Path(__file__).resolve().parent.parent))
    if side == "ours":
        out = ours_worker(int(n), int(k), hh == "y", algorithm)
    else:
        out = sf_worker(int(n), int(k), hh == "y", algorithm, int(argv[5]))
    print(json.dumps(out))


if __name__ == "__main__":
    import sys as _sys

    if len(_sys.argv) > 1 and _sys.argv[1] == "--worker":
        _worker(_sys.argv[2:])
    else:
        main()
