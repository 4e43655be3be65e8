"""The resource catalogue and the firm archetypes: what a territory is made of, as data.

Two YAML files describe a territory:

* a **resource catalogue** (``resources`` and ``substitutions``): every resource a firm can buy or
  emit, its family and unit, price as a virgin input, disposal cost, CO2 factors and transport;
  and which residue can replace which input, at what ratio, up to what share of demand;
* an **archetype file** (``archetypes``): typical firms (sector, employees, plot area, radius of
  action, economics, yearly inputs and residues at activity level 1);
* a **service file** (``services``): the kinds of shared service firms can found, join and leave
  (utilities and accessory services), each with the stand-alone cost it replaces and its cost
  function ``C(Q) = F + v·Q^b`` (:class:`ServiceKind`).

Every number is a :class:`~simulation.inputs.schema_base.Sourced` figure (value, unit, source). The
schemas check units against the resource's unit, so a price in EUR/kg for a resource counted in
tonnes is an error, not a silent factor-of-1000 mistake. :class:`Catalogue` is the validated,
array-shaped form the model computes with.
"""

from __future__ import annotations

import difflib
from dataclasses import dataclass, field
from importlib import resources as importlib_resources
from pathlib import Path
from typing import Literal

import numpy as np
from pydantic import Field, ValidationError, model_validator

from simulation.inputs.errors import InputError, Problem
from simulation.inputs.schema_base import (Sourced, StrictModel, problems_from_validation_error, user_error,
                                    user_errors)
from simulation.inputs.strict_yaml import load_yaml

Family = Literal["material", "energy", "water"]
UNIT_OF_FAMILY: dict[str, str] = {"material": "t", "energy": "MWh", "water": "m3"}
TaxClass = Literal["inert", "nonhazardous", "hazardous", "none"]
SHIPPED_RESOURCES = "resources.yaml"
SHIPPED_ARCHETYPES = "archetypes.yaml"
SHIPPED_SERVICES = "services.yaml"


def shipped_path(name: str) -> Path:
    """Path of a data file shipped inside the package (``simulation/data``)."""
    return Path(str(importlib_resources.files("simulation") / "data" / name))


def _unit_problem(figure: Sourced | None, expected: str) -> tuple[str, str] | None:
    """``(message, fix)`` when ``figure`` is not in ``expected``, else ``None``."""
    if figure is not None and figure.unit != expected:
        return f"unit is {figure.unit!r} but must be {expected!r}", f"convert the value to {expected}"
    return None


def _check_unit(figure: Sourced | None, expected: str, what: str) -> None:
    """Raise a user error at field ``what`` (dotted, below the model) when the unit is wrong."""
    problem = _unit_problem(figure, expected)
    if problem is not None:
        raise user_error(*problem, field=what)


def _check_non_negative(figure: Sourced | None, what: str) -> None:
    if figure is not None and figure.value < 0:
        raise user_error(f"negative value ({figure.value:g})", "give a value >= 0", field=what)


class Disposal(StrictModel):
    """How a residue leaves the firm when nobody takes it (landfill, sewer, venting)."""

    gate_fee: Sourced = Field(description="gate fee of the receiving plant, EUR per unit")
    landfill_tax_class: TaxClass = Field(
        description="which landfill-tax rate of the scenario's policy applies (none: no tax)")
    sludge: bool = Field(False, description="sludges pay only the policy's sludge_factor of the tax")
    co2: Sourced = Field(description="emissions of disposal, tCO2 per unit")


class Transport(StrictModel):
    """How an exchanged residue travels: truck (cost per unit·km) or pipe (capex per metre)."""

    mode: Literal["truck", "pipe"]
    cost_per_km: Sourced = Field(description="variable transport cost, EUR per unit per km")
    fixed_cost: Sourced = Field(description="loading/handling cost, EUR per unit")
    max_distance: Sourced = Field(description="farthest viable exchange, km")
    co2_per_km: Sourced = Field(description="transport emissions, tCO2 per unit per km")
    capex_per_m: Sourced | None = Field(None, description="pipe only: construction cost, EUR per m")
    lifetime: Sourced | None = Field(None, description="pipe only: years over which capex is annualised")


