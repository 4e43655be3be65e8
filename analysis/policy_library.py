"""The policy library: every scenario of ``scenarios/`` against the baseline, paired by seed.

Each scenario of the library changes one lever of the Formigine baseline (``base:
formigine_baseline.yaml``). This script runs the baseline and every library scenario with the same
replicate seeds (``numpy.random.SeedSequence(root).spawn(n)``, docs/ODD.md §4: common random numbers),
takes the final simulated year of each run, and reports for each scenario the mean paired
difference from the baseline of five indicators, with its paired-t 95 % interval, the paired
t-test and the verdict that interval gives (:func:`analysis.statistics.paired_difference`). It also compares
strict with weak enforcement of commitments directly (paired too).

A **placebo** row runs the baseline itself on a second, independent set of seeds
(``SeedSequence(root + 1)``), paired by position with the first: the spread of an unpaired
comparison, which pairing on the same seeds removes (the model's draws are keyed by process,
year and firm, ODD §4, so paired runs share their luck even after their districts part).

    python -m analysis.policy_library --replicates 20 --out runs/policy_library

writes ``runs.csv`` (one row per scenario and seed: the final-year indicators and totals over the
years of entry and enforcement counts), ``differences.csv`` (one row per comparison and
indicator) and ``policy_library.md`` (the tables pasted into ``scenarios/README.md``).
"""

from __future__ import annotations

import argparse
import os
import re
import sys
import time
from dataclasses import asdict
from pathlib import Path

import numpy as np
import pandas as pd

from analysis.statistics import HIGHER, LOWER, paired_difference
from simulation.io.atomic import write_atomically
from simulation.sweeps.runner import Failure, runner

ROOT = Path(__file__).resolve().parents[1]
SCENARIOS = ROOT / "scenarios"
BASELINE = SCENARIOS / "formigine_baseline.yaml"
# What a lever does to the cycles (tonnes exchanged and landfilled, the circular input rate, the
# in-area share), to the district (firms) and to the public purse (issue 12, acceptance 3).
OUTCOMES = ("byproduct_exchanged_t", "waste_landfilled_t", "circular_input_rate", "local_closure_rate", "firms",
            "public_balance_eur")
TOTALS = ("applicants", "admitted", "rejected_rule", "rejected_sector", "rejected_no_plot", "excluded", "fines_eur",
          "land_discount_eur")
STRICT, WEAK = "commitments_strict_enforcement", "commitments_weak_enforcement"
PLACEBO = "placebo_other_seeds"


def library(folder: Path = SCENARIOS, baseline: Path = BASELINE) -> list[Path]:
    """The library: every scenario of ``folder`` built on the baseline (``base:`` naming it)."""
    from simulation.inputs.strict_yaml import load_yaml
    found = []
    for path in sorted(folder.glob("*.yaml")):
        doc = load_yaml(path)
        if isinstance(doc, dict) and isinstance(doc.get("base"), str) and (
                (path.parent / doc["base"]).resolve() == baseline.resolve()):
            found.append(path)
    return found


def run_one(path: str, seed: int, years: int | None) -> dict:
    """One run (a worker task): the final-year indicators and a few totals over all years."""
    from simulation.inputs.scenario import load_scenario
    from simulation.runs import build_model
    loaded = load_scenario(path)
    model = build_model(loaded, seed=seed, years=years)
    started = time.perf_counter()
    model.run()
    rows = pd.DataFrame(model.indicator_rows)
    final = rows.iloc[-1].to_dict()
    result = {"scenario": model.scenario.name, "seed": seed, "final_year": int(final["year"]),
              "seconds": round(time.perf_counter() - started, 3)}
    result.update({k: final[k] for k in rows.columns if k != "year"})
    result.update({f"total_{k}": float(rows[k].sum()) for k in TOTALS if k in rows})
    firms = [f for f in model.all_firms() if f.commitment is not None]
    result["bound_firms"] = len(firms)
    result["bound_secondary"] = sum(f.commitment.secondary_share > 0 for f in firms)
    return result


def _library_run(years: int | None, task: tuple[int, str, int]) -> dict:
    """A runner task: :func:`run_one` of ``task`` = (position, scenario path, seed)."""
    return run_one(task[1], task[2], years)


