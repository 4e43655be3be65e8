"""What every subcommand of ``ecodistrict`` shares: argument types, ``--out`` and ``--force``, exit codes.

An argument argparse refuses is printed by argparse and exits with code 2, like any input error.
"""

from __future__ import annotations

import argparse
import functools
import math
from collections.abc import Callable, Iterable
from pathlib import Path
from typing import TYPE_CHECKING

from simulation.inputs.errors import InputError
from simulation.io.atomic import OutputError, interrupted_replacement
from simulation.io.out_paths import (
    Problem,
    empty_problem,
    files_problem,
    folder_problem,
    unwritable_problem,
    write_fix,
)

if TYPE_CHECKING:
    from simulation.inputs.scenario import LoadedScenario

EXIT_RUNS_FAILED = 1  # a batch of runs (sweep, replicates) where a run raised
EXIT_INPUT_ERROR = 2
EXIT_INTERRUPTED = 130


def int_at_least(minimum: int):
    """Argument type: a whole number >= ``minimum``."""

    def parse(text: str) -> int:
        try:
            value = int(text)
        except ValueError:
            raise argparse.ArgumentTypeError(f"{text!r} is not a whole number (give one >= {minimum})") from None
        if value < minimum:
            raise argparse.ArgumentTypeError(f"{value} is too small (give a whole number >= {minimum})")
        return value

    return parse


def positive_number(what: str):
    """Argument type: a finite number > 0 (``what`` names it in the message, e.g. "a radius in km")."""

    def parse(text: str) -> float:
        try:
            value = float(text)
        except ValueError:
            raise argparse.ArgumentTypeError(f"{text!r} is not a number (give {what} > 0)") from None
        if not math.isfinite(value) or value <= 0:
            raise argparse.ArgumentTypeError(f"{text} is not a valid value (give {what} > 0)")
        return value

    return parse


non_negative_int = int_at_least(0)
positive_int = int_at_least(1)


def add_out_arguments(parser: argparse.ArgumentParser, help: str, what: str, default: Path | None = None,
                      metavar: str | None = None) -> None:
    """``--out`` (a string, so that ``--out ''`` can be refused rather than read as the current
    folder) and ``--force``, the same on every command that writes (``what``: its kind of output)."""
    parser.add_argument("--out", default=None if default is None else str(default), metavar=metavar, help=help)
    parser.add_argument("--force", action="store_true",
                        help=f"replace {what} already at --out (without it an existing one is refused)")


def _refuse_out(problem: Problem | None) -> None:
    if problem is not None:
        raise InputError.single("command line", "--out", *problem)


def out_path(out: str | Path) -> Path:
    """The path ``--out`` gives, refused when empty (``Path('')`` would be the current folder)."""
    _refuse_out(empty_problem(str(out)))
    return Path(out)


def check_out(out: str | Path, kind: str, inputs: Iterable[Path] = (), force: bool = False,
              resume: bool = False) -> Path:
    """The ``--out`` folder of a ``kind`` output (:mod:`simulation.io.out_paths`), checked before any
    work against the command's ``inputs``; raises InputError for one the policy refuses."""
    path = out_path(out)
    full = path.expanduser().resolve()
    _refuse_out(folder_problem(path, kind, inputs, force, resume) or unwritable_problem(full.parent, [full.name]))
    return path


def check_out_files(outputs: dict[str, Path], inputs: Iterable[Path] = (), force: bool = False) -> None:
    """The files one ``--out`` names (matchmake's tables and summary, by what each holds), checked
    like :func:`check_out`."""
    _refuse_out(files_problem(outputs, inputs, force))
    for folder in {p.expanduser().resolve().parent for p in outputs.values()}:
        _refuse_out(unwritable_problem(folder, [p.name for p in outputs.values()]))


def check_complete(folders: Iterable[Path]) -> None:
    """Refuse to read a run folder a killed replacement left under its backup name (the new
    version was never swapped in): the user learns what happened instead of "folder not found"."""
    for folder in folders:
        backup = interrupted_replacement(folder)
        if backup is not None:
            raise InputError.single(folder, "", "this run folder was being replaced when the run was killed; "
                                    f"its previous version is kept in {backup}",
                                    f"run it again with --force --out {folder}, or rename {backup.name} back")


def scenario_files(loaded: LoadedScenario) -> list[Path]:
    """Every file a scenario is read from (:func:`simulation.inputs.scenario.input_files`): the
    inputs an ``--out`` must spare."""
    from simulation.inputs.scenario import input_files

    return list(input_files(loaded).values())


def reporting_write_errors(handler: Callable[[argparse.Namespace], int]) -> Callable[[argparse.Namespace], int]:
    """A command handler whose failed writes (no space, permission, read-only disk, a name too
    long) end as input errors ``file: write: reason (fix)``, exit 2, instead of a traceback. The
    writer has removed what it wrote (:mod:`simulation.io.atomic`)."""

    @functools.wraps(handler)
    def handle(args: argparse.Namespace) -> int:
        try:
            return handler(args)
        except OutputError as exc:
            raise InputError.single(exc.filename, "write", exc.strerror, write_fix(exc.errno)) from None

    return handle
