"""Nothing of the user's is lost or overwritten by an ``--out`` (issue 13: defects 1, 2, 3, 5, 7, 10; acceptance 2).

Every test goes through the command line (a subprocess, or ``main`` in this process for the
property test, whose examples would otherwise each pay for the imports), on copies of the shipped
files in a temporary folder: nothing is written into the repository.
"""

from __future__ import annotations

import contextlib
import errno
import hashlib
import io
import json
import os
import shutil
import subprocess
import sys
from pathlib import Path

import pandas as pd
import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from simulation.cli.main import main
from simulation.io.run_folder import RUN_FILES
from tests.conftest import FIXTURES, ROOT, TWO_FIRMS, assert_input_error, cli

KALUNDBORG = ROOT / "scenarios" / "examples" / "kalundborg"
EXPERIMENT = """name: tiny
scenario: scenario.yaml
replicates: 1
seed: 3
years: 1
grid:
  behaviour.negotiation.transaction_cost_eur_per_yr: [1000]
"""
# Runs `ecodistrict ARGS` with a kill (os._exit, as abrupt as SIGKILL) between the two renames
# that swap a replaced run folder in (the test hook of simulation/io/atomic.py).
KILLED_BETWEEN_RENAMES = """import os, sys
import simulation.io.atomic as atomic
atomic.between_renames = lambda final, backup: os._exit(9)
from simulation.cli.main import main
sys.exit(main(sys.argv[1:]))
"""


def hashes(*roots: Path) -> dict[str, str]:
    """SHA-256 of every file under ``roots`` (files or folders), by path."""
    files = [p for root in roots for p in ([root] if root.is_file() else sorted(root.rglob("*"))) if p.is_file()]
    return {str(p): hashlib.sha256(p.read_bytes()).hexdigest() for p in files}


@pytest.fixture(scope="module")
def workspace(tmp_path_factory) -> Path:
    """The two-firm territory with a profile file and a one-run experiment, a sweep folder swept
    under umask 027, and two run folders (seeds 1 and 2, one year)."""
    root = tmp_path_factory.mktemp("outputs")
    territory = root / "two_firms"
    shutil.copytree(TWO_FIRMS.parent, territory)
    shutil.copy(FIXTURES / "profiles" / "four_firms.csv", territory / "profiles.csv")
    (territory / "experiment.yaml").write_text(EXPERIMENT, encoding="utf-8")
    umask = os.umask(0o027)
    try:
        swept = cli("sweep", territory / "experiment.yaml", "--workers", "1", "--out", root / "sweep", cwd=root)
    finally:
        os.umask(umask)
    assert swept.returncode == 0, swept.stderr
    for name, seed in (("a", 1), ("b", 2)):
        ran = cli("run", territory / "scenario.yaml", "--years", "1", "--seed", seed, "--out", root / "runs" / name,
                  cwd=root)
        assert ran.returncode == 0, ran.stderr
    return root


@pytest.mark.slow
def test_run_out_never_replaces_an_input_a_sweep_or_a_run_without_force(workspace, tmp_path):
    """Defect 1: ``run --out .`` in the Kalundborg folder replaced its profile ``firms.csv``;
    ``--out ''`` wrote into the current folder; a sweep folder's manifest was replaced; an
    existing run folder was replaced silently."""
    territory = tmp_path / "kalundborg"
    shutil.copytree(KALUNDBORG, territory)
    sweep = tmp_path / "sweep"
    shutil.copytree(workspace / "sweep", sweep)
    before = hashes(territory, sweep)
    result = cli("run", "scenario.yaml", "--years", "1", "--out", ".", cwd=territory)
    assert_input_error(result, "command line", "--out", ("holds input files", "firms.csv", "scenario.yaml"))
    result = cli("run", "scenario.yaml", "--years", "1", "--out", "", cwd=territory)
    assert_input_error(result, "command line", "--out", ("empty path",))
    result = cli("run", TWO_FIRMS, "--years", "1", "--out", sweep, cwd=tmp_path)
    assert_input_error(result, "command line", "--out", ("is a sweep folder, not a run folder",))
    assert hashes(territory, sweep) == before
    assert sorted(p.name for p in tmp_path.iterdir()) == ["kalundborg", "sweep"]

    run = tmp_path / "run"
    shutil.copytree(workspace / "runs" / "a", run)
    first = hashes(run)
    result = cli("run", TWO_FIRMS, "--years", "1", "--seed", "2", "--out", run, cwd=tmp_path)
    assert_input_error(result, "command line", "--out", ("holds a run folder already", "--force"))
    assert hashes(run) == first
    assert cli("run", TWO_FIRMS, "--years", "1", "--seed", "2", "--out", run, "--force", cwd=tmp_path).returncode == 0
    assert json.loads((run / "manifest.json").read_text())["seed"] == 2


