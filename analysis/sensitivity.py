"""Global sensitivity indices of a sampled design: which policy levers drive which indicators.

The pipeline is design -> evaluate -> analyse. :func:`simulation.sweeps.design.sample` gives the points;
an evaluator gives one number per point and outcome (for a sweep: :func:`outcome_per_point`, the
design's statistic of each run's yearly series, averaged over replicates so that the indices
describe the parameters' effect and not the noise of one seed); :func:`indices` applies SALib's
estimator matching the sampler:

* Sobol': first-order ``S1`` and total ``ST`` indices, each with ``_conf``, the half-width of
  its 95 % bootstrap confidence interval;
* Morris: ``mu`` (mean elementary effect), ``mu_star`` (mean absolute effect, with ``mu_star_conf``)
  and ``sigma`` (spread of the effects: interactions or non-linearity), in outcome units per
  parameter range.

An outcome that does not vary over the design (or is undefined at some point) has no indices:
its row holds NaN rather than SALib's division by zero.
"""

from __future__ import annotations

from pathlib import Path

import numpy as np
import pandas as pd
from SALib.analyze import morris as morris_analyze
from SALib.analyze import sobol as sobol_analyze

from simulation.io.atomic import write_file_atomically
from simulation.sweeps.design import Design
from simulation.sweeps.experiment import Experiment
from simulation.sweeps.folder import SENSITIVITY, read_manifest

COLUMNS = {"sobol": ["S1", "S1_conf", "ST", "ST_conf"], "morris": ["mu", "mu_star", "mu_star_conf", "sigma"]}
CONFIDENCE = 0.95
RESAMPLES = 1000


def outcome_per_point(frame: pd.DataFrame, outcomes: list[str], statistic: str, points: int) -> pd.DataFrame:
    """One row per point (0 .. points-1), one column per outcome.

    ``statistic`` reduces each run's yearly series: ``final_year`` takes its last simulated year,
    ``mean_over_years`` its mean over the years where it is defined. Runs of a point are then
    averaged. Raises ValueError when a point has no finished run.
    """
    ordered = frame.sort_values(["point", "replicate", "year"], kind="stable")
    if statistic == "final_year":
        per_run = ordered.drop_duplicates(["point", "replicate"], keep="last")[["point", *outcomes]]
    else:
        per_run = ordered.groupby(["point", "replicate"], as_index=False)[outcomes].mean()
    missing = sorted(set(range(points)) - set(per_run["point"]))
    if missing:
        raise ValueError(f"{len(missing)} points have no finished run (first: point {missing[0]})")
    return per_run.groupby("point")[outcomes].mean().reindex(range(points))


def indices(design: Design, points: np.ndarray, values: pd.DataFrame, seed: int) -> pd.DataFrame:
    """Sensitivity indices of every outcome column of ``values`` (one row per design point).

    ``points`` is the design's sample (one row per point, one column per parameter); ``seed`` makes
    the bootstrap confidence intervals reproducible. Rows: ``outcome, parameter, <indices>``.
    """
    if design.method not in COLUMNS:
        raise ValueError(f"no sensitivity indices for a {design.method!r} design; use sobol or morris")
    columns = COLUMNS[design.method]
    problem = design.salib_problem()
    rows = []
    for outcome in values.columns:
        y = values[outcome].to_numpy(dtype=float)
        if not np.isfinite(y).all() or np.ptp(y) == 0:
            result = {c: np.full(len(design.names), np.nan) for c in columns}
        elif design.method == "sobol":
            result = sobol_analyze.analyze(problem, y, calc_second_order=False, num_resamples=RESAMPLES,
                                           conf_level=CONFIDENCE, seed=seed)
        else:
            result = morris_analyze.analyze(problem, points, y, num_resamples=RESAMPLES, conf_level=CONFIDENCE,
                                            num_levels=design.morris_levels, seed=seed)
        rows += [{"outcome": outcome, "parameter": name, **{c: float(result[c][i]) for c in columns}}
                 for i, name in enumerate(design.names)]
    return pd.DataFrame(rows, columns=["outcome", "parameter", *columns])


def sweep_sensitivity(path: str | Path) -> pd.DataFrame:
    """Indices of every kept outcome of a finished Sobol' or Morris sweep."""
    from analysis.sweep_results import load_sweep

    manifest = read_manifest(Path(path))
    experiment = Experiment.model_validate(manifest["experiment"])
    design = experiment.design
    if design is None:
        raise ValueError("a grid experiment has no sensitivity indices; compare its points with load_sweep")
    points = np.array([[p[name] for name in design.names] for p in manifest["points"]], dtype=float)
    values = outcome_per_point(load_sweep(path), manifest["outcomes"], design.statistic, len(points))
    return indices(design, points, values, experiment.seed)


def write_sensitivity(path: str | Path) -> Path:
    """Write ``sensitivity.csv`` into a finished sweep folder; returns its path."""
    table = sweep_sensitivity(path)
    target = Path(path) / SENSITIVITY
    write_file_atomically(target, lambda p: table.to_csv(p, index=False, lineterminator="\n"))
    return target
