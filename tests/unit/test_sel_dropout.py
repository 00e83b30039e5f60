"""Dropout model, simulated quota shortfall and dropout-aware reserves (pure, no database)."""

from __future__ import annotations

import numpy as np
import pytest

from selection import Candidate, Quota, UnknownCandidateError, replace
from selection.dropout import (
    DropoutHistory,
    DropoutHistoryError,
    ValueCounts,
    estimate_dropout,
    history_from_records,
)
from selection.dropout_reserves import choose_reserves
from selection.dropout_sim import Quotas, expected_shortfall, fill_seats, simulate
from selection.reserves import draw_reserves

RNG = np.random.default_rng


def _history(young: tuple[int, int], old: tuple[int, int]) -> DropoutHistory:
    rows = (ValueCounts("age", "young", *young), ValueCounts("age", "old", *old))
    return DropoutHistory(young[0] + old[0], young[1] + old[1], rows)


def test_no_history_gives_the_default_rate_to_everyone():
    model = estimate_dropout(DropoutHistory(0, 0), default_rate=0.2)
    assert model.prior_rate == pytest.approx(0.2)
    assert model.probability(Candidate("a", {"age": "young", "area": "x"})) == pytest.approx(0.2)


def test_plenty_of_data_converges_to_the_observed_rates():
    model = estimate_dropout(_history((1_000_000, 400_000), (1_000_000, 50_000)))
    assert model.probability(Candidate("a", {"Age": " Young "})) == pytest.approx(0.4, abs=1e-4)
    assert model.probability(Candidate("b", {"age": "old"})) == pytest.approx(0.05, abs=1e-4)
    assert model.prior_rate == pytest.approx(0.225, abs=1e-4)


def test_thin_data_stays_near_the_pooled_rate():
    model = estimate_dropout(_history((2, 2), (400, 40)), prior_strength=20)
    pooled = (42 + 20 * 0.15) / (402 + 20)
    assert model.prior_rate == pytest.approx(pooled)
    assert model.rates[("age", "young")] == pytest.approx((2 + 20 * pooled) / 22)
    assert pooled < model.probability(Candidate("a", {"age": "young"})) < 0.5
    assert model.probability(Candidate("z", {"age": "unseen"})) == pytest.approx(pooled)


def test_effects_combine_on_the_odds_scale():
    rows = (ValueCounts("age", "young", 10**6, 4 * 10**5), ValueCounts("area", "deprived", 10**6, 4 * 10**5))
    model = estimate_dropout(DropoutHistory(4 * 10**6, 8 * 10**5, rows))  # pooled 0.2: odds 1/4
    both = model.probability(Candidate("a", {"age": "young", "area": "deprived"}))
    odds = 0.25 * (0.4 / 0.6 / 0.25) ** 2
    assert both == pytest.approx(odds / (1 + odds), abs=1e-4)
    half = estimate_dropout(DropoutHistory(4 * 10**6, 8 * 10**5, rows), shrink=0.5)
    assert 0.2 < half.probability(Candidate("a", {"age": "young", "area": "deprived"})) < both


@pytest.mark.parametrize(
    ("history", "options", "words"),
    [
        (DropoutHistory(3, 4), {}, "must not exceed"),
        (DropoutHistory(3, -1), {}, "negative"),
        (DropoutHistory(3, 1, (ValueCounts("age", "y", 1, 2),)), {}, "age=y"),
        (DropoutHistory(3, 1), {"prior_strength": 0}, "prior strength"),
        (DropoutHistory(3, 1), {"default_rate": 1.0}, "default dropout rate"),
    ],
)
def test_impossible_history_is_refused_with_the_place(history, options, words):
    with pytest.raises(DropoutHistoryError, match=words):
        estimate_dropout(history, **options)


def test_history_from_records_counts_per_quota_feature():
    records = [({"Age": "young", "x": "1"}, True), ({"age": "Young"}, False), ({"age": "old"}, False)]
    history = history_from_records(records, ["age"])
    assert (history.accepted, history.dropped) == (3, 1)
    assert history.by_value == (ValueCounts("age", "old", 1, 0), ValueCounts("age", "young", 2, 1))


