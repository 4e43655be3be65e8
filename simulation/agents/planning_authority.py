"""The planning authority: applies the plan's rules and instruments year by year.

Everything it does is read from the scenario's ``policy`` section (PUG conditionality rules of
Emilia-Romagna law 24/2017 art. 34, APEA rules; docs/SOURCES.md ``er-lr-24-2017``), each rule or
instrument in force within its ``start_year``/``end_year`` window. The rules themselves are in
:mod:`simulation.policy`, one module per instrument family; the authority calls them in the year's
order and keeps what the plan remembers (applications, commitments, violations):

* **prices** (:meth:`PlanningAuthority.set_prices`, :mod:`simulation.policy.prices`);
* **entry** (:meth:`applicants_of`, who applies: the queue and the stream, which may follow the
  district's opportunities, :mod:`simulation.policy.opportunity`);
* **admission** (:meth:`admit`, :mod:`simulation.policy.admission`, :mod:`simulation.policy.profiling`,
  :mod:`simulation.policy.contribution`);
* **plot allocation** (:meth:`allocate_plot`, :mod:`simulation.policy.allocation`);
* **commitments and enforcement** (:meth:`open_market`, :meth:`monitor`,
  :mod:`simulation.policy.commitments`, :mod:`simulation.policy.enforcement`).

What the market, the services and the accounts see of all this is the year's
:class:`~simulation.policy.effects.PolicyEffects` (:attr:`effects`).
"""

from __future__ import annotations

import dataclasses
from collections import Counter

import mesa
import numpy as np

from simulation.agents.firm import Firm
from simulation.columns import Positions
from simulation.exchange.market import Market
from simulation.exchange.surplus import unit_surplus
from simulation.policy import contribution, opportunity, profiling
from simulation.policy.admission import Application, EntryCounts, has_sector_limits, screen, sector_allows
from simulation.policy.allocation import cheapest_plot, choose_plot
from simulation.policy.commitments import (
    bind,
    feasible_secondary_share,
    incentive,
    published,
    renewal_bonus,
    secondary_progress,
)
from simulation.policy.effects import PolicyEffects, SecondaryState
from simulation.policy.enforcement import EnforcementCounts, check_year, expected_fine_rate, violates
from simulation.policy.prices import year_effects
from simulation.random_streams import APPLICANT, INCUMBENT, Process, entity_key


