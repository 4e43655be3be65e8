"""Trust between pairs of firms, learnt from kept and broken contracts.

Trust is symmetric (both firms of a pair hold the same trust in each other) and persists after
a contract ends, so it lives in one district-wide ledger keyed by the pair, updated in bulk for
all contracts of a year. A pair that never traded has the scenario's ``initial_trust``.
"""

from __future__ import annotations

import numpy as np

from simulation.columns import pair_key, pair_members


def pair_keys(a: np.ndarray, b: np.ndarray) -> np.ndarray:
    """One integer per unordered pair of firm unique_ids (the smaller id first)."""
    return pair_key(np.minimum(a, b), np.maximum(a, b))


class TrustLedger:
    """Trust in [0, 1] per pair of firms.

    Kept as two parallel arrays, pair keys in increasing order and their trust, so that the
    thousands of lookups and updates of a year are a few vectorised searches rather than one
    dictionary access each (and 16 bytes per pair rather than a hundred).
    """

    def __init__(self, initial: float):
        self.initial = initial
        self._keys = np.zeros(0, dtype=np.int64)
        self._values = np.zeros(0, dtype=np.float64)

    def __len__(self) -> int:
        return len(self._keys)

    def _find(self, keys: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
        """Where each key is (or would be inserted) in the ledger, and whether it is there."""
        at = np.searchsorted(self._keys, keys)
        found = at < len(self._keys)
        found[found] = self._keys[at[found]] == keys[found]
        return at, found

    def of(self, a: np.ndarray, b: np.ndarray) -> np.ndarray:
        """Trust of each pair (a[k], b[k])."""
        at, found = self._find(pair_keys(a, b))
        trust = np.full(len(at), self.initial, dtype=float)
        trust[found] = self._values[at[found]]
        return trust

    def between(self, a: int, b: int) -> float:
        return float(self.of(np.array([a]), np.array([b]))[0])

    def reward(self, a: np.ndarray, b: np.ndarray, gain: float) -> None:
        """A year of delivery moves each pair's trust a share ``gain`` of the way to 1."""
        self._set(np.unique(pair_keys(a, b)), lambda t: t + gain * (1.0 - t))

    def punish(self, a: np.ndarray, b: np.ndarray, loss: float) -> None:
        """A broken contract cuts the pair's trust by the share ``loss``."""
        self._set(np.unique(pair_keys(a, b)), lambda t: t * (1.0 - loss))

    def forget(self, firm_uids: np.ndarray) -> None:
        """Drop pairs involving firms that left the district (they will not trade again)."""
        if not len(self._keys) or len(firm_uids) == 0:
            return
        first, second = pair_members(self._keys)
        keep = ~(np.isin(first, firm_uids) | np.isin(second, firm_uids))
        self._keys, self._values = self._keys[keep], self._values[keep]

    def _set(self, keys: np.ndarray, update) -> None:
        """Apply ``update`` to the trust of each pair of ``keys`` (unique, increasing)."""
        if len(keys) == 0:
            return
        at, found = self._find(keys)
        current = np.full(len(keys), self.initial, dtype=float)
        current[found] = self._values[at[found]]
        new = update(current)
        self._values[at[found]] = new[found]
        # New pairs go in at their insertion points: keys are increasing, so order is kept.
        self._keys = np.insert(self._keys, at[~found], keys[~found])
        self._values = np.insert(self._values, at[~found], new[~found])
