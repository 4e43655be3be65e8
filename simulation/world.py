"""Everything a simulation reads, checked and assembled before the model exists: the World.

A :class:`World` holds the validated scenario, its catalogue (with the one-firm archetypes of
profiled firms appended), the district's plots (grid blocks, GeoJSON polygons and the plots of
profiled firms), and the catalogue's substitution and transport terms as arrays. Building it reads
every file and raises every input error (:class:`~simulation.inputs.errors.InputError`); the model
built from it (:class:`~simulation.model.EcoDistrictModel`) reads no file and raises none, so
``validate``, experiment checks and an interactive view can build Worlds cheaply and models from
keyword arguments alone.
"""

from __future__ import annotations

import copy
import dataclasses
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import numpy as np
from pydantic import ValidationError

from simulation.finance import capital_recovery_factor
from simulation.inputs.catalogue import Catalogue
from simulation.inputs.errors import InputError
from simulation.inputs.firm_profiles import (
    PROFILE_ARCHETYPE_PREFIX,
    ProfiledFirms,
    load_profiled_firms,
    with_profiled_archetypes,
)
from simulation.inputs.plots import Plots, build_plots
from simulation.inputs.policy_schema import Policy
from simulation.inputs.scenario import (
    LoadedScenario,
    load_scenario,
    policy_in_force_by_default,
    validate_scenario_data,
    with_overrides,
)
from simulation.inputs.scenario_schema import Scenario
from simulation.inputs.schema_base import problems_from_validation_error


@dataclass(frozen=True)
class SubstitutionTable:
    """The catalogue's substitution rows as arrays (index ``s``)."""

    residue: np.ndarray     # resource index of the residue
    input: np.ndarray       # resource index of the input it replaces
    ratio: np.ndarray       # input units per residue unit
    max_share: np.ndarray   # of the buyer's demand of the input
    treatment: np.ndarray   # EUR per residue unit
    # pre-treatment capacity the supplier must own: annuity per residue unit/yr of capacity, EUR/yr
    # (capex × capital recovery factor at the scenario's discount rate; 0 when the row needs none)
    capacity_annuity: np.ndarray = dataclasses.field(default_factory=lambda: np.zeros(0))
    lifetime_years: np.ndarray = dataclasses.field(default_factory=lambda: np.zeros(0, dtype=np.int64))

    @classmethod
    def from_catalogue(cls, catalogue: Catalogue, discount_rate: float = 0.0) -> SubstitutionTable:
        subs = catalogue.substitutions
        plants = [s.investment for s in subs]
        return cls(
            residue=np.array([catalogue.index(s.residue) for s in subs], dtype=np.int64),
            input=np.array([catalogue.index(s.input) for s in subs], dtype=np.int64),
            ratio=np.array([s.ratio.value for s in subs], dtype=float),
            max_share=np.array([s.max_share.value for s in subs], dtype=float),
            treatment=np.array([s.treatment_cost.value for s in subs], dtype=float),
            capacity_annuity=np.array([0.0 if p is None else p.capex.value * capital_recovery_factor(
                discount_rate, p.lifetime.value) for p in plants], dtype=float),
            lifetime_years=np.array([0 if p is None else int(round(p.lifetime.value)) for p in plants],
                                    dtype=np.int64),
        )

    def __post_init__(self):
        # a table built by hand without plants (tests, small cases): no row needs one
        if len(self.capacity_annuity) != len(self.residue):
            object.__setattr__(self, "capacity_annuity", np.zeros(len(self.residue)))
            object.__setattr__(self, "lifetime_years", np.zeros(len(self.residue), dtype=np.int64))

    @property
    def needs_plant(self) -> np.ndarray:
        """Rows whose supplier must own pre-treatment capacity (S,)."""
        return self.lifetime_years > 0

    def __len__(self) -> int:
        return len(self.residue)


@dataclass(frozen=True)
class Transport:
    """Per-resource transport terms of exchanges (index ``r``); pipes carry an annualised capex per km."""

    fixed: np.ndarray            # EUR per unit
    per_km: np.ndarray           # EUR per unit per km
    max_km: np.ndarray
    co2_per_km: np.ndarray       # tCO2 per unit per km
    pipe_eur_per_km_yr: np.ndarray  # annualised pipe capex, EUR per km per year (0 for trucks)
    by_truck: np.ndarray         # bool: carried by road (what a tonne-km tax applies to)

    @classmethod
    def from_catalogue(cls, catalogue: Catalogue, discount_rate: float) -> Transport:
        n = len(catalogue.resource_ids)
        fixed, per_km, max_km, co2, pipe = (np.zeros(n) for _ in range(5))
        by_truck = np.zeros(n, dtype=bool)
        for r, rid in enumerate(catalogue.resource_ids):
            t = catalogue.resources[rid].transport
            if t is None:
                continue
            fixed[r], per_km[r], max_km[r] = t.fixed_cost.value, t.cost_per_km.value, t.max_distance.value
            co2[r] = t.co2_per_km.value
            by_truck[r] = t.mode == "truck"
            if t.mode == "pipe":
                pipe[r] = t.capex_per_m.value * 1000 * capital_recovery_factor(discount_rate, t.lifetime.value)
        return cls(fixed, per_km, max_km, co2, pipe, by_truck)


