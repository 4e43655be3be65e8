"""District indicators (DESIGN §3), one row per simulated year.

Three families, as the Formigine lab scores firms: (a) circular performance, (b) territorial
integration, (c) industrial symbiosis. Every formula is in ``docs/ODD.md``; the docstring of
each function repeats it. Links are contracts that delivered in the year.
"""

from __future__ import annotations

from dataclasses import dataclass, field

import numpy as np
from scipy import sparse
from scipy.sparse.csgraph import connected_components
from scipy.sparse.linalg import ArpackNoConvergence, eigs

INDICATORS = (
    "circular_input_rate", "landfill_diversion_rate", "waste_disposed_t", "byproduct_exchanged_t",
    "energy_recovered_mwh", "water_reused_m3", "co2_avoided_t",
    "local_closure_rate", "mean_exchange_distance_km", "plots_occupied_share", "firms", "jobs",
    "service_coverage", "shared_services_active", "service_members", "service_savings_eur",
    "symbiosis_links", "symbiotic_firm_share", "linkage_density", "connectance", "cyclicity",
    "net_savings_eur", "symbiosis_efficiency",
)


FLOW_QUANTITIES = ("generated", "exchanged", "treated", "disposed", "demand", "received", "virgin")


@dataclass
class YearLedger:
    """What happened in one year's settlement: who was there, flows per resource, the contracts
    that delivered and the shared services. Firms that leave at the end of the year still count for
    it. Flows include what services carry: residue reused through a service is ``exchanged``, the
    rest of what they handle ``treated``; inputs they deliver are ``received``."""

    year: int
    firm_uids: np.ndarray   # firms present during the year
    jobs: int
    plots_occupied_share: float
    generated: np.ndarray   # per resource, residue units
    exchanged: np.ndarray
    disposed: np.ndarray
    demand: np.ndarray      # per resource, input units
    received: np.ndarray
    virgin: np.ndarray
    supplier: np.ndarray    # per delivering contract (firm unique_ids)
    buyer: np.ndarray
    residue: np.ndarray     # resource index of the residue
    delivered: np.ndarray   # residue units
    distance_km: np.ndarray
    surplus_eur: np.ndarray
    co2_avoided_t: np.ndarray
    treated: np.ndarray = field(default_factory=lambda: np.zeros(0))  # per resource, residue units
    service_firms: np.ndarray = field(default_factory=lambda: np.zeros(0, dtype=np.int64))  # in ≥ 1 service
    services_active: int = 0
    service_memberships: int = 0
    service_savings_eur: float = 0.0
    service_co2_avoided_t: float = 0.0
    realised_gross_eur: float = float("nan")  # exchange surplus before fixed costs (symbiosis_efficiency)
    optimal_gross_eur: float = float("nan")   # the same for the year's optimal allocation


def _ratio(num: float, den: float) -> float:
    return float(num / den) if den > 0 else 0.0


EFFICIENCY_TOLERANCE = 1e-6  # relative: solver tolerance, not a modelling difference


def symbiosis_efficiency(realised_eur: float, optimal_eur: float) -> float:
    """Realised over optimal exchange surplus of the year (both before fixed costs); NaN when the
    optimum is 0 (nothing to gain) or was not computed. Never above 1: the realised deliveries are
    a feasible point of the optimum's linear program (:func:`simulation.exchange.optimum.year_optimum`)."""
    if not optimal_eur > 0:
        return float("nan")
    ratio = realised_eur / optimal_eur
    if ratio > 1 + EFFICIENCY_TOLERANCE:
        raise RuntimeError(f"realised surplus {realised_eur} exceeds the optimum {optimal_eur}: "
                           "the optimum's links or capacities miss a delivering contract")
    return float(min(ratio, 1.0))


DENSE_LIMIT = 48  # components larger than this use ARPACK on the sparse block


def _sparse_radius(adj: sparse.csr_matrix, members: np.ndarray) -> float:
    """Perron root of one strongly connected component (irreducible, non-negative block).

    ARPACK's largest-magnitude eigenvalue, started from a vector of ones so the result does not
    depend on a random start; a dense solve is the exact answer should ARPACK not converge.
    """
    block = adj[members][:, members].astype(float)
    block.data[:] = 1.0
    try:
        values = eigs(block, k=1, which="LM", v0=np.ones(len(members)), tol=1e-12, maxiter=10_000,
                      return_eigenvectors=False)
    except ArpackNoConvergence:
        values = np.linalg.eigvals(block.toarray())
    return float(np.abs(values).max())


