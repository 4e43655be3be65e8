"""Matchmaking and negotiation of by-product exchanges (DESIGN §1, steps 4-5).

Matchmaking finds **candidates**: a supplier with a residue left over, a buyer with input demand
that residue may still replace, within transport reach and within what the two firms know (their
radius of action, or the whole district when the facilitator is on). The search is a batched
``cKDTree`` query per substitution row: each firm on the smaller side looks at its
``candidates_per_firm`` nearest partners, so the cost grows as N log N, never N².

Negotiation values each candidate by the surplus formula

    S = q·(disposal_cost_avoided + ratio·virgin_price_avoided + subsidy − transport − treatment) − F

(EUR/yr; F is the yearly transaction cost plus annualised pipe capex, shared equally). Distrust
raises what each side must be sure to gain (its disagreement point) to ``ρ·(1 − τ)`` of its own
value at stake; a contract forms when S exceeds both disagreement points together, and the price
gives each side its disagreement point plus its bargaining-power share of the rest (asymmetric
Nash bargaining). Candidates are settled greedily by decreasing surplus, each contract reducing
what the supplier has left and what the buyer can still substitute.

Other mechanisms (a platform's proposals, the authority's allocation) can feed
:func:`negotiate` with their own :class:`Candidates`.
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np
from scipy.spatial import cKDTree

from simulation.inputs.catalogue import Catalogue


@dataclass(frozen=True)
class SubstitutionTable:
    """The catalogue's substitution rows as arrays (index ``s``)."""

    residue: np.ndarray     # resource index of the residue
    input: np.ndarray       # resource index of the input it replaces
    ratio: np.ndarray       # input units per residue unit
    max_share: np.ndarray   # of the buyer's demand of the input
    treatment: np.ndarray   # EUR per residue unit

    @classmethod
    def from_catalogue(cls, catalogue: Catalogue) -> "SubstitutionTable":
        subs = catalogue.substitutions
        return cls(
            residue=np.array([catalogue.index(s.residue) for s in subs], dtype=np.int64),
            input=np.array([catalogue.index(s.input) for s in subs], dtype=np.int64),
            ratio=np.array([s.ratio.value for s in subs], dtype=float),
            max_share=np.array([s.max_share.value for s in subs], dtype=float),
            treatment=np.array([s.treatment_cost.value for s in subs], dtype=float),
        )

    def __len__(self) -> int:
        return len(self.residue)


@dataclass(frozen=True)
class Transport:
    """Per-resource transport terms (index ``r``); pipes carry an annualised capex per km."""

    fixed: np.ndarray            # EUR per unit
    per_km: np.ndarray           # EUR per unit per km
    max_km: np.ndarray
    co2_per_km: np.ndarray       # tCO2 per unit per km
    pipe_eur_per_km_yr: np.ndarray  # annualised pipe capex, EUR per km per year (0 for trucks)

    @classmethod
    def from_catalogue(cls, catalogue: Catalogue, discount_rate: float) -> "Transport":
        n = len(catalogue.resource_ids)
        fixed, per_km, max_km, co2, pipe = (np.zeros(n) for _ in range(5))
        for r, rid in enumerate(catalogue.resource_ids):
            t = catalogue.resources[rid].transport
            if t is None:
                continue
            fixed[r], per_km[r], max_km[r] = t.fixed_cost.value, t.cost_per_km.value, t.max_distance.value
            co2[r] = t.co2_per_km.value
            if t.mode == "pipe":
                pipe[r] = t.capex_per_m.value * 1000 * capital_recovery_factor(discount_rate, t.lifetime.value)
        return cls(fixed, per_km, max_km, co2, pipe)


def capital_recovery_factor(rate: float, years: float) -> float:
    """Share of a capital cost paid each year to repay it over ``years`` at ``rate``."""
    if rate == 0:
        return 1.0 / years
    return rate / (1.0 - (1.0 + rate) ** -years)


@dataclass(frozen=True)
class Prices:
    """This year's prices after policy, per resource unit (index ``r``)."""

    disposal_cost: np.ndarray   # gate fee + landfill tax
    virgin_cost: np.ndarray     # virgin price + levy
    subsidy: np.ndarray         # public payment per unit exchanged (paid to the supplier)
    treatment_subsidy_share: float = 0.0  # public share of every row's pre-treatment cost


