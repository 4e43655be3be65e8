"""Settlement of a year: flows, money and CO2 of every firm and contract (ODD step 7).

Each firm's resource costs this year (disposal and virgin bills, its payments for exchanges, less
what shared services spare it) are compared with its reference costs (catalogue prices, no
exchange, no policy), where its operating margin is observed; the archetype passes the share
``pass_through`` of what the price instruments add to its outside routes and virgin purchases on
to its output price: ``profit = output · margin − (cost − reference) + pass_through · instrument
cost``, EUR/yr (docs/ODD.md §7.9). The money of an exchange is :mod:`simulation.exchange.surplus`'s.
Flows through services count too: residue reused through a service is ``exchanged``, the rest of
what services handle ``treated``, inputs they deliver ``received``. What firms recycle in house never
reaches the market: it is ``recycled_in_house`` (residue units) and ``in_house_input`` (input units),
apart from what they release (``generated``) and need from others (``demand`` less the loops).
"""

from __future__ import annotations

import numpy as np

from simulation.exchange.contracts import ContractBook
from simulation.exchange.plants import PlantBook
from simulation.exchange.surplus import co2_avoided_t, public_money, unit_surplus, yearly_payments
from simulation.indicators import YearLedger
from simulation.policy.effects import PolicyEffects
from simulation.services.book import ServiceYear
from simulation.world import World
from simulation.year_state import YearState


def settle_year(year: int, state: YearState, contracts: ContractBook, plants: PlantBook, world: World,
                effects: PolicyEffects, sy: ServiceYear, *, jobs: int,
                occupied_share: float) -> tuple[YearLedger, np.ndarray]:
    """The year's ledger (flows per resource, delivering contracts, services) and each firm's profit
    before fines (EUR/yr, per position)."""
    cat, subs, tr = world.catalogue, world.subs, world.transport
    n, n_res = len(state), len(cat.resource_ids)
    c = contracts
    rows = c.active_rows()
    rows = rows[c.delivered[rows] > 0]
    sp, bp, s = state.positions(c.supplier[rows]), state.positions(c.buyer[rows]), c.substitution[rows]
    r, i, q, dist = subs.residue[s], subs.input[s], c.delivered[rows], c.distance_km[rows]
    out = np.bincount(sp * n_res + r, q, n * n_res).reshape(n, n_res)
    inn = np.bincount(bp * n_res + i, q * subs.ratio[s], n * n_res).reshape(n, n_res)
    generated, demand = state.generated, state.demand
    disposed = np.maximum(generated - out, 0.0)
    virgin = np.maximum(demand - inn, 0.0)

    supplier_pays, buyer_pays = yearly_payments(s, dist, q, c.price[rows], c.fixed_cost[rows], subs, tr, effects)
    # Shared services: each member pays its payment instead of its stand-alone cost (the part of
    # the disposal and virgin bills above the service spares it, or the implicit cost of buying
    # an accessory service alone).
    # Pre-treatment plants: their owners pay the annuity every year of their life, used or not.
    plant_cost, plant_public = plants.yearly_cost(year, state.positions, n)
    cost = (disposed @ effects.disposal_cost + virgin @ effects.virgin_cost
            + np.bincount(sp, supplier_pays, n) + np.bincount(bp, buyer_pays, n) + plant_cost) - sy.saving
    arch = world.archetypes
    reference = state.output * arch.reference_cost_eur[state.archetype]
    # What the plan's price instruments add to the firm's outside routes and virgin purchases (the
    # landfill tax and the routes it makes a residue take, the levy): the archetype's sourced share
    # of it is passed on to its output price; the rest, and every exchange, comes out of the margin.
    instrument_cost = (disposed @ (effects.disposal_cost - cat.outside_cost)
                       + virgin @ (effects.virgin_cost - cat.virgin_price))
    profit = (state.output * arch.margin_eur[state.archetype] - (cost - reference)
              + arch.pass_through[state.archetype] * instrument_cost)

    surplus = q * unit_surplus(s, dist, subs, tr, effects) - c.fixed_cost[rows]
    levy = effects.virgin_cost - cat.virgin_price
    support_paid, tax_forgone = public_money(s, dist, q, subs, tr, effects, levy)
    co2 = co2_avoided_t(q, s, dist, effects.disposal_co2, cat.co2_virgin, subs, tr)
    disposed = np.maximum(disposed - sy.exchanged - sy.treated, 0.0)
    virgin = np.maximum(virgin - sy.received, 0.0)
    recycled, in_house = state.recycled_in_house, state.in_house_input
    ceramic = arch.ceramic[state.archetype]
    body, ceramic_residue = cat.ceramic_body, cat.ceramic_residue
    ledger = YearLedger(
        year=year, firm_uids=state.uid.copy(), jobs=jobs,
        plots_occupied_share=occupied_share, generated=generated.sum(0),
        exchanged=out.sum(0) + sy.exchanged.sum(0), disposed=disposed.sum(0),
        demand=(demand + in_house).sum(0), received=inn.sum(0) + sy.received.sum(0), virgin=virgin.sum(0),
        recycled_in_house=recycled.sum(0), in_house_input=in_house.sum(0),
        ceramic_body_need_t=float((demand + in_house)[ceramic][:, body].sum()),
        ceramic_body_recycled_t=float((in_house + inn + sy.received)[ceramic][:, body].sum()),
        ceramic_residue_generated_t=float((generated + recycled)[ceramic][:, ceramic_residue].sum()),
        ceramic_residue_recovered_t=float(recycled[ceramic][:, ceramic_residue].sum()
                                          + q[ceramic[bp] & body[i]].sum()),
        supplier=c.supplier[rows].copy(), buyer=c.buyer[rows].copy(), residue=r, delivered=q,
        distance_km=dist, surplus_eur=surplus, co2_avoided_t=co2, treated=sy.treated.sum(0),
        service_firms=state.uid[sy.in_service], utility_firms=state.uid[sy.in_utility],
        accessory_firms=state.uid[sy.in_accessory], services_active=sy.active,
        service_memberships=sy.memberships, service_savings_eur=sy.private_savings_eur,
        service_public_eur=sy.public_eur,
        service_co2_avoided_t=float(sy.exchanged.sum(0) @ effects.disposal_co2 + sy.received.sum(0) @ cat.co2_virgin),
        outside_route=cat.routes.per_resource(cat.routes.kind, effects.outside_route, none=""),
        landfill_tax_eur=float(disposed.sum(0) @ effects.landfill_tax),
        virgin_levy_eur=float(virgin.sum(0) @ levy),
        truck_tax_eur=float((q * effects.transport_surcharge[r] * dist).sum()),
        exchange_support_eur=float(support_paid.sum()) + plant_public,
        exchange_tax_forgone_eur=float(tax_forgone.sum()), plant_cost_eur=float(plant_cost.sum()))
    return ledger, profit
