"""The experiment file: dotted paths, factorial and sampled points, replicate seeds, bad input.

No run is simulated here: these pin what an experiment resolves to and how a bad one is refused
(``file: dotted.field: message (fix)``, exit 2, nothing written), as ``ecodistrict validate`` and
``ecodistrict sweep`` see it.
"""

from __future__ import annotations

import re
import subprocess
import sys
from pathlib import Path

import numpy as np
import pytest
import yaml

from simulation.cli.main import main
from simulation.sweeps.experiment import load_experiment, replicate_seeds
from tests.conftest import BASELINE, ROOT, TWO_FIRMS

PROBLEM_LINE = re.compile(r"^(?P<file>\S.*?): (?P<field>\S.*?): (?P<message>.+) \((?P<fix>.+)\)$")
LANDFILL = "policy.landfill_tax.nonhazardous_eur_per_t"


def write_experiment(folder: Path, **fields) -> Path:
    """An experiment over the baseline in ``folder``; ``fields`` replace or add top-level keys."""
    doc = {"name": "exp", "scenario": str(BASELINE), "replicates": 2, "seed": 11, "years": 2,
           "grid": {LANDFILL: [0, 40]}}
    doc.update(fields)
    doc = {k: v for k, v in doc.items() if v is not None}
    path = folder / "experiment.yaml"
    path.write_text(yaml.safe_dump(doc, sort_keys=False), encoding="utf-8")
    return path


SOBOL = {"method": "sobol", "samples": 4, "statistic": "final_year",
         "parameters": {LANDFILL: {"low": 0, "high": 80}, "policy.exchange_subsidy.eur_per_t": {"low": 0, "high": 30}}}


def test_replicate_seeds_are_spawned_from_the_root_and_shared_by_every_point(tmp_path):
    expected = [int(c.generate_state(1, dtype=np.uint64)[0] >> np.uint64(1))
                for c in np.random.SeedSequence(11).spawn(3)]
    assert replicate_seeds(11, 3) == expected and len(set(expected)) == 3
    loaded = load_experiment(write_experiment(tmp_path, replicates=3))
    by_point = {}
    for spec in loaded.runs():
        by_point.setdefault(spec.point, []).append(spec.seed)
    assert list(by_point.values()) == [expected, expected]


def test_grid_is_the_full_factorial_in_written_order_with_stable_run_ids(tmp_path):
    grid = {LANDFILL: [0, 40, 80], "policy.facilitator.enabled": [False, True]}
    loaded = load_experiment(write_experiment(tmp_path, grid=grid, replicates=1))
    assert loaded.points == [{LANDFILL: t, "policy.facilitator.enabled": f} for t in (0, 40, 80) for f in (False, True)]
    assert [s.run for s in loaded.runs()] == [f"p{p:04d}-r00" for p in range(6)]
    assert loaded.parameter_dtypes == {LANDFILL: "int64", "policy.facilitator.enabled": "bool"}


def test_dotted_path_reaches_a_default_the_scenario_does_not_set(tmp_path):
    # The two-firm scenario sets no landfill tax: the path exists once merged over the defaults.
    assert "policy" not in yaml.safe_load(TWO_FIRMS.read_text())
    loaded = load_experiment(write_experiment(tmp_path, scenario=str(TWO_FIRMS), years=None))
    assert [p[LANDFILL] for p in loaded.points] == [0, 40]


@pytest.mark.parametrize("method, points", [("sobol", 4 * (2 + 2)), ("morris", 4 * (2 + 1)), ("lhs", 4)])
def test_sampled_design_points_lie_within_bounds_and_repeat_with_the_seed(tmp_path, method, points):
    design = dict(SOBOL, method=method)
    loaded = load_experiment(write_experiment(tmp_path, grid=None, design=design))
    x = np.array([[p[LANDFILL], p["policy.exchange_subsidy.eur_per_t"]] for p in loaded.points])
    assert x.shape == (points, 2)
    assert (x >= 0).all() and (x[:, 0] <= 80).all() and (x[:, 1] <= 30).all()
    assert load_experiment(write_experiment(tmp_path, grid=None, design=design)).points == loaded.points


