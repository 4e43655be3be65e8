"""The scenario library (``scenarios/``) and its paired comparison (``analysis/policy_library.py``)."""

from __future__ import annotations

import numpy as np
import pandas as pd
import yaml

from analysis.policy_library import OUTCOMES, PLACEBO, STRICT, WEAK, differences, library, markdown, run_all, run_one
from tests.conftest import BASELINE, ROOT

# A lever is one policy section, or the commitments with the enforcement that backs them.
LEVERS = [{"admission"}, {"allocation"}, {"landfill_tax"}, {"virgin_levy"}, {"exchange_subsidy"},
          {"capex_subsidy"}, {"facilitator"}, {"commitments", "enforcement"}, {"park_manager"},
          {"service_cofunding"}, {"profiling", "admission"}, {"truck_tax"}]


def test_library_has_at_least_six_one_lever_variants_of_the_baseline():
    paths = library()
    names = {p.stem for p in paths}
    assert len(paths) >= 6
    assert {"pug_threshold", "pug_complementarity", "landfill_tax_high", "exchange_subsidy", "facilitator_platform",
            STRICT, WEAK} <= names
    for path in paths:
        doc = yaml.safe_load(path.read_text())
        assert set(doc) <= {"name", "title", "description", "base", "policy"}, path.name
        assert set(doc["policy"]) in LEVERS, (path.name, set(doc["policy"]))
        for lang in ("en", "it"):
            assert "?" in doc["description"][lang], f"{path.name}: the description should state its policy question"


def test_strict_and_weak_enforcement_share_their_commitments():
    strict, weak = (yaml.safe_load((ROOT / "scenarios" / f"{n}.yaml").read_text())["policy"] for n in (STRICT, WEAK))
    assert strict["commitments"] == weak["commitments"]
    assert strict["enforcement"] != weak["enforcement"]


def test_library_table_is_in_the_scenarios_readme():
    readme = (ROOT / "scenarios" / "README.md").read_text()
    for path in library():
        assert f"`{path.stem}`" in readme, path.stem


def test_paired_differences_and_table_from_runs():
    rng = np.random.default_rng(0)
    seeds = list(range(8))
    base = pd.DataFrame({"scenario": "formigine_baseline", "seed": seeds,
                         **{o: rng.normal(10, 1, 8) for o in OUTCOMES}})
    higher = base.assign(scenario=STRICT, circular_input_rate=base.circular_input_rate + 1.0)
    same = base.assign(scenario=WEAK)
    placebo = base.assign(scenario=PLACEBO, firms=base.firms + 0.0)
    runs = pd.concat([base, higher, same, placebo], ignore_index=True)
    runs["bound_firms"], runs["bound_secondary"], runs["total_fines_eur"], runs["total_excluded"] = 1, 1, 0.0, 0
    diffs = differences(runs, "formigine_baseline")
    got = diffs.set_index(["scenario", "reference", "outcome"])
    assert got.loc[(STRICT, "formigine_baseline", "circular_input_rate"), "mean_difference"] == 1.0
    assert got.loc[(STRICT, "formigine_baseline", "circular_input_rate"), "verdict"] == "higher"
    assert got.loc[(WEAK, "formigine_baseline", "firms"), "verdict"] == "not distinguishable"
    assert got.loc[(STRICT, WEAK, "circular_input_rate"), "mean_difference"] == 1.0
    assert diffs.scenario.iloc[0] == PLACEBO  # the placebo row comes first in the table
    paths = {n: ROOT / "scenarios" / f"{n}.yaml" for n in (STRICT, WEAK)}
    text = markdown(diffs, runs, paths, "formigine_baseline", 8, "python -m analysis.policy_library")
    assert f"| `{STRICT}` |" in text and "**+1.000 [+1.000, +1.000]**" in text and "strict − weak" in text


def test_one_run_reports_the_final_year_and_entry_totals():
    row = run_one(str(BASELINE), seed=7, years=2)
    assert row["final_year"] == 2027 and row["scenario"] == "formigine_baseline"
    assert set(OUTCOMES) <= set(row) and row["total_applicants"] >= row["total_admitted"]


def test_runs_on_the_runners_processes_are_those_of_one_process():
    """Two worker processes of the sweep runner give the rows, in order, of one; placebo seeds are
    recorded as the placebo scenario paired with the first seeds by position."""
    paths, seeds = [BASELINE, ROOT / "scenarios" / "landfill_tax_high.yaml"], [3, 4]
    one = run_all(paths, seeds, workers=1, years=2, placebo_seeds=[5, 6])
    two = run_all(paths, seeds, workers=2, years=2, placebo_seeds=[5, 6])
    pd.testing.assert_frame_equal(one.drop(columns="seconds"), two.drop(columns="seconds"))
    assert one.scenario.tolist() == ["formigine_baseline"] * 2 + ["landfill_tax_high"] * 2 + [PLACEBO] * 2
    assert one.seed.tolist() == [3, 4] * 3 and one.run_seed.tolist() == [3, 4, 3, 4, 5, 6]