class PlanningAuthority(mesa.Agent):
    """Screens applicants, places them on plots, binds and monitors commitments, sets the year's prices."""

    def __init__(self, model: mesa.Model):
        super().__init__(model)
        self.effects: PolicyEffects | None = None
        self.applications: list[Application] = []   # every applicant ever screened (applicants.csv)
        self.ever_bound = False              # whether any firm was ever bound (skips the checks if not)
        self.enforcement_this_year = EnforcementCounts()
        self._waiting = {k for k, q in enumerate(model.world.scenario.firms.applicants.queue)
                         if q.when_opportunity_eur_per_yr is not None}  # queue entries waiting for their opportunity
        cat = model.world.catalogue
        self._material_input = (cat.family == "material") & cat.is_input
        self._material_rows = self._material_input[model.world.subs.input]

    # ------------------------------------------------------------------ 1. prices
    def set_prices(self, year: int) -> PolicyEffects:
        """The year's policy effects, starting from the price instruments in force."""
        world = self.model.world
        self.effects = year_effects(world.scenario.policy, world.default_policy, world.catalogue,
                                    world.transport, year)
        return self.effects

    # ------------------------------------------------------------------ 2. entry
    def place_incumbents(self) -> None:
        """Profiled firms enter first, in file order, each on its own plot, at activity 1 (their
        profiled flows) and with their profiled employees; then the scenario's incumbents."""
        model = self.model
        world, year = model.world, model.year
        placed = 0
        if world.profiled is not None:
            first = len(world.catalogue.archetype_ids) - len(world.profiled_plots)
            for k, (plot, employees) in enumerate(zip(world.profiled_plots.tolist(),
                                                      world.profiled.profiles.employees.tolist())):
                model.plots.occupy(plot)
                Firm(model, first + k, plot, 1.0, year, max(1, int(round(employees))),
                     draw_key=entity_key(INCUMBENT, k))
            placed = len(world.profiled_plots)  # profiled firms took the first incumbent keys
        for inc in world.scenario.firms.incumbents:
            a = world.catalogue.archetype_index(inc.archetype)
            for _ in range(inc.count):
                if model.settle_firm(a, year, draw_key=entity_key(INCUMBENT, placed)) is None:
                    raise RuntimeError(f"no plot left for incumbent {inc.archetype!r}, although the World's check "
                                       "placed it: a tie between plots of equal cost and different area")
                placed += 1

    def district_openings(self) -> profiling.Openings:
        """The present firms' open flows, for profiling applicants against the district as it stands."""
        model, world = self.model, self.model.world
        firms = model.firms()
        state = np.array([(f.unique_id, f.plot, f.archetype, f.activity, f.employees) for f in firms],
                         dtype=float).reshape(len(firms), 5)
        uid, plot, archetype = (state[:, j].astype(np.int64) for j in range(3))
        positions = Positions(uid)
        c = model.contracts
        rows = c.active_rows()
        sp, bp = positions(c.supplier[rows]), positions(c.buyer[rows])
        ok = (sp >= 0) & (bp >= 0)
        return profiling.openings(
            world.catalogue, world.subs, archetype, state[:, 3],
            np.column_stack([model.plots.x_m[plot], model.plots.y_m[plot]]) / 1000.0,
            state[:, 4], sp[ok], bp[ok], c.substitution[rows][ok], c.quantity[rows][ok])

    def applicants_of(self, year: int) -> list[int]:
        """Archetype indices applying this year: the scenario's queue entries arriving now (file
        order: those of this year, and those waiting whose opportunity now exceeds their threshold),
        then its Poisson stream's, drawn from the applicant mix, weighted by each archetype's
        opportunity when the scenario says so (:mod:`simulation.policy.opportunity`)."""
        stream, catalogue = self.model.scenario.firms.applicants, self.model.catalogue
        ids = list(stream.mix)
        needed = {catalogue.archetype_index(stream.queue[k].archetype) for k in self._waiting
                  if stream.queue[k].year <= year}
        if stream.rate_per_year > 0 and stream.follows_opportunity:
            needed |= {catalogue.archetype_index(a) for a in ids}
        gain = self.opportunities(sorted(needed)) if needed else {}
        arrivals = []
        for k, q in enumerate(stream.queue):
            a = catalogue.archetype_index(q.archetype)
            if q.when_opportunity_eur_per_yr is None:
                if q.year == year:
                    arrivals.append(a)
            elif k in self._waiting and opportunity.arrives(year, q.year, gain.get(a, 0.0),
                                                            q.when_opportunity_eur_per_yr):
                self._waiting.remove(k)
                arrivals.append(a)
        if stream.rate_per_year > 0:
            weights = np.array([stream.mix[a] for a in ids])
            if stream.follows_opportunity:
                weights = opportunity.stream_weights(weights, [gain[catalogue.archetype_index(a)] for a in ids],
                                                     stream.opportunity.elasticity,
                                                     stream.opportunity.reference_eur_per_yr)
            rng = self.model.streams.generator(Process.ENTRY, year)
            drawn = rng.choice(len(ids), size=rng.poisson(stream.rate_per_year), p=weights / weights.sum())
            arrivals += [catalogue.archetype_index(ids[k]) for k in drawn]
        return arrivals

    def opportunities(self, archetypes: list[int]) -> dict[int, float]:
        """EUR/yr an applicant of each archetype (index) would gain the district with the firms
        present, at this year's prices: its contribution (:meth:`contributions`)."""
        return dict(zip(archetypes, self.contributions(archetypes, self.district_openings()).tolist()))

    def admit(self, arrivals: list[int], year: int) -> EntryCounts:
        """Screen the year's applicants (archetype indices, arrival order) and settle the admitted.

        Those the rule queues are tried in its order: beyond the quota they are rejected by the
        rule; then the sector limits apply; then a plot is chosen (no plot fits: rejected). The
        admitted are bound to the commitments in force.
        """
        counts = EntryCounts(applicants=len(arrivals))
        if not arrivals:
            return counts
        model, cat, policy = self.model, self.model.world.catalogue, self.model.world.scenario.policy
        p = policy.profiling
        openings = self.district_openings()
        scores = profiling.profile(cat, model.world.subs, arrivals, openings,
                                   (p.weight_circular, p.weight_territorial, p.weight_symbiosis), p.partners_half)
        keys = [entity_key(APPLICANT, year, k) for k in range(len(arrivals))]  # the applicant's draw key
        gains = self.contributions(arrivals, openings) if (
            policy.admission.active(year) and policy.admission.rule == "contribution") else None
        screening = screen(policy.admission, scores, year, gains)
        decision: dict[int, tuple[str, int | None]] = {k: ("rejected_rule", None) for k in screening.rejected}
        limits = has_sector_limits(policy.admission, year)
        present = model.firms()
        groups = Counter(cat.archetypes[cat.archetype_ids[f.archetype]].sector_group
                         for f in present) if limits else Counter()
        n_present = len(present)
        nearest = model.world.scenario.behaviour.negotiation.candidates_per_firm
        for k in screening.queue:
            archetype = arrivals[k]
            group = cat.archetypes[cat.archetype_ids[archetype]].sector_group
            if screening.quota is not None and counts.admitted >= screening.quota:
                decision[k] = ("rejected_rule", None)
                continue
            if limits and not sector_allows(policy.admission, group, groups, n_present, year):
                decision[k] = ("rejected_sector", None)
                continue
            score = float(scores.score[k])
            plot, discount = choose_plot(policy.allocation, model.plots, model.arch.site_area_m2[archetype], year,
                                         score, lambda k=k: openings.xy_km[scores.partners(k)], nearest,
                                         self._picker(year, keys[k]))
            firm = None if plot is None else model.settle_firm(archetype, year, plot, draw_key=keys[k])
            if firm is None:
                decision[k] = ("rejected_no_plot", None)
                continue
            firm.score = score
            firm.commitment = bind(policy.commitments, feasible_secondary_share(
                cat.inputs[archetype], self._material_input, model.world.subs), year)
            self.ever_bound |= firm.commitment is not None
            groups[group] += 1
            n_present += 1
            counts.admitted += 1
            counts.land_discount_eur += discount
            decision[k] = ("admitted", firm.unique_id)
        self._record(arrivals, scores, decision, counts, year)
        return counts

    def contributions(self, arrivals: list[int], openings: profiling.Openings) -> np.ndarray:
        """EUR/yr the district would gain with each applicant (:mod:`simulation.policy.contribution`):
        rows valued by the joint surplus per residue unit of a deal at this year's prices, at 0 km
        (the applicant's plot is not chosen yet; fixed yearly costs of contracts are not counted)."""
        world = self.model.world
        rows = np.arange(len(world.subs))
        value = unit_surplus(rows, np.zeros(len(rows)), world.subs, world.transport, self.effects)
        return contribution.potential_surplus(world.catalogue, world.subs, arrivals, openings, value)

    def _record(self, arrivals: list[int], scores: profiling.Profile, decision: dict, counts: EntryCounts,
                year: int) -> None:
        """Count the rejected by reason and keep one :class:`Application` per applicant."""
        cat = self.model.world.catalogue
        for k, archetype in enumerate(arrivals):
            verdict, uid = decision[k]
            if verdict != "admitted":
                setattr(counts, verdict, getattr(counts, verdict) + 1)
            self.applications.append(Application(
                year, k + 1, cat.archetype_ids[archetype], cat.archetypes[cat.archetype_ids[archetype]].sector_group,
                float(scores.score[k]), float(scores.circular[k]), float(scores.territorial[k]),
                float(scores.symbiosis[k]), int(scores.partner_count[k]), verdict, uid))

    # ------------------------------------------------------------------ plots
    def _picker(self, year: int, draw_key: int):
        """One of equally good plots, at random (the settling firm's draw of the year)."""
        def pick(candidates: np.ndarray) -> int:
            u = self.model.streams.uniform_one(Process.PLOT_TIE, year, draw_key)
            return int(candidates[min(int(u * len(candidates)), len(candidates) - 1)])
        return pick

    def allocate_plot(self, archetype: int, year: int, draw_key: int) -> int | None:
        """Free choice on land cost alone (:func:`simulation.policy.allocation.cheapest_plot`)."""
        return cheapest_plot(self.model.plots, self.model.arch.site_area_m2[archetype], self._picker(year, draw_key))

    # ------------------------------------------------------------------ commitments
    def open_market(self, market: Market, demand: np.ndarray, year: int) -> PolicyEffects:
        """Add to the year's effects what commitments change in the market: whose flows the platform
        lists, and what reaching a secondary-input target is worth to each bound buyer (the
        expected fine it avoids, ``None`` when no firm is bound or no fine is in force)."""
        if not self.ever_bound:
            return self.effects
        commitments = [f.commitment for f in self.model.firms()]
        offer = None
        rate = expected_fine_rate(self.model.world.scenario.policy.enforcement, year)
        if rate > 0 and any(c is not None and c.secondary_share > 0 for c in commitments):
            received, target, bound = secondary_progress(commitments, demand, market.input_left, self._material_input)
            offer = incentive(rate, received, target, bound, self._material_rows)
        self.effects = dataclasses.replace(self.effects, published=published(commitments), incentive=offer)
        return self.effects

    def renewal_bonus(self, buyer_pos: np.ndarray, rows: np.ndarray, quantity: np.ndarray) -> np.ndarray | None:
        """Expected fine a bound buyer avoids by renewing each expiring contract, EUR/yr (or None)
        (:func:`simulation.policy.commitments.renewal_bonus`)."""
        return renewal_bonus(self.effects.secondary, self._material_rows, self.model.world.subs, buyer_pos, rows,
                             quantity)

    def service_kinds(self) -> tuple[set[str], dict[int, set[str]]]:
        """Kinds of the shared services running now, and the kinds each member firm belongs to
        (read through the services' own book, :class:`simulation.services.book.ServiceBook`)."""
        book = self.model.services
        running, member_of = set(), {}
        for service in book.active():
            kind = book.kinds[service.kind].id
            running.add(kind)
            for uid in service.members.tolist():
                member_of.setdefault(int(uid), set()).add(kind)
        return running, member_of

    def monitor(self, year: int, market: Market, demand: np.ndarray) -> EnforcementCounts:
        """Check bound firms, fine and exclude (after the year's deals, before settlement).

        One uniform draw per bound firm present (entry order) decides whether it is checked
        (:mod:`simulation.policy.enforcement`); a firm in breach owes the fine this year (in
        ``effects.fines_due_eur``) and, at the plan's limit of violations, is excluded.
        """
        self.enforcement_this_year = counts = EnforcementCounts()
        e = self.model.world.scenario.policy.enforcement
        if not self.ever_bound or not e.active(year):
            return counts
        firms = self.model.firms()
        bound = [k for k, f in enumerate(firms) if f.commitment is not None]
        if not bound:
            return counts
        commitments = [f.commitment for f in firms]
        received, target, _ = secondary_progress(commitments, demand, market.input_left, self._material_input)
        rate = expected_fine_rate(e, year)
        if rate > 0:
            self.effects = dataclasses.replace(
                self.effects, secondary=SecondaryState(received, target, np.where(target > 0, rate, 0.0)))
        if not check_year(e, year, self.model.world.scenario.years.start):
            return counts
        keys = Firm.draw_keys([firms[k] for k in bound])
        checked = self.model.streams.uniform(Process.MONITORING, year, keys) < e.monitoring_probability
        services = self.service_kinds() if any(firms[k].commitment.services for k in bound) else (set(), {})
        fines = np.zeros(len(firms))
        for k, hit in zip(bound, checked.tolist()):
            if not hit:
                continue
            firm = firms[k]
            counts.checked += 1
            if not violates(firm.commitment, firm.unique_id, year, received[k], target[k], services):
                continue
            counts.violations += 1
            firm.violations += 1
            fines[k] += e.fine_eur
            counts.fines_eur += e.fine_eur
            if e.exclusion_after_violations is not None and firm.violations >= e.exclusion_after_violations:
                firm.excluded = True
                counts.excluded += 1
        if counts.violations:
            self.effects = dataclasses.replace(self.effects, fines_due_eur=fines)
        return counts