def problems(capsys, *argv) -> tuple[int, list[dict]]:
    code = main(list(argv))
    err = capsys.readouterr().err.strip().splitlines()
    matches = [PROBLEM_LINE.match(line) for line in err]
    assert all(matches), f"not one problem per line: {err}"
    return code, [m.groupdict() for m in matches]


BAD = [
    ("unknown_path", {"grid": {"policy.landfil_tax.nonhazardous_eur_per_t": [0, 40]}},
     "grid.policy.landfil_tax.nonhazardous_eur_per_t", ("no such scenario field", "did you mean landfill_tax")),
    ("unknown_design_path",
     {"grid": None, "design": dict(SOBOL, parameters={"policy.levy.eur_per_t": {"low": 0, "high": 1}})},
     "design.parameters.policy.levy.eur_per_t", ("no such scenario field",)),
    ("value_refused", {"grid": {LANDFILL: [0, -5]}},
     f"grid.{LANDFILL}", ("value -5 is refused", "greater than or equal to 0")),
    ("bound_refused", {"grid": None, "design": dict(SOBOL, parameters={
        "policy.facilitator.transaction_cost_reduction": {"low": 0, "high": 2}})},
     "design.parameters.policy.facilitator.transaction_cost_reduction",
     ("high 2.0 is refused", "less than or equal to 1")),
    ("combination_refused",
     {"grid": {"behaviour.activity.minimum": [0.2, 2.5], "behaviour.activity.maximum": [3.0, 2.0]}},
     "grid", ("1 of 4 points are refused", "maximum is below minimum")),
    ("seed_is_fixed", {"grid": {"seed": [1, 2]}}, "grid.seed", ("cannot be varied",)),
    ("grid_and_design", {"design": SOBOL}, "grid", ("not both",)),
    ("unknown_outcome", {"outcomes": ["byproduct_exchange_t"]}, "outcomes.0", ("did you mean byproduct_exchanged_t",)),
    ("sobol_samples", {"grid": None, "design": dict(SOBOL, samples=6)}, "design.samples",
     ("power of two", "use 4 or 8")),
    ("mixed_values", {"grid": {LANDFILL: [0, "high"]}}, f"grid.{LANDFILL}", ("mix",)),
    ("missing_scenario", {"scenario": "nowhere.yaml"}, "scenario", ("not found",)),
    ("too_many_years", {"years": 400}, "years", ("after the scenario's last year 2050",)),
]


@pytest.mark.parametrize("fields, field, says", [case[1:] for case in BAD], ids=[case[0] for case in BAD])
def test_bad_experiment_names_file_and_field_and_sweep_writes_nothing(tmp_path, capsys, fields, field, says):
    path = write_experiment(tmp_path, **fields)
    code, found = problems(capsys, "validate", str(path))
    assert code == 2
    assert [p["file"] for p in found] == [str(path)] * len(found)
    mine = [p for p in found if p["field"] == field]
    assert mine, f"no problem at {field}: {found}"
    text = " ".join(f"{p['message']} ({p['fix']})" for p in mine)
    assert all(s in text for s in says), text
    out = tmp_path / "sweep"
    assert problems(capsys, "sweep", str(path), "--out", str(out))[0] == 2
    assert not out.exists()


@pytest.mark.slow
def test_bad_experiment_through_the_command_line_shows_no_traceback(tmp_path):
    path = write_experiment(tmp_path, grid={"policy.landfil_tax.nonhazardous_eur_per_t": [0]})
    done = subprocess.run([sys.executable, "-m", "simulation.cli", "sweep", str(path), "--out", str(tmp_path / "s")],
                          capture_output=True, text=True, cwd=ROOT)
    assert done.returncode == 2
    assert "Traceback" not in done.stderr
    assert done.stderr.startswith(f"{path}: grid.policy.landfil_tax.nonhazardous_eur_per_t: no such scenario field")


def test_shipped_experiments_are_valid(capsys):
    files = sorted(str(p) for p in (ROOT / "experiments").glob("*.yaml"))
    assert len(files) >= 2
    assert main(["validate", *files]) == 0, capsys.readouterr().err
