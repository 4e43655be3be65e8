"""Planning policy (PUG/APEA conditionality): profiling, admission rules, plot allocation,
commitments and enforcement, instruments and their timeline.

Most tests use ``tests/fixtures/admission``: one incumbent ``kiln`` (emits 1,000 t scrap, buys
1,000 t clay; 50 jobs on 5,000 m2) and four applicants arriving in 2026 in this order:

| applicant | flows (t/yr) | jobs | C | T | P | score |
|---|---|---|---|---|---|---|
| dump | sludge 1,000 out (no use), clay 1,000 in (no substitute) | 50 | 0 | 0.25 | 0 | 0.0833 |
| recycler | scrap 500 out (nobody present buys feldspar) | 50 | 1 | 0.25 | 0 | 0.4167 |
| small_press | feldspar 400 in (max share 0.5) | 20 | 0.5 | 0.3929 | 0.35 | 0.4143 |
| press | feldspar 3,000 in | 50 | 0.5 | 0.5 | 0.6667 | 0.5556 |

By hand (``simulation/profiling.py``): C is the mean over the applicant's family-side flows of the
share some substitution row can circulate (press: 0.5 of its feldspar). P is the mean of the
applicant's share (what the kiln's 1,000 t open scrap could serve: small_press min(200, 1000)/400
= 0.5; press min(1500, 1000)/3000 = 1/3) and the district's share (what of that scrap it would
take: small_press 200/1000 = 0.2; press 1000/1000 = 1).
T = ½·n/(n + 1) + ½·ρ/(ρ + 0.01) with ``partners_half`` 1 and the district's 50 jobs / 5,000 m2:
a likely partner (the kiln, for both presses) gives ¼; small_press's density 0.004 gives
½·0.004/0.014 = 0.1429, the others' 0.01 give ¼. Score = mean of the three (equal weights).

Plots: the kiln's (cheapest, 40 EUR/m2), four ``near`` plots (50 EUR/m2, the first 0.2 km from
the kiln), one ``far`` plot 5 km away (45 EUR/m2, the cheapest free one). Firms know partners
within 1 km only.
"""

from __future__ import annotations

import shutil

import numpy as np
import pytest
import yaml

from simulation.exchange.contracts import Status
from simulation.exchange.surplus import fixed_yearly_cost
from simulation.inputs.scenario import deep_merge, validate_scenario_data
from simulation.policy.effects import PolicyEffects
from simulation.policy.enforcement import violates
from simulation.runs import build_model
from simulation.world import SubstitutionTable, Transport
from tests.conftest import FIXTURES, TWO_FIRMS, run_checking_invariants

ADMISSION = FIXTURES / "admission" / "scenario.yaml"
ARRIVALS = ["dump", "recycler", "small_press", "press"]
SCORES = {"dump": 1 / 12, "recycler": 1.25 / 3, "small_press": (0.5 + 0.25 + 0.5 * 0.004 / 0.014 + 0.35) / 3,
          "press": (0.5 + 0.5 + 2 / 3) / 3}


def district(**changes):
    """The admission fixture with ``changes`` merged in, as a model ready to run."""
    raw = deep_merge(yaml.safe_load(ADMISSION.read_text()), changes)
    return build_model(validate_scenario_data(raw, ADMISSION))


def queue(*entries: tuple[str, int]) -> dict:
    return {"firms": {"applicants": {"queue": [{"archetype": a, "year": y} for a, y in entries]}}}


def admitted(model) -> list[str]:
    """Archetypes of the admitted applicants, in order of admission."""
    ids = model.catalogue.archetype_ids
    return [ids[f.archetype] for f in model.all_firms() if f.score is not None]


def decisions(model) -> dict[str, str]:
    return {a.archetype: a.decision for a in model.authority.applications}


def plot_of(model, archetype: str) -> str:
    ids = model.catalogue.archetype_ids
    [firm] = [f for f in model.all_firms() if ids[f.archetype] == archetype]
    return model.plots.ids[firm.plot]


def admission(**rule) -> dict:
    return {"policy": {"admission": rule}}


