"""User-input errors: one format for every file the tool reads.

Every problem in a user's file is reported as ``file: dotted.field: message (fix)`` so that a
policy analyst can find and mend it without reading a traceback. The CLI turns an
:class:`InputError` into those lines and exit code 2.
"""

from __future__ import annotations

import difflib
import io
import os
import stat
from collections.abc import Iterable
from dataclasses import dataclass
from pathlib import Path


@dataclass(frozen=True)
class Problem:
    """One thing wrong in one place of one input file."""

    file: str
    field: str
    message: str
    fix: str

    def __str__(self) -> str:
        field = self.field or "(document)"
        return _one_line(f"{self.file}: {field}: {self.message} ({self.fix})")


def _one_line(text: str) -> str:
    """Escape line breaks and other control characters a user's key or value may bring in.

    One problem is one line, so a problem never splits in two on the terminal.
    """
    if text.isprintable():
        return text
    return "".join(c if c.isprintable() else repr(c)[1:-1] for c in text)


class InputError(Exception):
    """Raised when user input cannot be used; carries every problem found, not only the first."""

    def __init__(self, problems: list[Problem]):
        if not problems:
            raise ValueError("InputError needs at least one problem")
        self.problems = problems
        super().__init__("\n".join(str(p) for p in problems))

    @classmethod
    def single(cls, file: str | Path, field: str, message: str, fix: str) -> InputError:
        return cls([Problem(str(file), field, message, fix)])


def did_you_mean(name: object, choices: Iterable[object], n: int = 3, before: str = "; ", after: str = "") -> str:
    """``{before}did you mean a, b?{after}`` naming up to ``n`` of ``choices`` close to ``name``
    (difflib's ratio >= 0.6, best first), or an empty string when none is close.

    Appended to the fix of a problem about an unknown id or key, so that a typo is mended at once.
    """
    close = difflib.get_close_matches(str(name), [str(c) for c in choices], n=n)
    return f"{before}did you mean {', '.join(close)}?{after}" if close else ""


def not_a_file(path: Path) -> str | None:
    """Why ``path`` is not a regular file a user's input can be read from ("not found", "is a folder,
    not a file", "is a device, not a regular file", ...), or ``None`` when it is one.

    The path is only looked at (``stat``, following links), never opened: opening a named pipe
    waits for a writer, and reading a device such as /dev/zero never ends.
    """
    try:
        mode = os.stat(path).st_mode
    except (FileNotFoundError, NotADirectoryError):
        return "not found"
    except (OSError, ValueError) as exc:
        return f"cannot be opened ({getattr(exc, 'strerror', None) or exc.__class__.__name__})"
    return _kind_problem(mode)


def _kind_problem(mode: int) -> str | None:
    if stat.S_ISREG(mode):
        return None
    if stat.S_ISDIR(mode):
        return "is a folder, not a file"
    if stat.S_ISFIFO(mode):
        return "is a named pipe (FIFO), not a regular file"
    if stat.S_ISCHR(mode) or stat.S_ISBLK(mode):
        return "is a device, not a regular file"
    return "is a socket or another special file, not a regular file"


def read_input_text(path: Path, kind: str, save_as: str, max_bytes: int, encoding: str = "utf-8") -> str:
    """The text of an input file; a missing, unreadable, undecodable or too large file, or one that is
    not a regular file (a folder, a device, a named pipe), is an :class:`InputError` naming it.

    ``kind``: what the file should be, e.g. "a .yaml file"; ``save_as``: the format to save it in,
    e.g. "UTF-8 text"; ``max_bytes``: the largest file read (a bound of :mod:`simulation.inputs.bounds`),
    checked before anything is read. The file is opened without blocking and checked on the opened
    descriptor, so a named pipe is refused at once and the file checked is the file read.
    """
    fix = f"give the path of {kind}"
    try:
        fd = os.open(path, os.O_RDONLY | getattr(os, "O_NONBLOCK", 0))
    except (FileNotFoundError, NotADirectoryError):
        raise InputError.single(path, "", "file not found",
                                "check the path; relative paths start from the current folder") from None
    except IsADirectoryError:
        raise InputError.single(path, "", "is a folder, not a file", fix) from None
    except (OSError, ValueError) as exc:
        raise InputError.single(path, "", f"cannot be read ({exc.__class__.__name__})",
                                f"save it as {save_as}") from None
    status = os.fstat(fd)
    problem = _kind_problem(status.st_mode)
    if problem is None and status.st_size > max_bytes:
        problem = f"the file is {status.st_size:,} bytes, beyond the bound of {max_bytes:,} bytes for {kind}"
        fix = f"give {kind} of at most {max_bytes:,} bytes"
    if problem is not None:
        os.close(fd)
        raise InputError.single(path, "", problem, fix)
    with os.fdopen(fd, "rb") as file:
        try:
            data = file.read(max_bytes + 1)
        except OSError as exc:
            raise InputError.single(path, "", f"cannot be read ({exc.__class__.__name__})",
                                    f"save it as {save_as}") from None
    if len(data) > max_bytes:  # grew since it was checked
        raise InputError.single(path, "", f"the file is more than {max_bytes:,} bytes, the bound for {kind}",
                                f"give {kind} of at most {max_bytes:,} bytes")
    try:
        # as Path.read_text: universal newlines, so "\r\n" reads as one line break
        return io.TextIOWrapper(io.BytesIO(data), encoding=encoding).read()
    except UnicodeDecodeError as exc:
        raise InputError.single(path, "", f"cannot be read ({exc.__class__.__name__})",
                                f"save it as {save_as}") from None
