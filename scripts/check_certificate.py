#!/usr/bin/env python3
"""Check a leximin fairness certificate without trusting the program that made it.

Usage:  python check_certificate.py cert.json [--json]
Needs Python 3.9+ and numpy only; imports nothing else from the project. Exit 0: every check
passed; exit 1: a check failed (each failure is listed); exit 2: the file cannot be read.

What is checked (the format is in docs/draws-provable.md):
1. The lottery: each of the L panels has panel_size distinct known members, meets every quota and
   the household rule; each stated probability is exactly (panels containing them) / L; nobody with
   a positive optimal probability is at zero, nor further below it than the stated worst shortfall.
2. The optimal distribution: every composition is a feasible panel, the weights are >= 0, sum to 1
   and give each type its stated optimal probability.
3. The dual bound, level by level: the stated multipliers combine the rows of the level's linear
   programme into an upper bound on its minimum (valid for inexact multipliers too), which must not
   exceed the stated level, and the distribution must reach it. Together: no lottery over feasible
   panels gives the worst-off a higher chance, then the next.

Cuts (inequalities the solver proved valid for every integral panel) cannot be re-proved with
numpy alone; when a level relies on one, this is said in the output.
"""

from __future__ import annotations

import json
import sys

import numpy as np

TOL = 1e-7


