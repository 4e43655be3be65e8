"""A growable table of typed numpy columns, for records the model appends to every year.

Contracts, service-years and membership spells are kept this way rather than as Python objects:
a row costs the bytes of its columns (memory per firm, README Benchmarks), and a year's rows are
appended in one batch. Capacity grows by half when full, so appending is amortised O(1).
"""

from __future__ import annotations

import numpy as np


class ColumnTable:
    """Columns of equal length, appended to in batches; :meth:`column` is a writable view."""

    def __init__(self, columns: dict[str, type], capacity: int = 16):
        self._cols = {name: np.zeros(capacity, dtype=dtype) for name, dtype in columns.items()}
        self._n = 0

    def __len__(self) -> int:
        return self._n

    def append(self, **values) -> np.ndarray:
        """Append rows given as equal-length arrays per column (a column left out gets 0);
        returns their row indices."""
        count = len(next(iter(values.values())))
        capacity = len(next(iter(self._cols.values())))
        if self._n + count > capacity:
            size = max(self._n + count, capacity + capacity // 2)
            for name, col in self._cols.items():
                grown = np.zeros(size, dtype=col.dtype)
                grown[:self._n] = col[:self._n]
                self._cols[name] = grown
        rows = np.arange(self._n, self._n + count)
        for name, col in self._cols.items():
            col[rows] = values.get(name, 0)
        self._n += count
        return rows

    def column(self, name: str) -> np.ndarray:
        """The filled rows of one column (a view: writing to it changes the table)."""
        return self._cols[name][:self._n]

    def has(self, name: str) -> bool:
        return name in self._cols


PAIR_BITS = 31  # firm unique_ids stay below 2**31, so two of them pack into one int64


def pair_key(first: np.ndarray, second: np.ndarray) -> np.ndarray:
    """One int64 per ordered pair of firm unique_ids (``first · 2^31 + second``), for set tests."""
    return first.astype(np.int64) * (1 << PAIR_BITS) + second.astype(np.int64)


def pair_members(keys: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    """The two unique_ids packed in each key of :func:`pair_key`."""
    return keys >> PAIR_BITS, keys & ((1 << PAIR_BITS) - 1)


class Positions:
    """Where each firm unique_id sits in one year's firm arrays (``-1``: not present).

    The model's bulk arithmetic indexes firms by position ``n`` in the year's arrays; contracts,
    trust and services name firms by unique_id. One lookup table turns the ones into the others.
    """

    def __init__(self, uid: np.ndarray):
        self.uid = uid
        self._table = np.full(int(uid.max(initial=0)) + 1, -1, dtype=np.int64)
        self._table[uid] = np.arange(len(uid))

    def __call__(self, ids: np.ndarray) -> np.ndarray:
        """Positions of ``ids``; ids never seen (beyond the table) are ``-1`` too."""
        ids = np.asarray(ids, dtype=np.int64)
        out = np.full(len(ids), -1, dtype=np.int64)
        inside = ids < len(self._table)
        out[inside] = self._table[ids[inside]]
        return out
