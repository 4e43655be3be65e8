"""Shared services (docs/ODD.md §7.15), pinned on hand-computed cases.

Three firms with 60, 50 and 20 employees, 100 meals per employee and year, 6 EUR a meal alone, so
stand-alone costs of 36,000, 30,000 and 12,000 EUR/yr (78,000 together). A shared canteen costs
``C(Q) = 10,000 + 4·Q``: for all three (Q = 13,000 meals) 62,000 EUR/yr, a saving of 16,000.

* proportional to use: 62,000/13,000 = 4.7692 EUR a meal: payments 28,615.38, 23,846.15, 9,538.46;
* equal: 20,666.67 each is above the small firm's 12,000, so it stays out; the other two pay
  (10,000 + 4·11,000)/2 = 27,000 each (savings 9,000 and 3,000);
* Shapley value of the savings game v(S) = max(0, 2·Q(S) − 10,000) for two or more members:
  v(AB) = 12,000, v(AC) = 6,000, v(BC) = 4,000, v(ABC) = 16,000, so
  φ_A = (12,000 + 6,000 + 2·12,000)/6 = 7,000, φ_B = (12,000 + 4,000 + 2·10,000)/6 = 6,000,
  φ_C = (6,000 + 4,000 + 2·4,000)/6 = 3,000: payments 29,000, 24,000, 9,000.
"""

from __future__ import annotations

import shutil

import numpy as np
import pandas as pd
import pytest
import yaml
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from simulation.inputs.scenario import deep_merge, load_scenario, validate_scenario_data
from simulation.random_streams import INCUMBENT, LIFETIME, Process, RandomStreams, entity_key, entity_keys
from simulation.runs import build_model, run_scenario
from tests.conftest import BASELINE, FIXTURES, run_checking_invariants

THREE_FIRMS = FIXTURES / "three_firms" / "scenario.yaml"
MARGIN = 1_000_000 * 0.1

HAND = {  # rule -> {archetype: payment}; a missing archetype is not a member
    "proportional": {"large": 62_000 * 6 / 13, "medium": 62_000 * 5 / 13, "small": 62_000 * 2 / 13},
    "equal": {"large": 27_000.0, "medium": 27_000.0},
    "shapley": {"large": 29_000.0, "medium": 24_000.0, "small": 9_000.0},
}
STANDALONE = {"large": 36_000.0, "medium": 30_000.0, "small": 12_000.0}


def three_firms(tmp_path=None, services: dict | None = None, **changes):
    """The three-firm scenario with ``changes`` merged in; ``services`` edits its canteen kind."""
    raw = deep_merge(yaml.safe_load(THREE_FIRMS.read_text()), changes)
    path = THREE_FIRMS
    if services is not None:
        folder = tmp_path / "three_firms"
        shutil.copytree(THREE_FIRMS.parent, folder, dirs_exist_ok=True)
        source = folder / raw["catalogue"]["services"]
        doc = yaml.safe_load(source.read_text())
        kind = next(iter(doc["services"]))
        doc["services"][kind] = deep_merge(doc["services"][kind], services)
        (folder / "edited_services.yaml").write_text(yaml.safe_dump(doc))
        raw["catalogue"]["services"] = "edited_services.yaml"
        path = folder / "scenario.yaml"
    return build_model(validate_scenario_data(raw, path))


def figure(value, unit):
    return {"value": value, "unit": unit, "source": "assumption: test figure"}


def members_by_archetype(model) -> dict[str, tuple[float, float]]:
    """This year's members of the model's only service: archetype -> (payment, stand-alone cost)."""
    [m] = model.services.year_members
    arch = {f.unique_id: model.catalogue.archetype_ids[f.archetype] for f in model.all_firms()}
    return {arch[int(f)]: (p, s) for f, p, s in zip(m["firm"], m["payment"], m["standalone"])}


@pytest.mark.parametrize("rule", ["proportional", "equal", "shapley"])
def test_three_firms_one_service_match_the_hand_calculation(rule, tmp_path):
    model = three_firms(behaviour={"services": {"cost_share_rule": rule}})
    model.step()
    members = members_by_archetype(model)
    assert set(members) == set(HAND[rule])
    for archetype, payment in HAND[rule].items():
        assert members[archetype][0] == pytest.approx(payment, rel=1e-12)
        assert members[archetype][1] == pytest.approx(STANDALONE[archetype], rel=1e-12)
    # each firm's profit is its margin plus its saving (no resource flows in this catalogue)
    for firm in model.firms():
        archetype = model.catalogue.archetype_ids[firm.archetype]
        saving = STANDALONE[archetype] - HAND[rule][archetype] if archetype in HAND[rule] else 0.0
        assert firm.profit_eur == pytest.approx(MARGIN + saving, rel=1e-12)
    row = model.indicator_rows[0]
    assert row["shared_services_active"] == 1 and row["service_members"] == len(HAND[rule])
    assert row["service_coverage"] == pytest.approx(len(HAND[rule]) / 3)
    assert row["symbiotic_firm_share"] == pytest.approx(len(HAND[rule]) / 3)
    assert row["service_savings_eur"] == pytest.approx(
        sum(STANDALONE[a] - p for a, p in HAND[rule].items()), rel=1e-12)


