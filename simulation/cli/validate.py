"""The ``ecodistrict validate`` command: check input files without running anything; exit 0 or 2."""

from __future__ import annotations

import argparse
import logging
import sys
from pathlib import Path

from simulation.cli.arguments import EXIT_INPUT_ERROR
from simulation.inputs.errors import InputError, Problem
from simulation.inputs.strict_yaml import load_yaml

log = logging.getLogger(__name__)


def add_validate_command(sub) -> None:
    """Register ``validate`` on the subparsers of ``ecodistrict``."""
    validate = sub.add_parser("validate", help="check scenarios, experiments and catalogue files; exit 0 or 2")
    validate.add_argument("files", type=Path, nargs="+", metavar="FILE",
                          help="scenario, experiment, resource, archetype or service file (.yaml), "
                               "or firm profile file (.csv)")
    validate.set_defaults(handler=cmd_validate)


def validate_file(path: Path) -> list[Problem]:
    """Every problem of one file (scenario, experiment, resource catalogue, archetype or firm profile file).

    A resource catalogue is checked on its own. An archetype file's flows, and a service file's
    resources, are checked against the ``resources.yaml`` beside it when there is one (a territory's
    files live together), else against the shipped catalogue; problems of that other file are not
    this file's and are left out.
    """
    from simulation.inputs.catalogue import SHIPPED_RESOURCES, load_catalogue, load_resource_file
    from simulation.inputs.scenario import validate_scenario_data
    from simulation.world import world_of
    try:
        if path.suffix.lower() == ".csv":  # a firm profile, against the resources.yaml beside it or the shipped one
            from simulation.inputs.firm_profiles import validate_profile_file
            log.info("%s: checking it as a firm profile file", path)
            validate_profile_file(path)
            return []
        raw = load_yaml(path)
        if isinstance(raw, dict) and "resources" in raw and "name" not in raw:
            log.info("%s: checking it as a resource catalogue", path)
            load_resource_file(path)
        elif isinstance(raw, dict) and "archetypes" in raw and "name" not in raw:
            log.info("%s: checking it as an archetype file", path)
            sibling = path.parent / SHIPPED_RESOURCES
            try:
                load_catalogue(resources_path=sibling if sibling.is_file() else None, archetypes_path=path)
            except InputError as exc:
                return [p for p in exc.problems if p.file == str(path)] or exc.problems
        elif isinstance(raw, dict) and "services" in raw and "name" not in raw:  # shared-service kinds
            from simulation.inputs.catalogue import check_service_file
            log.info("%s: checking it as a service file", path)
            sibling = path.parent / SHIPPED_RESOURCES
            check_service_file(path, sibling if sibling.is_file() else None)
        elif isinstance(raw, dict) and "scenario" in raw:  # an experiment names its base scenario
            from simulation.sweeps.experiment import validate_experiment_data
            log.info("%s: checking it as an experiment", path)
            validate_experiment_data(raw, path)
        else:
            log.info("%s: checking it as a scenario (with every file it names)", path)
            world_of(validate_scenario_data(raw, path), years=1)  # every input check, no model
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