def test_a_dropped_seat_takes_the_present_reserve_that_restores_the_quotas():
    quotas = Quotas.of([Quota("age", "young", 1, 1), Quota("age", "old", 1, 1)])
    panel = np.array([[1.0, 0.0], [0.0, 1.0]])  # young, old
    reserves = np.array([[0.0, 1.0], [1.0, 0.0]])  # old first, then young
    panel_out = np.array([[True, False], [True, False], [False, False]])
    reserves_out = np.array([[False, False], [False, True], [False, False]])
    shortfall, empty = simulate(quotas, panel, panel_out, reserves, reserves_out)
    assert shortfall.sum(axis=1).tolist() == [0.0, 1.0, 0.0]  # young reserve out: the old one sits
    assert empty.tolist() == [0, 0, 0]


def _instance():
    """Panel of 3 young and 7 old; young people drop out far more often."""
    people = [Candidate(f"y{i:02d}", {"age": "young"}) for i in range(15)]
    people += [Candidate(f"o{i:02d}", {"age": "old"}) for i in range(25)]
    quotas = [Quota("age", "young", 3, 4), Quota("age", "old", 6, 7)]
    selected = ["y00", "y01", "y02", *(f"o{i:02d}" for i in range(7))]
    model = estimate_dropout(_history((10_000, 6_000), (10_000, 500)))
    return people, quotas, selected, model


def test_dropout_aware_list_beats_the_plain_list_where_one_group_drops_out_more():
    people, quotas, selected, model = _instance()
    result = choose_reserves(people, quotas, selected, 3, model, RNG(7), scenarios=400, report_scenarios=4000)
    rows = result.report["evaluation"]["lists"]
    assert result.plain == draw_reserves(people, quotas, selected, 3, RNG(7))
    assert sum(r.startswith("y") for r in result.reserves) > sum(r.startswith("y") for r in result.plain)
    assert rows["dropout-aware"]["expected_shortfall"] < rows["plain"]["expected_shortfall"]
    assert rows["dropout-aware"]["difference_to_plain"] < -3 * rows["dropout-aware"]["difference_standard_error"]
    assert rows["no reserves"]["expected_shortfall"] >= rows["plain"]["expected_shortfall"]
    assert result.report["training"]["dropout-aware"] <= result.report["training"]["plain"]


@pytest.mark.parametrize("seed", [1, 2, 3, 4])
def test_never_worse_than_the_plain_list_on_random_instances(seed):
    rng = RNG(seed)
    names = ("age", "area")
    people = [
        Candidate(f"p{i:03d}", {"age": str(rng.choice(["y", "m", "o"])), "area": str(rng.choice(["a", "b"]))})
        for i in range(80)
    ]
    selected = [c.id for c in people[:12]]
    counts = {f: {} for f in names}
    for c in people[:12]:
        for f in names:
            counts[f][c.features[f]] = counts[f].get(c.features[f], 0) + 1
    quotas = [Quota(f, v, max(n - 1, 0), n + 1) for f in names for v, n in sorted(counts[f].items())]
    history = history_from_records(
        [(c.features, bool(rng.random() < (0.5 if c.features["age"] == "y" else 0.1))) for c in people], names
    )
    model = estimate_dropout(history)
    result = choose_reserves(people, quotas, selected, 4, model, RNG(seed), scenarios=300, report_scenarios=3000)
    rows = result.report["evaluation"]["lists"]
    assert result.report["training"]["dropout-aware"] <= result.report["training"]["plain"]
    slack = 3 * rows["dropout-aware"]["difference_standard_error"] + 1e-12
    assert rows["dropout-aware"]["difference_to_plain"] <= slack
    assert len(result.reserves) == 4 and not set(result.reserves) & set(selected)


