"""Matchmaking among real firms (``ecodistrict matchmake``): the simulation's candidate engine on a
profile file.

The Formigine lab, ENEA's symbiosis platform and SYNERGie list firms' inputs and outputs and propose
matches. This module does that job with the very rules the simulation negotiates by:

* candidates are found by :func:`simulation.exchange.search.find_candidates` (``cKDTree`` per substitution
  row), every firm examining every partner within transport reach (and within ``radius_km`` of one
  of the two firms, when a knowledge radius is given);
* each candidate is valued by :func:`~simulation.exchange.surplus.unit_surplus` and
  :func:`~simulation.exchange.surplus.fixed_yearly_cost` at the prices and transaction costs of a scenario
  (its policy in force in its first year; the shipped defaults when none is given);
* its quantity is the most the pair could exchange alone: the supplier's residue, the buyer's
  demand and the substitution row's ``max_share`` of it
  (:func:`simulation.exchange.optimum.stand_alone_quantity`); candidates whose yearly surplus
  ``q·u − F`` is positive are listed, best first;
* optionally, the optimal allocation over the listed candidates (:mod:`simulation.exchange.optimum`) says
  which exchanges a coordinated group would open, at which quantity, as alternatives compete for
  the same residue and demand;
* shared-service opportunities are found by the simulation's coalition rules
  (:class:`simulation.services.book.ServiceBook`) on the firms' full flows.

The tables written from the matches (the potential exchanges, a per-firm circularity profile on the
three families of indicators of docs/ODD.md, Indicators) are in :mod:`simulation.matchmake.tables`.
"""

from __future__ import annotations

import dataclasses
from dataclasses import dataclass
from pathlib import Path

import numpy as np
import pandas as pd

from simulation.exchange.market import Market, Terms
from simulation.exchange.optimum import OptimalAllocation, optimal_allocation, stand_alone_quantity
from simulation.exchange.search import find_candidates
from simulation.exchange.surplus import co2_avoided_t, fixed_yearly_cost, unit_surplus
from simulation.inputs.catalogue import Catalogue, load_catalogue, load_resource_catalogue
from simulation.inputs.firm_profiles import FirmProfiles, reference_archetype
from simulation.io.cells import display_path
from simulation.policy.effects import PolicyEffects
from simulation.world import SubstitutionTable, Transport, build_world

DEFAULT_YEAR = 2026  # the shipped defaults hold no windowed instrument, so the year is immaterial
ROUTE_TEXT = {
    "byproduct": "by-product (Waste Framework Directive 2008/98/EC art. 5; art. 184-bis D.Lgs. 152/2006 in Italy)",
    "waste": "waste, to a receiver authorised to recover it",
}


@dataclass(frozen=True)
class Setting:
    """What values the matches: the catalogue, the year's prices and the negotiation terms."""

    catalogue: Catalogue
    subs: SubstitutionTable
    transport: Transport
    effects: PolicyEffects
    terms: Terms
    year: int
    pricing: str                  # where prices and terms come from, for the summary
    services: ServiceSetting | None
    scenario_file: str | None = None  # the pricing scenario's file as outputs cite it (None: shipped defaults)


@dataclass(frozen=True)
class ServiceSetting:
    """What the service coalitions need besides the market (see :mod:`simulation.services.book`)."""

    kinds: list
    terms: object                 # services.ServiceTerms
    seed: int
    enabled: bool


def _scenario_model(scenario, catalogue: Catalogue, scenario_dir: Path):
    """A district with no firms under ``scenario``, at its first year: its authority sets the prices
    and its facilitator the terms exactly as in a run."""
    from simulation.inputs.scenario_schema import Firms
    from simulation.model import EcoDistrictModel

    bare = scenario.model_copy(update={"firms": Firms()})
    model = EcoDistrictModel(build_world(bare, catalogue, scenario_dir, "matchmake"))
    year = scenario.years.start
    model.authority.set_prices(year)
    model.facilitator.update(year)
    return model, year


def _default_scenario():
    """The shipped defaults (behaviour and policy) over a one-plot district, for pricing only."""
    from simulation.inputs.scenario import Scenario, deep_merge, shipped_defaults

    raw = deep_merge(shipped_defaults(), {
        "name": "matchmake", "seed": 0, "years": {"start": DEFAULT_YEAR, "end": DEFAULT_YEAR}, "firms": {},
        "district": {"blocks": [{"name": "none", "origin_x_m": 0, "origin_y_m": 0, "rows": 1, "cols": 1,
                                 "plot_width_m": 1, "plot_depth_m": 1, "gap_m": 0, "land_price_eur_per_m2": 0}]}})
    return Scenario.model_validate(raw)