@dataclass(frozen=True)
class Terms:
    """Negotiation parameters of the year."""

    bargaining_power_supplier: float
    risk_premium_share: float
    initial_trust: float
    transaction_cost_eur_per_yr: float  # per contract, after any facilitator reduction
    candidates_per_firm: int
    district_wide_search: bool          # facilitator: partners beyond one's radius are visible
    platform_candidates_per_firm: int = 0   # partners the platform lists for published flows
    platform_reach_km: float = np.inf       # farthest partner the platform lists
    pipe_capex_subsidy_share: float = 0.0   # public share of pipe capex


@dataclass
class Market:
    """What firms have left to trade this year, indexed by position ``n`` in this year's firm arrays."""

    uid: np.ndarray              # firm unique_id per position
    xy_km: np.ndarray            # (N, 2)
    radius_km: np.ndarray        # (N,)
    supply_left: np.ndarray      # (N, R) residue units not yet committed
    input_left: np.ndarray       # (N, R) input demand not yet met by exchanges
    row_cap_left: np.ndarray     # (N, S) input units row s may still replace at each buyer
    published: np.ndarray | None = None      # (N,) bool: flows listed on the platform (a commitment)
    incentive: "Incentive | None" = None     # committed buyers' value of secondary inputs


@dataclass
class Incentive:
    """What reaching a secondary-input commitment is worth to each committed buyer this year.

    A buyer bound to a minimum share of secondary material inputs, and still short of it, values
    the first ``shortfall`` input units it receives over the rows in ``rows`` at the expected fine
    it avoids: ``fine_rate × min(q_in, shortfall) / shortfall`` EUR/yr for ``q_in`` input units
    (so at most ``fine_rate``). Positions ``n`` as in the Market.
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


@dataclass
class Candidates:
    """Candidate exchanges as parallel arrays (positions ``n`` in the Market)."""

    supplier: np.ndarray
    buyer: np.ndarray
    row: np.ndarray
    distance_km: np.ndarray

    def __len__(self) -> int:
        return len(self.supplier)

    @classmethod
    def empty(cls) -> "Candidates":
        e = np.zeros(0, dtype=np.int64)
        return cls(e, e.copy(), e.copy(), np.zeros(0))

    @classmethod
    def concat(cls, parts: list["Candidates"]) -> "Candidates":
        if not parts:
            return cls.empty()
        return cls(*(np.concatenate([getattr(p, f) for p in parts])
                     for f in ("supplier", "buyer", "row", "distance_km")))


def _nearest_pairs(origin_xy: np.ndarray, target_xy: np.ndarray, k: int,
                   max_km: float) -> tuple[np.ndarray, np.ndarray, np.ndarray, np.ndarray]:
    """For each origin, its ``k`` nearest targets within ``max_km``: (origin, target, distance, rank)."""
    k = min(k, len(target_xy))
    # cKDTree's bound is strict; nudge it so that exactly max_km is within reach, as the radius is.
    dist, idx = cKDTree(target_xy, balanced_tree=False, compact_nodes=False).query(
        origin_xy, k=k, distance_upper_bound=np.nextafter(max_km, np.inf))
    dist, idx = dist.reshape(len(origin_xy), k), idx.reshape(len(origin_xy), k)
    found = np.isfinite(dist)
    origin = np.broadcast_to(np.arange(len(origin_xy))[:, None], dist.shape)[found]
    rank = np.broadcast_to(np.arange(k)[None, :], dist.shape)[found]
    return origin, idx[found], dist[found], rank


def find_candidates(market: Market, subs: SubstitutionTable, transport: Transport,
                    terms: Terms, eps: float = 1e-9) -> Candidates:
    """Every known, reachable (supplier, buyer, substitution) triple with something left to trade.

    A querying firm examines its ``candidates_per_firm`` nearest partners; a pair is known when it
    is within either firm's radius of action, or (facilitator active) within the platform's reach.
    A firm whose flows are published (a commitment) is listed by the platform: pairs involving it
    are known among the querying firm's ``platform_candidates_per_firm`` nearest, within the reach.
    """
    published = market.published if market.published is not None and market.published.any() else None
    k = terms.candidates_per_firm
    k_query = max(k, terms.platform_candidates_per_firm) if published is not None else k
    parts = []
    for s in range(len(subs)):
        r, i = subs.residue[s], subs.input[s]
        suppliers = np.flatnonzero(market.supply_left[:, r] > eps)
        buyers = np.flatnonzero(np.minimum(market.row_cap_left[:, s], market.input_left[:, i]) > eps)
        if len(suppliers) == 0 or len(buyers) == 0:
            continue
        max_km = transport.max_km[r]
        if len(suppliers) <= len(buyers):
            o, t, d, rank = _nearest_pairs(market.xy_km[suppliers], market.xy_km[buyers], k_query, max_km)
            sup, buy = suppliers[o], buyers[t]
        else:
            o, t, d, rank = _nearest_pairs(market.xy_km[buyers], market.xy_km[suppliers], k_query, max_km)
            sup, buy = suppliers[t], buyers[o]
        known = d <= np.maximum(market.radius_km[sup], market.radius_km[buy])
        if terms.district_wide_search:
            known |= d <= terms.platform_reach_km
        known &= rank < k
        if published is not None:
            known |= (published[sup] | published[buy]) & (rank < terms.platform_candidates_per_firm) & (
                d <= terms.platform_reach_km)
        keep = (sup != buy) & known
        if keep.any():
            parts.append(Candidates(sup[keep], buy[keep], np.full(keep.sum(), s), d[keep]))
    return Candidates.concat(parts)


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

    def __len__(self) -> int:
        return len(self.supplier)


def unit_surplus(rows: np.ndarray, distance_km: np.ndarray, subs: SubstitutionTable,
                 transport: Transport, prices: Prices) -> np.ndarray:
    """Surplus per unit of residue exchanged, EUR (before fixed yearly costs)."""
    r, i = subs.residue[rows], subs.input[rows]
    return (prices.disposal_cost[r] + subs.ratio[rows] * prices.virgin_cost[i] + prices.subsidy[r]
            - transport.fixed[r] - transport.per_km[r] * distance_km
            - subs.treatment[rows] * (1.0 - prices.treatment_subsidy_share))


def fixed_yearly_cost(rows: np.ndarray, distance_km: np.ndarray, subs: SubstitutionTable,
                      transport: Transport, terms: Terms) -> np.ndarray:
    """Transaction cost plus annualised pipe capex (less its public share), EUR/yr per contract."""
    return terms.transaction_cost_eur_per_yr + transport.pipe_eur_per_km_yr[subs.residue[rows]] * distance_km * (
        1.0 - terms.pipe_capex_subsidy_share)


def stakes(rows: np.ndarray, subs: SubstitutionTable, prices: Prices) -> tuple[np.ndarray, np.ndarray]:
    """Value at stake per unit of residue for (supplier, buyer): what each loses if the other defaults."""
    r, i = subs.residue[rows], subs.input[rows]
    return prices.disposal_cost[r], subs.ratio[rows] * prices.virgin_cost[i]


def nash_price(quantity, surplus_per_unit, fixed_cost, supplier_unit_value, disagreement_supplier,
               disagreement_buyer, bargaining_power_supplier, buyer_bonus=0.0):
    """Price per residue unit giving the supplier ``d_s + β·(S − d_s − d_b)`` of the surplus ``S``.

    ``supplier_unit_value`` is what one unit exchanged is worth to the supplier before the price
    (disposal avoided + subsidy − transport − treatment); the supplier bears half of ``fixed_cost``.
    ``buyer_bonus`` (EUR/yr) is the expected fine a committed buyer avoids with the deal: part of
    the joint surplus, so the price shares it too.
    """
    total = quantity * surplus_per_unit - fixed_cost + buyer_bonus
    supplier_gain = disagreement_supplier + bargaining_power_supplier * (
        total - disagreement_supplier - disagreement_buyer)
    return (supplier_gain + fixed_cost / 2) / quantity - supplier_unit_value


def negotiate(market: Market, candidates: Candidates, subs: SubstitutionTable, transport: Transport,
              prices: Prices, terms: Terms, trust_of, eps: float = 1e-9) -> Deals:
    """Settle candidates greedily by decreasing surplus; update ``market`` in place.

    ``trust_of(supplier_uid_array, buyer_uid_array)`` returns each pair's trust in [0, 1].
    """
    if len(candidates) == 0:
        return _no_deals()
    rows, dist = candidates.row, candidates.distance_km
    sup, buy = candidates.supplier, candidates.buyer
    r, i = subs.residue[rows], subs.input[rows]
    s_unit = unit_surplus(rows, dist, subs, transport, prices)
    fixed = fixed_yearly_cost(rows, dist, subs, transport, terms)
    stake_s, stake_b = stakes(rows, subs, prices)
    trust = trust_of(market.uid[sup], market.uid[buy])
    distrust = terms.risk_premium_share * (1.0 - trust)
    # Upper bound on quantity: what is left now. Deals only shrink it, so this screens candidates.
    q_max = np.minimum(market.supply_left[sup, r],
                       np.minimum(market.row_cap_left[buy, rows], market.input_left[buy, i]) / subs.ratio[rows])
    threshold_unit = distrust * (stake_s + stake_b)
    incentive = market.incentive
    bonus = (incentive.bonus(buy, rows, q_max * subs.ratio[rows]) if incentive is not None
             else np.zeros(len(rows)))
    viable = q_max * (s_unit - threshold_unit) - fixed + bonus > 0
    order = np.flatnonzero(viable)
    # Greedy by decreasing surplus; ties broken by (supplier, buyer, row) uid order for determinism.
    total = q_max[order] * s_unit[order] - fixed[order] + bonus[order]
    order = order[np.lexsort((rows[order], market.uid[buy[order]], market.uid[sup[order]], -total))]
    picked, quantities, bonuses = _allocate_greedily(
        order, market, sup * market.supply_left.shape[1] + r, buy * market.row_cap_left.shape[1] + rows,
        buy * market.input_left.shape[1] + i, subs.ratio[rows], s_unit - threshold_unit, fixed, eps,
        _bonus_terms(incentive, buy, rows))
    if not picked:
        return _no_deals()
    c = np.array(picked)
    q = np.array(quantities)
    _, price = bargain(rows[c], dist[c], q, trust[c], fixed[c], subs, transport, prices, terms,
                       None if bonuses is None else np.array(bonuses))
    return Deals(sup[c], buy[c], rows[c], q, price, s_unit[c], fixed[c], dist[c])


def _bonus_terms(incentive: "Incentive | None", buy: np.ndarray, rows: np.ndarray):
    """Per candidate: the buyer's position and its EUR per input unit of shortfall closed (or None)."""
    if incentive is None:
        return None
    short = incentive.shortfall[buy]
    counts = incentive.rows[rows] & (short > 0)
    with np.errstate(divide="ignore", invalid="ignore"):
        rate = np.where(counts, incentive.fine_rate[buy] / short, 0.0)
    return buy, rate, incentive.shortfall


