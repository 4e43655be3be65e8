"""Matchmaking on firm profiles, pinned on a hand-computable case (docs/ODD.md §7.17, issue 7).

``tests/fixtures/profiles/four_firms.csv`` on the two-firm catalogue: scrap replaces feldspar up
to 15 % of a buyer's demand. Suppliers S1 (1000 t, x = 0 km) and S2 (400 t written as 400,000 kg,
x = 10); buyers B1 (5000 t feldspar, x = 5: cap 750 t) and B2 (2000 t, x = 20: cap 300 t).

Unit surplus u = disposal 25 + inert tax 9 + feldspar 60 − transport (5 + 0.08·d) − treatment 8
= 81 − 0.08·d; fixed yearly cost F = 1250 + 4000 / 5 = 2050 EUR/yr (shipped defaults).

| pair  | d km | u    | q (alone) | S = q·u − F |
| S1 B1 |  5   | 80.6 | 750       | 58,400      |
| S2 B1 |  5   | 80.6 | 400       | 30,190      |
| S2 B2 | 10   | 80.2 | 300       | 22,010      |
| S1 B2 | 20   | 79.4 | 300       | 21,770      |

Optimal allocation (net of F): B1's 750 t from S1 (80.6), B2's 300 t from S2 (80.2, better than
S1's 79.4); S2's last 100 t could replace S1's at B1 for the same u but would pay F again:
750·80.6 + 300·80.2 − 2·2050 = 80,410 EUR/yr. Without fixed costs the optimum is 84,510.
"""

from __future__ import annotations

import subprocess
import sys

import numpy as np
import pandas as pd
import pytest

from simulation.exchange.optimum import optimal_allocation
from simulation.inputs.firm_profiles import read_profiles, reference_archetype
from simulation.matchmake.matching import (
    allocate_optimally,
    find_matches,
    matching_catalogue,
    matching_setting,
    service_opportunities,
)
from simulation.matchmake.tables import firm_profile
from tests.conftest import FIXTURES, ROOT

PROFILES = FIXTURES / "profiles"
FOUR = PROFILES / "four_firms.csv"
TWO_FIRMS_CATALOG = FIXTURES / "two_firms" / "resources.yaml"
FORMIGINE = ROOT / "scenarios" / "profiles" / "formigine_example.csv"


@pytest.fixture(scope="module")
def four():
    catalogue, _ = matching_catalogue(catalog=TWO_FIRMS_CATALOG)
    return find_matches(read_profiles(FOUR, catalogue), matching_setting(catalogue))


@pytest.fixture(scope="module")
def cli_run(tmp_path_factory):
    out = tmp_path_factory.mktemp("mm") / "out" / "matches.csv"
    result = subprocess.run([sys.executable, "-m", "simulation.cli", "matchmake", str(FOUR), "--catalog",
                             str(TWO_FIRMS_CATALOG), "--optimal", "--out", str(out)],
                            capture_output=True, text=True, timeout=120)
    assert result.returncode == 0, result.stderr
    return out, result


@pytest.mark.slow
def test_matchmake_lists_hand_computed_pairs_best_first(cli_run):
    out, result = cli_run
    ex = pd.read_csv(out)
    assert list(zip(ex.supplier, ex.buyer)) == [("S1", "B1"), ("S2", "B1"), ("S2", "B2"), ("S1", "B2")]
    assert list(ex["rank"]) == [1, 2, 3, 4]
    assert set(ex.residue) == {"scrap"} and set(ex.substitutes) == {"feldspar"} and set(ex.unit) == {"t"}
    np.testing.assert_allclose(ex.quantity, [750, 400, 300, 300], rtol=1e-12)
    np.testing.assert_allclose(ex.distance_km, [5, 5, 10, 20], rtol=1e-12)
    np.testing.assert_allclose(ex.unit_surplus_eur, [80.6, 80.6, 80.2, 79.4], rtol=1e-12)
    np.testing.assert_allclose(ex.fixed_cost_eur_per_yr, 2050, rtol=1e-12)
    np.testing.assert_allclose(ex.surplus_eur_per_yr, [58_400, 30_190, 22_010, 21_770], rtol=1e-12)
    # CO2: q × (disposal 0.008 + feldspar 0.03 − transport 0.00008·d)
    np.testing.assert_allclose(ex.co2_avoided_t, [750 * 0.0376, 400 * 0.0376, 300 * 0.0372, 300 * 0.0364],
                               rtol=1e-12)
    assert set(ex.route) == {"byproduct"}
    np.testing.assert_allclose(ex.optimal_quantity, [750, 0, 300, 0], atol=1e-6)
    assert "80,410 EUR/yr" in result.stdout


