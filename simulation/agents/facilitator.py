"""The facilitator: a matchmaking platform and park manager (*soggetto gestore*)."""

from __future__ import annotations

import mesa


class Facilitator(mesa.Agent):
    """Makes partners visible district-wide, lists more of them, and lowers transaction costs.

    Firms without it know partners only within their own radius of action (DESIGN §1 step 4).
    """

    def __init__(self, model: mesa.Model):
        super().__init__(model)
        self.active = False
        self.transaction_cost_reduction = 0.0

    def update(self, year: int) -> None:
        """Switch on or off following the policy timeline."""
        policy = self.model.scenario.policy.facilitator
        self.active = policy.enabled and policy.active(year)
        self.transaction_cost_reduction = policy.transaction_cost_reduction if self.active else 0.0

    @property
    def district_wide_search(self) -> bool:
        return self.active

    def candidates_per_firm(self, own_search: int) -> int:
        """How many partners per residue a firm examines: the platform's list when active."""
        return max(own_search, self.model.scenario.policy.facilitator.candidates_per_firm) if self.active else own_search

    def transaction_cost(self, base_eur_per_yr: float) -> float:
        return base_eur_per_yr * (1.0 - self.transaction_cost_reduction)
