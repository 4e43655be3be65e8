"""EcoDistrictModel: one simulated year per ``step()`` (DESIGN §1).

The yearly cycle is written out in :meth:`EcoDistrictModel.step` so that a reader sees the order of
events. Decisions live in the agents (the authority admits and prices, firms produce and keep
accounts); bulk arithmetic over all firms and contracts (flows, candidate search,
settlement) is done on arrays here and in :mod:`simulation.exchange.market`.
"""

from __future__ import annotations

import dataclasses
from pathlib import Path

import mesa
import numpy as np

from simulation.agents import Facilitator, Firm, PlanningAuthority
from simulation.inputs.catalogue import Catalogue
from simulation.exchange.contracts import ContractBook, Status
from simulation.inputs.plots import build_plots
from simulation.inputs.errors import InputError
from simulation.inputs.firm_profiles import PROFILE_ARCHETYPE_PREFIX, load_profiled_firms, with_profiled_archetypes
from simulation.indicators import FLOW_QUANTITIES, YearLedger, measure
from simulation.exchange.market import (Candidates, Market, SubstitutionTable, Terms, Transport, bargain, contract_keys,
                               find_candidates, fixed_yearly_cost, negotiate, unit_surplus, without_existing)
from simulation.exchange.optimum import year_optimum
from simulation.random_streams import INCUMBENT, Process, RandomStreams, entity_key, entity_keys
from simulation.inputs.scenario import Scenario
from simulation.services.book import FirmTraits, KindTerms, ServiceBook, ServiceTerms, ServiceYear
from simulation.exchange.trust import TrustLedger


