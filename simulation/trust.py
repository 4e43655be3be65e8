"""Trust between pairs of firms, learnt from kept and broken contracts.

Trust is symmetric (both firms of a pair hold the same trust in each other) and persists after
a contract ends, so it lives in one district-wide ledger keyed by the pair, updated in bulk for
all contracts of a year. A pair that never traded has the scenario's ``initial_trust``.
"""

from __future__ import annotations

import numpy as np


def pair_keys(a: np.ndarray, b: np.ndarray) -> np.ndarray:
    """One integer per unordered pair of firm unique_ids."""
    lo, hi = np.minimum(a, b).astype(np.int64), np.maximum(a, b).astype(np.int64)
    return lo * (1 << 31) + hi


class TrustLedger:
    """Trust in [0, 1] per pair of firms."""

    def __init__(self, initial: float):
        self.initial = initial
        self._trust: dict[int, float] = {}

    def __len__(self) -> int:
        return len(self._trust)

    def of(self, a: np.ndarray, b: np.ndarray) -> np.ndarray:
        """Trust of each pair (a[k], b[k])."""
        get, initial = self._trust.get, self.initial
        return np.array([get(k, initial) for k in pair_keys(a, b).tolist()], dtype=float)

    def between(self, a: int, b: int) -> float:
        return float(self.of(np.array([a]), np.array([b]))[0])

    def reward(self, a: np.ndarray, b: np.ndarray, gain: float) -> None:
        """A year of delivery moves each pair's trust a share ``gain`` of the way to 1."""
        keys = np.unique(pair_keys(a, b))
        self._set(keys, lambda t: t + gain * (1.0 - t))

    def punish(self, a: np.ndarray, b: np.ndarray, loss: float) -> None:
        """A broken contract cuts the pair's trust by the share ``loss``."""
        keys = np.unique(pair_keys(a, b))
        self._set(keys, lambda t: t * (1.0 - loss))

    def forget(self, firm_uids: np.ndarray) -> None:
        """Drop pairs involving firms that left the district (they will not trade again)."""
        if not self._trust or len(firm_uids) == 0:
            return
        keys = np.fromiter(self._trust.keys(), dtype=np.int64, count=len(self._trust))
        gone = np.isin(keys >> 31, firm_uids) | np.isin(keys & ((1 << 31) - 1), firm_uids)
        for k in keys[gone].tolist():
            del self._trust[k]

    def _set(self, keys: np.ndarray, update) -> None:
        if len(keys) == 0:
            return
        get, initial = self._trust.get, self.initial
        current = np.array([get(k, initial) for k in keys.tolist()], dtype=float)
        self._trust.update(zip(keys.tolist(), update(current).tolist()))
