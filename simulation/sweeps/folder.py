"""The sweep folder: where a sweep's results live, written so that a kill never corrupts them.

Layout::

    manifest.json          the resolved experiment, its base scenario, points, seeds, versions, and
                           the SHA-256 of every input file (:mod:`simulation.sweeps.fingerprint`)
    runs/<run>.parquet     one file per finished run: tidy rows (run, point, replicate, seed,
                           parameters, year, kept indicators)
    checksums/<run>.json   size (bytes) and SHA-256 of each run's Parquet file, as it was written
    failed/<run>.json      one file per failed run: error, traceback, seed, point, parameters
    sensitivity.csv        indices of a Sobol' or Morris design, once every run has finished

Every file is written under a hidden temporary name in its own folder, flushed to disk and renamed
into place (:func:`simulation.io.atomic.write_file_atomically`): a file that exists is complete,
whatever moment a sweep was killed at. A run's checksum is written before its Parquet file, so a
finished run is one whose file verifies against it: a file truncated or altered afterwards (a full
disk, a copy cut short, a faulty disk) does not count. ``--resume`` therefore removes the
temporary files a kill left and the run files that do not verify, and reruns everything else,
failed runs included.
"""

from __future__ import annotations

import hashlib
import json
from pathlib import Path

from simulation.inputs.errors import InputError, Problem
from simulation.io.atomic import TEMPORARY, write_atomically, write_file_atomically
from simulation.sweeps.fingerprint import changed_inputs, sha256_of

MANIFEST = "manifest.json"
RUNS = "runs"
CHECKSUMS = "checksums"
FAILED = "failed"
SENSITIVITY = "sensitivity.csv"
# Manifest entries that define which runs a sweep holds: a resumed sweep must not change them.
PLAN_KEYS = {"experiment": "experiment", "scenario": "base scenario", "points": "design points",
             "seeds": "replicate seeds"}
NEW_SWEEP = "start a new sweep with another --out"


def _json_writer(data: dict):
    return lambda path: path.write_text(json.dumps(data, indent=2) + "\n", encoding="utf-8")


def _write_json(path: Path, data: dict) -> None:
    write_file_atomically(path, _json_writer(data))


def _json_normal(data):
    """``data`` as it reads back from JSON, to compare a new plan with a stored one."""
    return json.loads(json.dumps(data))


def read_manifest(out: Path) -> dict:
    path = Path(out) / MANIFEST
    if not path.is_file():
        raise InputError.single(out, "", f"not a sweep folder: {MANIFEST} is missing",
                                "give a folder written by 'ecodistrict sweep'")
    try:
        manifest = json.loads(path.read_text(encoding="utf-8"))
    except (OSError, UnicodeDecodeError, json.JSONDecodeError) as exc:
        raise InputError.single(path, "", f"unreadable ({type(exc).__name__}: {exc})",
                                f"the sweep's record of itself is lost: {NEW_SWEEP}") from None
    if not isinstance(manifest, dict):
        raise InputError.single(path, "", "not a sweep manifest (a JSON object)", NEW_SWEEP)
    return manifest


def _resume_problems(out: Path, stored: dict, manifest: dict) -> list[Problem]:
    """Why the sweep in ``out`` (``stored``) cannot be finished with this one (``manifest``)."""
    if not isinstance(stored.get("inputs"), dict):
        return [Problem(str(out / MANIFEST), "inputs", "the sweep recorded no hashes of its input files, so "
                        "they cannot be checked", NEW_SWEEP)]
    if stored.get("package_version") != manifest["package_version"]:
        return [Problem("command line", "--resume", f"{out} was started with ecodistrict "
                        f"{stored.get('package_version')} and this is {manifest['package_version']}: "
                        "their runs may differ", f"resume it with the version it was started with, or {NEW_SWEEP}")]
    problems = changed_inputs(stored["inputs"], manifest["inputs"])
    new = _json_normal(manifest)
    changed = [what for key, what in PLAN_KEYS.items() if stored.get(key) != new.get(key)]
    if changed:
        problems.append(Problem("command line", "--resume", f"{out} holds a sweep of another {' and '.join(changed)}",
                                "resume with the experiment and scenario it was started with, or give another --out"))
    return problems


