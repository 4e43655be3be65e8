"""The book of exchange contracts, kept as columns so settlement is vectorised.

A contract binds a supplier to deliver ``quantity`` units of a residue per year to a buyer, who
uses it in place of an input (one row of the catalogue's substitution table), at ``price`` EUR per
unit of residue (negative: the supplier pays the buyer to take it), from ``start_year`` to
``end_year``. Rows are never deleted: ``exchanges.csv`` lists every contract ever signed.
"""

from __future__ import annotations

from enum import IntEnum

import numpy as np

from simulation.columns import ColumnTable


class Status(IntEnum):
    ACTIVE = 0
    EXPIRED = 1
    BROKEN = 2
    PARTNER_EXIT = 3

    @property
    def label(self) -> str:
        return self.name.lower()


# Narrow integer types keep the book small (memory target ≤ 2 KB retained per firm, README Benchmarks); money and
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
    "discovery_year": np.int16, # year the two firms discovered this synergy
    "start_year": np.int16,
    "end_year": np.int16,       # planned (or actual, once closed) last year of delivery
    "status": np.int8,
    "delivered": np.float64,    # residue units delivered in the current year
    "renewals": np.int16,       # times the contract was renegotiated and extended
    "top_ups": np.int16,        # times the pair added quantity to it within a year
}


class ContractBook:
    """Growable columnar table of contracts: ``book.quantity`` etc. are views of the filled rows."""

    def __init__(self, capacity: int = 256):
        self._table = ColumnTable(_COLUMNS, capacity)

    def __len__(self) -> int:
        return len(self._table)

    def __getattr__(self, name: str) -> np.ndarray:
        table = self.__dict__.get("_table")
        if table is not None and table.has(name):
            return table.column(name)
        raise AttributeError(name)

    def add(self, **columns: np.ndarray) -> np.ndarray:
        """Append contracts given as equal-length arrays; returns their row indices."""
        return self._table.append(**columns)

    def active_rows(self) -> np.ndarray:
        return np.flatnonzero(self.status == Status.ACTIVE)

    def close(self, rows: np.ndarray, year: int, status: Status) -> None:
        self.status[rows] = status
        self.end_year[rows] = year

    def close_of_firms(self, firm_uids: np.ndarray, year: int) -> None:
        """End the active contracts of firms that leave the district (status ``partner_exit``)."""
        active = self.active_rows()
        self.close(active[np.isin(self.supplier[active], firm_uids) | np.isin(self.buyer[active], firm_uids)],
                   year, Status.PARTNER_EXIT)
