"""Upper bounds of input values and files: what keeps a valid input from exhausting memory or overflowing.

Every number a user writes must be finite (pydantic's ``allow_inf_nan=False``; profile and GeoJSON
numbers are checked the same way) and within a bound. Without bounds, values far beyond anything
a district holds passed validation and then broke the run: a 1e306 m gap overflowed the
nearest-neighbour search, 1e12 applicants a year asked for a 7 TiB array, and a 1e308 EUR
subsidy became inf and then NaN in the surplus. Each bound is far above every figure of the shipped
scenarios, catalogues, profiles and experiments, and is listed in README "Writing a scenario".
Each bound's ``why`` is its documentation, and it is shown to the user when a value exceeds the bound.
"""

from __future__ import annotations

import math
from dataclasses import dataclass


@dataclass(frozen=True)
class Bound:
    """The largest magnitude accepted for one kind of input value, in the value's own unit, and why."""

    limit: float
    what: str
    why: str

    def problem(self, value: float, unit: str = "") -> tuple[str, str] | None:
        """``(message, fix)`` when ``value`` is farther from 0 than the bound, else ``None``."""
        if abs(value) <= self.limit:
            return None
        unit = f" {unit}" if unit else ""
        limit = _shown(self.limit)
        return (f"{value:g}{unit} is beyond {limit}{unit}, the bound for {self.what}: {self.why}",
                f"give a value between -{limit} and {limit}" if value < 0 else f"give at most {limit}{unit}")


def _shown(number: float) -> str:
    """``100,000`` or ``1e9``: how a bound reads in a message."""
    return f"{number:,.0f}" if number < 1e7 and number == int(number) else f"{number:.0e}".replace("e+0", "e").replace(
        "e+", "e")


MAX_MAGNITUDE = Bound(1e12, "any number", "the bound of every number without a tighter one, above every figure "
                      "a district holds, the largest shipped one being a turnover of 3e9 EUR/yr, and far enough "
                      "below float overflow at 1e308 that products of several such numbers stay finite")
MAX_LENGTH_M = Bound(100_000, "a plot side or gap", "100 km; larger values overflow the distance search")
MAX_COORDINATE_M = Bound(1e8, "a coordinate", "100,000 km from the frame's origin, beyond any projected "
                         "frame on Earth: Web Mercator spans 20,038 km each way")
MAX_LAND_PRICE_EUR_PER_M2 = Bound(1e6, "a land price", "far above any serviced industrial land, which costs tens "
                                  "to hundreds of EUR/m2; a land price times a plot area must stay finite")
MAX_EUR = Bound(1e9, "a price, tax, subsidy, fine or yearly cost of a scenario", "money per unit or per year "
                "times tonnes must stay finite, or the optimum and the surplus become inf and NaN")
MAX_WEIGHT = Bound(1e6, "a relative weight", "weights are normalised by their sum, which must stay finite")
MAX_ELASTICITY = Bound(10, "an elasticity of entry to opportunity", "it raises (1 + opportunity / reference) "
                       "to its power: with opportunities up to 1e18 EUR/yr (flows times prices) and a reference of "
                       "at least 1 EUR/yr, a weight stays below 1e186, far from float overflow")
MAX_ACTIVITY = Bound(1000, "an activity level", "it multiplies every yearly flow of a firm")
MAX_APPLICANTS_PER_YEAR = Bound(10_000, "a rate of applicants", "10,000 firms a year; each applicant is "
                                "drawn, scored and placed, so larger rates exhaust memory")
MAX_FIRMS = Bound(100_000, "the incumbents of a scenario in total, or its queued applicants",
                  "ten times the largest benchmarked district; every firm is a row of the model's arrays")
MAX_PLOTS = Bound(1_000_000, "the plots of a district", "every plot is a row of the plot arrays and a "
                  "candidate of every allocation")
MAX_BLOCKS = Bound(1000, "the grid blocks of a district", "every pair of blocks is checked for overlap")
MAX_FLOW_PER_YEAR = Bound(1e9, "a firm's yearly flow", "a billion tonnes, MWh or m3 a year, a hundred times "
                          "the flows of the largest plants; flows times prices must stay finite")
MAX_EMPLOYEES = Bound(1e6, "a firm's employees", "they scale a profiled firm's plot area and turnover")
MAX_RUNS = Bound(1_000_000, "the runs of an experiment, points times replicates", "a million runs take "
                 "weeks of CPU time, and larger experiments exhaust memory before the first run")
MAX_GRID_VALUES = Bound(1000, "the values of an experiment's grid, all parameters together", "each value is "
                        "checked against the whole scenario, about 0.1 s each; sample a larger space with a design")

MAX_YAML_BYTES = 20_000_000
"""Largest YAML file read (20 MB, five hundred times the shipped resource catalogue): a 48 MB file took
80 s and 2.8 GB of memory to parse, so larger files hung validation."""
MAX_CSV_BYTES = 200_000_000
"""Largest firm profile CSV read (200 MB, several million flows)."""
MAX_GEOJSON_BYTES = 200_000_000
"""Largest GeoJSON plot file read (200 MB, about a million plot polygons)."""

# Points a sampled design evaluates per base sample N, by method, for D parameters (design.py's Design).
_POINTS_PER_SAMPLE = {"sobol": lambda d: d + 2, "morris": lambda d: d + 1, "lhs": lambda d: 1}


def experiment_runs(grid: dict[str, list] | None, design, replicates: int) -> int:
    """Runs of an experiment, counted without sampling: grid points (the product of the value
    counts) or a design's points (Sobol' N·(D + 2), Morris N·(D + 1), Latin hypercube N), times
    the replicates. ``design`` has the experiment's ``method``, ``samples`` and ``parameters``."""
    if grid is not None:
        points = math.prod(len(values) for values in grid.values())
    else:
        points = design.samples * _POINTS_PER_SAMPLE[design.method](len(design.parameters))
    return points * replicates


def experiment_size_problem(grid: dict[str, list] | None, design, replicates: int) -> tuple[str, str] | None:
    """``(message, fix)`` when the experiment's grid has more values than :data:`MAX_GRID_VALUES` or
    the experiment more runs than :data:`MAX_RUNS`, else ``None``."""
    values = sum(len(v) for v in grid.values()) if grid is not None else 0
    if values > MAX_GRID_VALUES.limit:
        return (f"the grid has {values:,} values, beyond {_shown(MAX_GRID_VALUES.limit)}, the bound for "
                f"{MAX_GRID_VALUES.what}: {MAX_GRID_VALUES.why}", "use fewer values, or a design (sobol, morris, lhs)")
    runs = experiment_runs(grid, design, replicates)
    if runs <= MAX_RUNS.limit:
        return None
    return (f"the experiment has {runs:,} runs, beyond {_shown(MAX_RUNS.limit)}, the bound for {MAX_RUNS.what}: "
            f"{MAX_RUNS.why}", "use fewer values, samples or replicates, or split it into several experiments")
