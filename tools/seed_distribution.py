"""Distributions over seeds of a scenario's final-year indicators: what an output-changing commit re-measures.

Why: a change to the economics or the dynamics changes every output; its commit message and the
issue note quote what it did to the headline indicators as a distribution over replicate seeds
(median, interquartile range, range), never one seed. The seeds are the policy library's
(``replicate_seeds(root, n)``, the baseline's seed as root), so the figures pair with
``python -m analysis.policy_library``.

Usage (from the repository root)::

    .venv/bin/python tools/seed_distribution.py [SCENARIO] [--replicates 20] [--workers 2] [--csv OUT]
                                               [--before EARLIER.csv]

Prints a Markdown table, one row per indicator: median, IQR (25th–75th percentile), min–max, computed
as ``ecodistrict run SCENARIO --replicates N`` computes its ``summary.csv`` (the same seeds, the same
numbers); what this script adds is ``--before``, the comparison with an earlier revision.
``--csv`` also writes the per-seed final-year rows; ``--before`` reads such a file (written by an
earlier revision) and puts its median and IQR beside this revision's.
"""

from __future__ import annotations

import argparse
import sys
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))

from analysis.policy_library import BASELINE, run_all  # noqa: E402
from analysis.replicates import distribution  # noqa: E402
from simulation.indicators import INDICATORS, REGISTRY  # noqa: E402
from simulation.inputs.scenario import load_scenario  # noqa: E402
from simulation.sweeps.experiment import replicate_seeds  # noqa: E402


def cell(row) -> str:
    """``median [p25–p75]`` of a row of :func:`analysis.replicates.distribution`."""
    return f"{row['median']:,.3g} [{row.p25:,.3g}–{row.p75:,.3g}]"


def distribution_table(runs, names, before=None) -> str:
    """Markdown rows ``| name | median [IQR] | min–max |`` of the final-year values in ``runs``,
    with the earlier revision's ``median [IQR]`` first when ``before`` is given."""
    now = distribution(runs, names).set_index("indicator")
    earlier = distribution(before, names).set_index("indicator") if before is not None else None
    head = "| indicator | before: median [IQR] " if before is not None else "| indicator "
    lines = [head + "| median [IQR] | range |", "|---" + ("|---:" if before is not None else "") + "|---:|---:|"]
    for name, row in now.iterrows():
        then = ""
        if earlier is not None:
            then = f"| {cell(earlier.loc[name])} " if name in earlier.index else "| (new) "
        lines.append(f"| `{name}` {then}| {cell(row)} | {row['min']:,.3g}–{row['max']:,.3g} |")
    return "\n".join(lines)


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("scenario", nargs="?", type=Path, default=BASELINE)
    parser.add_argument("--replicates", type=int, default=20)
    parser.add_argument("--workers", type=int, default=2)
    parser.add_argument("--years", type=int, default=None)
    parser.add_argument("--csv", type=Path, default=None)
    parser.add_argument("--before", type=Path, default=None)
    args = parser.parse_args(argv)
    seeds = replicate_seeds(load_scenario(args.scenario).scenario.seed, args.replicates)
    runs = run_all([args.scenario], seeds, args.workers, args.years)
    if args.csv is not None:
        runs.to_csv(args.csv, index=False, lineterminator="\n")
    print(f"{args.scenario.name}, final year {int(runs.final_year.iloc[0])}, {len(runs)} seeds")
    before = None
    if args.before is not None:
        import pandas as pd
        before = pd.read_csv(args.before)
    public = [i.name for i in REGISTRY if i.family == "public"]
    print(distribution_table(runs, [*INDICATORS, *public], before))
    return 0


if __name__ == "__main__":
    sys.exit(main())