class Resource(StrictModel):
    """One resource: a virgin input a firm buys, a residue a firm emits, or both."""

    name: str = Field(min_length=1)
    family: Family
    unit: Literal["t", "MWh", "m3"]
    ewc: str | None = Field(None, description="European Waste Catalogue code, for residues")
    virgin_price: Sourced | None = Field(None, description="price as a virgin input, EUR per unit")
    co2_virgin: Sourced | None = Field(None, description="emissions of one unit bought virgin, tCO2 per unit")
    disposal: Disposal | None = None
    transport: Transport | None = None

    @model_validator(mode="after")
    def _consistent(self) -> "Resource":
        u = self.unit
        if UNIT_OF_FAMILY[self.family] != u:
            raise user_error(f"family {self.family} is counted in {UNIT_OF_FAMILY[self.family]}, not {u}",
                             f"set unit: {UNIT_OF_FAMILY[self.family]}", field="unit")
        if self.family != "material" and self.disposal is not None and self.disposal.landfill_tax_class != "none":
            raise user_error(f"the landfill tax is per tonne; a {self.family} residue cannot have a tax class",
                             "set disposal.landfill_tax_class: none", field="disposal.landfill_tax_class")
        if (self.virgin_price is None) != (self.co2_virgin is None):
            raise user_error("virgin_price and co2_virgin go together",
                             "give both (an input) or neither (a residue only)",
                             field="co2_virgin" if self.co2_virgin is None else "virgin_price")
        if (self.disposal is None) != (self.transport is None):
            raise user_error("disposal and transport go together",
                             "give both (a residue) or neither (an input only)",
                             field="transport" if self.transport is None else "disposal")
        if self.virgin_price is None and self.disposal is None:
            raise user_error("resource is neither an input nor a residue",
                             "add virgin_price/co2_virgin, or disposal/transport, or both")
        _check_unit(self.virgin_price, f"EUR/{u}", "virgin_price")
        _check_unit(self.co2_virgin, f"tCO2/{u}", "co2_virgin")
        for figure, what in ((self.virgin_price, "virgin_price"), (self.co2_virgin, "co2_virgin")):
            _check_non_negative(figure, what)
        if self.disposal is not None:
            _check_unit(self.disposal.gate_fee, f"EUR/{u}", "disposal.gate_fee")
            _check_unit(self.disposal.co2, f"tCO2/{u}", "disposal.co2")
            _check_non_negative(self.disposal.gate_fee, "disposal.gate_fee")
            _check_non_negative(self.disposal.co2, "disposal.co2")
        if self.transport is not None:
            t = self.transport
            _check_unit(t.cost_per_km, f"EUR/{u}/km", "transport.cost_per_km")
            _check_unit(t.fixed_cost, f"EUR/{u}", "transport.fixed_cost")
            _check_unit(t.max_distance, "km", "transport.max_distance")
            _check_unit(t.co2_per_km, f"tCO2/{u}/km", "transport.co2_per_km")
            for figure, what in ((t.cost_per_km, "cost_per_km"), (t.fixed_cost, "fixed_cost"),
                                 (t.max_distance, "max_distance"), (t.co2_per_km, "co2_per_km"),
                                 (t.capex_per_m, "capex_per_m")):
                _check_non_negative(figure, f"transport.{what}")
            if t.mode == "pipe":
                if t.capex_per_m is None or t.lifetime is None:
                    raise user_error("a pipe needs capex_per_m and lifetime",
                                     "add transport.capex_per_m (EUR/m) and transport.lifetime (yr)",
                                     field="transport")
                _check_unit(t.capex_per_m, "EUR/m", "transport.capex_per_m")
                _check_unit(t.lifetime, "yr", "transport.lifetime")
                if t.lifetime.value <= 0:
                    raise user_error("lifetime must be positive", "give a number of years > 0",
                                     field="transport.lifetime")
            elif t.capex_per_m is not None or t.lifetime is not None:
                raise user_error("capex_per_m and lifetime apply only to pipes",
                                 "remove them or set mode: pipe", field="transport")
        return self


