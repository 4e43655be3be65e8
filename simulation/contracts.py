"""The book of exchange contracts, kept as columns so settlement is vectorised.

A contract binds a supplier to deliver ``quantity`` units of a residue per year to a buyer, who
uses it in place of an input (one row of the catalogue's substitution table), at ``price`` EUR per
unit of residue (negative: the supplier pays the buyer to take it), from ``start_year`` to
``end_year``. Rows are never deleted: ``exchanges.csv`` lists every contract ever signed.
"""

from __future__ import annotations

from enum import IntEnum

import numpy as np


class Status(IntEnum):
    ACTIVE = 0
    EXPIRED = 1
    BROKEN = 2
    PARTNER_EXIT = 3

    @property
    def label(self) -> str:
        return self.name.lower()


# Narrow integer types keep the book small (DESIGN §6: ≤ 2 KB retained per firm); money and
# quantities stay float64 so that hand-computed cases match exactly.
_COLUMNS: dict[str, type] = {
    "supplier": np.int32,       # firm unique_id
    "buyer": np.int32,          # firm unique_id
    "substitution": np.int16,   # row of the catalogue's substitution table
    "quantity": np.float64,     # contracted residue units per year
    "price": np.float64,        # EUR per unit of residue, paid by buyer to supplier
    "unit_surplus": np.float64, # EUR per unit of residue at signature
    "fixed_cost": np.float64,   # EUR/yr: transaction cost and annualised pipe capex, shared equally
    "distance_km": np.float64,
    "start_year": np.int16,
    "end_year": np.int16,       # planned (or actual, once closed) last year of delivery
    "status": np.int8,
    "delivered": np.float64,    # residue units delivered in the current year
    "renewals": np.int16,       # times the contract was renegotiated and extended
}


class ContractBook:
    """Growable columnar table of contracts."""

    def __init__(self, capacity: int = 256):
        self._n = 0
        self._cols = {name: np.zeros(capacity, dtype=dtype) for name, dtype in _COLUMNS.items()}

    def __len__(self) -> int:
        return self._n

    def __getattr__(self, name: str) -> np.ndarray:
        cols = self.__dict__.get("_cols")
        if cols is not None and name in cols:
            return cols[name][: self._n]
        raise AttributeError(name)

    def _grow(self, extra: int) -> None:
        need = self._n + extra
        capacity = len(self._cols["supplier"])
        if need <= capacity:
            return
        new_capacity = max(need, capacity + capacity // 2)
        for name, col in self._cols.items():
            grown = np.zeros(new_capacity, dtype=col.dtype)
            grown[: self._n] = col[: self._n]
            self._cols[name] = grown

    def add(self, **columns: np.ndarray) -> np.ndarray:
        """Append contracts given as equal-length arrays; returns their row indices."""
        count = len(columns["supplier"])
        self._grow(count)
        rows = np.arange(self._n, self._n + count)
        for name in _COLUMNS:
            self._cols[name][rows] = columns.get(name, 0)
        self._n += count
        return rows

    def active_rows(self) -> np.ndarray:
        return np.flatnonzero(self.status == Status.ACTIVE)

    def close(self, rows: np.ndarray, year: int, status: Status) -> None:
        self._cols["status"][rows] = status
        self._cols["end_year"][rows] = year