@pytest.mark.slow
def test_matchmake_out_never_replaces_its_input_or_one_of_its_outputs(tmp_path):
    """Defect 2: ``--out firms.csv`` on ``firms.csv`` replaced the input; ``--out x.md`` wrote the
    exchanges table and then the summary into the same file."""
    for name in ("firms.csv", "resources.yaml", "archetypes.yaml"):
        shutil.copy(KALUNDBORG / name, tmp_path / name)
    before = hashes(tmp_path)
    for out, says in (("firms.csv", "is an input of this command"), ("firms", "is an input of this command"),
                      ("x.md", "the exchanges table and the summary would both be written to x.md")):
        result = cli("matchmake", "firms.csv", "--catalog", "resources.yaml", "--out", out, cwd=tmp_path)
        assert_input_error(result, "command line", "--out", (says,))
    assert hashes(tmp_path) == before, "a refused matchmake wrote or changed a file"
    (tmp_path / "m.md").write_text("the summary of an earlier matchmake")
    written = hashes(tmp_path)
    result = cli("matchmake", "firms.csv", "--catalog", "resources.yaml", "--out", "m.csv", cwd=tmp_path)
    assert_input_error(result, "command line", "--out", ("exist", "--force"))
    assert hashes(tmp_path) == written


@pytest.mark.slow
def test_compare_removes_only_the_figures_its_earlier_report_listed(workspace, tmp_path):
    """Defect 3: ``compare --out`` deleted the user's own PNG and SVG files in ``<out>/figures/``."""
    runs = [workspace / "runs" / "a", workspace / "runs" / "b"]
    report = tmp_path / "report"
    assert cli("compare", *runs, "--out", report, cwd=tmp_path).returncode == 0
    listing = report / "report_files.json"
    drawn = json.loads(listing.read_text())["files"]
    assert "report.html" in drawn and all((report / name).is_file() for name in drawn)
    (report / "figures" / "my_chart.png").write_bytes(b"\x89PNG the analyst's own")
    (report / "figures" / "my_chart.svg").write_text("<svg>the analyst's own</svg>")
    (report / "figures" / "gone.png").write_bytes(b"\x89PNG drawn by an earlier report")
    listing.write_text(json.dumps({"files": [*drawn, "figures/gone.png"]}))
    result = cli("compare", *runs, "--out", report, cwd=tmp_path)
    assert_input_error(result, "command line", "--out", ("holds a report folder already", "--force"))
    assert cli("compare", *runs, "--out", report, "--force", cwd=tmp_path).returncode == 0
    assert (report / "figures" / "my_chart.png").read_bytes() == b"\x89PNG the analyst's own"
    assert (report / "figures" / "my_chart.svg").read_text() == "<svg>the analyst's own</svg>"
    assert not (report / "figures" / "gone.png").exists()
    assert json.loads(listing.read_text())["files"] == drawn


@pytest.mark.slow
def test_a_kill_between_the_renames_leaves_a_whole_run_folder_and_the_next_commands_say_so(workspace, tmp_path):
    """Defect 5: replacing a run folder renamed its files one by one, and a kill left files of two
    seeds side by side that ``compare`` read without a word."""
    out = tmp_path / "run"
    shutil.copytree(workspace / "runs" / "a", out)
    old = {p.name: p.read_bytes() for p in out.iterdir()}
    killed = subprocess.run([sys.executable, "-c", KILLED_BETWEEN_RENAMES, "run", str(TWO_FIRMS), "--years", "1",
                             "--seed", "2", "--out", str(out), "--force"],
                            capture_output=True, text=True, cwd=tmp_path, timeout=120)
    assert killed.returncode == 9, killed.stderr
    assert not out.exists()
    left = {p.name.rsplit(".", 2)[1]: p for p in tmp_path.iterdir() if p.name != "run"}  # new/old.tmp
    assert sorted(left) == ["new", "old"]
    assert {p.name: p.read_bytes() for p in left["old"].iterdir()} == old, "the backup is the whole old folder"
    assert sorted(p.name for p in left["new"].iterdir()) == sorted(RUN_FILES), "the new folder is whole"
    assert json.loads((left["new"] / "manifest.json").read_text())["seed"] == 2

    result = cli("compare", out, "--out", tmp_path / "report", cwd=tmp_path)
    assert_input_error(result, out, "(document)", ("being replaced when the run was killed", left["old"].name))
    result = cli("run", TWO_FIRMS, "--years", "1", "--out", out, cwd=tmp_path)
    assert_input_error(result, "command line", "--out", ("was being replaced", "--force"))
    assert cli("run", TWO_FIRMS, "--years", "1", "--seed", "2", "--out", out, "--force", cwd=tmp_path).returncode == 0
    assert sorted(p.name for p in tmp_path.iterdir()) == ["run"], "the replacement's leftovers are gone"
    assert json.loads((out / "manifest.json").read_text())["seed"] == 2


