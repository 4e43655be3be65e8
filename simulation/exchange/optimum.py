"""The optimal allocation of residues over a set of exchange links (docs/ODD.md §7.16).

A **link** is a possible exchange (supplier, buyer, substitution row) with a surplus per unit of
residue ``u`` and a fixed yearly cost ``F`` (transaction cost plus annualised pipe capex), both
from :mod:`simulation.exchange.surplus` (``unit_surplus``, ``fixed_yearly_cost``), so the optimum is
valued exactly as the negotiation values a deal. The optimal allocation chooses a quantity
``x ≥ 0`` (residue units per year) per link to

    maximise   Σ_links (u·x − F·[x > 0])
    subject to Σ_{links of supplier n, residue r}  x       ≤ supply[n, r]     (residue it emits)
               Σ_{links of buyer n, row s}         ratio·x ≤ row_cap[n, s]    (max_share of its demand)
               Σ_{links of buyer n, input i}       ratio·x ≤ demand[n, i]     (its demand of the input)

The fixed costs make it a fixed-charge problem: a mixed-integer program with one binary ``y`` per
link and ``x ≤ q_max·y``, solved with HiGHS (``scipy.optimize.milp``) to a relative gap of
:data:`MIP_REL_GAP`. Before solving, the problem is reduced without changing its optimum:

* a link whose best stand-alone surplus ``q_max·u − F`` is not positive never adds to the
  optimum (dropping it only frees capacity), so it is left out;
* a capacity used by only one link is already that link's bound ``q_max``, one its links could
  not exceed even all at their ``q_max`` never binds, and a buyer's input used through a single
  substitution row is bound by that row's cap (``max_share`` ≤ 1): none is a constraint;
* links that share no capacity with any other (the common case in a spread-out district) are
  solved in closed form (``x = q_max``); only the rest goes to HiGHS, in one call.

:func:`optimal_allocation` returns the allocation, its value and an upper bound on the optimum
(HiGHS's dual bound; equal to the value when the gap is closed). Ratios against the optimum use
the bound, so a feasible allocation never scores above 1. With every ``F = 0`` there are no
binaries and the program is linear: :func:`year_optimum`, behind ``symbiosis_efficiency``, solves
it that way each simulated year (``matchmake --optimal`` solves the fixed-charge program).
"""

from __future__ import annotations

import dataclasses
from dataclasses import dataclass

import numpy as np
from scipy import sparse
from scipy.optimize import Bounds, LinearConstraint, milp
from scipy.sparse.csgraph import connected_components

from simulation.exchange.contracts import ContractBook
from simulation.exchange.market import Market, Terms
from simulation.exchange.search import Candidates, contract_keys, find_candidates
from simulation.exchange.surplus import fixed_yearly_cost, unit_surplus
from simulation.policy.effects import PolicyEffects
from simulation.world import SubstitutionTable, Transport
from simulation.year_state import YearState

MIP_REL_GAP = 1e-6       # HiGHS stops when (bound − value) / value ≤ this
EPS = 1e-9               # residue units below which a quantity is nothing


@dataclass(frozen=True)
class OptimalAllocation:
    """Quantities per link (residue units/yr, in the order given) and the value they reach."""

    quantity: np.ndarray
    value: float          # Σ (u·x − F) over links with x > 0, EUR/yr
    bound: float          # upper bound on the optimal value (= value when solved to optimality)
    links_solved: int     # links left after reduction that went to HiGHS (0: closed form only)
    optimal: bool         # solved to optimality (False: HiGHS stopped at its time limit)

    @property
    def used(self) -> np.ndarray:
        return self.quantity > EPS


def stand_alone_quantity(supplier: np.ndarray, buyer: np.ndarray, row: np.ndarray, supply: np.ndarray,
                         demand: np.ndarray, row_cap: np.ndarray, subs: SubstitutionTable) -> np.ndarray:
    """Most residue each link could carry alone: supplier's residue, buyer's row cap and demand."""
    ratio = subs.ratio[row]
    return np.maximum(0.0, np.minimum(supply[supplier, subs.residue[row]],
                                      np.minimum(row_cap[buyer, row], demand[buyer, subs.input[row]]) / ratio))


