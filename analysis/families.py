"""What the indicator columns are, for a reader: their family, which are shares, which to show.

The three families are those of the Formigine lab (docs/ODD.md, Indicators). Comparisons use the indicators of
these families that the compared runs actually contain, in this order.
"""

from __future__ import annotations

from simulation.indicators import FAMILY_ORDER, REGISTRY

# The families, their indicators and which are shares or signed come from the model's indicator
# registry (simulation/indicators.py), where each indicator is defined once.
FAMILIES: dict[str, tuple[str, ...]] = {
    family: tuple(i.name for i in REGISTRY if i.family == family) for family in FAMILY_ORDER}

# Shares in [0, 1]: shown as percentages, and their differences in percentage points.
SHARES = frozenset(i.name for i in REGISTRY if i.kind == "share")

# Indicators that can be negative (a deal's surplus after costs, CO2 when transport outweighs the
# savings); every other indicator is a count, quantity or share and cannot fall below zero.
SIGNED = frozenset(i.name for i in REGISTRY if i.kind == "signed")

# Indicator trajectories figure: circular performance and territorial integration at a glance.
TRAJECTORY_INDICATORS = ("circular_input_rate", "landfill_diversion_rate", "waste_landfilled_t",
                         "byproduct_exchanged_t", "co2_avoided_t", "local_closure_rate",
                         "mean_exchange_distance_km", "firms", "net_savings_eur")
# Network metrics figure: the industrial-symbiosis network over the years.
NETWORK_INDICATORS = ("symbiosis_links", "symbiotic_firm_share", "linkage_density", "connectance", "cyclicity")
# The summary for non-specialists speaks of these.
HEADLINE_INDICATORS = ("landfill_diversion_rate", "circular_input_rate", "byproduct_exchanged_t", "co2_avoided_t",
                       "symbiosis_links", "net_savings_eur")


def indicators_in(columns) -> list[str]:
    """The known indicators among ``columns``, in family order."""
    present = set(columns)
    return [i for family in FAMILIES.values() for i in family if i in present]


def bounds(indicators) -> dict[str, tuple[float, float]]:
    """The range each indicator can take, for clipping confidence intervals."""
    return {i: (0.0, 1.0) if i in SHARES else (-float("inf"), float("inf")) if i in SIGNED else (0.0, float("inf"))
            for i in indicators}
