"""Load a run folder (DESIGN §2) into pandas frames."""

from __future__ import annotations

import json
from dataclasses import dataclass
from pathlib import Path

import pandas as pd

from simulation.errors import InputError
from simulation.io import RUN_FILES


@dataclass(frozen=True)
class RunFolder:
    """The five files of one run, as frames (and the manifest as a dict)."""

    path: Path
    indicators: pd.DataFrame
    flows: pd.DataFrame
    exchanges: pd.DataFrame
    firms: pd.DataFrame
    manifest: dict


def load_run(path: str | Path) -> RunFolder:
    """Read a run folder written by ``ecodistrict run``; a missing file raises InputError."""
    path = Path(path)
    missing = [name for name in RUN_FILES if not (path / name).is_file()]
    if missing:
        raise InputError.single(path, "", f"not a run folder: missing {', '.join(missing)}",
                                "give a folder written by 'ecodistrict run'")
    return RunFolder(
        path=path,
        indicators=pd.read_csv(path / "indicators.csv"),
        flows=pd.read_csv(path / "flows.csv"),
        exchanges=pd.read_csv(path / "exchanges.csv"),
        firms=pd.read_csv(path / "firms.csv"),
        manifest=json.loads((path / "manifest.json").read_text(encoding="utf-8")),
    )