def test_services_csv_has_one_row_per_service_year(tmp_path):
    out, model = run_scenario(THREE_FIRMS, out=tmp_path / "run")
    services = pd.read_csv(out / "services.csv")
    assert list(services.year) == [2026, 2027]
    row = services.iloc[0]
    assert (row.kind, row.service_class, row.unit, row.members) == ("canteen", "accessory", "meals", 3)
    assert row.quantity == pytest.approx(13_000) and row.cost_eur == pytest.approx(62_000)
    assert row.cost_per_member_eur == pytest.approx(62_000 / 3)
    assert row.savings_eur == pytest.approx(16_000) and row.standalone_eur == pytest.approx(78_000)
    assert row.member_firms == ";".join(str(f.unique_id) for f in model.all_firms())


def test_no_service_is_founded_when_it_costs_more_than_going_alone(tmp_path):
    # C = 27,000 + 4 × 13,000 = 79,000 > 78,000 of stand-alone costs: no coalition pays.
    model = three_firms(tmp_path, services={"fixed_cost": figure(27_000, "EUR/yr")})
    run_checking_invariants(model)
    assert len(model.services.services) == 0
    assert all(row["service_coverage"] == 0 for row in model.indicator_rows)


def test_members_leave_and_the_service_closes_when_shares_exceed_stand_alone_costs(tmp_path):
    # A coordination cost of 20,000 EUR/yr taken over by a park manager in 2026 only:
    # 2026: C = 62,000 < 78,000, founded; 2027: C = 82,000, 6.31 EUR a meal > 6: all leave.
    model = three_firms(tmp_path, services={"coordination_cost": figure(20_000, "EUR/yr")},
                        policy={"park_manager": {"enabled": True, "end_year": 2026,
                                                 "cost_eur_per_yr": 50_000}})
    run_checking_invariants(model)
    [service] = model.services.services
    assert (service.founded, service.closed) == (2026, 2027)
    assert [row["shared_services_active"] for row in model.indicator_rows] == [1, 0]
    records = model.services.records()
    assert records.public_funding_eur.tolist() == [50_000.0]  # the manager's cost, on its only service
    # public money is not a saving: 78,000 − 62,000 of the members, less the manager's 50,000
    first = model.indicator_rows[0]
    assert first["service_public_funding_eur"] == 50_000.0
    assert first["service_savings_eur"] == pytest.approx(16_000 - 50_000)


def test_public_cofunding_pays_part_of_the_capex(tmp_path):
    # capex 100,000 over 10 years at a 0 % discount rate: 10,000 EUR/yr, half of it public.
    model = three_firms(tmp_path, services={"capex": figure(100_000, "EUR")},
                        policy={"service_cofunding": {"capex_share": 0.5}})
    model.step()
    members = members_by_archetype(model)
    assert sum(p for p, _ in members.values()) == pytest.approx(62_000 + 5_000)
    assert model.services.records().public_funding_eur[0] == pytest.approx(5_000)


def test_cofunding_is_reported_as_public_money_not_as_savings(tmp_path):
    # capex 100,000 over 10 years at 0 %: 10,000 EUR/yr. All three join either way (C = 72,000 or
    # 67,000 < 78,000): the members pay 5,000 less with half the capex co-funded and keep it in their
    # profits, but the district's saving stays 78,000 − 72,000 = 6,000; the 5,000 is public money.
    rows, profits = {}, {}
    for share in (0.0, 0.5):
        model = three_firms(tmp_path, services={"capex": figure(100_000, "EUR")},
                            policy={"service_cofunding": {"capex_share": share}})
        model.step()
        rows[share] = model.indicator_rows[0]
        profits[share] = sum(f.profit_eur for f in model.firms())
    assert rows[0.0]["service_members"] == rows[0.5]["service_members"] == 3
    assert rows[0.0]["service_public_funding_eur"] == 0.0
    assert rows[0.5]["service_public_funding_eur"] == pytest.approx(5_000)
    assert rows[0.0]["service_savings_eur"] == pytest.approx(6_000)
    assert rows[0.5]["service_savings_eur"] == pytest.approx(6_000)
    assert profits[0.5] - profits[0.0] == pytest.approx(5_000)


