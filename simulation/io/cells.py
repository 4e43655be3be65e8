"""Text that users wrote (firm, plot, resource and scenario names) made safe to put in output files.

A spreadsheet opening a CSV runs a cell that starts with ``=``, ``+``, ``-`` or ``@`` as a formula
(``=cmd|' /C calc'!A0`` starts a program), and a tab or a carriage return at the start of a cell
hides such a formula. Following the OWASP advice on CSV injection, such a text cell is prefixed
with a single quote ``'``, which spreadsheets show as text. Only text is touched: numbers,
negative ones included, stay numbers, in numeric columns and as decimal text (``-12.5``).

In Markdown, a name placed in a table or in running text is escaped, so that a firm called
``<b>x</b>`` or ``a|b`` is shown as written instead of becoming markup or a new table column.

A name that becomes a file name (matchmake's page per firm) is reduced to ASCII letters, digits,
``.``, ``_`` and ``-`` (:func:`safe_file_names`): no folder separator, no character a file system
refuses or a shell treats specially, never a hidden file or a reserved Windows device name.
"""

from __future__ import annotations

import hashlib
import re
import unicodedata
from collections import Counter
from pathlib import Path

import pandas as pd

FORMULA_STARTS = ("=", "+", "-", "@", "\t", "\r")
QUOTE = "'"
_DECIMAL = re.compile(r"[+-]?(\d+\.?\d*|\.\d+)([eE][+-]?\d+)?")
_MARKDOWN = {"\\": "\\\\", "|": "\\|", "`": "\\`", "*": "\\*", "_": "\\_", "[": "\\[", "]": "\\]",
             "&": "&amp;", "<": "&lt;", ">": "&gt;"}
# An underscore between two letters or digits (``ceramica_alfa``) can neither open nor close emphasis
# (CommonMark's flanking rules), so it is left as it is; every other special character is escaped.
_MARKDOWN_PATTERN = re.compile(r"[\\|`*\[\]&<>]|(?<![^\W_])_|_(?![^\W_])")


def neutralise(value):
    """``value`` with a leading ``'`` if it is text a spreadsheet would run as a formula; anything
    else (numbers, missing values, decimal text such as ``-3.5``, other text) unchanged."""
    if isinstance(value, str) and value.startswith(FORMULA_STARTS) and not _DECIMAL.fullmatch(value):
        return QUOTE + value
    return value


def neutralise_frame(frame: pd.DataFrame) -> pd.DataFrame:
    """A copy of ``frame`` whose text columns are :func:`neutralise`\\ d (numeric columns untouched);
    ``frame`` itself when no cell needs it."""
    changed = {}
    for column in frame.columns:
        values = frame[column]
        if values.dtype == object or isinstance(values.dtype, pd.StringDtype):
            # Names repeat over many rows (a firm in each of its exchanges): look at each distinct value once.
            unsafe = {v: neutralise(v) for v in pd.unique(values.dropna()) if neutralise(v) != v}
            if unsafe:
                changed[column] = values.map(lambda v, unsafe=unsafe: unsafe.get(v, v), na_action="ignore")
    return frame.assign(**changed) if changed else frame


def markdown_text(value) -> str:
    """``value`` as literal text in Markdown (a table cell or running text): neutralised as in a
    CSV, then with Markdown's and HTML's special characters escaped and line breaks made spaces."""
    text = str(neutralise(value)).replace("\r", " ").replace("\n", " ")
    return _MARKDOWN_PATTERN.sub(lambda m: _MARKDOWN[m.group()], text)


def markdown_code(value) -> str:
    """``value`` as a Markdown code span (a path), with a fence longer than any run of backticks in it."""
    text = str(value).replace("\r", " ").replace("\n", " ")
    fence = "`" * (max((len(run) for run in re.findall("`+", text)), default=0) + 1)
    pad = " " if text.startswith("`") or text.endswith("`") else ""
    return f"{fence}{pad}{text}{pad}{fence}"


_UNSAFE_IN_NAME = re.compile(r"[^A-Za-z0-9._-]+")
_WINDOWS_DEVICES = {"con", "prn", "aux", "nul", *(f"com{i}" for i in range(10)), *(f"lpt{i}" for i in range(10))}
NAME_CHARACTERS = 60  # of a name kept in its file name, before the suffix that keeps names apart


def safe_file_names(names, suffix: str = "") -> list[str]:
    """One file name per name (``suffix`` appended, e.g. ``.html``), distinct even on a file system
    that ignores case.

    A name that is already a safe file name (ASCII letters, digits, ``.``, ``_``, ``-``; not
    starting with ``.`` or ``-``; at most :data:`NAME_CHARACTERS` long; not a Windows device name
    such as ``CON``) keeps it. Any other is transliterated to ASCII (``Città`` → ``Citta``), its
    other characters become ``_``, and eight hexadecimal digits of its SHA-256 follow, so that
    ``a b`` and ``a_b``, or ``Alfa`` and ``alfa``, never share a file.
    """
    names = [str(n) for n in names]
    stems = []
    for name in names:
        ascii_name = unicodedata.normalize("NFKD", name).encode("ascii", "ignore").decode("ascii")
        stem = _UNSAFE_IN_NAME.sub("_", ascii_name).strip("._-")[:NAME_CHARACTERS].rstrip("._-") or "firm"
        stems.append(stem)
    folded = [s.casefold() for s in stems]
    count = Counter(folded)
    out = []
    for name, stem, fold in zip(names, stems, folded):
        kept = (stem == name and count[fold] == 1 and fold.split(".")[0] not in _WINDOWS_DEVICES)
        if not kept:
            stem = f"{stem}-{hashlib.sha256(name.encode('utf-8')).hexdigest()[:8]}"
        out.append(stem + suffix)
    return out


_ROOT = Path(__file__).resolve().parents[2]  # the folder holding the package (its shipped data)


def display_path(path) -> str:
    """A path as an output file cites it, never absolute: an output moved to another machine or
    handed to a firm tells nothing of the folders it was made in. A relative path is kept; an
    absolute one is written relative to the current folder or to the package's folder (the shipped
    ``simulation/data/...``) when under one of them, else by its file name alone."""
    path = Path(path)
    if not path.is_absolute():
        return path.as_posix()
    for base in (Path.cwd().resolve(), _ROOT):
        try:
            return path.resolve().relative_to(base).as_posix()
        except ValueError:
            continue
    return path.name
