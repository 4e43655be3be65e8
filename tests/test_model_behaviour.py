"""Mechanisms of the yearly cycle, each pinned on the hand-made two-firm district."""

from __future__ import annotations

import shutil
from pathlib import Path

import pytest
import yaml

from simulation.exchange.contracts import Status
from simulation.indicators import FLOW_QUANTITIES
from simulation.inputs.scenario import deep_merge, validate_scenario_data
from simulation.runs import build_model
from tests.conftest import TWO_FIRMS, run_checking_invariants


def two_firms(**changes):
    """The two-firm scenario with ``changes`` merged in, as a model ready to run."""
    raw = deep_merge(yaml.safe_load(TWO_FIRMS.read_text()), changes)
    return build_model(validate_scenario_data(raw, TWO_FIRMS))


def far_apart(gap_m: float) -> dict:
    return {"district": {"blocks": [{"name": "row", "origin_x_m": 0, "origin_y_m": 0, "rows": 1, "cols": 2,
                                     "plot_width_m": 100, "plot_depth_m": 100, "gap_m": gap_m,
                                     "land_price_eur_per_m2": 50}]}}


def test_firms_beyond_their_radius_do_not_meet_without_facilitator():
    model = two_firms(**far_apart(11_900))  # 12 km apart, radius of action 10 km
    run_checking_invariants(model)
    assert len(model.contracts) == 0


def test_facilitator_makes_partners_beyond_radius_visible():
    model = two_firms(**far_apart(11_900), policy={"facilitator": {"enabled": True}})
    run_checking_invariants(model)
    assert len(model.contracts) == 1


def test_no_exchange_beyond_transport_reach_even_with_facilitator():
    model = two_firms(**far_apart(31_900), policy={"facilitator": {"enabled": True}})  # 32 km > 30 km
    run_checking_invariants(model)
    assert len(model.contracts) == 0


def test_policy_window_switches_subsidy_on_and_off():
    model = two_firms(policy={"exchange_subsidy": {"eur_per_t": 10, "start_year": 2027, "end_year": 2027}})
    subsidies = []
    while model.running:
        model.step()
        subsidies.append(float(model.authority.effects.subsidy.max()))
    assert subsidies == [0.0, 10.0, 0.0]
    savings = [row["net_savings_eur"] for row in model.indicator_rows]
    assert savings[1] - savings[0] == 750 * 10


def test_outside_its_window_a_landfill_tax_leaves_the_regional_rate_in_force():
    """Issue 12, item 10: `landfill_tax: {inert_eur_per_t: 80, start_year: 2027}` keeps the
    regional rate of the defaults in 2026 (it used to set the tax to zero there)."""
    windowed = two_firms(policy={"landfill_tax": {"inert_eur_per_t": 80, "start_year": 2027}})
    regional, raised = two_firms(), two_firms(policy={"landfill_tax": {"inert_eur_per_t": 80}})
    costs = {name: [] for name in ("windowed", "regional", "raised")}
    for name, model in (("windowed", windowed), ("regional", regional), ("raised", raised)):
        for _ in range(2):
            model.step()
            costs[name].append(model.authority.effects.disposal_cost.copy())
    assert (costs["windowed"][0] == costs["regional"][0]).all()
    assert (costs["windowed"][1] == costs["raised"][1]).all()
    assert (costs["raised"][1] > costs["regional"][1]).any()


def test_higher_landfill_tax_raises_the_price_the_supplier_accepts_to_pay():
    low, high = two_firms(), two_firms(policy={"landfill_tax": {"inert_eur_per_t": 80}})
    for model in (low, high):
        model.step()
    assert high.contracts.price[0] < low.contracts.price[0]


def test_partner_exit_ends_contract_and_partner_falls_back_to_virgin():
    model = two_firms(behaviour={"exit": {"hazard_by_size": [{"max_employees": None, "rate": 1.0}]}})
    model.step()
    assert model.contracts.status[0] == Status.PARTNER_EXIT
    assert model.contracts.end_year[0] == 2026
    assert len(model.firms()) == 0 and model.plots.occupants.sum() == 0


def test_expiring_contract_is_renewed_when_still_profitable():
    model = two_firms(years={"start": 2026, "end": 2030}, behaviour={"contracts": {"duration_years": 2}})
    run_checking_invariants(model)
    assert len(model.contracts) == 1
    assert model.contracts.renewals[0] == 2 and model.contracts.status[0] == Status.ACTIVE


