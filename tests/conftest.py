"""Shared helpers: paths of fixtures, and the invariants of DESIGN §1 checked after every year."""

from __future__ import annotations

from pathlib import Path

import numpy as np

from simulation.indicators import FLOW_QUANTITIES

ROOT = Path(__file__).resolve().parents[1]
FIXTURES = ROOT / "tests" / "fixtures"
BASELINE = ROOT / "scenarios" / "formigine_baseline.yaml"
TWO_FIRMS = FIXTURES / "two_firms" / "scenario.yaml"


def assert_year_invariants(model) -> None:
    """Mass balance per resource, capacity of every contract, one firm per plot (DESIGN §1), and the
    shared services' stability: no member pays more than alone, no service above capacity or reach."""
    year, quantities = model.flow_history[-1]
    q = dict(zip(FLOW_QUANTITIES, quantities))
    for total, parts in (("generated", ("exchanged", "treated", "disposed")), ("demand", ("received", "virgin"))):
        np.testing.assert_allclose(q[total], sum(q[p] for p in parts), rtol=1e-9, atol=1e-9,
                                   err_msg=f"{total} does not balance in {year}")
        assert min(q[p].min() for p in parts) >= 0
    assert_service_invariants(model)
    c, subs = model.contracts, model.subs
    n, n_res, n_sub = len(model._uid), len(model.catalogue.resource_ids), len(subs)
    rows = np.flatnonzero(c.delivered > 0)
    sp, bp, s = model._pos[c.supplier[rows]], model._pos[c.buyer[rows]], c.substitution[rows]
    q = c.delivered[rows]
    assert (sp >= 0).all() and (bp >= 0).all()
    out = np.bincount(sp * n_res + subs.residue[s], q, n * n_res).reshape(n, n_res)
    assert (out <= model._generated * (1 + 1e-9) + 1e-9).all(), "a supplier delivers more than it emits"
    q_in = q * subs.ratio[s]
    inn = np.bincount(bp * n_res + subs.input[s], q_in, n * n_res).reshape(n, n_res)
    assert (inn <= model._demand * (1 + 1e-9) + 1e-9).all(), "a buyer receives more than it needs"
    by_row = np.bincount(bp * n_sub + s, q_in, n * n_sub).reshape(n, n_sub)
    cap = subs.max_share[None, :] * model._demand[:, subs.input]
    assert (by_row <= cap * (1 + 1e-9) + 1e-9).all(), "a buyer substitutes more than max_share"
    plots = [f.plot for f in model.firm_by_uid.values()]
    counts = np.bincount(plots, minlength=len(model.plots)) if plots else np.zeros(len(model.plots))
    assert (counts <= model.plots.capacity).all()
    assert (counts == model.plots.occupants).all()


def assert_service_invariants(model) -> None:
    """Every membership of the year: payment ≤ stand-alone cost (individual rationality), the
    service's quantity ≤ its capacity, and a pipe-bound member within reach of its hub."""
    for m in model.services.year_members:
        assert (m["payment"] <= m["standalone"] + 1e-6 * np.maximum(1.0, np.abs(m["standalone"]))).all(), (
            f"a member of a {m['kind']} pays more than alone in {model.year}")
        assert (m["quantity"] <= m["capacity"] * (1 + 1e-12)).all(), f"a {m['kind']} runs above capacity"
        assert (m["distance_km"] <= m["reach_km"] * (1 + 1e-12)).all(), f"a {m['kind']} member is out of reach"
        assert len(np.unique(m["firm"])) == len(m["firm"]), f"a firm is in two services of kind {m['kind']}"


def run_checking_invariants(model) -> None:
    while model.running:
        model.step()
        assert_year_invariants(model)
