"""A growable table of typed numpy columns, for records the model appends to every year.

Contracts, service-years and membership spells are kept this way rather than as Python objects:
a row costs the bytes of its columns (DESIGN §6: memory per firm), and a year's rows are
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
