"""Sweeps on Dask: the same frame whatever runs them, failures recorded, kills survived.

One small experiment (the baseline, 4 landfill tax levels x 5 replicates x 8 years) is swept once
on two local workers as the reference; every other way of running it (one worker, a Dask
scheduler with two workers started here, a sweep SIGKILLed half-way then resumed) must give an
identical frame. Tests of what a sweep records share one warm local cluster. Processes listen on
127.0.0.1 only, and every one started here is stopped. What is pinned is behaviour, never time.
"""

from __future__ import annotations

import json
import os
import signal
import socket
import subprocess
import sys
import time
from pathlib import Path

import pandas as pd
import pyarrow.parquet as pq
import pytest
import yaml

from analysis.sweep_results import load_failures, load_sweep
from simulation.cli.main import main
from simulation.indicators import INDICATORS
from simulation.inputs.errors import InputError
from simulation.sweeps.experiment import load_experiment
from simulation.sweeps.folder import FAILED, MANIFEST, RUNS
from simulation.sweeps.runner import local_cluster
from simulation.sweeps.sweep import run_sweep
from tests.conftest import BASELINE, ROOT

BIN = Path(sys.executable).parent
LANDFILL = "policy.landfill_tax.nonhazardous_eur_per_t"
OUTCOMES = ["byproduct_exchanged_t", "landfill_diversion_rate", "firms", "symbiosis_links"]
YEARS = 8
GUARD_S = 300  # a hung process fails the test instead of hanging CI; never a timing assertion


def write_experiment(folder: Path, **fields) -> Path:
    folder.mkdir(parents=True, exist_ok=True)
    doc = {"name": "small", "scenario": str(BASELINE), "replicates": 5, "seed": 3, "years": YEARS,
           "outcomes": OUTCOMES, "grid": {LANDFILL: [0, 12, 40, 80]}}
    doc.update(fields)
    path = folder / "experiment.yaml"
    path.write_text(yaml.safe_dump(doc, sort_keys=False), encoding="utf-8")
    return path


@pytest.fixture(scope="module")
def experiment(tmp_path_factory) -> Path:
    return write_experiment(tmp_path_factory.mktemp("experiment"))


@pytest.fixture(scope="module")
def reference(experiment, tmp_path_factory) -> Path:
    """The experiment swept on two local workers."""
    out = tmp_path_factory.mktemp("sweeps") / "reference"
    summary = run_sweep(load_experiment(experiment), out, workers=2)
    assert (summary.total, summary.finished, summary.failed, summary.ran) == (20, 20, 0, 20)
    return out


@pytest.fixture(scope="module")
def scheduler():
    """A warm local cluster of two workers, for tests of what a sweep records rather than where it runs."""
    with local_cluster(2) as cluster:
        yield cluster.scheduler_address


def sweep_command(*args: str) -> list[str]:
    return [str(BIN / "ecodistrict"), "sweep", *args]


def test_sweep_frame_is_tidy_with_seeds_and_parameters(experiment, reference):
    loaded = load_experiment(experiment)
    frame = load_sweep(reference)
    assert list(frame.columns) == ["run", "point", "replicate", "seed", LANDFILL, "year", *OUTCOMES]
    assert len(frame) == 20 * YEARS and frame.run.nunique() == 20
    runs = frame.drop_duplicates("run").set_index("run")
    assert runs.loc["p0002-r04", ["point", "replicate", "seed", LANDFILL]].tolist() == [2, 4, loaded.seeds[4], 40]
    assert runs.groupby("point").seed.apply(list).tolist() == [loaded.seeds] * 4  # common random numbers
    assert sorted(frame.year.unique()) == list(range(2026, 2026 + YEARS))
    manifest = json.loads((reference / MANIFEST).read_text())
    assert manifest["seeds"] == loaded.seeds and manifest["points"] == loaded.points
    assert {"ecodistrict", "dask", "distributed", "SALib", "pyarrow", "mesa"} <= set(manifest["versions"])


def test_replicates_of_a_point_differ(reference):
    """The replicate seeds reach the model: the same point gives different runs."""
    final = load_sweep(reference).query(f"year == {2025 + YEARS} and point == 0")
    assert final[["firms", "byproduct_exchanged_t"]].drop_duplicates().shape[0] > 1


