"""Matchmaking: which (supplier, buyer, substitution) exchanges firms can see this year (ODD §7, step 4).

Candidates are a supplier with a residue left over and a buyer with input demand that residue may
still replace, within transport reach and within what the two firms know: their radius of action,
the whole district when the facilitator is on, and the platform's listing of firms whose flows are
published (a commitment). The search is a batched ``cKDTree`` query per substitution row: each
firm on the smaller side looks at its ``candidates_per_firm`` nearest partners, so the cost grows
as N log N, never N².

Other mechanisms (a platform's proposals, the authority's allocation) can feed
:func:`simulation.exchange.negotiation.negotiate` with their own :class:`Candidates`.
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np
from scipy.spatial import cKDTree

from simulation.columns import pair_key
from simulation.exchange.market import Market, Terms
from simulation.world import SubstitutionTable, Transport


@dataclass
class Candidates:
    """Candidate exchanges as parallel arrays (positions ``n`` in the Market)."""

    supplier: np.ndarray
    buyer: np.ndarray
    row: np.ndarray
    distance_km: np.ndarray

    def __len__(self) -> int:
        return len(self.supplier)

    @classmethod
    def empty(cls) -> Candidates:
        e = np.zeros(0, dtype=np.int64)
        return cls(e, e.copy(), e.copy(), np.zeros(0))

    def subset(self, keep: np.ndarray) -> Candidates:
        """The candidates where ``keep`` (bool per candidate) is true, in order."""
        return Candidates(self.supplier[keep], self.buyer[keep], self.row[keep], self.distance_km[keep])

    @classmethod
    def concat(cls, parts: list[Candidates]) -> Candidates:
        if not parts:
            return cls.empty()
        return cls(*(np.concatenate([getattr(p, f) for p in parts])
                     for f in ("supplier", "buyer", "row", "distance_km")))


def _nearest_pairs(origin_xy: np.ndarray, target_xy: np.ndarray, k: int,
                   max_km: float) -> tuple[np.ndarray, np.ndarray, np.ndarray, np.ndarray]:
    """For each origin, its ``k`` nearest targets within ``max_km``: (origin, target, distance, rank)."""
    k = min(k, len(target_xy))
    # cKDTree's bound is strict; nudge it so that exactly max_km is within reach, as the radius is.
    dist, idx = cKDTree(target_xy, balanced_tree=False, compact_nodes=False).query(
        origin_xy, k=k, distance_upper_bound=np.nextafter(max_km, np.inf))
    dist, idx = dist.reshape(len(origin_xy), k), idx.reshape(len(origin_xy), k)
    found = np.isfinite(dist)
    origin = np.broadcast_to(np.arange(len(origin_xy))[:, None], dist.shape)[found]
    rank = np.broadcast_to(np.arange(k)[None, :], dist.shape)[found]
    return origin, idx[found], dist[found], rank


def find_candidates(market: Market, subs: SubstitutionTable, transport: Transport,
                    terms: Terms, published: np.ndarray | None = None, eps: float = 1e-9) -> Candidates:
    """Every known, reachable (supplier, buyer, substitution) triple with something left to trade.

    A querying firm examines its ``candidates_per_firm`` nearest partners; a pair is known when it
    is within either firm's radius of action, or (facilitator active) within the platform's reach.
    A firm whose flows are published (a commitment) is listed by the platform: pairs involving it
    are known among the querying firm's ``platform_candidates_per_firm`` nearest, within the reach.
    """
    published = published if published is not None and published.any() else None
    k = terms.candidates_per_firm
    k_query = max(k, terms.platform_candidates_per_firm) if published is not None else k
    parts = []
    for s in range(len(subs)):
        r, i = subs.residue[s], subs.input[s]
        suppliers = np.flatnonzero(market.supply_left[:, r] > eps)
        buyers = np.flatnonzero(np.minimum(market.row_cap_left[:, s], market.input_left[:, i]) > eps)
        if len(suppliers) == 0 or len(buyers) == 0:
            continue
        max_km = transport.max_km[r]
        if len(suppliers) <= len(buyers):
            o, t, d, rank = _nearest_pairs(market.xy_km[suppliers], market.xy_km[buyers], k_query, max_km)
            sup, buy = suppliers[o], buyers[t]
        else:
            o, t, d, rank = _nearest_pairs(market.xy_km[buyers], market.xy_km[suppliers], k_query, max_km)
            sup, buy = suppliers[t], buyers[o]
        known = d <= np.maximum(market.radius_km[sup], market.radius_km[buy])
        if terms.district_wide_search:
            known |= d <= terms.platform_reach_km
        known &= rank < k
        if published is not None:
            known |= (published[sup] | published[buy]) & (rank < terms.platform_candidates_per_firm) & (
                d <= terms.platform_reach_km)
        keep = (sup != buy) & known
        if keep.any():
            parts.append(Candidates(sup[keep], buy[keep], np.full(keep.sum(), s), d[keep]))
    return Candidates.concat(parts)


def standing_contract_of(candidates: Candidates, uid: np.ndarray, contract_keys_active: np.ndarray,
                         contract_rows_active: np.ndarray, n_rows: int) -> np.ndarray:
    """Per candidate, the row of the active contract on its (supplier, buyer, substitution row), or
    ``-1`` for a new pair: a candidate on a standing contract is a top-up of it."""
    found = np.full(len(candidates), -1, dtype=np.int64)
    if len(candidates) == 0 or len(contract_keys_active) == 0:
        return found
    keys = contract_keys(uid[candidates.supplier], uid[candidates.buyer], candidates.row, n_rows)
    order = np.argsort(contract_keys_active, kind="stable")
    sorted_keys = contract_keys_active[order]
    at = np.minimum(np.searchsorted(sorted_keys, keys), len(sorted_keys) - 1)
    hit = sorted_keys[at] == keys
    found[hit] = contract_rows_active[order[at[hit]]]
    return found


def contract_keys(supplier_uid: np.ndarray, buyer_uid: np.ndarray, rows: np.ndarray, n_rows: int) -> np.ndarray:
    """One integer per (supplier, buyer, substitution row), for set membership tests."""
    return pair_key(supplier_uid, buyer_uid) * max(n_rows, 1) + rows
