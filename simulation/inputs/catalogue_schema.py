"""Schemas of the resource catalogue and the archetype file: what a territory is made of, as data.

* a **resource catalogue** (``resources`` and ``substitutions``): every resource a firm can buy or
  emit, its family and unit, price as a virgin input, disposal cost, CO2 factors and transport;
  and which residue can replace which input, at what ratio, up to what share of demand;
* an **archetype file** (``archetypes``): typical firms (sector, employees, plot area, radius of
  action, economics, yearly inputs and residues at activity level 1).

Every number is a :class:`~simulation.inputs.schema_base.Sourced` figure (value, unit, source). The
schemas check units against the resource's unit, so a price in EUR/kg for a resource counted in
tonnes is an error, not a silent factor-of-1000 mistake. Checks that need two files (an
archetype's flows against the catalogue's resources) are made by the loader,
:mod:`simulation.inputs.catalogue`.
"""

from __future__ import annotations

from typing import Literal

from pydantic import Field, model_validator

from simulation.inputs.bounds import MAX_EMPLOYEES, MAX_FLOW_PER_YEAR
from simulation.inputs.errors import did_you_mean
from simulation.inputs.schema_base import (
    Sourced,
    StrictModel,
    check_non_negative,
    check_unit,
    unit_problem,
    user_error,
    user_errors,
)

Family = Literal["material", "energy", "water"]
UNIT_OF_FAMILY: dict[str, str] = {"material": "t", "energy": "MWh", "water": "m3"}
TaxClass = Literal["inert", "nonhazardous", "hazardous", "none"]
OutsideRoute = Literal["landfill", "recovery", "incineration", "treatment", "sewer", "vent"]
# Which outside routes a residue of each family can take: materials go to a landfill, to recovery or
# sale outside the area, to incineration or to physico-chemical treatment; heat is vented; water is
# discharged to the sewer or treated.
ROUTES_OF_FAMILY: dict[str, tuple[str, ...]] = {"material": ("landfill", "recovery", "incineration", "treatment"),
                                                "energy": ("vent",), "water": ("sewer", "treatment")}


class Disposal(StrictModel):
    """One outside route a residue takes when nobody in the area takes it, with its price at the
    firm's gate: a fee it pays (landfill, recovery platform, sewer) or a price it is paid (a trader
    buying scrap), in EUR per unit; the landfill tax of the scenario's policy is added to a landfill
    route by its class."""

    route: OutsideRoute = Field(description="landfill, recovery (or sale) outside the area, incineration, "
                                            "treatment, sewer or vent")
    gate_fee: Sourced = Field(description="fee paid to the receiving plant, EUR per unit")
    sale_price: Sourced | None = Field(None, description="price an outside buyer pays for it, EUR per unit "
                                                         "(recovery only)")
    landfill_tax_class: TaxClass = Field(
        "none", description="which landfill-tax rate of the scenario's policy applies (landfill routes only; "
                            "none: no tax added, e.g. a foreign tax already in the gate fee)")
    sludge: bool = Field(False, description="sludges pay only the policy's sludge_factor of the tax")
    co2: Sourced = Field(description="emissions of the route, tCO2 per unit")

    @model_validator(mode="after")
    def _route(self) -> Disposal:
        if self.route != "landfill" and self.landfill_tax_class != "none":
            raise user_error(f"the landfill tax applies to landfill routes only, not to {self.route}",
                             "remove landfill_tax_class, or set route: landfill", field="landfill_tax_class")
        if self.sale_price is not None and self.route != "recovery":
            raise user_error(f"only a recovery route can sell the residue, not {self.route}",
                             "remove sale_price, or set route: recovery", field="sale_price")
        return self

    def cost_eur(self) -> float:
        """What the firm pays per unit at its gate before any tax: gate fee less the sale price."""
        return self.gate_fee.value - (self.sale_price.value if self.sale_price is not None else 0.0)