def test_households_are_kept_apart():
    people = [Candidate(f"y{i}", {"age": "young"}, household="h" + str(i // 2)) for i in range(8)]
    people += [Candidate(f"o{i}", {"age": "old"}) for i in range(8)]
    quotas = [Quota("age", "young", 2, 3), Quota("age", "old", 2, 3)]
    model = estimate_dropout(_history((1000, 600), (1000, 50)))
    result = choose_reserves(people, quotas, ["y0", "y2", "o0", "o1"], 4, model, RNG(3), scenarios=100)
    houses = {c.id: c.household for c in people}
    assert not {"y1", "y3"} & set(result.reserves)  # housemates of the panel
    reserve_houses = [houses[r] for r in result.reserves if houses[r] is not None]
    assert len(reserve_houses) == len(set(reserve_houses))


def test_deterministic_given_the_seed():
    people, quotas, selected, model = _instance()
    one = choose_reserves(people, quotas, selected, 3, model, RNG(11), scenarios=200, report_scenarios=500)
    two = choose_reserves(people, quotas, selected, 3, model, RNG(11), scenarios=200, report_scenarios=500)
    assert one == two
    again = expected_shortfall(
        people, quotas, selected, {"a": one.reserves}, model, scenarios=500, seed=one.report["evaluation"]["seed"]
    )
    recorded = one.report["evaluation"]["lists"]["dropout-aware"]
    assert again["lists"]["a"] == {k: v for k, v in recorded.items() if k in again["lists"]["a"]}
    assert again["lists"]["a"]["expected_shortfall"] == recorded["expected_shortfall"]


def test_the_shortlist_still_finds_the_group_that_drops_out_more():
    people, quotas, selected, model = _instance()
    people += [Candidate(f"x{i:02d}", {"age": "middle"}) for i in range(5)]  # counts towards no quota
    result = choose_reserves(people, quotas, selected, 3, model, RNG(7), scenarios=300, shortlist=1)
    assert result.report["shortlist"] == 1
    assert not any(r.startswith("x") for r in result.reserves)
    rows = result.report["evaluation"]["lists"]
    assert rows["dropout-aware"]["expected_shortfall"] < rows["plain"]["expected_shortfall"]


def test_the_report_records_the_model_and_its_inputs():
    people, quotas, selected, model = _instance()
    report = choose_reserves(people, quotas, selected, 2, model, RNG(1), scenarios=50, report_scenarios=50).report
    assert report["model"]["history"]["by_value"][1] == {
        "feature": "age",
        "value": "young",
        "accepted": 10_000,
        "dropped": 6_000,
    }
    assert report["model"]["prior_strength"] == model.prior_strength
    assert report["evaluation"]["scenarios"] == 50


def test_an_unknown_panel_member_is_named():
    people, quotas, _, model = _instance()
    with pytest.raises(UnknownCandidateError, match="zz"):
        choose_reserves(people, quotas, ["zz"], 2, model, RNG(1))


@pytest.mark.parametrize("seed", [5, 6, 7])
def test_one_dropout_is_filled_as_replace_fills_it(seed):
    rng = RNG(seed)
    people = [
        Candidate(f"p{i:02d}", {"g": str(rng.choice(["a", "b"])), "h": str(rng.choice(["x", "y"]))}) for i in range(14)
    ]
    panel, reserves = [c.id for c in people[:6]], [c.id for c in people[6:]]
    values = sorted({(f, people[i].features[f]) for i in range(6) for f in ("g", "h")})
    quotas = [Quota(f, v, max(sum(people[i].features[f] == v for i in range(6)) - 1, 0), 4) for f, v in values]
    q = Quotas.of(quotas)
    checked = 0
    for gone in range(6):
        expected = replace(people, quotas, panel, dropout=panel[gone], reserves=reserves)
        if not expected.quota_ok:
            continue
        out = np.zeros((1, 6), dtype=bool)
        out[0, gone] = True
        base = (~out).astype(float) @ q.incidence(people[:6])
        after, empty = fill_seats(q, base, out.sum(axis=1), q.incidence(people[6:]), np.ones((1, 8), dtype=bool))
        chosen = next(c for c in people if c.id == expected.chosen)
        assert after[0].tolist() == (base[0] + q.incidence([chosen])[0]).tolist()
        assert empty.tolist() == [0]
        checked += 1
    assert checked
