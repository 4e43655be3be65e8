"""Writing output files so that a crash or a kill never leaves a half-written one.

Every output of the package is written through this module: run folders, sweep folders,
comparison reports, the policy library's tables and matchmake's files. A file is written under a
hidden temporary name beside its target (``.<name>.<random>.tmp``, matched by :data:`TEMPORARY`),
flushed to disk (``fsync``) and renamed into place with ``os.replace``, atomic on POSIX: a file
that exists is complete.

A run folder is replaced as a whole (:func:`replace_folder`): the new folder is written complete
under a temporary name beside it, then swapped in by two renames (old folder to a backup name, new
folder to the final name) and the backup removed. A kill between the two renames leaves the old
folder complete under its backup name and no folder under the final name:
:func:`interrupted_replacement` tells a reader so, and the next replacement restores it first.

Temporary names keep at most :data:`NAME_KEPT` characters of the final name, so that they never
exceed the file system's limit on a name (255 bytes) when the final name fits it.

A write that fails (no space left, permission denied, read-only file system, a name too long)
raises :class:`OutputError` naming the file, after removing what it had written.
"""

from __future__ import annotations

import hashlib
import os
import shutil
import tempfile
from collections.abc import Callable
from pathlib import Path

Writer = Callable[[Path], None]  # writes one file at the path it is given
TEMPORARY = ".*.tmp"  # glob of the names files and folders have while they are written
NAME_KEPT = 40  # characters of the final name kept in a temporary name: 4 bytes each at most in UTF-8


class OutputError(OSError):
    """A write that failed: ``filename`` is the output it was writing, ``strerror`` the system's reason."""


def between_renames(final: Path, backup: Path) -> None:
    """Called by :func:`replace_folder` after the old folder was renamed to ``backup`` and before the
    new one takes the name ``final``. Does nothing: a test replaces it to simulate a kill there."""


def _umask() -> int:
    umask = os.umask(0)
    os.umask(umask)
    return umask


def _fsync(path: Path) -> None:
    """Flush a file's or a folder's content (a folder: its entries) to disk."""
    fd = os.open(path, os.O_RDONLY)
    try:
        os.fsync(fd)
    finally:
        os.close(fd)


def _fsync_tree(folder: Path) -> None:
    for root, _, files in os.walk(folder):
        for name in files:
            _fsync(Path(root) / name)
        _fsync(Path(root))


def _output_error(exc: OSError, path: Path) -> OutputError:
    return OutputError(exc.errno, exc.strerror or str(exc), str(path))


def _short(name: str) -> str:
    return name[:NAME_KEPT]


def write_files_atomically(files: dict[Path, Writer]) -> None:
    """Write several files, each under a temporary name beside it, and rename them into place only
    when every one is complete: a failed write leaves all of them as they were. Folders are
    created as needed. Each file gets the permissions of any new file (the umask applied to 0666),
    not ``mkstemp``'s owner-only 0600."""
    temporary: dict[Path, Path] = {}
    path = Path()  # the file being written, named by an error
    try:
        for path, write in files.items():
            path.parent.mkdir(parents=True, exist_ok=True)
            fd, tmp = tempfile.mkstemp(prefix=f".{_short(path.name)}.", suffix=".tmp", dir=path.parent)
            os.close(fd)
            temporary[path] = Path(tmp)
            os.chmod(tmp, 0o666 & ~_umask())
            write(Path(tmp))
            _fsync(Path(tmp))
        for path, tmp in temporary.items():
            os.replace(tmp, path)
        for folder in {p.parent for p in temporary}:
            _fsync(folder)
    except OSError as exc:
        raise _output_error(exc, path) from exc
    finally:
        for tmp in temporary.values():
            tmp.unlink(missing_ok=True)


def write_file_atomically(path: str | Path, write: Writer) -> None:
    """Write ``path`` with ``write`` under a temporary name in the same folder, then rename it."""
    write_files_atomically({Path(path): write})


def _fill(folder: Path, writers: dict[str, Writer]) -> None:
    """Write every file into the new ``folder`` (subfolders as needed), and flush them to disk."""
    os.chmod(folder, 0o777 & ~_umask())  # mkdtemp's 0700 would hide the folder from other users
    for name, writer in writers.items():
        (folder / name).parent.mkdir(parents=True, exist_ok=True)
        writer(folder / name)
    _fsync_tree(folder)