class Substitution(StrictModel):
    """A residue that can replace a virgin input: ``ratio`` units of input per unit of residue."""

    residue: str
    input: str
    ratio: Sourced = Field(description="units of input replaced per unit of residue")
    max_share: Sourced = Field(description="largest share of the buyer's demand it may replace")
    treatment_cost: Sourced = Field(description="pre-treatment before use, EUR per unit of residue")
    route: Literal["byproduct", "waste"] = Field(
        description="legal route: by-product (art. 184-bis) or waste to an authorised receiver")

    @model_validator(mode="after")
    def _ranges(self) -> "Substitution":
        if self.ratio.value <= 0:
            raise user_error(f"ratio must be positive, got {self.ratio.value:g}", "give a ratio > 0",
                             field="ratio")
        if not 0 < self.max_share.value <= 1:
            raise user_error(f"max_share must be in (0, 1], got {self.max_share.value:g}",
                             "give a share between 0 and 1, e.g. 0.15 for 15 %", field="max_share")
        _check_unit(self.max_share, "share", "max_share")
        _check_non_negative(self.treatment_cost, "treatment_cost")
        return self


class ResourceCatalogueFile(StrictModel):
    """Schema of a resource-catalogue YAML file."""

    resources: dict[str, Resource] = Field(min_length=1)
    substitutions: list[Substitution] = Field(default_factory=list)

    @model_validator(mode="after")
    def _references(self) -> "ResourceCatalogueFile":
        problems: list[tuple[str, str, str]] = []
        seen = set()
        for i, sub in enumerate(self.substitutions):
            for role in ("residue", "input"):
                rid = getattr(sub, role)
                if rid not in self.resources:
                    problems.append((f"substitutions.{i}.{role}", f"unknown resource {rid!r}",
                                     "use a resource id defined under 'resources'"
                                     + _suggest(rid, self.resources)))
            res, inp = self.resources.get(sub.residue), self.resources.get(sub.input)
            if res is not None and res.disposal is None:
                problems.append((f"substitutions.{i}.residue",
                                 f"{sub.residue!r} has no disposal/transport, so it is not a residue",
                                 "name a residue, or add disposal and transport to that resource"))
            if inp is not None and inp.virgin_price is None:
                problems.append((f"substitutions.{i}.input",
                                 f"{sub.input!r} has no virgin_price, so it is not an input",
                                 "name an input, or add virgin_price and co2_virgin to that resource"))
            if res is not None and inp is not None:
                for what, expected in (("ratio", f"{inp.unit}/{res.unit}"),
                                       ("treatment_cost", f"EUR/{res.unit}")):
                    problem = _unit_problem(getattr(sub, what), expected)
                    if problem is not None:
                        problems.append((f"substitutions.{i}.{what}", *problem))
            if (sub.residue, sub.input) in seen:
                problems.append((f"substitutions.{i}", f"duplicate pair {sub.residue} -> {sub.input}",
                                 "keep one entry per residue and input"))
            seen.add((sub.residue, sub.input))
        if problems:
            raise user_errors(problems)
        return self


class Archetype(StrictModel):
    """A typical firm of one sector, with its yearly flows at activity level 1."""

    name: str = Field(min_length=1)
    sector: str = Field(min_length=1, description="NACE code")
    sector_group: str = Field(min_length=1, description="coarse sector label used in outputs")
    employees: Sourced
    plot_area: Sourced = Field(description="land the firm needs, m2")
    radius_of_action: Sourced = Field(description="distance within which it knows partners, km")
    turnover: Sourced = Field(description="yearly turnover at activity 1, EUR/yr")
    operating_margin: Sourced = Field(description="EBITDA share of turnover at reference prices")
    inputs: dict[str, Sourced] = Field(default_factory=dict, description="yearly demand per resource")
    outputs: dict[str, Sourced] = Field(default_factory=dict, description="yearly residues per resource")

    @model_validator(mode="after")
    def _units(self) -> "Archetype":
        _check_unit(self.employees, "persons", "employees")
        _check_unit(self.plot_area, "m2", "plot_area")
        _check_unit(self.radius_of_action, "km", "radius_of_action")
        _check_unit(self.turnover, "EUR/yr", "turnover")
        _check_unit(self.operating_margin, "share", "operating_margin")
        for figure, what in ((self.employees, "employees"), (self.turnover, "turnover")):
            _check_non_negative(figure, what)
        for figure, what in ((self.plot_area, "plot_area"), (self.radius_of_action, "radius_of_action")):
            if figure.value <= 0:
                raise user_error(f"{what} must be positive", "give a value > 0", field=what)
        if not -1 < self.operating_margin.value < 1:
            raise user_error("operating_margin must be a share between -1 and 1", "e.g. 0.08 for 8 %",
                             field="operating_margin")
        for side in ("inputs", "outputs"):
            for rid, figure in getattr(self, side).items():
                _check_non_negative(figure, f"{side}.{rid}")
        return self


