"""The ``ecodistrict run`` command: one scenario, one seed, one run folder; or, with ``--replicates N``,
N seeds, a run folder each and their summary (README, "Distributions over seeds")."""

from __future__ import annotations

import argparse
import logging
import time
from pathlib import Path

from simulation.cli.arguments import (
    EXIT_RUNS_FAILED,
    add_out_arguments,
    check_out,
    non_negative_int,
    out_path,
    positive_int,
    reporting_write_errors,
    scenario_files,
)
from simulation.inputs.errors import InputError

LOG = logging.getLogger(__name__)


def add_run_command(sub) -> None:
    """Register ``run`` on the subparsers of ``ecodistrict``."""
    run = sub.add_parser("run", help="run one scenario and write its run folder (with --replicates: N seeds and "
                                     "their summary)")
    run.add_argument("scenario", type=Path, help="scenario YAML file")
    run.add_argument("--seed", type=non_negative_int,
                     help="random seed (default: the scenario's); with --replicates, the root of their seeds")
    run.add_argument("--years", type=positive_int, help="number of years to simulate from the start year")
    run.add_argument("--replicates", type=positive_int, metavar="N",
                     help="run N seeds drawn from the seed, each in its own run folder, and summarise them")
    run.add_argument("--workers", type=positive_int, metavar="W",
                     help="with --replicates: local worker processes (default: one per core)")
    add_out_arguments(run, "run folder (default: runs/<scenario>-seed<seed>), or with --replicates the replicates "
                           "folder (default: runs/<scenario>-seed<seed>-replicates<N>); refused if it is or holds "
                           "an input file, or holds anything but an output of the same kind",
                      "a run folder (with --replicates: a replicates folder)")
    run.set_defaults(handler=cmd_run)


@reporting_write_errors
def cmd_run(args: argparse.Namespace) -> int:
    from simulation.inputs.scenario import load_scenario
    from simulation.io.out_paths import RUN
    from simulation.io.run_folder import RUN_FILES
    from simulation.runs import default_out_dir, run_scenario

    if args.replicates is not None:
        return cmd_replicates(args)
    if args.workers is not None:
        raise InputError.single("command line", "--workers", "--workers sets how many processes run the "
                                "replicates; a single run uses one", "add --replicates N, or leave out --workers")
    if args.out is not None:
        out_path(args.out)  # an empty --out is refused before the scenario is read
    loaded = load_scenario(args.scenario)  # to check --out against its files before simulating
    seed = args.seed if args.seed is not None else loaded.scenario.seed
    out = check_out(args.out if args.out is not None else default_out_dir(loaded, seed), RUN,
                    scenario_files(loaded), force=args.force)
    out_dir, model = run_scenario(args.scenario, seed=args.seed, years=args.years, out=out, progress=not args.quiet)
    last = model.indicator_rows[-1] if model.indicator_rows else {}
    print(f"ran {model.scenario.name}: years {model.scenario.years.start}-{model.scenario.years.end}, "
          f"seed {model.seed_used}")
    if last:
        print(f"final year {last['year']}: {last['firms']} firms, {last['symbiosis_links']} exchanges, "
              f"circular input rate {last['circular_input_rate']:.3f}, "
              f"landfill diversion {last['landfill_diversion_rate']:.3f}")
    print(f"outputs written to {out_dir}/ ({', '.join(RUN_FILES)})")
    return 0


def cmd_replicates(args: argparse.Namespace) -> int:
    """``run --replicates N``: the N replicate seeds of the seed, on ``--workers`` processes, into
    one replicates folder holding each run folder and the summary; nothing is written if one fails."""
    from analysis.replicates import number_text, summarise, summary_writers
    from simulation.inputs.scenario import load_scenario
    from simulation.io.out_paths import REPLICATES
    from simulation.sweeps.experiment import replicate_seeds
    from simulation.sweeps.replicates import (
        ReplicateFailed,
        default_out_dir,
        replicates_manifest,
        run_replicates,
        write_replicates_folder,
    )

    if args.out is not None:
        out_path(args.out)
    loaded = load_scenario(args.scenario)
    root = args.seed if args.seed is not None else loaded.scenario.seed
    out = check_out(args.out if args.out is not None else default_out_dir(loaded, root, args.replicates),
                    REPLICATES, scenario_files(loaded), force=args.force)
    seeds = replicate_seeds(root, args.replicates)
    LOG.info("running %d replicates of %s (seeds from root %d) on %s", len(seeds), loaded.scenario.name, root,
             f"{args.workers} worker(s)" if args.workers else "one worker per core")
    started = time.perf_counter()
    try:
        replicates = run_replicates(loaded, seeds, years=args.years, workers=args.workers, progress=not args.quiet)
    except ReplicateFailed as exc:
        LOG.debug("%s", exc.failure.traceback)
        again = f"ecodistrict run {args.scenario} --seed {exc.seed}" + (f" --years {args.years}" if args.years else "")
        LOG.error("%s; nothing was written (%s reproduces it)", exc, again)
        return EXIT_RUNS_FAILED
    seconds = time.perf_counter() - started
    summary, markdown = summarise(loaded.scenario.name,
                                  [(r.seed, r.frames["indicators.csv"], r.frames["firms.csv"]) for r in replicates])
    write_replicates_folder(out, replicates, replicates_manifest(loaded, root, replicates, seconds),
                            summary_writers(summary, markdown))
    print(f"ran {loaded.scenario.name} on {len(seeds)} seeds from root {root} in {seconds:.1f} s")
    headline = summary.set_index("indicator")
    for name in ("firms", "byproduct_exchanged_t", "landfill_diversion_rate", "circular_input_rate"):
        row = headline.loc[name]
        print(f"  {name}: median {number_text(row['median'])} [IQR {number_text(row.p25)}-{number_text(row.p75)}]")
    print(f"outputs written to {out}/ (seed-<seed>/ run folders, summary.csv, summary.md, manifest.json)")
    return 0