def sibling_catalogue(resources_path: Path) -> Catalogue:
    """A territory's catalogue: the resource file, with ``archetypes.yaml`` and ``services.yaml``
    beside it when they exist (a territory's files live together, as ``validate`` assumes)."""
    archetypes, services = resources_path.parent / "archetypes.yaml", resources_path.parent / "services.yaml"
    services = services if services.is_file() else None
    if archetypes.is_file() and archetypes != resources_path:
        return load_catalogue(resources_path, archetypes, services)
    return load_resource_catalogue(resources_path, services)


def matching_catalogue(catalog: Path | None = None, scenario_path: Path | None = None):
    """The catalogue to match with, and the scenario that prices (``None``: the shipped defaults).

    ``scenario_path``: the scenario's own catalogue; else ``catalog`` (a territory's resource file,
    see :func:`sibling_catalogue`); else the shipped catalogue. Read before anything heavier, so
    that a bad profile file is reported at once.
    """
    if scenario_path is not None:
        from simulation.inputs.scenario import load_scenario
        loaded = load_scenario(scenario_path)
        return loaded.catalogue, loaded
    return (load_catalogue() if catalog is None else sibling_catalogue(Path(catalog))), None


def matching_setting(catalogue: Catalogue, loaded=None) -> Setting:
    """Prices and terms of a scenario (``loaded``, its first year) or of the shipped defaults."""
    from simulation.agents.firm import Firm
    from simulation.services.kinds import KindTerms, ServiceTerms

    if loaded is not None:
        scenario, where = loaded.scenario, loaded.path.parent
        scenario_file = display_path(loaded.path)
        pricing = (f"scenario {scenario_file}: its policy in force in {scenario.years.start} "
                   "and its negotiation terms")
    else:
        scenario, where, scenario_file = _default_scenario(), Path("."), None
        pricing = ("the shipped defaults (simulation/data/defaults.yaml): Emilia-Romagna landfill tax by class, "
                   "no levy, no subsidy, no facilitator; give --scenario to price with a scenario's policy")
    model, year = _scenario_model(scenario, catalogue, where)
    services = None
    if catalogue.services:
        settings = scenario.behaviour.services
        services = ServiceSetting(
            kinds=KindTerms.compile(catalogue, scenario.behaviour.discount_rate),
            terms=ServiceTerms(
                rule=settings.cost_share_rule, shapley_exact_max_members=settings.shapley_exact_max_members,
                shapley_permutations=settings.shapley_permutations,
                manager_active=model.facilitator.manages_services,
                manager_cost_eur=model.facilitator.park_manager_cost(),
                cofunding_share=model.authority.effects.service_cofunding_share, accepts=Firm.accepts_service_share),
            seed=scenario.seed, enabled=settings.enabled)
    return Setting(catalogue, model.subs, model.world.transport, model.authority.effects, model.terms(), year, pricing,
                   services, scenario_file)


@dataclass
class Matches:
    """Candidate exchanges with a positive yearly surplus (positions ``f`` in the profiles)."""

    profiles: FirmProfiles
    setting: Setting
    radius_km: float | None
    supplier: np.ndarray
    buyer: np.ndarray
    row: np.ndarray
    distance_km: np.ndarray
    quantity: np.ndarray          # residue units/yr, the pair alone
    unit_surplus: np.ndarray      # EUR per residue unit
    fixed_cost: np.ndarray        # EUR/yr
    surplus: np.ndarray           # EUR/yr = quantity·unit_surplus − fixed_cost
    co2_avoided_t: np.ndarray
    candidates_found: int         # within reach, before the surplus test
    allocation: OptimalAllocation | None = None
    services: pd.DataFrame | None = None
    service_members: list[tuple[int, ...]] | None = None  # positions f of each row of ``services``

    def __len__(self) -> int:
        return len(self.supplier)


def profile_market(profiles: FirmProfiles, subs: SubstitutionTable, radius_km: float | None) -> Market:
    """The profiled firms as a market with nothing committed yet."""
    n = len(profiles)
    return Market(
        uid=np.arange(n, dtype=np.int64), xy_km=profiles.xy_km,
        radius_km=np.full(n, np.inf if radius_km is None else float(radius_km)),
        supply_left=profiles.outputs.copy(), input_left=profiles.inputs.copy(),
        row_cap_left=subs.max_share[None, :] * profiles.inputs[:, subs.input])


