"""The output-path policy of every command that writes (``run``, ``sweep``, ``compare``, ``matchmake``).

Checked before any work, so that nothing of the user's is lost and a path that cannot be written
does not cost a whole computation. An ``--out`` is refused when it

* is empty (``--out ''`` would be the current folder);
* is, or is a folder holding, an input file of the command (the run's files would replace a
  profile CSV called ``firms.csv``);
* is a folder of another kind (a sweep folder for ``run``, a run folder for ``sweep`` or for
  ``run --replicates``), or a
  non-empty folder that is none of the command's outputs (replacing it would delete its files);
* would make two outputs the same file (matchmake ``--out x.md``: the summary is ``x.md`` too);
* holds an output of the same kind, unless ``force`` (``--force``) says to replace it (a sweep
  folder may also be resumed);
* cannot be created or written (a probe folder is created and removed where it will be).

Folders are recognised by their marker files: ``manifest.json`` (a sweep's names its
experiment, a replicates folder's its number of replicates, a run's its scenario file) and
:data:`REPORT_MANIFEST` (what a comparison report drew).

The checks return the problem, ``(message, fix)``, rather than raise: the command line reports it
as an input error (:func:`simulation.cli.arguments.check_out`), and this layer stays free of the
input layer.
"""

from __future__ import annotations

import errno
import json
import shutil
import tempfile
from collections.abc import Callable, Iterable, Sequence
from pathlib import Path

from simulation.io.atomic import interrupted_replacement

Problem = tuple[str, str]  # (message, how to fix it)

RUN, SWEEP, REPORT = "run folder", "sweep folder", "report folder"
REPLICATES = "replicates folder"  # run --replicates: a run folder per seed and their summary
OTHER = "folder of other files"
MANIFEST = "manifest.json"  # the manifest of a run folder, a replicates folder and a sweep folder
REPORT_MANIFEST = "report_files.json"  # the files a comparison report drew (analysis.compare)


def _is(test: Callable[[Path], bool], path: Path) -> bool:
    """``path.exists()``/``is_dir()``/``is_file()`` answering False, not raising, for a name the
    system refuses (too long): :func:`unwritable_problem` reports it with the system's reason."""
    try:
        return test(path)
    except OSError:
        return False


def _resolved(path: Path) -> Path:
    return Path(path).expanduser().resolve(strict=False)


def _file_above(path: Path, fix: str) -> Problem | None:
    """A file at ``path`` or at its nearest existing ancestor: nothing can be created below it."""
    for folder in (path, *path.parents):
        if _is(Path.exists, folder):
            return None if _is(Path.is_dir, folder) else (f"{folder} is a file, not a folder", fix)
    return None


def folder_kind(folder: Path) -> str | None:
    """What an existing folder holds (:data:`RUN`, :data:`REPLICATES`, :data:`SWEEP`, :data:`REPORT`,
    :data:`OTHER`); ``None`` for a missing or empty folder. A run or replicates folder whose
    replacement was interrupted counts as what it was (its previous version is kept under a backup name)."""
    folder = Path(folder)
    backup = interrupted_replacement(folder)
    if backup is not None:
        return folder_kind(backup)
    if not _is(Path.is_dir, folder):
        return None
    try:
        manifest = json.loads((folder / MANIFEST).read_text(encoding="utf-8"))
    except (OSError, ValueError):
        manifest = None
    if isinstance(manifest, dict) and "experiment" in manifest:
        return SWEEP
    if isinstance(manifest, dict) and "replicates" in manifest:
        return REPLICATES
    if isinstance(manifest, dict) and "scenario_file" in manifest:
        return RUN
    if _is(Path.is_file, folder / REPORT_MANIFEST):
        return REPORT
    return OTHER if next(folder.iterdir(), None) is not None else None


def empty_problem(text: str) -> Problem | None:
    """An empty ``--out`` (it would mean the current folder)."""
    if text == "":
        return "an empty path would write into the current folder", "give a path, e.g. --out results/mine"
    return None


def input_problem(out: Path, inputs: Iterable[Path]) -> Problem | None:
    """``out`` is an input file or input folder of the command, or a folder holding some (all named)."""
    target = _resolved(out)
    held = []
    for path in inputs:
        source = _resolved(path)
        if source == target:
            return f"{out} is an input of this command ({path}): writing there would replace it", \
                "give an --out apart from the input files"
        if target in source.parents and path not in held:
            held.append(path)
    if held:
        return f"{out} holds input files of this command ({', '.join(map(str, held))}), which the outputs " \
            "could replace", "give a new folder for the outputs, e.g. a subfolder of its own"
    return None


