"""The planning authority: applies the plan's rules and instruments year by year.

Everything it does is read from the scenario's ``policy`` section (PUG conditionality rules of
Emilia-Romagna law 24/2017 art. 34, APEA rules; reference_data §7), each rule or instrument in
force within its ``start_year``/``end_year`` window:

* **prices** (:meth:`PlanningAuthority.set_prices`): landfill tax by class, virgin-material levy,
  per-tonne exchange subsidy, public share of pre-treatment and of exchange pipes;
* **admission** (:meth:`admit`, :meth:`screen`): the year's applicants are profiled
  (:mod:`simulation.policy.profiling`) and screened as a batch by the rule (open, threshold, ranking
  with a yearly quota, complementarity), sector quotas and exclusions; rejected applicants settle
  elsewhere (counted by reason);
* **plot allocation** (:meth:`choose_plot`): free choice by the firm's utility, or allocation by
  the authority next to likely partners; land-price discounts for high scorers;
* **commitments and enforcement** (:meth:`bind`, :meth:`incentive`, :meth:`monitor`): admitted
  firms may be bound to publish their flows, to reach a minimum share of secondary material
  inputs, to join named shared services; bound firms are monitored every few years, fined, and
  excluded as the plan allows. Bound buyers anticipate the expected fine in negotiation.
"""

from __future__ import annotations

from collections import Counter
from collections.abc import Callable
from dataclasses import dataclass, field
from typing import NamedTuple

import mesa
import numpy as np
from scipy.spatial import cKDTree

from simulation.policy import profiling
from simulation.exchange.market import Incentive, Market, Prices
from simulation.random_streams import APPLICANT, Process, entity_key

TIE = 1e-12  # relative tolerance under which two plot costs or utilities are equal


@dataclass(frozen=True)
class Commitment:
    """What a firm signed at admission (its operating agreement)."""

    publish_flows: bool
    secondary_share: float   # minimum share of material inputs from exchanges (0: not bound)
    deadline_year: int       # first year the secondary share is checked
    services: tuple[str, ...]  # shared services it must belong to

    @property
    def binds(self) -> bool:
        return self.publish_flows or self.secondary_share > 0 or bool(self.services)


@dataclass
class EntryCounts:
    """The year's entry, as counted in ``indicators.csv``."""

    applicants: int = 0
    admitted: int = 0
    rejected_rule: int = 0
    rejected_sector: int = 0
    rejected_no_plot: int = 0
    land_discount_eur: float = 0.0

    @property
    def rejected(self) -> int:
        return self.rejected_rule + self.rejected_sector + self.rejected_no_plot


@dataclass
class EnforcementCounts:
    checked: int = 0
    violations: int = 0
    fines_eur: float = 0.0
    excluded: int = 0


@dataclass
class Screening:
    """The rule's verdict on a batch: who is tried, in which order, and how many may enter."""

    queue: list[int]                       # applicant indices (arrival order = 0, 1, ...)
    rejected: set[int] = field(default_factory=set)
    quota: int | None = None               # admissions allowed this year (None: no quota)


class Application(NamedTuple):
    """One applicant screened: its profile, the decision and the firm it became (a row of
    applicants.csv; a tuple, not a dict, as every applicant of a run is kept)."""

    year: int
    order: int                 # arrival order within the year, from 1
    archetype: str
    sector_group: str
    score: float               # circularity-potential score in [0, 1] and its three families
    circular: float
    territorial: float
    symbiosis: float
    partners: int              # likely partners among the incumbents
    decision: str              # admitted, rejected_rule, rejected_sector, rejected_no_plot
    firm: int | None           # unique_id of the firm, when admitted


