"""Matchmaking benchmark (README, Benchmarks): ``matchmake`` on synthetic profile files, and the yearly optimum.

Usage:  python benchmarks/bench_matchmake.py [--firms 1000] [--optimal-time-limit 60] [--years 5]
                                             [--model-sizes 1000 10000]

1. **Matchmaking**: a synthetic profile file of ``--firms`` firms (archetypes drawn from the
   Formigine baseline's applicant mix, sizes lognormal with sd 0.3, positions uniform over a
   20 × 20 km square, about the Sassuolo ceramic district: docs/SOURCES.md enea-apea-guidelines, equivalent radius
   11.4 km) is written to a temporary folder; the ``matchmake`` command then runs in this process
   (reading the catalogue and the file, candidates, surplus, firm profiles, shared services,
   writing the four output files). Python start-up and imports are not counted. It is timed
   without and with ``--optimal`` (the fixed-charge MIP, stopped at ``--optimal-time-limit``).
2. **Yearly optimum in a simulation**: for each of ``--model-sizes`` the synthetic district of
   ``bench_scaling.py`` runs ``--years`` years with the optimum computed every year; the time of
   :meth:`EcoDistrictModel.optimal_allocation` (the linear program behind ``symbiosis_efficiency``)
   is reported per year.
"""

from __future__ import annotations

import argparse
import math
import sys
import tempfile
import time
from pathlib import Path

import numpy as np

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT / "benchmarks"))

from bench_scaling import BASELINE, synthetic_scenario  # noqa: E402

from simulation.inputs.catalogue import load_catalogue  # noqa: E402
from simulation.inputs.scenario import load_scenario  # noqa: E402
from simulation.runs import build_model  # noqa: E402

SIDE_KM = 20.0


def synthetic_profiles(n_firms: int, path: Path, seed: int = 1) -> int:
    """Write a profile CSV of ``n_firms`` firms; returns the number of flows written."""
    cat = load_catalogue()
    mix = load_scenario(BASELINE).scenario.firms.applicants.mix
    rng = np.random.default_rng(seed)
    ids = sorted(mix)
    weights = np.array([mix[a] for a in ids])
    arch = rng.choice(len(ids), size=n_firms, p=weights / weights.sum())
    size = np.exp(0.3 * rng.standard_normal(n_firms))
    xy = rng.uniform(0, SIDE_KM, size=(n_firms, 2))
    lines = ["firm,sector,x_km,y_km,employees,direction,resource,quantity,unit"]
    for f in range(n_firms):
        a = cat.archetypes[ids[arch[f]]]
        head = f"firm{f:05d},{a.sector},{xy[f, 0]:.3f},{xy[f, 1]:.3f},{max(1.0, round(a.employees.value * size[f])):g}"
        for direction, flows in (("in", a.inputs), ("out", a.outputs)):
            for rid, fig in flows.items():
                lines.append(f"{head},{direction},{rid},{fig.value * size[f]:.3f},{cat.resources[rid].unit}")
    path.write_text("\n".join(lines) + "\n", encoding="utf-8")
    return len(lines) - 1


def time_matchmake(n_firms: int, optimal: bool, time_limit: float) -> tuple[float, str]:
    from simulation.cli.main import build_parser

    with tempfile.TemporaryDirectory() as tmp:
        csv = Path(tmp) / "firms.csv"
        flows = synthetic_profiles(n_firms, csv)
        argv = ["matchmake", str(csv), "--out", str(Path(tmp) / "out" / "matchmake.csv")]
        if optimal:
            argv += ["--optimal", "--time-limit", str(time_limit)]
        args = build_parser().parse_args(argv)
        started = time.perf_counter()
        args.handler(args)
        seconds = time.perf_counter() - started
        rows = sum(1 for _ in open(Path(tmp) / "out" / "matchmake.csv")) - 1
    return seconds, f"{n_firms} firms, {flows} flows, {rows} exchanges listed"


def time_yearly_optimum(n_firms: int, years: int) -> tuple[list[float], list[float]]:
    """Seconds of the optimum per year, and the efficiency per year, with the optimum every year."""
    model = build_model(synthetic_scenario(n_firms, years))
    model.EFFICIENCY_YEARLY_UP_TO_FIRMS = math.inf
    seconds = []
    timed = model.optimal_allocation

    def wrapped(market, candidates):
        started = time.perf_counter()
        result = timed(market, candidates)
        seconds.append(time.perf_counter() - started)
        return result

    model.optimal_allocation = wrapped
    model.run()
    return seconds, [row["symbiosis_efficiency"] for row in model.indicator_rows]


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--firms", type=int, default=1000)
    parser.add_argument("--optimal-time-limit", type=float, default=60.0)
    parser.add_argument("--years", type=int, default=5)
    parser.add_argument("--model-sizes", type=int, nargs="+", default=[1000])
    parser.add_argument("--skip-matchmake", action="store_true", help="time the yearly optimum only")
    args = parser.parse_args()
    print("matchmake (in-process, imports excluded):")
    for optimal in (() if args.skip_matchmake else (False, True)):
        seconds, what = time_matchmake(args.firms, optimal, args.optimal_time_limit)
        label = f"--optimal (time limit {args.optimal_time_limit:g} s)" if optimal else "candidates only"
        print(f"  {label:<32} {seconds:7.2f} s   {what}", flush=True)
    print(f"yearly optimum in a simulation ({args.years} years, optimum every year):")
    for n in args.model_sizes:
        seconds, efficiency = time_yearly_optimum(n, args.years)
        eff = ", ".join(f"{e:.3f}" for e in efficiency)
        print(f"  {n:>6} firms: {np.mean(seconds):.3f} s per year (max {np.max(seconds):.3f})   "
              f"symbiosis_efficiency {eff}", flush=True)


if __name__ == "__main__":
    main()