def run_all(paths: list[Path], seeds: list[int], workers: int, years: int | None = None,
            placebo_seeds: list[int] | None = None, scheduler: str | None = None) -> pd.DataFrame:
    """Every (scenario, seed) run, on ``workers`` local processes (:mod:`simulation.sweeps.runner`)
    or on the Dask scheduler at ``scheduler``; rows in (scenario, seed) order.

    With ``placebo_seeds`` the first scenario (the baseline) also runs on those seeds, recorded as
    scenario :data:`PLACEBO` paired with ``seeds`` by position (``run_seed`` keeps the seed used).
    Raises RuntimeError when a run fails.
    """
    tasks = [(str(p), s) for p in paths for s in seeds]
    if placebo_seeds:
        tasks += [(str(paths[0]), s) for s in placebo_seeds]
    results: list[dict | None] = [None] * len(tasks)
    with runner(workers, scheduler, backend="local") as pool:
        for (k, path, seed), result in pool.map(_library_run, years, [(k, *t) for k, t in enumerate(tasks)],
                                                label=lambda task: f"library-{task[0]}"):
            if isinstance(result, Failure):
                raise RuntimeError(f"{path} with seed {seed} failed: {result.error}\n{result.traceback}")
            results[k] = result
    runs = pd.DataFrame(results)
    runs.insert(2, "run_seed", runs.seed)
    if placebo_seeds:
        placebo = runs.index >= len(paths) * len(seeds)
        runs.loc[placebo, "scenario"] = PLACEBO
        runs.loc[placebo, "seed"] = list(seeds)
    return runs


def differences(runs: pd.DataFrame, baseline: str, pairs: list[tuple[str, str]] | None = None) -> pd.DataFrame:
    """Paired differences ``other − reference`` of the final-year outcomes, one row per comparison
    and outcome. ``pairs`` are (other, reference) scenario names; default: every scenario against
    ``baseline``, plus strict against weak enforcement when both ran."""
    names = list(dict.fromkeys(runs.scenario))
    if pairs is None:
        pairs = [(n, baseline) for n in names if n not in (baseline, PLACEBO)]
        if PLACEBO in names:
            pairs.insert(0, (PLACEBO, baseline))
        if STRICT in names and WEAK in names:
            pairs.append((STRICT, WEAK))
    rng = np.random.default_rng(20260)
    rows = []
    for other, reference in pairs:
        a = runs[runs.scenario == reference].set_index("seed")
        b = runs[runs.scenario == other].set_index("seed")
        seeds = a.index.intersection(b.index)
        for outcome in OUTCOMES:
            d = paired_difference(a.loc[seeds, outcome].to_numpy(float), b.loc[seeds, outcome].to_numpy(float), rng)
            rows.append({"scenario": other, "reference": reference, "outcome": outcome, **asdict(d)})
    return pd.DataFrame(rows)


def _questions(path: Path) -> str:
    """The policy question(s) of a scenario: the sentences of its description ending with '?'."""
    from simulation.inputs.localised import in_language
    from simulation.inputs.strict_yaml import load_yaml
    text = " ".join(in_language(load_yaml(path).get("description"), "en").split())
    return " ".join(re.findall(r"[^.?!]*\?", text)).strip()


def _number_format(outcome: str, signed: bool) -> str:
    """Shares with 3 decimals, counts of firms with 1, tonnes and euros whole with thousands separators."""
    sign = "+" if signed else ""
    if outcome.endswith("_rate"):
        return f"{{:{sign}.3f}}"
    return f"{{:{sign}.1f}}" if outcome in ("firms", "jobs", "symbiosis_links") else f"{{:{sign},.0f}}"


def _cell(row: pd.Series, outcome: str) -> str:
    fmt = _number_format(outcome, signed=True)
    text = f"{fmt.format(row.mean_difference)} [{fmt.format(row.ci_low)}, {fmt.format(row.ci_high)}]"
    return f"**{text}**" if row.verdict in (HIGHER, LOWER) else text


