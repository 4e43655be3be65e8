"""A firm settled on a plot of the district."""

from __future__ import annotations

import math

import mesa


class Firm(mesa.Agent):
    """One firm: its archetype, activity level, plot, trust in partners and yearly accounts.

    The firm's yearly flows are its archetype's flows times ``activity``; the model reads them in
    bulk (arrays over all firms) for matchmaking and settlement, and hands each firm its profit.
    """

    def __init__(self, model: mesa.Model, archetype: int, plot: int, activity: float, entry_year: int,
                 employees: int):
        super().__init__(model)
        self.archetype = archetype
        self.plot = plot
        self.activity = activity
        self.entry_year = entry_year
        self.employees = employees
        self.exit_year: int | None = None
        self.exit_reason = ""
        self.loss_years = 0
        self.profit_eur = 0.0
        self.trust: dict[int, float] = {}

    def produce(self) -> None:
        """Grow or shrink activity by a lognormal step; a shock sometimes cuts one year's output."""
        a = self.model.scenario.behaviour.activity
        rng = self.model.rng
        growth = a.growth_mean + a.growth_sd * rng.standard_normal()
        level = self.activity * math.exp(growth)
        if rng.random() < a.shock_probability:
            level *= 1.0 - a.shock_size
        self.activity = min(max(level, a.minimum), a.maximum)

    def book_profit(self, profit_eur: float) -> None:
        """Record this year's profit; count consecutive loss-making years."""
        self.profit_eur = profit_eur
        self.loss_years = self.loss_years + 1 if profit_eur < 0 else 0

    def trust_in(self, partner: int, default: float) -> float:
        return self.trust.get(partner, default)

    def set_trust(self, partner: int, value: float) -> None:
        self.trust[partner] = value
