"""Discovery and implementation of synergies over time (docs/ODD.md §7.5, ``exchange/discovery.py``)."""

from __future__ import annotations

from types import SimpleNamespace

import numpy as np
import pandas as pd
import pytest

from simulation.exchange.discovery import DiscoveryBook, share_a_partner
from simulation.exchange.search import Candidates
from simulation.model import EcoDistrictModel
from simulation.random_streams import RandomStreams
from tests.conftest import BASELINE

NO_PARTNERS = (np.zeros(0, dtype=np.int64), np.zeros(0, dtype=np.int64))  # no contract yet: no word of mouth
RATES = SimpleNamespace(proximity_rate=1.0, word_of_mouth_rate=1.0, facilitator_rate=1.0,
                        implementation_years_truck=1, implementation_years_pipe=3, never_implemented_share=0.0)


def two_candidates() -> Candidates:
    """Firm 0 → firm 1 on row 0 (by truck) and firm 2 → firm 1 on row 1 (by pipe)."""
    return Candidates(np.array([0, 2]), np.array([1, 1]), np.array([0, 1]), np.array([0.5, 0.5]))


def test_a_discovered_synergy_is_ready_after_its_implementation_time_only():
    book, cands, uid = DiscoveryBook(2), two_candidates(), np.array([10, 11, 12])
    book.learn(cands, uid, np.array([1, 2], dtype=np.uint64), 2030, RATES, RandomStreams(1), NO_PARTNERS,
               False, np.array([True, False]))
    assert len(book) == 2 and list(book.discovery_year(np.array([10, 12]), np.array([11, 11]), np.array([0, 1]))) == [
        2030, 2030]
    assert list(book.ready_now(cands, uid, 2030)) == [False, False]
    assert list(book.ready_now(cands, uid, 2031)) == [True, False]   # truck: 1 year
    assert list(book.ready_now(cands, uid, 2033)) == [True, True]    # pipe: 3 years


def test_the_funnel_rules_out_a_share_and_nothing_is_discovered_at_rate_zero():
    cands, uid = two_candidates(), np.array([10, 11, 12])
    never = DiscoveryBook(2)
    never.learn(cands, uid, np.array([1, 2], dtype=np.uint64), 2030,
                SimpleNamespace(**{**RATES.__dict__, "never_implemented_share": 1.0}), RandomStreams(1),
                NO_PARTNERS, False, np.ones(2, bool))
    assert len(never) == 2 and not never.ready_now(cands, uid, 2040).any()
    blind = DiscoveryBook(2)
    blind.learn(cands, uid, np.array([1, 2], dtype=np.uint64), 2030,
                SimpleNamespace(**{**RATES.__dict__, "proximity_rate": 0.0}), RandomStreams(1), NO_PARTNERS,
                False, np.ones(2, bool))
    assert len(blind) == 0


def test_firms_that_trade_or_share_a_partner_can_hear_of_each_other():
    """Contracts 0–1 and 1–2: 0 and 2 share partner 1; 0 and 1 trade (either way round); 3 knows nobody."""
    got = share_a_partner(np.array([0, 0, 3, 1]), np.array([2, 1, 0, 0]), (np.array([0, 1]), np.array([1, 2])), 4)
    assert list(got) == [True, True, False, True]


@pytest.fixture(scope="module")
def baseline_and_platform():
    """Eight years of the baseline, and of the baseline with the facilitator from the first year,
    on the same seeds."""
    runs = {}
    for name, settings in (("baseline", {}), ("platform", {"policy__facilitator__enabled": True})):
        runs[name] = []
        for seed in (1, 2, 3):
            model = EcoDistrictModel(scenario=BASELINE, seed=seed, years=8, **settings)
            model.run()
            runs[name].append(model)
    return runs


def test_every_contract_starts_no_earlier_than_discovery_plus_implementation_time(baseline_and_platform):
    for model in baseline_and_platform["baseline"]:
        c, rates = model.contracts, model.scenario.behaviour.discovery
        by_truck = model.world.transport.by_truck[model.subs.residue[c.substitution]]
        delay = np.where(by_truck, rates.implementation_years_truck, rates.implementation_years_pipe)
        assert len(c) > 0 and (c.start_year >= c.discovery_year + delay).all()


def test_the_facilitator_makes_discovery_faster(baseline_and_platform):
    """The same firms (the platform changes no entry) discover their common synergies earlier on
    average with the platform, seed by seed."""
    for base, platform in zip(baseline_and_platform["baseline"], baseline_and_platform["platform"]):
        a = pd.Series(base.discovery.discovered, index=base.discovery.keys)
        b = pd.Series(platform.discovery.discovered, index=platform.discovery.keys)
        common = a.index.intersection(b.index)
        assert len(common) > 20 and b[common].mean() < a[common].mean()
        assert len(platform.discovery) >= len(base.discovery)
