"""The year's policy as the rest of the model sees it: one record, written by the instruments.

Every instrument of the plan reaches the market, the shared services and the firms' accounts
through :class:`PolicyEffects` and nothing else. The price instruments (:mod:`simulation.policy.prices`)
write it at the start of the year; the commitments (:mod:`simulation.policy.commitments`) add what
bound firms publish and what reaching a target is worth to them once the year's market is open;
enforcement (:mod:`simulation.policy.enforcement`) adds the fines due. A new instrument is a new
field here, written by its policy module and read where the money it changes is defined
(:mod:`simulation.exchange.surplus` for exchanges).
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np


@dataclass(frozen=True)
class Incentive:
    """What reaching a secondary-input commitment is worth to each committed buyer this year.

    A buyer bound to a minimum share of secondary material inputs, and still short of it, values
    the first ``shortfall`` input units it receives over the rows in ``rows`` at the expected fine
    it avoids: ``fine_rate × min(q_in, shortfall) / shortfall`` EUR/yr for ``q_in`` input units
    (so at most ``fine_rate``). Positions ``n`` as in the year's firm arrays.
    """

    fine_rate: np.ndarray   # (N,) expected fine per year avoided by reaching the target, EUR/yr
    shortfall: np.ndarray   # (N,) input units still missing to reach the target
    rows: np.ndarray        # (S,) bool: substitution rows whose input counts towards the target

    def bonus(self, buyer: np.ndarray, rows: np.ndarray, input_units: np.ndarray) -> np.ndarray:
        """Value to each buyer of receiving ``input_units`` over ``rows``, each deal on its own."""
        short = self.shortfall[buyer]
        counts = self.rows[rows] & (short > 0)
        with np.errstate(divide="ignore", invalid="ignore"):
            return np.where(counts, self.fine_rate[buyer] * np.minimum(input_units, short) / short, 0.0)


@dataclass(frozen=True)
class SecondaryState:
    """Bound buyers after the year's deals (positions ``n``): material input received and target
    (input units), and the expected fine per year a buyer short of its target avoids (EUR/yr)."""

    received: np.ndarray
    target: np.ndarray
    fine_rate: np.ndarray


@dataclass(frozen=True)
class PolicyEffects:
    """This year's policy, per resource unit (index ``r``) or per firm position (index ``n``).

    Prices: ``disposal_cost`` (the cheapest outside route at this year's prices: gate fee less
    sale price, plus the landfill tax on a landfill route, EUR per residue unit; ``outside_route``
    is that route, index ``k`` of the catalogue's :class:`~simulation.inputs.catalogue.OutsideRoutes`,
    ``-1`` for an input only, ``disposal_co2`` its tCO2 per unit and ``landfill_tax`` the tax in its
    cost, EUR per unit, which the region collects), ``virgin_cost``
    (virgin price + levy, EUR per input unit), ``subsidy`` (public payment per residue unit
    exchanged, to the supplier), ``transport_surcharge`` (EUR per residue unit and km carried in an
    exchange: a charge on the haul, which the supplier pays with it, e.g. a road tax). Public
    shares: of the capex of pre-treatment plants built this year, of exchange pipes' capex, of the capex of services
    founded this year. Commitments:
    ``published`` (flows listed on the platform), ``incentive`` (bound buyers' value of secondary
    inputs), ``secondary`` (their state after the deals, for renewals). Enforcement: ``fines_due_eur``.
    """

    disposal_cost: np.ndarray
    virgin_cost: np.ndarray
    subsidy: np.ndarray
    transport_surcharge: np.ndarray
    outside_route: np.ndarray | None = None
    disposal_co2: np.ndarray | None = None
    landfill_tax: np.ndarray | None = None
    treatment_subsidy_share: float = 0.0
    pipe_capex_share: float = 0.0
    service_cofunding_share: float = 0.0
    published: np.ndarray | None = None
    incentive: Incentive | None = None
    secondary: SecondaryState | None = None
    fines_due_eur: np.ndarray | None = None
