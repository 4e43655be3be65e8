"""Shared helpers: paths of fixtures, and the invariants of docs/ODD.md §1 (Patterns) checked after every year."""

from __future__ import annotations

import re
import subprocess
import sys
from pathlib import Path

import numpy as np

from simulation.indicators import FLOW_QUANTITIES, OUTSIDE_FLOWS

ROOT = Path(__file__).resolve().parents[1]
FIXTURES = ROOT / "tests" / "fixtures"
BASELINE = ROOT / "scenarios" / "formigine_baseline.yaml"
TWO_FIRMS = FIXTURES / "two_firms" / "scenario.yaml"


def assert_year_invariants(model) -> None:
    """Mass balance per resource (in-house loops included), capacity of every contract, one firm per plot
    (docs/ODD.md §1), and the shared services' stability: no member pays more than alone, no service above
    capacity or reach."""
    year, quantities, _ = model.flow_history[-1]
    q = dict(zip(FLOW_QUANTITIES, quantities))
    for total, parts in (("generated_gross", ("recycled_in_house", "generated")),
                         ("generated", ("exchanged", "treated", "disposed")), ("disposed", tuple(OUTSIDE_FLOWS)),
                         ("demand", ("in_house_input", "received", "virgin"))):
        np.testing.assert_allclose(q[total], sum(q[p] for p in parts), rtol=1e-9, atol=1e-9,
                                   err_msg=f"{total} does not balance in {year}")
        assert min(q[p].min() for p in parts) >= 0
    assert_service_invariants(model)
    c, subs = model.contracts, model.subs
    n, n_res, n_sub = len(model.state), len(model.catalogue.resource_ids), len(subs)
    rows = np.flatnonzero(c.delivered > 0)
    sp, bp, s = model.state.positions(c.supplier[rows]), model.state.positions(c.buyer[rows]), c.substitution[rows]
    q = c.delivered[rows]
    assert (sp >= 0).all() and (bp >= 0).all()
    out = np.bincount(sp * n_res + subs.residue[s], q, n * n_res).reshape(n, n_res)
    assert (out <= model.state.generated * (1 + 1e-9) + 1e-9).all(), "a supplier delivers more than it emits"
    q_in = q * subs.ratio[s]
    inn = np.bincount(bp * n_res + subs.input[s], q_in, n * n_res).reshape(n, n_res)
    assert (inn <= model.state.demand * (1 + 1e-9) + 1e-9).all(), "a buyer receives more than it needs"
    by_row = np.bincount(bp * n_sub + s, q_in, n * n_sub).reshape(n, n_sub)
    cap = subs.max_share[None, :] * model.state.demand[:, subs.input]
    assert (by_row <= cap * (1 + 1e-9) + 1e-9).all(), "a buyer substitutes more than max_share"
    plots = [f.plot for f in model.firms()]
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


# ------------------------------------------------------------------ the command line, as a user runs it
# One problem of a user's input is one stderr line ``file: dotted.field: message (fix)`` (docs/ODD.md §6.4).
PROBLEM_LINE = re.compile(r"^(?P<file>\S.*?): (?P<field>\S.*?): (?P<message>.+) \((?P<fix>.+)\)$")


def cli(*args: str | Path, cwd: Path) -> subprocess.CompletedProcess:
    """``python -m simulation.cli ARGS`` in a subprocess from ``cwd``; its exit code is left to the caller."""
    return subprocess.run([sys.executable, "-m", "simulation.cli", *map(str, args)],
                          check=False, capture_output=True, text=True, cwd=cwd, timeout=120)


def assert_input_error(result: subprocess.CompletedProcess, file: Path | str, field: str, says=()) -> list[str]:
    """Exit 2, no traceback, every stderr line in the contract's format, one naming ``file: field``
    and containing every fragment of ``says``; returns the stderr lines."""
    assert result.returncode == 2, (result.returncode, result.stderr)
    assert "Traceback" not in result.stderr, result.stderr
    lines = [line for line in result.stderr.splitlines() if line.strip()]
    assert lines, "nothing on stderr"
    for line in lines:
        assert PROBLEM_LINE.match(line), f"not 'file: field: message (fix)': {line!r}"
    hits = [line for line in lines if line.startswith(f"{file}: {field}: ")]
    assert hits, f"no line starts with '{file}: {field}: ' in:\n{result.stderr}"
    for fragment in says:
        assert any(fragment in line for line in hits), f"{fragment!r} missing from {hits}"
    return lines
