"""Text that users wrote (firm, plot, resource and scenario names) made safe to put in output files.

A spreadsheet opening a CSV runs a cell that starts with ``=``, ``+``, ``-`` or ``@`` as a formula
(``=cmd|' /C calc'!A0`` starts a program), and a tab or a carriage return at the start of a cell
hides such a formula. Following the OWASP advice on CSV injection, such a text cell is prefixed
with a single quote ``'``, which spreadsheets show as text. Only text is touched: numbers,
negative ones included, stay numbers, in numeric columns and as decimal text (``-12.5``).

In Markdown, a name placed in a table or in running text is escaped, so that a firm called
``<b>x</b>`` or ``a|b`` is shown as written instead of becoming markup or a new table column.
"""

from __future__ import annotations

import re

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