@pytest.mark.slow
def test_matchmake_writes_firm_profiles_and_a_readable_summary(cli_run):
    out, _ = cli_run
    firms = pd.read_csv(out.with_name("matches_firms.csv")).set_index("firm")
    assert list(firms.index) == ["S1", "S2", "B1", "B2", "(group)"]
    assert firms.loc["S1", "residue_outlet_share"] == pytest.approx(1.0)      # 750 + 300 ≥ 1000 t
    assert firms.loc["B2", "input_cover_share"] == pytest.approx(300 / 2000)
    assert firms.loc["S1", "partners"] == 2 and firms.loc["S1", "links"] == 2
    assert firms.loc["S1", "mean_partner_distance_km"] == pytest.approx(12.5)
    assert firms.loc["S1", "potential_surplus_eur_per_yr"] == pytest.approx(58_400 + 21_770)
    assert firms.loc["B1", "optimal_links"] == 1 and firms.loc["(group)", "optimal_links"] == 2
    assert firms.loc["(group)", "optimal_surplus_eur_per_yr"] == pytest.approx(80_410)
    summary = out.with_suffix(".md").read_text(encoding="utf-8")
    for fragment in ("## Best exchanges", "## Optimal allocation (2 exchanges)", "## Circularity profile",
                     "80,410", "art. 184-bis", "no service kinds"):
        assert fragment in summary


def test_optimal_allocation_matches_hand_computed_value(four):
    allocation = allocate_optimally(four, time_limit_s=None)
    assert allocation.optimal
    assert allocation.value == pytest.approx(80_410, rel=1e-9)
    assert allocation.bound == pytest.approx(80_410, rel=1e-6)
    np.testing.assert_allclose(allocation.quantity, [750, 0, 300, 0], atol=1e-6)


def test_optimum_without_fixed_costs_is_a_linear_program(four):
    p, subs = four.profiles, four.setting.subs
    row_cap = subs.max_share[None, :] * p.inputs[:, subs.input]
    gross = optimal_allocation(four.supplier, four.buyer, four.row, four.unit_surplus, np.zeros(4),
                               p.outputs, p.inputs, row_cap, subs)
    assert gross.value == pytest.approx(750 * 80.6 + 300 * 80.2, rel=1e-9)


def test_a_lone_link_is_solved_in_closed_form(four):
    p, subs = four.profiles, four.setting.subs
    row_cap = subs.max_share[None, :] * p.inputs[:, subs.input]
    lone = optimal_allocation(four.supplier[:1], four.buyer[:1], four.row[:1], four.unit_surplus[:1],
                              four.fixed_cost[:1], p.outputs, p.inputs, row_cap, subs)
    assert lone.links_solved == 0 and lone.value == pytest.approx(58_400)


def test_reductions_keep_the_optimum_of_the_whole_linear_program(four):
    """Dropped links and constraints (lone links, single-link and never-binding capacities) leave
    the optimum of the program written out whole, on random districts."""
    from scipy.optimize import linprog

    subs, n_res = four.setting.subs, four.profiles.outputs.shape[1]
    rng = np.random.default_rng(11)
    solved = 0
    for _ in range(40):
        n = 6
        triples = {(int(a), int(b), int(r)) for a, b, r in zip(rng.integers(0, n, 12), rng.integers(0, n, 12),
                                                                rng.integers(0, len(subs), 12)) if a != b}
        sup, buy, row = (np.array(col) for col in zip(*sorted(triples)))
        supply = rng.choice([0.0, 50.0, 400.0, 5000.0], size=(n, n_res))
        demand = rng.choice([0.0, 80.0, 600.0, 9000.0], size=(n, n_res))
        row_cap = subs.max_share[None, :] * demand[:, subs.input]
        u = rng.uniform(1, 100, len(sup))
        got = optimal_allocation(sup, buy, row, u, np.zeros(len(sup)), supply, demand, row_cap, subs)
        solved += got.links_solved > 0
        ratio = subs.ratio[row]
        a_rows, caps = [], []
        for mask, cap, coef in [((sup == i) & (subs.residue[row] == r), supply[i, r], 1.0)
                                for i in range(n) for r in range(n_res)] + \
                               [((buy == i) & (row == k), row_cap[i, k], ratio)
                                for i in range(n) for k in range(len(subs))] + \
                               [((buy == i) & (subs.input[row] == r), demand[i, r], ratio)
                                for i in range(n) for r in range(n_res)]:
            if mask.any():
                a_rows.append(np.where(mask, coef, 0.0))
                caps.append(cap)
        whole = linprog(-u, A_ub=np.array(a_rows), b_ub=np.array(caps), bounds=(0, None), method="highs")
        assert got.value == pytest.approx(-whole.fun, rel=1e-9, abs=1e-6)
    assert solved >= 10  # the random districts did exercise the solver, not only closed forms