def test_one_worker_gives_the_frame_of_two(experiment, reference, tmp_path):
    summary = run_sweep(load_experiment(experiment), tmp_path / "one", workers=1)
    assert (summary.finished, summary.failed) == (20, 0)
    pd.testing.assert_frame_equal(load_sweep(tmp_path / "one"), load_sweep(reference))


@pytest.mark.parametrize("workers", [1, 2])
def test_the_local_back_end_gives_the_frame_of_dask(experiment, reference, tmp_path, workers):
    """The runner's process pool (2 workers) and this process alone (1) give Dask's results."""
    summary = run_sweep(load_experiment(experiment), tmp_path / "local", workers=workers, backend="local")
    assert (summary.finished, summary.failed) == (20, 0)
    pd.testing.assert_frame_equal(load_sweep(tmp_path / "local"), load_sweep(reference))


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


@pytest.mark.slow
def test_sweep_through_a_dask_scheduler_gives_the_local_frame(experiment, reference, tmp_path):
    port = free_port()
    address = f"tcp://127.0.0.1:{port}"
    dask = str(BIN / "dask")
    with open(tmp_path / "dask.log", "w") as log:
        processes = [subprocess.Popen([dask, "scheduler", "--host", "127.0.0.1", "--port", str(port),
                                       "--no-dashboard"], stdout=log, stderr=log)]
        try:
            processes += [subprocess.Popen([dask, "worker", address, "--nthreads", "1", "--host", "127.0.0.1",
                                            "--no-dashboard"], stdout=log, stderr=log, cwd=tmp_path)
                          for _ in range(2)]
            from distributed import Client
            with Client(address, timeout=GUARD_S) as client:
                client.wait_for_workers(2, timeout=GUARD_S)
                assert len(client.scheduler_info()["workers"]) == 2
            command = sweep_command(str(experiment), "--scheduler", address, "--out", str(tmp_path / "remote"))
            done = subprocess.run(command, capture_output=True, text=True, cwd=tmp_path, timeout=GUARD_S)
            assert done.returncode == 0, done.stderr
        finally:
            for p in processes:
                p.terminate()
            for p in processes:
                try:
                    p.wait(timeout=30)
                except subprocess.TimeoutExpired:
                    p.kill()
                    p.wait()
    pd.testing.assert_frame_equal(load_sweep(tmp_path / "remote"), load_sweep(reference))


def group_alive(pgid: int) -> bool:
    try:
        os.killpg(pgid, 0)
    except ProcessLookupError:
        return False
    return True


@pytest.mark.slow
def test_sigkilled_sweep_resumes_without_losing_duplicating_or_corrupting_runs(experiment, reference, tmp_path):
    expected = {s.run for s in load_experiment(experiment).runs()}
    out = tmp_path / "killed"
    with open(tmp_path / "killed.log", "w") as log:
        sweep = subprocess.Popen(sweep_command(str(experiment), "--workers", "2", "--out", str(out)),
                                 stdout=log, stderr=log, cwd=ROOT, start_new_session=True)
    deadline = time.monotonic() + GUARD_S
    try:
        while len(list((out / RUNS).glob("*.parquet"))) < 3 and sweep.poll() is None and time.monotonic() < deadline:
            time.sleep(0.01)
    finally:
        os.killpg(sweep.pid, signal.SIGKILL)  # the command and its Dask scheduler, nannies and workers
        sweep.wait()
        while group_alive(sweep.pid) and time.monotonic() < deadline:
            time.sleep(0.05)
    assert not group_alive(sweep.pid)
    killed_with = {p.stem for p in (out / RUNS).glob("*.parquet")}
    assert 3 <= len(killed_with) < len(expected), "the sweep was not killed half-way"
    # A kill in the middle of a write leaves a temporary file, never a partial result file.
    (out / RUNS / ".p0000-r00.parquet.x1y2.tmp").write_bytes(b"PAR1 half a file")

    resumed = subprocess.run(sweep_command(str(experiment), "--workers", "2", "--out", str(out), "--resume"),
                             capture_output=True, text=True, cwd=ROOT, timeout=GUARD_S)
    assert resumed.returncode == 0, resumed.stderr
    assert f"({len(expected) - len(killed_with)} run now" in resumed.stdout

    files = sorted((out / RUNS).iterdir())
    assert [f.name for f in files] == sorted(f"{run}.parquet" for run in expected)
    assert not list(out.rglob(".*")), "temporary files left behind"
    assert all(pq.read_table(f).num_rows == YEARS for f in files)
    frame = load_sweep(out)
    assert not frame.duplicated(["run", "year"]).any() and set(frame.run) == expected
    pd.testing.assert_frame_equal(frame, load_sweep(reference))


