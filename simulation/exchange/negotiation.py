"""Negotiation of by-product exchanges: who signs, for how much, at which price (ODD §7, step 5).

Each candidate is valued by the joint surplus of :mod:`simulation.exchange.surplus`,

    S = q·(disposal_cost_avoided + ratio·virgin_price_avoided + subsidy − transport − treatment) − F

(EUR/yr; F is the yearly transaction cost plus annualised pipe capex, shared equally). Distrust
raises what each side must be sure to gain (its disagreement point) to ``ρ·(1 − τ)`` of its own
stake at risk (its share of the unit surplus a default would destroy,
:func:`~simulation.exchange.surplus.stakes_at_risk`); a contract forms when it carries at least the
minimum viable flow and S exceeds both disagreement points together, and the price
gives each side its disagreement point plus its bargaining-power share of the rest (asymmetric
Nash bargaining). Candidates are settled greedily by decreasing surplus, each contract reducing
what the supplier has left and what the buyer can still substitute. Renewals use the same rule
(:func:`bargain`).
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np

from simulation.exchange.contracts import ContractBook, Status
from simulation.exchange.market import Market, Terms
from simulation.exchange.search import Candidates
from simulation.exchange.surplus import (
    fixed_yearly_cost,
    minimum_viable_flow,
    nash_price,
    stakes_at_risk,
    supplier_unit_value,
    unit_surplus,
)
from simulation.exchange.trust import TrustLedger
from simulation.policy.effects import Incentive, PolicyEffects
from simulation.world import SubstitutionTable, Transport


@dataclass
class Deals:
    """Contracts agreed this year (positions ``n`` in the Market)."""

    supplier: np.ndarray
    buyer: np.ndarray
    row: np.ndarray
    quantity: np.ndarray
    price: np.ndarray
    unit_surplus: np.ndarray
    fixed_cost: np.ndarray
    distance_km: np.ndarray
    contract: np.ndarray      # row of the standing contract a deal tops up, -1 for a new contract
    invest: np.ndarray        # new pre-treatment capacity the supplier builds for it, residue units/yr

    def __len__(self) -> int:
        return len(self.supplier)


def negotiate(market: Market, candidates: Candidates, subs: SubstitutionTable, transport: Transport,
              effects: PolicyEffects, terms: Terms, trust_of, standing: np.ndarray | None = None,
              eps: float = 1e-9) -> Deals:
    """Settle candidates greedily by decreasing surplus; update ``market`` in place.

    ``trust_of(supplier_uid_array, buyer_uid_array)`` returns each pair's trust in [0, 1].
    ``standing`` (per candidate, :func:`~simulation.exchange.search.standing_contract_of`) names
    the active contract a candidate would top up, ``-1`` for a new pair: a top-up carries no new
    fixed cost (the route, paperwork and pipe exist) and no minimum flow of its own. On a row that
    needs a pre-treatment plant (:mod:`simulation.exchange.plants`) a deal uses the supplier's free
    capacity (``market.capacity_left``) first and builds the rest, and must cover that capacity's
    annuity (its private share) as well.
    """
    if len(candidates) == 0:
        return _no_deals()
    rows, dist = candidates.row, candidates.distance_km
    sup, buy = candidates.supplier, candidates.buyer
    r, i = subs.residue[rows], subs.input[rows]
    s_unit = unit_surplus(rows, dist, subs, transport, effects)
    standing = np.full(len(rows), -1, dtype=np.int64) if standing is None else standing
    top_up = standing >= 0
    fixed = np.where(top_up, 0.0,
                     fixed_yearly_cost(rows, dist, subs, transport, terms.transaction_cost_eur_per_yr, effects))
    stake_s, stake_b = stakes_at_risk(s_unit, terms.bargaining_power_supplier)
    trust = trust_of(market.uid[sup], market.uid[buy])
    distrust = terms.risk_premium_share * (1.0 - trust)
    min_flow = np.where(top_up, 0.0, minimum_viable_flow(rows, subs, transport, terms.min_viable_flow_t))
    # Upper bound on quantity: what is left now. Deals only shrink it, so this screens candidates.
    q_max = np.minimum(market.supply_left[sup, r],
                       np.minimum(market.row_cap_left[buy, rows], market.input_left[buy, i]) / subs.ratio[rows])
    threshold_unit = distrust * (stake_s + stake_b)
    incentive = effects.incentive
    bonus = (incentive.bonus(buy, rows, q_max * subs.ratio[rows]) if incentive is not None
             else np.zeros(len(rows)))
    n_sub = market.row_cap_left.shape[1]
    capacity = capacity_left(market, subs)
    unit_annuity = subs.capacity_annuity[rows] * (1.0 - effects.treatment_subsidy_share)
    build = np.maximum(q_max - capacity.ravel()[sup * n_sub + rows], 0.0)
    viable = (q_max >= min_flow) & (q_max * (s_unit - threshold_unit) - fixed - build * unit_annuity + bonus > 0)
    order = np.flatnonzero(viable)
    # Greedy by decreasing surplus; ties broken by (supplier, buyer, row) uid order for determinism.
    total = q_max[order] * s_unit[order] - fixed[order] - build[order] * unit_annuity[order] + bonus[order]
    order = order[np.lexsort((rows[order], market.uid[buy[order]], market.uid[sup[order]], -total))]
    picked, quantities, invests, bonuses = _allocate_greedily(
        order, market, sup * market.supply_left.shape[1] + r, buy * n_sub + rows,
        buy * market.input_left.shape[1] + i, subs.ratio[rows], s_unit - threshold_unit, fixed,
        np.maximum(min_flow, eps), (capacity, sup * n_sub + rows, unit_annuity), _bonus_terms(incentive, buy, rows))
    if not picked:
        return _no_deals()
    c = np.array(picked)
    q = np.array(quantities)
    invest = np.array(invests)
    _, price = bargain(rows[c], dist[c], q, trust[c], fixed[c] + invest * unit_annuity[c], subs, transport, effects,
                       terms, None if bonuses is None else np.array(bonuses))
    return Deals(sup[c], buy[c], rows[c], q, price, s_unit[c], fixed[c], dist[c], standing[c], invest)


def capacity_left(market: Market, subs: SubstitutionTable) -> np.ndarray:
    """Free pre-treatment capacity per (firm position, row), residue units/yr: the market's, and
    unlimited on rows that need no plant."""
    n, n_sub = market.row_cap_left.shape
    free = np.full((n, n_sub), np.inf)
    if market.capacity_left is not None:
        needs = subs.needs_plant
        free[:, needs] = market.capacity_left[:, needs]
    return free


def _bonus_terms(incentive: Incentive | None, buy: np.ndarray, rows: np.ndarray):
    """Per candidate: the buyer's position and its EUR per input unit of shortfall closed (or None)."""
    if incentive is None:
        return None
    short = incentive.shortfall[buy]
    counts = incentive.rows[rows] & (short > 0)
    with np.errstate(divide="ignore", invalid="ignore"):
        rate = np.where(counts, incentive.fine_rate[buy] / short, 0.0)
    return buy, rate, incentive.shortfall