def test_disruption_breaks_contract_and_costs_trust():
    model = two_firms(behaviour={"contracts": {"disruption_probability": 1.0}})
    model.step()
    assert model.contracts.status[0] == Status.BROKEN
    supplier = model.firm(int(model.contracts.supplier[0]))
    # trust 0.5 grew by 0.1 × (1 − 0.5) on delivery, then lost half on the break
    assert model.trust.between(supplier.unique_id, int(model.contracts.buyer[0])) == 0.55 * 0.5


def test_lasting_losses_make_a_firm_leave():
    model = two_firms(policy={"virgin_levy": {"eur_per_t": 300}}, behaviour={"exit": {"loss_years": 2}})
    run_checking_invariants(model)
    buyer_exit = [f for f in model.exited if f.exit_reason == "losses"]
    assert len(buyer_exit) == 1 and buyer_exit[0].exit_year == 2027


def test_closure_hazard_reproduces_the_rate_of_each_size_class():
    """ODD §7.12: 200 presses (50 employees) in a class closing at 20 %/yr and 200 kilns (100
    employees) in one closing at 5 %/yr, over 10 years: each class's closures per firm-year at risk
    are a binomial draw at its own rate (fixed seed, so the check is deterministic)."""
    from scipy.stats import binomtest

    rates = {"press": 0.2, "kiln": 0.05}
    model = two_firms(
        years={"start": 2026, "end": 2035},
        district={"blocks": [{"name": "row", "origin_x_m": 0, "origin_y_m": 0, "rows": 20, "cols": 20,
                              "plot_width_m": 100, "plot_depth_m": 100, "gap_m": 0,
                              "land_price_eur_per_m2": 50}]},
        firms={"incumbents": [{"archetype": "kiln", "count": 200}, {"archetype": "press", "count": 200}]},
        behaviour={"exit": {"loss_years": 50, "hazard_by_size": [{"max_employees": 60, "rate": rates["press"]},
                                                                   {"max_employees": None, "rate": rates["kiln"]}]}})
    model.run()
    ids = model.catalogue.archetype_ids
    for name, rate in rates.items():
        firms = [f for f in model.all_firms() if ids[f.archetype] == name]
        at_risk = sum((f.exit_year or 2035) - f.entry_year + 1 for f in firms)
        closed = sum(f.exit_reason == "hazard" for f in firms)
        assert {f.exit_reason for f in firms} <= {"hazard", ""}
        test = binomtest(closed, at_risk, rate)
        low, high = test.proportion_ci(0.99)
        other = rates["kiln" if name == "press" else "press"]
        assert test.pvalue > 0.01 and not low <= other <= high, (name, closed, at_risk)


def test_a_class_bound_includes_its_upper_bound():
    """Firms of 9 employees are micro and of 10 small, as in the CSO Ireland classes; the last class
    takes every larger firm."""
    import numpy as np

    from simulation.agents.firm import Firm
    from simulation.inputs.scenario_schema import SizeClassHazard

    classes = [SizeClassHazard(max_employees=b, rate=r) for b, r in ((9, 0.4), (49, 0.3), (249, 0.2), (None, 0.1))]
    employees = np.array([1, 9, 10, 49, 50, 249, 250, 100_000])
    assert Firm.closure_hazard(employees, classes).tolist() == [0.4, 0.4, 0.3, 0.3, 0.2, 0.2, 0.1, 0.1]


def test_cyclicity_is_the_spectral_radius_of_the_firm_network():
    import numpy as np

    from simulation.indicators import cyclicity

    assert cyclicity(np.array([1, 2]), np.array([2, 3])) == 0.0            # a chain has no cycle
    assert cyclicity(np.array([1, 2]), np.array([2, 1])) == 1.0            # a mutual exchange
    # a triangle 1→2→3→1 plus a chord 1→3: radius is the real root of x³ = x + 1 (≈ 1.3247)
    radius = cyclicity(np.array([1, 2, 3, 1, 1]), np.array([2, 3, 1, 3, 3]))
    assert radius == pytest.approx(1.3247179572, rel=1e-9)