def optimal_allocation(supplier: np.ndarray, buyer: np.ndarray, row: np.ndarray, unit_surplus: np.ndarray,
                       fixed_cost: np.ndarray, supply: np.ndarray, demand: np.ndarray, row_cap: np.ndarray,
                       subs: SubstitutionTable, time_limit: float | None = None) -> OptimalAllocation:
    """Best allocation of residues over the links (positions ``n`` index the capacity tables).

    ``supply`` (N × R, residue units), ``demand`` (N × R, input units) and ``row_cap`` (N × S, input
    units) are what each firm has to offer or may still take. Links must be distinct
    (supplier, buyer, row) triples. ``time_limit`` (seconds) stops HiGHS early on a large
    fixed-charge problem: the allocation is then the best found and ``bound`` tells how far from
    the optimum it may be; leave it ``None`` wherever results must not depend on machine speed.
    """
    m = len(supplier)
    quantity = np.zeros(m)
    if m == 0:
        return OptimalAllocation(quantity, 0.0, 0.0, 0, True)
    q_max = stand_alone_quantity(supplier, buyer, row, supply, demand, row_cap, subs)
    best = q_max * unit_surplus - fixed_cost
    useful = np.flatnonzero((q_max > EPS) & (unit_surplus > 0) & (best > 0))
    if len(useful) == 0:
        return OptimalAllocation(quantity, 0.0, 0.0, 0, True)

    n, n_res, n_sub = supply.shape[0], supply.shape[1], row_cap.shape[1]
    sp, bp, s = supplier[useful], buyer[useful], row[useful]
    ratio = subs.ratio[s]
    # One key per capacity: supplier × residue, buyer × row, buyer × input (three disjoint ranges).
    keys = np.concatenate([sp * n_res + subs.residue[s],
                           n * n_res + bp * n_sub + s,
                           n * (n_res + n_sub) + bp * n_res + subs.input[s]])
    coef = np.concatenate([np.ones(len(useful)), ratio, ratio])
    link = np.tile(np.arange(len(useful)), 3)
    uniq, key_idx, counts = np.unique(keys, return_inverse=True, return_counts=True)
    cap_of_key = _capacity_of_keys(uniq, supply, demand, row_cap)
    # A capacity its links cannot exceed even each at its own maximum never binds: left out, it
    # no longer ties them to each other (at 10,000 firms, four in ten shared capacities).
    load = np.bincount(key_idx, coef * q_max[useful][link], len(uniq))
    binding = (load > cap_of_key) & ~_dominated_inputs(key_idx, len(useful), cap_of_key)
    shared = (counts[key_idx] >= 2) & binding[key_idx]

    # Links joined by shared capacities form independent blocks; lone links are solved as they are.
    k_shared = len(uniq)
    graph = sparse.coo_matrix((np.ones(shared.sum()), (link[shared], len(useful) + key_idx[shared])),
                              shape=(len(useful) + k_shared,) * 2)
    _, labels = connected_components(graph, directed=False)
    size = np.bincount(labels[: len(useful)])
    alone = size[labels[: len(useful)]] == 1
    quantity[useful[alone]] = q_max[useful[alone]]
    value = float(best[useful[alone]].sum())
    bound = value

    joint = np.flatnonzero(~alone)
    if len(joint):
        x, solved_value, solved_bound, optimal = _solve_mip(
            joint, link, key_idx, coef, shared, cap_of_key, q_max[useful], unit_surplus[useful],
            fixed_cost[useful], time_limit)
        quantity[useful[joint]] = x
        value += solved_value
        bound += solved_bound
    else:
        optimal = True
    return OptimalAllocation(quantity, value, max(bound, value), len(joint), optimal)


