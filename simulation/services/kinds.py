"""What services compute with: each service kind compiled to numbers, and the year's terms.

A kind of the catalogue (:class:`simulation.inputs.service_schema.ServiceKind`, docs/ODD.md §2.10) carries
units, sources and figures with provenance; the coalition arithmetic wants plain floats and
resource indices, with every capital cost already spread over its lifetime (EUR/yr).
"""

from __future__ import annotations

import math
from collections.abc import Callable
from dataclasses import dataclass

import numpy as np

from simulation.finance import capital_recovery_factor
from simulation.inputs.catalogue import Catalogue
from simulation.world import SubstitutionTable

EPS = 1e-9  # quantities (service units) and money (EUR) at or below this count as none


@dataclass(frozen=True)
class KindTerms:
    """One service kind in the form the model computes with (numbers as floats, ids as indices)."""

    index: int
    id: str
    service_class: str
    unit: str
    basis: str
    resources: np.ndarray        # driver resource indices (input/residue bases)
    per_unit: float              # service units per person / m2 / firm and year
    standalone_cost: float       # EUR per unit (non-resource bases)
    fixed: float                 # EUR/yr
    coordination: float          # EUR/yr without a park manager
    capex_yearly: float          # EUR/yr: capex × CRF, before co-funding
    variable: float              # EUR per unit at the reference quantity
    reference_q: float
    exponent: float
    capacity: float              # unit/yr
    min_members: int
    reach_km: float              # inf when not pipe-bound
    connection_eur_per_km_yr: float
    source_residue: int = -1     # heat network: residue it carries, the substitution row and its ratio
    source_row: int = -1
    source_ratio: float = 1.0
    source_max_share: float = -1.0  # of a member's demand, exchanges included (< 0: the row's own cap)
    return_input: int = -1       # wastewater plant: input it returns, share of Q, max share of a taker's demand
    return_share: float = 0.0
    return_max_share: float = 0.0
    standalone_range: tuple[float, float] | None = None  # EUR per unit, low and high (non-resource bases)

    @property
    def pipe_bound(self) -> bool:
        return math.isfinite(self.reach_km)

    def standalone_unit_cost(self, quantile: np.ndarray | None) -> np.ndarray | float:
        """EUR per unit each firm pays when it buys the service alone (non-resource bases).

        ``quantile`` (in [0, 1], one per firm) places each firm in the kind's range, uniformly:
        ``low + (high − low) · quantile``. Without a range, or without quantiles (firms that were
        not drawn, as profiled firms in matchmaking), every firm pays ``standalone_cost``.
        """
        if quantile is None or self.standalone_range is None:
            return self.standalone_cost
        low, high = self.standalone_range
        return low + (high - low) * quantile

    def variable_cost(self, q: np.ndarray) -> np.ndarray:
        """``v·Q_ref·(Q/Q_ref)^b`` EUR/yr (``v·Q`` when ``b = 1``); 0 for ``Q = 0``."""
        q = np.maximum(q, 0.0)
        if self.exponent == 1.0:
            return self.variable * q
        return self.variable * self.reference_q * (q / self.reference_q) ** self.exponent

    @classmethod
    def compile(cls, catalogue: Catalogue, discount_rate: float) -> list[KindTerms]:
        """Every service kind of ``catalogue``, in its order; capex and connections are spread at
        ``discount_rate`` (1/yr) over their lifetimes."""
        subs = SubstitutionTable.from_catalogue(catalogue)
        kinds = []
        for k, (kid, kind) in enumerate(catalogue.services.items()):
            extra = {}
            if kind.source is not None:
                r, i = catalogue.index(kind.source.residue), catalogue.index(kind.demand.resources[0])
                row = int(np.flatnonzero((subs.residue == r) & (subs.input == i))[0])
                extra.update(source_residue=r, source_row=row, source_ratio=float(subs.ratio[row]),
                             source_max_share=kind.source.max_share.value if kind.source.max_share else -1.0)
            if kind.returns is not None:
                extra.update(return_input=catalogue.index(kind.returns.input),
                             return_share=kind.returns.share.value, return_max_share=kind.returns.max_share.value)
            if kind.standalone_cost_range is not None:
                extra.update(standalone_range=(kind.standalone_cost_range.low.value,
                                               kind.standalone_cost_range.high.value))
            reach = kind.reach
            kinds.append(cls(
                index=k, id=kid, service_class=kind.service_class, unit=kind.unit, basis=kind.demand.basis,
                resources=np.array([catalogue.index(r) for r in kind.demand.resources], dtype=np.int64),
                per_unit=kind.demand.per_unit.value if kind.demand.per_unit else 0.0,
                standalone_cost=kind.standalone_cost.value if kind.standalone_cost else 0.0,
                fixed=kind.fixed_cost.value, coordination=kind.coordination_cost.value,
                capex_yearly=kind.capex.value * capital_recovery_factor(discount_rate, kind.lifetime.value),
                variable=kind.variable_cost.value,
                reference_q=kind.reference_quantity.value if kind.reference_quantity else 1.0,
                exponent=kind.scale_exponent.value, capacity=kind.capacity.value,
                min_members=int(kind.min_members.value),
                reach_km=reach.max_distance.value if reach else math.inf,
                connection_eur_per_km_yr=(reach.connection_cost_per_m.value * 1000
                                          * capital_recovery_factor(discount_rate, reach.lifetime.value)
                                          if reach else 0.0),
                **extra))
        return kinds


@dataclass(frozen=True)
class ServiceTerms:
    """This year's rules for services: the cost-share rule, the policy in force and the firms' rule
    for staying in a service.

    ``accepts(payment_eur, standalone_eur)`` says, per membership, whether a firm stays in (or
    joins) a service at that yearly payment given what it would pay alone (both EUR/yr); it is the
    firms' decision (:meth:`simulation.agents.firm.Firm.accepts_service_share`), handed in by the
    model so that services do not depend on the agents.
    """

    rule: str                      # proportional | equal | shapley
    shapley_exact_max_members: int
    shapley_permutations: int
    manager_active: bool           # a park manager takes over coordination
    manager_cost_eur: float        # its yearly cost (public)
    cofunding_share: float         # of capex, for services founded this year
    accepts: Callable[[np.ndarray, np.ndarray], np.ndarray]

    def coordination(self, kind: KindTerms) -> float:
        """The kind's coordination cost this year, EUR/yr: 0 while a park manager is in office."""
        return 0.0 if self.manager_active else kind.coordination

