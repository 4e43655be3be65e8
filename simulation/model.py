"""EcoDistrictModel: one simulated year per ``step()`` (docs/ODD.md, process overview).

The yearly order of events is written out in :meth:`EcoDistrictModel.step`; what happens at each
step lives elsewhere: decisions in the agents (:mod:`simulation.agents`) and the policy modules they
call (:mod:`simulation.policy`), bulk arithmetic over all firms and contracts in
:mod:`simulation.exchange` (flows, search, negotiation), :mod:`simulation.settlement` (money, CO2,
flows of the year) and :mod:`simulation.services`. The model is built from a
:class:`~simulation.world.World` and reads no file.
"""

from __future__ import annotations

import dataclasses
from pathlib import Path
from typing import Any

import mesa
import numpy as np

from simulation.agents import Facilitator, Firm, PlanningAuthority
from simulation.exchange.contracts import ContractBook
from simulation.exchange.discovery import DiscoveryBook
from simulation.exchange.market import Market, Terms, open_market
from simulation.exchange.negotiation import break_contracts, negotiate, renew_or_expire, sign
from simulation.exchange.optimum import realised_and_optimal
from simulation.exchange.plants import PlantBook
from simulation.exchange.search import Candidates, contract_keys, find_candidates, standing_contract_of
from simulation.exchange.trust import TrustLedger
from simulation.indicators import FLOW_QUANTITIES, YearLedger, measure, model_reporters
from simulation.random_streams import LIFETIME, Process, RandomStreams, entity_keys
from simulation.services.book import ServiceBook, ServiceYear
from simulation.services.kinds import KindTerms, ServiceTerms
from simulation.services.uses import FirmTraits
from simulation.settlement import settle_year
from simulation.world import World, load_world
from simulation.year_state import YearState


