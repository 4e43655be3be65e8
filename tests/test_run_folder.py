"""The run folder (README, The run folder): files, columns, balances, determinism, atomic writing."""

from __future__ import annotations

import json
import subprocess
import sys

import pandas as pd
import pytest

from simulation.indicators import INDICATORS
from simulation.io.run_folder import (
    EXCHANGE_COLUMNS,
    FIRM_COLUMNS,
    FLOW_COLUMNS,
    PLOT_COLUMNS,
    RUN_FILES,
    SERVICE_COLUMNS,
)
from simulation.runs import run_scenario
from tests.conftest import BASELINE

CSV_FILES = [f for f in RUN_FILES if f.endswith(".csv")]


@pytest.fixture(scope="module")
def baseline_runs(tmp_path_factory):
    root = tmp_path_factory.mktemp("runs")
    return {name: run_scenario(BASELINE, seed=seed, out=root / name)[0]
            for name, seed in (("a", 7), ("b", 7), ("c", 8))}


def test_run_folder_has_design_files_and_columns(baseline_runs):
    out = baseline_runs["a"]
    assert sorted(p.name for p in out.iterdir()) == sorted(RUN_FILES)
    ind = pd.read_csv(out / "indicators.csv")
    assert list(ind.columns[: 1 + len(INDICATORS)]) == ["year", *INDICATORS]
    assert list(ind.year) == list(range(2026, 2051))
    assert list(pd.read_csv(out / "flows.csv").columns) == FLOW_COLUMNS
    assert list(pd.read_csv(out / "exchanges.csv").columns) == EXCHANGE_COLUMNS
    assert list(pd.read_csv(out / "firms.csv").columns) == FIRM_COLUMNS
    plots = pd.read_csv(out / "plots.csv")
    assert list(plots.columns) == PLOT_COLUMNS
    assert len(plots) == 61 and set(pd.read_csv(out / "firms.csv")["plot"]) <= set(plots["plot"])
    services = pd.read_csv(out / "services.csv")
    assert list(services.columns) == SERVICE_COLUMNS
    assert (services.groupby(["service", "year"]).size() == 1).all()
    assert (services.members == services.member_firms.str.count(";") + 1).all()
    manifest = json.loads((out / "manifest.json").read_text())
    assert manifest["seed"] == 7 and manifest["scenario"]["name"] == "formigine_baseline"
    assert {"ecodistrict", "mesa", "numpy"} <= set(manifest["versions"])


def test_flows_balance_every_year_and_resource(baseline_runs):
    flows = pd.read_csv(baseline_runs["a"] / "flows.csv")
    assert (flows.groupby("year").size() == flows.resource.nunique()).all()
    pd.testing.assert_series_equal(flows.generated, flows.exchanged + flows.treated + flows.disposed, rtol=1e-9,
                                   check_names=False)
    pd.testing.assert_series_equal(flows.generated_gross, flows.recycled_in_house + flows.generated, rtol=1e-9,
                                   check_names=False)
    pd.testing.assert_series_equal(flows.demand, flows.in_house_input + flows.received + flows.virgin, rtol=1e-9,
                                   check_names=False)
    assert (flows[["recycled_in_house", "exchanged", "treated", "disposed", "in_house_input", "received",
                   "virgin"]] >= 0).all().all()


def test_same_seed_gives_byte_identical_csvs(baseline_runs):
    for name in CSV_FILES:
        assert (baseline_runs["a"] / name).read_bytes() == (baseline_runs["b"] / name).read_bytes(), name


def test_different_seeds_differ(baseline_runs):
    assert any((baseline_runs["a"] / n).read_bytes() != (baseline_runs["c"] / n).read_bytes() for n in CSV_FILES)


@pytest.mark.slow
def test_cli_run_prints_where_outputs_are(tmp_path):
    out = tmp_path / "cli-run"
    done = subprocess.run([sys.executable, "-m", "simulation.cli", "run", str(BASELINE), "--years", "3",
                           "--seed", "3", "--out", str(out)], capture_output=True, text=True)
    assert done.returncode == 0, done.stderr
    assert str(out) in done.stdout
    assert len(pd.read_csv(out / "indicators.csv")) == 3


def test_a_failed_write_leaves_the_previous_run_folder_intact(tmp_path, monkeypatch):
    out = tmp_path / "keep"
    run_scenario(BASELINE, years=2, out=out)
    before = {n: (out / n).read_bytes() for n in RUN_FILES}

    def explode(*args, **kwargs):
        raise OSError("disk full")

    monkeypatch.setattr(pd.DataFrame, "to_csv", explode)
    with pytest.raises(OSError):
        run_scenario(BASELINE, years=3, out=out)
    assert {n: (out / n).read_bytes() for n in RUN_FILES} == before
    assert [p.name for p in tmp_path.iterdir()] == ["keep"], "temporary files were left behind"