CERAMIC_SECTOR_GROUP = "ceramics"  # the sector_group of tile plants, spray-driers and frit makers


@dataclass(frozen=True)
class ArchetypeArrays:
    """The catalogue's archetypes as arrays (index = archetype): what the model computes with."""

    radius_km: np.ndarray          # radius of action
    employees: np.ndarray          # persons at activity 1
    site_area_m2: np.ndarray       # plot area needed
    margin_eur: np.ndarray         # turnover × operating margin, EUR/yr at activity 1
    reference_cost_eur: np.ndarray  # resource costs at catalogue prices, no exchange, no policy, EUR/yr
    pass_through: np.ndarray       # share of the price instruments' cost passed on to the output price
    ceramic: np.ndarray            # bool: of the ceramic sector group, whose cycle the ceramic indicators measure

    @classmethod
    def from_catalogue(cls, cat: Catalogue) -> ArchetypeArrays:
        arch = [cat.archetypes[a] for a in cat.archetype_ids]
        return cls(np.array([a.radius_of_action.value for a in arch]), np.array([a.employees.value for a in arch]),
                   np.array([a.plot_area.value for a in arch]),
                   np.array([a.turnover.value * a.operating_margin.value for a in arch]),
                   # the margin is observed at these costs: catalogue prices (each residue's cheapest
                   # outside route before tax), no exchanges, no policy
                   cat.outputs @ cat.outside_cost + cat.inputs @ cat.virgin_price,
                   np.array([a.cost_pass_through.value if a.cost_pass_through is not None else 0.0
                             for a in arch]),
                   np.array([a.sector_group == CERAMIC_SECTOR_GROUP for a in arch], dtype=bool))


@dataclass(frozen=True)
class World:
    """A scenario's inputs, read and checked: what :class:`~simulation.model.EcoDistrictModel` runs on.

    ``default_policy`` is the shipped defaults' policy, in force outside each instrument's window
    (ODD §7.1). ``plots`` is the layout with every plot free (the model works on its own copy);
    ``profiled_plots`` the plot of each profiled firm, in file order. ``source`` names the
    scenario file in messages and manifests (``"scenario"`` for a World built in memory).
    """

    scenario: Scenario
    catalogue: Catalogue
    plots: Plots
    subs: SubstitutionTable
    transport: Transport
    archetypes: ArchetypeArrays
    default_policy: Policy
    profiled: ProfiledFirms | None = None
    profiled_plots: np.ndarray = dataclasses.field(default_factory=lambda: np.zeros(0, dtype=np.int64))
    source: str = "scenario"

    def with_seed(self, seed: int | None) -> World:
        """The same World with the scenario's seed replaced (``None``: unchanged)."""
        return self if seed is None else dataclasses.replace(self, scenario=with_overrides(self.scenario, seed=seed))


def build_world(scenario: Scenario, catalogue: Catalogue, scenario_dir: Path | str = ".",
                source: str = "scenario") -> World:
    """Assemble and check a World; reads only the files the scenario names (GeoJSON plots, profiles).

    ``scenario_dir`` resolves those relative paths. Raises InputError when profiled firms' plot
    ids clash with the district's, or when the incumbents cannot all find a plot.
    """
    scenario_dir = Path(scenario_dir)
    profiled = load_profiled_firms(scenario.firms, catalogue, scenario_dir, source)
    if profiled is not None:
        catalogue = with_profiled_archetypes(catalogue, profiled)
    plots = build_plots(scenario.district, scenario_dir)
    profiled_plots = _add_profiled_plots(plots, profiled, scenario, source)
    _check_incumbents_fit(plots, profiled_plots, scenario, catalogue, source)
    return World(scenario, catalogue, plots,
                 SubstitutionTable.from_catalogue(catalogue, scenario.behaviour.discount_rate),
                 Transport.from_catalogue(catalogue, scenario.behaviour.discount_rate),
                 ArchetypeArrays.from_catalogue(catalogue), policy_in_force_by_default(), profiled,
                 profiled_plots, source)