def write_atomically(out_dir: str | Path, writers: dict[str, Writer]) -> None:
    """Write each file with its writer into a temporary folder, then move them all into ``out_dir``.

    A new ``out_dir`` appears whole (one rename); in an existing one each file is replaced, other
    files are left alone (a report folder may hold a user's own files). A name may hold a
    subfolder (``figures/map.png``); subfolders are created as needed.
    """
    out_dir = Path(out_dir)
    tmp = None
    try:
        out_dir.parent.mkdir(parents=True, exist_ok=True)
        tmp = Path(tempfile.mkdtemp(prefix=f".{_short(out_dir.name)}.", suffix=".tmp", dir=out_dir.parent))
        _fill(tmp, writers)
        if not out_dir.exists():
            os.rename(tmp, out_dir)
        else:
            for name in writers:
                (out_dir / name).parent.mkdir(parents=True, exist_ok=True)
                os.replace(tmp / name, out_dir / name)
            _fsync_tree(out_dir)
        _fsync(out_dir.parent)
    except OSError as exc:
        raise _output_error(exc, out_dir) from exc
    finally:
        if tmp is not None and tmp.exists():
            shutil.rmtree(tmp, ignore_errors=True)


def _replacement_names(out_dir: Path) -> tuple[Path, Path]:
    """The new folder's and the backup's names while ``out_dir`` is replaced: fixed for a given
    ``out_dir`` (a later run finds them), short whatever its length."""
    digest = hashlib.sha256(os.fsencode(out_dir.name)).hexdigest()[:8]
    stem = f".{_short(out_dir.name)}.{digest}"
    return out_dir.with_name(f"{stem}.new.tmp"), out_dir.with_name(f"{stem}.old.tmp")


def interrupted_replacement(out_dir: str | Path) -> Path | None:
    """The backup holding the previous ``out_dir`` when a replacement was killed between its two
    renames (``out_dir`` is then missing); ``None`` otherwise."""
    out_dir = Path(out_dir)
    backup = _replacement_names(out_dir)[1]
    try:
        return backup if backup.is_dir() and not out_dir.exists() else None
    except OSError:  # a name the system refuses (too long) holds no folder
        return None


def _recover(out_dir: Path) -> None:
    """Undo what a killed replacement of ``out_dir`` left: the previous folder is renamed back
    from its backup when ``out_dir`` is missing, and the leftovers are removed."""
    new, backup = _replacement_names(out_dir)
    if backup.is_dir():
        if out_dir.exists():
            shutil.rmtree(backup)
        else:
            os.rename(backup, out_dir)
    if new.exists():
        shutil.rmtree(new)


def replace_folder(out_dir: str | Path, writers: dict[str, Writer]) -> None:
    """Make ``out_dir`` hold exactly the files of ``writers``, swapped in as a whole.

    The new folder is written and flushed to disk under a temporary name beside ``out_dir``; an
    existing ``out_dir`` is renamed to a backup name, the new folder takes its name, and the backup
    is removed. A reader never finds files of two runs side by side. A failed write leaves an
    existing ``out_dir`` as it was and nothing else.
    """
    out_dir = Path(out_dir)
    new, backup = _replacement_names(out_dir)
    try:
        out_dir.parent.mkdir(parents=True, exist_ok=True)
        _recover(out_dir)
        new.mkdir()
        _fill(new, writers)
        if out_dir.exists():
            os.rename(out_dir, backup)
            between_renames(out_dir, backup)
            os.rename(new, out_dir)
            _fsync(out_dir.parent)
            shutil.rmtree(backup)
        else:
            os.rename(new, out_dir)
            _fsync(out_dir.parent)
    except OSError as exc:
        if backup.is_dir() and not out_dir.exists():
            os.rename(backup, out_dir)  # the second rename failed: the previous folder comes back
        raise _output_error(exc, out_dir) from exc
    finally:
        if new.exists():
            shutil.rmtree(new, ignore_errors=True)