# A firm's own stand-alone price of the canteen, uniform in [4, 8] EUR a meal: for seed 1 the three
# incumbents (placement order 0, 1, 2) draw the quantiles below, i.e. 4.1513, 7.4760 and 4.7251 EUR a meal.
DRAWN = {"large": 0.03781324, "medium": 0.86898856, "small": 0.18127019}


def test_a_firm_whose_own_standalone_price_is_below_its_share_stays_out(tmp_path):
    """With F = 3,500 the canteen costs C(Q) = 3,500 + 4·Q. All three: 55,500 / 13,000 = 4.2692 EUR a
    meal is above the large firm's 4.1513, so it leaves; the other two pay 4.2692 < 4.7251 and < 7.4760.
    Medium and small alone: (3,500 + 4 × 7,000) / 7,000 = 4.5 EUR a meal, still below both their prices:
    payments 22,500 and 9,000, stand-alone costs 5,000 × 7.4760 and 2,000 × 4.7251."""
    model = three_firms(tmp_path, services={
        "fixed_cost": figure(3_500, "EUR/yr"),
        "standalone_cost_range": {"low": figure(4, "EUR/meals"), "high": figure(8, "EUR/meals")}})
    model.step()
    incumbents = np.array([entity_key(INCUMBENT, k) for k in range(3)], dtype=np.uint64)
    quantiles = RandomStreams(1).uniform(Process.SERVICE_STANDALONE, LIFETIME, entity_keys(incumbents, 0))
    np.testing.assert_allclose(quantiles, list(DRAWN.values()), atol=1e-8)
    price = {a: 4 + 4 * q for a, q in zip(DRAWN, quantiles.tolist())}
    members = members_by_archetype(model)
    assert set(members) == {"medium", "small"}
    assert members["medium"] == pytest.approx((22_500.0, 5_000 * price["medium"]), rel=1e-12)
    assert members["small"] == pytest.approx((9_000.0, 2_000 * price["small"]), rel=1e-12)
    assert model.indicator_rows[0]["accessory_service_coverage"] == pytest.approx(2 / 3)
    assert model.indicator_rows[0]["utility_service_coverage"] == 0.0


def test_standalone_draws_are_fixed_per_firm_and_seed():
    """The same seed draws the same prices every year; another seed others; and a firm added to the
    district leaves every other firm's draw as it was (draws are keyed by firm, not by order)."""
    def quantiles(**changes):
        model = three_firms(**changes)
        model.step()
        first = dict(zip(model.state.keys.tolist(), model.service_standalone_quantiles()[:, 0].tolist()))
        model.step()
        assert dict(zip(model.state.keys.tolist(), model.service_standalone_quantiles()[:, 0].tolist())) == first
        return first

    reference = quantiles()
    assert quantiles() == reference
    assert quantiles(seed=2).keys() == reference.keys() and quantiles(seed=2) != reference
    extra = {"incumbents": [{"archetype": a, "count": 1} for a in ("large", "medium", "small", "small")]}
    larger = quantiles(firms=extra)
    assert len(larger) == 4 and {k: larger[k] for k in reference} == reference


@pytest.mark.parametrize("exponent, falls", [(0.6, True), (1.0, False)])
def test_cost_per_member_falls_as_members_join_when_b_below_one(tmp_path, exponent, falls):
    """Identical firms (20 employees, 2,000 meals) arrive one a year; with no fixed cost the cost per
    member is v·Q_ref·(n·q/Q_ref)^b / n, falling as n grows only when b < 1."""
    queue = [{"archetype": "small", "year": y} for y in range(2027, 2032)]
    model = three_firms(
        tmp_path, services={"fixed_cost": figure(0, "EUR/yr"), "scale_exponent": figure(exponent, "exponent"),
                            "reference_quantity": figure(2_000, "meals/yr")},
        years={"start": 2026, "end": 2031},
        firms={"incumbents": [{"archetype": "small", "count": 2}], "applicants": {"queue": queue}},
        district={"blocks": [{"name": "row", "origin_x_m": 0, "origin_y_m": 0, "rows": 1, "cols": 8,
                              "plot_width_m": 100, "plot_depth_m": 100, "gap_m": 100,
                              "land_price_eur_per_m2": 50}]})
    run_checking_invariants(model)
    records = model.services.records()
    per_member = records.cost_eur / records.members
    assert records.members.tolist() == [2, 3, 4, 5, 6, 7]
    expected = [4 * 2_000 * n ** exponent / n for n in range(2, 8)]
    np.testing.assert_allclose(per_member, expected, rtol=1e-12)
    assert (np.diff(per_member) < 0).all() if falls else np.allclose(np.diff(per_member), 0)


