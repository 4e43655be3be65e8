"""The money and the CO2 of one exchange: the only place these terms are written.

For a residue unit exchanged over row ``s`` (residue ``r`` replacing input ``i`` at ``ratio``) and
``d`` km, at this year's :class:`~simulation.policy.effects.PolicyEffects`:

* the **supplier's value** before the price, EUR per residue unit:
  ``disposal_cost[r] + subsidy[r] − transport(r, d) − treatment(s)``;
* the **buyer's value** before the price: ``ratio · virgin_cost[i]``;
* the **stakes at risk** (:func:`stakes_at_risk`): what a default destroys for each side, its
  share of the joint surplus;
* the **joint surplus** per unit (:func:`unit_surplus`): the sum of the two, the price cancelling;
* the **fixed yearly cost** ``F`` (:func:`fixed_yearly_cost`): transaction cost plus annualised
  pipe capex less its public share, EUR/yr, borne half by each side;
* the **yearly payments** at settlement (:func:`yearly_payments`): what each side pays for the
  exchange, its disposal or virgin purchase avoided being counted in its own bills.

``transport(r, d) = fixed[r] + per_km[r]·d + transport_surcharge[r]·d`` and ``treatment(s) = treatment[s]``
(the operating cost; a pre-treatment plant's capex is an investment, :mod:`simulation.exchange.plants`,
which the capex subsidy co-funds). Negotiation, renewals, the optimal allocation, matchmaking and
settlement all call these functions, so a deal is valued and paid by one definition. Each
expression keeps the order of its floating-point operations fixed (results are compared byte for
byte across revisions), which is why the joint surplus is written out rather than summed from the
two sides.
"""

from __future__ import annotations

import numpy as np

from simulation.policy.effects import PolicyEffects
from simulation.world import SubstitutionTable, Transport


def unit_surplus(rows: np.ndarray, distance_km: np.ndarray, subs: SubstitutionTable,
                 transport: Transport, effects: PolicyEffects) -> np.ndarray:
    """Joint surplus per unit of residue exchanged, EUR (before fixed yearly costs)."""
    r, i = subs.residue[rows], subs.input[rows]
    return (effects.disposal_cost[r] + subs.ratio[rows] * effects.virgin_cost[i] + effects.subsidy[r]
            - transport.fixed[r] - transport.per_km[r] * distance_km
            - subs.treatment[rows]
            - effects.transport_surcharge[r] * distance_km)


def supplier_unit_value(rows: np.ndarray, distance_km: np.ndarray, subs: SubstitutionTable,
                        transport: Transport, effects: PolicyEffects) -> np.ndarray:
    """What one residue unit exchanged is worth to the supplier before the price, EUR:
    disposal avoided + subsidy − transport − treatment."""
    r = subs.residue[rows]
    return (effects.disposal_cost[r] + effects.subsidy[r] - transport.fixed[r]
            - transport.per_km[r] * distance_km
            - subs.treatment[rows]
            - effects.transport_surcharge[r] * distance_km)


def stakes_at_risk(surplus_per_unit: np.ndarray, bargaining_power_supplier: float) -> tuple[np.ndarray, np.ndarray]:
    """What a default destroys for (supplier, buyer), EUR per residue unit: each side's share of the
    joint surplus (its bargaining-power share; nothing when the exchange has no surplus). A side
    whose partner defaults falls back on its outside route or virgin purchase, so it loses its
    gain from the exchange, not the whole disposal bill or virgin price (issue 12, item 5)."""
    gain = np.maximum(surplus_per_unit, 0.0)
    return bargaining_power_supplier * gain, (1.0 - bargaining_power_supplier) * gain


def minimum_viable_flow(rows: np.ndarray, subs: SubstitutionTable, transport: Transport,
                        min_trucked_flow: float) -> np.ndarray:
    """Smallest yearly quantity an exchange over each row can have, residue units/yr: for residues
    carried by truck the scenario's ``behaviour.contracts.min_viable_flow`` (t/yr; below it nobody
    organises a by-product route), none for pipes (their capex is in the fixed cost)."""
    return np.where(transport.by_truck[subs.residue[rows]], min_trucked_flow, 0.0)


