"""The live view's levers (``simulation/view/levers.py``) offer only the admission rules a scenario can run."""

from __future__ import annotations

from simulation.inputs.scenario import load_scenario
from simulation.view.levers import admission_rules
from tests.conftest import BASELINE, ROOT


def test_rules_needing_a_parameter_the_scenario_lacks_are_not_offered():
    """``ranking`` needs ``quota_per_year`` and ``contribution`` its floor; the baseline sets neither."""
    assert admission_rules(load_scenario(BASELINE).scenario) == ["open", "threshold", "complementarity"]
    with_floor = load_scenario(ROOT / "scenarios" / "pug_contribution.yaml").scenario
    assert admission_rules(with_floor) == ["open", "threshold", "complementarity", "contribution"]
