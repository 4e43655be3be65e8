"""Sweep throughput benchmark (README, Benchmarks): runs per minute on 1 and 2 workers, parallel efficiency.

Usage:  python benchmarks/bench_sweep.py [--experiment experiments/landfill_tax_grid.yaml] [--repeats 3]

It sweeps the whole experiment through ``run_sweep`` and reports, for N = 1 and 2 workers:
  * warm throughput: two local Dask clusters (1 and 2 single-threaded worker processes) are
    started and their workers import the model; then the sweep is timed on each through
    ``scheduler=`` (submission, runs, Parquet files written by the client), alternating between
    the two so that a burst of load from elsewhere on the machine hits both; best of ``--repeats``;
  * end to end: the sweep as ``ecodistrict sweep --workers N`` runs it, cluster start-up included
    (what a user waits for a small sweep).
Parallel efficiency = throughput(2) / (2 × throughput(1)), warm; the target is ≥ 0.9 on 2 cores.
The machine should be otherwise idle: the load average is printed before and after.
"""

from __future__ import annotations

import argparse
import math
import os
import tempfile
import time
from contextlib import ExitStack
from pathlib import Path

from simulation.sweeps.experiment import load_experiment
from simulation.sweeps.runner import local_cluster
from simulation.sweeps.sweep import run_sweep

ROOT = Path(__file__).resolve().parents[1]
WORKERS = (1, 2)


def _import_model() -> None:
    import simulation.sweeps.sweep  # noqa: F401 - a worker's first task would otherwise pay for this import


def timed_sweep(loaded, out: Path, **where) -> float:
    """Seconds to sweep ``loaded`` into ``out``; a benchmark with failed runs measures nothing."""
    started = time.perf_counter()
    summary = run_sweep(loaded, out, **where)
    seconds = time.perf_counter() - started
    if summary.finished != summary.total:
        raise SystemExit(f"{summary.total - summary.finished} runs failed: see {out / 'failed'}")
    return seconds


def warm_seconds(loaded, repeats: int, scratch: Path) -> dict[int, float]:
    """Best seconds per worker count, with both clusters up and warm."""
    from distributed import Client

    best = dict.fromkeys(WORKERS, math.inf)
    with ExitStack() as stack:
        addresses = {}
        for workers in WORKERS:
            cluster = stack.enter_context(local_cluster(workers))
            stack.enter_context(Client(cluster)).run(_import_model)
            addresses[workers] = cluster.scheduler_address
        for repeat in range(repeats):
            for workers in WORKERS:
                seconds = timed_sweep(loaded, scratch / f"warm-{workers}-{repeat}", scheduler=addresses[workers])
                best[workers] = min(best[workers], seconds)
    return best


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--experiment", type=Path, default=ROOT / "experiments" / "landfill_tax_grid.yaml")
    parser.add_argument("--repeats", type=int, default=3)
    args = parser.parse_args()
    loaded = load_experiment(args.experiment)
    runs = len(loaded.runs())
    print(f"{loaded.name}: {runs} runs, {os.cpu_count()} cores, load average {os.getloadavg()[0]:.2f}")
    with tempfile.TemporaryDirectory() as tmp:
        warm = warm_seconds(loaded, args.repeats, Path(tmp))
        cold = {w: timed_sweep(loaded, Path(tmp) / f"cold-{w}", workers=w) for w in WORKERS}
    print(f"{'workers':>7} {'runs/min (warm)':>16} {'runs/min (end to end)':>22} {'seconds (end to end)':>21}")
    for w in WORKERS:
        print(f"{w:>7} {runs / warm[w] * 60:>16.1f} {runs / cold[w] * 60:>22.1f} {cold[w]:>21.1f}")
    print(f"parallel efficiency on 2 workers (warm): {warm[1] / (2 * warm[2]):.2f} (target >= 0.9); "
          f"load average now {os.getloadavg()[0]:.2f}")


if __name__ == "__main__":
    main()