def fixed_yearly_cost(rows: np.ndarray, distance_km: np.ndarray, subs: SubstitutionTable,
                      transport: Transport, transaction_cost_eur_per_yr: float,
                      effects: PolicyEffects) -> np.ndarray:
    """Transaction cost plus annualised pipe capex (less its public share), EUR/yr per contract."""
    return transaction_cost_eur_per_yr + transport.pipe_eur_per_km_yr[subs.residue[rows]] * distance_km * (
        1.0 - effects.pipe_capex_share)


def yearly_payments(rows: np.ndarray, distance_km: np.ndarray, delivered: np.ndarray, price: np.ndarray,
                    fixed_cost: np.ndarray, subs: SubstitutionTable, transport: Transport,
                    effects: PolicyEffects) -> tuple[np.ndarray, np.ndarray]:
    """What supplier and buyer each pay for the year's deliveries of their contracts, EUR/yr.

    Supplier: ``q·(transport + treatment − price − subsidy) + F/2``; buyer: ``q·price + F/2``
    (``q`` residue units delivered). Disposal and virgin purchases avoided are not in these: they
    show in each firm's smaller disposal and virgin bills.
    """
    r = subs.residue[rows]
    transport_unit = (transport.fixed[r] + transport.per_km[r] * distance_km
                      + effects.transport_surcharge[r] * distance_km)
    half_fixed = fixed_cost / 2
    treatment = subs.treatment[rows]
    supplier_pays = delivered * (transport_unit + treatment - price - effects.subsidy[r]) + half_fixed
    buyer_pays = delivered * price + half_fixed
    return supplier_pays, buyer_pays


def nash_price(quantity, surplus_per_unit, fixed_cost, supplier_unit_value, disagreement_supplier,
               disagreement_buyer, bargaining_power_supplier, buyer_bonus=0.0):
    """Price per residue unit giving the supplier ``d_s + β·(S − d_s − d_b)`` of the surplus ``S``.

    ``supplier_unit_value`` is :func:`supplier_unit_value`; the supplier bears half of
    ``fixed_cost``. ``buyer_bonus`` (EUR/yr) is the expected fine a committed buyer avoids with the
    deal: part of the joint surplus, so the price shares it too.
    """
    total = quantity * surplus_per_unit - fixed_cost + buyer_bonus
    supplier_gain = disagreement_supplier + bargaining_power_supplier * (
        total - disagreement_supplier - disagreement_buyer)
    return (supplier_gain + fixed_cost / 2) / quantity - supplier_unit_value


def public_money(rows: np.ndarray, distance_km: np.ndarray, delivered: np.ndarray, subs: SubstitutionTable,
                 transport: Transport, effects: PolicyEffects, levy: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    """Public money inside each exchange's surplus this year, EUR/yr: (what the plan pays, the
    exchange subsidy and its share of pipe capex; what the public forgoes or
    collects net, the landfill tax and the levy the exchange avoids less the truck tax it pays).
    Both are transfers counted in :func:`unit_surplus` and :func:`fixed_yearly_cost`, not resources
    saved; ``levy`` is the levy per input unit (EUR)."""
    r, i = subs.residue[rows], subs.input[rows]
    paid = (delivered * effects.subsidy[r]
            + transport.pipe_eur_per_km_yr[r] * distance_km * effects.pipe_capex_share)
    forgone = delivered * (effects.landfill_tax[r] + subs.ratio[rows] * levy[i]
                           - effects.transport_surcharge[r] * distance_km)
    return paid, forgone


def co2_avoided_t(quantity: np.ndarray, rows: np.ndarray, distance_km: np.ndarray, co2_disposal: np.ndarray,
                  co2_virgin: np.ndarray, subs: SubstitutionTable, transport: Transport) -> np.ndarray:
    """tCO2 avoided per exchange: disposal and virgin production avoided, less the haul
    (``q·(co2_disposal[r] + ratio·co2_virgin[i] − co2_per_km[r]·d)``; factors per resource unit)."""
    r, i = subs.residue[rows], subs.input[rows]
    return quantity * (co2_disposal[r] + subs.ratio[rows] * co2_virgin[i] - transport.co2_per_km[r] * distance_km)
