"""Load a sweep folder (written by ``ecodistrict sweep``) into one tidy pandas frame."""

from __future__ import annotations

from pathlib import Path

import pandas as pd
import pyarrow as pa
import pyarrow.parquet as pq

from simulation.sweeps.folder import RUNS, failures, read_manifest

KEYS = ["run", "point", "replicate", "seed"]


def load_sweep(path: str | Path) -> pd.DataFrame:
    """Every finished run of a sweep: ``run, point, replicate, seed, <parameters>, year, <outcomes>``.

    One row per run and simulated year, sorted by point, replicate and year; parameter columns are
    named by their dotted scenario path. Runs not finished (failed, or not run yet) are absent:
    compare ``frame.run.nunique()`` with ``manifest.json``'s ``runs``. Raises InputError when
    ``path`` is not a sweep folder.
    """
    path = Path(path)
    manifest = read_manifest(path)
    files = sorted((path / RUNS).glob("*.parquet"))
    if not files:
        return pd.DataFrame(columns=[*KEYS, *manifest["parameters"], "year", *manifest["outcomes"]])
    table = pa.concat_tables([pq.read_table(f) for f in files], promote_options="permissive")
    frame = table.to_pandas()
    return frame.sort_values(["point", "replicate", "year"], kind="stable").reset_index(drop=True)


def load_failures(path: str | Path) -> pd.DataFrame:
    """The failed runs of a sweep: ``run, point, replicate, seed, error`` (tracebacks in ``failed/``)."""
    path = Path(path)
    read_manifest(path)
    return pd.DataFrame([{k: f[k] for k in (*KEYS, "error")} for f in failures(path)],
                        columns=[*KEYS, "error"])
