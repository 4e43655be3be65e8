"""Discovery and implementation of synergies over time: who knows which partner, and since when.

A firm does not know every potential partner the search finds (:mod:`simulation.exchange.search`):
each year a synergy it has not yet discovered (supplier, buyer, substitution row) is discovered
with a yearly probability that depends on how the two firms could hear of each other: through the
facilitator's platform (fastest), by word of mouth (they already trade, or share a partner), or by
proximity alone (the slowest: the search radius says who *could* be known). A discovered synergy
takes an implementation time before a first contract can be signed (feasibility, the by-product
dossier, pipe construction), and a share of discovered synergies is never implemented: the funnel
of real programmes (docs/SOURCES.md ``park-2014-korea-eip``: 449 explored, 296 implemented). The
draws are keyed by the pair, row and year (discovery) or the pair and row alone (the funnel), so
paired scenarios discover the same synergies in the same years unless a lever changes the odds.
"""

from __future__ import annotations

import numpy as np
from scipy import sparse

from simulation.exchange.search import Candidates, contract_keys
from simulation.random_streams import LIFETIME, Process, RandomStreams


class DiscoveryBook:
    """Every synergy discovered so far, as sorted keys (:func:`contract_keys` of the two firms'
    unique_ids and the row) with the year it was discovered, the year it can first carry a
    contract, and whether it ever can (the funnel)."""

    def __init__(self, n_rows: int):
        self.n_rows = n_rows
        self.keys = np.zeros(0, dtype=np.int64)
        self.discovered = np.zeros(0, dtype=np.int16)
        self.ready = np.zeros(0, dtype=np.int16)
        self.implementable = np.zeros(0, dtype=bool)

    def __len__(self) -> int:
        return len(self.keys)

    def _find(self, keys: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
        """Index of each key in the book and whether it is there."""
        at = np.searchsorted(self.keys, keys)
        inside = at < len(self.keys)
        found = np.zeros(len(keys), dtype=bool)
        found[inside] = self.keys[at[inside]] == keys[inside]
        return np.minimum(at, max(len(self.keys) - 1, 0)), found

    def learn(self, candidates: Candidates, uid: np.ndarray, draw_keys: np.ndarray, year: int, rates,
              streams: RandomStreams, partner_pairs: tuple[np.ndarray, np.ndarray], facilitated: bool,
              by_truck: np.ndarray) -> None:
        """Draw which of this year's undiscovered ``candidates`` (positions ``n``; ``uid`` per
        position) the firms discover, and record them. ``draw_keys`` is one random-stream key per
        candidate (its pair and row), ``partner_pairs`` the positions of the two sides of each
        active contract (for word of mouth), ``by_truck`` whether each candidate's residue travels by
        truck (else by pipe); ``rates`` the scenario's ``behaviour.discovery``."""
        keys = contract_keys(uid[candidates.supplier], uid[candidates.buyer], candidates.row, self.n_rows)
        _, known = self._find(keys)
        keys, unique = np.unique(keys[~known], return_index=True)
        fresh = np.flatnonzero(~known)[unique]
        if len(fresh) == 0:
            return
        word_of_mouth = share_a_partner(candidates.supplier[fresh], candidates.buyer[fresh], partner_pairs, len(uid))
        probability = np.where(word_of_mouth, rates.word_of_mouth_rate, rates.proximity_rate)
        if facilitated:
            probability = np.maximum(probability, rates.facilitator_rate)
        found = streams.uniform(Process.DISCOVERY, year, draw_keys[fresh]) < probability
        fresh, keys = fresh[found], keys[found]
        delay = np.where(by_truck[fresh], rates.implementation_years_truck, rates.implementation_years_pipe)
        implementable = streams.uniform(Process.FUNNEL, LIFETIME, draw_keys[fresh]) >= rates.never_implemented_share
        order = np.argsort(np.concatenate([self.keys, keys]), kind="stable")
        self.keys = np.concatenate([self.keys, keys])[order]
        self.discovered = np.concatenate([self.discovered, np.full(len(keys), year, dtype=np.int16)])[order]
        self.ready = np.concatenate([self.ready, (year + delay).astype(np.int16)])[order]
        self.implementable = np.concatenate([self.implementable, implementable])[order]

    def ready_now(self, candidates: Candidates, uid: np.ndarray, year: int) -> np.ndarray:
        """Per candidate: discovered, implementable, and its implementation time over by ``year``."""
        keys = contract_keys(uid[candidates.supplier], uid[candidates.buyer], candidates.row, self.n_rows)
        at, found = self._find(keys)
        ok = np.zeros(len(keys), dtype=bool)
        ok[found] = self.implementable[at[found]] & (self.ready[at[found]] <= year)
        return ok

    def discovery_year(self, supplier_uid: np.ndarray, buyer_uid: np.ndarray, rows: np.ndarray) -> np.ndarray:
        """The year each synergy was discovered (every one asked about must be in the book)."""
        at, found = self._find(contract_keys(supplier_uid, buyer_uid, rows, self.n_rows))
        if not found.all():
            raise ValueError("a contract was signed on an undiscovered synergy")
        return self.discovered[at]


def share_a_partner(first: np.ndarray, second: np.ndarray, partner_pairs: tuple[np.ndarray, np.ndarray],
                    n_firms: int) -> np.ndarray:
    """Per pair of firm positions (``first``, ``second``): whether the two already trade with each
    other or have a partner in common (``partner_pairs``: positions of the two sides of each active
    contract): the firms who can hear of each other by word of mouth."""
    a, b = partner_pairs
    if len(a) == 0 or len(first) == 0:
        return np.zeros(len(first), dtype=bool)
    adjacency = sparse.coo_matrix((np.ones(2 * len(a)), (np.concatenate([a, b]), np.concatenate([b, a]))),
                                  shape=(n_firms, n_firms)).tocsr()
    trade = np.isin(first.astype(np.int64) * n_firms + second, a.astype(np.int64) * n_firms + b) | np.isin(
        first.astype(np.int64) * n_firms + second, b.astype(np.int64) * n_firms + a)
    common = np.asarray(adjacency[first].multiply(adjacency[second]).sum(axis=1)).ravel() > 0
    return trade | common