def test_cyclicity_of_a_large_component_matches_a_dense_solve():
    import numpy as np

    from simulation.indicators import DENSE_LIMIT, cyclicity

    rng = np.random.default_rng(3)
    n = DENSE_LIMIT * 3
    ring = np.arange(n)
    extra_s, extra_b = rng.integers(0, n, 2 * n), rng.integers(0, n, 2 * n)
    s = np.concatenate([ring, extra_s]) + 1
    b = np.concatenate([(ring + 1) % n, extra_b]) + 1
    dense = np.zeros((n, n))
    dense[s - 1, b - 1] = 1.0
    assert cyclicity(s, b) == pytest.approx(np.abs(np.linalg.eigvals(dense)).max(), rel=1e-9)


def test_plots_can_come_from_geojson_polygons():
    from simulation.inputs.scenario import load_scenario
    from tests.conftest import FIXTURES

    model = build_model(load_scenario(FIXTURES / "geojson" / "scenario.yaml"))
    plots = model.plots
    assert plots.ids == ["west", "east"] and plots.zone == ["food", "productive"]
    assert list(plots.area_m2) == [10_000.0, 9_600.0]
    assert (plots.x_m[1], plots.y_m[1]) == (2060.0, 40.0)
    run_checking_invariants(model)
    assert model.contracts.distance_km[0] == pytest.approx((2010**2 + 10**2) ** 0.5 / 1000)  # centroid to centroid


def test_a_residue_takes_its_cheapest_outside_route_and_a_landfill_tax_moves_it_to_recovery(tmp_path):
    """The two-firm case with a recovery route outside for scrap at 30 EUR/t beside landfill at
    25 EUR/t + the inert tax. The 250 t the press cannot take leave by the cheaper route: landfill
    without tax (25 < 30), recovery at the E-R rate (25 + 9 = 34 > 30). The exchange then avoids
    30 EUR/t, not 34: u = 30 + 60 − 5.16 − 8 = 76.84 EUR/t."""
    for name in ("scenario.yaml", "archetypes.yaml"):
        shutil.copy(TWO_FIRMS.parent / name, tmp_path / name)
    catalogue = yaml.safe_load((TWO_FIRMS.parent / "resources.yaml").read_text())
    catalogue["resources"]["scrap"]["alternatives"] = [
        {"route": "recovery", "gate_fee": {"value": 30, "unit": "EUR/t", "source": "assumption: test figure"},
         "co2": {"value": 0.002, "unit": "tCO2/t", "source": "assumption: test figure"}}]
    (tmp_path / "resources.yaml").write_text(yaml.safe_dump(catalogue))
    scenario = tmp_path / "scenario.yaml"

    def first_year(inert_tax: float) -> tuple[dict, dict]:
        raw = deep_merge(yaml.safe_load(scenario.read_text()),
                         {"policy": {"landfill_tax": {"inert_eur_per_t": inert_tax}}})
        model = build_model(validate_scenario_data(raw, scenario))
        model.step()
        _, quantities, routes = model.flow_history[0]
        scrap = model.catalogue.index("scrap")
        flows = {q: v[scrap] for q, v in zip(FLOW_QUANTITIES, quantities)} | {"route": routes[scrap]}
        return flows, model.indicator_rows[0] | {"unit_surplus": model.contracts.unit_surplus[0]}

    untaxed, untaxed_year = first_year(0.0)
    taxed, taxed_year = first_year(9.0)
    assert untaxed["route"] == "landfill" and untaxed["landfilled"] == pytest.approx(250)
    assert untaxed_year["landfill_diversion_rate"] == pytest.approx(0.75)
    assert untaxed_year["unit_surplus"] == pytest.approx(25 + 60 - 5.16 - 8)
    assert taxed["route"] == "recovery" and taxed["recovered_outside"] == pytest.approx(250)
    assert taxed["landfilled"] == 0 and taxed["disposed"] == pytest.approx(250)
    assert taxed_year["landfill_diversion_rate"] == 1.0 and taxed_year["residues_sent_outside_t"] == pytest.approx(250)
    assert taxed_year["unit_surplus"] == pytest.approx(76.84)
    assert taxed_year["local_closure_rate"] == untaxed_year["local_closure_rate"] == pytest.approx(0.75)


