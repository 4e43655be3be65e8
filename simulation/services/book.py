"""Shared services (DESIGN §1 step 6): utilities and accessory services firms found, join and leave.

Industrial symbiosis is three practices: by-product exchange (:mod:`simulation.exchange.market`), shared
infrastructure and utilities (water, heat, wastewater) and shared accessory services (canteen,
security, cleaning). This module runs the last two as coalitions, one service **kind** at a time
(:mod:`simulation.inputs.catalogue` ``ServiceKind``), each year after the exchanges are signed.

**What a member saves.** Each firm has a *use* of each kind: the left-over residue or input
demand it would otherwise treat or buy alone (priced at this year's disposal or virgin cost), or
a quantity from its employees, plot area or mere presence (priced at the kind's stand-alone cost).
A service carrying ``Q`` costs ``C(Q) = F + coordination + capex·CRF·(1 − co-funding) +
v·Q_ref·(Q/Q_ref)^b − revenue of returned water + connections of members that only feed or take``.
Each member pays a **share** of ``C`` by the scenario's rule, plus its own connection to a
pipe-bound hub; its **stand-alone cost** is what the service spares it; its saving is the
difference. Members that only feed the service (heat sources) or only take its returned water
use none of it: they pay no share under the proportional and equal rules.

**Cost-share rules.** ``proportional`` to each member's served quantity; ``equal`` among the
members that use the service; ``shapley``: the Shapley value of the savings game
``v(S) = max(0, stand-alone cost of S's served quantities − C(S))`` (0 below the minimum
membership), the member paying its stand-alone cost minus its Shapley saving. The value is exact
(all ``2^n`` coalitions) up to ``shapley_exact_max_members`` and estimated above from
``shapley_permutations`` random member orders (Castro, Gómez & Tejada 2009), drawn from a generator
seeded by the model seed, the year and the coalition, so the model's keyed streams are untouched.

**Dynamics, each year and kind.** (1) Each standing service keeps its members still present,
still using it and, if pipe-bound, within reach of its hub; firms not yet in a service of the kind
join the nearest hub in reach (pipe-bound) or the service with most spare capacity, while capacity
lasts. (2) Feeders and takers beyond what the users need are let go; members whose payment exceeds
their stand-alone cost leave, all at once, and shares are recomputed until none does
(:meth:`Firm.accepts_service_share`); then a feeder or taker that costs its coalition more than it
brings is let go, one at a time. A service left with fewer than ``min_members`` members, serving
nothing or saving nothing, closes. (3) Firms in no service of the kind propose new ones: around
the largest remaining user (pipe-bound, members within reach; anchors whose neighbourhood could not
pay the fixed costs are skipped), or in capacity-sized groups of the largest users; a proposal is
founded when it passes (2). What services take from the year's left-overs is set aside for them
next year before new exchanges are negotiated (:meth:`ServiceBook.reserve`), as standing contracts'
deliveries are. Everything is vectorised over all coalitions of a kind (``numpy.bincount``),
pipe-bound reach uses one ``cKDTree.query_pairs`` per kind and year, so the cost grows about
linearly with the number of firms.

**Flows.** A residue service treats its members' wastewater: the part returned for reuse counts
as ``exchanged`` (and as ``received`` by the members taking it), the rest as ``treated``; a service
with a ``source`` (heat network) counts the heat it carries as ``exchanged`` by its feeders and
``received`` by its users. Services on inputs without a source (a water supply) and accessory
services change money, not flows. So ``generated = exchanged + treated + disposed`` and
``demand = received + virgin`` keep holding per firm and resource.
"""

from __future__ import annotations

import math
from dataclasses import dataclass, field

import numpy as np
import pandas as pd
from scipy.spatial import cKDTree

from simulation.agents.firm import Firm
from simulation.inputs.catalogue import Catalogue
from simulation.columns import ColumnTable
from simulation.exchange.market import Market, SubstitutionTable, capital_recovery_factor

EPS = 1e-9
MAX_FOUNDING_ROUNDS = 3


