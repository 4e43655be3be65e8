"""Schema of the service file: the kinds of shared service firms can found, join and leave.

Utilities (a heat network, a water-treatment plant) and accessory services (a canteen, waste
collection), each with the stand-alone cost it replaces and its cost function
``C(Q) = F + v·Q^b`` (:class:`ServiceKind`). Whether the resources a kind names exist, on the
right side and in the service's unit, is checked by the loader against the resource catalogue
(:mod:`simulation.inputs.catalogue`).
"""

from __future__ import annotations

from typing import Literal

from pydantic import Field, model_validator

from simulation.inputs.schema_base import Sourced, StrictModel, check_non_negative, check_unit, user_error

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


class StandaloneRange(StrictModel):
    """How far firms' stand-alone prices of a non-resource kind spread (EUR per service unit).

    Firms do not all pay the same alone: a meal voucher, a patrol contract or a cleaning contract
    is priced firm by firm. Each firm's price is drawn once, uniform between ``low`` and ``high``
    (docs/ODD.md §7.15, *Uses*); the kind's ``standalone_cost`` lies in the range.
    """

    low: Sourced = Field(description="lowest stand-alone price, EUR per unit")
    high: Sourced = Field(description="highest stand-alone price, EUR per unit")


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
    standalone_cost_range: StandaloneRange | None = Field(
        None, description="non-resource bases: firms' stand-alone prices spread uniformly over it (EUR per unit)")
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
    def _consistent(self) -> ServiceKind:
        u, d = self.unit, self.demand
        if d.basis in RESOURCE_BASES:
            if not d.resources:
                raise user_error(f"basis {d.basis} needs the resources it takes", "list resource ids",
                                 field="demand.resources")
            for what, value in (("demand.per_unit", d.per_unit), ("standalone_cost", self.standalone_cost),
                                ("standalone_cost_range", self.standalone_cost_range)):
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
            check_unit(d.per_unit, f"{u}/{BASIS_UNIT[d.basis]}/yr", "demand.per_unit")
            check_unit(self.standalone_cost, f"EUR/{u}", "standalone_cost")
            check_non_negative(d.per_unit, "demand.per_unit")
            check_non_negative(self.standalone_cost, "standalone_cost")
            self._check_range()
        for what, expected in (("fixed_cost", "EUR/yr"), ("coordination_cost", "EUR/yr"), ("capex", "EUR"),
                               ("lifetime", "yr"), ("variable_cost", f"EUR/{u}"),
                               ("reference_quantity", f"{u}/yr"), ("scale_exponent", "exponent"),
                               ("capacity", f"{u}/yr"), ("min_members", "firms")):
            check_unit(getattr(self, what), expected, what)
            check_non_negative(getattr(self, what), what)
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
                check_unit(getattr(r, what), expected, f"reach.{what}")
                check_non_negative(getattr(r, what), f"reach.{what}")
            if r.lifetime.value <= 0:
                raise user_error("lifetime must be positive", "give a number of years > 0", field="reach.lifetime")
        if self.source is not None and (self.service_class != "utility" or d.basis != "input" or len(d.resources) != 1):
            raise user_error("a source needs a utility on exactly one input", "set class: utility, basis: input "
                             "and one resource, or remove source", field="source")
        if self.source is not None and self.source.max_share is not None:
            check_unit(self.source.max_share, "share", "source.max_share")
            if not 0 < self.source.max_share.value <= 1:
                raise user_error("source.max_share must be a share in (0, 1]", "e.g. 0.8 for 80 %",
                                 field="source.max_share")
        if self.returns is not None:
            if self.service_class != "utility" or d.basis != "residue":
                raise user_error("returns need a utility on residues", "set class: utility and basis: residue, "
                                 "or remove returns", field="returns")
            for what in ("share", "max_share"):
                figure = getattr(self.returns, what)
                check_unit(figure, "share", f"returns.{what}")
                if not 0 <= figure.value <= 1:
                    raise user_error(f"returns.{what} must be a share in [0, 1]", "e.g. 0.8 for 80 %",
                                     field=f"returns.{what}")
        return self

    def _check_range(self) -> None:
        r = self.standalone_cost_range
        if r is None:
            return
        for what in ("low", "high"):
            check_unit(getattr(r, what), f"EUR/{self.unit}", f"standalone_cost_range.{what}")
            check_non_negative(getattr(r, what), f"standalone_cost_range.{what}")
        if not r.low.value <= self.standalone_cost.value <= r.high.value:
            raise user_error(f"standalone_cost {self.standalone_cost.value:g} lies outside standalone_cost_range "
                             f"[{r.low.value:g}, {r.high.value:g}]", "give low <= standalone_cost <= high",
                             field="standalone_cost_range")

    @property
    def pipe_bound(self) -> bool:
        return self.reach is not None


class ServiceFile(StrictModel):
    """Schema of a service YAML file; an empty mapping means no shared services."""

    services: dict[str, ServiceKind] = Field(default_factory=dict)