def test_profile_units_are_converted_to_the_catalogue_units(four):
    p = four.profiles
    scrap = list(four.setting.catalogue.resource_ids).index("scrap")
    assert p.outputs[p.firm.index("S2"), scrap] == pytest.approx(400.0)  # 400,000 kg


def test_kwh_and_litres_are_converted(tmp_path):
    csv = tmp_path / "f.csv"
    csv.write_text("firm,sector,x_km,y_km,employees,direction,resource,quantity,unit\n"
                   "a,25.62,0,0,10,in,electricity,250000,kWh\n"
                   "a,25.62,0,0,10,in,utility_water,1500,l/yr\n"
                   "a,25.62,0,0,10,out,ferrous_scrap,2500,kg\n", encoding="utf-8")
    catalogue, _ = matching_catalogue()
    p = read_profiles(csv, catalogue)
    idx = {rid: k for k, rid in enumerate(catalogue.resource_ids)}
    assert p.inputs[0, idx["electricity"]] == pytest.approx(250.0)
    assert p.inputs[0, idx["utility_water"]] == pytest.approx(1.5)
    assert p.outputs[0, idx["ferrous_scrap"]] == pytest.approx(2.5)


def test_a_semicolon_file_may_use_decimal_commas(tmp_path):
    csv = tmp_path / "f.csv"
    csv.write_text("firm;sector;x_km;y_km;employees;direction;resource;quantity;unit\n"
                   "a;25.62;1,5;-2,25;10;out;ferrous_scrap;12,5;t\n", encoding="utf-8")
    catalogue, _ = matching_catalogue()
    p = read_profiles(csv, catalogue)
    assert (p.x_km[0], p.y_km[0]) == (1.5, -2.25)
    assert p.outputs.sum() == pytest.approx(12.5)


def test_knowledge_radius_limits_the_pairs(four):
    catalogue, _ = matching_catalogue(catalog=TWO_FIRMS_CATALOG)
    near = find_matches(four.profiles, four.setting, radius_km=6)
    assert list(zip(near.supplier, near.buyer)) == [(0, 2), (1, 2)]  # S1-B1 and S2-B1, 5 km apart


def test_reference_archetype_is_the_closest_nace_sharing_flows(four):
    catalogue = four.setting.catalogue
    p = four.profiles
    assert [reference_archetype(f, p, catalogue, {}) for f in range(4)] == ["kiln", "kiln", "press", "press"]
    assert reference_archetype(0, p, catalogue, {"S1": "press"}) == "press"
    assert reference_archetype(2, p, catalogue, {"23.31": "kiln"}) == "kiln"


def test_formigine_example_matches_across_routes_and_lists_services():
    catalogue, _ = matching_catalogue()
    matches = find_matches(read_profiles(FORMIGINE, catalogue), matching_setting(catalogue))
    assert len(matches) >= 20
    routes = {catalogue.substitutions[s].route for s in matches.row}
    assert routes == {"byproduct", "waste"}
    assert (matches.surplus > 0).all() and (np.diff(matches.surplus) <= 0).all()
    services = service_opportunities(matches)
    assert services is not None and list(services.columns[:3]) == ["service", "class", "members"]
    if len(services):
        firms = set(matches.profiles.firm)
        assert all(set(m.split("; ")) <= firms for m in services.members)
        assert (services.savings_eur_per_yr >= 0).all()
    profile = firm_profile(matches)
    assert profile.firm.iloc[-1] == "(group)" and len(profile) == 12
    assert profile.residue_outlet_share.between(0, 1).all()


def test_a_scenario_prices_the_matches():
    """``--scenario``: the profiled fixture's scenario has F = 1000 EUR/yr (no set-up cost), not 2050."""
    catalogue, loaded = matching_catalogue(scenario_path=PROFILES / "scenario.yaml")
    setting = matching_setting(catalogue, loaded)
    matches = find_matches(read_profiles(FOUR, catalogue), setting)
    np.testing.assert_allclose(matches.fixed_cost, 1000)
    assert matches.surplus[0] == pytest.approx(750 * 80.6 - 1000)
    assert "scenario" in setting.pricing
