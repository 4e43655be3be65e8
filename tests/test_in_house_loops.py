"""An in-house loop, computed by hand: the two-firm fixture with a kiln that recycles scrap on site.

The kiln generates 1000 t/yr of scrap (gross) and now also needs 2000 t/yr of feldspar; it recycles
40 % of its scrap in house into that feldspar. The fixture's substitution row scrap -> feldspar is
set to ratio 0.8 t/t (max share 15 %). So the kiln recycles 400 t, whose 400 × 0.8 = 320 t replace
its own feldspar: it buys 2000 − 320 = 1680 t virgin and releases 1000 − 400 = 600 t. The press
(5000 t/yr feldspar) can take up to 0.15 × 5000 = 750 t of feldspar = 937.5 t of scrap, so it takes
all 600 t released, replacing 480 t. Both firms are of the ceramic sector group; scrap is tagged a
ceramic residue, feldspar a body raw material:

* ceramic_recycled_input_share = (320 in house + 480 received) / (2000 + 5000) = 0.1143;
* ceramic_recycling_factor = (400 in house + 600 taken in by the press) / 1000 generated = 1.0;
* circular_input_rate = 480 / 7000 (exchanges only, as before).
"""

from __future__ import annotations

import shutil

import pandas as pd
import pytest
import yaml

from simulation.inputs.scenario import load_scenario
from simulation.runs import build_model, run_scenario
from tests.conftest import FIXTURES, run_checking_invariants


def _edit(path, edit) -> None:
    doc = yaml.safe_load(path.read_text(encoding="utf-8"))
    edit(doc)
    path.write_text(yaml.safe_dump(doc, sort_keys=False), encoding="utf-8")


def _kiln_with_a_loop(doc: dict) -> None:
    kiln = doc["archetypes"]["kiln"]
    kiln["inputs"] = {"feldspar": {"value": 2000, "unit": "t/yr", "source": "assumption: test figure"}}
    kiln["in_house"] = {"scrap": {"recycled_share": {"value": 0.4, "unit": "share", "source": "assumption: test"},
                                  "replaces": "feldspar"}}


def _ceramic_tags_and_ratio(doc: dict) -> None:
    doc["resources"]["scrap"]["ceramic"] = "residue"
    doc["resources"]["feldspar"]["ceramic"] = "body"
    doc["substitutions"][0]["ratio"]["value"] = 0.8


@pytest.fixture(scope="module")
def run(tmp_path_factory):
    folder = tmp_path_factory.mktemp("loop") / "two_firms"
    shutil.copytree(FIXTURES / "two_firms", folder)
    _edit(folder / "archetypes.yaml", _kiln_with_a_loop)
    _edit(folder / "resources.yaml", _ceramic_tags_and_ratio)
    out, model = run_scenario(folder / "scenario.yaml", out=folder / "out")
    run_checking_invariants(build_model(load_scenario(folder / "scenario.yaml")))  # every year's balance
    return out, model


def test_flows_balance_with_the_loop(run):
    out, _ = run
    flows = pd.read_csv(out / "flows.csv")
    year = flows[flows.year == flows.year.min()].set_index("resource")
    scrap, feldspar = year.loc["scrap"], year.loc["feldspar"]
    assert scrap.generated_gross == pytest.approx(1000.0)
    assert scrap.recycled_in_house == pytest.approx(400.0)
    assert scrap.generated == pytest.approx(600.0)
    assert scrap.exchanged + scrap.treated + scrap.disposed == pytest.approx(600.0)
    assert feldspar.demand == pytest.approx(7000.0)
    assert feldspar.in_house_input == pytest.approx(320.0)
    assert feldspar.in_house_input + feldspar.received + feldspar.virgin == pytest.approx(7000.0)


def test_only_the_remainder_reaches_the_market(run):
    out, _ = run
    ex = pd.read_csv(out / "exchanges.csv")
    assert len(ex) == 1 and ex.iloc[0].quantity == pytest.approx(600.0, rel=1e-12)


def test_virgin_input_falls_by_the_recycled_quantity_times_the_ratio(run):
    _, model = run
    kiln = next(p for p, f in enumerate(model.firms()) if model.catalogue.archetype_ids[f.archetype] == "kiln")
    feldspar = model.catalogue.index("feldspar")
    assert model.state.in_house_input[kiln, feldspar] == pytest.approx(400 * 0.8)
    assert model.state.demand[kiln, feldspar] == pytest.approx(2000 - 400 * 0.8)  # bought virgin: nobody offers


def test_ceramic_indicators_match_hand_calculation(run):
    out, _ = run
    ind = pd.read_csv(out / "indicators.csv").iloc[0]
    assert ind.ceramic_recycled_input_share == pytest.approx((320 + 480) / 7000)
    assert ind.ceramic_recycling_factor == pytest.approx(1.0)
    assert ind.circular_input_rate == pytest.approx(480 / 7000)
    assert ind.byproduct_exchanged_t == pytest.approx(600.0)
