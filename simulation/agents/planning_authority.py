"""The planning authority: applies the plan's rules and instruments year by year."""

from __future__ import annotations

import numpy as np
import mesa

from simulation.market import Prices


class PlanningAuthority(mesa.Agent):
    """Screens applicants, lets admitted firms take plots, and sets the year's taxes and subsidies.

    Policy is data (the scenario's ``policy`` section); each instrument is in force within its
    ``start_year``/``end_year`` window.
    """

    def __init__(self, model: mesa.Model):
        super().__init__(model)
        self.prices: Prices | None = None

    def set_prices(self, year: int) -> Prices:
        """Prices per resource unit for ``year``: catalogue prices plus the instruments in force."""
        policy = self.model.scenario.policy
        cat = self.model.catalogue
        tax = np.zeros(len(cat.resource_ids))
        lt = policy.landfill_tax
        if lt.active(year):
            rate = {"inert": lt.inert_eur_per_t, "nonhazardous": lt.nonhazardous_eur_per_t,
                    "hazardous": lt.hazardous_eur_per_t, "none": 0.0}
            tax = np.array([rate[c] for c in cat.tax_class]) * np.where(cat.is_sludge, lt.sludge_factor, 1.0)
        material = cat.family == "material"
        levy = policy.virgin_levy.eur_per_t if policy.virgin_levy.active(year) else 0.0
        subsidy = policy.exchange_subsidy.eur_per_t if policy.exchange_subsidy.active(year) else 0.0
        self.prices = Prices(
            disposal_cost=cat.gate_fee + tax,
            virgin_cost=cat.virgin_price + np.where(material & cat.is_input, levy, 0.0),
            subsidy=np.where(material & cat.is_residue, subsidy, 0.0),
        )
        return self.prices

    def screen(self, archetype: int, year: int) -> bool:
        """Admission rule: ``open`` admits every applicant (first come, first served)."""
        return self.model.scenario.policy.admission.rule == "open"

    def allocate_plot(self, archetype: int) -> int | None:
        """Free choice: the applicant takes the fitting free plot with the lowest land cost.

        Land cost is price × area, so a firm does not take a larger plot than it needs when a
        smaller one fits. Ties go to a random plot. ``None`` when no free plot fits.
        """
        plots = self.model.plots
        need = self.model.catalogue.archetypes[self.model.catalogue.archetype_ids[archetype]].plot_area.value
        fitting = plots.free_plots_fitting(need)
        if len(fitting) == 0:
            return None
        cost = plots.land_price_eur_per_m2[fitting] * plots.area_m2[fitting]
        cheapest = fitting[cost <= cost.min() * (1 + 1e-12)]
        return int(cheapest[self.model.rng.integers(len(cheapest))])
