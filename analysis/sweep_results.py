"""Load a sweep folder (written by ``ecodistrict sweep``) into one tidy pandas frame."""

from __future__ import annotations

from pathlib import Path

import pandas as pd
import pyarrow as pa
import pyarrow.parquet as pq

from simulation.inputs.errors import InputError, Problem
from simulation.sweeps.folder import CHECKSUMS, RUNS, failures, read_manifest, run_ids, verify

KEYS = ["run", "point", "replicate", "seed"]


def _read_runs(path: Path, manifest: dict) -> list[pa.Table]:
    """The table of every run file, each verified against the checksum written with it (sweeps
    written before checksums were kept are only read). Raises InputError naming every run file that
    is truncated, altered or unreadable: a frame missing them, or a pyarrow traceback, would hide
    which runs to redo."""
    checked = (path / CHECKSUMS).is_dir()
    fix = (f"ecodistrict sweep {manifest.get('experiment_file', '<experiment>')} --out {path} --resume "
           "re-runs it")
    tables, problems = [], []
    for run in run_ids(path):
        file = path / RUNS / f"{run}.parquet"
        reason = verify(path, run) if checked else None
        if reason is None:
            try:
                tables.append(pq.read_table(file))
                continue
            except (OSError, pa.ArrowException) as exc:  # ArrowInvalid for a cut file, OSError if unreadable
                reason = f"not a Parquet file ({type(exc).__name__}: {exc})"
        problems.append(Problem(str(file), "", f"unreadable run: {reason}", fix))
    if problems:
        raise InputError(problems)
    return tables


def load_sweep(path: str | Path) -> pd.DataFrame:
    """Every finished run of a sweep: ``run, point, replicate, seed, <parameters>, year, <outcomes>``.

    One row per run and simulated year, sorted by point, replicate and year; parameter columns are
    named by their dotted scenario path. Runs not finished (failed, or not run yet) are absent:
    compare ``frame.run.nunique()`` with ``manifest.json``'s ``runs``. Raises InputError when
    ``path`` is not a sweep folder, or when a run file is corrupt (``--resume`` re-runs it).
    """
    path = Path(path)
    manifest = read_manifest(path)
    tables = _read_runs(path, manifest)
    if not tables:
        return pd.DataFrame(columns=[*KEYS, *manifest["parameters"], "year", *manifest["outcomes"]])
    table = pa.concat_tables(tables, promote_options="permissive")
    frame = table.to_pandas()
    return frame.sort_values(["point", "replicate", "year"], kind="stable").reset_index(drop=True)


def load_failures(path: str | Path) -> pd.DataFrame:
    """The failed runs of a sweep: ``run, point, replicate, seed, error`` (tracebacks in ``failed/``)."""
    path = Path(path)
    read_manifest(path)
    return pd.DataFrame([{k: f[k] for k in (*KEYS, "error")} for f in failures(path)],
                        columns=[*KEYS, "error"])