# ---------------------------------------------------------------------------------------------- profiling
def test_profiling_scores_match_hand_computation():
    model = district()
    model.step()
    got = {a.archetype: a for a in model.authority.applications}
    assert [a.archetype for a in model.authority.applications] == ARRIVALS
    for archetype, score in SCORES.items():
        assert got[archetype].score == pytest.approx(score, abs=1e-12)
    assert (got["press"].circular, got["press"].territorial, got["press"].symbiosis) == pytest.approx(
        (0.5, 0.5, 2 / 3))
    assert got["recycler"].partners == 0 and got["small_press"].partners == 1


def test_profiling_weights_select_one_family():
    model = district(policy={"profiling": {"weight_circular": 0, "weight_territorial": 0}})
    model.step()
    assert {a.archetype: a.score for a in model.authority.applications} == pytest.approx(
        {"dump": 0.0, "recycler": 0.0, "small_press": 0.35, "press": 2 / 3})


# ---------------------------------------------------------------------------------------------- admission
def test_open_rule_admits_everyone_first_come_first_served():
    model = district()
    model.step()
    assert admitted(model) == ARRIVALS
    assert model.indicator_rows[0]["admitted"] == 4 and model.indicator_rows[0]["rejected"] == 0


def test_threshold_admits_applicants_scoring_at_least_min_score_in_arrival_order():
    model = district(**admission(rule="threshold", min_score=0.4))
    model.step()
    assert admitted(model) == ["recycler", "small_press", "press"]
    assert decisions(model)["dump"] == "rejected_rule"
    strict = district(**admission(rule="threshold", min_score=0.415))
    strict.step()
    assert admitted(strict) == ["recycler", "press"]


def test_ranking_admits_the_yearly_quota_best_first():
    model = district(**admission(rule="ranking", quota_per_year=2))
    model.step()
    assert admitted(model) == ["press", "recycler"]
    assert decisions(model) == {"dump": "rejected_rule", "recycler": "admitted", "small_press": "rejected_rule",
                                "press": "admitted"}
    assert model.indicator_rows[0]["rejected_rule"] == 2


def test_ranking_ties_go_to_the_earlier_applicant():
    model = district(**admission(rule="ranking", quota_per_year=1), **queue(("press", 2026), ("press", 2026)))
    model.step()
    assert [a.decision for a in model.authority.applications] == ["admitted", "rejected_rule"]


def test_complementarity_gives_priority_to_symbiosis_potential():
    model = district(**admission(rule="complementarity"))
    model.step()
    assert admitted(model) == ["press", "small_press", "dump", "recycler"]  # P 2/3, 0.35, then 0 by arrival
    floor = district(**admission(rule="complementarity", min_symbiosis=0.1))
    floor.step()
    assert admitted(floor) == ["press", "small_press"]
    quota = district(**admission(rule="complementarity", quota_per_year=1))
    quota.step()
    assert admitted(quota) == ["press"]


def contributions(model, archetypes: list[str]) -> list[float]:
    """EUR/yr each archetype would bring, applying now, with the firms present this year."""
    authority = model.authority
    authority.set_prices(model.year)
    arrivals = [model.catalogue.archetype_index(a) for a in archetypes]
    return authority.contributions(arrivals, authority.district_openings()).tolist()


# Scrap over feldspar at 0 km, 2026 prices: disposal 25 + landfill tax 9 (inert), virgin 60 x 1,
# less transport 5 and treatment 8 (simulation/exchange/surplus.py unit_surplus).
SCRAP_EUR_PER_T = 25 + 9 + 60 - 5 - 8


def test_contribution_values_what_a_sink_could_take_from_the_present_firms():
    """The kiln leaves 1,000 t of scrap: the press takes all of it (its cap is 1,500 t), the small
    press 200 t (half its 400 t); the recycler's scrap and the dump's sludge find no present taker."""
    assert contributions(district(), ARRIVALS) == pytest.approx(
        [0.0, 0.0, 200 * SCRAP_EUR_PER_T, 1000 * SCRAP_EUR_PER_T])


