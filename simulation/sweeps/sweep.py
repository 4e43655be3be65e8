"""A sweep: every run of an experiment, on the runner (:mod:`simulation.sweeps.runner`), into its folder.

Each run (one replicate of one point) is one task, :func:`simulate`. The base scenario and its
catalogue are sent to each worker once; a task carries only its point's settings and its seed, so
its result depends on nothing but (scenario, seed).

The client, not the workers, writes the sweep folder (:mod:`simulation.sweeps.folder`) as results
arrive: workers need no access to it, and a run that raised is recorded as a failure while the
others go on.
"""

from __future__ import annotations

import io
import logging
import os
import platform
import sys
import time
from dataclasses import dataclass
from datetime import UTC, datetime
from importlib.metadata import PackageNotFoundError, version
from pathlib import Path

import numpy as np
import pandas as pd
from tqdm import tqdm

import simulation
from simulation.inputs.scenario import LoadedScenario
from simulation.io.provenance import git_revision
from simulation.runs import build_model
from simulation.sweeps.experiment import LoadedExperiment, RunSpec
from simulation.sweeps.fingerprint import fingerprint
from simulation.sweeps.folder import check, create, finished, save_failure, save_run, tidy
from simulation.sweeps.runner import Backend, Failure, runner
from simulation.world import with_settings

LOG = logging.getLogger(__name__)
VERSIONED = ("ecodistrict", "mesa", "numpy", "pandas", "scipy", "dask", "distributed", "SALib", "pyarrow")


@dataclass(frozen=True)
class SweepBase:
    """What every run of a sweep shares; scattered to each worker once."""

    scenario: LoadedScenario
    document: dict
    years: int | None
    outcomes: tuple[str, ...]
    parameter_dtypes: dict[str, str]


@dataclass(frozen=True)
class SweepSummary:
    total: int  # runs of the experiment
    finished: int  # runs whose results are in the sweep folder
    failed: int  # runs that failed in this session (recorded in failed/)
    ran: int  # runs attempted in this session
    seconds: float  # wall time of this session's runs, cluster start-up included


def simulate(base: SweepBase, spec: RunSpec) -> bytes:
    """One run on a worker: the tidy rows of its kept indicators as Parquet bytes. The worker
    encodes the file so that the client, one process for all workers, only writes bytes: its work
    per run would otherwise bound how many workers a sweep can use."""
    loaded = with_settings(base.scenario, spec.settings, base.document)
    model = build_model(loaded, seed=spec.seed, years=base.years,
                        measure_efficiency="symbiosis_efficiency" in base.outcomes)
    model.run()
    return parquet_bytes(run_frame(base, spec, model.indicator_rows))


def parquet_bytes(frame: pd.DataFrame) -> bytes:
    buffer = io.BytesIO()
    frame.to_parquet(buffer, index=False)
    return buffer.getvalue()


def run_frame(base: SweepBase, spec: RunSpec, rows: list[dict]) -> pd.DataFrame:
    """Rows ``run, point, replicate, seed, <parameters>, year, <outcomes>``, one per simulated year.

    Parameter columns have the experiment's type in every run, so that the files concatenate.
    """
    n = len(rows)
    columns: dict[str, object] = {
        "run": pd.Series([spec.run] * n, dtype="str"),
        "point": np.full(n, spec.point, dtype=np.int64),
        "replicate": np.full(n, spec.replicate, dtype=np.int64),
        "seed": np.full(n, spec.seed, dtype=np.int64),
    }
    for path, dtype in base.parameter_dtypes.items():
        columns[path] = pd.Series([spec.settings[path]] * n, dtype=dtype)
    columns["year"] = np.array([r["year"] for r in rows], dtype=np.int64)
    for outcome in base.outcomes:
        columns[outcome] = [r[outcome] for r in rows]
    return pd.DataFrame(columns)


def _version(package: str) -> str | None:
    try:
        return version(package)
    except PackageNotFoundError:
        return None


def manifest_of(loaded: LoadedExperiment) -> dict:
    """What a sweep folder records about itself: enough to rerun it, to read its results, and to
    tell whether its inputs are still those it started with (``package_version``, ``inputs``)."""
    return {
        "experiment_file": str(loaded.path),
        "experiment": loaded.experiment.model_dump(mode="json"),
        "scenario_file": str(loaded.base.path),
        "scenario": loaded.document,
        "parameters": loaded.experiment.parameters,
        "outcomes": loaded.experiment.kept_outcomes,
        "points": loaded.points,
        "seeds": loaded.seeds,
        "runs": len(loaded.points) * len(loaded.seeds),
        "package_version": simulation.__version__,
        "inputs": fingerprint(loaded),
        "versions": {"python": platform.python_version(), **{p: _version(p) for p in VERSIONED}},
        "git_revision": git_revision(),
        "created": datetime.now(UTC).isoformat(timespec="seconds"),
    }


def run_sweep(loaded: LoadedExperiment, out: str | Path, workers: int | None = None,
              scheduler: str | None = None, resume: bool = False, progress: bool = False,
              backend: Backend = "dask") -> SweepSummary:
    """Run every run of ``loaded`` that ``out`` does not hold yet, and record each result there.

    ``workers`` processes (default: one per core) on ``backend`` (a Dask local cluster, or the
    standard library's process pool), unless ``scheduler`` gives the address of a Dask scheduler.
    Without ``resume`` the folder must be new; with it, finished runs (whose files verify) are kept
    and the rest (failed runs, and runs whose files are missing, truncated or altered) are run.
    Raises InputError for a folder that holds something else, another experiment's sweep, or a
    sweep whose input files changed since it started.
    """
    out = Path(out)
    runs = loaded.runs()
    manifest = manifest_of(loaded)
    resuming = check(out, manifest, resume)
    if resuming:
        corrupt = tidy(out, [spec.run for spec in runs])
        if corrupt:
            plural = "s" if len(corrupt) > 1 else ""
            LOG.warning("re-running %d run%s whose file%s did not verify: %s", len(corrupt), plural, plural,
                        ", ".join(corrupt))
    done = finished(out) if resuming else set()
    todo = [spec for spec in runs if spec.run not in done]
    started = time.perf_counter()
    failed = 0
    if todo:
        base = SweepBase(loaded.base, loaded.document, loaded.experiment.years,
                         tuple(loaded.experiment.kept_outcomes), loaded.parameter_dtypes)
        n_workers = min(workers or os.cpu_count() or 1, len(todo))
        # The bar appears before the cluster starts: its clock and time left include the start-up.
        with tqdm(total=len(runs), initial=len(runs) - len(todo), desc=loaded.name, unit="run", file=sys.stderr,
                  postfix="failed 0", disable=None if progress else True) as bar, \
                runner(n_workers, scheduler, backend) as pool:
            if not resuming:
                create(out, manifest)
            for spec, result in pool.map(simulate, base, todo, label=lambda spec: spec.run):
                if isinstance(result, Failure):
                    failed += 1
                    save_failure(out, spec.run, {"run": spec.run, "point": spec.point, "replicate": spec.replicate,
                                                 "seed": spec.seed, "parameters": spec.settings,
                                                 "error": result.error, "traceback": result.traceback})
                else:
                    save_run(out, spec.run, result)
                bar.set_postfix_str(f"failed {failed}", refresh=False)
                bar.update(1)
    return SweepSummary(total=len(runs), finished=len(finished(out)), failed=failed, ran=len(todo),
                        seconds=time.perf_counter() - started)
