"""The ``ecodistrict sweep`` command: arguments, and what it prints (README, Sweeps and sensitivity analysis).

The sweep itself is :func:`simulation.sweeps.sweep.run_sweep`, imported when the command runs so
that building the parser imports neither Dask nor the model: every ``ecodistrict`` command would
otherwise pay for their import.
"""

from __future__ import annotations

import argparse
import logging
import shutil
import sys
from pathlib import Path

from simulation.cli.arguments import (
    EXIT_INTERRUPTED,
    EXIT_RUNS_FAILED,
    add_out_arguments,
    check_out,
    positive_int,
    reporting_write_errors,
    scenario_files,
)
from simulation.inputs.errors import InputError

SWEEPS_DIR = Path("sweeps")


def add_sweep_command(sub) -> None:
    """Register ``sweep`` on the subparsers of ``ecodistrict``."""
    sweep = sub.add_parser("sweep", help="many runs of an experiment (grid or sampled design), locally or on Dask")
    sweep.add_argument("experiment", type=Path, help="experiment YAML file")
    where = sweep.add_mutually_exclusive_group()
    where.add_argument("--workers", type=positive_int, help="local worker processes (default: one per core)")
    where.add_argument("--scheduler", metavar="ADDRESS",
                       help="address of a running Dask scheduler, e.g. tcp://10.0.0.5:8786 (instead of local workers)")
    add_out_arguments(sweep, "sweep folder (default: sweeps/<experiment name>); refused if it is or holds an input "
                             "file, or holds anything but this sweep", "a sweep folder (it is deleted first)")
    sweep.add_argument("--resume", action="store_true",
                       help="run only the runs the sweep folder is missing (failed runs are retried)")
    sweep.set_defaults(handler=cmd_sweep)


@reporting_write_errors
def cmd_sweep(args: argparse.Namespace) -> int:
    from simulation.io.out_paths import SWEEP, folder_kind
    from simulation.sweeps.experiment import load_experiment
    from simulation.sweeps.sweep import run_sweep

    if args.force and args.resume:
        raise InputError.single("command line", "--force", "--force deletes the sweep folder that --resume would "
                                "finish", "give one of --force and --resume")
    loaded = load_experiment(args.experiment)
    out = check_out(args.out if args.out is not None else SWEEPS_DIR / loaded.name, SWEEP,
                    [loaded.path, *scenario_files(loaded.base)], force=args.force, resume=args.resume)
    if args.force and folder_kind(out) == SWEEP:
        shutil.rmtree(out)
    try:
        summary = run_sweep(loaded, out, workers=args.workers, scheduler=args.scheduler, resume=args.resume,
                            progress=not args.quiet)
    except KeyboardInterrupt:
        print(f"interrupted: finished runs are saved in {out}/; add --resume to run the others", file=sys.stderr)
        return EXIT_INTERRUPTED
    rate = f", {summary.ran / summary.seconds * 60:.0f} runs/min" if summary.ran else ""
    print(f"swept {loaded.name}: {summary.finished} of {summary.total} runs finished "
          f"({summary.ran} run now in {summary.seconds:.1f} s{rate}), {summary.failed} failed")
    if summary.failed:
        logging.getLogger(__name__).warning(f"failed runs are described in {out}/failed/ (error, traceback, "
                                            "seed); add --resume to run them again")
        return EXIT_RUNS_FAILED
    design = loaded.experiment.design
    if design is not None and design.method in ("sobol", "morris"):
        from analysis.sensitivity import write_sensitivity
        print(f"sensitivity indices written to {write_sensitivity(out)}")
    print(f"results in {out}/ (read them with analysis.load_sweep)")
    return 0