def bargain(rows: np.ndarray, distance_km: np.ndarray, quantity: np.ndarray, trust: np.ndarray,
            fixed_cost: np.ndarray, subs: SubstitutionTable, transport: Transport, effects: PolicyEffects,
            terms: Terms, buyer_bonus: np.ndarray | None = None) -> tuple[np.ndarray, np.ndarray]:
    """Whether each exchange clears both sides' disagreement points, and its Nash price per unit.

    Used for new deals and for renewals, so both follow the same rule. ``buyer_bonus`` (EUR/yr per
    exchange) is a committed buyer's expected fine avoided (:class:`Incentive`); none by default.
    """
    bonus = 0.0 if buyer_bonus is None else buyer_bonus
    s_unit = unit_surplus(rows, distance_km, subs, transport, effects)
    stake_s, stake_b = stakes_at_risk(s_unit, terms.bargaining_power_supplier)
    distrust = terms.risk_premium_share * (1.0 - trust)
    d_s, d_b = quantity * distrust * stake_s, quantity * distrust * stake_b
    agreed = ((quantity > 0) & (quantity >= minimum_viable_flow(rows, subs, transport, terms.min_viable_flow_t))
              & (quantity * s_unit - fixed_cost + bonus > d_s + d_b))
    supplier_value = supplier_unit_value(rows, distance_km, subs, transport, effects)
    with np.errstate(divide="ignore", invalid="ignore"):
        price = nash_price(quantity, s_unit, fixed_cost, supplier_value, d_s, d_b, terms.bargaining_power_supplier,
                           bonus)
    return agreed, price


