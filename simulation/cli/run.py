"""The ``ecodistrict run`` command: one scenario, one seed, one run folder."""

from __future__ import annotations

import argparse
from pathlib import Path

from simulation.cli.arguments import (
    add_out_arguments,
    check_out,
    non_negative_int,
    out_path,
    positive_int,
    reporting_write_errors,
    scenario_files,
)


def add_run_command(sub) -> None:
    """Register ``run`` on the subparsers of ``ecodistrict``."""
    run = sub.add_parser("run", help="run one scenario and write its run folder")
    run.add_argument("scenario", type=Path, help="scenario YAML file")
    run.add_argument("--seed", type=non_negative_int, help="random seed (default: the scenario's)")
    run.add_argument("--years", type=positive_int, help="number of years to simulate from the start year")
    add_out_arguments(run, "run folder (default: runs/<scenario>-seed<seed>); refused if it is or holds an input "
                           "file, or holds anything but a run", "a run folder")
    run.set_defaults(handler=cmd_run)


@reporting_write_errors
def cmd_run(args: argparse.Namespace) -> int:
    from simulation.inputs.scenario import load_scenario
    from simulation.io.out_paths import RUN
    from simulation.io.run_folder import RUN_FILES
    from simulation.runs import default_out_dir, run_scenario

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
