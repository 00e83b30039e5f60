"""Clear errors (with codes, places and fixes) and the CSV loaders."""

from __future__ import annotations

import numpy as np
import pytest

from selection import (
    InfeasibleQuotasError,
    PoolTooSmallError,
    Quota,
    QuotaBoundsError,
    QuotaFileError,
    UnknownFeatureError,
    UnsupportedOptionError,
    load_people_csv,
    load_quotas_csv,
    select,
)
from tests.helpers.paths import FIXTURES
from tests.helpers.selection_helpers import people

DATA = FIXTURES / "selection"
ROWS = [("f", "y"), ("f", "o"), ("f", "o"), ("m", "y"), ("m", "o"), ("m", "o"), ("x", "y")]
RNG = np.random.default_rng


def test_unknown_feature_names_the_quota():
    with pytest.raises(UnknownFeatureError, match="quota sex=f: no candidate has a feature 'sex'"):
        select(people(ROWS), [Quota("sex", "f", 1, 2)], 3, rng=RNG(0))


def test_unknown_value_lists_the_known_values():
    with pytest.raises(UnknownFeatureError, match="known values: f, m, x") as info:
        select(people(ROWS), [Quota("gender", "female", 1, 2)], 3, rng=RNG(0))
    assert info.value.code == "unknown_feature"


def test_min_above_max():
    with pytest.raises(QuotaBoundsError, match="min 3 is greater than max 2"):
        select(people(ROWS), [Quota("gender", "f", 3, 2)], 3, rng=RNG(0))


def test_panel_larger_than_pool():
    with pytest.raises(PoolTooSmallError, match="larger than the pool of 7"):
        select(people(ROWS), [], 8, rng=RNG(0))


def test_panel_larger_than_number_of_households():
    crowded = people(ROWS, households={0: "a", 1: "a", 2: "a", 3: "b", 4: "b"})
    with pytest.raises(PoolTooSmallError, match="4 households"):
        select(crowded, [Quota("gender", "f", 0, 3)], 5, rng=RNG(0))


def test_infeasible_quotas_suggest_the_smallest_change():
    quotas = [Quota("gender", "f", 3, 3), Quota("age", "y", 0, 0)]  # 3 f needed, only 2 old f
    with pytest.raises(InfeasibleQuotasError) as info:
        select(people(ROWS), quotas, 4, rng=RNG(0))
    assert info.value.suggestions in (["lower min of gender=f from 3 to 2"], ["raise max of age=y from 0 to 1"])
    assert info.value.code == "infeasible_quotas"


def test_infeasible_when_pool_lacks_people_names_the_count():
    quotas = [Quota("gender", "x", 2, 3)]
    with pytest.raises(InfeasibleQuotasError, match="only 1 candidates have gender=x") as info:
        select(people(ROWS), quotas, 3, rng=RNG(0))
    assert info.value.suggestions == ["lower min of gender=x from 2 to 1"]


def test_flex_limits_bound_the_suggestion():
    quotas = [Quota("gender", "x", 2, 3, min_flex=2, max_flex=3)]
    with pytest.raises(InfeasibleQuotasError, match="flex"):
        select(people(ROWS), quotas, 3, rng=RNG(0))


def test_uniform_refuses_quotas():
    with pytest.raises(UnsupportedOptionError, match="use algorithm leximin"):
        select(people(ROWS), [Quota("gender", "f", 1, 2)], 3, rng=RNG(0), algorithm="uniform")


def test_our_quota_csv():
    quotas = load_quotas_csv(DATA / "quotas.csv")
    assert quotas[0] == Quota("gender", "female", 2, 3)
    assert len(quotas) == 4


def test_sf_features_csv_with_flex_and_case_insensitive_values():
    quotas = load_quotas_csv(DATA / "sf_features.csv")
    assert quotas[0] == Quota("Gender", "Female", 2, 3, min_flex=0, max_flex=4)
    candidates = load_people_csv(
        DATA / "sf_people.csv", features=["gender", "age"], household_by=["primary_address1", "zip_royal_mail"]
    )
    result = select(candidates, quotas, 4, rng=RNG(2), lottery_size=100)
    assert len(result.selected) == 4
    assert not {"101", "102"} <= set(result.selected)  # same address, different case


def test_sf_old_headers():
    assert load_quotas_csv(DATA / "sf_features_old.csv")[1] == Quota("gender", "male", 1, 3)


def test_malformed_csv_names_file_and_line():
    with pytest.raises(QuotaFileError, match=r"bad_quotas.csv:3: min is 'one', not a whole number"):
        load_quotas_csv(DATA / "bad_quotas.csv")


def test_missing_column_and_min_above_max(tmp_path):
    path = tmp_path / "q.csv"
    path.write_text("feature,value,minimum,max\ng,f,1,2\n")
    with pytest.raises(QuotaFileError, match=r"q.csv:1: missing column 'min'"):
        load_quotas_csv(path)
    path.write_text("feature,value,min,max\ng,f,1,2\n\ng,m,4,2\n")
    with pytest.raises(QuotaBoundsError, match=r"q.csv:4: g=m has min 4 greater than max 2"):
        load_quotas_csv(path)


def test_people_csv_ids_features_and_households():
    candidates = load_people_csv(DATA / "people.csv", household_by="household")
    assert candidates[0].id == "a1"
    assert dict(candidates[0].features) == {"gender": "female", "age": "young"}
    assert candidates[0].household == "h1" and candidates[2].household is None
    sf = load_people_csv(DATA / "sf_people.csv")
    assert sf[0].id == "101" and "email" in sf[0].features


def test_duplicate_person_id_names_the_line(tmp_path):
    path = tmp_path / "p.csv"
    path.write_text("id,g\n1,a\n2,b\n1,c\n")
    with pytest.raises(QuotaFileError, match=r"p.csv:4: id '1' repeats line 2"):
        load_people_csv(path)


def test_a_zero_min_quota_on_a_value_nobody_has_holds_and_is_reported():
    result = select(people(ROWS), [Quota("gender", "non-binary", 0, 1), Quota("gender", "f", 1, 2)], 3, rng=RNG(0))
    assert result.report["unused_quotas"] == ["gender=non-binary (nobody in the pool has it; check the spelling)"]
    with pytest.raises(UnknownFeatureError, match="known values: f, m, x"):
        select(people(ROWS), [Quota("gender", "non-binary", 1, 1)], 3, rng=RNG(0))