class Checker:
    def __init__(self, cert: dict) -> None:
        self.cert = cert
        self.failures: list[str] = []
        self.notes: list[str] = []
        self.k = int(cert["panel_size"])
        self.types = cert["types"]
        self.sizes = np.array([int(t["count"]) for t in self.types], dtype=float)
        features = list(cert["features"])
        self.quotas = cert["quotas"]
        self.incidence = np.zeros((len(self.quotas), len(self.types)))
        for q, quota in enumerate(self.quotas):
            column = features.index(quota["feature"])
            for t, kind in enumerate(self.types):
                self.incidence[q, t] = kind["values"][column] == quota["value"]
        self.qmin = np.array([float(q["min"]) for q in self.quotas])
        self.qmax = np.array([float(q["max"]) for q in self.quotas])
        self.households = [list(map(int, h)) for h in cert.get("households", [])]
        self.type_of: dict[str, int] = {}
        for t, kind in enumerate(self.types):
            if len(kind["members"]) != int(kind["count"]):
                self.fail(f"type {t} lists {len(kind['members'])} members but counts {kind['count']}")
            for member in kind["members"]:
                if member in self.type_of:
                    self.fail(f"member {member} is in two types")
                self.type_of[str(member)] = t
        self.optimal = np.array([float(t["optimal_probability"]) for t in self.types])

    def fail(self, text: str) -> None:
        self.failures.append(text)

    def feasible(self, counts: np.ndarray) -> str | None:
        """Why a composition (members per type) is not a feasible panel, or None."""
        if round(counts.sum()) != self.k:
            return f"it has {int(counts.sum())} members, not {self.k}"
        if (counts > self.sizes).any() or (counts < 0).any():
            return "it uses a type more often than the type has members"
        per_quota = self.incidence @ counts
        for q, quota in enumerate(self.quotas):
            if not self.qmin[q] <= per_quota[q] <= self.qmax[q]:
                return (
                    f"{quota['feature']}={quota['value']} has {int(per_quota[q])}, not {quota['min']}..{quota['max']}"
                )
        for group in self.households:
            if counts[group].sum() > 1:
                return "two members of one household"
        return None

    def check_lottery(self) -> None:
        lottery = self.cert["lottery"]
        panels = lottery["panels"]
        size = len(panels)
        if size != int(lottery["size"]) or size == 0:
            self.fail(f"the lottery lists {size} panels but states {lottery['size']}")
            return
        if not 0 <= int(lottery["index"]) < size:
            self.fail(f"the drawn index {lottery['index']} is outside the lottery")
        appearances = dict.fromkeys(self.type_of, 0)
        for number, panel in enumerate(panels, start=1):
            if len(set(panel)) != len(panel):
                self.fail(f"panel {number} names someone twice")
            counts = np.zeros(len(self.types))
            for member in panel:
                if member not in self.type_of:
                    self.fail(f"panel {number} names {member}, who is not in the pool")
                    continue
                counts[self.type_of[member]] += 1
                appearances[member] += 1
            why = self.feasible(counts)
            if why:
                self.fail(f"panel {number} is not feasible: {why}")
        index = int(lottery["index"])
        if "selected" in lottery and 0 <= index < size and sorted(lottery["selected"]) != sorted(panels[index]):
            self.fail("the selected panel is not the lottery's panel at the drawn index")
        stated = lottery["probabilities"]
        worst = 0.0
        for member, t in self.type_of.items():
            actual = appearances[member] / size
            if member not in stated or abs(float(stated[member]) - actual) > 1e-12:
                self.fail(f"{member}'s stated probability {stated.get(member)} is not {appearances[member]}/{size}")
            if self.optimal[t] > TOL and appearances[member] == 0:
                self.fail(f"{member} has a positive optimal probability but is in no panel")
            worst = max(worst, self.optimal[t] - actual)
        claimed = lottery.get("worst_shortfall")
        if claimed is not None and worst > float(claimed) + 1e-9:
            self.fail(f"the worst shortfall is {worst:.6g}, more than the stated {claimed}")
        if lottery.get("bound_met") and worst > 1.0 / size + 1e-9:
            self.fail(f"the 1/L bound is stated as met but someone falls {worst:.6g} > 1/{size} below")
        self.worst = worst

    def check_distribution(self) -> None:
        total = 0.0
        reached = np.zeros(len(self.types))
        for number, entry in enumerate(self.cert["distribution"], start=1):
            weight = float(entry["probability"])
            if weight < 0:
                self.fail(f"composition {number} has a negative probability")
            counts = np.zeros(len(self.types))
            for t, c in entry["composition"]:
                counts[int(t)] += int(c)
            why = self.feasible(counts)
            if why:
                self.fail(f"composition {number} of the optimal distribution is not feasible: {why}")
            total += weight
            reached += weight * counts
        if abs(total - 1.0) > 1e-9:
            self.fail(f"the optimal distribution's probabilities sum to {total!r}, not 1")
        gap = np.abs(reached / self.sizes - self.optimal)
        if gap.max(initial=0.0) > TOL:
            self.fail(f"the distribution does not give the stated optimal probabilities (off by {gap.max():.3g})")

    def level_rows(self, fixed_at: dict[int, float], free: np.ndarray) -> tuple[list, list, list]:
        """The level LP's rows over (x_1..x_T, z), in the solver's order, as (coefficients, lower, upper)."""
        size = len(self.types)
        rows, lower, upper = [], [], []
        for q in range(len(self.quotas)):
            rows.append(np.r_[self.incidence[q], 0.0])
            lower.append(self.qmin[q])
            upper.append(self.qmax[q])
        rows.append(np.r_[np.ones(size), 0.0])
        lower.append(float(self.k))
        upper.append(float(self.k))
        for group in self.households:
            row = np.zeros(size + 1)
            row[group] = 1.0
            rows.append(row)
            lower.append(0.0)
            upper.append(1.0)
        slack = float(self.cert.get("fix_slack", 0.0))
        for t in range(size):
            row = np.zeros(size + 1)
            row[t] = 1.0
            if free[t]:
                row[size] = -self.sizes[t]
                lower.append(0.0)
            else:
                lower.append(self.sizes[t] * (fixed_at[t] - slack))
            rows.append(row)
            upper.append(np.inf)
        for cut in self.cert.get("cuts", []):
            row = np.zeros(size + 1)
            row[np.array(cut["types"], dtype=int)] = np.array(cut["weights"], dtype=float)
            rows.append(row)
            lower.append(-np.inf)
            upper.append(float(cut["bound"]))
        return rows, lower, upper

    def level_bound(self, multipliers: np.ndarray, rows: list, lower: list, upper: list) -> float:
        """An upper bound on z valid for every feasible (x, z), whatever the multipliers' rounding errors."""
        matrix = np.array(rows)
        if len(multipliers) != len(matrix):
            raise ValueError(f"{len(multipliers)} multipliers for {len(matrix)} rows")
        combined = multipliers @ matrix
        right = 0.0
        for y, lo, hi in zip(multipliers, lower, upper, strict=True):
            if y > 0:
                right += y * hi
            elif y < 0:
                right += y * lo
            if not np.isfinite(right):
                raise ValueError("a multiplier uses an unbounded side of its row")
        gx, gz = combined[:-1], combined[-1]
        right += float(np.maximum(0.0, -gx) @ self.sizes)  # 0 <= x_t <= n_t
        if gz <= 1e-12:  # the level is bounded by z <= 1 (a probability) alone
            return 1.0
        return min(1.0, right / gz)

    def check_levels(self) -> None:
        size = len(self.types)
        free = np.ones(size, dtype=bool)
        fixed_at: dict[int, float] = {}
        previous = -np.inf
        cuts = self.cert.get("cuts", [])
        for number, level in enumerate(self.cert["levels"], start=1):
            value = float(level["value"])
            rows, lower, upper = self.level_rows(fixed_at, free)
            multipliers = np.array(level["multipliers"], dtype=float)
            try:
                bound = self.level_bound(multipliers, rows, lower, upper)
            except ValueError as exc:
                self.fail(f"level {number}: the multipliers prove nothing ({exc})")
                bound = np.inf
            if bound > value + TOL:
                self.fail(f"level {number}: the multipliers bound the minimum by {bound:.9g}, above the stated {value}")
            if cuts and np.any(np.abs(multipliers[len(rows) - len(cuts) :]) > 1e-12):
                self.notes.append(f"level {number} relies on cuts, whose validity needs an integer solver to re-check")
            if value < previous - TOL:
                self.fail(f"level {number} ({value}) is below the level before it")
            previous = value
            for t in level["fixed"]:
                t = int(t)
                if not free[t]:
                    self.fail(f"level {number} fixes type {t}, already fixed")
                    continue
                if abs(self.optimal[t] - value) > 1e-6 and self.optimal[t] < value - TOL:
                    self.fail(f"level {number}: type {t} gets {self.optimal[t]:.9g}, below the level {value}")
                free[t] = False
                fixed_at[t] = value
            for t in np.flatnonzero(free):
                if self.optimal[t] < value - TOL:
                    self.fail(f"level {number}: type {t}, still free, gets {self.optimal[t]:.9g}, below {value}")
        if free.any():
            self.fail(f"{int(free.sum())} types are fixed at no level")

    def run(self) -> dict:
        if self.cert.get("format") != "participant-panel/leximin-certificate/1":
            self.fail(f"unknown certificate format {self.cert.get('format')!r}")
            return self.summary()
        self.worst = float("nan")
        for check in (self.check_lottery, self.check_distribution, self.check_levels):
            try:
                check()
            except (KeyError, TypeError, ValueError, IndexError) as exc:
                self.fail(f"{check.__name__}: malformed certificate ({type(exc).__name__}: {exc})")
        return self.summary()

    def summary(self) -> dict:
        levels = self.cert.get("levels") or [{}]
        return {
            "valid": not self.failures,
            "failures": self.failures,
            "notes": self.notes,
            "people": len(self.type_of) if hasattr(self, "type_of") else 0,
            "lottery_size": len(self.cert.get("lottery", {}).get("panels", [])),
            "levels": len(self.cert.get("levels", [])),
            "minimum_probability": levels[0].get("value"),
            "worst_shortfall": self.worst if hasattr(self, "worst") else None,
        }