class EcoDistrictModel(mesa.Model):
    """An eco-industrial district evolving year by year under a scenario's policy.

    Parameters: a validated :class:`~simulation.inputs.scenario.Scenario` and its
    :class:`~simulation.inputs.catalogue.Catalogue`; ``scenario_dir`` resolves relative paths in the
    scenario (GeoJSON plots); ``seed`` overrides the scenario's seed. ``measure_efficiency=False``
    leaves ``symbiosis_efficiency`` empty and skips the yearly optimum behind it (a third of a small
    district's run time; nothing else depends on it), for sweeps that do not keep it.
    """

    def __init__(self, scenario: Scenario, catalogue: Catalogue, scenario_dir: Path | str = ".",
                 seed: int | None = None, scenario_file: str = "scenario", measure_efficiency: bool = True):
        self.seed_used = scenario.seed if seed is None else seed
        self.measure_efficiency = measure_efficiency
        super().__init__(seed=self.seed_used)
        # Every random draw of the model comes from these keyed streams (not from Mesa's
        # self.rng), so that paired scenarios draw the same numbers for the same firm and year.
        self.streams = RandomStreams(self.seed_used)
        self.scenario = scenario
        # Firms of a profile file (firms.profiles) enter as one-firm archetypes appended to the catalogue.
        self.profiled = load_profiled_firms(scenario.firms, catalogue, Path(scenario_dir), scenario_file)
        self.catalogue = catalogue = with_profiled_archetypes(catalogue, self.profiled) if self.profiled else catalogue
        self.year = scenario.years.start
        self.plots = build_plots(scenario.district, Path(scenario_dir))
        self.subs = SubstitutionTable.from_catalogue(catalogue)
        self.transport = Transport.from_catalogue(catalogue, scenario.behaviour.discount_rate)
        self.contracts = ContractBook()
        self.trust = TrustLedger(scenario.behaviour.negotiation.initial_trust)
        self.authority = PlanningAuthority(self)
        self.facilitator = Facilitator(self)
        self.firm_by_uid: dict[int, Firm] = {}
        self.departed: list[Firm] = []
        self.indicator_rows: list[dict] = []
        self.flow_history: list[tuple[int, np.ndarray]] = []  # (year, FLOW_QUANTITIES × resources)
        self.services = ServiceBook(KindTerms.compile(catalogue, scenario.behaviour.discount_rate), self.seed_used,
                                    len(catalogue.resource_ids))
        self.service_year: ServiceYear | None = None
        self._archetype_arrays()
        self._place_incumbents(scenario_file)
        self._uid = np.zeros(0, dtype=np.int64)

    # ------------------------------------------------------------------ the year
    def step(self) -> None:
        """One year, in the order of DESIGN §1."""
        year = self.year
        self.authority.set_prices(year)            # 1. policy timeline
        self.facilitator.update(year)
        self.admit_applicants(year)                # 2. entry and settlement on plots
        self.produce()                             # 3. production
        market = self.open_market()                #    flows, and what standing contracts leave free
        self.services.reserve(market)              #    and what standing services keep for themselves
        candidates = self.find_candidates(market)  # 4. matchmaking
        self.sign_contracts(market, candidates)    # 5. negotiation
        self.service_year = self.run_services(year, market)  # 6. shared services: found, join, leave
        self.authority.monitor(year, market)       #    monitoring of commitments: fines, exclusions
        optimum = self.optimal_allocation(market, candidates)  # benchmark: the year's optimal allocation
        ledger = self.settle(year)                 # 7. settlement, trust, breaks, renewals
        ledger.realised_gross_eur, ledger.optimal_gross_eur = optimum
        self.exit_firms(year)                      # 8. exit
        self.collect(ledger)                       # 9. data collection
        self.year += 1
        self.running = self.year <= self.scenario.years.end

    def run(self, progress=None) -> None:
        """Run every year of the scenario; ``progress`` is called after each year."""
        while self.running:
            self.step()
            if progress is not None:
                progress()

    # ------------------------------------------------------------------ set-up
    def _archetype_arrays(self) -> None:
        cat = self.catalogue
        arch = [cat.archetypes[a] for a in cat.archetype_ids]
        self.arch_radius_km = np.array([a.radius_of_action.value for a in arch])
        self.arch_employees = np.array([a.employees.value for a in arch])
        self.arch_site_area = np.array([a.plot_area.value for a in arch])
        self.arch_margin_eur = np.array([a.turnover.value * a.operating_margin.value for a in arch])
        # Resource costs at catalogue prices, no exchanges and no policy: the margin is observed there.
        self.arch_reference_cost = cat.outputs @ cat.gate_fee + cat.inputs @ cat.virgin_price

    def _place_profiled_firms(self, scenario_file: str) -> None:
        """Profiled firms enter first, in file order, each on a plot created at its coordinates, at
        activity 1 (their profiled flows) and with their profiled employees."""
        if self.profiled is None:
            return
        p, defaults = self.profiled.profiles, self.scenario.firms.profile_defaults
        ids = [PROFILE_ARCHETYPE_PREFIX + name for name in p.firm]
        clash = sorted(set(ids) & set(self.plots.ids))
        if clash:
            raise InputError.single(scenario_file, "firms.profiles", f"plot ids {', '.join(clash)} exist already",
                                    "rename those GeoJSON plots: 'profile:<firm>' names the profiled firms' plots")
        price = defaults.land_price_eur_per_m2
        if price is None:  # assumption documented in ODD: the mean land price of the district's plots
            price = float(self.plots.land_price_eur_per_m2.mean()) if len(self.plots) else 0.0
        area = np.array([a.plot_area.value for a in self.profiled.archetypes])
        plots = self.plots.add(ids, p.x_km * 1000.0, p.y_km * 1000.0, area, price, defaults.zone)
        first = len(self.catalogue.archetype_ids) - len(ids)
        for k, (plot, employees) in enumerate(zip(plots.tolist(), p.employees.tolist())):
            self.plots.occupy(plot)
            firm = Firm(self, first + k, plot, 1.0, self.year, max(1, int(round(employees))),
                        draw_key=entity_key(INCUMBENT, k))
            self.firm_by_uid[firm.unique_id] = firm

    def _place_incumbents(self, scenario_file: str) -> None:
        self._place_profiled_firms(scenario_file)
        placed = len(self.firm_by_uid)  # profiled firms took the first incumbent keys
        for i, inc in enumerate(self.scenario.firms.incumbents):
            a = self.catalogue.archetype_index(inc.archetype)
            for _ in range(inc.count):
                firm = self.settle_firm(a, self.year, draw_key=entity_key(INCUMBENT, placed))
                placed += 1
                if firm is None:
                    raise InputError.single(
                        scenario_file, f"firms.incumbents.{i}",
                        f"no free plot of at least {self.catalogue.archetypes[inc.archetype].plot_area.value:g} m2 "
                        f"is left for incumbent {inc.archetype!r}",
                        "add plots (district.blocks) or reduce the incumbents")

    # ------------------------------------------------------------------ 2. entry
    def applicants_of(self, year: int) -> list[int]:
        """Archetype indices applying this year: the queue's, then the Poisson stream's."""
        stream = self.scenario.firms.applicants
        arrivals = [self.catalogue.archetype_index(q.archetype) for q in stream.queue if q.year == year]
        if stream.rate_per_year > 0:
            ids = list(stream.mix)
            weights = np.array([stream.mix[a] for a in ids])
            rng = self.streams.generator(Process.ENTRY, year)
            drawn = rng.choice(len(ids), size=rng.poisson(stream.rate_per_year), p=weights / weights.sum())
            arrivals += [self.catalogue.archetype_index(ids[k]) for k in drawn]
        return arrivals

    def admit_applicants(self, year: int) -> None:
        """The authority screens the year's applicants as a batch and settles those it admits."""
        self.entry = self.authority.admit(self.applicants_of(year), year)

    def settle_firm(self, archetype: int, year: int, plot: int | None = None, *, draw_key: int) -> Firm | None:
        """Settle a firm on ``plot`` (default: the cheapest fitting free plot); ``None`` (nothing
        changed) when no plot fits. ``draw_key`` names the firm in the random streams: it is
        the same for the same incumbent, or the same applicant (entry year, arrival order), in
        every scenario."""
        plot = self.authority.allocate_plot(archetype, year, draw_key) if plot is None else plot
        if plot is None:
            return None
        self.plots.occupy(plot)
        z = self.streams.normal_one(Process.INITIAL_ACTIVITY, year, draw_key)
        activity = float(np.exp(self.scenario.behaviour.activity.initial_sd * z))
        a = self.scenario.behaviour.activity
        activity = min(max(activity, a.minimum), a.maximum)
        employees = max(1, int(round(self.arch_employees[archetype] * activity)))
        firm = Firm(self, archetype, plot, activity, year, employees, draw_key=draw_key)
        self.firm_by_uid[firm.unique_id] = firm
        return firm

    # ------------------------------------------------------------------ 3. production
    def produce(self) -> None:
        """Activity of every firm takes a lognormal step; a shock cuts some firms' output this year.

        ``a ← clip(a · exp(μ + σ·z), minimum, maximum)``; this year's output is ``a``, or
        ``a · (1 − shock_size)`` for a shocked firm (the shock does not carry over to next year).
        Each firm's growth and shock are drawn for its own key and the year.
        """
        a = self.scenario.behaviour.activity
        firms = list(self.firm_by_uid.values())
        keys = self.draw_keys(firms)
        level = np.clip(np.array([f.activity for f in firms]) * np.exp(
            a.growth_mean + a.growth_sd * self.streams.normal(Process.GROWTH, self.year, keys)), a.minimum, a.maximum)
        shocked = self.streams.uniform(Process.SHOCK, self.year, keys) < a.shock_probability
        for firm, value, hit in zip(firms, level.tolist(), shocked.tolist()):
            firm.activity = value
            firm.output = value * (1.0 - a.shock_size) if hit else value

    @staticmethod
    def draw_keys(firms: list[Firm]) -> np.ndarray:
        """The firms' keys in the random streams (uint64), in the order given."""
        return np.array([f.draw_key for f in firms], dtype=np.uint64)

    # ------------------------------------------------------------------ flows and market
    # This year's flows per firm present (N × R) are recomputed on use, a multiply of the year's
    # levels by the archetypes' flows, rather than kept: they are the largest per-firm arrays the
    # model would otherwise hold between years (DESIGN §6: memory per firm).
    @property
    def _generated(self) -> np.ndarray:
        """Residue units each firm present generates this year."""
        return self._activity[:, None] * self.catalogue.outputs[self._arch]

    @property
    def _demand(self) -> np.ndarray:
        """Input units each firm present needs this year."""
        return self._activity[:, None] * self.catalogue.inputs[self._arch]

    def open_market(self) -> Market:
        """This year's flows of every firm, and the capacity standing contracts leave free.

        Standing contracts deliver their quantity scaled down when the supplier now emits less,
        or the buyer now needs less, than they promise; what is left is open to new deals.
        """
        firms = list(self.firm_by_uid.values())
        cat, subs = self.catalogue, self.subs
        n_res, n_sub, n = len(cat.resource_ids), len(subs), len(firms)
        self._uid = np.array([f.unique_id for f in firms], dtype=np.int64)
        self._keys = self.draw_keys(firms)
        arch = np.array([f.archetype for f in firms], dtype=np.int64)
        activity = np.array([f.output for f in firms])
        plot = np.array([f.plot for f in firms], dtype=np.int64)
        self._arch, self._activity = arch, activity
        self._pos = np.full(int(self._uid.max(initial=0)) + 1, -1, dtype=np.int64)
        self._pos[self._uid] = np.arange(n)
        generated, demand = self._generated, self._demand
        row_cap = subs.max_share[None, :] * demand[:, subs.input]

        c = self.contracts
        rows = c.active_rows()
        sp, bp, s = self._pos[c.supplier[rows]], self._pos[c.buyer[rows]], c.substitution[rows]
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
            uid=self._uid,
            xy_km=np.column_stack([self.plots.x_m[plot], self.plots.y_m[plot]]) / 1000.0,
            radius_km=self.arch_radius_km[arch],
            supply_left=generated - np.bincount(sp * n_res + r, delivered, n * n_res).reshape(n, n_res),
            input_left=demand - np.bincount(bp * n_res + i, d_in, n * n_res).reshape(n, n_res),
            row_cap_left=row_cap - np.bincount(bp * n_sub + s, d_in, n * n_sub).reshape(n, n_sub),
            published=self.authority.published(firms),
        )

    def terms(self) -> Terms:
        neg = self.scenario.behaviour.negotiation
        duration = self.scenario.behaviour.contracts.duration_years
        base = neg.transaction_cost_eur_per_yr + neg.setup_cost_eur / duration
        return Terms(
            bargaining_power_supplier=neg.bargaining_power_supplier,
            risk_premium_share=neg.risk_premium_share,
            initial_trust=neg.initial_trust,
            transaction_cost_eur_per_yr=self.facilitator.transaction_cost(base),
            candidates_per_firm=self.facilitator.candidates_per_firm(neg.candidates_per_firm),
            district_wide_search=self.facilitator.district_wide_search,
            platform_candidates_per_firm=self.facilitator.listing_length(neg.candidates_per_firm),
            platform_reach_km=self.facilitator.reach_km,
            pipe_capex_subsidy_share=self.authority.pipe_capex_share,
        )

    # ------------------------------------------------------------------ 4-5. matchmaking, negotiation
    def find_candidates(self, market: Market):
        candidates = find_candidates(market, self.subs, self.transport, self.terms())
        c = self.contracts
        active = c.active_rows()
        existing = contract_keys(c.supplier[active], c.buyer[active], c.substitution[active], len(self.subs))
        return without_existing(candidates, market.uid, existing, len(self.subs))

    def sign_contracts(self, market: Market, candidates) -> None:
        market.incentive = self.authority.incentive(market, self.year)
        deals = negotiate(market, candidates, self.subs, self.transport, self.authority.prices,
                          self.terms(), self.trust.of)
        if len(deals) == 0:
            return
        duration = self.scenario.behaviour.contracts.duration_years
        self.contracts.add(
            supplier=market.uid[deals.supplier], buyer=market.uid[deals.buyer], substitution=deals.row,
            quantity=deals.quantity, price=deals.price, unit_surplus=deals.unit_surplus,
            fixed_cost=deals.fixed_cost, distance_km=deals.distance_km,
            start_year=np.full(len(deals), self.year), end_year=np.full(len(deals), self.year + duration - 1),
            status=np.full(len(deals), Status.ACTIVE), delivered=deals.quantity)

    # ------------------------------------------------------------------ 6. shared services
    def run_services(self, year: int, market: Market) -> ServiceYear:
        """Firms found, join and leave shared services on what the year's exchanges left over.

        Each firm compares its share of a service's cost with its stand-alone cost
        (:meth:`Firm.accepts_service_share`); the coalition arithmetic over all firms is in
        :class:`~simulation.services.book.ServiceBook`.
        """
        firms = list(self.firm_by_uid.values())
        cat, settings = self.catalogue, self.scenario.behaviour.services
        traits = FirmTraits(
            employees=np.array([f.employees for f in firms], dtype=float),
            site_area_m2=self.arch_site_area[self._arch],
            demand=self._demand,
            disposal_cost=self.authority.prices.disposal_cost,
            virgin_cost=self.authority.prices.virgin_cost)
        terms = ServiceTerms(
            rule=settings.cost_share_rule, shapley_exact_max_members=settings.shapley_exact_max_members,
            shapley_permutations=settings.shapley_permutations,
            manager_active=self.facilitator.manages_services, manager_cost_eur=self.facilitator.park_manager_cost(),
            cofunding_share=self.authority.service_cofunding(year))
        return self.services.update(year, market, traits, terms, enabled=settings.enabled and bool(cat.services))

    # ------------------------------------------------------------------ benchmark: the optimal allocation
    EFFICIENCY_YEARLY_UP_TO_FIRMS = 1000   # above this many firms, symbiosis_efficiency at checkpoints only
    EFFICIENCY_CHECKPOINT_YEARS = 5        # every 5th simulated year, and the last

    def optimal_allocation(self, market: Market, candidates: Candidates) -> tuple[float, float]:
        """This year's exchange surplus before fixed costs, realised and optimal (EUR/yr).

        Links: the contracts delivering this year, the year's candidates (those the negotiation
        examined), and the candidates the same search (radius of action, nearest partners,
        facilitator) finds on the firms' whole flows, as if nothing were under contract, so that
        lock-in into earlier contracts counts; capacities: the firms' whole residue and demand of
        the year (:func:`simulation.exchange.optimum.year_optimum`). ``(nan, nan)`` in the years it is
        skipped: above ``EFFICIENCY_YEARLY_UP_TO_FIRMS`` firms, only every
        ``EFFICIENCY_CHECKPOINT_YEARS``-th year and the last are computed; none without
        ``measure_efficiency``.
        """
        years = self.scenario.years
        checkpoint = ((self.year - years.start) % self.EFFICIENCY_CHECKPOINT_YEARS
                      == self.EFFICIENCY_CHECKPOINT_YEARS - 1 or self.year == years.end)
        crowded = len(self._uid) > self.EFFICIENCY_YEARLY_UP_TO_FIRMS
        if not self.measure_efficiency or (crowded and not checkpoint):
            return float("nan"), float("nan")
        terms, subs = self.terms(), self.subs
        generated, demand = self._generated, self._demand
        whole = dataclasses.replace(market, supply_left=generated, input_left=demand,
                                    row_cap_left=subs.max_share[None, :] * demand[:, subs.input])
        links = Candidates.concat([candidates, find_candidates(whole, subs, self.transport, terms)])
        c = self.contracts
        rows = c.active_rows()
        rows = rows[c.delivered[rows] > 0]
        return year_optimum(self._pos[c.supplier[rows]], self._pos[c.buyer[rows]],
                            c.substitution[rows].astype(np.int64), c.distance_km[rows], c.delivered[rows],
                            links, generated, demand, subs, self.transport, self.authority.prices, terms)

    # ------------------------------------------------------------------ 7. settlement
    def settle(self, year: int) -> YearLedger:
        """Book flows, money and CO2; update trust; break, renew or expire contracts."""
        cat, subs, prices, tr = self.catalogue, self.subs, self.authority.prices, self.transport
        n, n_res = len(self._uid), len(cat.resource_ids)
        c = self.contracts
        rows = c.active_rows()
        rows = rows[c.delivered[rows] > 0]
        sp, bp, s = self._pos[c.supplier[rows]], self._pos[c.buyer[rows]], c.substitution[rows]
        r, i, q, dist = subs.residue[s], subs.input[s], c.delivered[rows], c.distance_km[rows]
        out = np.bincount(sp * n_res + r, q, n * n_res).reshape(n, n_res)
        inn = np.bincount(bp * n_res + i, q * subs.ratio[s], n * n_res).reshape(n, n_res)
        generated, demand = self._generated, self._demand
        disposed = np.maximum(generated - out, 0.0)
        virgin = np.maximum(demand - inn, 0.0)
        sy = self.service_year or ServiceYear.empty(n, n_res)
        self.service_year = None  # per-firm arrays of the year: not kept beyond settlement

        # Money: each firm's resource costs now, against the reference (catalogue prices, no exchange).
        transport_unit = tr.fixed[r] + tr.per_km[r] * dist
        half_fixed = c.fixed_cost[rows] / 2
        treatment = subs.treatment[s] * (1.0 - prices.treatment_subsidy_share)
        supplier_pays = q * (transport_unit + treatment - c.price[rows] - prices.subsidy[r]) + half_fixed
        buyer_pays = q * c.price[rows] + half_fixed
        # Shared services: each member pays its payment instead of its stand-alone cost (the part of
        # the disposal and virgin bills above the service spares it, or the implicit cost of buying
        # an accessory service alone).
        cost = (disposed @ prices.disposal_cost + virgin @ prices.virgin_cost
                + np.bincount(sp, supplier_pays, n) + np.bincount(bp, buyer_pays, n)) - sy.saving
        reference = self._activity * self.arch_reference_cost[self._arch]
        profit = self._activity * self.arch_margin_eur[self._arch] - (cost - reference)
        for firm, p in zip(self.firm_by_uid.values(), profit.tolist()):
            firm.book_profit(p)

        surplus = q * unit_surplus(s, dist, subs, tr, prices) - c.fixed_cost[rows]
        co2 = q * (cat.co2_disposal[r] + subs.ratio[s] * cat.co2_virgin[i] - tr.co2_per_km[r] * dist)
        # Flows through services: reused residue is exchanged, the rest of what they handle treated.
        disposed = np.maximum(disposed - sy.exchanged - sy.treated, 0.0)
        virgin = np.maximum(virgin - sy.received, 0.0)
        ledger = YearLedger(
            year=year, firm_uids=self._uid.copy(), jobs=sum(f.employees for f in self.firm_by_uid.values()),
            plots_occupied_share=self.plots.occupied_share(), generated=generated.sum(0),
            exchanged=out.sum(0) + sy.exchanged.sum(0), disposed=disposed.sum(0),
            demand=demand.sum(0), received=inn.sum(0) + sy.received.sum(0), virgin=virgin.sum(0),
            supplier=c.supplier[rows].copy(), buyer=c.buyer[rows].copy(), residue=r, delivered=q,
            distance_km=dist, surplus_eur=surplus, co2_avoided_t=co2, treated=sy.treated.sum(0),
            service_firms=self._uid[sy.in_service], services_active=sy.active,
            service_memberships=sy.memberships, service_savings_eur=sy.savings_eur,
            service_co2_avoided_t=float(sy.exchanged.sum(0) @ cat.co2_disposal + sy.received.sum(0) @ cat.co2_virgin))
        self.trust.reward(c.supplier[rows], c.buyer[rows], self.scenario.behaviour.negotiation.trust_gain)
        self._break_expire_renew(year)
        return ledger

    def _break_expire_renew(self, year: int) -> None:
        behaviour = self.scenario.behaviour
        c = self.contracts
        active = c.active_rows()
        keys = entity_keys(self._keys[self._pos[c.supplier[active]]], self._keys[self._pos[c.buyer[active]]],
                           c.substitution[active])
        broken = active[self.streams.uniform(Process.DISRUPTION, year, keys) < behaviour.contracts.disruption_probability]
        c.close(broken, year, Status.BROKEN)
        self.trust.punish(c.supplier[broken], c.buyer[broken], behaviour.negotiation.trust_loss)
        due = c.active_rows()
        due = due[c.end_year[due] <= year]
        if len(due) == 0:
            return
        self._renew_or_expire(due, year)

    def _renew_or_expire(self, rows: np.ndarray, year: int) -> None:
        """Renegotiate expiring contracts: this year's delivery becomes the new quantity, priced at
        today's prices, transaction costs and trust; those that no longer pay both sides expire."""
        c, subs = self.contracts, self.subs
        s, dist, q = c.substitution[rows], c.distance_km[rows], c.delivered[rows]
        terms = self.terms()
        fixed = fixed_yearly_cost(s, dist, subs, self.transport, terms)
        renew, price = bargain(s, dist, q, self.trust.of(c.supplier[rows], c.buyer[rows]), fixed, subs,
                               self.transport, self.authority.prices, terms,
                               self.authority.renewal_bonus(self._pos[c.buyer[rows]], s, q))
        c.close(rows[~renew], year, Status.EXPIRED)
        kept = rows[renew]
        c.end_year[kept] = year + self.scenario.behaviour.contracts.duration_years
        c.quantity[kept], c.price[kept], c.fixed_cost[kept] = q[renew], price[renew], fixed[renew]
        c.unit_surplus[kept] = unit_surplus(s[renew], dist[renew], subs, self.transport, self.authority.prices)
        c.renewals[kept] += 1

    # ------------------------------------------------------------------ 8. exit
    def exit_firms(self, year: int) -> None:
        """Firms leave after lasting losses or by the background hazard; their contracts end."""
        ex = self.scenario.behaviour.exit
        firms = list(self.firm_by_uid.values())
        hazard = self.streams.uniform(Process.EXIT, year, self.draw_keys(firms)) < ex.hazard_rate
        self.exits_this_year = 0
        reasons = [f.reason_to_leave(ex.loss_years, h) for f, h in zip(firms, hazard.tolist())]
        leaving = [(f, reason) for f, reason in zip(firms, reasons) if reason is not None]
        if not leaving:
            return
        gone = np.array([f.unique_id for f, _ in leaving])
        c = self.contracts
        active = c.active_rows()
        hit = active[np.isin(c.supplier[active], gone) | np.isin(c.buyer[active], gone)]
        c.close(hit, year, Status.PARTNER_EXIT)
        self.trust.forget(gone)
        self.exits_this_year = len(leaving)
        for firm, reason in leaving:
            firm.exit_year, firm.exit_reason = year, reason
            self.plots.vacate(firm.plot)
            del self.firm_by_uid[firm.unique_id]
            self.departed.append(firm)
            firm.remove()

    # ------------------------------------------------------------------ 9. data
    def collect(self, ledger: YearLedger) -> None:
        """Append the year's indicator row and its flows per resource (kept as one small array)."""
        row = {"year": ledger.year}
        row.update(measure(ledger, self.catalogue.family))
        entry, enforcement = self.entry, self.authority.enforcement_this_year
        row.update(applicants=entry.applicants, admitted=entry.admitted, rejected=entry.rejected,
                   exits=self.exits_this_year, rejected_rule=entry.rejected_rule,
                   rejected_sector=entry.rejected_sector, rejected_no_plot=entry.rejected_no_plot,
                   excluded=enforcement.excluded, fines_eur=enforcement.fines_eur,
                   land_discount_eur=entry.land_discount_eur)
        self.indicator_rows.append(row)
        self.flow_history.append((ledger.year, np.stack([getattr(ledger, q) for q in FLOW_QUANTITIES])))

    def all_firms(self) -> list[Firm]:
        """Every firm ever admitted, in order of entry."""
        return sorted([*self.departed, *self.firm_by_uid.values()], key=lambda f: f.unique_id)
