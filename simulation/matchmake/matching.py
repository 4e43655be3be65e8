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

A per-firm circularity profile scores each firm against the group on the three families of
indicators (docs/ODD.md, Indicators); see :func:`firm_profile` for the formulas.
"""

from __future__ import annotations

import dataclasses
from dataclasses import dataclass
from pathlib import Path

import numpy as np
import pandas as pd

from simulation.inputs.catalogue import Catalogue, load_catalogue, load_resource_catalogue, shipped_path
from simulation.inputs.firm_profiles import FirmProfiles, reference_archetype
from simulation.columns import pair_key, pair_members
from simulation.exchange.market import Market, Terms
from simulation.exchange.search import find_candidates
from simulation.exchange.surplus import co2_avoided_t, fixed_yearly_cost, unit_surplus
from simulation.policy.effects import PolicyEffects
from simulation.world import SubstitutionTable, Transport, build_world
from simulation.exchange.optimum import OptimalAllocation, optimal_allocation, stand_alone_quantity

FAMILIES = ("material", "energy", "water")
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
    services: "ServiceSetting | None"


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
    from simulation.model import EcoDistrictModel
    from simulation.inputs.scenario_schema import Firms

    bare = scenario.model_copy(update={"firms": Firms()})
    model = EcoDistrictModel(build_world(bare, catalogue, scenario_dir, "matchmake"))
    year = scenario.years.start
    model.authority.set_prices(year)
    model.facilitator.update(year)
    return model, year


def _default_scenario():
    """The shipped defaults (behaviour and policy) over a one-plot district, for pricing only."""
    from simulation.inputs.scenario import DEFAULTS_FILE, Scenario, deep_merge
    from simulation.inputs.strict_yaml import load_yaml

    raw = deep_merge(load_yaml(shipped_path(DEFAULTS_FILE)), {
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
        pricing = (f"scenario {loaded.path}: its policy in force in {scenario.years.start} "
                   "and its negotiation terms")
    else:
        scenario, where = _default_scenario(), Path(".")
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
                   services)


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
    co2 = co2_avoided_t(q, cand.row, cand.distance_km, cat.co2_disposal, cat.co2_virgin, subs, tr)
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
    matches.services = frame.sort_values("savings_eur_per_yr", ascending=False, kind="stable").reset_index(drop=True)
    return matches.services


# ---------------------------------------------------------------------------------------------- tables

EXCHANGE_COLUMNS = ["rank", "supplier", "buyer", "residue", "substitutes", "quantity", "unit", "distance_km",
                    "unit_surplus_eur", "fixed_cost_eur_per_yr", "surplus_eur_per_yr", "co2_avoided_t", "route"]
OPTIMAL_COLUMNS = ["optimal_quantity", "optimal_surplus_eur_per_yr"]


def exchanges_frame(matches: Matches) -> pd.DataFrame:
    """One row per candidate exchange, best first (``matchmake.csv``)."""
    p, cat, subs = matches.profiles, matches.setting.catalogue, matches.setting.subs
    residue = [cat.resource_ids[k] for k in subs.residue[matches.row]]
    frame = pd.DataFrame({
        "rank": np.arange(1, len(matches) + 1),
        "supplier": [p.firm[f] for f in matches.supplier], "buyer": [p.firm[f] for f in matches.buyer],
        "residue": residue, "substitutes": [cat.resource_ids[k] for k in subs.input[matches.row]],
        "quantity": matches.quantity, "unit": [cat.resources[r].unit for r in residue],
        "distance_km": matches.distance_km, "unit_surplus_eur": matches.unit_surplus,
        "fixed_cost_eur_per_yr": matches.fixed_cost, "surplus_eur_per_yr": matches.surplus,
        "co2_avoided_t": matches.co2_avoided_t,
        "route": [cat.substitutions[k].route for k in matches.row],
    }, columns=EXCHANGE_COLUMNS)
    if matches.allocation is not None:
        x = matches.allocation.quantity
        frame["optimal_quantity"] = x
        frame["optimal_surplus_eur_per_yr"] = np.where(x > 0, x * matches.unit_surplus - matches.fixed_cost, 0.0)
    return frame


FIRM_COLUMNS = ["firm", "sector", "employees",
                "residue_outlet_share", "input_cover_share",
                "partners", "mean_partner_distance_km",
                "links", "best_link_surplus_eur_per_yr", "potential_surplus_eur_per_yr", "potential_co2_avoided_t"]


def _family_shares(flows: np.ndarray, matched: np.ndarray, family: np.ndarray) -> np.ndarray:
    """Per firm: mean over the families it has flows in of matched / total (NaN with no flows)."""
    shares = np.full((flows.shape[0], len(FAMILIES)), np.nan)
    for k, fam in enumerate(FAMILIES):
        cols = family == fam
        total, part = flows[:, cols].sum(1), matched[:, cols].sum(1)
        has = total > 0
        shares[has, k] = part[has] / total[has]
    count = (~np.isnan(shares)).sum(1)
    return np.where(count > 0, np.nansum(shares, 1) / np.maximum(count, 1), np.nan)


def _matched(matches: Matches, firms: np.ndarray | None = None) -> tuple[np.ndarray, np.ndarray]:
    """(residue placeable, input coverable) per firm × resource, from the candidate exchanges.

    Residue: ``min(g_r, Σ_links q)``; input: ``min(D_i, Σ_(rows s of i) min(cap_s, ratio_s·Σ_links q))``.
    Alternatives are added up, competition between firms ignored: a potential, not an allocation.
    """
    p, subs = matches.profiles, matches.setting.subs
    n, n_res, n_sub = len(p), p.outputs.shape[1], len(subs)
    q = matches.quantity
    offered = np.bincount(matches.supplier * n_res + subs.residue[matches.row], q, n * n_res).reshape(n, n_res)
    residue = np.minimum(p.outputs, offered)
    by_row = np.bincount(matches.buyer * n_sub + matches.row, q * subs.ratio[matches.row], n * n_sub).reshape(n, n_sub)
    capped = np.minimum(by_row, subs.max_share[None, :] * p.inputs[:, subs.input])
    per_input = np.zeros((n, n_res))
    np.add.at(per_input.T, subs.input, capped.T)
    return residue, np.minimum(p.inputs, per_input)


def firm_profile(matches: Matches) -> pd.DataFrame:
    """Each firm's circularity profile against the group, on the three families of docs/ODD.md, Indicators.

    (a) circular performance: ``residue_outlet_share`` = share of its residues some partner of the
    group could take, ``input_cover_share`` = share of its inputs the group's residues could
    replace (each a mean over the families material/energy/water it has flows in, quantities in
    the family's unit; empty when it has none);
    (b) territorial integration: ``partners`` (distinct firms it has a candidate exchange with),
    ``mean_partner_distance_km``;
    (c) symbiosis potential: ``links`` (candidate exchanges it is part of), the best one's yearly
    surplus, ``potential_surplus_eur_per_yr`` and ``potential_co2_avoided_t`` (sums over its links:
    alternatives counted together, an upper estimate); with ``--optimal`` also its links in the
    optimal allocation and their surplus.

    The last row, ``(group)``, gives the same over the group: shares over all flows, mean partners
    per firm, mean distance over all links, totals over links (each counted once).
    """
    p, cat = matches.profiles, matches.setting.catalogue
    n = len(p)
    placeable, coverable = _matched(matches)
    sup, buy = matches.supplier, matches.buyer
    pairs = np.unique(np.concatenate([pair_key(sup, buy), pair_key(buy, sup)]))  # each firm's distinct partners
    partners = np.bincount(pair_members(pairs)[0], minlength=n)
    both = np.concatenate([sup, buy])
    dist2, s2, co2 = (np.concatenate([a, a]) for a in (matches.distance_km, matches.surplus, matches.co2_avoided_t))
    links = np.bincount(both, minlength=n)
    with np.errstate(invalid="ignore", divide="ignore"):
        mean_dist = np.where(links > 0, np.bincount(both, dist2, n) / links, np.nan)
    best = np.full(n, np.nan)
    if len(both):
        np.fmax.at(best, both, s2)
    frame = pd.DataFrame({
        "firm": p.firm, "sector": p.sector, "employees": p.employees,
        "residue_outlet_share": _family_shares(p.outputs, placeable, cat.family),
        "input_cover_share": _family_shares(p.inputs, coverable, cat.family),
        "partners": partners, "mean_partner_distance_km": mean_dist,
        "links": links, "best_link_surplus_eur_per_yr": best,
        "potential_surplus_eur_per_yr": np.bincount(both, s2, n),
        "potential_co2_avoided_t": np.bincount(both, co2, n),
    }, columns=FIRM_COLUMNS)
    group = {
        "firm": "(group)", "sector": "", "employees": p.employees.sum(),
        "residue_outlet_share": _family_shares(p.outputs.sum(0, keepdims=True), placeable.sum(0, keepdims=True),
                                               cat.family)[0],
        "input_cover_share": _family_shares(p.inputs.sum(0, keepdims=True), coverable.sum(0, keepdims=True),
                                            cat.family)[0],
        "partners": partners.mean() if n else 0.0,
        "mean_partner_distance_km": matches.distance_km.mean() if len(matches) else np.nan,
        "links": len(matches), "best_link_surplus_eur_per_yr": matches.surplus.max() if len(matches) else np.nan,
        "potential_surplus_eur_per_yr": matches.surplus.sum(), "potential_co2_avoided_t": matches.co2_avoided_t.sum(),
    }
    if matches.allocation is not None:
        x = matches.allocation.quantity
        used = x > 0
        gain = np.where(used, x * matches.unit_surplus - matches.fixed_cost, 0.0)
        used2, gain2 = np.concatenate([used, used]), np.concatenate([gain, gain])
        frame["optimal_links"] = np.bincount(both, used2.astype(float), n).astype(int)
        frame["optimal_surplus_eur_per_yr"] = np.bincount(both, gain2, n)
        group["optimal_links"] = int(used.sum())
        group["optimal_surplus_eur_per_yr"] = float(gain.sum())
    return pd.concat([frame, pd.DataFrame([group])], ignore_index=True)
