"""A sweep killed at any moment resumes to the frame of one never killed; changed or corrupt files are caught.

Issue 13, acceptance 3 and defects 4 and 9. One tiny experiment (the two-firm fixture behind a
``base:`` variant, 3 landfill tax levels x 8 replicates x 2 years) is swept through the real
command line, ``python -m simulation.cli sweep``, against one warm Dask worker started here: the
command's own start (imports, validation, connection) is then all a cycle costs, so 20 kills fit
in the time budget. The command runs in a process group of its own, SIGKILLed after a delay drawn
from a seeded RNG, either anywhere in its start or just after a run file appeared (while the next
ones are written). The invariants checked hold whatever the timing: what is pinned is behaviour,
never time.
"""

from __future__ import annotations

import hashlib
import json
import os
import random
import re
import shutil
import signal
import subprocess
import sys
import time
from pathlib import Path

import pandas as pd
import pytest
import yaml

from analysis.sweep_results import load_sweep
from simulation.inputs.errors import InputError
from simulation.sweeps.folder import CHECKSUMS, FAILED, MANIFEST, RUNS, check, run_ids, verify
from simulation.sweeps.runner import local_cluster
from tests.conftest import FIXTURES, assert_input_error, cli

pytestmark = pytest.mark.slow
KILLS = 20
POINTS, REPLICATES = 3, 8
RUNS_PLANNED = {f"p{p:04d}-r{r:02d}" for p in range(POINTS) for r in range(REPLICATES)}
EXPERIMENT = "experiment.yaml"
GUARD_S = 120  # a hung process fails the test instead of hanging CI; never a timing assertion
POLL_S = 0.005


@pytest.fixture(scope="module")
def scheduler():
    """One warm worker for every sweep of this module; not in any sweep's process group."""
    with local_cluster(1) as cluster:
        yield cluster.scheduler_address


@pytest.fixture(scope="module")
def workspace(tmp_path_factory) -> Path:
    """The two-firm fixture, a variant of it naming it as ``base:``, and the experiment on the variant."""
    folder = tmp_path_factory.mktemp("inputs")
    for file in (FIXTURES / "two_firms").iterdir():
        shutil.copy(file, folder / file.name)
    (folder / "variant.yaml").write_text("name: two_firms_variant\nbase: scenario.yaml\n", encoding="utf-8")
    experiment = {"name": "tiny", "scenario": "variant.yaml", "replicates": REPLICATES, "seed": 13, "years": 2,
                  "grid": {"policy.landfill_tax.nonhazardous_eur_per_t": [0, 12, 40]}}
    (folder / EXPERIMENT).write_text(yaml.safe_dump(experiment, sort_keys=False), encoding="utf-8")
    return folder


def start_sweep(workspace: Path, out: Path, scheduler: str, log) -> subprocess.Popen:
    """``python -m simulation.cli sweep ... --resume`` in a new process group (its id is its pid)."""
    return subprocess.Popen([sys.executable, "-m", "simulation.cli", "sweep", EXPERIMENT, "--scheduler", scheduler,
                             "--out", str(out), "--resume"], cwd=workspace, stdout=log, stderr=log,
                            start_new_session=True)


def files_on_disk(out: Path) -> set[str]:
    return set(run_ids(out)) if (out / RUNS).is_dir() else set()


def wait_until(condition, sweep: subprocess.Popen) -> None:
    """Until ``condition()`` holds or the command has exited."""
    deadline = time.monotonic() + GUARD_S
    while not condition() and sweep.poll() is None:
        assert time.monotonic() < deadline, "the sweep hangs"
        time.sleep(POLL_S)


def kill(sweep: subprocess.Popen) -> bool:
    """SIGKILL the command's process group; whether it was still running."""
    alive = sweep.poll() is None
    try:
        os.killpg(sweep.pid, signal.SIGKILL)
    except ProcessLookupError:
        pass
    sweep.wait(timeout=GUARD_S)
    return alive


def assert_every_run_file_verifies(out: Path) -> None:
    """A run file under its final name is one the sweep finished: its checksum was written with it."""
    present = files_on_disk(out)
    assert present <= RUNS_PLANNED
    bad = {run: verify(out, run) for run in present if verify(out, run) is not None}
    assert not bad, bad