@pytest.mark.slow
def test_write_problems_are_input_errors_found_before_simulating(tmp_path, monkeypatch, capsys):
    """Defect 7: a 240-character scenario name failed with "File name too long" (its temporary
    folder's name was longer) after the whole run, as did ``--out /proc/x``, a full disk and a long
    matchmake ``--out``: a traceback and exit 1."""
    territory = tmp_path / "two_firms"
    shutil.copytree(TWO_FIRMS.parent, territory)
    long_name = "n" * 240
    scenario = territory / "scenario.yaml"
    scenario.write_text(scenario.read_text().replace("name: two_firms", f"name: {long_name}"))
    ran = cli("run", scenario, "--years", "1", cwd=tmp_path)
    assert ran.returncode == 0, ran.stderr
    assert sorted(p.name for p in (tmp_path / "runs" / f"{long_name}-seed1").iterdir()) == sorted(RUN_FILES)

    result = cli("run", scenario, "--years", "1", "--out", "/proc/x", cwd=tmp_path)
    assert_input_error(result, "command line", "--out", ("/proc",))
    assert "ran " not in result.stdout, "the run was simulated before its output was checked"
    result = cli("run", scenario, "--years", "1", "--out", tmp_path / ("m" * 256), cwd=tmp_path)
    assert_input_error(result, "command line", "--out", ("File name too long",))
    shutil.copy(FIXTURES / "profiles" / "four_firms.csv", territory / "profiles.csv")
    result = cli("matchmake", territory / "profiles.csv", "--catalog", territory / "resources.yaml",
                 "--out", tmp_path / ("m" * 248 + ".csv"), cwd=tmp_path)
    assert_input_error(result, "command line", "--out", ("File name too long",))

    def disk_full(*args, **kwargs):
        raise OSError(errno.ENOSPC, "No space left on device")

    monkeypatch.setattr(pd.DataFrame, "to_csv", disk_full)
    out = tmp_path / "full"
    assert main(["run", str(scenario), "--years", "1", "--out", str(out)]) == 2
    assert f"{out}: write: No space left on device (free some disk space" in capsys.readouterr().err
    assert not out.exists() and not list(tmp_path.glob(".*")), "a failed write left files behind"


def test_sweep_files_get_their_permissions_from_the_umask(workspace):
    """Defect 10: sweep files were created with mode 600 whatever the umask (run folders 644). The
    workspace's sweep ran under umask 027: files 640, folders 750."""
    sweep = workspace / "sweep"
    files = [p for p in sweep.rglob("*") if p.is_file()]
    assert any(p.suffix == ".parquet" for p in files) and (sweep / "manifest.json") in files
    assert {oct(p.stat().st_mode & 0o777) for p in files} == {oct(0o640)}
    assert {oct(p.stat().st_mode & 0o777) for p in [sweep, *sweep.iterdir()] if p.is_dir()} == {oct(0o750)}


# ------------------------------------------------------------------ acceptance 2: --out near the inputs
def _inputs(workspace: Path) -> dict[str, list[Path]]:
    """Each command's arguments (inputs) and the files it reads, whose hashes must never change."""
    territory = workspace / "two_firms"
    scenario = [territory / n for n in ("scenario.yaml", "resources.yaml", "archetypes.yaml")]
    return {"run": scenario, "sweep": [territory / "experiment.yaml", *scenario],
            "compare": [workspace / "runs" / "a", workspace / "runs" / "b"],
            "matchmake": [territory / "profiles.csv", territory / "resources.yaml", territory / "archetypes.yaml"]}


def _argv(command: str, inputs: list[Path], out: str, force: bool) -> list[str]:
    first = {"run": ["run", str(inputs[0]), "--years", "1"], "sweep": ["sweep", str(inputs[0]), "--workers", "1"],
             "compare": ["compare", *map(str, inputs)],
             "matchmake": ["matchmake", str(inputs[0]), "--catalog", str(inputs[1])]}[command]
    return [*first, "--out", out, *(["--force"] if force else [])]


def _target(workspace: Path, relation: str, near: Path, command: str) -> str:
    """An ``--out`` in ``relation`` to the input ``near``."""
    name = "out.csv" if command == "matchmake" else "out"
    return {"same": str(near), "parent": str(near.parent), "child": str(near / name),
            "sibling": str(near.parent / name), "grandparent": str(near.parent.parent),
            "run folder": str(workspace / "runs" / "a"), "sweep folder": str(workspace / "sweep"),
            "empty": ""}[relation]


@pytest.mark.slow
@settings(max_examples=25, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture])
@given(command=st.sampled_from(["run", "sweep", "compare", "matchmake"]),
       relation=st.sampled_from(["same", "parent", "child", "sibling", "grandparent", "run folder", "sweep folder",
                                 "empty"]),
       which=st.integers(0, 2), force=st.booleans())
def test_no_out_near_the_inputs_ever_changes_an_input(workspace, command, relation, which, force):
    inputs = _inputs(workspace)[command]
    out = _target(workspace, relation, inputs[which % len(inputs)], command)
    before = hashes(*inputs)
    err = io.StringIO()
    with contextlib.redirect_stderr(err), contextlib.redirect_stdout(io.StringIO()):
        code = main(_argv(command, inputs, out, force))
    after = hashes(*inputs)  # a report may be added inside a run folder it read: new files are not changes
    assert {path: after.get(path) for path in before} == before, f"{command} --out {out!r} changed an input"
    assert code in (0, 2), (code, err.getvalue())
    assert "Traceback" not in err.getvalue() or code == 0, err.getvalue()
    if code == 2:
        assert "--out" in err.getvalue() or "--force" in err.getvalue(), err.getvalue()
