"""Enforcement: monitoring bound firms, fines and exclusion (the plan's operating agreements).

In force within its window, every ``interval_years`` from its start year (or the first simulated
year): each bound firm present is checked with ``monitoring_probability``. A firm in breach pays
``fine_eur`` that year; at ``exclusion_after_violations`` violations it is excluded and leaves at
that year's exit step. Bound buyers anticipate the expected fine in negotiation
(:mod:`simulation.policy.commitments`).
"""

from __future__ import annotations

from dataclasses import dataclass

from simulation.inputs.policy_schema import Enforcement
from simulation.policy.commitments import Commitment

ServiceKinds = tuple[set[str], dict[int, set[str]]]  # kinds running, and the kinds each member firm is in


@dataclass
class EnforcementCounts:
    """The year's monitoring, as counted in ``indicators.csv`` (fines in EUR)."""

    checked: int = 0
    violations: int = 0
    fines_eur: float = 0.0
    excluded: int = 0


def expected_fine_rate(rule: Enforcement, year: int) -> float:
    """Expected fine per year of a firm in breach, EUR/yr: monitoring probability × fine / interval."""
    if not rule.active(year):
        return 0.0
    return rule.monitoring_probability * rule.fine_eur / rule.interval_years


def check_year(rule: Enforcement, year: int, first_year: int) -> bool:
    """Whether bound firms are checked in ``year`` (every ``interval_years`` from the rule's start)."""
    start = rule.start_year if rule.start_year is not None else first_year
    return (year - start) % rule.interval_years == 0


def violates(commitment: Commitment, firm_uid: int, year: int, received: float, target: float,
             services: ServiceKinds = (set(), {})) -> bool:
    """Whether a bound firm breaks its commitments this year (after its deliveries and services).

    Secondary share: from its deadline year, material input received from exchanges below the
    target. Services: a service of a named kind runs in the district and the firm is not a
    member of one (no fine while no such service exists: the firm cannot join it). Publishing
    its flows is done at admission and cannot be broken.
    """
    c = commitment
    if c.secondary_share > 0 and year >= c.deadline_year and received < target * (1 - 1e-9):
        return True
    running, member_of = services
    mine = member_of.get(firm_uid, set())
    return any(kind in running and kind not in mine for kind in c.services)