def _touched_entries(tables, order: np.ndarray) -> list[dict[int, float]]:
    """For each (table, flat keys), the entries the candidates in ``order`` touch, as a dict the
    greedy loop updates with plain Python floats."""
    left = []
    for table, keys in tables:
        touched = np.unique(keys[order])
        left.append(dict(zip(touched.tolist(), np.take(table, touched).tolist())))
    return left


def _write_back(tables, left: list[dict[int, float]]) -> None:
    """Store what the greedy loop left of each touched entry back into its table."""
    for (table, _), state in zip(tables, left):
        np.put(table, np.fromiter(state.keys(), dtype=np.int64, count=len(state)),
               np.fromiter(state.values(), dtype=float, count=len(state)))


def _allocate_greedily(order, market: Market, supply_key, row_key, input_key, ratio, margin, fixed, floor, plants,
                       bonus_terms=None):
    """Walk candidates in ``order``; sign each that still clears its threshold with what is left.

    ``floor`` is each candidate's smallest acceptable quantity (its minimum viable flow, at least
    the numerical ``eps``). ``plants`` = (free capacity per firm × row, each candidate's flat key
    into it, its annuity per unit of new capacity, EUR/yr): a deal uses free capacity first and
    pays the annuity of what it must build.

    Works on flat keys into the market's (firm × resource) and (firm × row) tables, holding the
    touched entries in dicts: this loop is the one sequential step of negotiation, so it is kept
    to plain Python scalars. Writes what is left back into ``market``. With ``bonus_terms``
    (committed buyers, :func:`_bonus_terms`) each deal also counts the expected fine its buyer
    avoids on the part of its shortfall still open, and the shortfall shrinks as deals are signed.
    Returns the picked candidates, their quantities, the capacity each builds, and the bonuses
    (``None`` without commitments).
    """
    if bonus_terms is not None:
        return _allocate_with_bonus(order, market, supply_key, row_key, input_key, ratio, margin, fixed, floor,
                                    plants, bonus_terms)
    capacity, capacity_key, unit_annuity = plants
    tables = ((market.supply_left, supply_key), (market.row_cap_left, row_key), (market.input_left, input_key),
              (capacity, capacity_key))
    left = _touched_entries(tables, order)
    supply, row_cap, need, free = left
    picked, quantities, builds = [], [], []
    for c, ks, kr, ki, kc, rt, m, f, lo, a in zip(
            order.tolist(), supply_key[order].tolist(), row_key[order].tolist(), input_key[order].tolist(),
            capacity_key[order].tolist(), ratio[order].tolist(), margin[order].tolist(), fixed[order].tolist(),
            floor[order].tolist(), unit_annuity[order].tolist()):
        room = row_cap[kr]
        if need[ki] < room:
            room = need[ki]
        q = supply[ks]
        if room / rt < q:
            q = room / rt
        build = q - free[kc] if q > free[kc] else 0.0
        if q < lo or q * m - f - build * a <= 0:
            continue
        supply[ks] -= q
        row_cap[kr] -= q * rt
        need[ki] -= q * rt
        free[kc] -= q - build
        picked.append(c)
        quantities.append(q)
        builds.append(build)
    _write_back(tables, left)
    return picked, quantities, builds, None


