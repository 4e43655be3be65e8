"""A service's yearly cost ``C(Q)`` and the rules that split it among members (docs/ODD.md §7.15).

A service carrying ``Q`` costs ``C(Q) = F + coordination + capex·CRF·(1 − co-funding) +
v·Q_ref·(Q/Q_ref)^b − revenue of returned water + connections of members that only feed or take``
(EUR/yr). The scenario's rule splits it:

- ``proportional`` to each member's served quantity;
- ``equal`` among the members that use the service (members that only feed it, as heat sources,
  or only take its returned water pay no share);
- ``shapley``: the Shapley value of the savings game ``v(S) = max(0, stand-alone cost of S's served
  quantities − C(S))`` (0 below the minimum membership), the member paying its stand-alone cost
  minus its Shapley saving. The value is exact (all ``2^n`` coalitions) up to
  ``shapley_exact_max_members`` and estimated above from ``shapley_permutations`` random member
  orders (Castro, Gómez & Tejada 2009), drawn from a generator seeded by the model seed, the year
  and the coalition (:func:`shapley_stream`), so the model's keyed streams are untouched.

Everything here is a pure function of small arrays: one entry per coalition or per member.
"""

from __future__ import annotations

import math
from collections.abc import Callable

import numpy as np

from simulation.services.kinds import EPS, KindTerms

# v(size, sums) -> savings: ``size`` members whose summed vectors are ``sums`` (first axis: the vectors)
Game = Callable[[np.ndarray, np.ndarray], np.ndarray]


def served_quantity(kind: KindTerms, U, H):
    """``Q`` served (service units/yr) for a total use ``U`` and source residue ``H``: the use, up
    to the capacity and (with a source) to what the source residue can supply."""
    Q = np.minimum(U, kind.capacity)
    if kind.source_residue >= 0:
        Q = np.minimum(Q, kind.source_ratio * H)
    return Q


def service_cost(kind: KindTerms, Q, returned_revenue, connections, cofund, coordination: float):
    """``C(Q)``, EUR/yr: fixed, coordination and the unfunded capex share, the variable cost, less
    what the returned water sells for, plus the connections of members that only feed or take."""
    return (kind.fixed + coordination + kind.capex_yearly * (1 - cofund) + kind.variable_cost(Q)
            - returned_revenue + connections)


def proportional_shares(cost: np.ndarray, served: np.ndarray, Q: np.ndarray, svc: np.ndarray) -> np.ndarray:
    """Per membership, its coalition's ``cost`` (EUR/yr) times its part of the coalition's
    quantity ``Q`` (``svc``: the coalition of each membership)."""
    return cost[svc] * np.divide(served, Q[svc], out=np.zeros(len(svc)), where=Q[svc] > 0)


def equal_shares(cost: np.ndarray, is_user: np.ndarray, svc: np.ndarray) -> np.ndarray:
    """Per membership, an equal part of its coalition's ``cost`` among the coalition's users; 0 for
    members that only feed or take."""
    users = np.bincount(svc, is_user, len(cost))
    return np.where(is_user, cost[svc] / np.maximum(users[svc], 1), 0.0)


def coalition_value(kind: KindTerms, size, U, PU, H, W, CN, dc_source: float, p_return: float,
                    cofund, coordination: float, clip: bool = True) -> np.ndarray:
    """Savings ``v(S)`` of coalitions given by their sums (arrays of any shape), EUR/yr: 0 below
    ``min_members`` or when nothing is served; ``clip=False`` gives the raw stand-alone cost minus
    cost instead (negative when the service does not pay).

    ``U, PU, H, W, CN``: the coalition's use, stand-alone cost of it, source residue, water its
    members can take and connections the service pays; ``dc_source`` and ``p_return`` (EUR/unit)
    price the source residue and the returned water.
    """
    Q = served_quantity(kind, U, H)
    frac = np.divide(Q, U, out=np.zeros(np.shape(Q)), where=U > 0)
    sa = PU * frac
    if kind.source_residue >= 0:
        sa = sa + dc_source * Q / kind.source_ratio
    R = np.minimum(kind.return_share * Q, W) if kind.return_input >= 0 else 0.0
    cost = service_cost(kind, Q, p_return * R, CN, cofund, coordination)
    if not clip:
        return sa - cost
    return np.where((size >= kind.min_members) & (Q > EPS), np.maximum(sa - cost, 0.0), 0.0)


def shapley_exact(value: Game, vectors: np.ndarray) -> np.ndarray:
    """Each member's Shapley value of the game ``value`` over all ``2^n`` coalitions.

    ``vectors``: ``(d, n)``, the quantities of each of the ``n`` members that a coalition's value sums.
    """
    n = vectors.shape[1]
    masks = np.arange(1 << n)
    bits = ((masks[:, None] >> np.arange(n)) & 1).astype(bool)
    size = bits.sum(axis=1)
    v = value(size, (bits.astype(float) @ vectors.T).T)
    fact = np.array([math.factorial(k) for k in range(n + 1)], dtype=float)
    weight = fact[size] * fact[np.maximum(n - size - 1, 0)] / fact[n]
    with_f = masks[:, None] | (1 << np.arange(n))
    gain = (v[with_f] - v[:, None]) * ~bits
    return (gain * weight[:, None]).sum(axis=0)


def shapley_sampled(value: Game, vectors: np.ndarray, rng: np.random.Generator, permutations: int) -> np.ndarray:
    """Each member's Shapley value estimated as its mean marginal value over ``permutations``
    random member orders drawn from ``rng`` (``vectors`` as in :func:`shapley_exact`)."""
    n = vectors.shape[1]
    k = permutations
    order = np.argsort(rng.random((k, n)), axis=1)
    prefix = np.cumsum(vectors[:, order], axis=2)          # (d, k, n)
    size = np.broadcast_to(np.arange(1, n + 1), (k, n))
    v = value(size, prefix)
    gain = np.diff(v, axis=1, prepend=0.0)
    phi = np.zeros(n)
    np.add.at(phi, order.ravel(), gain.ravel())
    return phi / k


def shapley_stream(seed: int, year: int, kind_index: int, member_uids: np.ndarray) -> np.random.Generator:
    """The generator of one coalition's random orders: keyed by the model ``seed``, the year, the
    kind and the members' unique ids, so the same coalition draws the same orders in any run."""
    members = np.sort(member_uids)
    return np.random.default_rng([seed, year, kind_index, len(members), int(members.sum() % (1 << 32)),
                                  int(members[0]), int(members[-1])])