class ArchetypeFile(StrictModel):
    """Schema of an archetype YAML file."""

    archetypes: dict[str, Archetype] = Field(min_length=1)


# ---------------------------------------------------------------------------------------------------- services
ServiceBasis = Literal["input", "residue", "employees", "plot_area", "firm"]
RESOURCE_BASES = ("input", "residue")
BASIS_UNIT = {"employees": "persons", "plot_area": "m2", "firm": "firm"}


class ServiceDemand(StrictModel):
    """What a firm would otherwise buy or treat alone, per year.

    ``input``/``residue``: its left-over demand of the listed inputs, or residue of the listed
    residues (after its exchange contracts), in the resources' own unit. ``employees``,
    ``plot_area``, ``firm``: ``per_unit`` service units per person, per m2 of plot, or per firm.
    """

    basis: ServiceBasis
    resources: list[str] = Field(default_factory=list, description="input or residue ids (resource bases)")
    per_unit: Sourced | None = Field(None, description="service units per person, m2 or firm and year")


class ServiceReach(StrictModel):
    """A pipe-bound utility: members lie within ``max_distance`` of the hub and pay their connection."""

    max_distance: Sourced = Field(description="farthest member from the hub, km")
    connection_cost_per_m: Sourced = Field(description="a member's connection pipe, EUR per m to the hub")
    lifetime: Sourced = Field(description="years over which the connection is annualised")


class ServiceSource(StrictModel):
    """Members' left-over residue the service turns into the input it delivers (a heat network).

    The catalogue's substitution row from ``residue`` to the input gives the ratio. ``max_share``
    caps what a member receives in all (exchanges and the service) as a share of its demand of the
    input; omitted, the row's own ``max_share`` applies.
    """

    residue: str
    max_share: Sourced | None = Field(None, description="largest share of a member's demand covered")


class ServiceReturn(StrictModel):
    """Treated water a residue service returns to members as an input (sold at the input's price)."""

    input: str
    share: Sourced = Field(description="share of the treated quantity returned")
    max_share: Sourced = Field(description="largest share of a member's demand of the input it covers")