def _allocate_with_bonus(order, market: Market, supply_key, row_key, input_key, ratio, margin, fixed, floor, plants,
                         bonus_terms):
    """:func:`_allocate_greedily` for a year with committed buyers (kept apart: the common loop stays lean)."""
    buyer, rate, shortfall = bonus_terms
    capacity, capacity_key, unit_annuity = plants
    tables = ((market.supply_left, supply_key), (market.row_cap_left, row_key), (market.input_left, input_key),
              (capacity, capacity_key))
    left = _touched_entries(tables, order)
    supply, row_cap, need, free = left
    short = dict(zip(np.unique(buyer[order]).tolist(), shortfall[np.unique(buyer[order])].tolist()))
    picked, quantities, builds, bonuses = [], [], [], []
    for c, ks, kr, ki, kc, rt, m, f, lo, a, b, br in zip(
            order.tolist(), supply_key[order].tolist(), row_key[order].tolist(), input_key[order].tolist(),
            capacity_key[order].tolist(), ratio[order].tolist(), margin[order].tolist(), fixed[order].tolist(),
            floor[order].tolist(), unit_annuity[order].tolist(), buyer[order].tolist(), rate[order].tolist()):
        room = min(row_cap[kr], need[ki])
        q = min(supply[ks], room / rt)
        build = max(q - free[kc], 0.0)
        closed = min(q * rt, short[b]) if br > 0 else 0.0
        bonus = br * closed
        if q < lo or q * m - f - build * a + bonus <= 0:
            continue
        supply[ks] -= q
        row_cap[kr] -= q * rt
        need[ki] -= q * rt
        free[kc] -= q - build
        if br > 0:
            short[b] -= closed
        picked.append(c)
        quantities.append(q)
        builds.append(build)
        bonuses.append(bonus)
    _write_back(tables, left)
    return picked, quantities, builds, bonuses


def _no_deals() -> Deals:
    e = np.zeros(0, dtype=np.int64)
    f = np.zeros(0)
    return Deals(e, e.copy(), e.copy(), f, f.copy(), f.copy(), f.copy(), f.copy(), e.copy(), f.copy())




def renew_or_expire(rows: np.ndarray, year: int, contracts: ContractBook, subs: SubstitutionTable,
                    transport: Transport, effects: PolicyEffects, terms: Terms, trust: TrustLedger,
                    duration_years: int, bonus: np.ndarray | None, market: Market,
                    supplier_pos: np.ndarray, buyer_pos: np.ndarray) -> None:
    """Renegotiate expiring contracts (``rows``) by :func:`bargain` at today's prices, transaction
    costs and trust; those that no longer pay both sides expire. The new quantity is what the pair
    can now trade: this year's delivery plus what the supplier has left over this year and the buyer
    can still substitute (``market`` after the year's deals and services; supplier and buyer at
    positions ``supplier_pos``, ``buyer_pos``), shared among expiring contracts in row order. So a
    contract grows when both sides have room, and shrinks only when one has less. ``bonus``: a
    bound buyer's expected fine avoided by renewing, EUR/yr."""
    c = contracts
    s, dist = c.substitution[rows], c.distance_km[rows]
    q = c.delivered[rows] + _room_left(market, supplier_pos, buyer_pos, s, subs)
    fixed = fixed_yearly_cost(s, dist, subs, transport, terms.transaction_cost_eur_per_yr, effects)
    renew, price = bargain(s, dist, q, trust.of(c.supplier[rows], c.buyer[rows]), fixed, subs, transport, effects,
                           terms, bonus)
    c.close(rows[~renew], year, Status.EXPIRED)
    kept = rows[renew]
    c.end_year[kept] = year + duration_years
    c.quantity[kept], c.price[kept], c.fixed_cost[kept] = q[renew], price[renew], fixed[renew]
    c.unit_surplus[kept] = unit_surplus(s[renew], dist[renew], subs, transport, effects)
    c.renewals[kept] += 1


