"""A sampled design: which parameters vary, within which bounds, and the points that sample them.

Global sensitivity analysis needs the points to come from the sampler its estimator was derived
for: Saltelli/Sobol' sequences for Sobol' indices, one-at-a-time trajectories for Morris
elementary effects (both from SALib, whose estimators ``analysis/sensitivity.py`` then applies),
and a Latin hypercube (scipy.stats.qmc) to cover the space evenly when no indices are wanted.
The design knows nothing of scenarios: a parameter is a name with bounds, so the same design ->
evaluate -> analyse pipeline drives the simulation and analytic test functions alike.
"""

from __future__ import annotations

from typing import Literal

import numpy as np
from pydantic import Field, model_validator

from simulation.inputs.schema_base import StrictModel, user_error

MORRIS_DEFAULT_LEVELS = 4  # SALib's default grid; Morris (1991) and Saltelli et al. (2004) use 4


class Bounds(StrictModel):
    """The range a parameter is sampled in, uniformly, in the parameter's own unit."""

    low: float
    high: float

    @model_validator(mode="after")
    def _ordered(self) -> Bounds:
        if not self.high > self.low:
            raise user_error(f"high ({self.high:g}) is not above low ({self.low:g})",
                             "give a range with high > low", field="high")
        return self


class Design(StrictModel):
    """A sampled design.

    ``samples`` is the base sample size N: Sobol' evaluates N·(D + 2) points (first-order and total
    indices, no second order), Morris N trajectories of D + 1 points, a Latin hypercube N points.
    ``statistic`` says which number of a run's yearly series the indices are computed for:
    the value of the final simulated year, or the mean over all simulated years (then averaged
    over replicates).
    """

    method: Literal["sobol", "morris", "lhs"]
    samples: int = Field(ge=2, le=1_000_000)
    levels: int | None = Field(None, ge=2, le=100, description="Morris grid levels (default 4)")
    statistic: Literal["final_year", "mean_over_years"]
    parameters: dict[str, Bounds] = Field(min_length=1)

    @model_validator(mode="after")
    def _method_options(self) -> Design:
        if self.method == "sobol" and self.samples & (self.samples - 1):
            power = 1 << (self.samples.bit_length() - 1)
            raise user_error(f"Sobol' samples must be a power of two, not {self.samples}",
                             f"use {power} or {power * 2}", field="samples")
        if self.levels is not None and self.method != "morris":
            raise user_error("levels is a Morris option", "remove it, or use method: morris", field="levels")
        return self

    @property
    def names(self) -> list[str]:
        return list(self.parameters)

    @property
    def morris_levels(self) -> int:
        return self.levels if self.levels is not None else MORRIS_DEFAULT_LEVELS

    def salib_problem(self) -> dict:
        """The problem definition SALib's samplers and estimators take."""
        return {"num_vars": len(self.parameters), "names": self.names,
                "bounds": [[b.low, b.high] for b in self.parameters.values()]}


def sample(design: Design, seed: int) -> np.ndarray:
    """The design's points, one row per point, one column per parameter (in declaration order).

    ``seed`` makes the sample reproducible: the same experiment always has the same points.
    The samplers are imported here: they take a second to import, and sweep workers never sample.
    """
    from SALib.sample import morris as morris_sample
    from SALib.sample import sobol as sobol_sample
    from scipy.stats import qmc

    problem = design.salib_problem()
    if design.method == "sobol":
        points = sobol_sample.sample(problem, design.samples, calc_second_order=False, scramble=True, seed=seed)
    elif design.method == "morris":
        points = morris_sample.sample(problem, design.samples, num_levels=design.morris_levels, seed=seed)
    else:
        unit = qmc.LatinHypercube(d=problem["num_vars"], rng=np.random.default_rng(seed)).random(design.samples)
        low, high = np.array(problem["bounds"]).T
        points = qmc.scale(unit, low, high)
    return np.asarray(points, dtype=float)