def snapshot(folder: Path) -> dict[str, str]:
    return {str(p.relative_to(folder)): hashlib.sha256(p.read_bytes()).hexdigest()
            for p in sorted(folder.rglob("*")) if p.is_file()}


@pytest.fixture(scope="module")
def reference(workspace, scheduler, tmp_path_factory) -> tuple[Path, float]:
    """The experiment swept once, never killed; and how long the command took to lay out its folder."""
    out = tmp_path_factory.mktemp("sweeps") / "reference"
    with open(out.parent / "reference.log", "w") as log:
        started = time.monotonic()
        sweep = start_sweep(workspace, out, scheduler, log)
        wait_until(lambda: (out / MANIFEST).is_file(), sweep)
        laid_out = time.monotonic() - started
        assert sweep.wait(timeout=GUARD_S) == 0, (out.parent / "reference.log").read_text()
    assert files_on_disk(out) == RUNS_PLANNED
    return out, laid_out


def killed_once(workspace: Path, out: Path, scheduler: str) -> None:
    """A sweep SIGKILLed after its second run file appeared."""
    with open(out.parent / f"{out.name}.log", "a") as log:
        sweep = start_sweep(workspace, out, scheduler, log)
        wait_until(lambda: len(files_on_disk(out)) >= 2, sweep)
        assert kill(sweep), "the sweep finished before it was killed"
    assert 2 <= len(files_on_disk(out)) < len(RUNS_PLANNED)


def test_sweep_killed_20_times_resumes_to_the_frame_of_an_uninterrupted_one(workspace, scheduler, reference,
                                                                           tmp_path):
    expected, laid_out = reference
    out = tmp_path / "killed"
    rng = random.Random(13)
    kills = 0
    with open(tmp_path / "killed.log", "a") as log:
        for _ in range(KILLS):
            before = files_on_disk(out)
            left = len(RUNS_PLANNED - before)
            sweep = start_sweep(workspace, out, scheduler, log)
            if left > 1 and rng.random() < 0.7:  # just after the k-th new run file: the next ones are being written
                k = rng.randint(1, min(2, left - 1))
                wait_until(lambda before=before, k=k: len(files_on_disk(out) - before) >= k, sweep)
                time.sleep(rng.uniform(0, 0.03))
            else:  # anywhere from the start to about when a new sweep lays out its folder
                deadline = time.monotonic() + rng.uniform(0, 1.2 * laid_out)
                wait_until(lambda deadline=deadline: time.monotonic() >= deadline, sweep)
            kills += kill(sweep)
            assert_every_run_file_verifies(out)
        assert kills >= KILLS // 2, f"only {kills} of {KILLS} sweeps were still running when killed"
        final = start_sweep(workspace, out, scheduler, log)
        assert final.wait(timeout=GUARD_S) == 0, (tmp_path / "killed.log").read_text()

    assert files_on_disk(out) == RUNS_PLANNED
    assert_every_run_file_verifies(out)
    assert sorted(p.stem for p in (out / CHECKSUMS).iterdir()) == sorted(RUNS_PLANNED)
    assert not list((out / FAILED).iterdir())
    assert not list(out.rglob(".*")), "temporary files left behind"
    frame = load_sweep(out)
    assert not frame.duplicated(["run", "year"]).any()
    pd.testing.assert_frame_equal(frame, load_sweep(expected))


# The experiment, its scenario, the scenario's base and the catalogue files: a comment appended to
# one changes its bytes, not what it says, and is refused all the same.
EDITED = [EXPERIMENT, "variant.yaml", "scenario.yaml", "resources.yaml", "archetypes.yaml"]


