"""The scenario file: what a user writes to describe one district, its firms and its policy.

A scenario YAML is merged over ``simulation/data/defaults.yaml`` (which gives every behaviour and
policy parameter a sourced default), then validated in one pass so that ``ecodistrict validate``
reports every problem at once. Cross-references (archetype ids, resource ids) are checked
against the catalogue the scenario names; plots are checked for overlap.

Numeric parameters accept a plain number or ``{value, unit, source}``; the unit, when given,
must match the unit in the parameter's name (``..._eur_per_t`` is EUR/t).

A scenario may name another under ``base`` (a path relative to its file): the base, itself merged
over its own base if it names one, lies between the defaults and the scenario, so a policy variant
lists only the lever it changes and does not copy the baseline's district and firms.
"""

from __future__ import annotations

import copy
import os
from pathlib import Path
from typing import Any, Literal

from pydantic import Field, ValidationError, model_validator

from simulation.inputs.catalogue import Catalogue, load_catalogue, shipped_path, suggest
from simulation.inputs.errors import InputError, Problem
from simulation.inputs.schema_base import (StrictModel, problems_from_validation_error, sourced_int,
                                    sourced_number, user_error)
from simulation.inputs.strict_yaml import load_yaml

DEFAULTS_FILE = "defaults.yaml"
FIRST_YEAR, LAST_YEAR = 1900, 2300  # calendar years a scenario may simulate

Share = sourced_number("share", ge=0, le=1)
EurPerT = sourced_number("EUR/t", ge=0)


class Years(StrictModel):
    """Simulated calendar years, both included: one model step per year."""

    start: int = Field(ge=FIRST_YEAR, le=LAST_YEAR)
    end: int = Field(ge=FIRST_YEAR, le=LAST_YEAR)

    @model_validator(mode="after")
    def _ordered(self) -> "Years":
        if self.end < self.start:
            raise user_error(f"end ({self.end}) is before start ({self.start})",
                             "swap them, or set end >= start", field="end")
        return self

    @property
    def count(self) -> int:
        return self.end - self.start + 1


class CatalogueRef(StrictModel):
    """Which catalogue files to use; paths are relative to the scenario file; omitted = shipped.

    ``services`` omitted: the shipped service kinds when ``resources`` is the shipped catalogue
    too, none otherwise (the shipped kinds name shipped resource ids).
    """

    resources: str | None = None
    archetypes: str | None = None
    services: str | None = None


class GridBlock(StrictModel):
    """A rectangular block of equal plots: ``rows`` × ``cols`` plots of ``plot_width_m`` × ``plot_depth_m``."""

    name: str = Field(min_length=1)
    origin_x_m: sourced_number("m")
    origin_y_m: sourced_number("m")
    rows: sourced_int("plots", ge=1, le=1000)
    cols: sourced_int("plots", ge=1, le=1000)
    plot_width_m: sourced_number("m", gt=0)
    plot_depth_m: sourced_number("m", gt=0)
    gap_m: sourced_number("m", ge=0)
    zone: str = Field("productive", min_length=1)
    land_price_eur_per_m2: sourced_number("EUR/m2", ge=0)

    @property
    def extent(self) -> tuple[float, float, float, float]:
        """Bounding box (x0, y0, x1, y1) in metres."""
        width = self.cols * self.plot_width_m + (self.cols - 1) * self.gap_m
        depth = self.rows * self.plot_depth_m + (self.rows - 1) * self.gap_m
        return (self.origin_x_m, self.origin_y_m, self.origin_x_m + width, self.origin_y_m + depth)