def bargain(rows: np.ndarray, distance_km: np.ndarray, quantity: np.ndarray, trust: np.ndarray,
            fixed_cost: np.ndarray, subs: SubstitutionTable, transport: Transport, prices: Prices,
            terms: Terms, buyer_bonus: np.ndarray | None = None) -> tuple[np.ndarray, np.ndarray]:
    """Whether each exchange clears both sides' disagreement points, and its Nash price per unit.

    Used for new deals and for renewals, so both follow the same rule. ``buyer_bonus`` (EUR/yr per
    exchange) is a committed buyer's expected fine avoided (:class:`Incentive`); none by default.
    """
    r = subs.residue[rows]
    bonus = 0.0 if buyer_bonus is None else buyer_bonus
    s_unit = unit_surplus(rows, distance_km, subs, transport, prices)
    stake_s, stake_b = stakes(rows, subs, prices)
    distrust = terms.risk_premium_share * (1.0 - trust)
    d_s, d_b = quantity * distrust * stake_s, quantity * distrust * stake_b
    agreed = (quantity > 0) & (quantity * s_unit - fixed_cost + bonus > d_s + d_b)
    supplier_value = (prices.disposal_cost[r] + prices.subsidy[r] - transport.fixed[r]
                      - transport.per_km[r] * distance_km
                      - subs.treatment[rows] * (1.0 - prices.treatment_subsidy_share))
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