def test_resume_refuses_an_input_file_changed_since_the_kill(workspace, scheduler, tmp_path):
    """Defect 4: editing resources.yaml (or any other input) between a kill and --resume is refused,
    naming the file; the sweep folder is left as it was, and resuming works again once the file is restored."""
    out = tmp_path / "sweep"
    killed_once(workspace, out, scheduler)
    before = snapshot(out)
    for name in EDITED:
        original = (workspace / name).read_bytes()
        (workspace / name).write_bytes(original + b"\n# edited between the kill and --resume\n")
        try:
            refused = cli("sweep", EXPERIMENT, "--scheduler", scheduler, "--out", out, "--resume", cwd=workspace)
        finally:
            (workspace / name).write_bytes(original)
        assert_input_error(refused, name, "(document)", says=["changed since the sweep started",
                                                             "start a new sweep with another --out, or restore"])
        assert snapshot(out) == before, f"a refused resume ({name}) wrote into the sweep folder"
    resumed = cli("sweep", EXPERIMENT, "--scheduler", scheduler, "--out", out, "--resume", cwd=workspace)
    assert resumed.returncode == 0, resumed.stderr
    assert files_on_disk(out) == RUNS_PLANNED


def damage(out: Path, run: str, how: str) -> None:
    path = out / RUNS / f"{run}.parquet"
    data = path.read_bytes()
    if how == "truncated":
        path.write_bytes(data[: len(data) // 2])
    elif how == "altered":  # same size, bytes in the middle changed: only the hash tells
        middle = len(data) // 2
        path.write_bytes(data[:middle] + bytes(b ^ 0xFF for b in data[middle:middle + 16]) + data[middle + 16:])
    else:  # its checksum lost
        (out / CHECKSUMS / f"{run}.json").unlink()


@pytest.mark.parametrize("how", ["truncated", "altered", "unrecorded"])
def test_load_sweep_names_a_corrupt_run_file_instead_of_a_pyarrow_traceback(reference, tmp_path, how):
    out = tmp_path / "sweep"
    shutil.copytree(reference[0], out)
    damage(out, "p0001-r03", how)
    with pytest.raises(InputError, match=r"p0001-r03\.parquet: \(document\): unreadable run: .* "
                                         r"\(ecodistrict sweep experiment\.yaml --out .* --resume re-runs it\)"):
        load_sweep(out)


def test_resume_reruns_run_files_that_do_not_verify_and_compare_names_them(workspace, scheduler, reference,
                                                                           tmp_path):
    """Defect 9: a truncated (or altered) run Parquet is not a finished run for --resume, which re-runs
    it and says so; compare on the folder reports it (exit 2, no traceback) instead of crashing in pyarrow."""
    expected = reference[0]
    out = tmp_path / "sweep"
    shutil.copytree(expected, out)
    damage(out, "p0001-r03", "truncated")
    damage(out, "p0002-r00", "altered")
    (out / RUNS / "p0000-r05.parquet").unlink()  # missing: simply not finished

    compared = cli("compare", out, "--out", tmp_path / "report", cwd=workspace)
    lines = assert_input_error(compared, out / RUNS / "p0001-r03.parquet", "(document)",
                               says=["unreadable run", f"--out {out} --resume re-runs it"])
    assert any(line.startswith(f"{out / RUNS / 'p0002-r00.parquet'}: ") for line in lines)

    resumed = cli("sweep", EXPERIMENT, "--scheduler", scheduler, "--out", out, "--resume", cwd=workspace)
    assert resumed.returncode == 0, resumed.stderr
    assert "re-running 2 runs whose files did not verify: p0001-r03, p0002-r00" in resumed.stderr
    assert "(3 run now" in resumed.stdout
    assert_every_run_file_verifies(out)
    pd.testing.assert_frame_equal(load_sweep(out), load_sweep(expected))


@pytest.mark.parametrize("change, says", [
    ({"package_version": "0.0.0+other"}, "was started with ecodistrict 0.0.0+other"),
    ({"inputs": None}, "recorded no hashes of its input files"),
])
def test_resume_refuses_a_sweep_of_another_version_or_without_input_hashes(reference, tmp_path, change, says):
    out = tmp_path / "sweep"
    shutil.copytree(reference[0], out)
    manifest = json.loads((out / MANIFEST).read_text(encoding="utf-8"))
    (out / MANIFEST).write_text(json.dumps({**manifest, **change}), encoding="utf-8")
    with pytest.raises(InputError, match=re.escape(says)):
        check(out, manifest, resume=True)
