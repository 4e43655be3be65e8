"""User-input errors: one format for every file the tool reads.

Every problem in a user's file is reported as ``file: dotted.field: message (fix)`` so that a
policy analyst can find and mend it without reading a traceback. The CLI turns an
:class:`InputError` into those lines and exit code 2.
"""

from __future__ import annotations

import difflib
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


def read_input_text(path: Path, kind: str, save_as: str, encoding: str = "utf-8") -> str:
    """The text of an input file; a missing, unreadable or undecodable file is an :class:`InputError`
    naming it (``kind``: what the file should be, e.g. "a .yaml file"; ``save_as``: the format to
    save it in, e.g. "UTF-8 text")."""
    try:
        return Path(path).read_text(encoding=encoding)
    except FileNotFoundError:
        raise InputError.single(path, "", "file not found",
                                "check the path; relative paths start from the current folder") from None
    except IsADirectoryError:
        raise InputError.single(path, "", "is a folder, not a file", f"give the path of {kind}") from None
    except (UnicodeDecodeError, OSError) as exc:
        raise InputError.single(path, "", f"cannot be read ({exc.__class__.__name__})",
                                f"save it as {save_as}") from None