class TransportSpec(StrictModel):
    """How an exchanged residue travels, as the catalogue states it: truck (cost per unit·km) or pipe
    (capex per metre). Not the model's ``Transport``: that one holds the per-resource arrays built from these."""

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
    disposal: Disposal | None = Field(None, description="the residue's usual outside route")
    alternatives: list[Disposal] = Field(
        default_factory=list, description="other outside routes; each year the cheapest route at that "
                                          "year's prices is taken (the usual one on a tie)")
    transport: TransportSpec | None = None
    ceramic: Literal["body", "residue"] | None = Field(
        None, description="its part in the ceramic cycle the ceramic indicators measure: a body raw material "
                          "(clay, feldspar, sand, spray-dried powder) or a residue of tile and frit making")

    def outside_routes(self) -> list[Disposal]:
        """The usual outside route, then the alternatives (none for an input only)."""
        return [] if self.disposal is None else [self.disposal, *self.alternatives]

    @model_validator(mode="after")
    def _consistent(self) -> Resource:
        u = self.unit
        if UNIT_OF_FAMILY[self.family] != u:
            raise user_error(f"family {self.family} is counted in {UNIT_OF_FAMILY[self.family]}, not {u}",
                             f"set unit: {UNIT_OF_FAMILY[self.family]}", field="unit")
        if self.alternatives and self.disposal is None:
            raise user_error("alternatives need the usual route first", "add disposal (the usual outside route)",
                             field="alternatives")
        routes = self.outside_routes()
        for k, route in enumerate(routes):
            where = "disposal" if k == 0 else f"alternatives.{k - 1}"
            allowed = ROUTES_OF_FAMILY[self.family]
            if route.route not in allowed:
                raise user_error(f"a {self.family} residue cannot go to {route.route}",
                                 f"use one of: {', '.join(allowed)}", field=f"{where}.route")
            if route.route in (r.route for r in routes[:k]):
                raise user_error(f"route {route.route} is listed twice", "keep one entry per route",
                                 field=f"{where}.route")
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
        check_unit(self.virgin_price, f"EUR/{u}", "virgin_price")
        check_unit(self.co2_virgin, f"tCO2/{u}", "co2_virgin")
        for figure, what in ((self.virgin_price, "virgin_price"), (self.co2_virgin, "co2_virgin")):
            check_non_negative(figure, what)
        for k, route in enumerate(self.outside_routes()):
            where = "disposal" if k == 0 else f"alternatives.{k - 1}"
            for figure, what, unit in ((route.gate_fee, "gate_fee", f"EUR/{u}"), (route.sale_price, "sale_price",
                                       f"EUR/{u}"), (route.co2, "co2", f"tCO2/{u}")):
                check_unit(figure, unit, f"{where}.{what}")
                check_non_negative(figure, f"{where}.{what}")
        if self.transport is not None:
            t = self.transport
            check_unit(t.cost_per_km, f"EUR/{u}/km", "transport.cost_per_km")
            check_unit(t.fixed_cost, f"EUR/{u}", "transport.fixed_cost")
            check_unit(t.max_distance, "km", "transport.max_distance")
            check_unit(t.co2_per_km, f"tCO2/{u}/km", "transport.co2_per_km")
            for figure, what in ((t.cost_per_km, "cost_per_km"), (t.fixed_cost, "fixed_cost"),
                                 (t.max_distance, "max_distance"), (t.co2_per_km, "co2_per_km"),
                                 (t.capex_per_m, "capex_per_m")):
                check_non_negative(figure, f"transport.{what}")
            if t.mode == "pipe":
                if t.capex_per_m is None or t.lifetime is None:
                    raise user_error("a pipe needs capex_per_m and lifetime",
                                     "add transport.capex_per_m (EUR/m) and transport.lifetime (yr)",
                                     field="transport")
                check_unit(t.capex_per_m, "EUR/m", "transport.capex_per_m")
                check_unit(t.lifetime, "yr", "transport.lifetime")
                if t.lifetime.value <= 0:
                    raise user_error("lifetime must be positive", "give a number of years > 0",
                                     field="transport.lifetime")
            elif t.capex_per_m is not None or t.lifetime is not None:
                raise user_error("capex_per_m and lifetime apply only to pipes",
                                 "remove them or set mode: pipe", field="transport")
        return self