def test_a_failing_run_is_recorded_and_does_not_stop_the_others(scheduler, tmp_path):
    # Each value fits alone (three full-cycle tile plants on the three large lots; one plant on two
    # lots), the combination does not: three plants on two lots fail when the model is built.
    loaded = load_experiment(write_experiment(tmp_path, replicates=2, years=2, outcomes=None, grid={
        "district.blocks.0.cols": [3, 2], "firms.incumbents.0.count": [1, 3]}))
    out = tmp_path / "sweep"
    summary = run_sweep(loaded, out, scheduler=scheduler)
    assert (summary.total, summary.finished, summary.failed) == (8, 6, 2)
    failed = load_failures(out)
    assert failed.run.tolist() == ["p0003-r00", "p0003-r01"]
    assert failed.seed.tolist() == loaded.seeds
    assert all("no free plot" in e for e in failed.error)
    record = json.loads((out / FAILED / "p0003-r00.json").read_text())
    assert record["parameters"] == {"district.blocks.0.cols": 2, "firms.incumbents.0.count": 3}
    assert "Traceback" in record["traceback"]
    frame = load_sweep(out)
    assert sorted(frame.run.unique()) == [f"p{p:04d}-r{r:02d}" for p in range(3) for r in range(2)]
    assert list(frame.columns[frame.columns.get_loc("year") + 1:]) == list(INDICATORS)
    again = run_sweep(loaded, out, scheduler=scheduler, resume=True)  # failed runs are tried again
    assert (again.ran, again.finished, again.failed) == (2, 6, 2)
    assert sorted(p.name for p in (out / FAILED).iterdir()) == ["p0003-r00.json", "p0003-r01.json"]


def test_a_folder_holding_a_sweep_needs_resume_and_the_same_plan(experiment, reference, tmp_path):
    with pytest.raises(InputError, match="already holds a sweep"):
        run_sweep(load_experiment(experiment), reference)
    other = load_experiment(write_experiment(tmp_path, seed=4))
    with pytest.raises(InputError, match="another experiment and replicate seeds"):
        run_sweep(other, reference, resume=True)
    before = sorted(p.stat().st_mtime_ns for p in (reference / RUNS).iterdir())
    summary = run_sweep(load_experiment(experiment), reference, resume=True)  # complete: nothing to run
    assert (summary.ran, summary.finished) == (0, 20)
    assert sorted(p.stat().st_mtime_ns for p in (reference / RUNS).iterdir()) == before


@pytest.mark.slow
def test_shipped_sobol_experiment_writes_sensitivity_csv(scheduler, tmp_path, capsys):
    """The shipped experiment, with fewer samples and years, through the ``ecodistrict sweep`` command."""
    doc = yaml.safe_load((ROOT / "experiments" / "sobol_policy.yaml").read_text())
    doc.update(scenario=str(BASELINE), replicates=1, years=2)
    doc["design"]["samples"] = 4
    path = tmp_path / "sobol_policy.yaml"
    path.write_text(yaml.safe_dump(doc, sort_keys=False))
    out = tmp_path / "sweep"
    assert main(["sweep", str(path), "--scheduler", scheduler, "--out", str(out)]) == 0
    assert f"sensitivity indices written to {out / 'sensitivity.csv'}" in capsys.readouterr().out
    table = pd.read_csv(out / "sensitivity.csv")
    assert list(table.columns) == ["outcome", "parameter", "S1", "S1_conf", "ST", "ST_conf"]
    parameters = list(doc["design"]["parameters"])
    assert table.outcome.tolist() == [o for o in doc["outcomes"] for _ in parameters]
    assert table.parameter.tolist() == parameters * len(doc["outcomes"])


def test_an_unreachable_scheduler_is_an_input_error_and_writes_nothing(experiment, tmp_path, monkeypatch):
    import simulation.sweeps.runner

    monkeypatch.setattr(simulation.sweeps.runner, "SCHEDULER_TIMEOUT_S", 1)
    with pytest.raises(InputError, match="cannot reach a Dask scheduler"):
        run_sweep(load_experiment(experiment), tmp_path / "sweep", scheduler=f"tcp://127.0.0.1:{free_port()}")
    assert not (tmp_path / "sweep").exists()
