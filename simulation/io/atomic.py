"""Writing output files so that a crash or a kill never leaves a half-written one.

Every output of the package is written through this module: run folders, sweep folders,
comparison reports, the policy library's tables and matchmake's files. A file is written under a
hidden temporary name beside its target (``.<name>.<random>.tmp``, matched by :data:`TEMPORARY`)
and renamed into place with ``os.replace``, atomic on POSIX: a file that exists is complete. A
folder of files is written into a hidden temporary folder beside it and moved into place only
when every file is complete.
"""

from __future__ import annotations

import os
import shutil
import tempfile
from collections.abc import Callable
from pathlib import Path

Writer = Callable[[Path], None]  # writes one file at the path it is given
TEMPORARY = ".*.tmp"  # glob of the names files and folders have while they are written


def _umask() -> int:
    umask = os.umask(0)
    os.umask(umask)
    return umask


def write_file_atomically(path: str | Path, write: Writer) -> None:
    """Write ``path`` with ``write`` under a temporary name in the same folder, then rename it.

    The folder is created if missing. The file gets the permissions of any new file (the umask
    applied to 0666), not ``mkstemp``'s owner-only 0600.
    """
    path = Path(path)
    path.parent.mkdir(parents=True, exist_ok=True)
    fd, tmp = tempfile.mkstemp(prefix=f".{path.name}.", suffix=".tmp", dir=path.parent)
    os.close(fd)
    os.chmod(tmp, 0o666 & ~_umask())
    try:
        write(Path(tmp))
        os.replace(tmp, path)
    finally:
        if os.path.exists(tmp):
            os.unlink(tmp)


def write_atomically(out_dir: str | Path, writers: dict[str, Writer]) -> None:
    """Write each file with its writer into a temporary folder, then move them all into ``out_dir``.

    A new ``out_dir`` appears whole (one rename); in an existing one each file is replaced, other
    files are left alone. A name may hold a subfolder (``figures/map.png``); subfolders are
    created as needed.
    """
    out_dir = Path(out_dir)
    out_dir.parent.mkdir(parents=True, exist_ok=True)
    tmp = Path(tempfile.mkdtemp(prefix=f".{out_dir.name}.", suffix=".tmp", dir=out_dir.parent))
    os.chmod(tmp, 0o777 & ~_umask())  # mkdtemp's 0700 would hide the folder from other users
    try:
        for name, writer in writers.items():
            (tmp / name).parent.mkdir(parents=True, exist_ok=True)
            writer(tmp / name)
        if not out_dir.exists():
            os.rename(tmp, out_dir)
            return
        for name in writers:
            (out_dir / name).parent.mkdir(parents=True, exist_ok=True)
            os.replace(tmp / name, out_dir / name)
    finally:
        if tmp.exists():
            shutil.rmtree(tmp, ignore_errors=True)