def markdown(diffs: pd.DataFrame, runs: pd.DataFrame, paths: dict[str, Path], baseline: str,
             replicates: int, command: str) -> str:
    """The tables of ``scenarios/README.md``: one row per scenario, each cell Δ [95 % CI]."""
    base = runs[runs.scenario == baseline]
    lines = [f"Paired differences from `{baseline}` in the final simulated year, mean over {replicates} "
             f"replicates with its paired Student-t 95 % interval (paired by seed). **Bold**: the interval "
             f"excludes 0 (the paired t-test rejects at 5 %); otherwise not distinguishable from the "
             f"baseline. Reproduce with `{command}`.", "",
             "Baseline means (final year): " + ", ".join(
                 f"`{o}` " + _number_format(o, signed=False).format(base[o].mean()) for o in OUTCOMES) + ".", "",
             "| scenario | policy question | Δ " + " | Δ ".join(f"`{o}`" for o in OUTCOMES) + " |",
             "|---|---|" + "---|" * len(OUTCOMES)]
    against = diffs[diffs.reference == baseline]
    for name in dict.fromkeys(against.scenario):
        part = against[against.scenario == name].set_index("outcome")
        cells = [_cell(part.loc[o], o) for o in OUTCOMES]
        question = ("*placebo*: the baseline itself on a second, independent set of seeds: how large do "
                    "differences get when two runs share nothing but their rules?") if name == PLACEBO \
            else _questions(paths[name])
        lines.append(f"| `{name}` | {question} | " + " | ".join(cells) + " |")
    strict = diffs[(diffs.scenario == STRICT) & (diffs.reference == WEAK)]
    if len(strict):
        part = strict.set_index("outcome")
        lines += ["", f"Strict against weak enforcement of the same commitments (`{STRICT}` − `{WEAK}`), paired "
                  "by seed:", "", "| comparison | Δ " + " | Δ ".join(f"`{o}`" for o in OUTCOMES) + " |",
                  "|---|" + "---|" * len(OUTCOMES),
                  "| strict − weak | " + " | ".join(_cell(part.loc[o], o) for o in OUTCOMES) + " |"]
        lines += ["", "Enforcement over the whole run (mean per replicate):", "",
                  "| scenario | bound firms | bound to the secondary share | violations fined (EUR) | excluded |",
                  "|---|---|---|---|---|"]
        for name in (WEAK, STRICT):
            r = runs[runs.scenario == name]
            lines.append(f"| `{name}` | {r.bound_firms.mean():.1f} | {r.bound_secondary.mean():.1f} | "
                         f"{r.total_fines_eur.mean():,.0f} | {r.total_excluded.mean():.2f} |")
    return "\n".join(lines) + "\n"


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(prog="python -m analysis.policy_library", description=__doc__.split("\n\n")[0])
    parser.add_argument("--replicates", type=int, default=20, help="paired replicates per scenario (default 20)")
    parser.add_argument("--seed", type=int, default=None, help="root of the replicate seeds (default: the baseline's)")
    parser.add_argument("--workers", type=int, default=min(2, os.cpu_count() or 1), help="processes (default 2)")
    parser.add_argument("--scheduler", metavar="ADDRESS", help="run on the Dask scheduler at ADDRESS instead")
    parser.add_argument("--years", type=int, default=None, help="simulate only the first N years")
    parser.add_argument("--out", type=Path, default=Path("runs/policy_library"), help="output folder")
    parser.add_argument("--scenarios", type=Path, nargs="*", help="library scenarios (default: every "
                        "scenario of scenarios/ built on the baseline)")
    parser.add_argument("--no-placebo", action="store_true",
                        help="skip the placebo: the baseline on a second, independent set of seeds")
    parser.add_argument("--tables-only", action="store_true",
                        help="rebuild differences.csv and the tables from the runs.csv already in --out")
    args = parser.parse_args(argv)
    from simulation.inputs.scenario import load_scenario
    from simulation.sweeps.experiment import replicate_seeds
    baseline = load_scenario(BASELINE)
    paths = [BASELINE, *(args.scenarios or library())]
    names = {load_scenario(p).scenario.name: p for p in paths}
    root = baseline.scenario.seed if args.seed is None else args.seed
    seeds = replicate_seeds(root, args.replicates)
    started = time.perf_counter()
    if args.tables_only:
        runs = pd.read_csv(args.out / "runs.csv")
    else:
        placebo = None if args.no_placebo else replicate_seeds(root + 1, args.replicates)
        runs = run_all(paths, seeds, args.workers, args.years, placebo, args.scheduler)
    diffs = differences(runs, baseline.scenario.name)
    command = f"python -m analysis.policy_library --replicates {args.replicates}" + (
        f" --seed {args.seed}" if args.seed is not None else "")
    tables = markdown(diffs, runs, names, baseline.scenario.name, args.replicates, command)
    write_atomically(args.out, {"runs.csv": lambda p: runs.to_csv(p, index=False, lineterminator="\n"),
                                "differences.csv": lambda p: diffs.to_csv(p, index=False, lineterminator="\n"),
                                "policy_library.md": lambda p: p.write_text(tables, encoding="utf-8")})
    print(f"{len(runs)} runs ({len(paths)} scenarios x {len(seeds)} seeds) in {time.perf_counter() - started:.0f} s; "
          f"tables in {args.out / 'policy_library.md'}", file=sys.stderr)
    return 0


if __name__ == "__main__":
    sys.exit(main())
