"""Scaling benchmark (README, Benchmarks): model time for N firms × 25 years, growth exponent, memory per firm.

First the shipped Formigine baseline is timed as it is; then synthetic districts.

Usage:  python benchmarks/bench_scaling.py [--sizes 60 1000 3000 10000] [--years 25] [--repeats 3]

For each size it builds a synthetic district on the shipped catalogue (square grid of plots large
enough for any archetype, incumbents drawn from the archetype mix of the Formigine baseline,
applicants at 3 % of N per year) and reports:
  * seconds of model time (best of ``--repeats``, set-up excluded) and firm-years per second;
  * the growth exponent β of time per year ∝ N^β, fitted on the sizes ≥ 1,000;
  * peak and retained traced memory per firm (a separate run under tracemalloc).
"""

from __future__ import annotations

import argparse
import gc
import math
import time
import tracemalloc
from pathlib import Path

import numpy as np

from simulation.inputs.scenario import load_scenario, validate_scenario_data
from simulation.runs import build_model

ROOT = Path(__file__).resolve().parents[1]
BASELINE = ROOT / "scenarios" / "formigine_baseline.yaml"


def synthetic_scenario(n_firms: int, years: int, seed: int = 1):
    """A district of ``n_firms`` incumbents with the baseline's archetype mix."""
    base = load_scenario(BASELINE)
    mix = base.scenario.firms.applicants.mix
    rng = np.random.default_rng(seed)
    ids = sorted(mix)
    weights = np.array([mix[a] for a in ids])
    counts = np.bincount(rng.choice(len(ids), size=n_firms, p=weights / weights.sum()), minlength=len(ids))
    side = math.ceil(math.sqrt(n_firms * 1.1))
    plot_side = math.ceil(math.sqrt(max(a.plot_area.value for a in base.catalogue.archetypes.values())))
    raw = {
        "name": f"bench_{n_firms}", "seed": seed, "years": {"start": 2026, "end": 2026 + years - 1},
        "district": {"blocks": [{"name": "grid", "origin_x_m": 0, "origin_y_m": 0, "rows": side, "cols": side,
                                 "plot_width_m": plot_side, "plot_depth_m": plot_side, "gap_m": 20,
                                 "land_price_eur_per_m2": 60}]},
        "firms": {"incumbents": [{"archetype": a, "count": int(c)} for a, c in zip(ids, counts) if c > 0],
                  "applicants": {"rate_per_year": 0.03 * n_firms, "mix": dict(mix)}},
    }
    return validate_scenario_data(raw, BASELINE)


def time_run(n_firms: int, years: int, repeats: int) -> tuple[float, float]:
    """Best model time over ``repeats`` runs, and the mean number of firms present per year."""
    best, firms = math.inf, 0.0
    for _ in range(repeats):
        model = build_model(synthetic_scenario(n_firms, years))
        gc.collect()
        started = time.perf_counter()
        model.run()
        best = min(best, time.perf_counter() - started)
        firms = float(np.mean([row["firms"] for row in model.indicator_rows]))
    return best, firms


def memory_per_firm(n_firms: int, years: int) -> tuple[float, float]:
    """Peak and retained traced bytes per firm for one run (model kept alive at the end)."""
    loaded = synthetic_scenario(n_firms, years)
    gc.collect()
    tracemalloc.start()
    model = build_model(loaded)
    model.run()
    gc.collect()
    current, peak = tracemalloc.get_traced_memory()
    tracemalloc.stop()
    firms_ever = len(model.all_firms())
    return peak / firms_ever, current / firms_ever


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--sizes", type=int, nargs="+", default=[60, 1000, 3000, 10000])
    parser.add_argument("--years", type=int, default=25)
    parser.add_argument("--repeats", type=int, default=3)
    args = parser.parse_args()
    baseline = load_scenario(BASELINE)
    best = math.inf
    for _ in range(args.repeats):
        model = build_model(baseline)
        started = time.perf_counter()
        model.run()
        best = min(best, time.perf_counter() - started)
    print(f"Formigine baseline ({len(model.all_firms())} firms ever, {baseline.scenario.years.count} years): "
          f"{best:.3f} s of model time")
    print(f"{'firms':>7} {'seconds':>9} {'firm-years/s':>13} {'peak KB/firm':>13} {'retained KB/firm':>17}")
    results = []
    for n in args.sizes:
        seconds, mean_firms = time_run(n, args.years, args.repeats)
        peak, retained = memory_per_firm(n, args.years)
        rate = mean_firms * args.years / seconds
        results.append((n, seconds))
        print(f"{n:>7} {seconds:>9.3f} {rate:>13,.0f} {peak / 1024:>13.2f} {retained / 1024:>17.2f}", flush=True)
    big = [(n, s) for n, s in results if n >= 1000]
    if len(big) >= 2:
        beta = np.polyfit(np.log([n for n, _ in big]), np.log([s for _, s in big]), 1)[0]
        print(f"growth exponent beta (time per year ~ N^beta, N >= 1000): {beta:.3f}")


if __name__ == "__main__":
    main()