def _dominated_inputs(key_idx: np.ndarray, m: int, cap_of_key: np.ndarray) -> np.ndarray:
    """Per key: a buyer's input capacity whose links all use one substitution row with a capacity no
    larger. Both sum ``ratio·x`` over the same links, so the row's constraint implies the input's."""
    row_key, input_key = key_idx[m:2 * m], key_idx[2 * m:]
    lowest = np.full(len(cap_of_key), np.iinfo(np.int64).max)
    highest = np.full(len(cap_of_key), -1)
    np.minimum.at(lowest, input_key, row_key)
    np.maximum.at(highest, input_key, row_key)
    dominated = np.zeros(len(cap_of_key), dtype=bool)
    dominated[input_key] = (lowest[input_key] == highest[input_key]) & (cap_of_key[row_key] <= cap_of_key[input_key])
    return dominated


def _capacity_of_keys(keys: np.ndarray, supply: np.ndarray, demand: np.ndarray, row_cap: np.ndarray) -> np.ndarray:
    """Capacity behind each key of the three ranges built in :func:`optimal_allocation`."""
    n_sup, n_row = supply.size, row_cap.size
    cap = np.empty(len(keys))
    a = keys < n_sup
    b = (keys >= n_sup) & (keys < n_sup + n_row)
    c = keys >= n_sup + n_row
    cap[a] = supply.ravel()[keys[a]]
    cap[b] = row_cap.ravel()[keys[b] - n_sup]
    cap[c] = demand.ravel()[keys[c] - n_sup - n_row]
    return np.maximum(cap, 0.0)


def _solve_mip(joint, link, key_idx, coef, shared, cap_of_key, q_max, u, fixed, time_limit):
    """HiGHS on the links in ``joint``: variables ``x``, then a binary ``y`` for each link with F > 0.

    Without fixed costs this is a linear program (no binaries), solved to optimality.
    """
    k = len(joint)
    local = np.full(len(q_max), -1)
    local[joint] = np.arange(k)
    q, uu, ff = q_max[joint], u[joint], fixed[joint]
    charged = np.flatnonzero(ff > 0)
    n_var = k + len(charged)
    entry = shared & (local[link] >= 0)
    used_keys, row_of_key = np.unique(key_idx[entry], return_inverse=True)
    a_cap = sparse.csr_matrix((coef[entry], (row_of_key, local[link[entry]])), shape=(len(used_keys), n_var))
    constraints = [LinearConstraint(a_cap, -np.inf, cap_of_key[used_keys])]
    if len(charged):
        # x − q_max·y ≤ 0: a link carries residue only if its fixed cost is paid.
        a_fix = sparse.csr_matrix((np.concatenate([np.ones(len(charged)), -q[charged]]),
                                   (np.tile(np.arange(len(charged)), 2),
                                    np.concatenate([charged, k + np.arange(len(charged))]))),
                                  shape=(len(charged), n_var))
        constraints.append(LinearConstraint(a_fix, -np.inf, 0.0))
    integrality = np.concatenate([np.zeros(k), np.ones(len(charged))])
    objective = np.concatenate([-uu, ff[charged]])
    upper = np.concatenate([q, np.ones(len(charged))])
    options = {"mip_rel_gap": MIP_REL_GAP} if len(charged) else {}  # each option costs a check per call
    if time_limit is not None:
        options["time_limit"] = time_limit
    result = milp(objective, integrality=integrality, bounds=Bounds(np.zeros(n_var), upper),
                  constraints=constraints, options=options)
    dual = getattr(result, "mip_dual_bound", None)
    dual_bound = -float(dual) if dual is not None and np.isfinite(dual) else float((q * uu).sum())
    if result.x is None:  # HiGHS stopped before any feasible point (x = 0 is one): keep the bound only
        return np.zeros(k), 0.0, dual_bound, False
    x = np.clip(result.x[:k], 0.0, q)
    x[x <= EPS * np.maximum(q, 1.0)] = 0.0
    value = float((x * uu).sum() - ff[x > 0].sum())
    optimal = result.status == 0
    bound = -float(result.fun) if not len(charged) and optimal else dual_bound
    return x, value, max(bound, value), optimal


