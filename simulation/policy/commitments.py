"""Commitments: what admitted firms sign, and what keeping them is worth to them in the market.

The plan may bind an admitted firm to publish its flows on the platform, to reach a minimum share
of secondary material inputs by a deadline, and to join named shared services. A firm short of its
secondary-input target anticipates the expected fine (:mod:`simulation.policy.enforcement`) from its
entry: it values the input units that close its shortfall at that fine, in new deals
(:class:`~simulation.policy.effects.Incentive`) and when renewing (:func:`renewal_bonus`).
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np

from simulation.inputs.policy_schema import Commitments
from simulation.policy.effects import Incentive, SecondaryState
from simulation.world import SubstitutionTable


@dataclass(frozen=True)
class Commitment:
    """What a firm signed at admission (its operating agreement)."""

    publish_flows: bool
    secondary_share: float   # minimum share of material inputs from exchanges (0: not bound)
    deadline_year: int       # first year the secondary share is checked
    services: tuple[str, ...]  # shared services it must belong to

    @property
    def binds(self) -> bool:
        return self.publish_flows or self.secondary_share > 0 or bool(self.services)


def bind(rule: Commitments, feasible_share: float, year: int) -> Commitment | None:
    """The commitments in force for an applicant admitted in ``year`` (``None``: not bound).

    The secondary-input target is capped at ``feasible_share``, the share the firm's material
    inputs can be replaced at all (:func:`feasible_secondary_share`): the plan does not bind a firm
    to the impossible, and a firm none of whose material inputs any residue can replace is not
    bound by it.
    """
    if not rule.active(year):
        return None
    share = min(rule.min_secondary_share, feasible_share) if rule.min_secondary_share > 0 else 0.0
    commitment = Commitment(rule.publish_flows, share, year + rule.secondary_share_years, tuple(rule.join_services))
    return commitment if commitment.binds else None


def feasible_secondary_share(inputs: np.ndarray, material_input: np.ndarray, subs: SubstitutionTable) -> float:
    """Σ_i D_i·min(1, Σ max_share) / Σ_i D_i over material inputs ``i`` of an archetype's inputs ``D``."""
    demand = inputs * material_input
    replaceable = np.minimum(1.0, np.bincount(subs.input, subs.max_share, len(inputs)))
    total = demand.sum()
    return float((demand * replaceable).sum() / total) if total > 0 else 0.0


def published(commitments: list[Commitment | None]) -> np.ndarray | None:
    """Per firm: whether its flows are published on the platform (``None``: nobody's are)."""
    flags = np.fromiter((c is not None and c.publish_flows for c in commitments), dtype=bool, count=len(commitments))
    return flags if flags.any() else None


def secondary_progress(commitments: list[Commitment | None], demand: np.ndarray, input_left: np.ndarray,
                       material_input: np.ndarray) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    """Per firm position: material input received from exchanges, target (input units), bound or not."""
    target_share = np.fromiter((c.secondary_share if c is not None else 0.0 for c in commitments),
                               dtype=float, count=len(commitments))
    total = demand[:, material_input].sum(1)
    received = (demand - input_left)[:, material_input].sum(1)
    return received, target_share * total, target_share > 0


def incentive(fine_rate: float, received: np.ndarray, target: np.ndarray, bound: np.ndarray,
              material_rows: np.ndarray) -> Incentive:
    """What reaching its target is worth to each bound buyer: ``fine_rate`` EUR/yr spread over its
    shortfall (input units), for the rows whose input counts."""
    shortfall = np.where(bound, np.maximum(target - received, 0.0), 0.0)
    return Incentive(np.where(shortfall > 0, fine_rate, 0.0), shortfall, material_rows)


def renewal_bonus(secondary: SecondaryState | None, material_rows: np.ndarray, subs: SubstitutionTable,
                  buyer_pos: np.ndarray, rows: np.ndarray, quantity: np.ndarray) -> np.ndarray | None:
    """Expected fine a bound buyer avoids by renewing each expiring contract (EUR/yr), or None.

    The need the contract covers is the target less what the buyer receives without it this
    year: ``bonus = rate × min(1, q·ratio / need)`` for a need > 0 (material rows only).
    """
    if secondary is None:
        return None
    q_in = quantity * subs.ratio[rows]
    need = secondary.target[buyer_pos] - (secondary.received[buyer_pos] - q_in)
    rate = secondary.fine_rate
    counts = material_rows[rows] & (need > 1e-9) & (rate[buyer_pos] > 0)
    with np.errstate(divide="ignore", invalid="ignore"):
        return np.where(counts, rate[buyer_pos] * np.minimum(1.0, q_in / need), 0.0)
