"""What every subcommand of ``ecodistrict`` shares: argument types, the ``--out`` check, exit codes.

An argument argparse refuses is printed by argparse and exits with code 2, like any input error.
"""

from __future__ import annotations

import argparse
import math
from pathlib import Path

from simulation.inputs.errors import InputError
from simulation.io.out_paths import out_file_problem, out_folder_problem

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


def check_out(out: Path | None, file: bool = False) -> None:
    """Refuse an ``--out`` folder (or, with ``file``, output file) that cannot be written, before
    any work (:mod:`simulation.io.out_paths`); ``None`` (the default path) is not checked."""
    if out is None:
        return
    problem = out_file_problem(out) if file else out_folder_problem(out)
    if problem is not None:
        raise InputError.single("command line", "--out", *problem)
