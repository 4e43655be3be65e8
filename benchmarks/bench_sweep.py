"""Sweep throughput benchmark (DESIGN §6): runs per minute on 1 and 2 workers, parallel efficiency.

Usage:  python benchmarks/bench_sweep.py [--experiment experiments/landfill_tax_grid.yaml] [--repeats 3]

For each worker count N it sweeps the whole experiment through ``run_sweep`` and reports:
  * steady-state throughput: a local Dask cluster of N single-threaded worker processes is started
    and each worker imports the model first, then the sweep is timed through ``--scheduler``
    (submission, runs, Parquet files written by the client); best of ``--repeats``;
  * end to end: the same sweep as ``ecodistrict sweep --workers N`` runs it, cluster start-up
    included (what a user waits for a small sweep).
Parallel efficiency = throughput(2) / (2 × throughput(1)); the target is ≥ 0.9 on 2 cores.
"""

from __future__ import annotations

import argparse
import math
import os
import tempfile
import time
from pathlib import Path

from simulation.experiment import load_experiment
from simulation.sweep import local_cluster, run_sweep

ROOT = Path(__file__).resolve().parents[1]


def _import_model() -> None:
    import simulation.sweep  # noqa: F401 - a worker's first task would otherwise pay for this import


def timed_sweep(loaded, out: Path, **where) -> float:
    """Seconds to sweep ``loaded`` into ``out``; a benchmark with failed runs measures nothing."""
    started = time.perf_counter()
    summary = run_sweep(loaded, out, **where)
    seconds = time.perf_counter() - started
    if summary.finished != summary.total:
        raise SystemExit(f"{summary.total - summary.finished} runs failed: see {out / 'failed'}")
    return seconds


def steady_rate(loaded, workers: int, repeats: int, scratch: Path) -> float:
    """Runs per minute with the cluster up and warm (best of ``repeats``)."""
    from distributed import Client

    best = math.inf
    with local_cluster(workers) as cluster, Client(cluster) as client:
        client.run(_import_model)
        for repeat in range(repeats):
            out = scratch / f"warm-{workers}-{repeat}"
            best = min(best, timed_sweep(loaded, out, scheduler=cluster.scheduler_address))
    return len(loaded.runs()) / best * 60


def end_to_end_rate(loaded, workers: int, scratch: Path) -> tuple[float, float]:
    """Runs per minute and seconds of a sweep that starts its own cluster."""
    seconds = timed_sweep(loaded, scratch / f"cold-{workers}", workers=workers)
    return len(loaded.runs()) / seconds * 60, seconds


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--experiment", type=Path, default=ROOT / "experiments" / "landfill_tax_grid.yaml")
    parser.add_argument("--repeats", type=int, default=3)
    args = parser.parse_args()
    loaded = load_experiment(args.experiment)
    runs = len(loaded.runs())
    print(f"{loaded.name}: {runs} runs, {os.cpu_count()} cores")
    print(f"{'workers':>7} {'runs/min (warm)':>16} {'runs/min (end to end)':>22} {'seconds (end to end)':>21}")
    rates = {}
    with tempfile.TemporaryDirectory() as tmp:
        for workers in (1, 2):
            rates[workers] = steady_rate(loaded, workers, args.repeats, Path(tmp))
            cold, seconds = end_to_end_rate(loaded, workers, Path(tmp))
            print(f"{workers:>7} {rates[workers]:>16.1f} {cold:>22.1f} {seconds:>21.1f}", flush=True)
    print(f"parallel efficiency on 2 workers (warm): {rates[2] / (2 * rates[1]):.2f} (target >= 0.9)")


if __name__ == "__main__":
    main()