def test_a_contract_grows_when_the_buyer_needs_more_by_top_ups_and_at_renewal():
    """The press's feldspar demand doubles from 2027 (activity 1 → 2, by its own growth draw forced
    through the activity bounds): its 750 t contract (15 % of 5,000 t) is topped up to the kiln's
    whole 1,000 t, no second contract on the pair, and the renewal keeps the grown quantity."""
    model = two_firms(years={"start": 2026, "end": 2028}, behaviour={"contracts": {"duration_years": 1}})
    model.step()
    assert len(model.contracts) == 1 and model.contracts.quantity[0] == pytest.approx(750)
    press = next(f for f in model.firms() if model.catalogue.archetype_ids[f.archetype] == "press")
    press.activity = 2.0
    model.produce = lambda: None  # keep the levels set above for the next years (test only)
    for firm in model.firms():
        firm.output = firm.activity
    model.step()
    c = model.contracts
    assert len(c) == 1 and c.top_ups[0] == 1 and c.quantity[0] == pytest.approx(1000)
    assert c.delivered[0] == pytest.approx(1000) and c.status[0] == Status.ACTIVE and c.renewals[0] == 2
    model.step()
    assert c.quantity[0] == pytest.approx(1000) and c.top_ups[0] == 1


def test_a_levy_lowers_profit_by_the_unpassed_share_of_its_cost_only(tmp_path):
    """A 10 EUR/t levy on feldspar in the two-firm case. The press buys 4,250 t virgin (5,000 less
    the 750 t of scrap): the levy costs it 42,500 EUR/yr. The exchange's surplus rises by
    750 × 10 = 7,500, which the Nash price splits: the scrap price rises by 5 EUR/t, 3,750 EUR/yr
    more paid by the press (an exchange is never passed on). Passing on 60 % of the levy, its profit
    falls by 0.4 × 42,500 + 3,750 = 20,750 EUR/yr; passing on nothing, by 42,500 + 3,750 = 46,250."""
    for name in ("scenario.yaml", "resources.yaml"):
        shutil.copy(TWO_FIRMS.parent / name, tmp_path / name)
    archetypes = yaml.safe_load((TWO_FIRMS.parent / "archetypes.yaml").read_text())
    archetypes["archetypes"]["press"]["cost_pass_through"] = {"value": 0.6, "unit": "share",
                                                              "source": "assumption: test figure"}
    (tmp_path / "archetypes.yaml").write_text(yaml.safe_dump(archetypes))

    def press_profit(scenario: Path, levy: float) -> float:
        raw = deep_merge(yaml.safe_load(scenario.read_text()), {"policy": {"virgin_levy": {"eur_per_t": levy}}})
        model = build_model(validate_scenario_data(raw, scenario))
        model.step()
        return next(f.profit_eur for f in model.firms() if model.catalogue.archetype_ids[f.archetype] == "press")

    passing = tmp_path / "scenario.yaml"
    assert press_profit(passing, 10) - press_profit(passing, 0) == pytest.approx(-20_750)
    assert press_profit(TWO_FIRMS, 10) - press_profit(TWO_FIRMS, 0) == pytest.approx(-46_250)


def test_public_accounts_and_the_surplus_net_of_transfers_by_hand():
    """Two-firm case, E-R inert tax 9 EUR/t and an exchange subsidy of 10 EUR/t. The region collects
    250 t × 9 = 2,250 of landfill tax and pays 750 × 10 = 7,500: balance −5,250 EUR/yr. The firms
    gain 750 × (80.84 + 10) − 1,000 = 67,130; without the subsidy and the tax the 750 t avoid
    (750 × 9), the exchange saves 750 × (25 + 60 − 5.16 − 8) − 1,000 = 52,880."""
    model = two_firms(policy={"exchange_subsidy": {"eur_per_t": 10}})
    model.step()
    year = model.indicator_rows[0]
    assert year["landfill_tax_paid_eur"] == pytest.approx(2_250)
    assert year["exchange_support_eur"] == pytest.approx(7_500)
    assert year["public_balance_eur"] == pytest.approx(-5_250)
    assert year["net_savings_eur"] == pytest.approx(67_130)
    assert year["social_surplus_eur"] == pytest.approx(52_880)
    assert year["virgin_levy_paid_eur"] == 0 and year["truck_tax_paid_eur"] == 0
