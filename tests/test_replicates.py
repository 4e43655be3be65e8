"""``ecodistrict run SCENARIO --replicates N`` (issue 11): N seeds, a run folder each, and their summary.

The summary's figures against numpy on the replicates' own ``indicators.csv``; the same bytes on
1 and 2 workers; the ``--out`` policy of a replicates folder; and the variance explained on
hand-made frames.
"""

from __future__ import annotations

import hashlib
import json
import shutil
from pathlib import Path

import numpy as np
import pandas as pd
import pytest

from analysis.replicates import FEWER, MORE, archetypes_present, variance_explained
from simulation.io.run_folder import RUN_FILES
from simulation.sweeps.experiment import replicate_seeds
from tests.conftest import BASELINE, TWO_FIRMS, assert_input_error, cli

YEARS, N = "3", 5


def hashes(root: Path) -> dict[str, str]:
    return {str(p.relative_to(root)): hashlib.sha256(p.read_bytes()).hexdigest()
            for p in sorted(root.rglob("*")) if p.is_file()}


# ------------------------------------------------------------------ variance explained, by hand


def test_a_presence_that_determines_the_indicator_explains_all_its_variance():
    present = pd.DataFrame({"biogas": [0, 1, 0, 1, 1], "tiles": [2, 3, 1, 2, 5], "always": [4, 4, 4, 4, 4]})
    exchanged = pd.Series(100.0 + 50.0 * present.biogas)  # 100 t without the biogas plant, 150 t with it
    table = variance_explained(exchanged, present).set_index("archetype")
    assert table.loc["biogas", "r2"] == pytest.approx(1.0)
    assert table.loc["biogas", "direction"] == MORE
    assert table.index[0] == "biogas", "the archetype that explains most comes first"
    tiles = np.corrcoef(present.tiles, exchanged)[0, 1] ** 2
    assert table.loc["tiles", "r2"] == pytest.approx(tiles)
    assert "always" not in table.index, "a count the same on every seed explains nothing"
    falling = variance_explained(pd.Series(10.0 - 4.0 * present.biogas), present).set_index("archetype")
    assert falling.loc["biogas", "r2"] == pytest.approx(1.0) and falling.loc["biogas", "direction"] == FEWER


def test_an_indicator_that_does_not_vary_has_no_spread_to_explain():
    present = pd.DataFrame({"biogas": [0, 1, 0, 1]})
    assert variance_explained(pd.Series([3.0, 3.0, 3.0, 3.0]), present).empty


def test_firms_present_in_a_year_include_those_leaving_at_its_end():
    firms = pd.DataFrame({"archetype": ["tiles", "tiles", "biogas", "biogas", "frit"],
                          "entry_year": [2026, 2026, 2027, 2031, 2026],
                          "exit_year": pd.array([pd.NA, 2030, 2029, pd.NA, 2028], dtype="Int64")})
    # in 2029: the first tiles plant, the second (leaves at the end of 2030) and the biogas plant leaving
    # at the end of 2029; not the biogas plant entering in 2031 nor the frit maker gone in 2028
    assert archetypes_present(firms, 2029).to_dict() == {"biogas": 1, "tiles": 2}


# ------------------------------------------------------------------ the command


@pytest.fixture(scope="module")
def replicated(tmp_path_factory) -> dict[int, Path]:
    """The baseline's first 3 years on 5 replicate seeds, on 1 and on 2 workers."""
    root = tmp_path_factory.mktemp("replicates")
    folders = {}
    for workers in (1, 2):
        out = root / f"w{workers}"
        result = cli("run", BASELINE, "--years", YEARS, "--replicates", N, "--workers", workers, "--out", out,
                     "--quiet", cwd=root)
        assert result.returncode == 0, result.stderr
        assert result.stderr == "", "--quiet prints errors only"
        folders[workers] = out
    return folders


@pytest.mark.slow
def test_replicates_are_the_replicate_seeds_of_the_scenario_seed_each_in_a_run_folder(replicated):
    out = replicated[1]
    seeds = replicate_seeds(42, int(N))  # the baseline's seed: the policy library's seeds
    manifest = json.loads((out / "manifest.json").read_text())
    assert manifest["seeds"] == seeds and manifest["replicates"] == int(N) and manifest["root_seed"] == 42
    assert sorted(p.name for p in out.iterdir()) == sorted(
        ["manifest.json", "summary.csv", "summary.md", *(f"seed-{s}" for s in seeds)])
    for seed in seeds:
        folder = out / f"seed-{seed}"
        assert sorted(p.name for p in folder.iterdir()) == sorted(RUN_FILES)
        assert json.loads((folder / "manifest.json").read_text())["seed"] == seed