def check(cert: dict) -> dict:
    """Check a certificate (parsed JSON); return a summary with ``valid`` and the failures."""
    try:
        return Checker(cert).run()
    except (KeyError, TypeError, ValueError, IndexError, AttributeError) as exc:
        return {"valid": False, "failures": [f"malformed certificate ({type(exc).__name__}: {exc})"], "notes": []}


def main(argv: list[str]) -> int:
    args = [a for a in argv if a != "--json"]
    if len(args) != 1:
        print("usage: check_certificate.py CERT.json [--json]", file=sys.stderr)
        return 2
    try:
        with open(args[0], encoding="utf-8") as handle:
            cert = json.load(handle)
    except (OSError, ValueError) as exc:
        print(f"Error: cannot read the certificate {args[0]}: {exc}", file=sys.stderr)
        return 2
    result = check(cert)
    if "--json" in argv:
        print(json.dumps(result, indent=2))
    else:
        for line in result["failures"]:
            print(f"FAILED: {line}")
        for line in result["notes"]:
            print(f"Note: {line}")
        if result["valid"]:
            print(
                f"Certificate valid: {result['people']} people, a lottery of {result['lottery_size']} feasible panels "
                f"with the stated probabilities; {result['levels']} leximin levels proven optimal "
                f"(lowest {result['minimum_probability']:.6g}); worst shortfall against the optimum "
                f"{result['worst_shortfall']:.6g}"
            )
    return 0 if result["valid"] else 1


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