@dataclass(frozen=True)
class KindTerms:
    """One service kind in the form the model computes with (numbers as floats, ids as indices)."""

    index: int
    id: str
    service_class: str
    unit: str
    basis: str
    resources: np.ndarray        # driver resource indices (input/residue bases)
    per_unit: float              # service units per person / m2 / firm and year
    standalone_cost: float       # EUR per unit (non-resource bases)
    fixed: float                 # EUR/yr
    coordination: float          # EUR/yr without a park manager
    capex_yearly: float          # EUR/yr: capex × CRF, before co-funding
    variable: float              # EUR per unit at the reference quantity
    reference_q: float
    exponent: float
    capacity: float              # unit/yr
    min_members: int
    reach_km: float              # inf when not pipe-bound
    connection_eur_per_km_yr: float
    source_residue: int = -1     # heat network: residue it carries, the substitution row and its ratio
    source_row: int = -1
    source_ratio: float = 1.0
    source_max_share: float = -1.0  # of a member's demand, exchanges included (< 0: the row's own cap)
    return_input: int = -1       # wastewater plant: input it returns, share of Q, max share of a taker's demand
    return_share: float = 0.0
    return_max_share: float = 0.0

    @property
    def pipe_bound(self) -> bool:
        return math.isfinite(self.reach_km)

    def variable_cost(self, q: np.ndarray) -> np.ndarray:
        """``v·Q_ref·(Q/Q_ref)^b`` EUR/yr (``v·Q`` when ``b = 1``); 0 for ``Q = 0``."""
        q = np.maximum(q, 0.0)
        if self.exponent == 1.0:
            return self.variable * q
        return self.variable * self.reference_q * (q / self.reference_q) ** self.exponent

    @classmethod
    def compile(cls, catalogue: Catalogue, discount_rate: float) -> list["KindTerms"]:
        subs = SubstitutionTable.from_catalogue(catalogue)
        kinds = []
        for k, (kid, kind) in enumerate(catalogue.services.items()):
            extra = {}
            if kind.source is not None:
                r, i = catalogue.index(kind.source.residue), catalogue.index(kind.demand.resources[0])
                row = int(np.flatnonzero((subs.residue == r) & (subs.input == i))[0])
                extra.update(source_residue=r, source_row=row, source_ratio=float(subs.ratio[row]),
                             source_max_share=kind.source.max_share.value if kind.source.max_share else -1.0)
            if kind.returns is not None:
                extra.update(return_input=catalogue.index(kind.returns.input),
                             return_share=kind.returns.share.value, return_max_share=kind.returns.max_share.value)
            reach = kind.reach
            kinds.append(cls(
                index=k, id=kid, service_class=kind.service_class, unit=kind.unit, basis=kind.demand.basis,
                resources=np.array([catalogue.index(r) for r in kind.demand.resources], dtype=np.int64),
                per_unit=kind.demand.per_unit.value if kind.demand.per_unit else 0.0,
                standalone_cost=kind.standalone_cost.value if kind.standalone_cost else 0.0,
                fixed=kind.fixed_cost.value, coordination=kind.coordination_cost.value,
                capex_yearly=kind.capex.value * capital_recovery_factor(discount_rate, kind.lifetime.value),
                variable=kind.variable_cost.value,
                reference_q=kind.reference_quantity.value if kind.reference_quantity else 1.0,
                exponent=kind.scale_exponent.value, capacity=kind.capacity.value,
                min_members=int(kind.min_members.value),
                reach_km=reach.max_distance.value if reach else math.inf,
                connection_eur_per_km_yr=(reach.connection_cost_per_m.value * 1000
                                          * capital_recovery_factor(discount_rate, reach.lifetime.value)
                                          if reach else 0.0),
                **extra))
        return kinds


@dataclass(frozen=True)
class ServiceTerms:
    """This year's rules for services: the cost-share rule and the policy in force."""

    rule: str                      # proportional | equal | shapley
    shapley_exact_max_members: int
    shapley_permutations: int
    manager_active: bool           # a park manager takes over coordination
    manager_cost_eur: float        # its yearly cost (public)
    cofunding_share: float         # of capex, for services founded this year


@dataclass
class FirmTraits:
    """What services read about the firms present (positions as in the year's Market)."""

    employees: np.ndarray        # persons
    site_area_m2: np.ndarray     # the archetype's site area
    demand: np.ndarray           # (N, R) input demand of the year (for returned water's max share)
    disposal_cost: np.ndarray    # (R,) EUR/unit this year
    virgin_cost: np.ndarray      # (R,) EUR/unit this year


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

    def keep(self, memberships: np.ndarray) -> "Proposal":
        return Proposal(self.svc[memberships], self.pos[memberships], self.hub, self.cofund, self.service)

    def subset(self, coalitions: np.ndarray) -> "Proposal":
        """Only the coalitions flagged in ``coalitions`` (bool, length P), renumbered."""
        new_index = np.cumsum(coalitions) - 1
        m = coalitions[self.svc]
        return Proposal(new_index[self.svc[m]], self.pos[m], self.hub[coalitions], self.cofund[coalitions],
                        self.service[coalitions])

    @classmethod
    def concat(cls, parts: list["Proposal"]) -> "Proposal":
        parts = [p for p in parts if len(p)]
        if not parts:
            return cls.empty()
        offsets = np.cumsum([0] + [len(p) for p in parts[:-1]])
        return cls(np.concatenate([p.svc + o for p, o in zip(parts, offsets)]),
                   np.concatenate([p.pos for p in parts]), np.concatenate([p.hub for p in parts]),
                   np.concatenate([p.cofund for p in parts]), np.concatenate([p.service for p in parts]))

    @classmethod
    def empty(cls) -> "Proposal":
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

    def subset(self, coalitions: np.ndarray, svc: np.ndarray) -> "Evaluation":
        """The evaluation of the coalitions flagged in ``coalitions`` (coalitions are independent)."""
        m = coalitions[svc]
        return Evaluation(**{f: getattr(self, f)[coalitions if f in self.PER_COALITION else m]
                             for f in self.__dataclass_fields__})

    @classmethod
    def concat(cls, parts: list["Evaluation"]) -> "Evaluation":
        return cls(**{f: np.concatenate([getattr(e, f) for e in parts]) for f in cls.__dataclass_fields__})

    @property
    def saving(self) -> np.ndarray:
        return self.standalone - self.payment