class PlanningAuthority(mesa.Agent):
    """Screens applicants, places them on plots, binds and monitors commitments, sets the year's prices.

    Policy is data (the scenario's ``policy`` section); each rule and instrument is in force within
    its ``start_year``/``end_year`` window.
    """

    def __init__(self, model: mesa.Model):
        super().__init__(model)
        self.prices: Prices | None = None
        self.pipe_capex_share = 0.0
        self.applications: list[Application] = []   # every applicant ever screened (applicants.csv)
        self.ever_bound = False              # whether any firm was ever bound (skips the checks if not)
        self.enforcement_this_year = EnforcementCounts()
        self._secondary: tuple[np.ndarray, np.ndarray, np.ndarray] | None = None
        cat = model.catalogue
        self._material_input = (cat.family == "material") & cat.is_input
        self._material_rows = self._material_input[model.subs.input]

    # ------------------------------------------------------------------ 1. prices
    def set_prices(self, year: int) -> Prices:
        """Prices per resource unit for ``year``: catalogue prices plus the instruments in force."""
        policy = self.model.scenario.policy
        cat = self.model.catalogue
        tax = np.zeros(len(cat.resource_ids))
        lt = policy.landfill_tax
        if lt.active(year):
            rate = {"inert": lt.inert_eur_per_t, "nonhazardous": lt.nonhazardous_eur_per_t,
                    "hazardous": lt.hazardous_eur_per_t, "none": 0.0}
            tax = np.array([rate[c] for c in cat.tax_class]) * np.where(cat.is_sludge, lt.sludge_factor, 1.0)
        material = cat.family == "material"
        levy = policy.virgin_levy.eur_per_t if policy.virgin_levy.active(year) else 0.0
        if policy.virgin_levy.resources:
            material = material & np.isin(np.array(cat.resource_ids), policy.virgin_levy.resources)
        subsidy = policy.exchange_subsidy.eur_per_t if policy.exchange_subsidy.active(year) else 0.0
        capex = policy.capex_subsidy
        self.pipe_capex_share = capex.pipe_share if capex.active(year) else 0.0
        self.prices = Prices(
            disposal_cost=cat.gate_fee + tax,
            virgin_cost=cat.virgin_price + np.where(material & cat.is_input, levy, 0.0),
            subsidy=np.where((cat.family == "material") & cat.is_residue, subsidy, 0.0),
            treatment_subsidy_share=capex.treatment_share if capex.active(year) else 0.0,
        )
        return self.prices

    def service_cofunding(self, year: int) -> float:
        """Public share of the capex of shared services founded in ``year`` (0 outside its window).

        The instrument belongs to the shared services (:mod:`simulation.services.book`); the authority
        only says whether it is in force this year.
        """
        cofunding = self.model.scenario.policy.service_cofunding
        return cofunding.capex_share if cofunding.active(year) else 0.0

    # ------------------------------------------------------------------ 2. entry
    def district_openings(self) -> tuple[profiling.Openings, list]:
        """The present firms' open flows (for profiling), and the firms in the same order."""
        model = self.model
        firms = list(model.firm_by_uid.values())
        state = np.array([(f.unique_id, f.plot, f.archetype, f.activity, f.employees) for f in firms],
                         dtype=float).reshape(len(firms), 5)
        uid, plot, archetype = (state[:, j].astype(np.int64) for j in range(3))
        pos = np.full(int(uid.max(initial=0)) + 1, -1, dtype=np.int64)
        pos[uid] = np.arange(len(firms))
        c = model.contracts
        rows = c.active_rows()
        rows = rows[(c.supplier[rows] < len(pos)) & (c.buyer[rows] < len(pos))]
        sp, bp = pos[c.supplier[rows]], pos[c.buyer[rows]]
        ok = (sp >= 0) & (bp >= 0)
        openings = profiling.openings(
            model.catalogue, model.subs, archetype, state[:, 3],
            np.column_stack([model.plots.x_m[plot], model.plots.y_m[plot]]) / 1000.0,
            state[:, 4], sp[ok], bp[ok], c.substitution[rows][ok], c.quantity[rows][ok])
        return openings, firms

    def profile(self, arrivals: list[int]) -> tuple[profiling.Profile, profiling.Openings]:
        """Score a batch of applicants (archetype indices) against the district as it stands."""
        p = self.model.scenario.policy.profiling
        openings, _ = self.district_openings()
        scores = profiling.profile(self.model.catalogue, self.model.subs, arrivals, openings,
                                   (p.weight_circular, p.weight_territorial, p.weight_symbiosis), p.partners_half)
        return scores, openings

    def screen(self, scores: profiling.Profile, year: int) -> Screening:
        """The admission rule in force applied to a batch (indices in arrival order).

        ``open`` (and any year outside the rule's window): everyone, in arrival order.
        ``threshold``: those scoring at least ``min_score``, in arrival order.
        ``ranking``: by decreasing score (ties by arrival), at most ``quota_per_year`` admitted.
        ``complementarity``: those whose symbiosis potential reaches ``min_symbiosis``, by
        decreasing symbiosis potential (ties by arrival), at most ``quota_per_year`` if set.
        """
        rule = self.model.scenario.policy.admission
        arrival = list(range(len(scores.score)))
        if not rule.active(year) or rule.rule == "open":
            return Screening(arrival)
        if rule.rule == "threshold":
            queue = [k for k in arrival if scores.score[k] >= rule.min_score]
            return Screening(queue, set(arrival) - set(queue))
        if rule.rule == "ranking":
            return Screening(sorted(arrival, key=lambda k: (-scores.score[k], k)), quota=rule.quota_per_year)
        eligible = [k for k in arrival if scores.symbiosis[k] >= rule.min_symbiosis]
        return Screening(sorted(eligible, key=lambda k: (-scores.symbiosis[k], k)), set(arrival) - set(eligible),
                         rule.quota_per_year)

    def sector_allows(self, group: str, counts: Counter, present: int, year: int) -> bool:
        """Sector exclusions and quotas (max share of the district's firms per ``sector_group``),
        checked on the district as it would be with the applicant in."""
        rule = self.model.scenario.policy.admission
        if not rule.active(year):
            return True
        if group in rule.excluded_sectors:
            return False
        share = rule.sector_max_share.get(group)
        return share is None or (counts[group] + 1) / (present + 1) <= share * (1 + TIE)

    def admit(self, arrivals: list[int], year: int) -> EntryCounts:
        """Screen the year's applicants (archetype indices, arrival order) and settle the admitted.

        Those the rule queues are tried in its order: beyond the quota they are rejected by the
        rule; then the sector limits apply; then a plot is chosen (no plot fits: rejected). The
        admitted are bound to the commitments in force.
        """
        counts = EntryCounts(applicants=len(arrivals))
        if not arrivals:
            return counts
        model, cat = self.model, self.model.catalogue
        scores, openings = self.profile(arrivals)
        keys = [entity_key(APPLICANT, year, k) for k in range(len(arrivals))]  # the applicant's draw key
        screening = self.screen(scores, year)
        decision: dict[int, tuple[str, int | None]] = {k: ("rejected_rule", None) for k in screening.rejected}
        rule = model.scenario.policy.admission
        limits = rule.active(year) and bool(rule.excluded_sectors or rule.sector_max_share)
        groups = Counter(cat.archetypes[cat.archetype_ids[f.archetype]].sector_group
                         for f in model.firm_by_uid.values()) if limits else Counter()
        for k in screening.queue:
            archetype = arrivals[k]
            group = cat.archetypes[cat.archetype_ids[archetype]].sector_group
            if screening.quota is not None and counts.admitted >= screening.quota:
                decision[k] = ("rejected_rule", None)
                continue
            if limits and not self.sector_allows(group, groups, len(model.firm_by_uid), year):
                decision[k] = ("rejected_sector", None)
                continue
            score = float(scores.score[k])
            plot, discount = self.choose_plot(archetype, year, score, lambda k=k: openings.xy_km[scores.partners(k)],
                                              keys[k])
            firm = None if plot is None else model.settle_firm(archetype, year, plot, draw_key=keys[k])
            if firm is None:
                decision[k] = ("rejected_no_plot", None)
                continue
            firm.score = score
            firm.commitment = self.bind(archetype, year)
            self.ever_bound |= firm.commitment is not None
            groups[group] += 1
            counts.admitted += 1
            counts.land_discount_eur += discount
            decision[k] = ("admitted", firm.unique_id)
        for k, archetype in enumerate(arrivals):
            verdict, uid = decision[k]
            if verdict != "admitted":
                setattr(counts, verdict, getattr(counts, verdict) + 1)
            self.applications.append(Application(
                year, k + 1, cat.archetype_ids[archetype], cat.archetypes[cat.archetype_ids[archetype]].sector_group,
                float(scores.score[k]), float(scores.circular[k]), float(scores.territorial[k]),
                float(scores.symbiosis[k]), int(scores.partner_count[k]), verdict, uid))
        return counts

    # ------------------------------------------------------------------ plots
    def _need_and_fitting(self, archetype: int) -> tuple[np.ndarray, np.ndarray]:
        plots = self.model.plots
        need = self.model.catalogue.archetypes[self.model.catalogue.archetype_ids[archetype]].plot_area.value
        fitting = plots.free_plots_fitting(need)
        return fitting, plots.land_price_eur_per_m2[fitting] * plots.area_m2[fitting]

    def _pick(self, candidates: np.ndarray, year: int, draw_key: int) -> int:
        """One of equally good plots, at random (the settling firm's draw of the year)."""
        u = self.model.streams.uniform_one(Process.PLOT_TIE, year, draw_key)
        return int(candidates[min(int(u * len(candidates)), len(candidates) - 1)])

    def allocate_plot(self, archetype: int, year: int, draw_key: int) -> int | None:
        """Free choice on land cost alone: the fitting free plot with the lowest land cost.

        Land cost is price × area, so a firm does not take a larger plot than it needs when a
        smaller one fits. Ties go to a random plot. ``None`` when no free plot fits. Incumbents
        settle this way, and so do applicants while no allocation rule is in force.
        """
        fitting, cost = self._need_and_fitting(archetype)
        if len(fitting) == 0:
            return None
        return self._pick(fitting[cost <= cost.min() * (1 + TIE)], year, draw_key)

    def choose_plot(self, archetype: int, year: int, score: float, partners_xy_km: Callable[[], np.ndarray],
                    draw_key: int) -> tuple[int | None, float]:
        """An admitted applicant's plot under the allocation rule in force, and its land discount (EUR).

        ``free_choice``: the firm maximises ``−cost × (1 − discount) − proximity_eur_per_km × d1``,
        ``d1`` the distance (km) from the plot to its nearest likely partner. ``authority``: among
        plots whose cost is at most ``(1 + max_cost_premium)`` × the cheapest fitting one, the plot
        with the smallest mean distance to the firm's ``k`` nearest likely partners
        (``k = behaviour.negotiation.candidates_per_firm``), ties to the cheaper, then at random.
        A firm with no likely partner takes the cheapest plot. Outside the rule's window: the
        cheapest plot, no discount. ``partners_xy_km`` gives the likely partners' positions (km)
        when a rule needs them; ``draw_key`` is the firm's key for a random tie-break.
        """
        rule = self.model.scenario.policy.allocation
        if not rule.active(year):
            return self.allocate_plot(archetype, year, draw_key), 0.0
        fitting, cost = self._need_and_fitting(archetype)
        if len(fitting) == 0:
            return None, 0.0
        discount = rule.discount_share if score >= rule.discount_min_score else 0.0
        cost = cost * (1.0 - discount)
        plots = self.model.plots
        uses_partners = rule.rule == "authority" or rule.proximity_eur_per_km > 0
        partners = partners_xy_km() if uses_partners else np.zeros((0, 2))
        if len(partners) == 0:
            choice = self._pick(fitting[cost <= cost.min() * (1 + TIE)], year, draw_key)
        elif rule.rule == "authority":
            window = fitting[cost <= cost.min() * (1 + rule.max_cost_premium) * (1 + TIE)]
            window_cost = cost[cost <= cost.min() * (1 + rule.max_cost_premium) * (1 + TIE)]
            k = min(self.model.scenario.behaviour.negotiation.candidates_per_firm, len(partners))
            xy = np.column_stack([plots.x_m[window], plots.y_m[window]]) / 1000.0
            dist, _ = cKDTree(partners).query(xy, k=k)
            mean = np.asarray(dist, dtype=float).reshape(len(window), k).mean(1)
            near = mean <= mean.min() + 1e-9
            best, best_cost = window[near], window_cost[near]
            choice = self._pick(best[best_cost <= best_cost.min() * (1 + TIE)], year, draw_key)
        else:
            xy = np.column_stack([plots.x_m[fitting], plots.y_m[fitting]]) / 1000.0
            dist, _ = cKDTree(partners).query(xy, k=1)
            utility = -cost - rule.proximity_eur_per_km * np.asarray(dist, dtype=float)
            choice = self._pick(fitting[utility >= utility.max() - TIE * np.abs(utility).max()], year, draw_key)
        full = plots.land_price_eur_per_m2[choice] * plots.area_m2[choice]
        return choice, float(full * discount)

    # ------------------------------------------------------------------ commitments
    def bind(self, archetype: int, year: int) -> Commitment | None:
        """The commitments in force, for an applicant admitted in ``year`` (``None``: not bound).

        The secondary-input target is capped at the share the archetype's material inputs can be
        replaced at all (Σ_i D_i·min(1, Σ max_share) / Σ_i D_i over material inputs): the plan does
        not bind a firm to the impossible, and a firm none of whose material inputs any residue
        can replace is not bound by it.
        """
        rule = self.model.scenario.policy.commitments
        if not rule.active(year):
            return None
        share = 0.0
        if rule.min_secondary_share > 0:
            share = min(rule.min_secondary_share, self.feasible_secondary_share(archetype))
        commitment = Commitment(rule.publish_flows, share, year + rule.secondary_share_years,
                                tuple(rule.join_services))
        return commitment if commitment.binds else None

    def feasible_secondary_share(self, archetype: int) -> float:
        cat, subs = self.model.catalogue, self.model.subs
        demand = cat.inputs[archetype] * self._material_input
        replaceable = np.minimum(1.0, np.bincount(subs.input, subs.max_share, len(cat.resource_ids)))
        total = demand.sum()
        return float((demand * replaceable).sum() / total) if total > 0 else 0.0

    def published(self, firms: list) -> np.ndarray | None:
        """Per firm (this year's order): whether its flows are published on the platform."""
        if not self.ever_bound:
            return None
        flags = np.fromiter((f.commitment is not None and f.commitment.publish_flows for f in firms),
                            dtype=bool, count=len(firms))
        return flags if flags.any() else None

    def _expected_fine_rate(self, year: int) -> float:
        """Expected fine per year of a firm in breach: monitoring probability × fine / interval."""
        e = self.model.scenario.policy.enforcement
        if not e.active(year):
            return 0.0
        return e.monitoring_probability * e.fine_eur / e.interval_years

    def _secondary_state(self, market: Market) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
        """Per firm position: material input received, target (input units), bound or not."""
        model = self.model
        firms = list(model.firm_by_uid.values())
        target_share = np.fromiter((f.commitment.secondary_share if f.commitment is not None else 0.0
                                    for f in firms), dtype=float, count=len(firms))
        demand = model._demand[:, self._material_input].sum(1)
        received = (model._demand - market.input_left)[:, self._material_input].sum(1)
        return received, target_share * demand, target_share > 0

    def incentive(self, market: Market, year: int) -> Incentive | None:
        """What reaching its secondary-input target is worth to each bound buyer this year.

        A bound firm short of its target values the input units that close the shortfall at the
        expected fine it avoids (``monitoring_probability × fine_eur / interval_years`` EUR/yr,
        spread over the shortfall): it anticipates enforcement from its entry. ``None`` when no
        firm is bound or no fine is in force.
        """
        rate = self._expected_fine_rate(year)
        if rate <= 0 or not self.ever_bound or not any(f.commitment is not None and f.commitment.secondary_share > 0
                                for f in self.model.firm_by_uid.values()):
            return None
        received, target, bound = self._secondary_state(market)
        shortfall = np.where(bound, np.maximum(target - received, 0.0), 0.0)
        return Incentive(np.where(shortfall > 0, rate, 0.0), shortfall, self._material_rows)

    def renewal_bonus(self, buyer_pos: np.ndarray, rows: np.ndarray, quantity: np.ndarray) -> np.ndarray | None:
        """Expected fine a bound buyer avoids by renewing each expiring contract (EUR/yr), or None.

        The need the contract covers is the target less what the buyer receives without it this
        year: ``bonus = rate × min(1, q·ratio / need)`` for a need > 0 (material rows only).
        """
        if self._secondary is None:
            return None
        received, target, rate = self._secondary
        q_in = quantity * self.model.subs.ratio[rows]
        need = target[buyer_pos] - (received[buyer_pos] - q_in)
        counts = self._material_rows[rows] & (need > 1e-9) & (rate[buyer_pos] > 0)
        with np.errstate(divide="ignore", invalid="ignore"):
            return np.where(counts, rate[buyer_pos] * np.minimum(1.0, q_in / need), 0.0)

    def service_kinds(self) -> tuple[set[str], dict[int, set[str]]]:
        """Kinds of the shared services running now, and the kinds each member firm belongs to
        (read through the services' own book, :class:`simulation.services.book.ServiceBook`)."""
        book = getattr(self.model, "services", None)
        if book is None:
            return set(), {}
        running, member_of = set(), {}
        for service in book.active():
            kind = book.kinds[service.kind].id
            running.add(kind)
            for uid in service.members.tolist():
                member_of.setdefault(int(uid), set()).add(kind)
        return running, member_of

    def violates(self, firm, year: int, received: float, target: float,
                 services: tuple[set[str], dict[int, set[str]]] = (set(), {})) -> bool:
        """Whether a bound firm breaks its commitments this year (after its deliveries and services).

        Secondary share: from its deadline year, material input received from exchanges below the
        target. Services: a service of a named kind runs in the district and the firm is not a
        member of one (no fine while no such service exists: the firm cannot join it). Publishing
        its flows is done at admission and cannot be broken.
        """
        c = firm.commitment
        if c.secondary_share > 0 and year >= c.deadline_year and received < target * (1 - 1e-9):
            return True
        running, member_of = services
        mine = member_of.get(firm.unique_id, set())
        return any(kind in running and kind not in mine for kind in c.services)

    def monitor(self, year: int, market: Market) -> EnforcementCounts:
        """Check bound firms, fine and exclude (after the year's deals, before settlement).

        In force within its window, every ``interval_years`` from its start year (or the first
        simulated year): one uniform draw per bound firm present (entry order) decides whether it
        is checked (``monitoring_probability``). A firm in breach pays ``fine_eur`` this year; at
        ``exclusion_after_violations`` violations it is excluded and leaves at this year's exit step.
        """
        self.enforcement_this_year = counts = EnforcementCounts()
        self._secondary = None
        e = self.model.scenario.policy.enforcement
        if not self.ever_bound or not e.active(year):
            return counts
        firms = list(self.model.firm_by_uid.values())
        bound = [k for k, f in enumerate(firms) if f.commitment is not None]
        if not bound:
            return counts
        received, target, _ = self._secondary_state(market)
        rate = self._expected_fine_rate(year)
        if rate > 0:
            self._secondary = (received, target, np.where(target > 0, rate, 0.0))
        start = e.start_year if e.start_year is not None else self.model.scenario.years.start
        if (year - start) % e.interval_years != 0:
            return counts
        keys = self.model.draw_keys([firms[k] for k in bound])
        checked = self.model.streams.uniform(Process.MONITORING, year, keys) < e.monitoring_probability
        services = self.service_kinds() if any(firms[k].commitment.services for k in bound) else (set(), {})
        for k, hit in zip(bound, checked.tolist()):
            if not hit:
                continue
            firm = firms[k]
            counts.checked += 1
            if not self.violates(firm, year, received[k], target[k], services):
                continue
            counts.violations += 1
            firm.violations += 1
            firm.fine_due_eur += e.fine_eur
            counts.fines_eur += e.fine_eur
            if e.exclusion_after_violations is not None and firm.violations >= e.exclusion_after_violations:
                firm.excluded = True
                counts.excluded += 1
        return counts
