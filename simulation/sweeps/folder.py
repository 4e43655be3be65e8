"""The sweep folder: where a sweep's results live, written so that a kill never corrupts them.

Layout::

    manifest.json          the resolved experiment, its base scenario, points, seeds, versions
    runs/<run>.parquet     one file per finished run: tidy rows (run, point, replicate, seed,
                           parameters, year, kept indicators)
    failed/<run>.json      one file per failed run: error, traceback, seed, point, parameters
    sensitivity.csv        indices of a Sobol' or Morris design, once every run has finished

Every file is written under a hidden temporary name in its own folder and renamed into place
(:func:`simulation.io.atomic.write_file_atomically`): a file that exists is complete, whatever
moment a sweep was killed at. ``--resume`` therefore trusts the Parquet files it finds, removes
the temporary ones a kill left, and reruns everything else, failed runs included.
"""

from __future__ import annotations

import json
from pathlib import Path

from simulation.inputs.errors import InputError
from simulation.io.atomic import TEMPORARY, write_file_atomically

MANIFEST = "manifest.json"
RUNS = "runs"
FAILED = "failed"
SENSITIVITY = "sensitivity.csv"
# Manifest entries that define which runs a sweep holds: a resumed sweep must not change them.
PLAN_KEYS = {"experiment": "experiment", "scenario": "base scenario", "points": "design points",
             "seeds": "replicate seeds"}


def _write_json(path: Path, data: dict) -> None:
    write_file_atomically(path, lambda p: p.write_text(json.dumps(data, indent=2) + "\n", encoding="utf-8"))


def _json_normal(data):
    """``data`` as it reads back from JSON, to compare a new plan with a stored one."""
    return json.loads(json.dumps(data))


def read_manifest(out: Path) -> dict:
    path = Path(out) / MANIFEST
    if not path.is_file():
        raise InputError.single(out, "", f"not a sweep folder: {MANIFEST} is missing",
                                "give a folder written by 'ecodistrict sweep'")
    return json.loads(path.read_text(encoding="utf-8"))


def check(out: Path, manifest: dict, resume: bool) -> bool:
    """Whether ``out`` holds this sweep already (to resume); raises InputError when it may not be used.

    Refuses a folder holding another sweep (or anything else) unless resuming the same plan:
    mixing runs of two plans would give a frame no one could interpret. Writes nothing, so that a
    sweep refused here, or whose cluster cannot be reached, leaves no folder behind.
    """
    out = Path(out)
    if (out / MANIFEST).is_file():
        if not resume:
            raise InputError.single("command line", "--out", f"{out} already holds a sweep",
                                    "add --resume to finish it, or give another --out")
        stored = read_manifest(out)
        new = _json_normal(manifest)
        changed = [what for key, what in PLAN_KEYS.items() if stored.get(key) != new.get(key)]
        if changed:
            raise InputError.single("command line", "--resume",
                                    f"{out} holds a sweep of another {' and '.join(changed)}",
                                    "resume with the experiment and scenario it was started with, "
                                    "or give another --out")
        return True
    if out.exists() and any(out.iterdir()):
        raise InputError.single("command line", "--out", f"{out} is not empty and holds no sweep",
                                "give a new or empty folder")
    return False


def create(out: Path, manifest: dict) -> None:
    """Lay out a new sweep folder, manifest first."""
    out = Path(out)
    (out / RUNS).mkdir(parents=True, exist_ok=True)
    (out / FAILED).mkdir(exist_ok=True)
    _write_json(out / MANIFEST, manifest)


def tidy(out: Path) -> None:
    """Remove what a killed sweep left: temporary files, and failure records of runs since finished."""
    out = Path(out)
    for folder in (out, out / RUNS, out / FAILED):
        for tmp in folder.glob(TEMPORARY):
            tmp.unlink()
    done = finished(out)
    for record in (out / FAILED).glob("*.json"):
        if record.stem in done:
            record.unlink()


def finished(out: Path) -> set[str]:
    """Ids of the runs whose results are on disk."""
    return {p.stem for p in (Path(out) / RUNS).glob("*.parquet")}


def save_run(out: Path, run: str, parquet: bytes) -> None:
    """Store a finished run's rows (a Parquet file's bytes); a failure recorded for it earlier is then obsolete."""
    write_file_atomically(Path(out) / RUNS / f"{run}.parquet", lambda p: p.write_bytes(parquet))
    (Path(out) / FAILED / f"{run}.json").unlink(missing_ok=True)


def save_failure(out: Path, run: str, record: dict) -> None:
    _write_json(Path(out) / FAILED / f"{run}.json", record)


def failures(out: Path) -> list[dict]:
    """The failure records of a sweep folder, by run id."""
    return [json.loads(p.read_text(encoding="utf-8")) for p in sorted((Path(out) / FAILED).glob("*.json"))]
