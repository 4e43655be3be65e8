"""Schema of a scenario: what a user writes to describe one district, its firms and its behaviour.

:class:`Scenario` is the whole document after it has been merged over
``simulation/data/defaults.yaml`` (see :mod:`simulation.inputs.scenario`, which reads, merges and
cross-checks it); its ``policy`` section is :mod:`simulation.inputs.policy_schema`.

Numeric parameters accept a plain number or ``{value, unit, source}``; the unit, when given,
must match the unit in the parameter's name (``..._eur_per_t`` is EUR/t).
"""

from __future__ import annotations

from typing import Literal

from pydantic import Field, model_validator

from simulation.inputs.bounds import (
    MAX_ACTIVITY,
    MAX_APPLICANTS_PER_YEAR,
    MAX_BLOCKS,
    MAX_COORDINATE_M,
    MAX_ELASTICITY,
    MAX_EMPLOYEES,
    MAX_EUR,
    MAX_FIRMS,
    MAX_FLOW_PER_YEAR,
    MAX_LAND_PRICE_EUR_PER_M2,
    MAX_LENGTH_M,
    MAX_PLOTS,
    MAX_WEIGHT,
)
from simulation.inputs.localised import Localised, no_text
from simulation.inputs.policy_schema import Policy
from simulation.inputs.schema_base import (
    FolderName,
    Share,
    StrictModel,
    sourced_int,
    sourced_number,
    user_error,
    user_errors,
)

FIRST_YEAR, LAST_YEAR = 1900, 2300  # calendar years a scenario may simulate


class Years(StrictModel):
    """Simulated calendar years, both included: one model step per year."""

    start: int = Field(ge=FIRST_YEAR, le=LAST_YEAR)
    end: int = Field(ge=FIRST_YEAR, le=LAST_YEAR)

    @model_validator(mode="after")
    def _ordered(self) -> Years:
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
    origin_x_m: sourced_number("m", MAX_COORDINATE_M)
    origin_y_m: sourced_number("m", MAX_COORDINATE_M)
    rows: sourced_int("plots", ge=1, le=1000)
    cols: sourced_int("plots", ge=1, le=1000)
    plot_width_m: sourced_number("m", MAX_LENGTH_M, gt=0)
    plot_depth_m: sourced_number("m", MAX_LENGTH_M, gt=0)
    gap_m: sourced_number("m", MAX_LENGTH_M, ge=0)
    zone: str = Field("productive", min_length=1)
    land_price_eur_per_m2: sourced_number("EUR/m2", MAX_LAND_PRICE_EUR_PER_M2, ge=0)

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
    def _no_overlap(self) -> District:
        if not self.blocks and self.geojson is None:
            raise user_error("the district has no plots", "add at least one entry under district.blocks",
                             field="blocks")
        plots = sum(b.rows * b.cols for b in self.blocks)
        for count, bound in ((len(self.blocks), MAX_BLOCKS), (plots, MAX_PLOTS)):
            if (problem := bound.problem(count)) is not None:
                raise user_error(*problem, field="blocks")
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
    """One named applicant: arriving in ``year``, or, with ``when_opportunity_eur_per_yr``, in the
    first year from ``year`` on in which its opportunity (the EUR/yr of exchange surplus it would
    gain the district with the firms present, :mod:`simulation.policy.opportunity`) exceeds it."""

    archetype: str
    year: int
    when_opportunity_eur_per_yr: sourced_number("EUR/yr", MAX_EUR, ge=0) | None = Field(
        None, description="arrives only once its opportunity exceeds this; none: in year, whatever the district")


class Opportunity(StrictModel):
    """How the stream's archetype weights follow what the district offers (docs/ODD.md §7.2):
    ``mix_a × (1 + G_a / reference_eur_per_yr) ** elasticity``, ``G_a`` the EUR/yr an applicant of
    archetype ``a`` would gain the district with the firms present. No source measures the
    elasticity: a scenario's value is an assumption; 0 is the fixed mix."""

    elasticity: sourced_number("elasticity", MAX_ELASTICITY, ge=0)
    reference_eur_per_yr: sourced_number("EUR/yr", MAX_EUR, ge=1)