@pytest.mark.slow
def test_the_summary_gives_numpy_percentiles_of_the_replicates_final_year(replicated):
    out = replicated[1]
    summary = pd.read_csv(out / "summary.csv").set_index("indicator")
    finals = pd.DataFrame([pd.read_csv(folder / "indicators.csv").iloc[-1] for folder in sorted(out.glob("seed-*"))])
    assert set(finals.year) == {2028}
    for name in ("byproduct_exchanged_t", "circular_input_rate", "firms", "symbiosis_efficiency"):
        values = finals[name].dropna().to_numpy(float)
        row = summary.loc[name]
        assert row.n == len(values)
        assert [row.p25, row["median"], row.p75] == pytest.approx(list(np.percentile(values, [25, 50, 75])))
        assert [row["min"], row["max"]] == pytest.approx([values.min(), values.max()])
    assert summary.loc["byproduct_exchanged_t", "unit"] == "t/yr"
    assert summary.loc["byproduct_exchanged_t", "p75"] > summary.loc["byproduct_exchanged_t", "p25"], \
        "the seeds give different districts"
    text = (out / "summary.md").read_text()
    assert "## What explains the spread" in text and "not a cause" in text
    assert "| `byproduct_exchanged_t` | t/yr | 5 |" in text


@pytest.mark.slow
def test_one_and_two_workers_write_the_same_summary_and_run_folders(replicated):
    one, two = (hashes(replicated[w]) for w in (1, 2))
    assert one["summary.csv"] == two["summary.csv"] and one["summary.md"] == two["summary.md"]
    data = [name for name in one if name.endswith(".csv")]
    assert len(data) == 1 + int(N) * (len(RUN_FILES) - 1)
    assert {name: one[name] for name in data} == {name: two.get(name) for name in data}


@pytest.mark.slow
def test_replicates_out_refuses_inputs_and_other_kinds_and_replaces_only_with_force(replicated, tmp_path):
    territory = tmp_path / "two_firms"
    shutil.copytree(TWO_FIRMS.parent, territory)
    scenario = territory / "scenario.yaml"
    before = hashes(territory)
    result = cli("run", scenario, "--years", "1", "--replicates", "2", "--out", territory, cwd=tmp_path)
    assert_input_error(result, "command line", "--out", ("holds input files", "scenario.yaml"))
    assert hashes(territory) == before

    run = tmp_path / "run"
    assert cli("run", scenario, "--years", "1", "--out", run, cwd=tmp_path).returncode == 0
    ran = hashes(run)
    for force in ((), ("--force",)):
        result = cli("run", scenario, "--years", "1", "--replicates", "2", "--out", run, *force, cwd=tmp_path)
        assert_input_error(result, "command line", "--out", ("is a run folder, not a replicates folder",))
    assert hashes(run) == ran

    replicates = tmp_path / "replicates"
    shutil.copytree(replicated[1], replicates)
    kept = hashes(replicates)
    result = cli("run", scenario, "--years", "1", "--replicates", "2", "--out", replicates, cwd=tmp_path)
    assert_input_error(result, "command line", "--out", ("holds a replicates folder already", "--force"))
    result = cli("run", scenario, "--years", "1", "--out", replicates, "--force", cwd=tmp_path)
    assert_input_error(result, "command line", "--out", ("is a replicates folder, not a run folder",))
    assert hashes(replicates) == kept
    result = cli("run", scenario, "--years", "1", "--replicates", "2", "--out", replicates, "--force", cwd=tmp_path)
    assert result.returncode == 0, result.stderr
    assert sorted(p.name for p in replicates.glob("seed-*")) == sorted(f"seed-{s}" for s in replicate_seeds(1, 2)), \
        "the earlier replicates are gone: the folder was swapped whole"
    assert sorted(p.name for p in tmp_path.iterdir()) == ["replicates", "run", "two_firms"], "no leftovers"


@pytest.mark.slow
def test_workers_without_replicates_is_refused(tmp_path):
    result = cli("run", TWO_FIRMS, "--years", "1", "--workers", "2", "--out", tmp_path / "run", cwd=tmp_path)
    assert_input_error(result, "command line", "--workers", ("--replicates",))
    assert not (tmp_path / "run").exists()