class ServiceKind(StrictModel):
    """A kind of shared service: what it replaces, what it costs, how far it reaches.

    Yearly cost for ``Q`` units: ``fixed_cost + coordination_cost + capex·CRF + variable_cost ·
    Q_ref · (Q / Q_ref)^b`` (``Q_ref`` = ``reference_quantity``, needed when ``b ≠ 1``).
    """

    name: str = Field(min_length=1)
    service_class: Literal["utility", "accessory"] = Field(alias="class")
    unit: str = Field(min_length=1, pattern=r"^[A-Za-z0-9_]+$", description="unit of the quantity served")
    demand: ServiceDemand
    standalone_cost: Sourced | None = Field(None, description="non-resource bases: EUR per unit bought alone")
    fixed_cost: Sourced = Field(description="EUR/yr")
    coordination_cost: Sourced = Field(description="EUR/yr of running the consortium without a park manager")
    capex: Sourced = Field(description="EUR, annualised over lifetime at the scenario's discount rate")
    lifetime: Sourced = Field(description="yr")
    variable_cost: Sourced = Field(description="EUR per unit at the reference quantity")
    reference_quantity: Sourced | None = Field(None, description="unit/yr at which variable_cost applies")
    scale_exponent: Sourced = Field(description="b in C(Q) = F + v·Q^b; < 1: economies of scale")
    capacity: Sourced = Field(description="largest quantity one service carries, unit/yr")
    min_members: Sourced = Field(description="a service with fewer members closes")
    reach: ServiceReach | None = None
    source: ServiceSource | None = None
    returns: ServiceReturn | None = None

    @model_validator(mode="after")
    def _consistent(self) -> "ServiceKind":
        u, d = self.unit, self.demand
        if d.basis in RESOURCE_BASES:
            if not d.resources:
                raise user_error(f"basis {d.basis} needs the resources it takes", "list resource ids",
                                 field="demand.resources")
            for what, value in (("demand.per_unit", d.per_unit), ("standalone_cost", self.standalone_cost)):
                if value is not None:
                    raise user_error(f"{what} does not apply to basis {d.basis}: the stand-alone cost is the "
                                     "resource's price of the year", f"remove {what}", field=what)
        else:
            if d.resources:
                raise user_error(f"basis {d.basis} takes no resources", "remove demand.resources",
                                 field="demand.resources")
            for what, value in (("demand.per_unit", d.per_unit), ("standalone_cost", self.standalone_cost)):
                if value is None:
                    raise user_error(f"basis {d.basis} needs {what}", f"add {what}", field=what)
            _check_unit(d.per_unit, f"{u}/{BASIS_UNIT[d.basis]}/yr", "demand.per_unit")
            _check_unit(self.standalone_cost, f"EUR/{u}", "standalone_cost")
            _check_non_negative(d.per_unit, "demand.per_unit")
            _check_non_negative(self.standalone_cost, "standalone_cost")
        for what, expected in (("fixed_cost", "EUR/yr"), ("coordination_cost", "EUR/yr"), ("capex", "EUR"),
                               ("lifetime", "yr"), ("variable_cost", f"EUR/{u}"),
                               ("reference_quantity", f"{u}/yr"), ("scale_exponent", "exponent"),
                               ("capacity", f"{u}/yr"), ("min_members", "firms")):
            _check_unit(getattr(self, what), expected, what)
            _check_non_negative(getattr(self, what), what)
        if self.lifetime.value <= 0:
            raise user_error("lifetime must be positive", "give a number of years > 0", field="lifetime")
        if not 0 < self.scale_exponent.value <= 1.5:
            raise user_error(f"scale_exponent must be in (0, 1.5], got {self.scale_exponent.value:g}",
                             "e.g. 0.7 for a plant or network, 1.0 for a labour service", field="scale_exponent")
        if self.scale_exponent.value != 1 and (self.reference_quantity is None or self.reference_quantity.value <= 0):
            raise user_error("a scale_exponent other than 1 needs a positive reference_quantity",
                             f"add reference_quantity ({u}/yr) at which variable_cost applies",
                             field="reference_quantity")
        if self.capacity.value <= 0:
            raise user_error("capacity must be positive", f"give a capacity in {u}/yr", field="capacity")
        m = self.min_members.value
        if m < 2 or m != int(m):
            raise user_error(f"min_members must be a whole number >= 2, got {m:g}",
                             "a shared service has at least two members", field="min_members")
        if self.reach is not None:
            if self.service_class == "accessory":
                raise user_error("accessory services reach the whole district", "remove reach or set class: utility",
                                 field="reach")
            r = self.reach
            for what, expected in (("max_distance", "km"), ("connection_cost_per_m", "EUR/m"), ("lifetime", "yr")):
                _check_unit(getattr(r, what), expected, f"reach.{what}")
                _check_non_negative(getattr(r, what), f"reach.{what}")
            if r.lifetime.value <= 0:
                raise user_error("lifetime must be positive", "give a number of years > 0", field="reach.lifetime")
        if self.source is not None and (self.service_class != "utility" or d.basis != "input" or len(d.resources) != 1):
            raise user_error("a source needs a utility on exactly one input", "set class: utility, basis: input "
                             "and one resource, or remove source", field="source")
        if self.source is not None and self.source.max_share is not None:
            _check_unit(self.source.max_share, "share", "source.max_share")
            if not 0 < self.source.max_share.value <= 1:
                raise user_error("source.max_share must be a share in (0, 1]", "e.g. 0.8 for 80 %",
                                 field="source.max_share")
        if self.returns is not None:
            if self.service_class != "utility" or d.basis != "residue":
                raise user_error("returns need a utility on residues", "set class: utility and basis: residue, "
                                 "or remove returns", field="returns")
            for what in ("share", "max_share"):
                figure = getattr(self.returns, what)
                _check_unit(figure, "share", f"returns.{what}")
                if not 0 <= figure.value <= 1:
                    raise user_error(f"returns.{what} must be a share in [0, 1]", "e.g. 0.8 for 80 %",
                                     field=f"returns.{what}")
        return self

    @property
    def pipe_bound(self) -> bool:
        return self.reach is not None


