"""Checking an output path before any work is done.

Every command that writes (``run``, ``sweep``, ``compare``, ``matchmake``) checks its ``--out``
first: found only after a run or a sweep, a path that cannot be written would cost the whole
computation and end in a traceback. Whether an existing folder may be written into is each
writer's own rule (a sweep folder must hold the same sweep: :func:`simulation.sweeps.folder.check`).

The checks return the problem, ``(message, fix)``, rather than raise: the command line reports it
as an input error (:func:`simulation.cli.arguments.check_out`), and this layer stays free of the
input layer.
"""

from __future__ import annotations

from pathlib import Path

Problem = tuple[str, str]  # (message, how to fix it)


def _file_above(path: Path, fix: str) -> Problem | None:
    """A file at ``path`` or at its nearest existing ancestor: nothing can be created below it."""
    for folder in (path, *path.parents):
        if folder.exists():
            return None if folder.is_dir() else (f"{folder} is a file, not a folder", fix)
    return None


def out_folder_problem(out: Path) -> Problem | None:
    """What is wrong with an output folder that is, or lies below, an existing file (``None``: nothing)."""
    return _file_above(Path(out), "give a folder path; it is created if missing")


def out_file_problem(out: Path) -> Problem | None:
    """What is wrong with an output file that is an existing folder, or lies below an existing file."""
    out = Path(out)
    if out.is_dir():
        return f"{out} is a folder", "give a file name, e.g. --out results/matchmake.csv"
    return _file_above(out.parent, "give a path in an existing or new folder")