def world_of(loaded: LoadedScenario, seed: int | None = None, years: int | None = None) -> World:
    """The World of a loaded scenario with the command line's ``--seed``/``--years`` applied."""
    scenario = with_overrides(loaded.scenario, seed=seed, years=years)
    return build_world(scenario, loaded.catalogue, loaded.path.parent, str(loaded.path))


def load_world(path: str | Path, seed: int | None = None, years: int | None = None, **settings: Any) -> World:
    """Read a scenario file into a World; ``settings`` set fields first, by dotted path or with
    ``__`` for the dots (``policy__landfill_tax__inert_eur_per_t=40``), and the result is checked
    as a scenario file is (every problem an InputError)."""
    loaded = load_scenario(path)
    if settings:
        dotted = {key.replace("__", "."): value for key, value in settings.items()}
        loaded = validate_scenario_data(set_fields(loaded.scenario.model_dump(mode="json"), dotted), loaded.path)
    return world_of(loaded, seed, years)


def set_fields(document: dict, settings: dict[str, Any]) -> dict:
    """A copy of a scenario document with each dotted path set to its value."""
    doc = copy.deepcopy(document)
    for path, value in settings.items():
        *parents, last = path.split(".")
        node = doc
        for key in parents:
            node = node[int(key)] if isinstance(node, list) else node[key]
        node[int(last) if isinstance(node, list) else last] = value
    return doc


def with_settings(base: LoadedScenario, settings: dict[str, Any], document: dict | None = None) -> LoadedScenario:
    """The scenario with ``settings`` (dotted paths) applied, its schema checked again, its catalogue reused.

    For sweeps, whose experiment checked each value with the full loader beforehand: a few
    milliseconds, against the ~80 ms of loading a catalogue. ``document`` is the base scenario
    dumped as JSON (``base.scenario.model_dump(mode="json")``), passed when it is already at hand.
    """
    doc = set_fields(base.scenario.model_dump(mode="json") if document is None else document, settings)
    try:
        scenario = Scenario.model_validate(doc)
    except ValidationError as exc:
        raise InputError(problems_from_validation_error(exc, str(base.path), model=Scenario)) from None
    return LoadedScenario(scenario, base.catalogue, base.path, doc)


def _add_profiled_plots(plots: Plots, profiled: ProfiledFirms | None, scenario: Scenario, source: str) -> np.ndarray:
    """Append one plot per profiled firm at its coordinates (ids ``profile:<firm>``); their indices.

    Their land price is the profile defaults' or, when not given, the mean price of the district's
    plots (an assumption documented in docs/ODD.md).
    """
    if profiled is None:
        return np.zeros(0, dtype=np.int64)
    p, defaults = profiled.profiles, scenario.firms.profile_defaults
    ids = [PROFILE_ARCHETYPE_PREFIX + name for name in p.firm]
    clash = sorted(set(ids) & set(plots.ids))
    if clash:
        raise InputError.single(source, "firms.profiles", f"plot ids {', '.join(clash)} exist already",
                                "rename those GeoJSON plots: 'profile:<firm>' names the profiled firms' plots")
    price = defaults.land_price_eur_per_m2
    if price is None:
        price = float(plots.land_price_eur_per_m2.mean()) if len(plots) else 0.0
    area = np.array([a.plot_area.value for a in profiled.archetypes])
    return plots.add(ids, p.x_km * 1000.0, p.y_km * 1000.0, area, price, defaults.zone)


def _check_incumbents_fit(plots: Plots, profiled_plots: np.ndarray, scenario: Scenario, catalogue: Catalogue,
                          source: str) -> None:
    """Raise InputError when the incumbents cannot all settle: each takes, in order, the cheapest
    free plot it fits on (profiled firms sit on their own plots), as the model settles them."""
    occupants = plots.occupants.copy()
    occupants[profiled_plots] += 1
    cost = plots.land_price_eur_per_m2 * plots.area_m2
    for i, incumbent in enumerate(scenario.firms.incumbents):
        need = catalogue.archetypes[incumbent.archetype].plot_area.value
        for _ in range(incumbent.count):
            fitting = np.flatnonzero((occupants < plots.capacity) & (plots.area_m2 >= need))
            if len(fitting) == 0:
                raise InputError.single(
                    source, f"firms.incumbents.{i}",
                    f"no free plot of at least {need:g} m2 is left for incumbent {incumbent.archetype!r}",
                    "add plots (district.blocks) or reduce the incumbents")
            occupants[fitting[np.argmin(cost[fitting])]] += 1