class ServiceFile(StrictModel):
    """Schema of a service YAML file; an empty mapping means no shared services."""

    services: dict[str, ServiceKind] = Field(default_factory=dict)


def _service_problems(services: ServiceFile, resources: ResourceCatalogueFile, path: Path) -> list[Problem]:
    """Service kinds must name catalogue resources, on the right side, in the service's unit."""
    problems = []

    def problem(field, message, fix):
        problems.append(Problem(str(path), field, message, fix))

    res = resources.resources
    for kid, kind in services.services.items():
        d = kind.demand
        for j, rid in enumerate(d.resources):
            field = f"services.{kid}.demand.resources.{j}"
            r = res.get(rid)
            if r is None:
                problem(field, f"unknown resource {rid!r}", "use a resource id of the catalogue" + _suggest(rid, res))
                continue
            if d.basis == "input" and r.virgin_price is None:
                problem(field, f"{rid!r} is not an input (it has no virgin_price)", "name an input, or set basis: residue")
            if d.basis == "residue" and r.disposal is None:
                problem(field, f"{rid!r} is not a residue (it has no disposal)", "name a residue, or set basis: input")
            if r.unit != kind.unit:
                problem(field, f"{rid!r} is counted in {r.unit}, the service in {kind.unit}",
                        f"set unit: {r.unit} or name resources counted in {kind.unit}")
        if kind.source is not None:
            field = f"services.{kid}.source.residue"
            rid = kind.source.residue
            if rid not in res:
                problem(field, f"unknown resource {rid!r}", "use a residue id of the catalogue" + _suggest(rid, res))
            elif d.resources and not any(s.residue == rid and s.input == d.resources[0] for s in resources.substitutions):
                problem(field, f"no substitution row turns {rid!r} into {d.resources[0]!r}",
                        "add that row under substitutions in the resource catalogue, or remove source")
        if kind.returns is not None:
            field = f"services.{kid}.returns.input"
            rid = kind.returns.input
            r = res.get(rid)
            if r is None:
                problem(field, f"unknown resource {rid!r}", "use an input id of the catalogue" + _suggest(rid, res))
            elif r.virgin_price is None:
                problem(field, f"{rid!r} is not an input (it has no virgin_price)", "name an input")
            elif r.unit != kind.unit:
                problem(field, f"{rid!r} is counted in {r.unit}, the service in {kind.unit}",
                        f"return an input counted in {kind.unit}")
    return problems


def _suggest(name: str, choices) -> str:
    close = difflib.get_close_matches(str(name), [str(c) for c in choices], n=3)
    return f"; did you mean {', '.join(close)}?" if close else ""


def suggest(name: str, choices) -> str:
    """``; did you mean a, b?`` for an unknown id (appended to a fix), or an empty string."""
    return _suggest(name, choices)


def _validate_file(model: type[StrictModel], path: Path):
    raw = load_yaml(path)
    try:
        return model.model_validate(raw)
    except ValidationError as exc:
        raise InputError(problems_from_validation_error(exc, str(path), model=model)) from None


