"""Sensitivity indices: the design -> evaluate -> analyse pipeline against known answers.

The Ishigami function (a = 7, b = 0.1) has analytic Sobol' indices; a linear function has exact
Morris effects. Both are evaluated at the points of a :class:`~simulation.sweeps.design.Design`, reduced
per point like a sweep's runs (:func:`outcome_per_point`) and analysed by :func:`indices`: only
the evaluator differs from a simulation sweep (``tests/test_sweep.py`` runs the shipped Sobol'
experiment through the command, which writes ``sensitivity.csv``).
"""

from __future__ import annotations

import math

import numpy as np
import pandas as pd
import pytest
from SALib.test_functions import Ishigami

from analysis.sensitivity import indices, outcome_per_point
from simulation.sweeps.design import Bounds, Design, sample

# Sobol' (1990) indices of Ishigami & Homma (1990) for a = 7, b = 0.1 (SALib's test function).
ISHIGAMI_S1 = [0.3139, 0.4424, 0.0]
ISHIGAMI_ST = [0.5576, 0.4424, 0.2437]


def as_sweep_rows(values: dict[str, np.ndarray]) -> pd.DataFrame:
    """Evaluations shaped like a sweep's frame: one run per point, one year."""
    n = len(next(iter(values.values())))
    return pd.DataFrame({"run": [f"p{p:04d}-r00" for p in range(n)], "point": np.arange(n), "replicate": 0,
                         "year": 2026, **values})


def analyse(design: Design, evaluate, seed: int = 1) -> pd.DataFrame:
    points = sample(design, seed)
    per_point = outcome_per_point(as_sweep_rows(evaluate(points)), ["y"], design.statistic, len(points))
    return indices(design, points, per_point, seed).set_index("parameter")


def test_sobol_indices_of_ishigami_match_the_analytic_values():
    design = Design(method="sobol", samples=4096, statistic="final_year",
                    parameters={f"x{i}": Bounds(low=-math.pi, high=math.pi) for i in (1, 2, 3)})
    table = analyse(design, lambda x: {"y": Ishigami.evaluate(x, A=7.0, B=0.1)})
    # N = 4096 gives 95 % half-widths of about 0.03 (S1) and 0.02-0.05 (ST): 0.02 is well inside.
    np.testing.assert_allclose(table.S1, ISHIGAMI_S1, atol=0.02)
    np.testing.assert_allclose(table.ST, ISHIGAMI_ST, atol=0.02)
    assert ((table.S1 - table.S1_conf <= ISHIGAMI_S1) & (ISHIGAMI_S1 <= table.S1 + table.S1_conf)).all()
    assert ((table.ST - table.ST_conf <= ISHIGAMI_ST) & (ISHIGAMI_ST <= table.ST + table.ST_conf)).all()
    assert (table.outcome == "y").all()


def test_morris_effects_of_a_linear_function_are_its_slopes_times_ranges():
    design = Design(method="morris", samples=20, statistic="final_year",
                    parameters={"a": Bounds(low=0, high=10), "b": Bounds(low=5, high=6), "c": Bounds(low=-1, high=1)})
    table = analyse(design, lambda x: {"y": 3 * x[:, 0] - 2 * x[:, 2]})
    np.testing.assert_allclose(table.mu_star, [30, 0, 4], atol=1e-9)
    np.testing.assert_allclose(table.mu, [30, 0, -4], atol=1e-9)
    np.testing.assert_allclose(table.sigma, [0, 0, 0], atol=1e-9)


def test_outcome_that_does_not_vary_has_no_indices():
    design = Design(method="sobol", samples=8, statistic="final_year",
                    parameters={"a": Bounds(low=0, high=1), "b": Bounds(low=0, high=1)})
    table = analyse(design, lambda x: {"y": np.zeros(len(x))})
    assert table[["S1", "S1_conf", "ST", "ST_conf"]].isna().all().all()


def test_statistic_reduces_years_then_averages_replicates():
    frame = pd.DataFrame({"point": [0, 0, 0, 0, 1, 1], "replicate": [0, 0, 1, 1, 0, 0],
                          "year": [1, 2, 1, 2, 1, 2], "y": [1.0, 3.0, 5.0, 7.0, 2.0, np.nan]})
    assert outcome_per_point(frame, ["y"], "final_year", 2).y.tolist()[0] == 5.0  # (3 + 7) / 2
    assert outcome_per_point(frame, ["y"], "mean_over_years", 2).y.tolist() == [4.0, 2.0]
    with pytest.raises(ValueError, match="1 points have no finished run"):
        outcome_per_point(frame, ["y"], "final_year", 3)