def check(out: Path, manifest: dict, resume: bool) -> bool:
    """Whether ``out`` holds this sweep already (to resume); raises InputError when it may not be used.

    Refuses a folder holding another sweep (or anything else) unless resuming the same plan on the
    same inputs (same package version, every input file unchanged): mixing runs of two plans or of
    two catalogues would give a frame no one could interpret. Writes nothing, so that a sweep
    refused here, or whose cluster cannot be reached, leaves no folder behind.
    """
    out = Path(out)
    if (out / MANIFEST).is_file():
        if not resume:
            raise InputError.single("command line", "--out", f"{out} already holds a sweep",
                                    "add --resume to finish it, or give another --out")
        problems = _resume_problems(out, read_manifest(out), manifest)
        if problems:
            raise InputError(problems)
        return True
    if out.exists() and any(out.iterdir()):
        raise InputError.single("command line", "--out", f"{out} is not empty and holds no sweep",
                                "give a new or empty folder")
    return False


def create(out: Path, manifest: dict) -> None:
    """Lay out a new sweep folder, manifest first: a new folder appears with its manifest (one
    rename), so a sweep killed here leaves no folder that holds files but no manifest, which
    neither a new sweep nor ``--resume`` could use."""
    out = Path(out)
    write_atomically(out, {MANIFEST: _json_writer(manifest)})
    for folder in (RUNS, CHECKSUMS, FAILED):
        (out / folder).mkdir(exist_ok=True)


def _run_file(out: Path, run: str) -> Path:
    return Path(out) / RUNS / f"{run}.parquet"


def _checksum_file(out: Path, run: str) -> Path:
    return Path(out) / CHECKSUMS / f"{run}.json"


def verify(out: Path, run: str) -> str | None:
    """Why the file of ``run`` does not verify against the checksum written with it; ``None`` when it does."""
    path = _run_file(out, run)
    try:
        record = json.loads(_checksum_file(out, run).read_text(encoding="utf-8"))
        size, digest = int(record["bytes"]), str(record["sha256"])
    except (OSError, UnicodeDecodeError, ValueError, KeyError, TypeError):
        return "no checksum of it was recorded when it was written"
    try:
        actual = path.stat().st_size
        if actual != size:
            return f"{actual} bytes where {size} were written"
        if sha256_of(path) != digest:
            return "its content differs from what was written (SHA-256)"
    except OSError as exc:
        return f"cannot be read ({exc.strerror or type(exc).__name__})"
    return None


def run_ids(out: Path) -> list[str]:
    """Ids of the runs that have a file in ``runs/``, verified or not, sorted."""
    return sorted(p.stem for p in (Path(out) / RUNS).glob("*.parquet"))


def tidy(out: Path, planned: list[str]) -> list[str]:
    """Remove what a killed sweep left, and the files of ``planned`` runs that do not verify (so that
    they are run again); returns the ids of those, sorted. Failure records of runs since finished go."""
    out = Path(out)
    for folder in (out, out / RUNS, out / CHECKSUMS, out / FAILED):
        for tmp in folder.glob(TEMPORARY):
            tmp.unlink()
    present = set(run_ids(out))
    corrupt = [run for run in planned if run in present and verify(out, run) is not None]
    for run in corrupt:
        _run_file(out, run).unlink()
        _checksum_file(out, run).unlink(missing_ok=True)
    done = finished(out)
    for record in (out / FAILED).glob("*.json"):
        if record.stem in done:
            record.unlink()
    return sorted(corrupt)


def finished(out: Path) -> set[str]:
    """Ids of the runs whose results are on disk and verify."""
    return {run for run in run_ids(out) if verify(out, run) is None}


def save_run(out: Path, run: str, parquet: bytes) -> None:
    """Store a finished run's rows (a Parquet file's bytes), its checksum first; a failure recorded
    for it earlier is then obsolete."""
    _write_json(_checksum_file(out, run), {"run": run, "file": f"{RUNS}/{run}.parquet", "bytes": len(parquet),
                                           "sha256": hashlib.sha256(parquet).hexdigest()})
    write_file_atomically(_run_file(out, run), lambda p: p.write_bytes(parquet))
    (Path(out) / FAILED / f"{run}.json").unlink(missing_ok=True)


def save_failure(out: Path, run: str, record: dict) -> None:
    _write_json(Path(out) / FAILED / f"{run}.json", record)


def failures(out: Path) -> list[dict]:
    """The failure records of a sweep folder, by run id. Raises InputError for one that cannot be read."""
    records = []
    for path in sorted((Path(out) / FAILED).glob("*.json")):
        try:
            records.append(json.loads(path.read_text(encoding="utf-8")))
        except (OSError, UnicodeDecodeError, json.JSONDecodeError) as exc:
            raise InputError.single(path, "", f"unreadable failure record ({type(exc).__name__})",
                                    f"remove it, then resume the sweep (--out {out} --resume) to rerun it") from None
    return records