def test_contribution_rule_refuses_an_applicant_without_present_partner_that_the_profile_admits():
    """The recycler scores 0.4167 on its profile (all its scrap is reusable somewhere) and passes a
    0.4 threshold, but no present firm buys feldspar: it brings 0 EUR/yr and a positive floor refuses
    it. The others are tried by decreasing contribution."""
    profile_rule = district(**admission(rule="threshold", min_score=0.4))
    profile_rule.step()
    assert "recycler" in admitted(profile_rule)
    model = district(**admission(rule="contribution", min_contribution_eur_per_yr=1000))
    model.step()
    assert admitted(model) == ["press", "small_press"]
    assert decisions(model) == {"dump": "rejected_rule", "recycler": "rejected_rule", "small_press": "admitted",
                                "press": "admitted"}
    assert model.indicator_rows[0]["rejected_rule"] == 2


def test_contribution_counts_what_present_firms_leave_open_after_their_contracts():
    """2026 (open): the press settles near the kiln and buys its 1,000 t of scrap. 2027: the press
    can still take 500 t (1,500 t cap less 1,000 under contract), so a recycler brings 500 t x 81,
    while a second press finds no scrap left and brings nothing."""
    model = district(years={"start": 2026, "end": 2027},
                     **admission(rule="contribution", min_contribution_eur_per_yr=1000, start_year=2027),
                     **queue(("dump", 2026), ("press", 2026), ("press", 2027), ("recycler", 2027)))
    model.step()
    assert contributions(model, ["press", "recycler"]) == pytest.approx([0.0, 500 * SCRAP_EUR_PER_T])
    model.step()
    assert [(a.year, a.archetype, a.decision) for a in model.authority.applications] == [
        (2026, "dump", "admitted"), (2026, "press", "admitted"), (2027, "press", "rejected_rule"),
        (2027, "recycler", "admitted")]


def test_priority_order_decides_who_gets_the_last_plots():
    """Two free plots: open admission fills them first come, complementarity with the presses."""
    small = {"district": {"blocks": [
        {"name": "home", "origin_x_m": 0, "origin_y_m": 0, "rows": 1, "cols": 3, "plot_width_m": 100,
         "plot_depth_m": 50, "gap_m": 100, "land_price_eur_per_m2": 40}]}}
    first_come = district(**small)
    first_come.step()
    assert admitted(first_come) == ["dump", "recycler"]
    assert decisions(first_come)["press"] == "rejected_no_plot"
    assert first_come.indicator_rows[0]["rejected_no_plot"] == 2
    priority = district(**small, **admission(rule="complementarity"))
    priority.step()
    assert admitted(priority) == ["press", "small_press"]


def test_sector_exclusion_applies_under_any_rule():
    model = district(**admission(rule="ranking", quota_per_year=4, excluded_sectors=["waste"]))
    model.step()
    assert admitted(model) == ["press", "small_press"]
    assert decisions(model)["dump"] == decisions(model)["recycler"] == "rejected_sector"
    assert model.indicator_rows[0]["rejected_sector"] == 2


def test_sector_quota_caps_the_share_of_a_sector():
    """Ceramics at most half the firms: kiln + small_press of 4 firms is 0.5; press would make 3 of 5."""
    model = district(**admission(sector_max_share={"ceramics": 0.5}))
    model.step()
    assert admitted(model) == ["dump", "recycler", "small_press"]
    assert decisions(model)["press"] == "rejected_sector"


def test_admission_rule_switches_on_at_start_year_and_off_after_end_year():
    model = district(years={"start": 2026, "end": 2028},
                     **admission(rule="threshold", min_score=0.3, start_year=2027, end_year=2027),
                     **queue(("dump", 2026), ("dump", 2027), ("dump", 2028)))
    run_checking_invariants(model)
    assert [r["admitted"] for r in model.indicator_rows] == [1, 0, 1]
    assert [r["rejected_rule"] for r in model.indicator_rows] == [0, 1, 0]


# ---------------------------------------------------------------------------------------------- plots
def press_alone(**changes):
    return district(**deep_merge(queue(("press", 2026)), changes))


def test_free_choice_without_proximity_value_takes_the_cheapest_plot():
    model = press_alone()
    model.step()
    assert plot_of(model, "press") == "far-r1c1"