def find_matches(profiles: FirmProfiles, setting: Setting, radius_km: float | None = None) -> Matches:
    """Every feasible exchange among the profiled firms, valued as the simulation values a deal."""
    subs, tr, effects = setting.subs, setting.transport, setting.effects
    market = profile_market(profiles, subs, radius_km)
    # Every partner within transport reach is examined; a knowledge radius, if any, is the firms' radius.
    terms = dataclasses.replace(setting.terms, candidates_per_firm=max(len(profiles), 1), district_wide_search=False)
    cand = find_candidates(market, subs, tr, terms)
    q = stand_alone_quantity(cand.supplier, cand.buyer, cand.row, market.supply_left, market.input_left,
                             market.row_cap_left, subs)
    u = unit_surplus(cand.row, cand.distance_km, subs, tr, effects)
    fixed = fixed_yearly_cost(cand.row, cand.distance_km, subs, tr, terms.transaction_cost_eur_per_yr, effects)
    surplus = q * u - fixed
    keep = surplus > 0
    cat = setting.catalogue
    co2 = co2_avoided_t(q, cand.row, cand.distance_km, effects.disposal_co2, cat.co2_virgin, subs, tr)
    # Best first; ties in a fixed order (supplier, buyer, row) so that outputs are reproducible.
    idx = np.flatnonzero(keep)
    idx = idx[np.lexsort((cand.row[idx], cand.buyer[idx], cand.supplier[idx], -surplus[idx]))]
    return Matches(profiles, setting, radius_km, cand.supplier[idx], cand.buyer[idx], cand.row[idx],
                   cand.distance_km[idx], q[idx], u[idx], fixed[idx], surplus[idx], co2[idx], len(cand))


def allocate_optimally(matches: Matches, time_limit_s: float | None) -> OptimalAllocation:
    """The group's best allocation over the listed exchanges, net of fixed yearly costs (a MILP)."""
    p, subs = matches.profiles, matches.setting.subs
    row_cap = subs.max_share[None, :] * p.inputs[:, subs.input]
    matches.allocation = optimal_allocation(matches.supplier, matches.buyer, matches.row, matches.unit_surplus,
                                            matches.fixed_cost, p.outputs, p.inputs, row_cap, subs,
                                            time_limit=time_limit_s)
    return matches.allocation


def service_opportunities(matches: Matches) -> pd.DataFrame | None:
    """Shared services the profiled firms would found by the simulation's coalition rules, on their
    full flows (before any exchange); ``None`` when the catalogue has no service kinds.

    Plot areas (for services billed per m2) come from each firm's reference archetype
    (:func:`simulation.inputs.firm_profiles.reference_archetype`), scaled by employees; 0 when the catalogue
    has no archetype of the firm's NACE division.
    """
    from simulation.services.book import ServiceBook
    from simulation.services.uses import FirmTraits

    s = matches.setting
    if s.services is None:
        return None
    p, cat = matches.profiles, s.catalogue
    area = np.zeros(len(p))
    for f in range(len(p)):
        ref = reference_archetype(f, p, cat, {}) if cat.archetype_ids else None
        if ref is not None:
            arch = cat.archetypes[ref]
            area[f] = arch.plot_area.value * p.employees[f] / max(arch.employees.value, 1e-9)
    market = profile_market(p, s.subs, None)
    book = ServiceBook(s.services.kinds, s.services.seed, len(cat.resource_ids))
    traits = FirmTraits(employees=p.employees.astype(float), site_area_m2=area, demand=p.inputs.copy(),
                        disposal_cost=s.effects.disposal_cost, virgin_cost=s.effects.virgin_cost)
    book.update(s.year, market, traits, s.services.terms, enabled=True)
    records = book.records()
    members = {svc.uid: svc.members for svc in book.services}
    frame = pd.DataFrame({
        "service": records["kind"], "class": records["service_class"],
        "members": ["; ".join(p.firm[int(m)] for m in members.get(int(u), [])) for u in records["service"]],
        "member_count": records["members"].astype(int), "quantity": records["quantity"], "unit": records["unit"],
        "cost_eur_per_yr": records["cost_eur"], "standalone_eur_per_yr": records["standalone_eur"],
        "savings_eur_per_yr": records["savings_eur"]},
        columns=["service", "class", "members", "member_count", "quantity", "unit", "cost_eur_per_yr",
                 "standalone_eur_per_yr", "savings_eur_per_yr"])
    order = np.argsort(-frame.savings_eur_per_yr.to_numpy(dtype=float), kind="stable")
    matches.services = frame.iloc[order].reset_index(drop=True)
    member_lists = [tuple(int(m) for m in members.get(int(u), [])) for u in records["service"]]
    matches.service_members = [member_lists[k] for k in order]
    return matches.services
