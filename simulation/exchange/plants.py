"""Pre-treatment plants: capacity a supplier invests in to deliver over a substitution row.

A row with an ``investment`` in the catalogue (e.g. the heat-extraction equipment waste heat needs
before it can feed a neighbour's process heat) can only carry what its supplier has capacity
for. When a deal needs more, the supplier invests: the deal is signed only if its yearly surplus
covers the annuity of the new capacity (capex × capital recovery factor over the plant's
lifetime, less the capex subsidy's public share), which is the test NPV > 0 at the firm's discount
rate for a plant used over its lifetime. Once built, a plant is the owner's state: it is paid
every year of its life, used or not, and serves later contracts, top-ups and other partners
without a new decision; it closes with its owner. Capacity is in residue units per year.
"""

from __future__ import annotations

import numpy as np

from simulation.columns import ColumnTable

_COLUMNS: dict[str, type] = {
    "owner": np.int32,          # firm unique_id of the supplier that built it
    "row": np.int16,            # substitution row it pre-treats for
    "capacity": np.float64,     # residue units per year
    "annuity_eur": np.float64,  # EUR/yr the owner pays, over its life
    "public_eur": np.float64,   # EUR/yr of its capex the plan pays (capex subsidy), over its life
    "start_year": np.int16,
    "end_year": np.int16,       # last year of its life (or its owner's exit year)
}


class PlantBook:
    """Every plant ever built, as columns (``exchanges.csv``'s companion for investments)."""

    def __init__(self, capacity: int = 16):
        self._table = ColumnTable(_COLUMNS, capacity)

    def __len__(self) -> int:
        return len(self._table)

    def column(self, name: str) -> np.ndarray:
        return self._table.column(name)

    def build(self, owner_uid: np.ndarray, rows: np.ndarray, capacity: np.ndarray, unit_annuity: np.ndarray,
              public_share: float, lifetime_years: np.ndarray, year: int) -> None:
        """New plants of ``capacity`` (residue units/yr) on ``rows``; ``unit_annuity`` is the whole
        capex annuity per unit of capacity, EUR/yr, of which the plan pays ``public_share``."""
        built = capacity > 0
        if not built.any():
            return
        annuity = capacity[built] * unit_annuity[built]
        self._table.append(owner=owner_uid[built], row=rows[built], capacity=capacity[built],
                           annuity_eur=annuity * (1.0 - public_share), public_eur=annuity * public_share,
                           start_year=np.full(int(built.sum()), year),
                           end_year=year + lifetime_years[built] - 1)

    def live(self, year: int) -> np.ndarray:
        """Rows of the plants working in ``year``."""
        return np.flatnonzero((self.column("start_year") <= year) & (self.column("end_year") >= year))

    def capacity_table(self, year: int, positions, n_firms: int, n_rows: int) -> np.ndarray:
        """Capacity working in ``year`` per (firm position, substitution row), residue units/yr
        (``positions`` maps unique_ids to this year's positions)."""
        live = self.live(year)
        pos = positions(self.column("owner")[live])
        keep = pos >= 0
        table = np.zeros(n_firms * n_rows)
        np.add.at(table, pos[keep] * n_rows + self.column("row")[live][keep], self.column("capacity")[live][keep])
        return table.reshape(n_firms, n_rows)

    def free_capacity(self, year: int, positions, contracts, n_firms: int, n_rows: int) -> np.ndarray:
        """Capacity per (firm position, row) not used this year by the firm's standing contracts as
        suppliers (their ``delivered``), residue units/yr."""
        table = self.capacity_table(year, positions, n_firms, n_rows)
        active = contracts.active_rows()
        sp = positions(contracts.supplier[active])
        keep = sp >= 0
        used = np.bincount(sp[keep] * n_rows + contracts.substitution[active][keep],
                           contracts.delivered[active][keep], n_firms * n_rows).reshape(n_firms, n_rows)
        return np.maximum(table - used, 0.0)

    def yearly_cost(self, year: int, positions, n_firms: int) -> tuple[np.ndarray, float]:
        """What each firm position pays for its working plants this year (EUR/yr, N) and what the
        plan pays for them (EUR/yr)."""
        live = self.live(year)
        pos = positions(self.column("owner")[live])
        keep = pos >= 0
        return (np.bincount(pos[keep], self.column("annuity_eur")[live][keep], n_firms),
                float(self.column("public_eur")[live][keep].sum()))

    def close_of_firms(self, firm_uids: np.ndarray, year: int) -> None:
        """A firm that leaves takes its plants with it: they end this year."""
        live = self.live(year)
        gone = live[np.isin(self.column("owner")[live], firm_uids)]
        self.column("end_year")[gone] = year