class Investment(StrictModel):
    """Pre-treatment capacity a supplier must own to deliver over a substitution row: its capex per
    unit of yearly capacity and its lifetime (a plant, unlike the per-unit treatment cost, is paid
    whether it is used or not)."""

    capex: Sourced = Field(description="capex per unit of yearly capacity, EUR per (unit/yr)")
    lifetime: Sourced = Field(description="years over which the plant is used and repaid")

    @model_validator(mode="after")
    def _positive(self) -> Investment:
        check_non_negative(self.capex, "capex")
        check_unit(self.lifetime, "yr", "lifetime")
        if self.lifetime.value <= 0:
            raise user_error("lifetime must be positive", "give a number of years > 0", field="lifetime")
        return self


class Substitution(StrictModel):
    """A residue that can replace a virgin input: ``ratio`` units of input per unit of residue."""

    residue: str
    input: str
    ratio: Sourced = Field(description="units of input replaced per unit of residue")
    max_share: Sourced = Field(description="largest share of the buyer's demand it may replace")
    treatment_cost: Sourced = Field(description="pre-treatment before use, EUR per unit of residue")
    investment: Investment | None = Field(
        None, description="pre-treatment capacity the supplier must own (capex per unit/yr, lifetime)")
    route: Literal["byproduct", "waste"] = Field(
        description="legal route: by-product (art. 184-bis) or waste to an authorised receiver")

    @model_validator(mode="after")
    def _ranges(self) -> Substitution:
        if self.ratio.value <= 0:
            raise user_error(f"ratio must be positive, got {self.ratio.value:g}", "give a ratio > 0",
                             field="ratio")
        if not 0 < self.max_share.value <= 1:
            raise user_error(f"max_share must be in (0, 1], got {self.max_share.value:g}",
                             "give a share between 0 and 1, e.g. 0.15 for 15 %", field="max_share")
        check_unit(self.max_share, "share", "max_share")
        check_non_negative(self.treatment_cost, "treatment_cost")
        return self


class ResourceCatalogueFile(StrictModel):
    """Schema of a resource-catalogue YAML file."""

    resources: dict[str, Resource] = Field(min_length=1)
    substitutions: list[Substitution] = Field(default_factory=list)

    @model_validator(mode="after")
    def _references(self) -> ResourceCatalogueFile:
        problems: list[tuple[str, str, str]] = []
        seen = set()
        for i, sub in enumerate(self.substitutions):
            for role in ("residue", "input"):
                rid = getattr(sub, role)
                if rid not in self.resources:
                    problems.append((f"substitutions.{i}.{role}", f"unknown resource {rid!r}",
                                     "use a resource id defined under 'resources'"
                                     + did_you_mean(rid, self.resources)))
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
                figures = [("ratio", sub.ratio, f"{inp.unit}/{res.unit}"),
                           ("treatment_cost", sub.treatment_cost, f"EUR/{res.unit}")]
                if sub.investment is not None:
                    figures.append(("investment.capex", sub.investment.capex, f"EUR/({res.unit}/yr)"))
                for what, figure, expected in figures:
                    problem = unit_problem(figure, expected)
                    if problem is not None:
                        problems.append((f"substitutions.{i}.{what}", *problem))
            if (sub.residue, sub.input) in seen:
                problems.append((f"substitutions.{i}", f"duplicate pair {sub.residue} -> {sub.input}",
                                 "keep one entry per residue and input"))
            seen.add((sub.residue, sub.input))
        if problems:
            raise user_errors(problems)
        return self


