"""Money over time: the one annuity formula every capital cost of the model is spread with."""

from __future__ import annotations


def capital_recovery_factor(rate: float, years: float) -> float:
    """Share of a capital cost paid each year to repay it over ``years`` at ``rate`` (1/yr)."""
    if rate == 0:
        return 1.0 / years
    return rate / (1.0 - (1.0 + rate) ** -years)