def test_free_choice_trades_land_cost_against_distance_to_the_nearest_partner():
    """far: 225,000 EUR at 5 km; near-r1c1: 250,000 EUR at 0.2 km from the kiln."""
    near = press_alone(policy={"allocation": {"proximity_eur_per_km": 10_000}})  # 252,000 < 275,000
    near.step()
    assert plot_of(near, "press") == "near-r1c1"
    far = press_alone(policy={"allocation": {"proximity_eur_per_km": 4_000}})   # 245,000 < 250,800
    far.step()
    assert plot_of(far, "press") == "far-r1c1"


def test_land_discount_for_high_scorers_enters_the_choice_and_is_counted():
    """Half price for scores >= 0.4: far costs 112,500 + 20,000, near-r1c1 125,000 + 800."""
    model = press_alone(policy={"allocation": {"proximity_eur_per_km": 4_000, "discount_share": 0.5,
                                               "discount_min_score": 0.4}})
    model.step()
    assert plot_of(model, "press") == "near-r1c1"
    assert model.indicator_rows[0]["land_discount_eur"] == pytest.approx(0.5 * 50 * 5000)
    low = press_alone(policy={"allocation": {"proximity_eur_per_km": 4_000, "discount_share": 0.5,
                                             "discount_min_score": 0.6}})
    low.step()
    assert plot_of(low, "press") == "far-r1c1" and low.indicator_rows[0]["land_discount_eur"] == 0


def test_authority_places_a_firm_next_to_its_likely_partners():
    model = press_alone(policy={"allocation": {"rule": "authority"}})
    model.step()
    assert plot_of(model, "press") == "near-r1c1"
    assert len(model.contracts) == 1  # within 1 km of the kiln: they meet


def test_authority_gives_a_firm_without_likely_partners_the_cheapest_plot():
    model = district(**queue(("dump", 2026)), policy={"allocation": {"rule": "authority"}})
    model.step()
    assert plot_of(model, "dump") == "far-r1c1"


def test_authority_keeps_within_the_cost_premium():
    """near costs 11 % more than far: outside a 5 % premium the authority offers far only."""
    model = press_alone(policy={"allocation": {"rule": "authority", "max_cost_premium": 0.05}})
    model.step()
    assert plot_of(model, "press") == "far-r1c1"


def test_allocation_rule_applies_only_within_its_window():
    model = district(years={"start": 2026, "end": 2027}, **queue(("press", 2026), ("small_press", 2027)),
                     policy={"allocation": {"rule": "authority", "start_year": 2027}})
    run_checking_invariants(model)
    assert plot_of(model, "press") == "far-r1c1"
    assert plot_of(model, "small_press") == "near-r1c1"


# ---------------------------------------------------------------------------------------------- commitments
def commitments(**rule) -> dict:
    return {"commitments": rule}


def enforcement(**rule) -> dict:
    return {"enforcement": {"interval_years": 1, "monitoring_probability": 1.0, **rule}}


def test_published_flows_are_visible_beyond_the_radius_of_action():
    hidden = press_alone()  # 5 km apart, radius 1 km
    hidden.step()
    assert len(hidden.contracts) == 0
    shown = press_alone(policy=commitments(publish_flows=True))
    shown.step()
    assert len(shown.contracts) == 1
    assert shown.firm(shown.contracts.buyer[0]).commitment.publish_flows


def test_facilitator_reach_limits_the_platform():
    for reach, contracts in ((4, 0), (6, 1)):
        model = press_alone(policy={"facilitator": {"enabled": True, "reach_km": reach}})
        model.step()
        assert len(model.contracts) == contracts, reach
    published = press_alone(policy={"facilitator": {"reach_km": 4}, **commitments(publish_flows=True)})
    published.step()
    assert len(published.contracts) == 0


def test_incumbents_are_not_bound_and_targets_stay_feasible():
    model = district(policy=commitments(min_secondary_share=0.8))
    model.step()
    bound = {model.catalogue.archetype_ids[f.archetype]: f.commitment for f in model.all_firms()}
    assert bound["kiln"] is None                   # incumbent
    assert bound["dump"] is None                   # no input any residue replaces
    assert bound["press"].secondary_share == 0.5   # capped at the feldspar row's max share
    assert bound["press"].deadline_year == 2026 + 5


