"""Bad planning-policy input (the style of ``test_bad_input.py``): every new policy option, spoilt
in a copy of the two-firm fixture, is reported as ``file: dotted.field: message (fix)``; a few
cases also go through the real command line (exit 2, no traceback, nothing written)."""

from __future__ import annotations

import pytest

from simulation.cli.main import validate_file
from tests.test_bad_input import PROBLEM_LINE, Case, assert_input_error, cli, edit_yaml, set_key, spoil


def policy(dotted: str, value) -> dict:
    return {"scenario.yaml": edit_yaml(set_key(f"policy.{dotted}", value))}


CASES = [
    Case("unknown_admission_rule", policy("admission.rule", "lottery"),
         "scenario.yaml", "policy.admission.rule", ("'threshold'", "allowed values"), run_too=True),
    Case("ranking_without_quota", policy("admission.rule", "ranking"),
         "scenario.yaml", "policy.admission.quota_per_year", ("needs quota_per_year",), run_too=True),
    Case("min_score_above_one", policy("admission.min_score", 1.5),
         "scenario.yaml", "policy.admission.min_score", ("less than or equal to 1",)),
    Case("negative_quota", policy("admission.quota_per_year", -1),
         "scenario.yaml", "policy.admission.quota_per_year", ("greater than or equal to 0",)),
    Case("fractional_quota", policy("admission.quota_per_year", 1.5),
         "scenario.yaml", "policy.admission.quota_per_year", ("whole number",)),
    Case("unknown_sector_in_quota", policy("admission.sector_max_share", {"cheramics": 0.5}),
         "scenario.yaml", "policy.admission.sector_max_share.cheramics",
         ("unknown sector group 'cheramics'", "did you mean ceramics"), run_too=True),
    Case("sector_share_above_one", policy("admission.sector_max_share", {"ceramics": 2}),
         "scenario.yaml", "policy.admission.sector_max_share.ceramics", ("less than or equal to 1",)),
    Case("unknown_excluded_sector", policy("admission.excluded_sectors", ["logistic"]),
         "scenario.yaml", "policy.admission.excluded_sectors.0", ("unknown sector group 'logistic'",)),
    Case("admission_window_reversed", policy("admission", {"start_year": 2030, "end_year": 2028}),
         "scenario.yaml", "policy.admission.end_year", ("before start_year",)),
    Case("profiling_weights_all_zero",
         policy("profiling", {"weight_circular": 0, "weight_territorial": 0, "weight_symbiosis": 0}),
         "scenario.yaml", "policy.profiling.weight_circular", ("all three family weights are 0",)),
    Case("unknown_allocation_rule", policy("allocation.rule", "lottery"),
         "scenario.yaml", "policy.allocation.rule", ("'authority'",)),
    Case("negative_proximity_value", policy("allocation.proximity_eur_per_km", -5),
         "scenario.yaml", "policy.allocation.proximity_eur_per_km", ("greater than or equal to 0",)),
    Case("proximity_in_wrong_unit",
         policy("allocation.proximity_eur_per_km", {"value": 5, "unit": "EUR/m", "source": "assumption"}),
         "scenario.yaml", "policy.allocation.proximity_eur_per_km", ("EUR/m", "EUR/km")),
    Case("discount_above_one", policy("allocation.discount_share", 1.2),
         "scenario.yaml", "policy.allocation.discount_share", ("less than or equal to 1",)),
    Case("misspelt_commitment", policy("commitments.publish_flow", True),
         "scenario.yaml", "policy.commitments.publish_flow", ("unknown key", "did you mean publish_flows")),
    Case("secondary_share_in_percent",
         policy("commitments.min_secondary_share", {"value": 10, "unit": "%", "source": "assumption"}),
         "scenario.yaml", "policy.commitments.min_secondary_share", ("'%'", "share")),
    Case("unknown_service_commitment", policy("commitments.join_services", ["canteen"]),
         "scenario.yaml", "policy.commitments.join_services.0", ("unknown service 'canteen'", "no shared services")),
    Case("monitoring_probability_above_one", policy("enforcement.monitoring_probability", 1.5),
         "scenario.yaml", "policy.enforcement.monitoring_probability", ("less than or equal to 1",), run_too=True),
    Case("monitoring_interval_zero", policy("enforcement.interval_years", 0),
         "scenario.yaml", "policy.enforcement.interval_years", ("greater than or equal to 1",)),
    Case("negative_fine", policy("enforcement.fine_eur", -100),
         "scenario.yaml", "policy.enforcement.fine_eur", ("greater than or equal to 0",)),
    Case("exclusion_after_zero_violations", policy("enforcement.exclusion_after_violations", 0),
         "scenario.yaml", "policy.enforcement.exclusion_after_violations", ("greater than or equal to 1",)),
    Case("pipe_share_above_one", policy("capex_subsidy.pipe_share", 2),
         "scenario.yaml", "policy.capex_subsidy.pipe_share", ("less than or equal to 1",)),
    Case("levy_on_a_residue", policy("virgin_levy.resources", ["scrap"]),
         "scenario.yaml", "policy.virgin_levy.resources.0", ("'scrap' is not a material input",)),
    Case("facilitator_reach_zero", policy("facilitator.reach_km", 0),
         "scenario.yaml", "policy.facilitator.reach_km", ("greater than 0",)),
]


@pytest.mark.parametrize("case", CASES, ids=[c.id for c in CASES])
def test_validate_reports_bad_policy_input(tmp_path, case):
    """In-process (``validate`` prints exactly these lines): one line per problem, in the contract's
    format, one naming the file and the dotted field with the expected words."""
    folder = spoil(tmp_path, case)
    lines = [str(p) for p in validate_file(folder / case.target)]
    assert lines and all(PROBLEM_LINE.match(line) for line in lines), lines
    hits = [line for line in lines if line.startswith(f"{folder / case.file}: {case.field}: ")]
    assert hits, lines
    for fragment in case.says:
        assert any(fragment in line for line in hits), (fragment, hits)


@pytest.mark.parametrize("case", [c for c in CASES if c.run_too], ids=[c.id for c in CASES if c.run_too])
def test_cli_refuses_bad_policy_input_and_writes_nothing(tmp_path, case):
    """Through the command line: ``validate`` and ``run`` exit 2, no traceback, nothing written."""
    folder = spoil(tmp_path, case)
    assert_input_error(cli("validate", folder / case.target, cwd=tmp_path), folder / case.file, case.field, case.says)
    out = tmp_path / "out"
    result = cli("run", folder / case.target, "--out", out, cwd=tmp_path)
    assert_input_error(result, folder / case.file, case.field, case.says)
    assert not out.exists()