def _room_left(market: Market, supplier_pos: np.ndarray, buyer_pos: np.ndarray, rows: np.ndarray,
               subs: SubstitutionTable, eps: float = 1e-9) -> np.ndarray:
    """Residue units each exchange (supplier, buyer, substitution row) could add from what the
    market has left, taken in order so that two exchanges never share the same leftover; takes it
    from ``market``. An exchange on a row that needs a pre-treatment plant adds nothing here: more
    capacity is an investment, decided in negotiation (a top-up)."""
    n_res, n_sub = market.supply_left.shape[1], market.row_cap_left.shape[1]
    grows = np.flatnonzero(~subs.needs_plant[rows])
    rows_g, sup, buy = rows[grows], supplier_pos[grows], buyer_pos[grows]
    r, i = subs.residue[rows_g], subs.input[rows_g]
    unlimited = (np.full(1, np.inf), np.zeros(len(rows_g), dtype=np.int64), np.zeros(len(rows_g)))
    picked, quantities, _, _ = _allocate_greedily(
        np.arange(len(rows_g)), market, sup * n_res + r, buy * n_sub + rows_g, buy * n_res + i, subs.ratio[rows_g],
        np.ones(len(rows_g)), np.zeros(len(rows_g)), np.full(len(rows_g), eps), unlimited)
    extra = np.zeros(len(rows))
    extra[grows[np.array(picked, dtype=np.int64)]] = quantities
    return extra


def sign(contracts: ContractBook, deals: Deals, uid: np.ndarray, year: int, duration_years: int,
         discovery_year: np.ndarray | None = None) -> None:
    """Enter the year's deals (positions ``n``, firms named by ``uid``): new pairs as active
    contracts from ``year``, delivering their quantity this year, for ``duration_years``; a deal on
    a standing contract tops it up (quantity and this year's delivery grow, price and unit surplus
    become the quantity-weighted means of the old terms and the top-up's). ``discovery_year``: when
    each new pair's synergy was discovered (default: this year)."""
    c = contracts
    up = deals.contract >= 0
    if up.any():
        rows, q = deals.contract[up], deals.quantity[up]
        total = c.quantity[rows] + q
        c.price[rows] = (c.quantity[rows] * c.price[rows] + q * deals.price[up]) / total
        c.unit_surplus[rows] = (c.quantity[rows] * c.unit_surplus[rows] + q * deals.unit_surplus[up]) / total
        c.quantity[rows] = total
        c.delivered[rows] += q
        c.top_ups[rows] += 1
    new = ~up
    n = int(new.sum())
    contracts.add(
        supplier=uid[deals.supplier[new]], buyer=uid[deals.buyer[new]], substitution=deals.row[new],
        quantity=deals.quantity[new], price=deals.price[new], unit_surplus=deals.unit_surplus[new],
        fixed_cost=deals.fixed_cost[new], distance_km=deals.distance_km[new],
        start_year=np.full(n, year), end_year=np.full(n, year + duration_years - 1),
        status=np.full(n, Status.ACTIVE), delivered=deals.quantity[new],
        discovery_year=np.full(n, year) if discovery_year is None else discovery_year)


def break_contracts(contracts: ContractBook, draws: np.ndarray, probability: float, year: int,
                    trust: TrustLedger, trust_loss: float) -> None:
    """Break the active contracts whose uniform ``draws`` (one per active contract, in row order)
    fall below ``probability``; a break cuts the pair's trust by the share ``trust_loss``."""
    broken = contracts.active_rows()[draws < probability]
    contracts.close(broken, year, Status.BROKEN)
    trust.punish(contracts.supplier[broken], contracts.buyer[broken], trust_loss)