def test_unmet_secondary_share_is_fined_and_the_fine_enters_profit():
    """The press alone cannot receive any secondary input: it is fined every year."""
    def run(fine):
        model = district(years={"start": 2026, "end": 2027},
                         firms={"incumbents": [], **queue(("press", 2026))["firms"]},
                         policy={**commitments(min_secondary_share=0.5, secondary_share_years=0),
                                 **enforcement(fine_eur=fine)})
        run_checking_invariants(model)
        return model
    fined, free = run(10_000), run(0)
    [press], [same] = fined.all_firms(), free.all_firms()
    assert press.violations == 2 and press.fines_paid_eur == 20_000
    assert [r["fines_eur"] for r in fined.indicator_rows] == [10_000, 10_000]
    assert same.profit_eur - press.profit_eur == pytest.approx(10_000)


def test_no_fine_before_the_deadline_nor_outside_monitoring_years():
    model = district(years={"start": 2026, "end": 2029}, firms={"incumbents": [], **queue(("press", 2026))["firms"]},
                     policy={**commitments(min_secondary_share=0.5, secondary_share_years=2),
                             "enforcement": {"interval_years": 2, "monitoring_probability": 1.0, "fine_eur": 1000}})
    run_checking_invariants(model)
    assert [r["fines_eur"] for r in model.indicator_rows] == [0, 0, 1000, 0]


def test_repeated_violations_exclude_the_firm_and_close_its_contracts():
    model = district(years={"start": 2026, "end": 2028}, **queue(("press", 2026)),
                     policy={**commitments(min_secondary_share=0.5, secondary_share_years=0, publish_flows=True),
                             **enforcement(fine_eur=10_000, exclusion_after_violations=2)})
    run_checking_invariants(model)
    press = next(f for f in model.all_firms() if f.score is not None)
    assert (press.exit_year, press.exit_reason, press.violations) == (2027, "excluded", 2)
    assert [r["excluded"] for r in model.indicator_rows] == [0, 1, 0]
    assert model.contracts.status[0] == Status.PARTNER_EXIT and model.contracts.end_year[0] == 2027
    assert model.plots.occupants.sum() == 1


def test_strict_enforcement_makes_a_committed_buyer_sign_what_weak_enforcement_does_not():
    """Transaction cost 200,000 EUR/yr makes the 1,000 t exchange lose money (S = 80,984 − 200,000).
    Bound to 1,500 t (half its 3,000 t feldspar), the press values the 1,000 t at
    ``p × fine / interval × 1000/1500``: 200,000 EUR/yr when strict (certain yearly checks, fine
    300,000), 8,000 EUR/yr when weak (one check in five years, probability 0.2)."""
    def run(**rule):
        model = press_alone(behaviour={"negotiation": {"transaction_cost_eur_per_yr": 200_000}},
                            policy={"allocation": {"rule": "authority"},
                                    **commitments(min_secondary_share=0.5), "enforcement": rule})
        model.step()
        return model
    strict = run(interval_years=1, monitoring_probability=1.0, fine_eur=300_000)
    weak = run(interval_years=5, monitoring_probability=0.2, fine_eur=300_000)
    none = run(interval_years=1, monitoring_probability=1.0, fine_eur=0)
    assert len(strict.contracts) == 1 and len(weak.contracts) == 0 and len(none.contracts) == 0
    # Nash price: the supplier gets d_s + ½(S − d_s − d_b) with S = 80,984 − 200,000 + 200,000 and
    # d_s = d_b = 1000 × 0.1 × ½ × 80.984 (each side's half of the surplus, at distrust 0.1).
    assert strict.contracts.quantity[0] == pytest.approx(1000)
    assert strict.contracts.price[0] == pytest.approx((4_049.2 + 0.5 * (80_984 - 8_098.4) + 100_000) / 1000 - 20.984)
    assert strict.contracts.unit_surplus[0] == pytest.approx(80.984)  # physical surplus, fine not included