def folder_problem(out: Path, kind: str, inputs: Iterable[Path] = (), force: bool = False,
                   resume: bool = False) -> Problem | None:
    """What is wrong with writing a ``kind`` folder (:data:`RUN`, :data:`REPLICATES`, :data:`SWEEP`,
    :data:`REPORT`) at
    ``out`` (``None``: nothing). ``force`` allows replacing one of the same kind, ``resume`` (a
    sweep) continuing it. A report is written beside other files of its folder, so a folder of
    other files is accepted for :data:`REPORT`."""
    out = Path(out)
    problem = _file_above(out, "give a folder path; it is created if missing") or input_problem(out, inputs)
    if problem is not None:
        return problem
    found = folder_kind(out)
    if found is None or (found == OTHER and kind == REPORT):
        return None
    if found == kind:
        if force or resume:
            return None
        backup = interrupted_replacement(out)
        message = f"{out} holds a {kind} already" if backup is None else \
            f"{out} was being replaced when a run was killed; its previous version is kept in {backup}"
        if kind == SWEEP:
            return message, "add --resume to finish it, --force to delete it and start again, or give another --out"
        return message, "add --force to replace it, or give another --out"
    if found == OTHER:
        return f"{out} is not empty and holds no {kind}", "give a new or empty folder"
    return f"{out} is a {found}, not a {kind}", "give another --out"


def files_problem(outputs: dict[str, Path], inputs: Iterable[Path] = (), force: bool = False) -> Problem | None:
    """What is wrong with writing the files ``outputs`` (one command's, by what each holds: e.g.
    matchmake's exchanges table, firm profiles, services and summary)."""
    inputs = list(inputs)
    seen: dict[Path, str] = {}
    for what, path in outputs.items():
        if _is(Path.is_dir, path):
            return f"{path} is a folder", "give a file name, e.g. --out results/matchmake.csv"
        problem = _file_above(path.parent, "give a path in an existing or new folder") or input_problem(path, inputs)
        if problem is not None:
            return problem
        key = _resolved(path)
        if key in seen:
            return f"the {seen[key]} and the {what} would both be written to {path}", \
                "give an --out ending in .csv, e.g. --out results/matchmake.csv"
        seen[key] = what
    existing = [p for p in outputs.values() if _is(Path.exists, p)]
    if existing and not force:
        return f"{', '.join(map(str, existing))} exist{'s' if len(existing) == 1 else ''} already", \
            "add --force to replace them, or give another --out"
    return None


def write_fix(code: int | None) -> str:
    """How to fix a failed write, from its ``errno``."""
    if code == errno.ENAMETOOLONG:
        return "give a shorter --out or scenario name: a file name has at most 255 bytes"
    if code in (errno.ENOSPC, errno.EDQUOT):
        return "free some disk space, or give an --out on another disk"
    if code == errno.EROFS:
        return "the file system is read-only; give an --out on a writable disk"
    if code in (errno.EACCES, errno.EPERM):
        return "give an --out in a folder you may write to"
    return "give an --out on a writable disk"


def unwritable_problem(folder: Path, names: Sequence[str]) -> Problem | None:
    """Whether files or folders ``names`` can be created in ``folder`` (which may not exist yet).

    A probe folder is created in the nearest existing ancestor, the missing folders and the names
    are created inside it, and the probe is removed: an unwritable place, a read-only disk, a
    pseudo file system (``/proc``) or a name too long is found before any work is done.
    """
    folder = Path(folder)
    existing = next((f for f in (folder, *folder.parents) if _is(Path.exists, f)), Path("."))
    missing = folder.relative_to(existing).parts if folder != existing else ()
    probe = None
    try:
        probe = Path(tempfile.mkdtemp(prefix=".probe.", suffix=".tmp", dir=existing))
        inner = probe.joinpath(*missing)
        inner.mkdir(parents=True, exist_ok=True)
        for name in names:
            (inner / name).touch()
    except OSError as exc:
        reason = exc.strerror or str(exc)
        if probe is None or exc.filename is None:
            return f"cannot create files in {existing}: {reason}", write_fix(exc.errno)
        return f"cannot create {existing / Path(exc.filename).relative_to(probe)}: {reason}", write_fix(exc.errno)
    finally:
        if probe is not None:
            shutil.rmtree(probe, ignore_errors=True)
    return None
