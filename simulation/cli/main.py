"""The ecodistrict command line: the parser of every subcommand, the options they share, and logging.

Bad input never shows a traceback: every problem is printed as ``file: field: message (fix)``
on standard error and the command exits with code 2. Each subcommand lives in its own module of
:mod:`simulation.cli`, which imports what it needs only when it runs, so that building the parser
(``ecodistrict --help``) loads neither the model, nor Dask, nor matplotlib.

Warnings and progress notes of the packages go through :mod:`logging` (one logger per module),
set up here once per command: warnings by default, errors only with ``--quiet``, progress notes
with ``--verbose`` and debugging detail with ``-vv``, all on standard error. What a command
reports as its result (``ran ...``, ``valid``) is printed on standard output.
"""

from __future__ import annotations

import argparse
import logging
import sys

import simulation
from simulation.cli.arguments import EXIT_INPUT_ERROR, EXIT_INTERRUPTED
from simulation.cli.compare import add_compare_command
from simulation.cli.matchmake import add_matchmake_command
from simulation.cli.run import add_run_command
from simulation.cli.sweep import add_sweep_command
from simulation.cli.validate import add_validate_command
from simulation.cli.view import add_view_command
from simulation.inputs.errors import InputError

DESCRIPTION = ("Simulate how an eco-industrial district evolves under planning rules, and compare the "
               "results. Subcommands: run, validate, sweep, compare, matchmake, view; README.md explains each.")
PROJECT_LOGGERS = ("simulation", "analysis")


def _add_verbosity(parser: argparse.ArgumentParser, subcommand: bool) -> None:
    """``-q/--quiet`` and ``-v/--verbose``, before or after the subcommand's name. On a subcommand
    they default to nothing (``SUPPRESS``), so that an option given before its name is kept."""
    group = parser.add_mutually_exclusive_group()
    group.add_argument("-q", "--quiet", action="store_true", default=argparse.SUPPRESS if subcommand else False,
                       help="print errors only: no warnings, no progress bars")
    group.add_argument("-v", "--verbose", action="count", default=argparse.SUPPRESS if subcommand else 0,
                       help="also print progress notes (-vv: and debugging detail)")


class _Subcommands:
    """The subparsers of ``ecodistrict`` as the ``add_*_command`` functions see them: every
    subcommand also takes ``--quiet`` and ``--verbose``, and its one-line help is its description."""

    def __init__(self, subparsers) -> None:
        self._subparsers = subparsers

    def add_parser(self, name: str, **kwargs) -> argparse.ArgumentParser:
        kwargs.setdefault("description", kwargs.get("help"))
        parser = self._subparsers.add_parser(name, **kwargs)
        _add_verbosity(parser, subcommand=True)
        return parser


def build_parser() -> argparse.ArgumentParser:
    parser = argparse.ArgumentParser(prog="ecodistrict", description=DESCRIPTION)
    parser.add_argument("--version", action="version", version=f"ecodistrict {simulation.__version__}")
    _add_verbosity(parser, subcommand=False)
    sub = parser.add_subparsers(dest="command", required=True, metavar="COMMAND")
    for add in (add_run_command, add_validate_command, add_sweep_command, add_compare_command,
                add_matchmake_command, add_view_command):
        add(_Subcommands(sub))
    return parser


class _StderrHandler(logging.StreamHandler):
    """A handler writing to the ``sys.stderr`` of the moment of each message, not of its creation
    (a test capturing standard error, or a caller redirecting it, replaces ``sys.stderr``)."""

    def __init__(self) -> None:
        super().__init__(sys.stderr)

    @property
    def stream(self):
        return sys.stderr

    @stream.setter
    def stream(self, value) -> None:
        pass


class _Formatter(logging.Formatter):
    """``warning: message`` (``error: ``, ``debug: ``), and progress notes (INFO) as they are."""

    def format(self, record: logging.LogRecord) -> str:
        text = super().format(record)
        return text if record.levelno == logging.INFO else f"{record.levelname.lower()}: {text}"


class _Threshold(logging.Filter):
    """Lets through the project's records from ``level`` up and other libraries' from warnings up.

    A filter on the handler, not the root logger's level: a record propagated from a library's
    logger (Dask's ``distributed`` logs its progress at INFO) is never checked against the root's level.
    """

    def __init__(self, level: int) -> None:
        super().__init__()
        self.level = level

    def filter(self, record: logging.LogRecord) -> bool:
        ours = record.name.split(".", 1)[0] in PROJECT_LOGGERS
        return record.levelno >= (self.level if ours else max(self.level, logging.WARNING))


def setup_logging(quiet: bool = False, verbose: int = 0) -> None:
    """Send log records to standard error: the project's warnings by default, only errors with
    ``quiet``, progress notes with ``verbose`` 1 and debugging detail with 2 or more. Other
    libraries' records are shown from warnings up (errors only with ``quiet``), never their
    progress notes. Calling it again replaces the earlier set-up (tests call :func:`main` often)."""
    level = logging.ERROR if quiet else (logging.WARNING, logging.INFO)[verbose] if verbose < 2 else logging.DEBUG
    root = logging.getLogger()
    for handler in [h for h in root.handlers if isinstance(h, _StderrHandler)]:
        root.removeHandler(handler)
    handler = _StderrHandler()
    handler.setFormatter(_Formatter())
    handler.addFilter(_Threshold(level))
    root.addHandler(handler)
    root.setLevel(max(level, logging.WARNING))
    for name in PROJECT_LOGGERS:
        logging.getLogger(name).setLevel(level)


def main(argv: list[str] | None = None) -> int:
    parser = build_parser()
    args = parser.parse_args(argv)
    if args.quiet and args.verbose:  # one given before the subcommand's name, the other after it
        parser.error("--quiet and --verbose exclude each other: give one of them")
    setup_logging(args.quiet, args.verbose)
    try:
        return args.handler(args)
    except InputError as exc:
        for p in exc.problems:
            print(p, file=sys.stderr)
        return EXIT_INPUT_ERROR
    except KeyboardInterrupt:
        print("interrupted; nothing was written", file=sys.stderr)
        return EXIT_INTERRUPTED