class InHouseLoop(StrictModel):
    """Part of a residue a firm recycles on its own site, into one of its own inputs: it is neither
    offered to other firms nor sent outside, and it replaces ``replaces`` at the ratio of the
    catalogue's substitution row from the residue to that input (units of input per unit of residue)."""

    recycled_share: Sourced = Field(description="share of the residue's gross generation recycled in house")
    replaces: str = Field(min_length=1, description="the firm's own input the recycled residue replaces")

    @model_validator(mode="after")
    def _share(self) -> InHouseLoop:
        check_unit(self.recycled_share, "share", "recycled_share")
        if not 0 <= self.recycled_share.value <= 1:
            raise user_error(f"recycled_share must be a share between 0 and 1, got {self.recycled_share.value:g}",
                             "give a share, e.g. 0.995 for 99.5 % recycled in house", field="recycled_share")
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
    cost_pass_through: Sourced | None = Field(
        None, description="share of a change in its disposal and virgin-input costs caused by the plan's "
                          "price instruments that the firm passes on to its output price (share; absent: "
                          "none, the margin absorbs the whole change)")
    inputs: dict[str, Sourced] = Field(default_factory=dict, description="yearly demand per resource")
    outputs: dict[str, Sourced] = Field(default_factory=dict, description="yearly residues per resource: gross "
                                                                          "generation (before in_house loops)")
    in_house: dict[str, InHouseLoop] = Field(
        default_factory=dict, description="per residue of outputs, the share the firm recycles on its own site "
                                          "and the input it replaces; absent: it releases all of it")

    @model_validator(mode="after")
    def _units(self) -> Archetype:
        check_unit(self.employees, "persons", "employees")
        check_unit(self.plot_area, "m2", "plot_area")
        check_unit(self.radius_of_action, "km", "radius_of_action")
        check_unit(self.turnover, "EUR/yr", "turnover")
        check_unit(self.operating_margin, "share", "operating_margin")
        for figure, what in ((self.employees, "employees"), (self.turnover, "turnover")):
            check_non_negative(figure, what)
        for figure, what in ((self.plot_area, "plot_area"), (self.radius_of_action, "radius_of_action")):
            if figure.value <= 0:
                raise user_error(f"{what} must be positive", "give a value > 0", field=what)
        if self.cost_pass_through is not None:
            check_unit(self.cost_pass_through, "share", "cost_pass_through")
            if not 0 <= self.cost_pass_through.value <= 1:
                raise user_error("cost_pass_through must be a share between 0 and 1",
                                 "e.g. 0.7 for 70 % passed on", field="cost_pass_through")
        if not -1 < self.operating_margin.value < 1:
            raise user_error("operating_margin must be a share between -1 and 1", "e.g. 0.08 for 8 %",
                             field="operating_margin")
        if (problem := MAX_EMPLOYEES.problem(self.employees.value, self.employees.unit)) is not None:
            raise user_error(*problem, field="employees")
        for side in ("inputs", "outputs"):
            for rid, figure in getattr(self, side).items():
                check_non_negative(figure, f"{side}.{rid}")
                if (problem := MAX_FLOW_PER_YEAR.problem(figure.value, figure.unit)) is not None:
                    raise user_error(*problem, field=f"{side}.{rid}")
        for rid, loop in self.in_house.items():
            if rid not in self.outputs:
                raise user_error(f"{rid!r} is recycled in house but is not among its outputs",
                                 f"list its gross generation under outputs.{rid}, or remove in_house.{rid}",
                                 field=f"in_house.{rid}")
            if loop.replaces not in self.inputs:
                raise user_error(f"in_house.{rid} replaces {loop.replaces!r}, which is not among its inputs",
                                 f"name one of its inputs{did_you_mean(loop.replaces, self.inputs)}, or list "
                                 f"{loop.replaces} under inputs",
                                 field=f"in_house.{rid}.replaces")
        return self


class ArchetypeFile(StrictModel):
    """Schema of an archetype YAML file."""

    archetypes: dict[str, Archetype] = Field(min_length=1)
