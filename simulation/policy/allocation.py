"""Plot allocation: which free plot a settling firm takes, and the land discount it gets.

Without a rule in force a firm takes the fitting free plot with the lowest land cost (price ×
area), so it does not take a larger plot than it needs when a smaller one fits. Under the plan's
allocation rule, an admitted firm either chooses by its own utility (land cost after discount and
distance to its nearest likely partner) or is placed by the authority next to its likely partners,
within a cost premium. Ties go to a random plot drawn by ``pick`` (the settling firm's draw).
"""

from __future__ import annotations

from collections.abc import Callable

import numpy as np
from scipy.spatial import cKDTree

from simulation.inputs.plots import Plots
from simulation.inputs.policy_schema import Allocation as AllocationRule
from simulation.policy.admission import TIE

Pick = Callable[[np.ndarray], int]  # one of equally good plots, at random


def fitting_plots(plots: Plots, area_needed_m2: float) -> tuple[np.ndarray, np.ndarray]:
    """Free plots with at least ``area_needed_m2``, and their land cost (EUR)."""
    fitting = plots.free_plots_fitting(area_needed_m2)
    return fitting, plots.land_price_eur_per_m2[fitting] * plots.area_m2[fitting]


def cheapest_plot(plots: Plots, area_needed_m2: float, pick: Pick) -> int | None:
    """The fitting free plot with the lowest land cost (ties at random); ``None`` when none fits.
    Incumbents settle this way, and so do applicants while no allocation rule is in force."""
    fitting, cost = fitting_plots(plots, area_needed_m2)
    if len(fitting) == 0:
        return None
    return pick(fitting[cost <= cost.min() * (1 + TIE)])


def choose_plot(rule: AllocationRule, plots: Plots, area_needed_m2: float, year: int, score: float,
                partners_xy_km: Callable[[], np.ndarray], nearest_partners: int,
                pick: Pick) -> tuple[int | None, float]:
    """An admitted applicant's plot under the allocation rule in force, and its land discount (EUR).

    ``free_choice``: the firm maximises ``−cost × (1 − discount) − proximity_eur_per_km × d1``,
    ``d1`` the distance (km) from the plot to its nearest likely partner. ``authority``: among
    plots whose cost is at most ``(1 + max_cost_premium)`` × the cheapest fitting one, the plot
    with the smallest mean distance to the firm's ``nearest_partners`` nearest likely partners,
    ties to the cheaper, then at random. A firm with no likely partner takes the cheapest plot.
    Outside the rule's window: the cheapest plot, no discount. ``partners_xy_km`` gives the likely
    partners' positions (km) when a rule needs them.
    """
    if not rule.active(year):
        return cheapest_plot(plots, area_needed_m2, pick), 0.0
    fitting, cost = fitting_plots(plots, area_needed_m2)
    if len(fitting) == 0:
        return None, 0.0
    discount = rule.discount_share if score >= rule.discount_min_score else 0.0
    cost = cost * (1.0 - discount)
    uses_partners = rule.rule == "authority" or rule.proximity_eur_per_km > 0
    partners = partners_xy_km() if uses_partners else np.zeros((0, 2))
    if len(partners) == 0:
        choice = pick(fitting[cost <= cost.min() * (1 + TIE)])
    elif rule.rule == "authority":
        window = fitting[cost <= cost.min() * (1 + rule.max_cost_premium) * (1 + TIE)]
        window_cost = cost[cost <= cost.min() * (1 + rule.max_cost_premium) * (1 + TIE)]
        k = min(nearest_partners, len(partners))
        xy = np.column_stack([plots.x_m[window], plots.y_m[window]]) / 1000.0
        dist, _ = cKDTree(partners).query(xy, k=k)
        mean = np.asarray(dist, dtype=float).reshape(len(window), k).mean(1)
        near = mean <= mean.min() + 1e-9
        best, best_cost = window[near], window_cost[near]
        choice = pick(best[best_cost <= best_cost.min() * (1 + TIE)])
    else:
        xy = np.column_stack([plots.x_m[fitting], plots.y_m[fitting]]) / 1000.0
        dist, _ = cKDTree(partners).query(xy, k=1)
        utility = -cost - rule.proximity_eur_per_km * np.asarray(dist, dtype=float)
        choice = pick(fitting[utility >= utility.max() - TIE * np.abs(utility).max()])
    full = plots.land_price_eur_per_m2[choice] * plots.area_m2[choice]
    return choice, float(full * discount)