def test_service_commitment_is_broken_only_when_such_a_service_runs_without_the_firm():
    model = press_alone(policy=commitments(publish_flows=True))
    model.step()
    press = next(f for f in model.all_firms() if f.score is not None)
    object.__setattr__(press, "commitment", type(press.commitment)(False, 0.0, 2026, ("canteen",)))
    assert not violates(press.commitment, press.unique_id, 2026, 0, 0, (set(), {}))
    assert violates(press.commitment, press.unique_id, 2026, 0, 0, ({"canteen"}, {}))
    assert not violates(press.commitment, press.unique_id, 2026, 0, 0, ({"canteen"}, {press.unique_id: {"canteen"}}))


# ---------------------------------------------------------------------------------------------- instruments
def two_firms(**changes):
    raw = deep_merge(yaml.safe_load(TWO_FIRMS.read_text()), changes)
    return build_model(validate_scenario_data(raw, TWO_FIRMS))


def two_firms_with_a_plant(tmp_path, capex: float, **changes):
    """The two-firm case (trust 1, so no risk premium) whose scrap row needs a pre-treatment plant
    of ``capex`` EUR per t/yr of capacity, 10-year life, at the 5 % discount rate."""
    tmp_path.mkdir(parents=True)
    for name in ("scenario.yaml", "archetypes.yaml"):
        shutil.copy(TWO_FIRMS.parent / name, tmp_path / name)
    catalogue = yaml.safe_load((TWO_FIRMS.parent / "resources.yaml").read_text())
    catalogue["substitutions"][0]["investment"] = {
        "capex": {"value": capex, "unit": "EUR/(t/yr)", "source": "assumption: test figure"},
        "lifetime": {"value": 10, "unit": "yr", "source": "assumption: test figure"}}
    (tmp_path / "resources.yaml").write_text(yaml.safe_dump(catalogue))
    scenario = tmp_path / "scenario.yaml"
    raw = deep_merge(yaml.safe_load(scenario.read_text()),
                     deep_merge({"behaviour": {"negotiation": {"initial_trust": 1.0}}}, changes))
    return build_model(validate_scenario_data(raw, scenario))


def test_a_supplier_invests_in_pre_treatment_exactly_when_its_npv_is_positive_and_a_capex_subsidy_flips_it(
        tmp_path):
    """The 750 t exchange earns S = 750 × 80.84 − 1,000 = 59,630 EUR/yr and needs a 750 t/yr plant.
    NPV over the plant's 10 years at 5 %: Σ S / 1.05^t − 750 × capex > 0 ⇔ capex < 613.9 EUR per
    t/yr. At 600 the kiln invests; at 650 it does not; with a third of the capex paid publicly
    (0.67 × 650 = 435.5) it invests again. The plant then serves every later year at no new cost."""
    def npv(capex: float) -> float:
        return sum(59_630 / 1.05 ** t for t in range(1, 11)) - 750 * capex

    assert npv(600) > 0 > npv(650) and npv(0.67 * 650) > 0
    invests = two_firms_with_a_plant(tmp_path / "a", 600)
    refuses = two_firms_with_a_plant(tmp_path / "b", 650)
    subsidised = two_firms_with_a_plant(tmp_path / "c", 650, policy={"capex_subsidy": {"treatment_share": 0.33}})
    for model in (invests, refuses, subsidised):
        run_checking_invariants(model)
    assert len(invests.contracts) == 1 and len(refuses.contracts) == 0 and len(subsidised.contracts) == 1
    crf = 0.05 / (1 - 1.05 ** -10)
    plants = subsidised.plants
    assert len(plants) == 1 and plants.column("capacity")[0] == pytest.approx(750)
    assert plants.column("annuity_eur")[0] == pytest.approx(750 * 650 * 0.67 * crf)
    assert plants.column("public_eur")[0] == pytest.approx(750 * 650 * 0.33 * crf)
    # built once, paid every year: the firms' private gain is the surplus less the owner's annuity
    assert [r["net_savings_eur"] for r in subsidised.indicator_rows] == pytest.approx(
        [59_630 - 750 * 650 * 0.67 * crf] * 3)
    assert [r["exchange_support_eur"] for r in subsidised.indicator_rows] == pytest.approx([750 * 650 * 0.33 * crf] * 3)