class District(StrictModel):
    """The productive area: grid blocks of plots and/or GeoJSON polygons (projected metres)."""

    blocks: list[GridBlock] = Field(default_factory=list)
    geojson: str | None = Field(None, description="FeatureCollection of Polygon plots, coordinates in m")
    firms_per_plot: sourced_int("firms", ge=1, le=1000) = 1

    @model_validator(mode="after")
    def _no_overlap(self) -> "District":
        if not self.blocks and self.geojson is None:
            raise user_error("the district has no plots", "add at least one entry under district.blocks",
                             field="blocks")
        names = [b.name for b in self.blocks]
        duplicates = sorted({n for n in names if names.count(n) > 1})
        if duplicates:
            raise user_error(f"block names repeat: {', '.join(duplicates)}", "give each block its own name",
                             field=f"blocks.{names.index(duplicates[0], names.index(duplicates[0]) + 1)}.name")
        for i, a in enumerate(self.blocks):
            for j, b in enumerate(self.blocks[i + 1:], start=i + 1):
                ax0, ay0, ax1, ay1 = a.extent
                bx0, by0, bx1, by1 = b.extent
                if ax0 < bx1 and bx0 < ax1 and ay0 < by1 and by0 < ay1:
                    raise user_error(f"plots of block {b.name!r} overlap plots of block {a.name!r}",
                                     "move one block's origin so that the blocks do not overlap",
                                     field=f"blocks.{j}")
        return self


class Incumbent(StrictModel):
    """Firms present when the simulation starts."""

    archetype: str
    count: sourced_int("firms", ge=1, le=1_000_000)


class QueuedApplicant(StrictModel):
    """One named applicant arriving in a given year."""

    archetype: str
    year: int


class Applicants(StrictModel):
    """Who applies to settle each year: a Poisson stream from an archetype mix, and/or a queue."""

    rate_per_year: sourced_number("firms/yr", ge=0) = 0.0
    mix: dict[str, sourced_number("weight", ge=0)] = Field(default_factory=dict)
    queue: list[QueuedApplicant] = Field(default_factory=list)

    @model_validator(mode="after")
    def _mix_needed(self) -> "Applicants":
        if self.rate_per_year > 0 and (not self.mix or sum(self.mix.values()) <= 0):
            raise user_error("a positive rate_per_year needs a mix with positive weights",
                             "add firms.applicants.mix: {archetype_id: weight, ...}", field="mix")
        return self


class ProfileDefaults(StrictModel):
    """What a firm profile file (``firms.profiles``) does not say about its firms (an assumption).

    Each profiled firm borrows plot area and turnover (both scaled by its employees), radius of
    action and operating margin from a reference archetype: the one named here for its firm name
    or its sector, else the catalogue's archetype with the closest NACE code
    (:func:`simulation.inputs.firm_profiles.reference_archetype`). Its plot is created at its coordinates.
    """

    reference_archetypes: dict[str, str] = Field(
        default_factory=dict, description="firm name or NACE sector of the profile file -> archetype id")
    land_price_eur_per_m2: sourced_number("EUR/m2", ge=0) | None = Field(
        None, description="land price of the profiled firms' plots; none: the mean of the district's other plots")
    zone: str = Field("profiled", min_length=1, description="zone label of the profiled firms' plots")


class Firms(StrictModel):
    incumbents: list[Incumbent] = Field(default_factory=list)
    applicants: Applicants = Field(default_factory=Applicants)
    profiles: str | None = Field(
        None, description="firm profile CSV (DESIGN §2), relative to the scenario file: its firms are "
                          "incumbents, each with its own flows on a plot created at its coordinates")
    profile_defaults: ProfileDefaults = Field(default_factory=ProfileDefaults)


class Activity(StrictModel):
    """Production dynamics: activity level multiplies an archetype's yearly flows."""

    initial_sd: sourced_number("log", ge=0, le=2)
    growth_mean: sourced_number("1/yr", ge=-0.5, le=0.5)
    growth_sd: sourced_number("1/yr", ge=0, le=1)
    shock_probability: sourced_number("1/yr", ge=0, le=1)
    shock_size: sourced_number("share", ge=0, lt=1)
    minimum: sourced_number("activity", gt=0)
    maximum: sourced_number("activity", gt=0)

    @model_validator(mode="after")
    def _bounds(self) -> "Activity":
        if self.maximum < self.minimum:
            raise user_error("maximum is below minimum", "set maximum >= minimum", field="maximum")
        return self


