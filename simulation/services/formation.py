"""Which coalitions of one kind run this year: keeping, joining, leaving and founding (docs/ODD.md §7.15).

(1) Each standing service keeps its members still present, still using it and, if pipe-bound,
within reach of its hub; firms not yet in a service of the kind join the nearest hub in reach
(pipe-bound) or the service with most spare capacity, while capacity lasts. (2) Feeders and takers
beyond what the users need are let go; members whose payment exceeds their stand-alone cost leave,
all at once, and shares are recomputed until none does (the firms' rule, ``ServiceTerms.accepts``);
then a feeder or taker that costs its coalition more than it brings is let go, one at a time. A
service left with fewer than ``min_members`` members, serving nothing or saving nothing, closes.
(3) Firms in no service of the kind propose new ones: around the largest remaining user
(pipe-bound, members within reach; anchors whose neighbourhood could not pay the fixed costs are
skipped), or in capacity-sized groups of the largest users; a proposal is founded when it passes (2).

Every rule is vectorised over all coalitions of a kind (``numpy.bincount``); pipe-bound reach uses
one ``cKDTree.query_pairs`` per kind and year, so the cost grows about linearly with the number of
firms. Nothing here keeps state: the book (:mod:`simulation.services.book`) hands in its standing
services as a :class:`Proposal` and books what comes out.
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np
from scipy.spatial import cKDTree

from simulation.services import cost_sharing
from simulation.services.kinds import EPS, KindTerms, ServiceTerms
from simulation.services.uses import Uses

MAX_FOUNDING_ROUNDS = 3


@dataclass(frozen=True)
class KindYear:
    """One kind in one year: what every rule reads (positions ``n`` as in the year's Market)."""

    kind: KindTerms
    year: int
    seed: int                    # the model seed (keys the Shapley orders)
    terms: ServiceTerms
    uses: Uses
    xy: np.ndarray               # (N, 2) km
    uid: np.ndarray              # (N,) firm unique_ids


@dataclass
class Proposal:
    """Coalitions of one kind under evaluation: memberships as parallel arrays."""

    svc: np.ndarray              # coalition index per membership
    pos: np.ndarray              # firm position per membership
    hub: np.ndarray              # (P, 2) km (NaN when not pipe-bound)
    cofund: np.ndarray           # (P,) share of capex paid publicly
    service: np.ndarray          # (P,) index in ServiceBook.services, -1 for a new one

    def __len__(self) -> int:
        return len(self.hub)

    def keep(self, memberships: np.ndarray) -> Proposal:
        return Proposal(self.svc[memberships], self.pos[memberships], self.hub, self.cofund, self.service)

    def subset(self, coalitions: np.ndarray) -> Proposal:
        """Only the coalitions flagged in ``coalitions`` (bool, length P), renumbered."""
        new_index = np.cumsum(coalitions) - 1
        m = coalitions[self.svc]
        return Proposal(new_index[self.svc[m]], self.pos[m], self.hub[coalitions], self.cofund[coalitions],
                        self.service[coalitions])

    @classmethod
    def concat(cls, parts: list[Proposal]) -> Proposal:
        parts = [p for p in parts if len(p)]
        if not parts:
            return cls.empty()
        offsets = np.cumsum([0] + [len(p) for p in parts[:-1]])
        return cls(np.concatenate([p.svc + o for p, o in zip(parts, offsets)]),
                   np.concatenate([p.pos for p in parts]), np.concatenate([p.hub for p in parts]),
                   np.concatenate([p.cofund for p in parts]), np.concatenate([p.service for p in parts]))

    @classmethod
    def empty(cls) -> Proposal:
        e = np.zeros(0, dtype=np.int64)
        return cls(e, e.copy(), np.zeros((0, 2)), np.zeros(0), e.copy())


@dataclass
class Evaluation:
    """Quantities and money of each membership and coalition of a Proposal."""

    n: np.ndarray                # per coalition: members
    quantity: np.ndarray         # Q served, unit/yr
    returned: np.ndarray         # R returned, input units
    revenue: np.ndarray          # EUR of returned water sold
    shared_cost: np.ndarray      # C, EUR/yr, split by the rule
    public: np.ndarray           # EUR/yr of capex co-funding
    served: np.ndarray           # per membership: q, service units
    fed: np.ndarray              # source residue taken, residue units
    received: np.ndarray         # returned input taken, input units
    standalone: np.ndarray       # EUR
    share: np.ndarray            # EUR
    own_connection: np.ndarray   # EUR/yr, paid by a member that uses the service
    service_connection: np.ndarray  # EUR/yr, of a member that only feeds or takes (in shared_cost)
    is_user: np.ndarray          # bool

    PER_COALITION = ("n", "quantity", "returned", "revenue", "shared_cost", "public")

    @property
    def payment(self) -> np.ndarray:
        return self.share + self.own_connection

    @property
    def saving(self) -> np.ndarray:
        return self.standalone - self.payment

    def subset(self, coalitions: np.ndarray, svc: np.ndarray) -> Evaluation:
        """The evaluation of the coalitions flagged in ``coalitions`` (coalitions are independent)."""
        m = coalitions[svc]
        return Evaluation(**{f: getattr(self, f)[coalitions if f in self.PER_COALITION else m]
                             for f in self.__dataclass_fields__})

    @classmethod
    def concat(cls, parts: list[Evaluation]) -> Evaluation:
        return cls(**{f: np.concatenate([getattr(e, f) for e in parts]) for f in cls.__dataclass_fields__})


def coalitions(ky: KindYear, standing: Proposal) -> tuple[Proposal, Evaluation | None]:
    """This year's services of one kind: the ``standing`` ones (every membership of last year,
    ``pos = -1`` for firms gone) updated, then new ones founded."""
    kind, uses = ky.kind, ky.uses
    eligible = uses.eligible
    incumbents = still_members(kind, standing, eligible, ky.xy) if len(standing) else standing
    taken = np.zeros(len(eligible), dtype=bool)
    taken[incumbents.pos] = True
    proposal = with_newcomers(ky, incumbents, eligible & ~taken)
    kept, _, ev = stabilise(ky, proposal)
    survivors, evaluations = [kept], [ev]
    in_kind = np.zeros(len(eligible), dtype=bool)
    in_kind[kept.pos] = True
    approached = np.zeros(len(eligible), dtype=bool)
    for _ in range(MAX_FOUNDING_ROUNDS):
        pool = eligible & ~in_kind & ~approached
        if not (uses.u[pool] > EPS).any():
            break
        new = found(ky, pool)
        if not len(new):
            break
        founded, ok, ev = stabilise(ky, new)
        # firms of failed proposals do not try again this year; those a founded service let go may
        approached[new.pos[~ok[new.svc]]] = True
        if not len(founded):
            break
        survivors.append(founded)
        evaluations.append(ev)
        in_kind[founded.pos] = True
    final = Proposal.concat(survivors)
    if not len(final):
        return final, None
    return final, Evaluation.concat([e for e, p in zip(evaluations, survivors) if len(p)])


def still_members(kind: KindTerms, standing: Proposal, eligible: np.ndarray, xy: np.ndarray) -> Proposal:
    """Standing services with the members still present, still using them and within reach."""
    pos, svc = standing.pos, standing.svc
    keep = pos >= 0
    keep[keep] = eligible[pos[keep]]
    if kind.pipe_bound:
        d = np.full(len(pos), np.inf)
        d[keep] = np.hypot(*(xy[pos[keep]] - standing.hub[svc[keep]]).T)
        keep &= d <= kind.reach_km
    return standing.keep(keep)


def with_newcomers(ky: KindYear, incumbents: Proposal, pool: np.ndarray) -> Proposal:
    """Firms in no service of the kind apply to standing ones, while capacity lasts."""
    if not len(incumbents) or not pool.any():
        return incumbents
    kind, uses = ky.kind, ky.uses
    cand = np.flatnonzero(pool)
    cand = cand[np.argsort(-uses.pu[cand], kind="stable")]
    if kind.pipe_bound:
        reach = np.nextafter(kind.reach_km, np.inf)
        dist, target = cKDTree(incumbents.hub).query(ky.xy[cand], k=1, distance_upper_bound=reach)
        found_hub = np.isfinite(dist)
        cand, target = cand[found_hub], target[found_hub]
        load = np.bincount(incumbents.svc, uses.u[incumbents.pos], len(incumbents))
        # newcomers in decreasing stand-alone cost, while each hub's capacity lasts
        order = np.lexsort((np.arange(len(cand)), target))
        cand, target = cand[order], target[order]
        u = uses.u[cand]
        cum = np.cumsum(u)
        start = np.searchsorted(target, np.arange(len(incumbents)))
        group_cum = cum - np.concatenate([[0.0], cum])[start[target]]
        fits = (u <= EPS) | (load[target] + group_cum <= kind.capacity * (1 + 1e-12))
        cand, target = cand[fits], target[fits]
    else:
        spare = kind.capacity - np.bincount(incumbents.svc, uses.u[incumbents.pos], len(incumbents))
        target = np.full(len(cand), -1)
        for j, u in enumerate(uses.u[cand].tolist()):
            best = int(np.argmax(spare))
            if u <= EPS or u <= spare[best] * (1 + 1e-12):
                target[j] = best
                spare[best] -= u
        cand, target = cand[target >= 0], target[target >= 0]
    return Proposal(np.concatenate([incumbents.svc, target]), np.concatenate([incumbents.pos, cand]),
                    incumbents.hub, incumbents.cofund, incumbents.service)


def found(ky: KindYear, pool: np.ndarray) -> Proposal:
    """New coalitions proposed among the firms of ``pool`` (disjoint).

    Pipe-bound: around each user in decreasing stand-alone cost (the anchor, whose plot is the
    hub), the pool's firms within reach, largest first while capacity lasts; an anchor whose
    whole neighbourhood could not even pay the service's fixed costs is skipped. Otherwise:
    the pool's users in decreasing stand-alone cost, cut into groups that fill the capacity.
    """
    kind, uses, xy, terms = ky.kind, ky.uses, ky.xy, ky.terms
    users = np.flatnonzero(pool & (uses.u > EPS))
    users = users[np.argsort(-uses.pu[users], kind="stable")]
    svc, pos, hubs = [], [], []
    if kind.pipe_bound:
        near = np.flatnonzero(pool)
        local = np.full(len(xy), -1)
        local[near] = np.arange(len(near))
        pairs = cKDTree(xy[near]).query_pairs(np.nextafter(kind.reach_km, np.inf), output_type="ndarray")
        i = np.concatenate([pairs[:, 0], pairs[:, 1]])
        j = near[np.concatenate([pairs[:, 1], pairs[:, 0]])]
        order = np.argsort(i, kind="stable")
        i, j = i[order], j[order]
        start = np.searchsorted(i, np.arange(len(near) + 1))
        # The most a neighbourhood could save: what each user spares above the lowest variable
        # cost per unit the service could reach there (b ≤ 1: at its largest quantity) and net of
        # its own connection to the anchor, plus the returned water sold; it must pay the fixed costs.
        ball_u = np.minimum(np.bincount(i, uses.u[j], len(near)) + uses.u[near], kind.capacity)
        unit_var = np.divide(kind.variable_cost(ball_u), ball_u, out=np.zeros(len(near)), where=ball_u > 0)
        if kind.exponent > 1:
            unit_var[:] = 0.0  # diseconomies of scale: no useful bound, keep the plain one
        conn = kind.connection_eur_per_km_yr * np.hypot(*(xy[near[i]] - xy[j]).T)
        spare = np.maximum(uses.pu[j] - unit_var[i] * uses.u[j] - conn, 0.0)
        ball_pu = np.bincount(i, spare, len(near)) + np.maximum(uses.pu[near] - unit_var * uses.u[near], 0.0)
        fixed = kind.fixed + terms.coordination(kind) + kind.capex_yearly * (1 - terms.cofunding_share)
        worth = ball_pu + uses.p_return * kind.return_share * ball_u > fixed
        taken = np.zeros(len(xy), dtype=bool)
        for anchor in users[worth[local[users]]].tolist():
            if taken[anchor]:
                continue
            a = local[anchor]
            ball = j[start[a]:start[a + 1]]
            ball = ball[~taken[ball]]
            ball = ball[np.argsort(-uses.pu[ball], kind="stable")]
            group = np.concatenate([[anchor], ball])
            u = uses.u[group]
            fits = (u <= EPS) | (np.cumsum(u) <= max(kind.capacity, u[0]) * (1 + 1e-12))
            group = group[fits]
            if len(group) < kind.min_members:
                taken[anchor] = True
                continue
            taken[group] = True
            svc.append(np.full(len(group), len(hubs)))
            pos.append(group)
            hubs.append(xy[anchor])
    else:
        cum = np.cumsum(uses.u[users])
        first = 0
        while first < len(users):
            before = cum[first - 1] if first else 0.0
            last = max(int(np.searchsorted(cum, before + kind.capacity * (1 + 1e-12), side="right")), first + 1)
            svc.append(np.full(last - first, len(hubs)))
            pos.append(users[first:last])
            hubs.append(np.full(2, np.nan))
            first = last
    if not hubs:
        return Proposal.empty()
    p = len(hubs)
    return Proposal(np.concatenate(svc), np.concatenate(pos).astype(np.int64), np.array(hubs).reshape(p, 2),
                    np.full(p, terms.cofunding_share), np.full(p, -1))


def stabilise(ky: KindYear, proposal: Proposal) -> tuple[Proposal, np.ndarray, Evaluation | None]:
    """Members whose payment exceeds their stand-alone cost leave (all at once) until none does;
    coalitions then below ``min_members``, serving nothing or saving nothing dissolve.

    Returns the surviving coalitions (renumbered), per coalition given whether it survived, and
    the survivors' evaluation.
    """
    kind = ky.kind
    if len(proposal.svc) and (kind.source_residue >= 0 or kind.return_input >= 0):
        ev = evaluate(ky, proposal)
        proposal = proposal.keep(~redundant(kind, proposal, ky.uses, ev))
    while len(proposal.svc):
        ev = evaluate(ky, proposal)
        stays = ky.terms.accepts(ev.payment, ev.standalone)
        if stays.all() and not ev.is_user.all():
            # feeders and takers that cost the coalition more than they bring are let go one
            # at a time (the worst per coalition): without one, another may become worth keeping
            marginal = np.where(ev.is_user, 0.0, marginal_saving(ky, proposal, ev))
            worst = np.lexsort((marginal, proposal.svc))
            first = worst[np.r_[True, proposal.svc[worst][1:] != proposal.svc[worst][:-1]]]
            stays[first[marginal[first] < -EPS]] = False
        if stays.all():
            break
        proposal = proposal.keep(stays)
    if not len(proposal.svc):
        return Proposal.empty(), np.zeros(len(proposal), dtype=bool), None
    saving = np.bincount(proposal.svc, ev.saving, len(proposal))
    ok = (ev.n >= kind.min_members) & (ev.quantity > EPS) & (saving > EPS)
    return proposal.subset(ok), ok, (ev.subset(ok, proposal.svc) if ok.any() else None)


def redundant(kind: KindTerms, p: Proposal, uses: Uses, ev: Evaluation) -> np.ndarray:
    """Members that only feed (or only take) beyond what the users' quantity needs, cheapest
    connection per unit kept first: a network does not connect heat sources it cannot use."""
    out = np.zeros(len(p.svc), dtype=bool)
    P, svc = len(p), p.svc
    U = np.minimum(np.bincount(svc, np.where(ev.is_user, uses.u[p.pos], 0.0), P), kind.capacity)
    for supply, need in ((uses.h[p.pos], U / kind.source_ratio if kind.source_residue >= 0 else None),
                         (uses.w[p.pos], kind.return_share * U if kind.return_input >= 0 else None)):
        if need is None:
            continue
        cand = np.flatnonzero(~ev.is_user & (supply > EPS))
        if not len(cand):
            continue
        unit_cost = ev.service_connection[cand] / supply[cand]
        cand = cand[np.lexsort((unit_cost, svc[cand]))]
        cum = np.cumsum(supply[cand])
        group_start = np.searchsorted(svc[cand], svc[cand])
        before = cum - supply[cand] - np.concatenate([[0.0], cum])[group_start]
        out[cand[before >= need[svc[cand]] * (1 + 1e-12)]] = True
    return out


def evaluate(ky: KindYear, p: Proposal) -> Evaluation:
    """Quantities, cost, shares and payments of every coalition of ``p`` at once."""
    kind, uses, terms = ky.kind, ky.uses, ky.terms
    P, svc, pos = len(p), p.svc, p.pos
    u, h, w = uses.u[pos], uses.h[pos], uses.w[pos]
    is_user = u > EPS
    dist = (np.hypot(*(ky.xy[pos] - p.hub[svc]).T) if kind.pipe_bound else np.zeros(len(pos)))
    conn = kind.connection_eur_per_km_yr * dist
    own_conn = np.where(is_user, conn, 0.0)
    n = np.bincount(svc, minlength=P)
    U, H, W = (np.bincount(svc, x, P) for x in (u, h, w))
    CN = np.bincount(svc, conn - own_conn, P)
    Q = cost_sharing.served_quantity(kind, U, H)
    frac = np.divide(Q, U, out=np.zeros(P), where=U > 0)
    served = u * frac[svc]
    fed = np.zeros(len(pos))
    if kind.source_residue >= 0:
        fed = h * np.divide(Q / kind.source_ratio, H, out=np.zeros(P), where=H > 0)[svc]
    R = np.minimum(kind.return_share * Q, W) if kind.return_input >= 0 else np.zeros(P)
    received = w * np.divide(R, W, out=np.zeros(P), where=W > 0)[svc]
    revenue = uses.p_return * R
    coordination = terms.coordination(kind)
    cost = cost_sharing.service_cost(kind, Q, revenue, CN, p.cofund, coordination)
    standalone = uses.pu[pos] * frac[svc] + uses.dc_source * fed
    if terms.rule == "proportional":
        share = cost_sharing.proportional_shares(cost, served, Q, svc)
    elif terms.rule == "equal":
        share = cost_sharing.equal_shares(cost, is_user, svc)
    else:
        share = np.zeros(len(pos))
        for c in range(P):
            m = np.flatnonzero(svc == c)
            value = shapley_savings(ky, pos[m], conn[m] - own_conn[m], p.cofund[c], coordination)
            share[m] = standalone[m] - value
    return Evaluation(n=n, quantity=Q, returned=R, revenue=revenue, shared_cost=cost,
                      public=kind.capex_yearly * p.cofund, served=served, fed=fed, received=received,
                      standalone=standalone, share=share, own_connection=own_conn,
                      service_connection=conn - own_conn, is_user=is_user)


def shapley_savings(ky: KindYear, pos: np.ndarray, service_conn: np.ndarray, cofund: float,
                    coordination: float) -> np.ndarray:
    """Each member's (at ``pos``) Shapley value of its coalition's savings game, EUR/yr: exact up to
    ``shapley_exact_max_members``, else from random orders."""
    kind, uses, terms = ky.kind, ky.uses, ky.terms
    vectors = uses.vectors(pos, service_conn)

    def value(size, sums):
        return cost_sharing.coalition_value(kind, size, *sums, uses.dc_source, uses.p_return, cofund, coordination)

    if len(pos) <= terms.shapley_exact_max_members:
        return cost_sharing.shapley_exact(value, vectors)
    rng = cost_sharing.shapley_stream(ky.seed, ky.year, kind.index, ky.uid[pos])
    return cost_sharing.shapley_sampled(value, vectors, rng, terms.shapley_permutations)


def marginal_saving(ky: KindYear, p: Proposal, ev: Evaluation) -> np.ndarray:
    """Per membership, what the coalition saves with the member minus without it (EUR/yr).

    A member that only feeds the service or only takes its returns is invited only while this
    is not negative: its heat or the water it buys must be worth its connection.
    """
    kind, uses = ky.kind, ky.uses
    P, svc = len(p), p.svc
    vectors = uses.vectors(p.pos, ev.service_connection)
    sums = np.stack([np.bincount(svc, v, P) for v in vectors])
    args = (uses.dc_source, uses.p_return, p.cofund[svc], ky.terms.coordination(kind))
    with_member = cost_sharing.coalition_value(kind, np.inf, *sums[:, svc], *args, clip=False)
    without = cost_sharing.coalition_value(kind, np.inf, *(sums[:, svc] - vectors), *args, clip=False)
    return with_member - without
