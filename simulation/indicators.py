"""District indicators (DESIGN §3), one row per simulated year.

Three families, as the Formigine lab scores firms: (a) circular performance, (b) territorial
integration, (c) industrial symbiosis. Every formula is in ``docs/ODD.md``; the docstring of
each function repeats it. Links are contracts that delivered in the year.
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np
from scipy import sparse
from scipy.sparse.csgraph import connected_components
from scipy.sparse.linalg import ArpackNoConvergence, eigs

INDICATORS = (
    "circular_input_rate", "landfill_diversion_rate", "waste_disposed_t", "byproduct_exchanged_t",
    "energy_recovered_mwh", "water_reused_m3", "co2_avoided_t",
    "local_closure_rate", "mean_exchange_distance_km", "plots_occupied_share", "firms", "jobs",
    "service_coverage",
    "symbiosis_links", "symbiotic_firm_share", "linkage_density", "connectance", "cyclicity",
    "net_savings_eur",
)


FLOW_QUANTITIES = ("generated", "exchanged", "disposed", "demand", "received", "virgin")


@dataclass
class YearLedger:
    """What happened in one year's settlement: who was there, flows per resource, and the
    contracts that delivered. Firms that leave at the end of the year still count for it."""

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


def _ratio(num: float, den: float) -> float:
    return float(num / den) if den > 0 else 0.0


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


def measure(ledger: YearLedger, family: np.ndarray, service_members: int = 0) -> dict[str, float]:
    """All indicators of one year, over the firms present during the year."""
    firm_uids = ledger.firm_uids
    material, energy, water = (family == f for f in ("material", "energy", "water"))
    n_firms = len(firm_uids)
    pairs = np.unique(np.stack([ledger.supplier, ledger.buyer], axis=1), axis=0) if len(ledger.supplier) else np.zeros((0, 2))
    n_pairs = len(pairs)
    linked = np.union1d(ledger.supplier, ledger.buyer)
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
        "co2_avoided_t": float(ledger.co2_avoided_t.sum()),
        "local_closure_rate": float(np.mean(family_closure)) if family_closure else 0.0,
        "mean_exchange_distance_km": (float(np.average(ledger.distance_km[mat_contract], weights=mat_q))
                                      if mat_q.sum() > 0 else float("nan")),
        "plots_occupied_share": ledger.plots_occupied_share,
        "firms": n_firms,
        "jobs": ledger.jobs,
        "service_coverage": _ratio(service_members, n_firms),
        "symbiosis_links": int(len(ledger.supplier)),
        "symbiotic_firm_share": _ratio(symbiotic, n_firms),
        "linkage_density": _ratio(n_pairs, n_firms),
        "connectance": _ratio(n_pairs, n_firms * (n_firms - 1)),
        "cyclicity": cyclicity(ledger.supplier, ledger.buyer),
        "net_savings_eur": float(ledger.surplus_eur.sum()),
    }