class Negotiation(StrictModel):
    """Bilateral bargaining over the surplus of an exchange (DESIGN §1 step 5)."""

    bargaining_power_supplier: Share
    transaction_cost_eur_per_yr: sourced_number("EUR/yr", ge=0)
    setup_cost_eur: sourced_number("EUR", ge=0)
    risk_premium_share: Share
    initial_trust: Share
    trust_gain: Share
    trust_loss: Share
    candidates_per_firm: sourced_int("partners", ge=1, le=100)


class Contracts(StrictModel):
    duration_years: sourced_int("yr", ge=1, le=50)
    disruption_probability: sourced_number("1/yr", ge=0, le=1)


class Exit(StrictModel):
    hazard_rate: sourced_number("1/yr", ge=0, le=1)
    loss_years: sourced_int("yr", ge=1, le=50)


class Services(StrictModel):
    """Shared services (DESIGN §1 step 6): whether firms form them, and how members split the cost.

    ``cost_share_rule``: ``proportional`` to each member's use, ``equal`` per member, or
    ``shapley`` (the Shapley value of the members' savings game: exact up to
    ``shapley_exact_max_members`` members, estimated from ``shapley_permutations`` random orders above).
    """

    enabled: bool
    cost_share_rule: Literal["proportional", "equal", "shapley"]
    shapley_exact_max_members: sourced_int("firms", ge=1, le=14)
    shapley_permutations: sourced_int("permutations", ge=1, le=100_000)


class Behaviour(StrictModel):
    activity: Activity
    negotiation: Negotiation
    contracts: Contracts
    exit: Exit
    services: Services
    discount_rate: sourced_number("1/yr", ge=0, le=1)


class Window(StrictModel):
    """A rule or instrument in force from ``start_year`` to ``end_year`` (both included; open if absent)."""

    start_year: int | None = None
    end_year: int | None = None

    @model_validator(mode="after")
    def _window_ordered(self) -> "Window":
        if self.start_year is not None and self.end_year is not None and self.end_year < self.start_year:
            raise user_error(f"end_year ({self.end_year}) is before start_year ({self.start_year})",
                             "swap them or remove one", field="end_year")
        return self

    def active(self, year: int) -> bool:
        return ((self.start_year is None or year >= self.start_year)
                and (self.end_year is None or year <= self.end_year))


Score = sourced_number("score", ge=0, le=1)


class Profiling(StrictModel):
    """Weights of the three families in an applicant's circularity-potential score
    (:mod:`simulation.policy.profiling`): circular performance, territorial integration, symbiosis potential."""

    weight_circular: sourced_number("weight", ge=0)
    weight_territorial: sourced_number("weight", ge=0)
    weight_symbiosis: sourced_number("weight", ge=0)
    partners_half: sourced_number("partners", gt=0, le=10_000)

    @model_validator(mode="after")
    def _some_weight(self) -> "Profiling":
        if self.weight_circular + self.weight_territorial + self.weight_symbiosis <= 0:
            raise user_error("all three family weights are 0", "give at least one weight > 0",
                             field="weight_circular")
        return self


AdmissionRule = Literal["open", "threshold", "ranking", "complementarity"]


