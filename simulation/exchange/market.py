"""The year's market: what every firm present has left to trade once standing contracts deliver.

Positions ``n`` index this year's firm arrays (the order of ``model.agents`` of type Firm); the
search (:mod:`simulation.exchange.search`), the negotiation (:mod:`simulation.exchange.negotiation`)
and the shared services (:mod:`simulation.services`) read it, and negotiation and services take
from it what they use.
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np

from simulation.exchange.contracts import ContractBook
from simulation.inputs.plots import Plots
from simulation.world import SubstitutionTable
from simulation.year_state import YearState


@dataclass
class Market:
    """What firms have left to trade this year, indexed by position ``n`` in this year's firm arrays."""

    uid: np.ndarray              # firm unique_id per position
    xy_km: np.ndarray            # (N, 2)
    radius_km: np.ndarray        # (N,)
    supply_left: np.ndarray      # (N, R) residue units not yet committed
    input_left: np.ndarray       # (N, R) input demand not yet met by exchanges
    row_cap_left: np.ndarray     # (N, S) input units row s may still replace at each buyer
    capacity_left: np.ndarray | None = None  # (N, S) free pre-treatment capacity of each supplier, residue units/yr


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
    min_viable_flow_t: float = 0.0          # t/yr: smallest trucked exchange (behaviour.contracts)


def open_market(state: YearState, contracts: ContractBook, subs: SubstitutionTable, plots: Plots,
                radius_km: np.ndarray) -> Market:
    """The year's market: every firm's flows, less what standing contracts deliver this year.

    Standing contracts deliver their quantity scaled down when the supplier now emits less, or the
    buyer now needs less, than they promise (written into ``contracts.delivered``); what is left is
    open to new deals. ``radius_km`` is each archetype's radius of action.
    """
    n_res, n_sub, n = len(state.catalogue.resource_ids), len(subs), len(state)
    generated, demand = state.generated, state.demand
    row_cap = subs.max_share[None, :] * demand[:, subs.input]
    c = contracts
    rows = c.active_rows()
    sp, bp, s = state.positions(c.supplier[rows]), state.positions(c.buyer[rows]), c.substitution[rows]
    r, i, q = subs.residue[s], subs.input[s], c.quantity[rows]
    q_in = q * subs.ratio[s]
    promised_out = np.bincount(sp * n_res + r, q, n * n_res)
    promised_row = np.bincount(bp * n_sub + s, q_in, n * n_sub)
    promised_in = np.bincount(bp * n_res + i, q_in, n * n_res)
    f_sup = np.minimum(1.0, generated[sp, r] / promised_out[sp * n_res + r])
    f_buy = np.minimum(1.0, np.minimum(row_cap[bp, s] / promised_row[bp * n_sub + s],
                                       demand[bp, i] / promised_in[bp * n_res + i]))
    delivered = q * np.minimum(f_sup, f_buy)
    c.delivered[:] = 0.0
    c.delivered[rows] = delivered
    d_in = delivered * subs.ratio[s]
    return Market(
        uid=state.uid,
        xy_km=np.column_stack([plots.x_m[state.plot], plots.y_m[state.plot]]) / 1000.0,
        radius_km=radius_km[state.archetype],
        supply_left=generated - np.bincount(sp * n_res + r, delivered, n * n_res).reshape(n, n_res),
        input_left=demand - np.bincount(bp * n_res + i, d_in, n * n_res).reshape(n, n_res),
        row_cap_left=row_cap - np.bincount(bp * n_sub + s, d_in, n * n_sub).reshape(n, n_sub),
    )