def year_optimum(supplier: np.ndarray, buyer: np.ndarray, row: np.ndarray, distance_km: np.ndarray,
                 delivered: np.ndarray, candidates: Candidates, generated: np.ndarray, demand: np.ndarray,
                 subs: SubstitutionTable, transport: Transport, effects: PolicyEffects,
                 terms: Terms) -> tuple[float, float]:
    """The year's realised and optimal exchange surplus before fixed costs, EUR/yr (``symbiosis_efficiency``).

    ``supplier, buyer, row, distance_km, delivered`` describe the contracts delivering this year
    (positions ``n``); ``candidates`` are the other links the optimum may use (the model passes the
    year's candidates and those its search finds on the firms' whole flows). All are valued at this
    year's prices (:func:`~simulation.exchange.surplus.unit_surplus` ``u``):

    * realised = ``Σ_contracts delivered · u``;
    * optimal = ``max Σ_links x · u`` over the links = the delivering contracts and the candidates
      (not already under contract) whose stand-alone surplus ``q_max·u − F`` is positive, with
      ``q_max`` and the capacities taken from the firms' whole residue and demand of the year.

    Fixed yearly costs (transaction cost, pipe capex) are left out of both: with them the optimum
    is a fixed-charge MIP that HiGHS does not close within a second at 1,000 firms, while this
    linear program is solved exactly. The realised deliveries are a feasible point of the
    program, so realised ≤ optimal.
    """
    row_cap = subs.max_share[None, :] * demand[:, subs.input]
    n_rows = len(subs)
    keys = contract_keys(candidates.supplier, candidates.buyer, candidates.row, n_rows)
    _, first = np.unique(keys, return_index=True)
    new = np.zeros(len(keys), dtype=bool)
    new[first] = True
    new &= ~np.isin(keys, contract_keys(supplier, buyer, row, n_rows))
    c_sup, c_buy, c_row, c_dist = (candidates.supplier[new], candidates.buyer[new], candidates.row[new],
                                   candidates.distance_km[new])
    q_max = stand_alone_quantity(c_sup, c_buy, c_row, generated, demand, row_cap, subs)
    pays = q_max * unit_surplus(c_row, c_dist, subs, transport, effects) \
        - fixed_yearly_cost(c_row, c_dist, subs, transport, terms.transaction_cost_eur_per_yr, effects) > 0
    links_sup = np.concatenate([supplier, c_sup[pays]])
    links_buy = np.concatenate([buyer, c_buy[pays]])
    links_row = np.concatenate([row, c_row[pays]])
    links_dist = np.concatenate([distance_km, c_dist[pays]])
    u = unit_surplus(links_row, links_dist, subs, transport, effects)
    realised = float((delivered * u[: len(supplier)]).sum())
    allocation = optimal_allocation(links_sup, links_buy, links_row, u, np.zeros(len(u)), generated, demand,
                                    row_cap, subs)
    return realised, allocation.bound


def realised_and_optimal(market: Market, candidates: Candidates, contracts: ContractBook, state: YearState,
                         subs: SubstitutionTable, transport: Transport, effects: PolicyEffects,
                         terms: Terms) -> tuple[float, float]:
    """The year's realised and optimal exchange surplus before fixed costs, EUR/yr, over these links:
    the contracts delivering this year, the year's ``candidates`` (those the negotiation examined),
    and the candidates the same search (radius of action, nearest partners, facilitator) finds on
    the firms' whole flows, as if nothing were under contract, so that lock-in into earlier
    contracts counts; capacities: the firms' whole residue and demand (:func:`year_optimum`)."""
    generated, demand = state.generated, state.demand
    whole = dataclasses.replace(market, supply_left=generated, input_left=demand,
                                row_cap_left=subs.max_share[None, :] * demand[:, subs.input])
    links = Candidates.concat([candidates, find_candidates(whole, subs, transport, terms, effects.published)])
    c = contracts
    rows = c.active_rows()
    rows = rows[c.delivered[rows] > 0]
    return year_optimum(state.positions(c.supplier[rows]), state.positions(c.buyer[rows]),
                        c.substitution[rows].astype(np.int64), c.distance_km[rows], c.delivered[rows],
                        links, generated, demand, subs, transport, effects, terms)