def _allocate_greedily(order, market: Market, supply_key, row_key, input_key, ratio, margin, fixed, eps,
                       bonus_terms=None):
    """Walk candidates in ``order``; sign each that still clears its threshold with what is left.

    Works on flat keys into the market's (firm × resource) and (firm × row) tables, holding the
    touched entries in dicts: this loop is the one sequential step of negotiation, so it is kept
    to plain Python scalars. Writes what is left back into ``market``. With ``bonus_terms``
    (committed buyers, :func:`_bonus_terms`) each deal also counts the expected fine its buyer
    avoids on the part of its shortfall still open, and the shortfall shrinks as deals are signed;
    returns the bonuses too (``None`` without commitments).
    """
    if bonus_terms is not None:
        return _allocate_with_bonus(order, market, supply_key, row_key, input_key, ratio, margin, fixed, eps,
                                    bonus_terms)
    tables = ((market.supply_left, supply_key), (market.row_cap_left, row_key), (market.input_left, input_key))
    left = _touched_entries(tables, order)
    supply, row_cap, need = left
    picked, quantities = [], []
    for c, ks, kr, ki, rt, m, f in zip(order.tolist(), supply_key[order].tolist(), row_key[order].tolist(),
                                       input_key[order].tolist(), ratio[order].tolist(), margin[order].tolist(),
                                       fixed[order].tolist()):
        room = row_cap[kr]
        if need[ki] < room:
            room = need[ki]
        q = supply[ks]
        if room / rt < q:
            q = room / rt
        if q <= eps or q * m - f <= 0:
            continue
        supply[ks] -= q
        row_cap[kr] -= q * rt
        need[ki] -= q * rt
        picked.append(c)
        quantities.append(q)
    _write_back(tables, left)
    return picked, quantities, None