class Admission(Window):
    """Who may settle (PUG/APEA conditionality). The year's applicants are screened as a batch:
    ``open`` first come, first served; ``threshold`` score >= ``min_score``; ``ranking`` the best
    ``quota_per_year`` by score; ``complementarity`` by symbiosis potential, with a floor
    ``min_symbiosis`` (and a quota when ``quota_per_year`` is set). Sector quotas and exclusions
    (by ``sector_group``) apply under every rule. Outside its window the rule falls back to
    ``open`` with no sector limits."""

    rule: AdmissionRule
    min_score: Score
    quota_per_year: sourced_int("firms/yr", ge=0, le=1_000_000) | None = None
    min_symbiosis: Score
    sector_max_share: dict[str, Share] = Field(default_factory=dict)
    excluded_sectors: list[str] = Field(default_factory=list)

    @model_validator(mode="after")
    def _quota_for_ranking(self) -> "Admission":
        if self.rule == "ranking" and self.quota_per_year is None:
            raise user_error("rule 'ranking' needs quota_per_year",
                             "add policy.admission.quota_per_year: <firms admitted per year>",
                             field="quota_per_year")
        return self


class Allocation(Window):
    """How an admitted firm gets its plot. ``free_choice``: the firm maximises
    ``-(land cost after discount) - proximity_eur_per_km x distance to its nearest likely partner``;
    ``authority``: among plots costing at most ``(1 + max_cost_premium)`` x the cheapest fitting one,
    the plot nearest (mean distance) to the firm's likely partners. Firms scoring at least
    ``discount_min_score`` get ``discount_share`` off the land price. Outside its window: free
    choice on land cost alone, no discount."""

    rule: Literal["free_choice", "authority"]
    proximity_eur_per_km: sourced_number("EUR/km", ge=0)
    max_cost_premium: sourced_number("share", ge=0, le=100)
    discount_share: Share
    discount_min_score: Score


class Commitments(Window):
    """Commitments an applicant admitted inside the window is bound to (operating agreement):
    publish its flows on the platform, reach ``min_secondary_share`` of its material inputs from
    exchanges ``secondary_share_years`` after entry, join the named shared services."""

    publish_flows: bool
    min_secondary_share: Share
    secondary_share_years: sourced_int("yr", ge=0, le=100)
    join_services: list[str] = Field(default_factory=list)


class Enforcement(Window):
    """Monitoring of commitments: every ``interval_years`` each bound firm is checked with
    ``monitoring_probability``; a violation costs ``fine_eur``; after
    ``exclusion_after_violations`` violations (if set) the firm is excluded from the district."""

    interval_years: sourced_int("yr", ge=1, le=100)
    monitoring_probability: Share
    fine_eur: sourced_number("EUR", ge=0)
    exclusion_after_violations: sourced_int("violations", ge=1, le=1000) | None = None


class LandfillTax(Window):
    """Regional landfill tax per tonne by class (E-R LR 31/1996 art. 13); sludges pay a fraction."""

    inert_eur_per_t: EurPerT
    nonhazardous_eur_per_t: EurPerT
    hazardous_eur_per_t: EurPerT
    sludge_factor: Share


class VirginLevy(Window):
    """A levy on virgin material inputs, EUR per tonne bought (material family only): on the
    inputs listed in ``resources`` (e.g. quarried minerals), or on every material input if empty."""

    eur_per_t: EurPerT
    resources: list[str] = Field(default_factory=list)


class ExchangeSubsidy(Window):
    """A public payment per tonne of material residue exchanged."""

    eur_per_t: EurPerT


class CapexSubsidy(Window):
    """Public share of exchange infrastructure: of the pipe capex (annualised in a contract's fixed
    yearly cost) and of the pre-treatment cost per unit exchanged."""

    pipe_share: Share
    treatment_share: Share


class FacilitatorPolicy(Window):
    """The matchmaking platform / park manager: district-wide visibility, cheaper transactions."""

    enabled: bool
    transaction_cost_reduction: Share
    candidates_per_firm: sourced_int("partners", ge=1, le=100)
    reach_km: sourced_number("km", gt=0) | None = Field(
        None, description="farthest partner the platform lists (published flows too); none: transport reach")


class ParkManager(Window):
    """A park manager (*soggetto gestore*) runs the shared services: it takes over each service's
    coordination cost, and its own yearly cost is public money."""

    enabled: bool
    cost_eur_per_yr: sourced_number("EUR/yr", ge=0)


