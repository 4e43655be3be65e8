"""Load a run folder (README, The run folder) into pandas frames."""

from __future__ import annotations

import json
from dataclasses import dataclass
from pathlib import Path

import pandas as pd

from simulation.inputs.errors import InputError
from simulation.io.run_folder import RUN_FILES

REWRITE = "run the scenario again to rewrite the folder"

# The columns of each file that hold text: ids and names, read as written (a NACE code ``52.10``
# stays ``52.10``, a plot called ``007`` stays ``007``). Every other column must hold numbers.
TEXT_COLUMNS = {
    "indicators": (),
    "flows": ("resource", "family", "unit", "outside_route"),
    "exchanges": ("resource", "substitutes", "unit", "status", "route"),
    "firms": ("archetype", "sector", "sector_group", "plot", "exit_reason", "commitments"),
    "plots": ("plot", "zone"),
    "services": ("kind", "service_class", "unit", "member_firms"),
    "applicants": ("archetype", "sector_group", "decision"),
}


@dataclass(frozen=True)
class RunFolder:
    """The files of one run, as frames (and the manifest as a dict)."""

    path: Path
    indicators: pd.DataFrame
    flows: pd.DataFrame
    exchanges: pd.DataFrame
    firms: pd.DataFrame
    plots: pd.DataFrame
    services: pd.DataFrame
    applicants: pd.DataFrame
    manifest: dict


def load_run(path: str | Path) -> RunFolder:
    """Read a run folder written by ``ecodistrict run``; a missing or unreadable file, or a cell that
    is not a number in a numeric column, raises InputError naming the file (and its row and column)."""
    path = Path(path)
    missing = [name for name in RUN_FILES if not (path / name).is_file()]
    if missing:
        raise InputError.single(path, "", f"not a run folder: missing {', '.join(missing)}",
                                "give a folder written by 'ecodistrict run'")
    frames = {name: _read_csv(path / f"{name}.csv", text) for name, text in TEXT_COLUMNS.items()}
    try:
        manifest = json.loads((path / "manifest.json").read_text(encoding="utf-8"))
    except (json.JSONDecodeError, UnicodeDecodeError) as exc:
        raise InputError.single(path / "manifest.json", "", f"not valid JSON ({exc.__class__.__name__})",
                                REWRITE) from None
    if not isinstance(manifest, dict):
        raise InputError.single(path / "manifest.json", "", "not a JSON object", "run the scenario again")
    return RunFolder(path=path, manifest=manifest, **frames)


def _read_csv(file: Path, text_columns: tuple[str, ...]) -> pd.DataFrame:
    """One file of the folder: ``text_columns`` as strings (empty cells missing), the others as numbers."""
    try:
        frame = pd.read_csv(file, dtype={column: str for column in text_columns})
    except (pd.errors.ParserError, pd.errors.EmptyDataError, UnicodeDecodeError) as exc:
        raise InputError.single(file, "", f"cannot be read as CSV ({exc.__class__.__name__})", REWRITE) from None
    for column in frame.columns:
        if column in text_columns or pd.api.types.is_numeric_dtype(frame[column]):
            continue
        values = frame[column]
        numbers = pd.to_numeric(values, errors="coerce")
        bad = values.notna() & numbers.isna()
        if bad.any():
            row = int(bad.to_numpy().argmax())
            # Row numbers as a spreadsheet shows them: the header is row 1.
            raise InputError.single(file, f"row {row + 2}.{column}", f"not a number: {values.iloc[row]!r}",
                                    REWRITE)
        frame[column] = numbers
    return frame
