"""Live view benchmark (issue 14, acceptance 3): one year step plus the redraw of the view's panels.

Usage:  python benchmarks/bench_view.py [--scenario scenarios/formigine_baseline.yaml] [--steps 10]

Times what the server does when Step is pressed at the Formigine baseline's size: the model's
``step()`` and the redraw of the district map and the KPI charts into the PNG bytes the page
shows (:func:`simulation.view.components.png` of :func:`simulation.view.figures.district_figure`
and :meth:`~simulation.view.figures.KpiChart.update`), as the components do after each step.
Prints each part's median over ``--steps`` steps in ms; the target is ≤ 300 ms for the whole.
The browser's own drawing of two images is not included. The load average is printed: on a
busy machine the times grow with it.
"""

from __future__ import annotations

import argparse
import os
import statistics
import time
from pathlib import Path

from simulation.view.app import LiveDistrict
from simulation.view.components import legend_html, png
from simulation.view.figures import KpiChart, district_figure

ROOT = Path(__file__).resolve().parents[1]
TARGET_MS = 300.0


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--scenario", type=Path, default=ROOT / "scenarios" / "formigine_baseline.yaml")
    parser.add_argument("--steps", type=int, default=10)
    args = parser.parse_args()
    print(f"load average before: {os.getloadavg()[0]:.2f}")
    model = LiveDistrict(scenario=str(args.scenario))
    chart = KpiChart(model)
    png(district_figure(model)[0]), png(chart.update(model))  # first drawing: fonts and caches
    times = {"step": [], "map": [], "kpi": []}
    for _ in range(args.steps):
        t0 = time.perf_counter()
        model.step()
        t1 = time.perf_counter()
        fig, keys = district_figure(model)
        png(fig), legend_html(keys)
        t2 = time.perf_counter()
        png(chart.update(model))
        t3 = time.perf_counter()
        for part, seconds in zip(times, (t1 - t0, t2 - t1, t3 - t2)):
            times[part].append(seconds * 1000)
    total = [sum(parts) for parts in zip(*times.values())]
    for part, values in times.items():
        print(f"{part:>5}: {statistics.median(values):6.1f} ms (median of {args.steps})")
    verdict = "within" if statistics.median(total) <= TARGET_MS else "ABOVE"
    print(f"total: {statistics.median(total):6.1f} ms per year, {verdict} the target of {TARGET_MS:.0f} ms "
          f"({len(model.firms())} firms in {model.year - 1})")
    print(f"load average after: {os.getloadavg()[0]:.2f}")


if __name__ == "__main__":
    main()