def _archetype_flow_problems(archetypes: ArchetypeFile, resources: ResourceCatalogueFile,
                             path: Path) -> list[Problem]:
    """Archetype flows must name catalogue resources, in their units, on the right side."""
    problems = []
    for aid, arch in archetypes.archetypes.items():
        for side, unit_role in (("inputs", "virgin_price"), ("outputs", "disposal")):
            for rid, figure in getattr(arch, side).items():
                field = f"archetypes.{aid}.{side}.{rid}"
                res = resources.resources.get(rid)
                if res is None:
                    problems.append(Problem(str(path), field, f"unknown resource {rid!r}",
                                            "use a resource id of the catalogue" + _suggest(rid, resources.resources)))
                    continue
                if getattr(res, unit_role) is None:
                    kind = "input (it has no virgin_price)" if side == "inputs" else "residue (it has no disposal)"
                    problems.append(Problem(str(path), field, f"{rid!r} cannot be an {kind}",
                                            "move it to the other side or complete the catalogue entry"))
                if figure.unit != f"{res.unit}/yr":
                    problems.append(Problem(str(path), field, f"unit {figure.unit!r} should be '{res.unit}/yr'",
                                            f"convert the quantity to {res.unit}/yr"))
    return problems


@dataclass(frozen=True)
class Catalogue:
    """Validated catalogue in array form: index ``r`` over resources, ``a`` over archetypes.

    Arrays are per unit of each resource's own unit; policy (taxes, levies) is added by the model.
    """

    resource_ids: tuple[str, ...]
    resources: dict[str, Resource]
    substitutions: tuple[Substitution, ...]
    archetype_ids: tuple[str, ...]
    archetypes: dict[str, Archetype]
    resources_path: str
    archetypes_path: str
    # per resource (length R)
    family: np.ndarray
    unit: np.ndarray
    virgin_price: np.ndarray
    co2_virgin: np.ndarray
    gate_fee: np.ndarray
    tax_class: np.ndarray
    is_sludge: np.ndarray
    co2_disposal: np.ndarray
    is_input: np.ndarray
    is_residue: np.ndarray
    # per archetype × resource (A × R), at activity 1
    inputs: np.ndarray
    outputs: np.ndarray
    # shared-service kinds, in file order (none when the catalogue names no service file)
    services: dict[str, ServiceKind] = field(default_factory=dict)
    services_path: str | None = None

    @property
    def service_ids(self) -> tuple[str, ...]:
        return tuple(self.services)

    def index(self, resource_id: str) -> int:
        return self.resource_ids.index(resource_id)

    def archetype_index(self, archetype_id: str) -> int:
        return self.archetype_ids.index(archetype_id)


def build_catalogue(resources_file: ResourceCatalogueFile, archetype_file: ArchetypeFile,
                    resources_path: str, archetypes_path: str, service_file: ServiceFile | None = None,
                    services_path: str | None = None) -> Catalogue:
    """Arrange validated files as arrays (resources in file order, archetypes in file order)."""
    rids = tuple(resources_file.resources)
    res = resources_file.resources
    aids = tuple(archetype_file.archetypes)
    r_index = {rid: i for i, rid in enumerate(rids)}

    def per_resource(get, default=0.0):
        return np.array([get(res[r]) if get(res[r]) is not None else default for r in rids], dtype=float)

    inputs = np.zeros((len(aids), len(rids)))
    outputs = np.zeros((len(aids), len(rids)))
    for a, aid in enumerate(aids):
        arch = archetype_file.archetypes[aid]
        for rid, fig in arch.inputs.items():
            inputs[a, r_index[rid]] = fig.value
        for rid, fig in arch.outputs.items():
            outputs[a, r_index[rid]] = fig.value
    return Catalogue(
        resource_ids=rids, resources=dict(res), substitutions=tuple(resources_file.substitutions),
        archetype_ids=aids, archetypes=dict(archetype_file.archetypes),
        resources_path=resources_path, archetypes_path=archetypes_path,
        family=np.array([res[r].family for r in rids]),
        unit=np.array([res[r].unit for r in rids]),
        virgin_price=per_resource(lambda x: x.virgin_price and x.virgin_price.value),
        co2_virgin=per_resource(lambda x: x.co2_virgin and x.co2_virgin.value),
        gate_fee=per_resource(lambda x: x.disposal and x.disposal.gate_fee.value),
        tax_class=np.array([res[r].disposal.landfill_tax_class if res[r].disposal else "none" for r in rids]),
        is_sludge=np.array([bool(res[r].disposal and res[r].disposal.sludge) for r in rids]),
        co2_disposal=per_resource(lambda x: x.disposal and x.disposal.co2.value),
        is_input=np.array([res[r].virgin_price is not None for r in rids]),
        is_residue=np.array([res[r].disposal is not None for r in rids]),
        inputs=inputs, outputs=outputs,
        services=dict(service_file.services) if service_file is not None else {}, services_path=services_path,
    )