class ServiceCofunding(Window):
    """Public co-funding of the capex of shared services founded while it is in force."""

    capex_share: Share


class Policy(StrictModel):
    profiling: Profiling
    admission: Admission
    allocation: Allocation
    commitments: Commitments
    enforcement: Enforcement
    landfill_tax: LandfillTax
    virgin_levy: VirginLevy
    exchange_subsidy: ExchangeSubsidy
    capex_subsidy: CapexSubsidy
    facilitator: FacilitatorPolicy
    park_manager: ParkManager
    service_cofunding: ServiceCofunding


class Scenario(StrictModel):
    """A whole scenario, after merging over the defaults."""

    name: str = Field(min_length=1, pattern=r"^[A-Za-z0-9_.-]+$")
    description: str = ""
    seed: int = Field(ge=0)
    years: Years
    catalogue: CatalogueRef = Field(default_factory=CatalogueRef)
    district: District
    firms: Firms
    behaviour: Behaviour
    policy: Policy


def deep_merge(base: Any, override: Any) -> Any:
    """``override`` over ``base``: mappings merge key by key, anything else is replaced."""
    if isinstance(base, dict) and isinstance(override, dict):
        merged = copy.deepcopy(base)
        for key, value in override.items():
            merged[key] = deep_merge(base[key], value) if key in base else copy.deepcopy(value)
        return merged
    return copy.deepcopy(override)


def _reference_problems(firms: Firms, catalogue: Catalogue, file: str) -> list[Problem]:
    """Archetype ids used by the scenario must exist in its catalogue."""
    known = catalogue.archetypes
    used: list[tuple[str, str]] = [(f"firms.incumbents.{i}.archetype", inc.archetype)
                                   for i, inc in enumerate(firms.incumbents)]
    used += [(f"firms.applicants.mix.{aid}", aid) for aid in firms.applicants.mix]
    used += [(f"firms.applicants.queue.{i}.archetype", q.archetype)
             for i, q in enumerate(firms.applicants.queue)]
    used += [(f"firms.profile_defaults.reference_archetypes.{key}", aid)
             for key, aid in firms.profile_defaults.reference_archetypes.items()]
    return [Problem(file, field, f"unknown archetype {aid!r}",
                    "use an archetype id of the catalogue" + suggest(aid, known))
            for field, aid in used if aid not in known]


def _policy_reference_problems(policy: Policy, catalogue: Catalogue, file: str) -> list[Problem]:
    """Sector groups named by the admission rule must be sector groups of the catalogue's archetypes;
    levied resources must be material inputs; services named by the commitments must be service
    kinds of the catalogue."""
    groups = sorted({a.sector_group for a in catalogue.archetypes.values()})
    named = [(f"policy.admission.sector_max_share.{g}", g) for g in policy.admission.sector_max_share]
    named += [(f"policy.admission.excluded_sectors.{i}", g) for i, g in enumerate(policy.admission.excluded_sectors)]
    problems = [Problem(file, field, f"unknown sector group {g!r}",
                        f"use a sector_group of the archetypes ({', '.join(groups)})" + suggest(g, groups))
                for field, g in named if g not in groups]
    inputs = [r for r in catalogue.resource_ids
              if catalogue.resources[r].family == "material" and catalogue.resources[r].virgin_price is not None]
    for i, rid in enumerate(policy.virgin_levy.resources):
        if rid not in inputs:
            problems.append(Problem(file, f"policy.virgin_levy.resources.{i}", f"{rid!r} is not a material input",
                                    "name a resource of the catalogue with family material and a virgin_price"
                                    + suggest(rid, inputs)))
    kinds = sorted(getattr(catalogue, "services", {}) or {})
    for i, kind in enumerate(policy.commitments.join_services):
        if kind not in kinds:
            known = f"use a service kind of the catalogue ({', '.join(kinds)})" if kinds else \
                "this catalogue has no shared services: remove the name or give catalogue.services"
            problems.append(Problem(file, f"policy.commitments.join_services.{i}", f"unknown service {kind!r}",
                                    known + suggest(kind, kinds)))
    return problems


