"""The ``ecodistrict`` command line (README, Set-up and the sections per command).

Bad input never shows a traceback: every problem is printed as ``file: field: message (fix)``
on standard error and the command exits with code 2.
"""

from __future__ import annotations

import argparse
import sys
from pathlib import Path

from simulation.cli.compare import add_compare_command
from simulation.inputs.errors import InputError, Problem
from simulation.cli.matchmake import add_matchmake_command
from simulation.cli.sweep import add_sweep_command
from simulation.inputs.strict_yaml import load_yaml

EXIT_INPUT_ERROR = 2


def _int_at_least(minimum: int):
    """Argument type: a whole number >= ``minimum``; argparse prints the message and exits with 2."""

    def parse(text: str) -> int:
        try:
            value = int(text)
        except ValueError:
            raise argparse.ArgumentTypeError(f"{text!r} is not a whole number (give one >= {minimum})") from None
        if value < minimum:
            raise argparse.ArgumentTypeError(f"{value} is too small (give a whole number >= {minimum})")
        return value

    return parse


_non_negative_int = _int_at_least(0)
_positive_int = _int_at_least(1)


def build_parser() -> argparse.ArgumentParser:
    parser = argparse.ArgumentParser(prog="ecodistrict", description=__doc__.splitlines()[0])
    sub = parser.add_subparsers(dest="command", required=True)
    run = sub.add_parser("run", help="run one scenario and write its run folder")
    run.add_argument("scenario", type=Path, help="scenario YAML file")
    run.add_argument("--seed", type=_non_negative_int, help="random seed (default: the scenario's)")
    run.add_argument("--years", type=_positive_int, help="number of years to simulate from the start year")
    run.add_argument("--out", type=Path, help="run folder (default: runs/<scenario>-seed<seed>)")
    run.set_defaults(handler=cmd_run)
    validate = sub.add_parser("validate", help="check scenarios, experiments and catalogue files; exit 0 or 2")
    validate.add_argument("files", type=Path, nargs="+")
    validate.set_defaults(handler=cmd_validate)
    add_sweep_command(sub)
    add_compare_command(sub)
    add_matchmake_command(sub)
    return parser


def validate_file(path: Path) -> list[Problem]:
    """Every problem of one file (scenario, experiment, resource catalogue, archetype or firm profile file).

    A resource catalogue is checked on its own. An archetype file's flows, and a service file's
    resources, are checked against the ``resources.yaml`` beside it when there is one (a territory's
    files live together), else against the shipped catalogue; problems of that other file are not
    this file's and are left out.
    """
    from simulation.inputs.catalogue import SHIPPED_RESOURCES, load_catalogue, load_resource_file
    from simulation.runs import build_model
    from simulation.inputs.scenario import validate_scenario_data
    try:
        if path.suffix.lower() == ".csv":  # a firm profile file, against the resources.yaml beside it or the shipped one
            from simulation.inputs.firm_profiles import validate_profile_file
            validate_profile_file(path)
            return []
        raw = load_yaml(path)
        if isinstance(raw, dict) and "resources" in raw and "name" not in raw:
            load_resource_file(path)
        elif isinstance(raw, dict) and "archetypes" in raw and "name" not in raw:
            sibling = path.parent / SHIPPED_RESOURCES
            try:
                load_catalogue(resources_path=sibling if sibling.is_file() else None, archetypes_path=path)
            except InputError as exc:
                return [p for p in exc.problems if p.file == str(path)] or exc.problems
        elif isinstance(raw, dict) and "services" in raw and "name" not in raw:  # shared-service kinds
            from simulation.inputs.catalogue import check_service_file
            sibling = path.parent / SHIPPED_RESOURCES
            check_service_file(path, sibling if sibling.is_file() else None)
        elif isinstance(raw, dict) and "scenario" in raw:  # an experiment names its base scenario
            from simulation.sweeps.experiment import validate_experiment_data
            validate_experiment_data(raw, path)
        else:
            build_model(validate_scenario_data(raw, path), years=1)
    except InputError as exc:
        return exc.problems
    return []


def cmd_validate(args: argparse.Namespace) -> int:
    problems = [p for path in args.files for p in validate_file(path)]
    for p in problems:
        print(p, file=sys.stderr)
    if problems:
        return EXIT_INPUT_ERROR
    for path in args.files:
        print(f"{path}: valid")
    return 0


def check_out_dir(out: Path | None) -> None:
    """Refuse an ``--out`` that is, or lies below, an existing file: found after the run, that would
    cost the whole simulation and end in a traceback."""
    if out is None:
        return
    for folder in (out, *out.parents):
        if folder.exists():
            if not folder.is_dir():
                raise InputError.single("command line", "--out", f"{folder} is a file, not a folder",
                                        "give a folder path; it is created if missing")
            return


def cmd_run(args: argparse.Namespace) -> int:
    from simulation.runs import run_scenario
    check_out_dir(args.out)
    out_dir, model = run_scenario(args.scenario, seed=args.seed, years=args.years, out=args.out, progress=True)
    last = model.indicator_rows[-1] if model.indicator_rows else {}
    print(f"ran {model.scenario.name}: years {model.scenario.years.start}-{model.scenario.years.end}, "
          f"seed {model.seed_used}")
    if last:
        print(f"final year {last['year']}: {last['firms']} firms, {last['symbiosis_links']} exchanges, "
              f"circular input rate {last['circular_input_rate']:.3f}, "
              f"landfill diversion {last['landfill_diversion_rate']:.3f}")
    from simulation.io.run_folder import RUN_FILES
    print(f"outputs written to {out_dir}/ ({', '.join(RUN_FILES)})")
    return 0


def main(argv: list[str] | None = None) -> int:
    args = build_parser().parse_args(argv)
    try:
        return args.handler(args)
    except InputError as exc:
        for p in exc.problems:
            print(p, file=sys.stderr)
        return EXIT_INPUT_ERROR
    except KeyboardInterrupt:
        print("interrupted; nothing was written", file=sys.stderr)
        return 130