class EcoDistrictModel(mesa.Model):
    """An eco-industrial district evolving year by year under a scenario's policy.

    ``world``: a :class:`~simulation.world.World` (every input read and checked): the model then
    reads no file and raises no input error. Or, with keywords alone (a notebook; Mesa's
    SolaraViz, which rebuilds a model as ``EcoDistrictModel(**parameters)``): ``scenario`` (a
    scenario file), ``years`` (first years only) and fields set by keyword, ``__`` for the dots of
    a field's path (``policy__landfill_tax__inert_eur_per_t=40``), read into a World first
    (:func:`~simulation.world.load_world`, InputError on bad input). ``seed`` overrides the
    scenario's seed. ``measure_efficiency=False`` leaves ``symbiosis_efficiency`` empty and skips
    the yearly optimum behind it (a third of a small district's run time; nothing else depends on
    it), for sweeps that do not keep it.
    """

    def __init__(self, world: World | None = None, *, scenario: str | Path | None = None, seed: int | None = None,
                 years: int | None = None, measure_efficiency: bool = True, **settings: Any):
        if world is None:
            if scenario is None:
                raise TypeError("EcoDistrictModel needs a World or a scenario file (scenario=...)")
            world = load_world(scenario, seed, years, **settings)
        elif scenario is not None or years is not None or settings:
            raise TypeError("give EcoDistrictModel either a World or a scenario file with settings, not both")
        world = world.with_seed(seed)
        self.world = world
        self.seed_used = world.scenario.seed
        self.measure_efficiency = measure_efficiency
        super().__init__(seed=self.seed_used)
        # Every random draw of the model comes from these keyed streams (not from Mesa's
        # self.rng), so that paired scenarios draw the same numbers for the same firm and year.
        self.streams = RandomStreams(self.seed_used)
        self.scenario, self.catalogue, self.subs = world.scenario, world.catalogue, world.subs
        self.year = world.scenario.years.start
        self.plots = dataclasses.replace(world.plots, occupants=world.plots.occupants.copy())
        self.contracts = ContractBook()
        self.plants = PlantBook()  # pre-treatment plants firms have built (their capacity is firm state)
        self.discovery = DiscoveryBook(len(world.subs))  # the synergies firms know, and since when
        self.trust = TrustLedger(world.scenario.behaviour.negotiation.initial_trust)
        self.arch = world.archetypes
        self.authority = PlanningAuthority(self)
        self.facilitator = Facilitator(self)
        self.exited: list[Firm] = []  # firms that left, kept for firms.csv (model.agents holds the present)
        # (year, FLOW_QUANTITIES × resources, each resource's outside route of the year)
        self.flow_history: list[tuple[int, np.ndarray, np.ndarray]] = []
        self.services = ServiceBook(KindTerms.compile(world.catalogue, world.scenario.behaviour.discount_rate),
                                    self.seed_used, len(world.catalogue.resource_ids))
        self.service_year: ServiceYear | None = None
        self.state: YearState | None = None
        self.indicators: dict[str, float] = {}
        self.datacollector = mesa.DataCollector(model_reporters=model_reporters())
        self.authority.place_incumbents()

    # ------------------------------------------------------------------ the year
    def step(self) -> None:
        """One year, in the order of docs/ODD.md (process overview and scheduling)."""
        year = self.year
        self.authority.set_prices(year)            # 1. policy timeline
        self.facilitator.update(year)
        self.admit_applicants(year)                # 2. entry and settlement on plots
        self.produce()                             # 3. production
        market = self.open_market()                #    flows, and what standing contracts leave free
        self.services.reserve(market)              #    and what standing services keep for themselves
        self.authority.open_market(market, self.state.demand, year)  # commitments: listings, incentives
        candidates = self.find_candidates(market)  # 4. matchmaking: who could trade,
        self.sign_contracts(market, candidates)    # 5. negotiation among those discovered and ready
        self.service_year = self.run_services(year, market)  # 6. shared services: found, join, leave
        self.authority.monitor(year, market, self.state.demand)  # monitoring of commitments: fines, exclusions
        optimum = self.optimal_allocation(market, candidates)  # benchmark: the year's optimal allocation
        ledger = self.settle(year, market)         # 7. settlement, trust, breaks, renewals
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

    # ------------------------------------------------------------------ firms
    def firms(self) -> list[Firm]:
        """The firms present, in order of entry (Mesa's registry of the model's agents)."""
        return list(self.agents_by_type[Firm]) if Firm in self.agents_by_type else []

    def firm(self, uid: int) -> Firm:
        """The present firm with unique_id ``uid`` (StopIteration if none)."""
        return next(f for f in self.firms() if f.unique_id == uid)

    def all_firms(self) -> list[Firm]:
        """Every firm ever admitted, in order of entry."""
        return sorted([*self.exited, *self.firms()], key=lambda f: f.unique_id)

    @property
    def indicator_rows(self) -> list[dict]:
        """The indicators collected so far, one dict per year (the DataCollector's model variables)."""
        columns = self.datacollector.model_vars
        return [dict(zip(columns, values)) for values in zip(*columns.values())]

    # ------------------------------------------------------------------ 2. entry
    def admit_applicants(self, year: int) -> None:
        """The authority screens the year's applicants as a batch and settles those it admits."""
        self.entry = self.authority.admit(self.authority.applicants_of(year), year)

    def settle_firm(self, archetype: int, year: int, plot: int | None = None, *, draw_key: int) -> Firm | None:
        """Settle a firm on ``plot`` (default: the cheapest fitting free plot); ``None`` (nothing
        changed) when no plot fits. ``draw_key`` names the firm in the random streams, the same for
        the same incumbent or applicant (entry year, arrival order) in every scenario."""
        plot = self.authority.allocate_plot(archetype, year, draw_key) if plot is None else plot
        if plot is None:
            return None
        self.plots.occupy(plot)
        activity = Firm.initial_activity(self.streams.normal_one(Process.INITIAL_ACTIVITY, year, draw_key),
                                         self.scenario.behaviour.activity)
        employees = max(1, int(round(self.arch.employees[archetype] * activity)))
        return Firm(self, archetype, plot, activity, year, employees, draw_key=draw_key)

    # ------------------------------------------------------------------ 3. production
    def produce(self) -> None:
        """Activity of every firm takes a lognormal step; a shock cuts some firms' output this year
        (:meth:`Firm.next_activity`). Each firm's growth and shock are drawn for its own key and the year."""
        a = self.scenario.behaviour.activity
        firms = self.firms()
        keys = Firm.draw_keys(firms)
        shocked = self.streams.uniform(Process.SHOCK, self.year, keys) < a.shock_probability
        level, output = Firm.next_activity(np.array([f.activity for f in firms]),
                                           self.streams.normal(Process.GROWTH, self.year, keys), shocked, a)
        for firm, value, out in zip(firms, level.tolist(), output.tolist()):
            firm.activity, firm.output = value, out

    # ------------------------------------------------------------------ flows and market
    def open_market(self) -> Market:
        """This year's firm arrays (:class:`~simulation.year_state.YearState`), and the market they
        leave open once standing contracts deliver (:func:`simulation.exchange.market.open_market`)."""
        self.state = YearState.of(self.firms(), self.catalogue, Firm.draw_keys)
        market = open_market(self.state, self.contracts, self.subs, self.plots, self.arch.radius_km)
        market.capacity_left = self.plants.free_capacity(self.year, self.state.positions, self.contracts,
                                                         len(self.state), len(self.subs))
        return market

    def terms(self) -> Terms:
        """The year's negotiation terms (:meth:`Facilitator.terms`)."""
        return self.facilitator.terms(self.scenario.behaviour)

    # ------------------------------------------------------------------ 4-5. matchmaking, negotiation
    def find_candidates(self, market: Market) -> Candidates:
        return find_candidates(market, self.subs, self.world.transport, self.terms(), self.authority.effects.published)

    def sign_contracts(self, market: Market, candidates: Candidates) -> None:
        """Negotiate the year's candidates the firms have discovered and whose implementation time
        is over (:meth:`discover`); one on a pair's standing contract tops that contract up."""
        c = self.contracts
        active = c.active_rows()
        keys = contract_keys(c.supplier[active], c.buyer[active], c.substitution[active], len(self.subs))
        standing = standing_contract_of(candidates, market.uid, keys, active, len(self.subs))
        ready = (standing >= 0) | self.discover(market, candidates)
        candidates, standing = candidates.subset(ready), standing[ready]
        deals = negotiate(market, candidates, self.subs, self.world.transport, self.authority.effects,
                          self.terms(), self.trust.of, standing)
        if len(deals):
            new = deals.contract < 0
            discovered = (self.discovery.discovery_year(market.uid[deals.supplier[new]], market.uid[deals.buyer[new]],
                                                        deals.row[new])
                          if self.scenario.behaviour.discovery.enabled else np.full(int(new.sum()), self.year))
            sign(self.contracts, deals, market.uid, self.year, self.scenario.behaviour.contracts.duration_years,
                 discovered)
            self.plants.build(market.uid[deals.supplier], deals.row, deals.invest,
                              self.subs.capacity_annuity[deals.row], self.authority.effects.treatment_subsidy_share,
                              self.subs.lifetime_years[deals.row], self.year)

    def discover(self, market: Market, candidates: Candidates) -> np.ndarray:
        """Which candidates the firms know and can sign this year: each undiscovered synergy is
        discovered with the year's probability (facilitator, word of mouth, proximity) and becomes
        ready after its implementation time, unless the funnel rules it out
        (:mod:`simulation.exchange.discovery`). All are, at once, with discovery disabled."""
        rates = self.scenario.behaviour.discovery
        if not rates.enabled:
            return np.ones(len(candidates), dtype=bool)
        c = self.contracts
        active = c.active_rows()
        pairs = (self.state.positions(c.supplier[active]), self.state.positions(c.buyer[active]))
        draw_keys = self.state.pair_draw_keys(market.uid[candidates.supplier], market.uid[candidates.buyer],
                                              candidates.row)
        self.discovery.learn(candidates, market.uid, draw_keys, self.year, rates, self.streams, pairs,
                             self.facilitator.active, self.world.transport.by_truck[self.subs.residue[candidates.row]])
        return self.discovery.ready_now(candidates, market.uid, self.year)

    # ------------------------------------------------------------------ 6. shared services
    def run_services(self, year: int, market: Market) -> ServiceYear:
        """Firms found, join and leave shared services on what the year's exchanges left over.

        Each firm compares its share of a service's cost with its stand-alone cost
        (:meth:`Firm.accepts_service_share`), priced at its own stand-alone prices
        (:meth:`service_standalone_quantiles`); the coalition arithmetic over all firms is in
        :mod:`simulation.services`.
        """
        cat, settings, effects = self.catalogue, self.scenario.behaviour.services, self.authority.effects
        traits = FirmTraits(
            employees=np.array([f.employees for f in self.firms()], dtype=float),
            site_area_m2=self.arch.site_area_m2[self.state.archetype],
            demand=self.state.demand,
            disposal_cost=effects.disposal_cost,
            virgin_cost=effects.virgin_cost,
            standalone_quantile=self.service_standalone_quantiles())
        terms = ServiceTerms(
            rule=settings.cost_share_rule, shapley_exact_max_members=settings.shapley_exact_max_members,
            shapley_permutations=settings.shapley_permutations,
            manager_active=self.facilitator.manages_services, manager_cost_eur=self.facilitator.park_manager_cost(),
            cofunding_share=effects.service_cofunding_share, accepts=Firm.accepts_service_share)
        return self.services.update(year, market, traits, terms, enabled=settings.enabled and bool(cat.services))

    def service_standalone_quantiles(self) -> np.ndarray:
        """(N, K): where each firm present (the year's positions) stands in each service kind's range
        of stand-alone prices, a uniform number in (0, 1) (:meth:`KindTerms.standalone_unit_cost`).

        Drawn once for the firm's life: keyed by its draw key and the kind, in year ``LIFETIME``, so
        it is recomputed each year to the same number rather than kept on the Firm, and is the same
        for the same firm in every scenario of a seed, whoever else is in the district.
        """
        keys = entity_keys(self.state.keys[:, None], np.arange(len(self.services.kinds)))
        return self.streams.uniform(Process.SERVICE_STANDALONE, LIFETIME, keys)

    # ------------------------------------------------------------------ benchmark: the optimal allocation
    EFFICIENCY_YEARLY_UP_TO_FIRMS = 1000   # above this many firms, symbiosis_efficiency at checkpoints only
    EFFICIENCY_CHECKPOINT_YEARS = 5        # every 5th simulated year, and the last

    def optimal_allocation(self, market: Market, candidates: Candidates) -> tuple[float, float]:
        """This year's exchange surplus before fixed costs, realised and optimal (EUR/yr,
        :func:`simulation.exchange.optimum.realised_and_optimal`). ``(nan, nan)`` in the years it is
        skipped: above ``EFFICIENCY_YEARLY_UP_TO_FIRMS`` firms, only every
        ``EFFICIENCY_CHECKPOINT_YEARS``-th year and the last are computed; none without
        ``measure_efficiency``.
        """
        years = self.scenario.years
        checkpoint = ((self.year - years.start) % self.EFFICIENCY_CHECKPOINT_YEARS
                      == self.EFFICIENCY_CHECKPOINT_YEARS - 1 or self.year == years.end)
        crowded = len(self.state.uid) > self.EFFICIENCY_YEARLY_UP_TO_FIRMS
        if not self.measure_efficiency or (crowded and not checkpoint):
            return float("nan"), float("nan")
        return realised_and_optimal(market, candidates, self.contracts, self.state, self.subs, self.world.transport,
                                    self.authority.effects, self.terms())

    # ------------------------------------------------------------------ 7. settlement
    def settle(self, year: int, market: Market) -> YearLedger:
        """Book flows, money and CO2 (:func:`simulation.settlement.settle_year`); update trust;
        break, renew or expire contracts (renewals may take what ``market`` has left over)."""
        sy = self.service_year or ServiceYear.empty(len(self.state.uid), len(self.catalogue.resource_ids))
        self.service_year = None  # per-firm arrays of the year: not kept beyond settlement
        firms = self.firms()
        ledger, profit = settle_year(year, self.state, self.contracts, self.plants, self.world, self.authority.effects,
                                     sy,
                                     jobs=sum(f.employees for f in firms), occupied_share=self.plots.occupied_share())
        Firm.book_profits(firms, profit, self.authority.effects.fines_due_eur)
        c = self.contracts
        self.trust.reward(ledger.supplier, ledger.buyer, self.scenario.behaviour.negotiation.trust_gain)
        self._break_contracts(year)
        due = c.active_rows()
        due = due[c.end_year[due] <= year]
        if len(due):
            bonus = self.authority.renewal_bonus(self.state.positions(c.buyer[due]), c.substitution[due],
                                                 c.delivered[due])
            renew_or_expire(due, year, c, self.subs, self.world.transport, self.authority.effects, self.terms(),
                            self.trust, self.scenario.behaviour.contracts.duration_years, bonus, market,
                            self.state.positions(c.supplier[due]), self.state.positions(c.buyer[due]))
        return ledger

    def _break_contracts(self, year: int) -> None:
        """One disruption draw per active contract, keyed by its two firms and row."""
        c, behaviour = self.contracts, self.scenario.behaviour
        active = c.active_rows()
        keys = self.state.pair_draw_keys(c.supplier[active], c.buyer[active], c.substitution[active])
        break_contracts(c, self.streams.uniform(Process.DISRUPTION, year, keys),
                        behaviour.contracts.disruption_probability, year, self.trust, behaviour.negotiation.trust_loss)

    # ------------------------------------------------------------------ 8. exit
    def exit_firms(self, year: int) -> None:
        """Firms leave after lasting losses or by the closure hazard of their size class; their
        contracts end. One uniform draw per firm present, whatever its class, so that paired
        scenarios keep the same draws."""
        ex = self.scenario.behaviour.exit
        firms = self.firms()
        employees = np.array([f.employees for f in firms], dtype=float)
        hazard = (self.streams.uniform(Process.EXIT, year, Firm.draw_keys(firms))
                  < Firm.closure_hazard(employees, ex.hazard_by_size))
        self.exits_this_year = 0
        reasons = [f.reason_to_leave(ex.loss_years, h) for f, h in zip(firms, hazard.tolist())]
        leaving = [(f, reason) for f, reason in zip(firms, reasons) if reason is not None]
        if not leaving:
            return
        gone = np.array([f.unique_id for f, _ in leaving])
        self.contracts.close_of_firms(gone, year)
        self.plants.close_of_firms(gone, year)
        self.trust.forget(gone)
        self.exits_this_year = len(leaving)
        for firm, reason in leaving:
            firm.exit_year, firm.exit_reason = year, reason
            self.plots.vacate(firm.plot)
            self.exited.append(firm)
            firm.remove()

    # ------------------------------------------------------------------ 9. data
    def collect(self, ledger: YearLedger) -> None:
        """The year's indicators (:attr:`indicators`, collected by Mesa's DataCollector) and its
        flows per resource (kept as one small array)."""
        self.indicators = measure(ledger, self.catalogue.family, self.entry, self.authority.enforcement_this_year,
                                  self.exits_this_year)
        self.datacollector.collect(self)
        self.flow_history.append((ledger.year, np.stack([ledger.flow(q) for q in FLOW_QUANTITIES]),
                                  ledger.outside_route))
