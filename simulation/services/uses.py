"""Each firm's use of a service kind this year, and what that use would cost it alone.

The use is what the firm would otherwise treat or buy by itself: its left-over residue (priced at
this year's disposal cost) or input demand (at the virgin cost), or a quantity from its employees,
plot area or mere presence (at the firm's own stand-alone price of the kind, drawn once in the kind's
range: :meth:`KindTerms.standalone_unit_cost`). Heat sources (feeders) and takers of
returned water are read here too (docs/ODD.md §7.15, *Uses*).
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np

from simulation.exchange.market import Market
from simulation.services.kinds import EPS, KindTerms


@dataclass
class FirmTraits:
    """What services read about the firms present (positions as in the year's Market)."""

    employees: np.ndarray        # persons
    site_area_m2: np.ndarray     # the archetype's site area
    demand: np.ndarray           # (N, R) input demand of the year (for returned water's max share)
    disposal_cost: np.ndarray    # (R,) EUR/unit this year
    virgin_cost: np.ndarray      # (R,) EUR/unit this year
    # (N, K) each firm's place in each kind's stand-alone price range, in (0, 1), drawn once for its
    # life (EcoDistrictModel.service_standalone_quantiles); None: every firm pays the kind's standalone_cost
    standalone_quantile: np.ndarray | None = None


@dataclass
class Uses:
    """One kind's per-firm quantities this year (positions ``n``)."""

    u: np.ndarray                # use, service units
    pu: np.ndarray               # stand-alone cost of the whole use, EUR
    u_res: np.ndarray            # (N, len(resources)) use per driver resource (resource bases)
    h: np.ndarray                # source residue left over (feeders)
    w: np.ndarray                # returned input a firm can take (takers)
    dc_source: float             # disposal cost of the source residue, EUR/unit
    p_return: float              # price of the returned input, EUR/unit

    @property
    def eligible(self) -> np.ndarray:
        return (self.u > EPS) | (self.h > EPS) | (self.w > EPS)

    def vectors(self, pos: np.ndarray, service_connection: np.ndarray) -> np.ndarray:
        """``(5, len(pos))``: use, stand-alone cost, heat fed, water taken and the connection the
        service pays (EUR/yr) of the members at ``pos``: what a coalition's value sums over members."""
        return np.stack([self.u[pos], self.pu[pos], self.h[pos], self.w[pos], service_connection])

    @classmethod
    def of(cls, kind: KindTerms, market: Market, traits: FirmTraits) -> Uses:
        """Every firm's use of ``kind`` on what ``market`` has left over."""
        n = len(market.uid)
        zero = np.zeros(n)
        u_res = np.zeros((n, len(kind.resources)))
        h, w, dc_source, p_return = zero, zero, 0.0, 0.0
        if kind.basis == "residue":
            u_res = np.maximum(market.supply_left[:, kind.resources], 0.0)
            pu = u_res @ traits.disposal_cost[kind.resources]
        elif kind.basis == "input":
            if kind.source_residue >= 0:
                i = kind.resources[0]
                left = market.input_left[:, [i]]
                if kind.source_max_share >= 0:  # up to max_share of demand in all, exchanges included
                    room = kind.source_max_share * traits.demand[:, [i]] - (traits.demand[:, [i]] - left)
                else:
                    room = market.row_cap_left[:, [kind.source_row]]
                u_res = np.maximum(np.minimum(left, room), 0.0)
                h = np.maximum(market.supply_left[:, kind.source_residue], 0.0)
                dc_source = float(traits.disposal_cost[kind.source_residue])
            else:
                u_res = np.maximum(market.input_left[:, kind.resources], 0.0)
            pu = u_res @ traits.virgin_cost[kind.resources]
        else:
            basis = {"employees": traits.employees, "plot_area": traits.site_area_m2, "firm": np.ones(n)}[kind.basis]
            u = basis * kind.per_unit
            quantile = None if traits.standalone_quantile is None else traits.standalone_quantile[:, kind.index]
            return cls(u, u * kind.standalone_unit_cost(quantile), u_res, zero, zero, 0.0, 0.0)
        if kind.return_input >= 0:
            i = kind.return_input
            w = np.maximum(np.minimum(market.input_left[:, i], kind.return_max_share * traits.demand[:, i]), 0.0)
            p_return = float(traits.virgin_cost[i])
        u = u_res.sum(axis=1)
        return cls(u, pu, u_res, h, w, dc_source, p_return)
