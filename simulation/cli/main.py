"""The ``ecodistrict`` command line: run, validate, sweep, compare, matchmake (see the README).

Bad input never shows a traceback: every problem is printed as ``file: field: message (fix)``
on standard error and the command exits with code 2. Each subcommand lives in its own module of
:mod:`simulation.cli`, which imports what it needs only when it runs, so that building the parser
(``ecodistrict --help``) loads neither the model, nor Dask, nor matplotlib.
"""

from __future__ import annotations

import argparse
import sys

from simulation.cli.arguments import EXIT_INPUT_ERROR, EXIT_INTERRUPTED
from simulation.cli.compare import add_compare_command
from simulation.cli.matchmake import add_matchmake_command
from simulation.cli.run import add_run_command
from simulation.cli.sweep import add_sweep_command
from simulation.cli.validate import add_validate_command
from simulation.inputs.errors import InputError


def build_parser() -> argparse.ArgumentParser:
    parser = argparse.ArgumentParser(prog="ecodistrict", description=__doc__.splitlines()[0])
    sub = parser.add_subparsers(dest="command", required=True)
    for add in (add_run_command, add_validate_command, add_sweep_command, add_compare_command,
                add_matchmake_command):
        add(sub)
    return parser


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
        return EXIT_INTERRUPTED
