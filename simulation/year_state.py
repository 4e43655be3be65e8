"""The firms present in one year as arrays: the one place positions ``n`` are defined.

Bulk arithmetic (market, negotiation, services, settlement) indexes firms by their position in
this year's arrays; contracts, trust and services name firms by unique_id. A :class:`YearState` is
built once a year, after production, and both the model and the authority read it, so no phase
keeps hidden copies of these arrays. Flows are recomputed on use, a multiply of the year's levels
by the archetypes' flows, rather than kept: they are the largest per-firm arrays the model would
otherwise hold between years (docs/ODD.md, memory per firm).
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass

import numpy as np

from simulation.columns import Positions
from simulation.inputs.catalogue import Catalogue
from simulation.random_streams import entity_keys


@dataclass(frozen=True)
class YearState:
    """Per position ``n``: unique_id, random-stream key, archetype index, output level and plot."""

    uid: np.ndarray
    keys: np.ndarray
    archetype: np.ndarray
    output: np.ndarray
    plot: np.ndarray
    positions: Positions
    catalogue: Catalogue

    @classmethod
    def of(cls, firms: list, catalogue: Catalogue, draw_keys: Callable[[list], np.ndarray]) -> YearState:
        """The state of ``firms`` (Firm agents, in the model's order) after this year's production."""
        uid = np.array([f.unique_id for f in firms], dtype=np.int64)
        return cls(uid, draw_keys(firms), np.array([f.archetype for f in firms], dtype=np.int64),
                   np.array([f.output for f in firms]), np.array([f.plot for f in firms], dtype=np.int64),
                   Positions(uid), catalogue)

    def __len__(self) -> int:
        return len(self.uid)

    @property
    def generated(self) -> np.ndarray:
        """Residue units each firm present releases this year, net of what it recycles in house:
        what it can offer to other firms or send outside (N × R)."""
        return self.output[:, None] * self.catalogue.outputs[self.archetype]

    @property
    def demand(self) -> np.ndarray:
        """Input units each firm present needs this year beyond what its in-house loops supply:
        what exchanges, services and virgin purchases cover (N × R)."""
        return self.output[:, None] * self.catalogue.inputs[self.archetype]

    @property
    def recycled_in_house(self) -> np.ndarray:
        """Residue units each firm present recycles on its own site this year (N × R)."""
        return self.output[:, None] * self.catalogue.recycled_in_house[self.archetype]

    @property
    def in_house_input(self) -> np.ndarray:
        """Input units each firm's in-house loops supply this year (N × R)."""
        return self.output[:, None] * self.catalogue.in_house_input[self.archetype]

    def pair_draw_keys(self, supplier_uid: np.ndarray, buyer_uid: np.ndarray, rows: np.ndarray) -> np.ndarray:
        """One random-stream key per (supplier, buyer, row) of firms present: the same contract
        draws the same number in every scenario."""
        return entity_keys(self.keys[self.positions(supplier_uid)], self.keys[self.positions(buyer_uid)], rows)
