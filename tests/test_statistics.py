"""Statistics of a comparison on synthetic replicates whose true differences are known.

A detectable shift must be detected, identical distributions must be reported as not
distinguishable (at no more than the test's nominal false-alarm rate), too few replicates must
say so, and every number must be the same on every call (seeded bootstrap).
"""

from __future__ import annotations

import numpy as np
import pandas as pd
import pytest
from scipy import stats

from analysis.statistics import (
    HIGHER,
    LOWER,
    MIN_PAIRS,
    SAME,
    TOO_FEW,
    compare_with_baseline,
    describe,
    paired_difference,
)


def test_a_detectable_shift_is_detected():
    rng = np.random.default_rng(1)
    baseline = rng.normal(100, 20, 10)          # seeds differ a lot from each other...
    policy = baseline + 5 + rng.normal(0, 2, 10)  # ...but the policy adds 5 to each one's twin
    result = paired_difference(baseline, policy)
    assert result.verdict == HIGHER
    assert result.p_value < 0.001
    assert result.ci_low > 0 and result.ci_low < 5 < result.ci_high
    assert result.effect_size_dz > 0.8
    assert result.relative_difference == pytest.approx(result.mean_difference / baseline.mean())
    assert paired_difference(policy, baseline).verdict == LOWER


def test_pairing_detects_what_unpaired_means_would_hide():
    """The shift is small against the spread between seeds: only pairing by seed reveals it."""
    rng = np.random.default_rng(2)
    baseline = rng.normal(100, 30, 8)
    policy = baseline + 3 + rng.normal(0, 1, 8)
    assert stats.ttest_ind(policy, baseline).pvalue > 0.5
    assert paired_difference(baseline, policy).verdict == HIGHER


def test_identical_runs_are_not_distinguishable():
    values = np.array([3.0, 5.0, 4.0, 8.0, 1.0])
    result = paired_difference(values, values.copy())
    assert result.verdict == SAME
    assert result.mean_difference == 0 and result.p_value == 1.0
    assert result.ci_low == result.ci_high == 0


def test_identical_distributions_are_rarely_called_different():
    """Same distribution under both scenarios: 'not distinguishable' in at least ~95 % of 400 trials."""
    rng = np.random.default_rng(3)
    verdicts = [paired_difference(rng.normal(50, 10, 6), rng.normal(50, 10, 6), rng).verdict for _ in range(400)]
    false_alarms = sum(v != SAME for v in verdicts) / len(verdicts)
    assert false_alarms <= 0.07, false_alarms


def test_a_shift_of_one_standard_deviation_is_usually_found_with_ten_replicates():
    rng = np.random.default_rng(4)
    found = [paired_difference(b := rng.normal(0, 1, 10), b + 1 + rng.normal(0, 1, 10), rng).verdict == HIGHER
             for _ in range(200)]
    assert np.mean(found) >= 0.6


def test_too_few_replicates_give_no_verdict():
    result = paired_difference(np.array([1.0, 2.0]), np.array([5.0, 6.0]))
    assert result.verdict == TOO_FEW and result.n_pairs == 2 < MIN_PAIRS
    assert np.isnan(result.p_value) and np.isnan(result.ci_low)
    assert result.mean_difference == 4.0


def test_a_constant_shift_in_every_pair_is_a_difference():
    result = paired_difference(np.array([1.0, 2.0, 3.0]), np.array([2.0, 3.0, 4.0]))
    assert result.verdict == HIGHER and result.p_value == 0.0
    assert result.ci_low == result.ci_high == pytest.approx(1.0)


def test_pairs_with_a_missing_value_are_dropped():
    """``mean_exchange_distance_km`` is NaN in a year without exchanges: such pairs cannot be compared."""
    baseline = np.array([1.0, np.nan, 3.0, 4.0, 5.0])
    policy = np.array([2.0, 2.0, np.nan, 5.0, 6.0])
    result = paired_difference(baseline, policy)
    assert result.n_pairs == 3
    assert result.mean_difference == pytest.approx(1.0)


def test_the_same_input_gives_the_same_intervals():
    rng = np.random.default_rng(5)
    a, b = rng.normal(0, 1, 7), rng.normal(0.3, 1, 7)
    assert paired_difference(a, b) == paired_difference(a, b)


def _tidy(values: dict[str, dict[int, float]], year: int = 2030) -> pd.DataFrame:
    return pd.DataFrame([{"scenario": s, "seed": seed, "year": year, "x": v}
                         for s, by_seed in values.items() for seed, v in by_seed.items()])


def test_describe_gives_the_student_t_interval_and_respects_bounds():
    rng = np.random.default_rng(6)
    x = rng.normal(0.9, 0.1, 5)
    table = _tidy({"a": dict(enumerate(x))})
    row = describe(table, ["x"]).iloc[0]
    low, high = stats.t.interval(0.95, len(x) - 1, x.mean(), stats.sem(x))
    assert (row.n, row["mean"]) == (5, pytest.approx(x.mean()))
    assert (row.ci_low, row.ci_high) == (pytest.approx(low), pytest.approx(high))
    clipped = describe(table, ["x"], bounds={"x": (0.0, 1.0)}).iloc[0]
    assert clipped.ci_high == min(high, 1.0) and clipped.ci_low == pytest.approx(low)


def test_describe_of_one_run_has_no_interval():
    row = describe(_tidy({"a": {1: 3.0}}), ["x"]).iloc[0]
    assert row.n == 1 and row["mean"] == 3.0 and np.isnan(row.ci_low)


def test_scenarios_are_paired_with_the_baseline_on_their_seeds():
    """Rows arrive in any order; seeds run under only one scenario are left out of the pairs."""
    base = {7: 10.0, 3: 30.0, 5: 50.0, 9: 90.0}
    policy = {5: 52.0, 3: 32.0, 7: 12.0, 11: 1000.0}  # +2 for each shared seed; 11 has no twin
    table = _tidy({"base": base, "policy": policy}).sample(frac=1, random_state=1)
    result = compare_with_baseline(table, "base", ["x"]).iloc[0]
    assert result.scenario == "policy" and result.n_pairs == 3
    assert result.mean_difference == pytest.approx(2.0) and result.verdict == HIGHER


def test_a_scenario_without_shared_seeds_is_reported_as_too_few():
    table = _tidy({"base": {1: 1.0, 2: 2.0, 3: 3.0}, "policy": {4: 9.0, 5: 9.0, 6: 9.0}})
    result = compare_with_baseline(table, "base", ["x"]).iloc[0]
    assert result.n_pairs == 0 and result.verdict == TOO_FEW


def test_the_verdict_is_read_from_the_interval_it_comes_with():
    """One method: the paired-t interval decides, so it agrees with the t-test, never with a second interval."""
    rng = np.random.default_rng(7)
    for _ in range(300):
        n = int(rng.integers(3, 15))
        b = rng.normal(10, 3, n)
        o = b + rng.normal(rng.choice([0.0, 0.5, 2.0]), rng.choice([0.5, 2.0]), n)
        r = paired_difference(b, o, rng)
        d = o - b
        low, high = stats.t.interval(0.95, n - 1, d.mean(), stats.sem(d))
        assert (r.ci_low, r.ci_high) == (pytest.approx(low), pytest.approx(high))
        assert (r.verdict == HIGHER) == (r.ci_low > 0) and (r.verdict == LOWER) == (r.ci_high < 0)
        assert (r.verdict != SAME) == (r.p_value < 0.05)
        assert r.boot_low <= r.boot_high
