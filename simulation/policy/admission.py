"""Admission rules: which of a year's applicants the plan lets in, in which order (PUG art. 34 LR 24/2017).

The year's applicants are profiled (:mod:`simulation.policy.profiling`) and screened as a batch by
the rule in force (open, threshold, ranking with a yearly quota, complementarity, contribution:
the surplus the district would gain with the applicant, :mod:`simulation.policy.contribution`),
then by sector quotas and exclusions. Rejected applicants settle elsewhere; each is counted by reason.
"""

from __future__ import annotations

from collections import Counter
from dataclasses import dataclass, field
from typing import NamedTuple

import numpy as np

from simulation.inputs.policy_schema import Admission
from simulation.policy.profiling import Profile

TIE = 1e-12  # relative tolerance under which two shares, costs or utilities are equal


@dataclass
class EntryCounts:
    """The year's entry, as counted in ``indicators.csv``."""

    applicants: int = 0
    admitted: int = 0
    rejected_rule: int = 0
    rejected_sector: int = 0
    rejected_no_plot: int = 0
    land_discount_eur: float = 0.0

    @property
    def rejected(self) -> int:
        return self.rejected_rule + self.rejected_sector + self.rejected_no_plot


@dataclass
class Screening:
    """The rule's verdict on a batch: who is tried, in which order, and how many may enter."""

    queue: list[int]                       # applicant indices (arrival order = 0, 1, ...)
    rejected: set[int] = field(default_factory=set)
    quota: int | None = None               # admissions allowed this year (None: no quota)


class Application(NamedTuple):
    """One applicant screened: its profile, the decision and the firm it became (a row of
    applicants.csv; a tuple, not a dict, as every applicant of a run is kept)."""

    year: int
    order: int                 # arrival order within the year, from 1
    archetype: str
    sector_group: str
    score: float               # circularity-potential score in [0, 1] and its three families
    circular: float
    territorial: float
    symbiosis: float
    partners: int              # likely partners among the incumbents
    decision: str              # admitted, rejected_rule, rejected_sector, rejected_no_plot
    firm: int | None           # unique_id of the firm, when admitted


def screen(rule: Admission, scores: Profile, year: int, contribution: np.ndarray | None = None) -> Screening:
    """The admission rule in force applied to a batch (indices in arrival order).

    ``open`` (and any year outside the rule's window): everyone, in arrival order.
    ``threshold``: those scoring at least ``min_score``, in arrival order.
    ``ranking``: by decreasing score (ties by arrival), at most ``quota_per_year`` admitted.
    ``complementarity``: those whose symbiosis potential reaches ``min_symbiosis``, by
    decreasing symbiosis potential (ties by arrival), at most ``quota_per_year`` if set.
    ``contribution``: those whose ``contribution`` (EUR/yr per applicant, needed by this rule only)
    reaches ``min_contribution_eur_per_yr``, by decreasing contribution (ties by arrival), at most
    ``quota_per_year`` if set.
    """
    arrival = list(range(len(scores.score)))
    if not rule.active(year) or rule.rule == "open":
        return Screening(arrival)
    if rule.rule == "threshold":
        queue = [k for k in arrival if scores.score[k] >= rule.min_score]
        return Screening(queue, set(arrival) - set(queue))
    if rule.rule == "ranking":
        return Screening(sorted(arrival, key=lambda k: (-scores.score[k], k)), quota=rule.quota_per_year)
    if rule.rule == "contribution":
        merit, floor = contribution, rule.min_contribution_eur_per_yr
    else:
        merit, floor = scores.symbiosis, rule.min_symbiosis
    eligible = [k for k in arrival if merit[k] >= floor]
    return Screening(sorted(eligible, key=lambda k: (-merit[k], k)), set(arrival) - set(eligible),
                     rule.quota_per_year)


def has_sector_limits(rule: Admission, year: int) -> bool:
    """Whether sector exclusions or quotas are in force (the district's sector mix is then counted)."""
    return rule.active(year) and bool(rule.excluded_sectors or rule.sector_max_share)


def sector_allows(rule: Admission, group: str, counts: Counter, present: int, year: int) -> bool:
    """Sector exclusions and quotas (max share of the district's firms per ``sector_group``),
    checked on the district as it would be with the applicant in."""
    if not rule.active(year):
        return True
    if group in rule.excluded_sectors:
        return False
    share = rule.sector_max_share.get(group)
    return share is None or (counts[group] + 1) / (present + 1) <= share * (1 + TIE)
