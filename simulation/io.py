"""Writing a run folder (DESIGN §2) atomically.

All files are written into a hidden temporary folder beside the target and moved into place
only when every file is complete, so a crash or a kill never leaves a half-written CSV.
"""

from __future__ import annotations

import json
import os
import shutil
import subprocess
import tempfile
from pathlib import Path
from typing import Callable

import pandas as pd

from simulation.contracts import Status
from simulation.indicators import FLOW_QUANTITIES, INDICATORS

FLOW_COLUMNS = ["year", "resource", "family", "unit", "generated", "exchanged", "disposed",
                "demand", "received", "virgin"]
EXCHANGE_COLUMNS = ["supplier", "buyer", "resource", "substitutes", "quantity", "unit",
                    "price_eur_per_unit", "distance_km", "start_year", "end_year", "status",
                    "renewals", "unit_surplus_eur", "route"]
FIRM_COLUMNS = ["firm", "archetype", "sector", "sector_group", "plot", "x_m", "y_m", "employees",
                "entry_year", "exit_year", "exit_reason", "activity", "profit_eur"]
RUN_FILES = ("indicators.csv", "flows.csv", "exchanges.csv", "firms.csv", "manifest.json")


def indicators_frame(model) -> pd.DataFrame:
    frame = pd.DataFrame(model.indicator_rows)
    extra = [c for c in frame.columns if c not in ("year", *INDICATORS)]
    return frame[["year", *INDICATORS, *extra]] if len(frame) else pd.DataFrame(columns=["year", *INDICATORS])


def flows_frame(model) -> pd.DataFrame:
    cat = model.catalogue
    frames = [pd.DataFrame({"year": year, "resource": cat.resource_ids, "family": cat.family, "unit": cat.unit,
                            **dict(zip(FLOW_QUANTITIES, quantities))}) for year, quantities in model.flow_history]
    frame = pd.concat(frames, ignore_index=True) if frames else pd.DataFrame(columns=FLOW_COLUMNS)
    return frame[FLOW_COLUMNS]


def exchanges_frame(model) -> pd.DataFrame:
    c, cat, subs = model.contracts, model.catalogue, model.subs
    rows = c.substitution
    residue = [cat.resource_ids[k] for k in subs.residue[rows]]
    return pd.DataFrame({
        "supplier": c.supplier, "buyer": c.buyer, "resource": residue,
        "substitutes": [cat.resource_ids[k] for k in subs.input[rows]],
        "quantity": c.quantity, "unit": [cat.resources[rid].unit for rid in residue],
        "price_eur_per_unit": c.price, "distance_km": c.distance_km,
        "start_year": c.start_year, "end_year": c.end_year,
        "status": [Status(v).label for v in c.status], "renewals": c.renewals,
        "unit_surplus_eur": c.unit_surplus,
        "route": [cat.substitutions[k].route for k in rows],
    }, columns=EXCHANGE_COLUMNS)


def firms_frame(model) -> pd.DataFrame:
    cat, plots = model.catalogue, model.plots
    records = []
    for f in model.all_firms():
        arch = cat.archetypes[cat.archetype_ids[f.archetype]]
        records.append({
            "firm": f.unique_id, "archetype": cat.archetype_ids[f.archetype], "sector": arch.sector,
            "sector_group": arch.sector_group, "plot": plots.ids[f.plot], "x_m": plots.x_m[f.plot],
            "y_m": plots.y_m[f.plot], "employees": f.employees, "entry_year": f.entry_year,
            "exit_year": f.exit_year, "exit_reason": f.exit_reason, "activity": f.activity,
            "profit_eur": f.profit_eur})
    frame = pd.DataFrame(records, columns=FIRM_COLUMNS)
    frame["exit_year"] = frame["exit_year"].astype("Int64")
    return frame


def git_revision() -> str | None:
    """The repository's commit, when the package runs from a git checkout."""
    here = Path(__file__).resolve().parent
    try:
        out = subprocess.run(["git", "rev-parse", "HEAD"], cwd=here, capture_output=True, text=True, timeout=5)
    except (OSError, subprocess.SubprocessError):
        return None
    return out.stdout.strip() or None if out.returncode == 0 else None


def write_atomically(out_dir: Path, writers: dict[str, Callable[[Path], None]]) -> None:
    """Write each file with its writer into a temporary folder, then move them all into ``out_dir``."""
    out_dir = Path(out_dir)
    out_dir.parent.mkdir(parents=True, exist_ok=True)
    tmp = Path(tempfile.mkdtemp(prefix=f".{out_dir.name}.tmp-", dir=out_dir.parent))
    try:
        for name, writer in writers.items():
            writer(tmp / name)
        if not out_dir.exists():
            os.rename(tmp, out_dir)
            return
        for name in writers:
            os.replace(tmp / name, out_dir / name)
    finally:
        if tmp.exists():
            shutil.rmtree(tmp, ignore_errors=True)


def write_run_folder(model, out_dir: Path, manifest: dict) -> None:
    """Write the five files of a run folder (DESIGN §2)."""
    frames = {"indicators.csv": indicators_frame(model), "flows.csv": flows_frame(model),
              "exchanges.csv": exchanges_frame(model), "firms.csv": firms_frame(model)}

    def csv_writer(frame: pd.DataFrame):
        return lambda path: frame.to_csv(path, index=False, lineterminator="\n")

    writers: dict[str, Callable[[Path], None]] = {name: csv_writer(f) for name, f in frames.items()}
    writers["manifest.json"] = lambda path: path.write_text(json.dumps(manifest, indent=2, default=str) + "\n")
    write_atomically(out_dir, writers)