class Applicants(StrictModel):
    """Who applies to settle each year: a Poisson stream from an archetype mix (optionally weighted
    by each archetype's opportunity), and/or a queue."""

    rate_per_year: sourced_number("firms/yr", MAX_APPLICANTS_PER_YEAR, ge=0) = 0.0
    mix: dict[str, sourced_number("weight", MAX_WEIGHT, ge=0)] = Field(default_factory=dict)
    opportunity: Opportunity | None = Field(
        None, description="archetype weights that follow the district's open flows; none: the fixed mix")
    queue: list[QueuedApplicant] = Field(default_factory=list)

    @model_validator(mode="after")
    def _mix_needed(self) -> Applicants:
        if self.rate_per_year > 0 and (not self.mix or sum(self.mix.values()) <= 0):
            raise user_error("a positive rate_per_year needs a mix with positive weights",
                             "add firms.applicants.mix: {archetype_id: weight, ...}", field="mix")
        if self.opportunity is not None and self.rate_per_year <= 0:
            raise user_error("opportunity weights the stream's mix, but rate_per_year is 0 (no stream)",
                             "set a positive firms.applicants.rate_per_year, or remove firms.applicants.opportunity "
                             "(a queued applicant waits for its opportunity with when_opportunity_eur_per_yr)",
                             field="opportunity")
        return self

    @property
    def follows_opportunity(self) -> bool:
        """Whether the stream's weights respond to the district (a positive elasticity)."""
        return self.opportunity is not None and self.opportunity.elasticity > 0


class ProfileDefaults(StrictModel):
    """What a firm profile file (``firms.profiles``) does not say about its firms (an assumption).

    Each profiled firm borrows plot area and turnover (both scaled by its employees), radius of
    action and operating margin from a reference archetype: the one named here for its firm name
    or its sector, else the catalogue's archetype with the closest NACE code
    (:func:`simulation.inputs.firm_profiles.reference_archetype`). Its plot is created at its coordinates.
    """

    reference_archetypes: dict[str, str] = Field(
        default_factory=dict, description="firm name or NACE sector of the profile file -> archetype id")
    land_price_eur_per_m2: sourced_number("EUR/m2", MAX_LAND_PRICE_EUR_PER_M2, ge=0) | None = Field(
        None, description="land price of the profiled firms' plots; none: the mean of the district's other plots")
    zone: str = Field("profiled", min_length=1, description="zone label of the profiled firms' plots")


class Firms(StrictModel):
    incumbents: list[Incumbent] = Field(default_factory=list)
    applicants: Applicants = Field(default_factory=Applicants)
    profiles: str | None = Field(
        None, description="firm profile CSV (docs/ODD.md §6.5), relative to the scenario file: its firms are "
                          "incumbents, each with its own flows on a plot created at its coordinates")
    profile_defaults: ProfileDefaults = Field(default_factory=ProfileDefaults)

    @model_validator(mode="after")
    def _firms_bounded(self) -> Firms:
        for count, field in ((sum(i.count for i in self.incumbents), "incumbents"),
                             (len(self.applicants.queue), "applicants.queue")):
            if (problem := MAX_FIRMS.problem(count, "firms")) is not None:
                raise user_error(*problem, field=field)
        return self


class Activity(StrictModel):
    """Production dynamics: activity level multiplies an archetype's yearly flows."""

    initial_sd: sourced_number("log", ge=0, le=2)
    growth_mean: sourced_number("1/yr", ge=-0.5, le=0.5)
    growth_sd: sourced_number("1/yr", ge=0, le=1)
    shock_probability: sourced_number("1/yr", ge=0, le=1)
    shock_size: sourced_number("share", ge=0, lt=1)
    minimum: sourced_number("activity", MAX_ACTIVITY, gt=0)
    maximum: sourced_number("activity", MAX_ACTIVITY, gt=0)

    @model_validator(mode="after")
    def _bounds(self) -> Activity:
        if self.maximum < self.minimum:
            raise user_error("maximum is below minimum", "set maximum >= minimum", field="maximum")
        return self


class Negotiation(StrictModel):
    """Bilateral bargaining over the surplus of an exchange (docs/ODD.md §7.7)."""

    bargaining_power_supplier: Share
    transaction_cost_eur_per_yr: sourced_number("EUR/yr", MAX_EUR, ge=0)
    setup_cost_eur: sourced_number("EUR", MAX_EUR, ge=0)
    risk_premium_share: Share
    initial_trust: Share
    trust_gain: Share
    trust_loss: Share
    candidates_per_firm: sourced_int("partners", ge=1, le=100)


class Contracts(StrictModel):
    """Length of supply contracts, their yearly disruption risk and the smallest trucked exchange
    worth organising (t/yr, docs/ODD.md §7.7)."""

    duration_years: sourced_int("yr", ge=1, le=50)
    disruption_probability: sourced_number("1/yr", ge=0, le=1)
    min_viable_flow: sourced_number("t/yr", MAX_FLOW_PER_YEAR, ge=0)


