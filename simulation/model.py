"""EcoDistrictModel: one simulated year per ``step()`` (DESIGN §1).

The yearly cycle is written out in :meth:`EcoDistrictModel.step` so that a reader sees the order of
events. Decisions live in the agents (the authority admits and prices, firms produce and keep
accounts); bulk arithmetic over all firms and contracts (flows, candidate search,
settlement) is done on arrays here and in :mod:`simulation.market`.
"""

from __future__ import annotations

from pathlib import Path

import mesa
import numpy as np

from simulation.agents import Facilitator, Firm, PlanningAuthority
from simulation.catalogue import Catalogue
from simulation.contracts import ContractBook, Status
from simulation.district import build_plots
from simulation.errors import InputError
from simulation.indicators import FLOW_QUANTITIES, YearLedger, measure
from simulation.market import (Market, SubstitutionTable, Terms, Transport, bargain, contract_keys,
                               find_candidates, fixed_yearly_cost, negotiate, unit_surplus, without_existing)
from simulation.scenario import Scenario
from simulation.trust import TrustLedger


class EcoDistrictModel(mesa.Model):
    """An eco-industrial district evolving year by year under a scenario's policy.

    Parameters: a validated :class:`~simulation.scenario.Scenario` and its
    :class:`~simulation.catalogue.Catalogue`; ``scenario_dir`` resolves relative paths in the
    scenario (GeoJSON plots); ``seed`` overrides the scenario's seed.
    """

    def __init__(self, scenario: Scenario, catalogue: Catalogue, scenario_dir: Path | str = ".",
                 seed: int | None = None, scenario_file: str = "scenario"):
        self.seed_used = scenario.seed if seed is None else seed
        super().__init__(seed=self.seed_used)
        self.scenario = scenario
        self.catalogue = catalogue
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
        candidates = self.find_candidates(market)  # 4. matchmaking
        self.sign_contracts(market, candidates)    # 5. negotiation
        #                                            6. shared services: not modelled yet
        ledger = self.settle(year)                 # 7. settlement, trust, breaks, renewals
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
        self.arch_margin_eur = np.array([a.turnover.value * a.operating_margin.value for a in arch])
        # Resource costs at catalogue prices, no exchanges and no policy: the margin is observed there.
        self.arch_reference_cost = cat.outputs @ cat.gate_fee + cat.inputs @ cat.virgin_price

    def _place_incumbents(self, scenario_file: str) -> None:
        for i, inc in enumerate(self.scenario.firms.incumbents):
            a = self.catalogue.archetype_index(inc.archetype)
            for _ in range(inc.count):
                if self.settle_firm(a, self.year) is None:
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
            drawn = self.rng.choice(len(ids), size=self.rng.poisson(stream.rate_per_year), p=weights / weights.sum())
            arrivals += [self.catalogue.archetype_index(ids[k]) for k in drawn]
        return arrivals

    def admit_applicants(self, year: int) -> None:
        self.applicants_this_year = self.admitted_this_year = 0
        self.rejected_by_rule = self.rejected_no_plot = 0
        for archetype in self.applicants_of(year):
            self.applicants_this_year += 1
            if not self.authority.screen(archetype, year):
                self.rejected_by_rule += 1
            elif self.settle_firm(archetype, year) is None:
                self.rejected_no_plot += 1
            else:
                self.admitted_this_year += 1

    def settle_firm(self, archetype: int, year: int) -> Firm | None:
        """Give an admitted firm a plot; ``None`` (nothing changed) when no plot fits."""
        plot = self.authority.allocate_plot(archetype)
        if plot is None:
            return None
        self.plots.occupy(plot)
        activity = float(np.exp(self.scenario.behaviour.activity.initial_sd * self.rng.standard_normal()))
        a = self.scenario.behaviour.activity
        activity = min(max(activity, a.minimum), a.maximum)
        employees = max(1, int(round(self.arch_employees[archetype] * activity)))
        firm = Firm(self, archetype, plot, activity, year, employees)
        self.firm_by_uid[firm.unique_id] = firm
        return firm

    # ------------------------------------------------------------------ 3. production
    def produce(self) -> None:
        """Activity of every firm takes a lognormal step; a shock cuts some firms' output this year.

        ``a ← clip(a · exp(μ + σ·z), minimum, maximum)``; this year's output is ``a``, or
        ``a · (1 − shock_size)`` for a shocked firm (the shock does not carry over to next year).
        Draws are made in bulk for all firms in entry order (one generator call per year).
        """
        a = self.scenario.behaviour.activity
        firms = list(self.firm_by_uid.values())
        level = np.clip(np.array([f.activity for f in firms]) * np.exp(
            a.growth_mean + a.growth_sd * self.rng.standard_normal(len(firms))), a.minimum, a.maximum)
        shocked = self.rng.random(len(firms)) < a.shock_probability
        for firm, value, hit in zip(firms, level.tolist(), shocked.tolist()):
            firm.activity = value
            firm.output = value * (1.0 - a.shock_size) if hit else value

    # ------------------------------------------------------------------ flows and market
    def open_market(self) -> Market:
        """This year's flows of every firm, and the capacity standing contracts leave free.

        Standing contracts deliver their quantity scaled down when the supplier now emits less,
        or the buyer now needs less, than they promise; what is left is open to new deals.
        """
        firms = list(self.firm_by_uid.values())
        cat, subs = self.catalogue, self.subs
        n_res, n_sub, n = len(cat.resource_ids), len(subs), len(firms)
        self._uid = np.array([f.unique_id for f in firms], dtype=np.int64)
        arch = np.array([f.archetype for f in firms], dtype=np.int64)
        activity = np.array([f.output for f in firms])
        plot = np.array([f.plot for f in firms], dtype=np.int64)
        self._arch, self._activity = arch, activity
        self._pos = np.full(int(self._uid.max(initial=0)) + 1, -1, dtype=np.int64)
        self._pos[self._uid] = np.arange(n)
        self._generated = activity[:, None] * cat.outputs[arch]
        self._demand = activity[:, None] * cat.inputs[arch]
        row_cap = subs.max_share[None, :] * self._demand[:, subs.input]

        c = self.contracts
        rows = c.active_rows()
        sp, bp, s = self._pos[c.supplier[rows]], self._pos[c.buyer[rows]], c.substitution[rows]
        r, i, q = subs.residue[s], subs.input[s], c.quantity[rows]
        q_in = q * subs.ratio[s]
        promised_out = np.bincount(sp * n_res + r, q, n * n_res)
        promised_row = np.bincount(bp * n_sub + s, q_in, n * n_sub)
        promised_in = np.bincount(bp * n_res + i, q_in, n * n_res)
        f_sup = np.minimum(1.0, self._generated[sp, r] / promised_out[sp * n_res + r])
        f_buy = np.minimum(1.0, np.minimum(row_cap[bp, s] / promised_row[bp * n_sub + s],
                                           self._demand[bp, i] / promised_in[bp * n_res + i]))
        delivered = q * np.minimum(f_sup, f_buy)
        c.delivered[:] = 0.0
        c.delivered[rows] = delivered
        d_in = delivered * subs.ratio[s]
        return Market(
            uid=self._uid,
            xy_km=np.column_stack([self.plots.x_m[plot], self.plots.y_m[plot]]) / 1000.0,
            radius_km=self.arch_radius_km[arch],
            supply_left=self._generated - np.bincount(sp * n_res + r, delivered, n * n_res).reshape(n, n_res),
            input_left=self._demand - np.bincount(bp * n_res + i, d_in, n * n_res).reshape(n, n_res),
            row_cap_left=row_cap - np.bincount(bp * n_sub + s, d_in, n * n_sub).reshape(n, n_sub),
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
        )

    # ------------------------------------------------------------------ 4-5. matchmaking, negotiation
    def find_candidates(self, market: Market):
        candidates = find_candidates(market, self.subs, self.transport, self.terms())
        c = self.contracts
        active = c.active_rows()
        existing = contract_keys(c.supplier[active], c.buyer[active], c.substitution[active], len(self.subs))
        return without_existing(candidates, market.uid, existing, len(self.subs))

    def sign_contracts(self, market: Market, candidates) -> None:
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
        disposed = np.maximum(self._generated - out, 0.0)
        virgin = np.maximum(self._demand - inn, 0.0)

        # Money: each firm's resource costs now, against the reference (catalogue prices, no exchange).
        transport_unit = tr.fixed[r] + tr.per_km[r] * dist
        half_fixed = c.fixed_cost[rows] / 2
        supplier_pays = q * (transport_unit + subs.treatment[s] - c.price[rows] - prices.subsidy[r]) + half_fixed
        buyer_pays = q * c.price[rows] + half_fixed
        cost = (disposed @ prices.disposal_cost + virgin @ prices.virgin_cost
                + np.bincount(sp, supplier_pays, n) + np.bincount(bp, buyer_pays, n))
        reference = self._activity * self.arch_reference_cost[self._arch]
        profit = self._activity * self.arch_margin_eur[self._arch] - (cost - reference)
        for firm, p in zip(self.firm_by_uid.values(), profit.tolist()):
            firm.book_profit(p)

        surplus = q * unit_surplus(s, dist, subs, tr, prices) - c.fixed_cost[rows]
        co2 = q * (cat.co2_disposal[r] + subs.ratio[s] * cat.co2_virgin[i] - tr.co2_per_km[r] * dist)
        ledger = YearLedger(
            year=year, firm_uids=self._uid.copy(), jobs=sum(f.employees for f in self.firm_by_uid.values()),
            plots_occupied_share=self.plots.occupied_share(), generated=self._generated.sum(0), exchanged=out.sum(0), disposed=disposed.sum(0),
            demand=self._demand.sum(0), received=inn.sum(0), virgin=virgin.sum(0),
            supplier=c.supplier[rows].copy(), buyer=c.buyer[rows].copy(), residue=r, delivered=q,
            distance_km=dist, surplus_eur=surplus, co2_avoided_t=co2)
        self.trust.reward(c.supplier[rows], c.buyer[rows], self.scenario.behaviour.negotiation.trust_gain)
        self._break_expire_renew(year)
        return ledger

    def _break_expire_renew(self, year: int) -> None:
        behaviour = self.scenario.behaviour
        c = self.contracts
        active = c.active_rows()
        broken = active[self.rng.random(len(active)) < behaviour.contracts.disruption_probability]
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
                               self.transport, self.authority.prices, terms)
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
        hazard = self.rng.random(len(firms)) < ex.hazard_rate
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
        row.update(applicants=self.applicants_this_year, admitted=self.admitted_this_year,
                   rejected=self.rejected_by_rule + self.rejected_no_plot,
                   exits=self.exits_this_year)
        self.indicator_rows.append(row)
        self.flow_history.append((ledger.year, np.stack([getattr(ledger, q) for q in FLOW_QUANTITIES])))

    def all_firms(self) -> list[Firm]:
        """Every firm ever admitted, in order of entry."""
        return sorted([*self.departed, *self.firm_by_uid.values()], key=lambda f: f.unique_id)