NAMED_FILES = (("catalogue", "resources"), ("catalogue", "archetypes"), ("catalogue", "services"),
               ("district", "geojson"), ("firms", "profiles"))


def _is(test, path: Path) -> bool:
    """``path.is_file()``/``is_dir()`` answering False, not raising, for names the OS refuses (too long)."""
    try:
        return test(path)
    except (OSError, ValueError):
        return False


def _missing_file_problems(merged: dict, path: Path, file: str) -> list[Problem]:
    """Files the scenario names (catalogue, GeoJSON plots) must exist, relative to its folder.

    Checked here, before anything opens them, so that the problem points at the scenario's field
    the user typed rather than at a resolved path the user never wrote.
    """
    problems = []
    for section, key in NAMED_FILES:
        value = merged.get(section, {}).get(key) if isinstance(merged.get(section), dict) else None
        if isinstance(value, str) and not _is(Path.is_file, path.parent / value):
            found = "is a folder, not a file" if _is(Path.is_dir, path.parent / value) else "not found"
            problems.append(Problem(file, f"{section}.{key}", f"file {value!r} {found}",
                                    f"give a path relative to the scenario's folder ({path.parent})"))
    return problems


BASE_KEY = "base"


def with_base(raw: dict, path: Path, chain: tuple[Path, ...] = ()) -> dict:
    """``raw`` merged over the scenario its ``base`` key names (recursively); ``raw`` if it names none.

    The base's own file paths (catalogue, GeoJSON) are rewritten to stay relative to the base's
    folder. A missing or unreadable base, a base that leads back to a file already in the chain,
    and a variant without its own ``name`` (its runs would pass for the base's) are input errors.
    """
    if BASE_KEY not in raw:
        return raw
    file, value = str(path), raw[BASE_KEY]
    fix = f"give a path relative to the scenario's folder ({path.parent}), e.g. 'base: formigine_baseline.yaml'"
    if not isinstance(value, str) or not value.strip():
        raise InputError.single(file, BASE_KEY, "expected the path of a scenario file", fix)
    base_path = path.parent / value
    if not _is(Path.is_file, base_path):
        found = "is a folder, not a file" if _is(Path.is_dir, base_path) else "not found"
        raise InputError.single(file, BASE_KEY, f"file {value!r} {found}", fix)
    if "name" not in raw:
        raise InputError.single(file, "name", "a scenario with a base needs a name of its own",
                                "add 'name: <new name>' so that its runs are not taken for the base's")
    chain = (*chain, path.resolve())
    if base_path.resolve() in chain:
        cycle = " -> ".join(p.name for p in (*chain, base_path.resolve()))
        raise InputError.single(file, BASE_KEY, f"the bases form a cycle: {cycle}",
                                "remove the base key from one of these files")
    base = load_yaml(base_path)
    if not isinstance(base, dict):
        raise InputError.single(base_path, "", "a scenario must be a mapping of keys (name, seed, years, ...)",
                                "start from scenarios/formigine_baseline.yaml")
    base = _relative_to(with_base(base, base_path, chain), base_path.parent, path.parent)
    return deep_merge(base, {k: v for k, v in raw.items() if k != BASE_KEY})


def _relative_to(doc: dict, old_dir: Path, new_dir: Path) -> dict:
    """``doc`` with the relative file paths it names (``NAMED_FILES``) re-expressed from ``new_dir``."""
    doc = copy.deepcopy(doc)
    for section, key in NAMED_FILES:
        value = doc.get(section, {}).get(key) if isinstance(doc.get(section), dict) else None
        if isinstance(value, str) and not Path(value).is_absolute():
            doc[section][key] = os.path.relpath(old_dir / value, new_dir)
    return doc