def load_resource_file(path: str | Path) -> ResourceCatalogueFile:
    return _validate_file(ResourceCatalogueFile, Path(path))


def load_archetype_file(path: str | Path) -> ArchetypeFile:
    return _validate_file(ArchetypeFile, Path(path))


def load_service_file(path: str | Path) -> ServiceFile:
    return _validate_file(ServiceFile, Path(path))


def check_service_file(path: str | Path, resources_path: str | Path | None = None) -> ServiceFile:
    """A service file validated on its own and against a resource catalogue (``None``: the shipped
    one). Raises InputError with the problems of the service file."""
    services = load_service_file(path)
    resources = load_resource_file(resources_path or shipped_path(SHIPPED_RESOURCES))
    problems = _service_problems(services, resources, Path(path))
    if problems:
        raise InputError(problems)
    return services


def default_services_path(resources_path: str | Path | None) -> Path | None:
    """The service file used when a scenario names none: the shipped one with the shipped resources.

    The shipped service kinds name shipped resource ids, so a territory described by its own
    resource catalogue has no shared services unless it names its own service file.
    """
    return shipped_path(SHIPPED_SERVICES) if resources_path is None else None


def load_catalogue(resources_path: str | Path | None = None,
                   archetypes_path: str | Path | None = None,
                   services_path: str | Path | None = None) -> Catalogue:
    """Load and cross-check a catalogue; ``None`` means the shipped file. Raises InputError.

    ``services_path`` ``None`` means :func:`default_services_path` (the shipped services with the
    shipped resources, none with a resource catalogue of one's own).
    """
    rpath = Path(resources_path) if resources_path else shipped_path(SHIPPED_RESOURCES)
    apath = Path(archetypes_path) if archetypes_path else shipped_path(SHIPPED_ARCHETYPES)
    spath = Path(services_path) if services_path else default_services_path(resources_path)
    problems: list[Problem] = []
    resources_file = archetype_file = service_file = None
    for loader, path in ((load_resource_file, rpath), (load_archetype_file, apath), (load_service_file, spath)):
        if path is None:
            continue
        try:
            loaded = loader(path)
        except InputError as exc:
            problems.extend(exc.problems)
            continue
        if isinstance(loaded, ResourceCatalogueFile):
            resources_file = loaded
        elif isinstance(loaded, ArchetypeFile):
            archetype_file = loaded
        else:
            service_file = loaded
    if resources_file is not None and archetype_file is not None:
        problems.extend(_archetype_flow_problems(archetype_file, resources_file, apath))
    if resources_file is not None and service_file is not None:
        problems.extend(_service_problems(service_file, resources_file, spath))
    if problems:
        raise InputError(problems)
    return build_catalogue(resources_file, archetype_file, str(rpath), str(apath), service_file,
                           str(spath) if spath is not None else None)


def load_resource_catalogue(resources_path: str | Path | None = None,
                            services_path: str | Path | None = None) -> Catalogue:
    """A catalogue without archetypes: resources, substitutions and (optionally) service kinds.

    Enough to match firms whose flows are known (``ecodistrict matchmake`` on a profile file),
    so a territory's resource file is usable before anyone has written archetypes for it.
    ``None`` means the shipped resources; services only when ``services_path`` is given.
    """
    rpath = Path(resources_path) if resources_path else shipped_path(SHIPPED_RESOURCES)
    spath = Path(services_path) if services_path else None
    problems: list[Problem] = []
    resources_file = service_file = None
    try:
        resources_file = load_resource_file(rpath)
    except InputError as exc:
        problems.extend(exc.problems)
    if spath is not None:
        try:
            service_file = load_service_file(spath)
        except InputError as exc:
            problems.extend(exc.problems)
    if resources_file is not None and service_file is not None:
        problems.extend(_service_problems(service_file, resources_file, spath))
    if problems:
        raise InputError(problems)
    return build_catalogue(resources_file, ArchetypeFile.model_construct(archetypes={}), str(rpath), "",
                           service_file, str(spath) if spath is not None else None)