PIPE = {"catalogue": {"services": "services_pipe.yaml"}, "behaviour": {"discount_rate": 0},
        # three cheap plots 200 m apart, and one far away (5 km) that nobody takes at first
        "district": {"blocks": [
            {"name": "row", "origin_x_m": 0, "origin_y_m": 0, "rows": 1, "cols": 3, "plot_width_m": 100,
             "plot_depth_m": 100, "gap_m": 100, "land_price_eur_per_m2": 50},
            {"name": "far", "origin_x_m": 5000, "origin_y_m": 0, "rows": 1, "cols": 1, "plot_width_m": 100,
             "plot_depth_m": 100, "gap_m": 0, "land_price_eur_per_m2": 90}]}}


def test_pipe_bound_utility_connects_only_firms_within_reach_and_drops_a_firm_moved_away():
    model = three_firms(**PIPE)
    model.step()
    [m] = model.services.year_members
    assert len(m["firm"]) == 3 and (m["distance_km"] <= 0.5).all()
    hub = model.services.services[0].hub_km
    small = next(f for f in model.firms() if model.catalogue.archetype_ids[f.archetype] == "small")
    # the small firm moves to the far plot, 5 km from the hub
    far = model.plots.ids.index("far-r1c1")
    model.plots.vacate(small.plot)
    model.plots.occupy(far)
    small.plot = far
    model.step()
    [m] = model.services.year_members
    assert small.unique_id not in m["firm"] and len(m["firm"]) == 2
    assert (np.hypot(*(np.column_stack([model.plots.x_m, model.plots.y_m])[
        [model.firm(int(f)).plot for f in m["firm"]]] / 1000 - hub).T) <= 0.5).all()
    assert all(small.unique_id not in s.members for s in model.services.active())
    assert model.indicator_rows[-1]["service_coverage"] == pytest.approx(2 / 3)


def test_each_member_pays_its_own_connection_by_the_metre():
    model = three_firms(**PIPE)
    model.step()
    [m] = model.services.year_members
    # 20 EUR/m over 10 years at 0 %: 2 EUR per metre and year, on top of the proportional share
    share = (10_000 + 40 * 1_300) / 1_300 * m["served"]
    np.testing.assert_allclose(m["payment"], share + 2_000 * m["distance_km"], rtol=1e-12)


def test_shapley_estimate_from_random_orders_approaches_the_exact_value():
    model = three_firms(behaviour={"services": {"cost_share_rule": "shapley", "shapley_exact_max_members": 1,
                                                "shapley_permutations": 20_000}})
    model.step()
    members = members_by_archetype(model)
    for archetype, payment in HAND["shapley"].items():
        assert members[archetype][0] == pytest.approx(payment, rel=0.03)


def test_formigine_baseline_forms_a_utility_and_an_accessory_service(tmp_path):
    out, _ = run_scenario(BASELINE, out=tmp_path / "baseline")
    services = pd.read_csv(out / "services.csv")
    assert {"utility", "accessory"} <= set(services.service_class)
    indicators = pd.read_csv(out / "indicators.csv")
    assert (indicators.service_coverage > 0).all() and (indicators.service_savings_eur > 0).all()


def test_services_can_be_switched_off():
    loaded = load_scenario(BASELINE)
    raw = deep_merge(yaml.safe_load(BASELINE.read_text()), {"behaviour": {"services": {"enabled": False}}})
    model = build_model(validate_scenario_data(raw, loaded.path), years=3)
    run_checking_invariants(model)
    assert len(model.services.services) == 0


@st.composite
def service_cases(draw):
    employees = draw(st.lists(st.integers(1, 400), min_size=2, max_size=6))
    return {
        "employees": employees,
        "rule": draw(st.sampled_from(["proportional", "equal", "shapley"])),
        "services": {
            "fixed_cost": figure(draw(st.floats(0, 60_000)), "EUR/yr"),
            "variable_cost": figure(draw(st.floats(0.5, 8)), "EUR/meals"),
            "scale_exponent": figure(draw(st.floats(0.3, 1.2)), "exponent"),
            "reference_quantity": figure(draw(st.floats(1_000, 50_000)), "meals/yr"),
            "capacity": figure(draw(st.floats(2_000, 60_000)), "meals/yr"),
            "min_members": figure(draw(st.integers(2, 4)), "firms")},
        "cofunding": draw(st.floats(0, 1)),
        "years": draw(st.integers(1, 4)),
    }


