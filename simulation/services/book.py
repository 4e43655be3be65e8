"""The service book: every shared service over the years, its members, and what it did each year.

Formation (:mod:`simulation.services.formation`) decides which coalitions of a kind run this year;
the book remembers them: the services with their hubs and founding years, who is a member since
when, one record per service and year (``services.csv``), and what the services took from the
market last year, which :meth:`ServiceBook.reserve` sets aside for them before new exchanges are
negotiated, as standing contracts' deliveries are (docs/ODD.md §2.10, §7.15 *Booking*).
"""

from __future__ import annotations

from dataclasses import dataclass, field

import numpy as np
import pandas as pd

from simulation.columns import ColumnTable, Positions
from simulation.exchange.market import Market
from simulation.services.formation import Evaluation, KindYear, Proposal, coalitions
from simulation.services.kinds import EPS, KindTerms, ServiceTerms
from simulation.services.uses import FirmTraits, Uses


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
    def empty(cls) -> Memberships:
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
    in_utility: np.ndarray       # (N,) bool: member of a utility (resource-based kinds)
    in_accessory: np.ndarray     # (N,) bool: member of an accessory service (employees, plot area, firm)
    active: int = 0
    memberships: int = 0
    public_eur: float = 0.0      # EUR: public money paid into the year's services (services.csv public_funding_eur)

    @classmethod
    def empty(cls, n: int, n_res: int) -> ServiceYear:
        return cls(np.zeros(n), np.zeros((n, n_res)), np.zeros((n, n_res)), np.zeros((n, n_res)),
                   np.zeros(n, dtype=bool), np.zeros(n, dtype=bool))

    @property
    def in_service(self) -> np.ndarray:
        """(N,) bool: member of at least one service."""
        return self.in_utility | self.in_accessory

    @property
    def private_savings_eur(self) -> float:
        """The members' saving without the public money in it, EUR: their stand-alone costs minus
        their payments, less the co-funded capex and the park manager's cost that lowered those
        payments. A firm's profit keeps the whole of its saving (``saving``): it did receive the
        transfer; only the district's measure of what services save leaves public money out."""
        return float(self.saving.sum()) - self.public_eur


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
        standing contract's are not (docs/ODD.md §3 step 3); :meth:`update` releases them to the services.
        """
        pos_of = Positions(market.uid)
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
        pos_of = Positions(market.uid)
        for kind in self.kinds:
            if not enabled:
                proposal, ev = Proposal.empty(), None
            else:
                uses = Uses.of(kind, market, traits)
                ky = KindYear(kind, year, self.seed, terms, uses, market.xy_km, market.uid)
                proposal, ev = coalitions(ky, self._standing(kind, pos_of))
                if len(proposal):
                    self._book_flows(kind, proposal, ev, uses, market, result)
            evaluated.append((kind, proposal, ev))
        active_count = sum(len(p) for _, p, _ in evaluated)
        if terms.manager_active and active_count:
            manager_share = terms.manager_cost_eur / active_count
        for kind, proposal, ev in evaluated:
            self._book_services(kind, year, proposal, ev, market, manager_share)
        result.active = active_count
        result.memberships = sum(len(p.svc) for _, p, _ in evaluated)
        result.public_eur = sum(float(ev.public.sum()) for _, _, ev in evaluated if ev is not None) + (
            manager_share * active_count)
        self._claims = {}
        for table, old in before.items():
            taken = old - getattr(market, table)
            pos, col = np.nonzero(taken > EPS)
            self._claims[table] = (market.uid[pos], col, taken[pos, col])
        return result

    def _standing(self, kind: KindTerms, pos_of: Positions) -> Proposal:
        """The kind's standing services with last year's members (``pos = -1`` for firms gone)."""
        standing = self._active_by_kind.get(kind.index, [])
        if not standing:
            return Proposal.empty()
        m = self._members[kind.index]
        svc = np.searchsorted(np.array([s.uid for s in standing]), m.service)  # both in uid order
        hub = np.array([s.hub_km for s in standing]).reshape(-1, 2)
        return Proposal(svc, pos_of(m.firm), hub, np.array([s.cofund for s in standing]),
                        np.array([s.uid - 1 for s in standing]))

    # ------------------------------------------------------------------ booking
    def _book_flows(self, kind: KindTerms, p: Proposal, ev: Evaluation, uses: Uses, market: Market,
                    result: ServiceYear) -> None:
        """Per-firm flows and savings of the year; take what the kind used out of the market."""
        pos = p.pos
        np.add.at(result.saving, pos, ev.saving)
        (result.in_utility if kind.service_class == "utility" else result.in_accessory)[pos] = True
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
                       manager_share: float) -> None:
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
        self.year_members.append({
            "kind": kind.id, "service": uids[p.svc], "firm": market.uid[p.pos], "payment": ev.payment,
            "standalone": ev.standalone, "served": ev.served, "distance_km": dist, "quantity": ev.quantity[p.svc],
            "capacity": np.full(len(p.pos), kind.capacity), "reach_km": np.full(len(p.pos), kind.reach_km)})
