"""Running a sweep on Dask: every run of an experiment, on all local cores or on a cluster.

Each run (one replicate of one point) is one Dask task, :func:`simulate`, a module-level function
so that worker processes (spawned, as Mesa requires) can import it. The base scenario and its
catalogue are sent to each worker once; a task carries only its point's settings and its seed, so
its result depends on nothing but (scenario, seed) and is the same whichever worker, and however
many workers, run it. Locally the workers are a ``distributed.LocalCluster`` of single-threaded
processes; ``scheduler`` connects to an existing Dask scheduler instead (started by hand, by
``dask-jobqueue`` on an HPC queue, or by any other deployment).

The client, not the workers, writes the sweep folder as results arrive: workers need no access to
it, and a run that raised is recorded as a failure while the others go on.
"""

from __future__ import annotations

import io
import os
import platform
import sys
import time
import traceback
import uuid
from contextlib import contextmanager
from dataclasses import dataclass
from datetime import datetime, timezone
from importlib.metadata import PackageNotFoundError, version
from pathlib import Path
from typing import Iterator

import numpy as np
import pandas as pd
from tqdm import tqdm

from simulation.inputs.errors import InputError
from simulation.sweeps.experiment import LoadedExperiment, RunSpec, point_scenario
from simulation.io.run_folder import git_revision
from simulation.runs import build_model
from simulation.inputs.scenario import LoadedScenario
from simulation.sweeps.folder import check, create, finished, save_failure, save_run, tidy

# One BLAS/OpenMP thread per worker process: a worker is one core, and a multi-threaded BLAS
# inside each of N processes would oversubscribe the machine (DESIGN §6).
THREAD_PINNING = {"OMP_NUM_THREADS": "1", "OPENBLAS_NUM_THREADS": "1", "MKL_NUM_THREADS": "1"}
# Dask's diagnostics sample each worker's stack 100 times a second (taking the GIL from the run)
# and tick every event loop 50 times a second: CPU the runs need. A local cluster of 2 workers,
# idle, burns 7 % of 2 cores with them and 2 % turned down like this.
QUIET_DASK = {"distributed.worker.profile.enabled": False, "distributed.admin.tick.interval": "500ms",
              "distributed.admin.system-monitor.interval": "2s"}
SCHEDULER_TIMEOUT_S = 10
LOOPBACK_ANY_PORT = "127.0.0.1:0"  # local cluster's HTTP endpoint: never clashes with another cluster's 8787
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
class Failure:
    """A run that raised: what it said, and where."""

    error: str
    traceback: str


@dataclass(frozen=True)
class SweepSummary:
    total: int  # runs of the experiment
    finished: int  # runs whose results are in the sweep folder
    failed: int  # runs that failed in this session (recorded in failed/)
    ran: int  # runs attempted in this session
    seconds: float  # wall time of this session's runs, cluster start-up included


def simulate(base: SweepBase, spec: RunSpec) -> bytes | Failure:
    """One run on a worker: the tidy rows of its kept indicators as Parquet bytes, or the error
    it raised. The worker encodes the file so that the client, one process for all workers, only
    writes bytes: its work per run would otherwise bound how many workers a sweep can use."""
    try:
        loaded = point_scenario(base.scenario, base.document, spec.settings)
        model = build_model(loaded, seed=spec.seed, years=base.years,
                            measure_efficiency="symbiosis_efficiency" in base.outcomes)
        model.run()
    except Exception as exc:  # recorded with its traceback; the sweep goes on
        return Failure(f"{type(exc).__name__}: {exc}", traceback.format_exc())
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
    """What a sweep folder records about itself: enough to rerun it and to read its results."""
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
        "versions": {"python": platform.python_version(), **{p: _version(p) for p in VERSIONED}},
        "git_revision": git_revision(),
        "created": datetime.now(timezone.utc).isoformat(timespec="seconds"),
    }


@contextmanager
def dask_client(workers: int, scheduler: str | None) -> Iterator:
    """A Dask client: on a local cluster of ``workers`` processes, or on the scheduler at ``scheduler``."""
    from distributed import Client

    if scheduler is not None:
        try:
            client = Client(scheduler, timeout=SCHEDULER_TIMEOUT_S)
        except (OSError, TimeoutError, ValueError) as exc:
            raise InputError.single("command line", "--scheduler", f"cannot reach a Dask scheduler at "
                                    f"{scheduler!r} ({type(exc).__name__}: {exc})",
                                    "start one ('dask scheduler') and give its address, e.g. tcp://HOST:8786") from None
        with client:
            yield client
        return
    with local_cluster(workers) as cluster, Client(cluster) as client:
        yield client


def local_cluster(workers: int):
    """A Dask cluster of ``workers`` single-threaded processes on this machine (loopback only)."""
    import dask
    from distributed import LocalCluster

    with dask.config.set(QUIET_DASK):  # read when the scheduler and the workers' nannies are made
        return LocalCluster(n_workers=workers, threads_per_worker=1, processes=True, host="127.0.0.1",
                            dashboard_address=LOOPBACK_ANY_PORT, env=THREAD_PINNING)


def run_sweep(loaded: LoadedExperiment, out: str | Path, workers: int | None = None,
              scheduler: str | None = None, resume: bool = False, progress: bool = False) -> SweepSummary:
    """Run every run of ``loaded`` that ``out`` does not hold yet, and record each result there.

    ``workers`` local processes (default: one per core) unless ``scheduler`` gives the address of
    a Dask scheduler. Without ``resume`` the folder must be new; with it, finished runs are kept
    and the rest (failed runs included) are run. Raises InputError for a folder that holds
    something else or another experiment's sweep.
    """
    out = Path(out)
    runs = loaded.runs()
    manifest = manifest_of(loaded)
    resuming = check(out, manifest, resume)
    if resuming:
        tidy(out)
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
                dask_client(n_workers, scheduler) as client:
            if not resuming:
                create(out, manifest)
            failed = _execute(client, base, todo, out, bar)
    return SweepSummary(total=len(runs), finished=len(finished(out)), failed=failed, ran=len(todo),
                        seconds=time.perf_counter() - started)


def _execute(client, base: SweepBase, todo: list[RunSpec], out: Path, bar) -> int:
    """Submit every run, store each result as it arrives; returns the number of failed runs."""
    from distributed import as_completed

    shared = client.scatter(base, broadcast=True, hash=False)
    session = uuid.uuid4().hex[:8]  # task keys unique even if two sweeps share a scheduler
    futures = {client.submit(simulate, shared, spec, key=f"ecodistrict-{spec.run}-{session}"): spec for spec in todo}
    failed = 0
    for future in as_completed(futures):
        spec = futures.pop(future)
        try:
            result = future.result()
        except Exception as exc:  # the task never returned (its worker died, it was cancelled, ...)
            result = Failure(f"{type(exc).__name__}: {exc}", traceback.format_exc())
        future.release()
        if isinstance(result, Failure):
            failed += 1
            save_failure(out, spec.run, {"run": spec.run, "point": spec.point, "replicate": spec.replicate,
                                         "seed": spec.seed, "parameters": spec.settings,
                                         "error": result.error, "traceback": result.traceback})
        else:
            save_run(out, spec.run, result)
        bar.set_postfix_str(f"failed {failed}", refresh=False)
        bar.update(1)
    return failed

