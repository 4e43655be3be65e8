"""Honest statistics for replicated runs: confidence intervals and paired comparisons.

Replicates of a scenario differ only by their seed, and every scenario is run with the same
seeds (common random numbers, docs/ODD.md §4, Stochasticity), so a policy is judged on the **paired differences**
`scenario − baseline` of runs that share a seed: pairing removes the run-to-run noise both share.
For each indicator and year this module gives

* the mean across replicates with a Student-t 95 % confidence interval;
* the mean paired difference with its paired Student-t 95 % interval, the paired t-test
  (``scipy.stats.ttest_rel``) that goes with it, and the effect size Cohen's d_z (mean difference
  / standard deviation of the differences);
* a verdict a planner can read, **from that same interval**: ``higher`` or ``lower`` than the
  baseline only when the interval excludes zero (the same thing as the t-test rejecting at 5 %),
  ``not distinguishable`` otherwise, ``too few replicates`` when fewer than :data:`MIN_PAIRS`
  pairs exist (nothing can be said). :func:`reading` adds, for the plain-words summary, whether a
  difference that is not confirmed still leans one way (``likely higher``: p < 0.20);
* a percentile bootstrap 95 % interval (seeded, so the output is the same every time), for
  analysts only: with 5 replicates it is too narrow (it undercovers), so it never decides a
  verdict; a report that showed it next to the t-test's verdict would contradict itself whenever
  the two disagree.

The t-test rather than Wilcoxon's signed-rank test: with the 5 to 10 replicates a planner runs,
Wilcoxon's smallest attainable two-sided p-value (0.0625 for 5 pairs) cannot reach 5 %.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import asdict, dataclass

import numpy as np
import pandas as pd
from scipy import stats

LEVEL = 0.95            # confidence level of every interval
ALPHA = 0.05            # significance level of the paired test
MIN_PAIRS = 3           # fewer paired replicates than this: no verdict
N_BOOTSTRAP = 2000      # bootstrap resamples
BOOTSTRAP_SEED = 20260  # fixed: the same inputs always give the same intervals

LIKELY_ALPHA = 0.20     # a difference not confirmed at ALPHA but with p below this "likely" leans one way

HIGHER, LOWER, SAME, TOO_FEW = "higher", "lower", "not distinguishable", "too few replicates"
LIKELY_HIGHER, LIKELY_LOWER = "likely higher", "likely lower"


@dataclass(frozen=True)
class PairedDifference:
    """``other − baseline`` over runs paired by seed, for one indicator (and year)."""

    n_pairs: int
    baseline_mean: float
    mean_difference: float
    relative_difference: float  # mean difference / |baseline mean|; NaN when the baseline mean is 0
    ci_low: float               # paired Student-t interval of the mean difference: the verdict's interval
    ci_high: float
    p_value: float              # paired t-test, two-sided (p < ALPHA exactly when the interval excludes 0)
    effect_size_dz: float       # Cohen's d_z; NaN when every pair differs by the same amount
    verdict: str                # from the interval: HIGHER / LOWER when it excludes 0, else SAME (or TOO_FEW)
    boot_low: float             # percentile bootstrap interval, for analysts (never decides the verdict)
    boot_high: float


def paired_difference(baseline: np.ndarray, other: np.ndarray, rng: np.random.Generator | None = None,
                      n_boot: int = N_BOOTSTRAP, level: float = LEVEL, alpha: float = ALPHA) -> PairedDifference:
    """Compare ``other`` with ``baseline``, element ``i`` of each coming from the same seed.

    Pairs where either value is missing (NaN) are dropped. When every pair differs by exactly the
    same amount the t statistic is undefined: a zero difference is reported as not
    distinguishable (p = 1) and a constant non-zero one as a shift (p = 0), its interval a point.
    """
    b, o = np.asarray(baseline, dtype=float), np.asarray(other, dtype=float)
    keep = np.isfinite(b) & np.isfinite(o)
    b, o = b[keep], o[keep]
    d = o - b
    n = len(d)
    base_mean = float(b.mean()) if n else np.nan
    if n < MIN_PAIRS:
        mean = float(d.mean()) if n else np.nan
        return PairedDifference(n, base_mean, mean, _relative(mean, base_mean), np.nan, np.nan, np.nan, np.nan,
                                TOO_FEW, np.nan, np.nan)
    mean = float(d.mean())
    rng = rng if rng is not None else np.random.default_rng(BOOTSTRAP_SEED)
    boot = d[rng.integers(0, n, size=(n_boot, n))].mean(axis=1)
    boot_low, boot_high = (float(v) for v in np.quantile(boot, [(1 - level) / 2, (1 + level) / 2]))
    scale = max(float(np.abs(b).max()), float(np.abs(o).max()), np.finfo(float).tiny)
    if np.ptp(d) <= 1e-12 * scale:  # every pair differs by the same amount: no spread to test against
        mean = 0.0 if abs(mean) <= 1e-12 * scale else mean
        p, dz, low, high = (1.0 if mean == 0 else 0.0), np.nan, mean, mean
    else:
        p = float(stats.ttest_rel(o, b).pvalue)
        sd = float(d.std(ddof=1))
        dz = mean / sd
        half = float(stats.t.ppf(0.5 + level / 2, n - 1)) * sd / np.sqrt(n)
        low, high = mean - half, mean + half
    verdict = HIGHER if low > 0 else LOWER if high < 0 else SAME
    return PairedDifference(n, base_mean, mean, _relative(mean, base_mean), low, high, p, dz, verdict,
                            boot_low, boot_high)


def reading(verdict: str, p_value: float, mean_difference: float) -> str:
    """The verdict in the summary's words: ``verdict``, or ``likely higher|lower`` when a difference
    not confirmed at :data:`ALPHA` still has p < :data:`LIKELY_ALPHA` (its 80 % interval excludes 0).

    Never stronger than ``verdict``: ``higher`` and ``lower`` stay reserved for an interval that
    excludes zero, so the summary cannot call confirmed what its own interval does not.
    """
    if verdict == SAME and np.isfinite(p_value) and p_value < LIKELY_ALPHA and mean_difference != 0:
        return LIKELY_HIGHER if mean_difference > 0 else LIKELY_LOWER
    return verdict


def _relative(difference: float, reference: float) -> float:
    return difference / abs(reference) if np.isfinite(reference) and reference != 0 else np.nan


def describe(tidy: pd.DataFrame, indicators: Sequence[str], by: Sequence[str] = ("scenario", "year"),
             level: float = LEVEL, bounds: dict[str, tuple[float, float]] | None = None) -> pd.DataFrame:
    """Mean and Student-t confidence interval across replicates, per ``by`` group and indicator.

    ``tidy`` has one row per run and year (columns ``by``, ``seed`` and the indicators); the
    result has columns ``*by, indicator, n, mean, sd, ci_low, ci_high``. ``n`` counts the runs
    where the indicator is defined (not NaN); with fewer than two the interval is NaN. ``bounds``
    gives the range an indicator can take (a share lies in [0, 1]); intervals are clipped to it,
    since the symmetric t interval of a few runs near a bound would promise impossible values.
    """
    long = tidy.melt(id_vars=list(by), value_vars=list(indicators), var_name="indicator")
    stats_ = long.groupby([*by, "indicator"], sort=False)["value"].agg(n="count", mean="mean", sd="std")
    stats_ = stats_.reset_index()
    n = stats_["n"].to_numpy()
    with np.errstate(invalid="ignore", divide="ignore"):
        half = stats.t.ppf(0.5 + level / 2, np.where(n > 1, n - 1, np.nan)) * stats_["sd"] / np.sqrt(n)
    floor = stats_.indicator.map(lambda i: (bounds or {}).get(i, (-np.inf, np.inf))[0])
    ceiling = stats_.indicator.map(lambda i: (bounds or {}).get(i, (-np.inf, np.inf))[1])
    stats_["ci_low"] = np.maximum(stats_["mean"] - half, floor)
    stats_["ci_high"] = np.minimum(stats_["mean"] + half, ceiling)
    order = {name: k for k, name in enumerate(indicators)}
    stats_ = stats_.sort_values([*by, "indicator"], key=lambda c: c.map(order) if c.name == "indicator" else c)
    return stats_.reset_index(drop=True)[[*by, "indicator", "n", "mean", "sd", "ci_low", "ci_high"]]


def compare_with_baseline(tidy: pd.DataFrame, baseline: str, indicators: Sequence[str],
                          seed: int = BOOTSTRAP_SEED) -> pd.DataFrame:
    """Paired differences of every other scenario against ``baseline``, per year and indicator.

    Runs are paired on ``seed``; seeds run under only one of the two scenarios are left out. One
    generator, seeded with ``seed``, drives every bootstrap in a fixed order, so the table is
    deterministic. Columns: ``scenario, year, indicator`` and the fields of
    :class:`PairedDifference`.
    """
    rng = np.random.default_rng(seed)
    base = tidy[tidy.scenario == baseline].set_index(["year", "seed"])
    rows = []
    for scenario in sorted(set(tidy.scenario) - {baseline}):
        other = tidy[tidy.scenario == scenario].set_index(["year", "seed"])
        joined = base[list(indicators)].join(other[list(indicators)], how="inner", suffixes=("_b", "_o"))
        by_year = dict(iter(joined.groupby(level="year", sort=True)))
        for year in sorted(set(other.index.get_level_values("year"))):
            pairs = by_year.get(year, joined.iloc[:0])  # no shared seed: reported as too few pairs
            for indicator in indicators:
                result = paired_difference(pairs[f"{indicator}_b"].to_numpy(), pairs[f"{indicator}_o"].to_numpy(),
                                           rng)
                rows.append({"scenario": scenario, "year": year, "indicator": indicator, **asdict(result)})
    columns = ["scenario", "year", "indicator", *PairedDifference.__dataclass_fields__]
    return pd.DataFrame(rows, columns=columns)