@settings(max_examples=25, deadline=None, suppress_health_check=[HealthCheck.too_slow,
                                                                  HealthCheck.function_scoped_fixture])
@given(case=service_cases())
def test_random_services_are_individually_rational_and_within_capacity(case, tmp_path_factory):
    """Whatever the cost function, rule and firms: every year no member pays more than alone and no
    service carries more than its capacity (checked by run_checking_invariants)."""
    tmp = tmp_path_factory.mktemp("random_services")
    n = len(case["employees"])
    archetypes = yaml.safe_load((THREE_FIRMS.parent / "archetypes.yaml").read_text())
    template = archetypes["archetypes"]["large"]
    archetypes["archetypes"] = {f"firm{k}": deep_merge(template, {"employees": figure(e, "persons")})
                                for k, e in enumerate(case["employees"])}
    model_dir = tmp / "three_firms"
    shutil.copytree(THREE_FIRMS.parent, model_dir, dirs_exist_ok=True)
    (model_dir / "archetypes.yaml").write_text(yaml.safe_dump(archetypes))
    raw = deep_merge(yaml.safe_load(THREE_FIRMS.read_text()), {
        "years": {"start": 2026, "end": 2025 + case["years"]},
        "firms": {"incumbents": [{"archetype": f"firm{k}", "count": 1} for k in range(n)]},
        "district": {"blocks": [{"name": "row", "origin_x_m": 0, "origin_y_m": 0, "rows": 1, "cols": n,
                                 "plot_width_m": 100, "plot_depth_m": 100, "gap_m": 100,
                                 "land_price_eur_per_m2": 50}]},
        "behaviour": {"services": {"cost_share_rule": case["rule"]}},
        "policy": {"service_cofunding": {"capex_share": case["cofunding"]}}})
    doc = yaml.safe_load((model_dir / "services.yaml").read_text())
    doc["services"]["canteen"] = deep_merge(doc["services"]["canteen"], case["services"])
    (model_dir / "services.yaml").write_text(yaml.safe_dump(doc))
    model = build_model(validate_scenario_data(raw, model_dir / "scenario.yaml"))
    run_checking_invariants(model)


@pytest.mark.parametrize("edit, field, words", [
    ({"demand": {"basis": "residue", "resources": ["feldspr"]}, "per_unit": None, "standalone_cost": None},
     "services.canteen.demand.resources.0", ("unknown resource 'feldspr'", "did you mean feldspar")),
    ({"variable_cost": figure(4, "EUR/t")}, "services.canteen.variable_cost", ("EUR/meals",)),
    ({"scale_exponent": figure(0.7, "exponent")}, "services.canteen.reference_quantity", ("reference_quantity",)),
    ({"standalone_cost_range": {"low": figure(7, "EUR/meals"), "high": figure(8, "EUR/meals")}},
     "services.canteen.standalone_cost_range", ("outside", "low <= standalone_cost <= high")),
    ({"standalone_cost_range": {"low": figure(4, "EUR/m2"), "high": figure(8, "EUR/meals")}},
     "services.canteen.standalone_cost_range.low", ("EUR/meals",)),
    ({"reach": {"max_distance": figure(1, "km"), "connection_cost_per_m": figure(1, "EUR/m"),
                "lifetime": figure(1, "yr")}}, "services.canteen.reach", ("accessory",)),
])
def test_bad_service_kinds_are_reported_with_file_and_field(tmp_path, edit, field, words):
    from simulation.inputs.errors import InputError
    folder = tmp_path / "three_firms"
    shutil.copytree(THREE_FIRMS.parent, folder)
    doc = yaml.safe_load((folder / "services.yaml").read_text())
    kind = doc["services"]["canteen"]
    demand = edit.pop("demand", None)
    for key, value in edit.items():
        if value is None:
            kind.pop(key, None)
        else:
            kind[key] = value
    if demand is not None:
        kind["demand"] = demand
        kind.pop("standalone_cost", None)
    (folder / "services.yaml").write_text(yaml.safe_dump(doc))
    with pytest.raises(InputError) as caught:
        load_scenario(folder / "scenario.yaml")
    [problem] = [p for p in caught.value.problems if p.field == field]
    assert problem.file.endswith("services.yaml")
    for word in words:
        assert word in f"{problem.message} ({problem.fix})"
