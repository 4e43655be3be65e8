"""The facilitator: a matchmaking platform and park manager (*soggetto gestore*)."""

from __future__ import annotations

import mesa

from simulation.exchange.market import Terms


class Facilitator(mesa.Agent):
    """Makes partners visible district-wide, lists more of them, and lowers transaction costs.

    Firms without it know partners only within their own radius of action (docs/ODD.md §7.5).
    As park manager (policy ``park_manager``, its own switch) it runs the shared services: it takes
    over each service's coordination cost, at a yearly cost of its own paid by the public.
    """

    def __init__(self, model: mesa.Model):
        super().__init__(model)
        self.active = False
        self.transaction_cost_reduction = 0.0
        self.manages_services = False

    def update(self, year: int) -> None:
        """Switch the platform and the park-manager role on or off following the policy timeline."""
        policy = self.model.scenario.policy.facilitator
        self.active = policy.enabled and policy.active(year)
        self.transaction_cost_reduction = policy.transaction_cost_reduction if self.active else 0.0
        manager = self.model.scenario.policy.park_manager
        self.manages_services = manager.enabled and manager.active(year)

    def park_manager_cost(self) -> float:
        """EUR/yr of the park manager this year (0 when it is not in office)."""
        return self.model.scenario.policy.park_manager.cost_eur_per_yr if self.manages_services else 0.0

    @property
    def district_wide_search(self) -> bool:
        return self.active

    def candidates_per_firm(self, own_search: int) -> int:
        """How many partners per residue a firm examines: the platform's list when active."""
        listed = self.model.scenario.policy.facilitator.candidates_per_firm
        return max(own_search, listed) if self.active else own_search

    def transaction_cost(self, base_eur_per_yr: float) -> float:
        return base_eur_per_yr * (1.0 - self.transaction_cost_reduction)

    def listing_length(self, own_search: int) -> int:
        """Partners per residue the platform lists for a firm whose flows are published (a
        commitment): its list length, whether or not the platform's other services are enabled."""
        return max(own_search, self.model.scenario.policy.facilitator.candidates_per_firm)

    @property
    def reach_km(self) -> float:
        """Farthest partner the platform lists (``inf``: up to each residue's transport reach)."""
        reach = self.model.scenario.policy.facilitator.reach_km
        return float("inf") if reach is None else float(reach)

    def terms(self, behaviour) -> Terms:
        """The year's negotiation terms: the scenario's ``behaviour`` (negotiation, contract
        duration), with what the platform changes this year (search, listings, transaction cost)."""
        neg = behaviour.negotiation
        base = neg.transaction_cost_eur_per_yr + neg.setup_cost_eur / behaviour.contracts.duration_years
        return Terms(
            bargaining_power_supplier=neg.bargaining_power_supplier,
            risk_premium_share=neg.risk_premium_share,
            initial_trust=neg.initial_trust,
            transaction_cost_eur_per_yr=self.transaction_cost(base),
            candidates_per_firm=self.candidates_per_firm(neg.candidates_per_firm),
            district_wide_search=self.district_wide_search,
            platform_candidates_per_firm=self.listing_length(neg.candidates_per_firm),
            platform_reach_km=self.reach_km,
            min_viable_flow_t=behaviour.contracts.min_viable_flow,
        )
