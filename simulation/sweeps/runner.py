"""Running many independent simulations at once: in local processes or on a Dask cluster.

The one runner behind every batch of runs: a sweep (:func:`simulation.sweeps.sweep.run_sweep`) and
the policy library (:mod:`analysis.policy_library`). A task is a module-level function called as
``function(shared, item)`` (module-level so that worker processes can import it); ``shared`` is
what every task needs, ``item`` what tells one task from another. A task's result must depend on
nothing but its arguments (for a run: scenario and seed), so it is the same whichever worker, and
however many workers, run it.

Two back-ends, one interface (:meth:`DaskRunner.map`, :meth:`LocalRunner.map`):

* ``dask``: a ``distributed.LocalCluster`` of single-threaded worker processes, or an existing
  Dask scheduler at ``scheduler`` (started by hand, by ``dask-jobqueue`` on an HPC queue, or by any
  other deployment); ``shared`` is sent to each worker once;
* ``local``: a process pool of the standard library, or this process alone for one worker: nothing
  to start, for scripts and tests.

Results come back as tasks finish, each with its item; a task that raised, or whose worker died,
comes back as a :class:`Failure` while the others go on.
"""

from __future__ import annotations

import os
import traceback
import uuid
from collections.abc import Callable, Iterable, Iterator
from concurrent.futures import ProcessPoolExecutor, as_completed
from contextlib import contextmanager
from dataclasses import dataclass
from typing import Any, Literal

from simulation.inputs.errors import InputError

Backend = Literal["dask", "local"]
# One BLAS/OpenMP thread per worker process: a worker is one core, and a multi-threaded BLAS
# inside each of N processes would oversubscribe the machine.
THREAD_PINNING = {"OMP_NUM_THREADS": "1", "OPENBLAS_NUM_THREADS": "1", "MKL_NUM_THREADS": "1"}
# Dask's diagnostics sample each worker's stack 100 times a second (taking the GIL from the run)
# and tick every event loop 50 times a second: CPU the runs need. A local cluster of 2 workers,
# idle, burns 7 % of 2 cores with them and 2 % turned down like this.
QUIET_DASK = {"distributed.worker.profile.enabled": False, "distributed.admin.tick.interval": "500ms",
              "distributed.admin.system-monitor.interval": "2s"}
SCHEDULER_TIMEOUT_S = 10
LOOPBACK_ANY_PORT = "127.0.0.1:0"  # local cluster's HTTP endpoint: never clashes with another cluster's 8787

Task = Callable[[Any, Any], Any]


@dataclass(frozen=True)
class Failure:
    """A task that raised: what it said, and where."""

    error: str
    traceback: str


def _failure(exc: BaseException) -> Failure:
    return Failure(f"{type(exc).__name__}: {exc}", traceback.format_exc())


def guarded(function: Task, shared, item):
    """``function(shared, item)`` on a worker, or the :class:`Failure` it raised."""
    try:
        return function(shared, item)
    except Exception as exc:  # recorded with its traceback; the batch goes on
        return _failure(exc)


class DaskRunner:
    """Tasks on a Dask cluster, through ``client``."""

    def __init__(self, client):
        self.client = client

    def map(self, function: Task, shared, items: Iterable, label: Callable[[Any], str] = str) -> Iterator[tuple]:
        """``(item, result or Failure)`` for every item, as tasks finish; ``label(item)`` names its task."""
        from distributed import as_completed as dask_completed

        remote = self.client.scatter(shared, broadcast=True, hash=False)
        session = uuid.uuid4().hex[:8]  # task keys unique even if two batches share a scheduler
        futures = {self.client.submit(guarded, function, remote, item, key=f"ecodistrict-{label(item)}-{session}"): item
                   for item in items}
        for future in dask_completed(futures):
            item = futures.pop(future)
            try:
                result = future.result()
            except Exception as exc:  # the task never returned (its worker died, it was cancelled, ...)
                result = _failure(exc)
            future.release()
            yield item, result


class LocalRunner:
    """Tasks in a pool of local processes, or in this process when ``pool`` is ``None``."""

    def __init__(self, pool: ProcessPoolExecutor | None):
        self.pool = pool

    def map(self, function: Task, shared, items: Iterable, label: Callable[[Any], str] = str) -> Iterator[tuple]:
        """``(item, result or Failure)`` for every item, as tasks finish (``label`` is unused here)."""
        if self.pool is None:
            for item in items:
                yield item, guarded(function, shared, item)
            return
        futures = {self.pool.submit(guarded, function, shared, item): item for item in items}
        for future in as_completed(futures):
            item = futures.pop(future)
            try:
                result = future.result()
            except Exception as exc:  # the worker died (BrokenProcessPool) or the task could not be sent
                result = _failure(exc)
            yield item, result


@contextmanager
def runner(workers: int | None = None, scheduler: str | None = None,
           backend: Backend = "dask") -> Iterator[DaskRunner | LocalRunner]:
    """A runner of ``workers`` processes (default: one per core) on ``backend``, or on the Dask
    scheduler at ``scheduler``. Started on entry (a cluster's start-up is part of the wait), shut
    down on exit. Raises InputError when the scheduler cannot be reached."""
    workers = workers or os.cpu_count() or 1
    if scheduler is not None or backend == "dask":
        with dask_client(workers, scheduler) as client:
            yield DaskRunner(client)
        return
    if workers <= 1:
        yield LocalRunner(None)
        return
    os.environ.update(THREAD_PINNING)  # read by the worker processes this one starts, and by itself
    with ProcessPoolExecutor(max_workers=workers) as pool:
        yield LocalRunner(pool)


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