@dataclass
class Service:
    """One shared service: its kind, hub, founding and closing (members are kept by the book)."""

    uid: int
    kind: int
    hub_km: np.ndarray           # (2,), NaN when not pipe-bound
    founded: int
    cofund: float
    closed: int | None = None
    members: np.ndarray = field(default_factory=lambda: np.zeros(0, dtype=np.int64))  # firm uids now, sorted


@dataclass
class Memberships:
    """Current members of every standing service of one kind, sorted by (service, firm)."""

    service: np.ndarray          # service uid
    firm: np.ndarray             # firm unique_id
    joined: np.ndarray           # first year of membership

    @classmethod
    def empty(cls) -> "Memberships":
        e = np.zeros(0, dtype=np.int64)
        return cls(e, e.copy(), e.copy())

    def keys(self) -> np.ndarray:
        return self.service.astype(np.int64) * (1 << 32) + self.firm


@dataclass
class ServiceYear:
    """What the services did in one year, per firm position (for settlement and indicators)."""

    saving: np.ndarray           # (N,) EUR: stand-alone cost − payment, over the firm's services
    treated: np.ndarray          # (N, R) residue units treated and discharged by a service
    exchanged: np.ndarray        # (N, R) residue units reused through a service
    received: np.ndarray         # (N, R) input units received from a service
    in_service: np.ndarray       # (N,) bool
    active: int = 0
    memberships: int = 0

    @classmethod
    def empty(cls, n: int, n_res: int) -> "ServiceYear":
        return cls(np.zeros(n), np.zeros((n, n_res)), np.zeros((n, n_res)), np.zeros((n, n_res)),
                   np.zeros(n, dtype=bool))

    @property
    def savings_eur(self) -> float:
        return float(self.saving.sum())


# What is stored per service and year; the rest of a services.csv row comes from the service and its kind.
RECORD_COLUMNS = {"year": np.int16, "service": np.int32, "members": np.int32, "quantity": np.float64,
                  "returned": np.float64, "cost_eur": np.float64, "standalone_eur": np.float64,
                  "revenue_eur": np.float64, "public_funding_eur": np.float64}


SPELL_COLUMNS = {"service": np.int32, "firm": np.int32, "first_year": np.int16, "last_year": np.int16}


