"""Load a run folder (README, The run folder) into pandas frames."""

from __future__ import annotations

import json
from dataclasses import dataclass
from pathlib import Path

import pandas as pd

from simulation.inputs.errors import InputError
from simulation.io.run_folder import RUN_FILES


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
    manifest: dict


def load_run(path: str | Path) -> RunFolder:
    """Read a run folder written by ``ecodistrict run``; a missing or unreadable file raises InputError."""
    path = Path(path)
    missing = [name for name in RUN_FILES if not (path / name).is_file()]
    if missing:
        raise InputError.single(path, "", f"not a run folder: missing {', '.join(missing)}",
                                "give a folder written by 'ecodistrict run'")
    frames = {name: _read_csv(path / f"{name}.csv")
              for name in ("indicators", "flows", "exchanges", "firms", "plots", "services")}
    try:
        manifest = json.loads((path / "manifest.json").read_text(encoding="utf-8"))
    except (json.JSONDecodeError, UnicodeDecodeError) as exc:
        raise InputError.single(path / "manifest.json", "", f"not valid JSON ({exc.__class__.__name__})",
                                "run the scenario again to rewrite the folder") from None
    if not isinstance(manifest, dict):
        raise InputError.single(path / "manifest.json", "", "not a JSON object", "run the scenario again")
    return RunFolder(path=path, manifest=manifest, **frames)


def _read_csv(file: Path) -> pd.DataFrame:
    try:
        return pd.read_csv(file)
    except (pd.errors.ParserError, pd.errors.EmptyDataError, UnicodeDecodeError) as exc:
        raise InputError.single(file, "", f"cannot be read as CSV ({exc.__class__.__name__})",
                                "run the scenario again to rewrite the folder") from None