def cyclicity(supplier: np.ndarray, buyer: np.ndarray) -> float:
    """Largest eigenvalue of the binary firm-to-firm adjacency matrix (0 when the network has no cycle).

    Only strongly connected components with more than one firm contain cycles, so the spectral
    radius is the largest over those components: no dense N × N matrix is ever built. A component
    of two firms (a mutual exchange) has radius exactly 1.
    """
    if len(supplier) == 0:
        return 0.0
    nodes, idx = np.unique(np.concatenate([supplier, buyer]), return_inverse=True)
    s, b = idx[: len(supplier)], idx[len(supplier):]
    adj = sparse.coo_matrix((np.ones(len(s)), (s, b)), shape=(len(nodes), len(nodes))).tocsr()
    _, labels = connected_components(adj, directed=True, connection="strong")
    sizes = np.bincount(labels)
    if sizes.max() < 2:
        return 0.0
    # Components of equal size are stacked and solved in one batched eigenvalue call.
    order = np.argsort(labels, kind="stable")
    local = np.empty(len(nodes), dtype=np.int64)
    starts = np.concatenate([[0], np.cumsum(sizes)[:-1]])
    local[order] = np.arange(len(nodes)) - starts[labels[order]]
    inside = (labels[s] == labels[b]) & (sizes[labels[s]] > 2)
    best = 1.0  # any component of two or more firms holds a cycle
    for size in np.unique(sizes[sizes > 2]):
        comps = np.flatnonzero(sizes == size)
        if size > DENSE_LIMIT:
            best = max(best, *(_sparse_radius(adj, np.flatnonzero(labels == c)) for c in comps))
            continue
        slot = np.full(len(sizes), -1)
        slot[comps] = np.arange(len(comps))
        edges = inside & (sizes[labels[s]] == size)
        stack = np.zeros((len(comps), size, size))
        stack[slot[labels[s[edges]]], local[s[edges]], local[b[edges]]] = 1.0
        best = max(best, float(np.abs(np.linalg.eigvals(stack)).max()))
    return best


def measure(ledger: YearLedger, family: np.ndarray) -> dict[str, float]:
    """All indicators of one year, over the firms present during the year."""
    firm_uids = ledger.firm_uids
    material, energy, water = (family == f for f in ("material", "energy", "water"))
    n_firms = len(firm_uids)
    # directed firm pairs with a delivering contract (uids < 2**31, so one int64 names a pair)
    n_pairs = len(np.unique(ledger.supplier.astype(np.int64) * (1 << 31) + ledger.buyer))
    linked = np.union1d(np.union1d(ledger.supplier, ledger.buyer), ledger.service_firms)
    symbiotic = np.count_nonzero(np.isin(firm_uids, linked))
    mat_contract = material[ledger.residue] if len(ledger.residue) else np.zeros(0, dtype=bool)
    mat_q = ledger.delivered[mat_contract]
    family_closure = [_ratio(ledger.exchanged[f].sum(), ledger.generated[f].sum())
                      for f in (material, energy, water) if ledger.generated[f].sum() > 0]
    return {
        "circular_input_rate": _ratio(ledger.received[material].sum(), ledger.demand[material].sum()),
        "landfill_diversion_rate": (1.0 - _ratio(ledger.disposed[material].sum(), ledger.generated[material].sum())
                                    if ledger.generated[material].sum() > 0 else 0.0),
        "waste_disposed_t": float(ledger.disposed[material].sum()),
        "byproduct_exchanged_t": float(ledger.exchanged[material].sum()),
        "energy_recovered_mwh": float(ledger.exchanged[energy].sum()),
        "water_reused_m3": float(ledger.exchanged[water].sum()),
        "co2_avoided_t": float(ledger.co2_avoided_t.sum()) + ledger.service_co2_avoided_t,
        "local_closure_rate": float(np.mean(family_closure)) if family_closure else 0.0,
        "mean_exchange_distance_km": (float(np.average(ledger.distance_km[mat_contract], weights=mat_q))
                                      if mat_q.sum() > 0 else float("nan")),
        "plots_occupied_share": ledger.plots_occupied_share,
        "firms": n_firms,
        "jobs": ledger.jobs,
        "service_coverage": _ratio(np.count_nonzero(np.isin(firm_uids, ledger.service_firms)), n_firms),
        "shared_services_active": int(ledger.services_active),
        "service_members": int(ledger.service_memberships),
        "service_savings_eur": float(ledger.service_savings_eur),
        "symbiosis_links": int(len(ledger.supplier)),
        "symbiotic_firm_share": _ratio(symbiotic, n_firms),
        "linkage_density": _ratio(n_pairs, n_firms),
        "connectance": _ratio(n_pairs, n_firms * (n_firms - 1)),
        "cyclicity": cyclicity(ledger.supplier, ledger.buyer),
        "net_savings_eur": float(ledger.surplus_eur.sum()),
        "symbiosis_efficiency": symbiosis_efficiency(ledger.realised_gross_eur, ledger.optimal_gross_eur),
    }