def test_pipe_capex_subsidy_lowers_the_fixed_yearly_cost_of_a_pipe():
    subs = SubstitutionTable(np.array([0]), np.array([1]), np.array([1.0]), np.array([1.0]), np.array([0.0]))
    transport = Transport(*(np.zeros(2) for _ in range(4)), pipe_eur_per_km_yr=np.array([50_000.0, 0.0]),
                          by_truck=np.zeros(2, dtype=bool))
    none = PolicyEffects(*(np.zeros(2) for _ in range(4)))
    rows, km = np.array([0]), np.array([2.0])
    assert fixed_yearly_cost(rows, km, subs, transport, 1000, none) == pytest.approx([101_000])
    subsidised = PolicyEffects(*(np.zeros(2) for _ in range(4)), pipe_capex_share=0.33)
    assert fixed_yearly_cost(rows, km, subs, transport, 1000, subsidised) == pytest.approx([1000 + 0.67 * 100_000])


def test_virgin_levy_applies_to_the_listed_inputs_only():
    model = district(policy={"virgin_levy": {"eur_per_t": 10, "resources": ["feldspar"]}})
    prices = model.authority.set_prices(2026)
    cat = model.catalogue
    assert prices.virgin_cost[cat.index("feldspar")] == 70 and prices.virgin_cost[cat.index("clay")] == 90
    everything = district(policy={"virgin_levy": {"eur_per_t": 10}}).authority.set_prices(2026)
    assert everything.virgin_cost[cat.index("clay")] == 100


def test_two_firm_numbers_are_unchanged_without_commitments():
    model = two_firms()
    model.step()
    assert model.contracts.quantity[0] == pytest.approx(750)
    assert model.contracts.price[0] == pytest.approx(19.58)


def test_service_commitment_is_checked_through_the_services_book():
    """On the shipped baseline (shared services on), firms bound to join a canteen are fined exactly
    when a canteen runs and they are not among its members. Seed 1: a canteen runs from 2026 (with
    each firm's own meal price, ODD §7.15, the seed-42 baseline founds none in these years)."""
    from simulation.inputs.scenario import load_scenario
    from tests.conftest import BASELINE
    raw = deep_merge(yaml.safe_load(BASELINE.read_text()), {
        "seed": 1, "years": {"start": 2026, "end": 2028},
        "behaviour": {"exit": {"hazard_by_size": [{"max_employees": None, "rate": 0}]}},
        "policy": {"commitments": {"join_services": ["canteen"]},
                   "enforcement": {"interval_years": 1, "monitoring_probability": 1.0, "fine_eur": 1000}}})
    model = build_model(validate_scenario_data(raw, BASELINE))
    assert load_scenario(BASELINE).scenario.policy.commitments.join_services == []
    seen = violations = 0
    while model.running:
        model.step()
        running, member_of = model.authority.service_kinds()
        bound = [f for f in model.firms() if f.commitment is not None]
        expected = sum("canteen" in running and "canteen" not in member_of.get(f.unique_id, set()) for f in bound)
        assert model.authority.enforcement_this_year.violations == expected
        seen, violations = seen + len(bound), violations + expected
    assert 0 < violations < seen  # some bound firms joined a canteen, some did not


def test_truck_tax_is_paid_per_tonne_km_of_exchanges_by_road_within_its_window():
    base, taxed = two_firms(), two_firms(policy={"truck_tax": {"eur_per_tkm": 0.5, "start_year": 2027}})
    base.run()
    taxed.run()
    tonne_km = base.contracts.delivered[0] * base.contracts.distance_km[0]
    loss = [b["net_savings_eur"] - t["net_savings_eur"] for b, t in zip(base.indicator_rows, taxed.indicator_rows)]
    assert loss == pytest.approx([0, 0.5 * tonne_km, 0.5 * tonne_km])
    effects = taxed.authority.set_prices(2027)
    assert effects.transport_surcharge[taxed.catalogue.index("scrap")] == 0.5
    assert effects.transport_surcharge[taxed.catalogue.index("feldspar")] == 0  # bought at the gate: no haul