def _allocate_with_bonus(order, market: Market, supply_key, row_key, input_key, ratio, margin, fixed, eps,
                         bonus_terms):
    """:func:`_allocate_greedily` for a year with committed buyers (kept apart: the common loop stays lean)."""
    buyer, rate, shortfall = bonus_terms
    tables = ((market.supply_left, supply_key), (market.row_cap_left, row_key), (market.input_left, input_key))
    left = _touched_entries(tables, order)
    supply, row_cap, need = left
    short = dict(zip(np.unique(buyer[order]).tolist(), shortfall[np.unique(buyer[order])].tolist()))
    picked, quantities, bonuses = [], [], []
    for c, ks, kr, ki, rt, m, f, b, br in zip(
            order.tolist(), supply_key[order].tolist(), row_key[order].tolist(), input_key[order].tolist(),
            ratio[order].tolist(), margin[order].tolist(), fixed[order].tolist(), buyer[order].tolist(),
            rate[order].tolist()):
        room = min(row_cap[kr], need[ki])
        q = min(supply[ks], room / rt)
        closed = min(q * rt, short[b]) if br > 0 else 0.0
        bonus = br * closed
        if q <= eps or q * m - f + bonus <= 0:
            continue
        supply[ks] -= q
        row_cap[kr] -= q * rt
        need[ki] -= q * rt
        if br > 0:
            short[b] -= closed
        picked.append(c)
        quantities.append(q)
        bonuses.append(bonus)
    _write_back(tables, left)
    return picked, quantities, bonuses


def _no_deals() -> Deals:
    e = np.zeros(0, dtype=np.int64)
    f = np.zeros(0)
    return Deals(e, e.copy(), e.copy(), f, f.copy(), f.copy(), f.copy(), f.copy())


def without_existing(candidates: Candidates, uid: np.ndarray, existing_keys: np.ndarray,
                     n_rows: int) -> Candidates:
    """Drop candidates whose (supplier, buyer, row) already has an active contract."""
    if len(candidates) == 0 or len(existing_keys) == 0:
        return candidates
    keys = contract_keys(uid[candidates.supplier], uid[candidates.buyer], candidates.row, n_rows)
    keep = ~np.isin(keys, existing_keys)
    return Candidates(candidates.supplier[keep], candidates.buyer[keep], candidates.row[keep],
                      candidates.distance_km[keep])


def contract_keys(supplier_uid: np.ndarray, buyer_uid: np.ndarray, rows: np.ndarray, n_rows: int) -> np.ndarray:
    """One integer per (supplier, buyer, substitution row), for set membership tests."""
    return (supplier_uid.astype(np.int64) * (1 << 31) + buyer_uid.astype(np.int64)) * max(n_rows, 1) + rows
