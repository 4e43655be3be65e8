"""Keyed random streams: the same firm gets the same draws in every scenario of a seed."""

from __future__ import annotations

from pathlib import Path

import numpy as np
from scipy import stats

from simulation.inputs.scenario import load_scenario
from simulation.random_streams import APPLICANT, Process, RandomStreams, entity_key, entity_keys
from simulation.runs import build_model

SCENARIOS = Path(__file__).resolve().parents[1] / "scenarios"


def test_a_key_draws_the_same_number_whatever_else_is_drawn_with_it():
    streams = RandomStreams(42)
    keys = entity_keys(APPLICANT, 2030, np.arange(1000))
    alone = streams.uniform(Process.SHOCK, 2030, keys[500:501])[0]
    assert streams.uniform(Process.SHOCK, 2030, keys)[500] == alone
    assert streams.uniform(Process.SHOCK, 2030, keys[::-1])[499] == alone
    assert RandomStreams(42).uniform_one(Process.SHOCK, 2030, int(keys[500])) == alone


def test_seed_process_year_and_key_each_change_the_draw():
    key = entity_key(APPLICANT, 2030, 3)
    reference = RandomStreams(42).uniform_one(Process.SHOCK, 2030, key)
    others = [RandomStreams(43).uniform_one(Process.SHOCK, 2030, key),
              RandomStreams(42).uniform_one(Process.EXIT, 2030, key),
              RandomStreams(42).uniform_one(Process.SHOCK, 2031, key),
              RandomStreams(42).uniform_one(Process.SHOCK, 2030, entity_key(APPLICANT, 2030, 4))]
    assert all(other != reference for other in others)


def test_uniform_and_normal_draws_have_their_distributions_and_no_correlation_between_streams():
    streams = RandomStreams(7)
    keys = entity_keys(APPLICANT, 2030, np.arange(20_000))  # structured keys, as the model uses
    u = streams.uniform(Process.SHOCK, 2030, keys)
    assert u.min() > 0.0 and u.max() < 1.0
    assert stats.kstest(u, "uniform").pvalue > 0.001
    z = streams.normal(Process.GROWTH, 2030, keys)
    assert stats.kstest(z, "norm").pvalue > 0.001
    exit_u = streams.uniform(Process.EXIT, 2030, keys)
    next_year = streams.uniform(Process.SHOCK, 2031, keys)
    assert abs(np.corrcoef(u, exit_u)[0, 1]) < 0.03 and abs(np.corrcoef(u, next_year)[0, 1]) < 0.03
    assert abs(np.corrcoef(u[:-1], u[1:])[0, 1]) < 0.03  # neighbouring keys are not related


def test_paired_scenarios_see_the_same_applicants_and_the_same_incumbent_activity():
    """pug_threshold refuses applicants the baseline admits, so the two districts part from the
    first years on; the applicants arriving and the activity of the firms both have still match."""
    years = 12
    baseline = build_model(load_scenario(SCENARIOS / "formigine_baseline.yaml"), seed=5, years=years)
    threshold = build_model(load_scenario(SCENARIOS / "pug_threshold.yaml"), seed=5, years=years)
    baseline.run()
    threshold.run()

    def arrivals(model):
        return [(a.year, a.order, a.archetype) for a in model.authority.applications]

    assert arrivals(baseline) == arrivals(threshold)
    decisions = {m: [a.decision for a in m.authority.applications] for m in (baseline, threshold)}
    assert decisions[baseline] != decisions[threshold]  # the lever did change who settled

    def activity(model):
        return {f.draw_key: f.activity for f in model.firms()}

    a, b = activity(baseline), activity(threshold)
    shared = a.keys() & b.keys()
    assert len(shared) >= 15
    assert all(a[k] == b[k] for k in shared)


def test_one_key_in_plain_python_draws_what_the_vector_draws():
    streams = RandomStreams(2**64 + 42)  # a seed beyond 64 bits is reduced, not refused
    keys = entity_keys(APPLICANT, 2031, np.arange(100))
    assert [int(k) for k in keys] == [entity_key(APPLICANT, 2031, k) for k in range(100)]
    u, z = streams.uniform(Process.PLOT_TIE, 2031, keys), streams.normal(Process.INITIAL_ACTIVITY, 2031, keys)
    assert u.tolist() == [streams.uniform_one(Process.PLOT_TIE, 2031, int(k)) for k in keys]
    assert z.tolist() == [streams.normal_one(Process.INITIAL_ACTIVITY, 2031, int(k)) for k in keys]