def resolve_catalogue_paths(ref: CatalogueRef, scenario_path: Path) -> tuple[Path | None, Path | None]:
    base = scenario_path.parent
    return tuple(base / p if p is not None else None for p in (ref.resources, ref.archetypes))


class LoadedScenario:
    """A validated scenario with its catalogue and where it came from."""

    def __init__(self, scenario: Scenario, catalogue: Catalogue, path: Path, raw: dict):
        self.scenario = scenario
        self.catalogue = catalogue
        self.path = path
        self.raw = raw


def validate_scenario_data(raw: Any, path: Path) -> LoadedScenario:
    """Validate an already-parsed scenario document; raise InputError with every problem."""
    file = str(path)
    if not isinstance(raw, dict):
        raise InputError.single(file, "", "a scenario must be a mapping of keys (name, seed, years, ...)",
                                "start from scenarios/formigine_baseline.yaml")
    defaults = load_yaml(shipped_path(DEFAULTS_FILE))
    merged = deep_merge(defaults, with_base(raw, path))
    problems: list[Problem] = []
    scenario = None
    try:
        scenario = Scenario.model_validate(merged)
    except ValidationError as exc:
        problems.extend(problems_from_validation_error(exc, file, model=Scenario))
    missing = _missing_file_problems(merged, path, file)
    problems.extend(missing)
    catalogue = None
    catalogue_ref = scenario.catalogue if scenario else _catalogue_ref_or_none(merged)
    if catalogue_ref is not None and not any(p.field.startswith("catalogue.") for p in missing):
        rpath, apath = resolve_catalogue_paths(catalogue_ref, path)
        try:
            spath = path.parent / catalogue_ref.services if catalogue_ref.services is not None else None
            catalogue = load_catalogue(rpath, apath, spath)
        except InputError as exc:
            problems.extend(exc.problems)
    firms = scenario.firms if scenario else _firms_or_none(merged)
    if firms is not None and catalogue is not None:
        problems.extend(_reference_problems(firms, catalogue, file))
        if firms.profiles is not None and not any(p.field == "firms.profiles" for p in missing):
            from simulation.inputs.firm_profiles import load_profiled_firms
            try:
                load_profiled_firms(firms, catalogue, path.parent, file)
            except InputError as exc:
                problems.extend(exc.problems)
    if scenario is not None and catalogue is not None:
        problems.extend(_policy_reference_problems(scenario.policy, catalogue, file))
    if problems:
        raise InputError(problems)
    return LoadedScenario(scenario, catalogue, path, raw)


def _firms_or_none(merged: dict) -> Firms | None:
    """The firms section alone, so that unknown archetypes are reported with other problems."""
    try:
        return Firms.model_validate(merged.get("firms") or {})
    except ValidationError:
        return None


def _catalogue_ref_or_none(merged: dict) -> CatalogueRef | None:
    try:
        return CatalogueRef.model_validate(merged.get("catalogue") or {})
    except ValidationError:
        return None


def load_scenario(path: str | Path) -> LoadedScenario:
    """Read, merge over defaults and validate a scenario file. Raises InputError."""
    path = Path(path)
    return validate_scenario_data(load_yaml(path), path)


def with_overrides(scenario: Scenario, *, seed: int | None = None, years: int | None = None) -> Scenario:
    """The scenario with the CLI's ``--seed``/``--years`` applied."""
    update: dict[str, Any] = {}
    if seed is not None:
        update["seed"] = seed
    if years is not None:
        start = scenario.years.start
        if start + years - 1 > LAST_YEAR:
            # The CLI's bound depends on the scenario's start year, so it is checked here, not by argparse.
            raise InputError.single("command line", "--years",
                                    f"{years} years from {start} would end after {LAST_YEAR}",
                                    f"give --years {LAST_YEAR - start + 1} or fewer")
        update["years"] = Years(start=start, end=start + years - 1)
    return scenario.model_copy(update=update)