class Discovery(StrictModel):
    """How firms come to know potential partners and how long a synergy takes to start (docs/ODD.md
    §7.5). ``enabled: false``: every partner the search finds is known and ready at once."""

    enabled: bool
    proximity_rate: sourced_number("1/yr", ge=0, le=1)
    word_of_mouth_rate: sourced_number("1/yr", ge=0, le=1)
    facilitator_rate: sourced_number("1/yr", ge=0, le=1)
    implementation_years_truck: sourced_int("yr", ge=0, le=20)
    implementation_years_pipe: sourced_int("yr", ge=0, le=20)
    never_implemented_share: Share


class SizeClassHazard(StrictModel):
    """One employee-size class of the yearly closure hazard (docs/ODD.md §7.12).

    The class holds the firms with at most ``max_employees`` employees (persons) and more than the
    previous class's bound; ``None`` leaves it open above, as the last class must be. ``rate`` is
    the probability (1/yr) that such a firm closes in a year for a cause other than its own lasting
    losses: bankruptcy of a parent, no successor, relocation. Size matters because closure rates
    fall steeply with size (a micro firm closes ~14 times as often as a large one in the CSO
    Ireland series).
    """

    max_employees: sourced_int("persons", ge=0, le=int(MAX_EMPLOYEES.limit)) | None
    rate: sourced_number("1/yr", ge=0, le=1)


class Exit(StrictModel):
    """When firms leave (docs/ODD.md §7.12): a closure hazard by size class, and lasting losses.

    ``hazard_by_size`` lists the classes from the smallest firms up, each ``max_employees`` above
    the previous one and the last open (``max_employees: null``), so that every firm falls in
    exactly one class. ``loss_years``: consecutive loss-making years (yr) after which a firm leaves.
    """

    hazard_by_size: list[SizeClassHazard] = Field(min_length=1)
    loss_years: sourced_int("yr", ge=1, le=50)

    @model_validator(mode="before")
    @classmethod
    def _no_flat_hazard(cls, data):
        if isinstance(data, dict) and "hazard_rate" in data:
            rate = data["hazard_rate"]
            rate = rate.get("value", rate) if isinstance(rate, dict) else rate
            raise user_error(
                "hazard_rate was replaced by hazard_by_size, a yearly closure rate per employee-size class",
                f"write 'hazard_by_size: [{{max_employees: null, rate: {rate}}}]' for one rate for every "
                "firm, or remove hazard_rate to use the shipped rates by size", field="hazard_rate")
        return data

    @model_validator(mode="after")
    def _classes_cover_every_size(self) -> Exit:
        problems = []
        bounds = [c.max_employees for c in self.hazard_by_size]
        for i, (previous, bound) in enumerate(zip(bounds, bounds[1:]), start=1):
            if previous is None:
                problems.append((f"hazard_by_size.{i - 1}.max_employees",
                                 "only the last class may be open-ended (max_employees: null)",
                                 "give this class its upper bound in employees, or move it to the end"))
            elif bound is not None and bound <= previous:
                problems.append((f"hazard_by_size.{i}.max_employees",
                                 f"{bound} employees is not above the previous class's bound ({previous})",
                                 "list the classes from the smallest firms up, each max_employees above "
                                 "the previous one"))
        if bounds[-1] is not None:
            problems.append((f"hazard_by_size.{len(bounds) - 1}.max_employees",
                             f"the last class ends at {bounds[-1]} employees, so larger firms have no rate",
                             "end the list with an open class, {max_employees: null, rate: ...}"))
        if problems:
            raise user_errors(problems)
        return self


class Services(StrictModel):
    """Shared services (docs/ODD.md §2.10): whether firms form them, and how members split the cost.

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
    discovery: Discovery
    exit: Exit
    services: Services
    discount_rate: sourced_number("1/yr", ge=0, le=1)


class Scenario(StrictModel):
    """A whole scenario, after merging over the defaults.

    ``name`` is the id (output folders, manifests, the reports' appendix); ``title`` and
    ``description`` are what a reader sees, in each report language (:mod:`simulation.inputs.localised`).
    A scenario without a title is shown by its name.
    """

    name: FolderName
    title: Localised | None = None
    description: Localised = Field(default_factory=no_text)
    seed: int = Field(ge=0)
    years: Years
    catalogue: CatalogueRef = Field(default_factory=CatalogueRef)
    district: District
    firms: Firms
    behaviour: Behaviour
    policy: Policy