class ServiceBook:
    """Every shared service ever founded, their members over time, and one record per service-year."""

    def __init__(self, kinds: list[KindTerms], seed: int, n_resources: int):
        self.kinds = kinds
        self.seed = seed
        self.n_resources = n_resources
        self.services: list[Service] = []
        # one small table per kind and year (RECORD_COLUMNS), and the memberships that ended
        # (service, firm, first year, last year): columnar, a few bytes per service-year and spell
        self._records = ColumnTable(RECORD_COLUMNS)
        self._ended = ColumnTable(SPELL_COLUMNS)
        # What services took from the market last year, kept for them this year (firm uid, column, qty)
        # per market table; and what reserve() actually set aside (positions) until update() releases it.
        self._claims: dict[str, tuple[np.ndarray, np.ndarray, np.ndarray]] = {}
        self._reserved: dict[str, tuple[np.ndarray, np.ndarray, np.ndarray]] = {}
        self._active_by_kind: dict[int, list[Service]] = {}
        self._members: dict[int, Memberships] = {}
        # this year's memberships, one dict of parallel arrays per kind (for checks and inspection)
        self.year_members: list[dict[str, np.ndarray]] = []

    # ------------------------------------------------------------------ queries
    def active(self) -> list[Service]:
        return [s for services in self._active_by_kind.values() for s in services]

    def memberships_of(self, firm_uid: int) -> list[int]:
        """Unique ids of the services a firm belongs to now."""
        return sorted(int(m.service[k]) for m in self._members.values() for k in np.flatnonzero(m.firm == firm_uid))

    def records(self) -> pd.DataFrame:
        """One row per service and year it ran (RECORD_COLUMNS plus the kind and the service's data)."""
        frame = pd.DataFrame({c: self._records.column(c) for c in RECORD_COLUMNS})
        service = [self.services[u - 1] for u in frame.service]
        kinds = [self.kinds[s.kind] for s in service]
        return frame.assign(
            kind=[k.id for k in kinds], service_class=[k.service_class for k in kinds], unit=[k.unit for k in kinds],
            capacity=[k.capacity for k in kinds], savings_eur=frame.standalone_eur - frame.cost_eur,
            hub_x_m=[s.hub_km[0] * 1000 for s in service], hub_y_m=[s.hub_km[1] * 1000 for s in service],
            founded_year=[s.founded for s in service])

    def spells(self) -> pd.DataFrame:
        """Every membership: ``service, firm, first_year, last_year`` (open ones end in the last year)."""
        last = int(self._records.column("year").max(initial=0))
        parts = [tuple(self._ended.column(c) for c in SPELL_COLUMNS)] + [
            (m.service, m.firm, m.joined, np.full(len(m.firm), last)) for m in self._members.values()]
        return pd.DataFrame({c: np.concatenate([p[k] for p in parts]).astype(np.int64)
                             for k, c in enumerate(SPELL_COLUMNS)})

    # ------------------------------------------------------------------ the year
    def reserve(self, market: Market) -> None:
        """Set aside, before this year's new exchanges, what standing services took last year.

        A member's flows committed to a service are not offered to new bilateral deals, as a
        standing contract's are not (DESIGN §1 step 3); :meth:`update` releases them to the services.
        """
        pos_of = _positions(market.uid)
        self._reserved = {}
        for table, (uids, col, qty) in self._claims.items():
            arr, pos = getattr(market, table), pos_of(uids)
            present = pos >= 0
            pos, col, qty = pos[present], col[present], qty[present]
            take = np.minimum(qty, np.maximum(arr[pos, col], 0.0))
            np.subtract.at(arr, (pos, col), take)
            self._reserved[table] = (pos, col, take)

    def _release(self, market: Market) -> None:
        for table, (pos, col, take) in self._reserved.items():
            np.add.at(getattr(market, table), (pos, col), take)
        self._reserved = {}

    def update(self, year: int, market: Market, traits: FirmTraits, terms: ServiceTerms,
               enabled: bool = True) -> ServiceYear:
        """Found, join, leave and close services of every kind; book what they do this year.

        Kinds are handled in catalogue order; what one kind takes (residue treated, input
        delivered) is taken out of ``market``'s left-overs before the next kind looks.
        """
        self._release(market)
        self.year_members = []
        before = {t: getattr(market, t).copy() for t in ("supply_left", "input_left", "row_cap_left")}
        n = len(market.uid)
        result = ServiceYear.empty(n, self.n_resources)
        manager_share = 0.0
        evaluated = []
        for kind in self.kinds:
            if not enabled:
                proposal, ev = Proposal.empty(), None
            else:
                uses = self._uses(kind, market, traits)
                proposal, ev = self._coalitions(kind, year, market, uses, terms)
                if len(proposal):
                    self._book_flows(kind, proposal, ev, uses, market, result)
            evaluated.append((kind, proposal, ev))
        active_count = sum(len(p) for _, p, _ in evaluated)
        if terms.manager_active and active_count:
            manager_share = terms.manager_cost_eur / active_count
        for kind, proposal, ev in evaluated:
            self._book_services(kind, year, proposal, ev, market, manager_share, terms)
        result.active = active_count
        result.memberships = sum(len(p.svc) for _, p, _ in evaluated)
        self._claims = {}
        for table, old in before.items():
            taken = old - getattr(market, table)
            pos, col = np.nonzero(taken > EPS)
            self._claims[table] = (market.uid[pos], col, taken[pos, col])
        return result

    # ------------------------------------------------------------------ uses
    def _uses(self, kind: KindTerms, market: Market, traits: FirmTraits) -> Uses:
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
            return Uses(u, u * kind.standalone_cost, u_res, zero, zero, 0.0, 0.0)
        if kind.return_input >= 0:
            i = kind.return_input
            w = np.maximum(np.minimum(market.input_left[:, i], kind.return_max_share * traits.demand[:, i]), 0.0)
            p_return = float(traits.virgin_cost[i])
        u = u_res.sum(axis=1)
        return Uses(u, pu, u_res, h, w, dc_source, p_return)

    # ------------------------------------------------------------------ coalitions
    def _coalitions(self, kind: KindTerms, year: int, market: Market, uses: Uses,
                    terms: ServiceTerms) -> tuple[Proposal, Evaluation | None]:
        """This year's services of one kind: standing ones updated, then new ones founded."""
        xy, pos_of = market.xy_km, _positions(market.uid)
        eligible = uses.eligible
        standing = self._active_by_kind.get(kind.index, [])
        incumbents = self._standing(kind, standing, pos_of, eligible, xy)
        taken = np.zeros(len(eligible), dtype=bool)
        taken[incumbents.pos] = True
        proposal = self._with_newcomers(kind, incumbents, eligible & ~taken, uses, xy)
        kept, _, ev = self._stabilise(kind, year, proposal, uses, xy, terms, market.uid)
        survivors, evaluations = [kept], [ev]
        in_kind = np.zeros(len(eligible), dtype=bool)
        in_kind[kept.pos] = True
        approached = np.zeros(len(eligible), dtype=bool)
        for _ in range(MAX_FOUNDING_ROUNDS):
            pool = eligible & ~in_kind & ~approached
            if not (uses.u[pool] > EPS).any():
                break
            new = self._found(kind, pool, uses, xy, terms)
            if not len(new):
                break
            founded, ok, ev = self._stabilise(kind, year, new, uses, xy, terms, market.uid)
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

    def _standing(self, kind: KindTerms, standing: list[Service], pos_of, eligible: np.ndarray,
                  xy: np.ndarray) -> Proposal:
        """Standing services with the members still present, still using them and within reach."""
        if not standing:
            return Proposal.empty()
        m = self._members[kind.index]
        svc = np.searchsorted(np.array([s.uid for s in standing]), m.service)  # both in uid order
        pos = pos_of(m.firm)
        hub = np.array([s.hub_km for s in standing]).reshape(-1, 2)
        keep = pos >= 0
        keep[keep] = eligible[pos[keep]]
        if kind.pipe_bound:
            d = np.full(len(pos), np.inf)
            d[keep] = np.hypot(*(xy[pos[keep]] - hub[svc[keep]]).T)
            keep &= d <= kind.reach_km
        return Proposal(svc[keep], pos[keep], hub, np.array([s.cofund for s in standing]),
                        np.array([s.uid - 1 for s in standing]))

    def _with_newcomers(self, kind: KindTerms, incumbents: Proposal, pool: np.ndarray, uses: Uses,
                        xy: np.ndarray) -> Proposal:
        """Firms in no service of the kind apply to standing ones, while capacity lasts."""
        if not len(incumbents) or not pool.any():
            return incumbents
        cand = np.flatnonzero(pool)
        cand = cand[np.argsort(-uses.pu[cand], kind="stable")]
        if kind.pipe_bound:
            reach = np.nextafter(kind.reach_km, np.inf)
            dist, target = cKDTree(incumbents.hub).query(xy[cand], k=1, distance_upper_bound=reach)
            found = np.isfinite(dist)
            cand, target = cand[found], target[found]
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
            for j, (c, u) in enumerate(zip(cand.tolist(), uses.u[cand].tolist())):
                best = int(np.argmax(spare))
                if u <= EPS or u <= spare[best] * (1 + 1e-12):
                    target[j] = best
                    spare[best] -= u
            cand, target = cand[target >= 0], target[target >= 0]
        return Proposal(np.concatenate([incumbents.svc, target]), np.concatenate([incumbents.pos, cand]),
                        incumbents.hub, incumbents.cofund, incumbents.service)

    def _found(self, kind: KindTerms, pool: np.ndarray, uses: Uses, xy: np.ndarray,
               terms: ServiceTerms) -> Proposal:
        """New coalitions proposed among the firms of ``pool`` (disjoint).

        Pipe-bound: around each user in decreasing stand-alone cost (the anchor, whose plot is the
        hub), the pool's firms within reach, largest first while capacity lasts; an anchor whose
        whole neighbourhood could not even pay the service's fixed costs is skipped. Otherwise:
        the pool's users in decreasing stand-alone cost, cut into groups that fill the capacity.
        """
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
            coordination = 0.0 if terms.manager_active else kind.coordination
            fixed = kind.fixed + coordination + kind.capex_yearly * (1 - terms.cofunding_share)
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

    def _redundant(self, kind: KindTerms, p: Proposal, uses: Uses, ev: Evaluation) -> np.ndarray:
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

    def _stabilise(self, kind: KindTerms, year: int, proposal: Proposal, uses: Uses, xy: np.ndarray,
                   terms: ServiceTerms, uid: np.ndarray) -> tuple[Proposal, np.ndarray, Evaluation | None]:
        """Members whose payment exceeds their stand-alone cost leave (all at once) until none does;
        coalitions then below ``min_members``, serving nothing or saving nothing dissolve.

        Returns the surviving coalitions (renumbered), per coalition given whether it survived, and
        the survivors' evaluation.
        """
        if len(proposal.svc) and (kind.source_residue >= 0 or kind.return_input >= 0):
            ev = self._evaluate(kind, year, proposal, uses, xy, terms, uid)
            proposal = proposal.keep(~self._redundant(kind, proposal, uses, ev))
        while len(proposal.svc):
            ev = self._evaluate(kind, year, proposal, uses, xy, terms, uid)
            stays = Firm.accepts_service_share(ev.payment, ev.standalone)
            if stays.all() and not ev.is_user.all():
                # feeders and takers that cost the coalition more than they bring are let go one
                # at a time (the worst per coalition): without one, another may become worth keeping
                marginal = np.where(ev.is_user, 0.0, self._marginal_saving(kind, proposal, uses, ev, terms))
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

    def _evaluate(self, kind: KindTerms, year: int, p: Proposal, uses: Uses, xy: np.ndarray,
                  terms: ServiceTerms, uid: np.ndarray) -> Evaluation:
        """Quantities, cost, shares and payments of every coalition of ``p`` at once."""
        P, svc, pos = len(p), p.svc, p.pos
        u, h, w = uses.u[pos], uses.h[pos], uses.w[pos]
        is_user = u > EPS
        dist = (np.hypot(*(xy[pos] - p.hub[svc]).T) if kind.pipe_bound else np.zeros(len(pos)))
        conn = kind.connection_eur_per_km_yr * dist
        own_conn = np.where(is_user, conn, 0.0)
        n = np.bincount(svc, minlength=P)
        U, H, W = (np.bincount(svc, x, P) for x in (u, h, w))
        CN = np.bincount(svc, conn - own_conn, P)
        Q = self._quantity(kind, U, H)
        frac = np.divide(Q, U, out=np.zeros(P), where=U > 0)
        served = u * frac[svc]
        fed = np.zeros(len(pos))
        if kind.source_residue >= 0:
            fed = h * np.divide(Q / kind.source_ratio, H, out=np.zeros(P), where=H > 0)[svc]
        R = np.minimum(kind.return_share * Q, W) if kind.return_input >= 0 else np.zeros(P)
        received = w * np.divide(R, W, out=np.zeros(P), where=W > 0)[svc]
        revenue = uses.p_return * R
        coordination = 0.0 if terms.manager_active else kind.coordination
        cost = (kind.fixed + coordination + kind.capex_yearly * (1 - p.cofund) + kind.variable_cost(Q)
                - revenue + CN)
        standalone = uses.pu[pos] * frac[svc] + uses.dc_source * fed
        if terms.rule == "proportional":
            share = cost[svc] * np.divide(served, Q[svc], out=np.zeros(len(pos)), where=Q[svc] > 0)
        elif terms.rule == "equal":
            users = np.bincount(svc, is_user, P)
            share = np.where(is_user, cost[svc] / np.maximum(users[svc], 1), 0.0)
        else:
            share = np.zeros(len(pos))
            for c in range(P):
                m = np.flatnonzero(svc == c)
                value = self._shapley_savings(kind, year, uses, pos[m], conn[m] - own_conn[m], p.cofund[c],
                                              coordination, terms, uid)
                share[m] = standalone[m] - value
        return Evaluation(n=n, quantity=Q, returned=R, revenue=revenue, shared_cost=cost,
                          public=kind.capex_yearly * p.cofund, served=served, fed=fed, received=received,
                          standalone=standalone, share=share, own_connection=own_conn,
                          service_connection=conn - own_conn, is_user=is_user)

    def _marginal_saving(self, kind: KindTerms, p: Proposal, uses: Uses, ev: Evaluation,
                         terms: ServiceTerms) -> np.ndarray:
        """Per membership, what the coalition saves with the member minus without it (EUR/yr).

        A member that only feeds the service or only takes its returns is invited only while this
        is not negative: its heat or the water it buys must be worth its connection.
        """
        P, svc, pos = len(p), p.svc, p.pos
        vectors = np.stack([uses.u[pos], uses.pu[pos], uses.h[pos], uses.w[pos], ev.service_connection])
        sums = np.stack([np.bincount(svc, v, P) for v in vectors])
        coordination = 0.0 if terms.manager_active else kind.coordination
        args = (uses.dc_source, uses.p_return, p.cofund[svc], coordination)
        with_member = self.coalition_value(kind, np.inf, *sums[:, svc], *args, clip=False)
        without = self.coalition_value(kind, np.inf, *(sums[:, svc] - vectors), *args, clip=False)
        return with_member - without

    @staticmethod
    def _quantity(kind: KindTerms, U: np.ndarray, H: np.ndarray) -> np.ndarray:
        Q = np.minimum(U, kind.capacity)
        if kind.source_residue >= 0:
            Q = np.minimum(Q, kind.source_ratio * H)
        return Q

    def coalition_value(self, kind: KindTerms, size, U, PU, H, W, CN, dc_source: float, p_return: float,
                        cofund, coordination: float, clip: bool = True) -> np.ndarray:
        """Savings ``v(S)`` of coalitions given by their sums (arrays of any shape), EUR/yr: 0 below
        ``min_members`` or when nothing is served; ``clip=False`` gives the raw stand-alone cost minus
        cost instead (negative when the service does not pay)."""
        Q = self._quantity(kind, U, H)
        frac = np.divide(Q, U, out=np.zeros(np.shape(Q)), where=U > 0)
        sa = PU * frac
        if kind.source_residue >= 0:
            sa = sa + dc_source * Q / kind.source_ratio
        R = np.minimum(kind.return_share * Q, W) if kind.return_input >= 0 else 0.0
        cost = (kind.fixed + coordination + kind.capex_yearly * (1 - cofund) + kind.variable_cost(Q)
                - p_return * R + CN)
        if not clip:
            return sa - cost
        return np.where((size >= kind.min_members) & (Q > EPS), np.maximum(sa - cost, 0.0), 0.0)

    def _shapley_savings(self, kind: KindTerms, year: int, uses: Uses, pos: np.ndarray, service_conn: np.ndarray,
                         cofund: float, coordination: float, terms: ServiceTerms, uid: np.ndarray) -> np.ndarray:
        """Each member's Shapley value of the savings game (exact, or from random orders)."""
        n = len(pos)
        vectors = np.stack([uses.u[pos], uses.pu[pos], uses.h[pos], uses.w[pos], service_conn])

        def value(size, sums):
            return self.coalition_value(kind, size, *sums, uses.dc_source, uses.p_return, cofund, coordination)

        if n <= terms.shapley_exact_max_members:
            masks = np.arange(1 << n)
            bits = ((masks[:, None] >> np.arange(n)) & 1).astype(bool)
            size = bits.sum(axis=1)
            v = value(size, (bits.astype(float) @ vectors.T).T)
            fact = np.array([math.factorial(k) for k in range(n + 1)], dtype=float)
            weight = fact[size] * fact[np.maximum(n - size - 1, 0)] / fact[n]
            with_f = masks[:, None] | (1 << np.arange(n))
            gain = (v[with_f] - v[:, None]) * ~bits
            return (gain * weight[:, None]).sum(axis=0)
        members = np.sort(uid[pos])
        rng = np.random.default_rng([self.seed, year, kind.index, n, int(members.sum() % (1 << 32)),
                                     int(members[0]), int(members[-1])])
        k = terms.shapley_permutations
        order = np.argsort(rng.random((k, n)), axis=1)
        prefix = np.cumsum(vectors[:, order], axis=2)          # (5, k, n)
        size = np.broadcast_to(np.arange(1, n + 1), (k, n))
        v = value(size, prefix)
        gain = np.diff(v, axis=1, prepend=0.0)
        phi = np.zeros(n)
        np.add.at(phi, order.ravel(), gain.ravel())
        return phi / k

    # ------------------------------------------------------------------ booking
    def _book_flows(self, kind: KindTerms, p: Proposal, ev: Evaluation, uses: Uses, market: Market,
                    result: ServiceYear) -> None:
        """Per-firm flows and savings of the year; take what the kind used out of the market."""
        pos = p.pos
        np.add.at(result.saving, pos, ev.saving)
        result.in_service[pos] = True
        if kind.basis in ("residue", "input"):
            split = np.divide(uses.u_res[pos], uses.u[pos][:, None], out=np.zeros((len(pos), len(kind.resources))),
                              where=uses.u[pos][:, None] > 0)
            q_res = split * ev.served[:, None]
            if kind.basis == "residue":
                reused = np.divide(ev.returned, ev.quantity, out=np.zeros(len(p)), where=ev.quantity > 0)[p.svc]
                for j, r in enumerate(kind.resources.tolist()):
                    np.add.at(result.exchanged[:, r], pos, q_res[:, j] * reused)
                    np.add.at(result.treated[:, r], pos, q_res[:, j] * (1 - reused))
                    np.add.at(market.supply_left[:, r], pos, -q_res[:, j])
            else:
                for j, r in enumerate(kind.resources.tolist()):
                    np.add.at(market.input_left[:, r], pos, -q_res[:, j])
                if kind.source_residue >= 0:
                    i, s = kind.resources[0], kind.source_residue
                    np.add.at(result.received[:, i], pos, ev.served)
                    row_left = market.row_cap_left[:, kind.source_row]
                    row_left[pos] = np.maximum(row_left[pos] - ev.served, 0.0)
                    np.add.at(result.exchanged[:, s], pos, ev.fed)
                    np.add.at(market.supply_left[:, s], pos, -ev.fed)
        if kind.return_input >= 0:
            np.add.at(result.received[:, kind.return_input], pos, ev.received)
            np.add.at(market.input_left[:, kind.return_input], pos, -ev.received)

    def _book_services(self, kind: KindTerms, year: int, p: Proposal, ev: Evaluation | None, market: Market,
                       manager_share: float, terms: ServiceTerms) -> None:
        """Open and close Service objects, carry membership spells; one record per service."""
        new = np.flatnonzero(p.service < 0)
        for c in new.tolist():
            self.services.append(Service(uid=len(self.services) + 1, kind=kind.index, hub_km=p.hub[c].copy(),
                                         founded=year, cofund=float(p.cofund[c])))
        index = p.service.copy()
        index[new] = np.arange(len(self.services) - len(new), len(self.services))
        uids = index + 1                                    # service uid per coalition
        active = [self.services[k] for k in index.tolist()]  # in uid order: standing first, then new
        kept = set(uids.tolist())
        for service in self._active_by_kind.get(kind.index, []):
            if service.uid not in kept:
                service.closed = year
                service.members = service.members[:0]
        self._active_by_kind[kind.index] = active
        # memberships: those in both years keep their first year; the others end or start
        old = self._members.get(kind.index, Memberships.empty())
        now = Memberships(uids[p.svc], market.uid[p.pos].astype(np.int64), np.full(len(p.svc), year))
        order = np.lexsort((now.firm, now.service))
        now = Memberships(now.service[order], now.firm[order], now.joined[order])
        old_keys, now_keys = old.keys(), now.keys()
        if len(old_keys):
            at = np.searchsorted(now_keys, old_keys).clip(max=max(len(now_keys) - 1, 0))
            stays = (now_keys[at] == old_keys) if len(now_keys) else np.zeros(len(old_keys), dtype=bool)
            now.joined[at[stays]] = old.joined[stays]
            gone = ~stays
            self._ended.append(service=old.service[gone], firm=old.firm[gone], first_year=old.joined[gone],
                               last_year=np.full(gone.sum(), year - 1))
        self._members[kind.index] = now
        for service, firms in zip(active, np.split(now.firm, np.searchsorted(now.service, uids[1:]))):
            service.members = firms
        if ev is None:
            return
        P = len(p)
        self._records.append(
            year=np.full(P, year), service=uids, members=ev.n, quantity=ev.quantity, returned=ev.returned,
            cost_eur=np.bincount(p.svc, ev.payment, P), standalone_eur=np.bincount(p.svc, ev.standalone, P),
            revenue_eur=ev.revenue, public_funding_eur=ev.public + manager_share)
        dist = np.hypot(*(market.xy_km[p.pos] - p.hub[p.svc]).T) if kind.pipe_bound else np.zeros(len(p.pos))
        self.year_members.append(dict(
            kind=kind.id, service=uids[p.svc], firm=market.uid[p.pos], payment=ev.payment,
            standalone=ev.standalone, served=ev.served, distance_km=dist, quantity=ev.quantity[p.svc],
            capacity=np.full(len(p.pos), kind.capacity), reach_km=np.full(len(p.pos), kind.reach_km)))


def cofunding_share(policy, year: int) -> float:
    """Share of a service's capex paid publicly for services founded in ``year`` (the scenario's
    ``policy.service_cofunding``, 0 outside its window)."""
    return float(policy.capex_share) if policy.active(year) else 0.0


def _positions(uid: np.ndarray):
    """A function mapping firm unique_ids to positions in ``uid`` (-1 for firms not present)."""
    size = int(uid.max(initial=0)) + 1
    table = np.full(size, -1, dtype=np.int64)
    table[uid] = np.arange(len(uid))

    def pos_of(ids: np.ndarray) -> np.ndarray:
        ids = np.asarray(ids, dtype=np.int64)
        out = np.full(len(ids), -1, dtype=np.int64)
        inside = ids < size
        out[inside] = table[ids[inside]]
        return out

    return pos_of
