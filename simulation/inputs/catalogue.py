"""The catalogue a scenario computes with: its three files read, cross-checked and arranged as arrays.

A territory is described by a resource catalogue and an archetype file
(:mod:`simulation.inputs.catalogue_schema`) and a service file
(:mod:`simulation.inputs.service_schema`). This module reads them, checks what one file says
about another (an archetype's flows name catalogue resources in their units; a service kind's
resources are inputs or residues of the catalogue), reports every problem of every file at once,
and builds :class:`Catalogue`, the validated, array-shaped form the model computes with.
"""

from __future__ import annotations

import functools
from dataclasses import dataclass, field
from importlib import resources as importlib_resources
from pathlib import Path

import numpy as np
from pydantic import ValidationError

from simulation.inputs.catalogue_schema import (
    Archetype,
    ArchetypeFile,
    InHouseLoop,
    Resource,
    ResourceCatalogueFile,
    Substitution,
)
from simulation.inputs.errors import InputError, Problem, did_you_mean
from simulation.inputs.schema_base import StrictModel, problems_from_validation_error
from simulation.inputs.service_schema import ServiceFile, ServiceKind
from simulation.inputs.strict_yaml import load_yaml

SHIPPED_RESOURCES = "resources.yaml"
SHIPPED_ARCHETYPES = "archetypes.yaml"
SHIPPED_SERVICES = "services.yaml"


def shipped_path(name: str) -> Path:
    """Path of a data file shipped inside the package (``simulation/data``)."""
    return Path(str(importlib_resources.files("simulation") / "data" / name))


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
                problem(field, f"unknown resource {rid!r}",
                        "use a resource id of the catalogue" + did_you_mean(rid, res))
                continue
            if d.basis == "input" and r.virgin_price is None:
                problem(field, f"{rid!r} is not an input (it has no virgin_price)",
                        "name an input, or set basis: residue")
            if d.basis == "residue" and r.disposal is None:
                problem(field, f"{rid!r} is not a residue (it has no disposal)", "name a residue, or set basis: input")
            if r.unit != kind.unit:
                problem(field, f"{rid!r} is counted in {r.unit}, the service in {kind.unit}",
                        f"set unit: {r.unit} or name resources counted in {kind.unit}")
        if kind.source is not None:
            field = f"services.{kid}.source.residue"
            rid = kind.source.residue
            if rid not in res:
                problem(field, f"unknown resource {rid!r}",
                        "use a residue id of the catalogue" + did_you_mean(rid, res))
            elif d.resources and not any(s.residue == rid and s.input == d.resources[0]
                                         for s in resources.substitutions):
                problem(field, f"no substitution row turns {rid!r} into {d.resources[0]!r}",
                        "add that row under substitutions in the resource catalogue, or remove source")
        if kind.returns is not None:
            field = f"services.{kid}.returns.input"
            rid = kind.returns.input
            r = res.get(rid)
            if r is None:
                problem(field, f"unknown resource {rid!r}", "use an input id of the catalogue" + did_you_mean(rid, res))
            elif r.virgin_price is None:
                problem(field, f"{rid!r} is not an input (it has no virgin_price)", "name an input")
            elif r.unit != kind.unit:
                problem(field, f"{rid!r} is counted in {r.unit}, the service in {kind.unit}",
                        f"return an input counted in {kind.unit}")
    return problems


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
                                            "use a resource id of the catalogue"
                                            + did_you_mean(rid, resources.resources)))
                    continue
                if getattr(res, unit_role) is None:
                    kind = "input (it has no virgin_price)" if side == "inputs" else "residue (it has no disposal)"
                    problems.append(Problem(str(path), field, f"{rid!r} cannot be an {kind}",
                                            "move it to the other side or complete the catalogue entry"))
                if figure.unit != f"{res.unit}/yr":
                    problems.append(Problem(str(path), field, f"unit {figure.unit!r} should be '{res.unit}/yr'",
                                            f"convert the quantity to {res.unit}/yr"))
        problems.extend(_in_house_problems(aid, arch, resources, path))
    return problems


def _loop_ratio(rid: str, loop: InHouseLoop, substitutions) -> float | None:
    """Units of ``loop.replaces`` one unit of residue ``rid`` replaces: the ratio of the catalogue's
    substitution row between them (``None`` without one), so a loop and an exchange of the same
    residue into the same input replace the same quantity."""
    return next((s.ratio.value for s in substitutions if s.residue == rid and s.input == loop.replaces), None)


def _in_house_problems(aid: str, arch: Archetype, resources: ResourceCatalogueFile, path: Path) -> list[Problem]:
    """An in-house loop needs a substitution row from its residue to the input it replaces, and the
    loops of an archetype cannot supply more of an input than the archetype needs."""
    problems, supplied = [], {}
    for rid, loop in arch.in_house.items():
        if rid not in resources.resources or loop.replaces not in resources.resources:
            continue  # reported as an unknown output or input
        ratio = _loop_ratio(rid, loop, resources.substitutions)
        if ratio is None:
            problems.append(Problem(str(path), f"archetypes.{aid}.in_house.{rid}.replaces",
                                    f"no substitution row turns {rid!r} into {loop.replaces!r}",
                                    "add that row under substitutions in the resource catalogue (its ratio is the "
                                    "loop's), or replace another input"))
            continue
        supplied[loop.replaces] = (supplied.get(loop.replaces, 0.0)
                                   + arch.outputs[rid].value * loop.recycled_share.value * ratio)
    for iid, quantity in supplied.items():
        need = arch.inputs[iid].value
        if quantity > need * (1 + 1e-9):
            problems.append(Problem(str(path), f"archetypes.{aid}.in_house",
                                    f"its loops supply {quantity:,.6g} of {iid!r}, more than the {need:,.6g} it needs",
                                    f"lower a recycled_share or raise inputs.{iid}"))
    return problems


@dataclass(frozen=True)
class OutsideRoutes:
    """Every outside route of every residue (index ``k``: each residue's usual route, then its
    alternatives, residues in catalogue order): where a residue goes when nobody in the area takes it.

    ``cost`` is the price at the firm's gate before tax, EUR per unit (gate fee less sale price; may
    be negative for a residue an outside buyer pays for); the policy adds the landfill tax of
    ``tax_class`` (a fraction for sludges) to landfill routes.
    """

    resource: np.ndarray     # (K,) resource index
    kind: np.ndarray         # (K,) landfill | recovery | incineration | treatment | sewer | vent
    cost: np.ndarray         # (K,) EUR/unit before tax
    tax_class: np.ndarray    # (K,) inert | nonhazardous | hazardous | none
    is_sludge: np.ndarray    # (K,) bool
    co2: np.ndarray          # (K,) tCO2/unit

    @classmethod
    def of(cls, resource_ids: tuple[str, ...], resources: dict[str, Resource]) -> OutsideRoutes:
        routes = [(r, d) for r, rid in enumerate(resource_ids) for d in resources[rid].outside_routes()]
        return cls(resource=np.array([r for r, _ in routes], dtype=np.int64),
                   kind=np.array([d.route for _, d in routes], dtype=object),
                   cost=np.array([d.cost_eur() for _, d in routes], dtype=float),
                   tax_class=np.array([d.landfill_tax_class for _, d in routes], dtype=object),
                   is_sludge=np.array([d.sludge for _, d in routes], dtype=bool),
                   co2=np.array([d.co2.value for _, d in routes], dtype=float))

    def cheapest(self, cost: np.ndarray, n_resources: int) -> np.ndarray:
        """Per resource, the route ``k`` with the lowest ``cost`` (K,), the one listed first on a
        tie (the usual route before its alternatives); ``-1`` for a resource with no route."""
        order = np.lexsort((np.arange(len(cost)), cost, self.resource))
        first = np.ones(len(order), dtype=bool)
        first[1:] = self.resource[order][1:] != self.resource[order][:-1]
        chosen = np.full(n_resources, -1, dtype=np.int64)
        chosen[self.resource[order][first]] = order[first]
        return chosen

    @staticmethod
    def per_resource(values: np.ndarray, chosen: np.ndarray, none=0.0) -> np.ndarray:
        """``values`` (K,) of each resource's ``chosen`` route, ``none`` for a resource with no
        route (R,)."""
        picked = np.full(len(chosen), none, dtype=values.dtype)
        picked[chosen >= 0] = values[chosen[chosen >= 0]]
        return picked


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
    routes: OutsideRoutes
    is_input: np.ndarray
    is_residue: np.ndarray
    ceramic_body: np.ndarray      # bool: a body raw material of the ceramic cycle
    ceramic_residue: np.ndarray   # bool: a residue of tile and frit making
    # per archetype × resource (A × R), at activity 1: what a firm needs from other firms or
    # outside (its inputs less what its in-house loops supply) and what it releases (its gross
    # residues less what it recycles in house); what the loops recycle (residue units) and supply
    # (input units)
    inputs: np.ndarray
    outputs: np.ndarray
    recycled_in_house: np.ndarray
    in_house_input: np.ndarray
    # shared-service kinds, in file order (none when the catalogue names no service file)
    services: dict[str, ServiceKind] = field(default_factory=dict)
    services_path: str | None = None

    def index(self, resource_id: str) -> int:
        return self.resource_ids.index(resource_id)

    def archetype_index(self, archetype_id: str) -> int:
        return self.archetype_ids.index(archetype_id)

    @functools.cached_property
    def outside_cost(self) -> np.ndarray:
        """Per resource, the cost of its cheapest outside route before any tax, EUR/unit (0 for an
        input only): the outside cost at catalogue prices, where archetypes' margins are observed.
        Computed once per catalogue (the model asks for it every year)."""
        routes = self.routes
        return routes.per_resource(routes.cost, routes.cheapest(routes.cost, len(self.resource_ids)))


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

    inputs, outputs, recycled, supplied = (np.zeros((len(aids), len(rids))) for _ in range(4))
    for a, aid in enumerate(aids):
        arch = archetype_file.archetypes[aid]
        for rid, fig in arch.inputs.items():
            inputs[a, r_index[rid]] = fig.value
        for rid, fig in arch.outputs.items():
            outputs[a, r_index[rid]] = fig.value
        for rid, loop in arch.in_house.items():
            recycled[a, r_index[rid]] = arch.outputs[rid].value * loop.recycled_share.value
            supplied[a, r_index[loop.replaces]] += (recycled[a, r_index[rid]]
                                                    * _loop_ratio(rid, loop, resources_file.substitutions))
    return Catalogue(
        resource_ids=rids, resources=dict(res), substitutions=tuple(resources_file.substitutions),
        archetype_ids=aids, archetypes=dict(archetype_file.archetypes),
        resources_path=resources_path, archetypes_path=archetypes_path,
        family=np.array([res[r].family for r in rids]),
        unit=np.array([res[r].unit for r in rids]),
        virgin_price=per_resource(lambda x: x.virgin_price and x.virgin_price.value),
        co2_virgin=per_resource(lambda x: x.co2_virgin and x.co2_virgin.value),
        routes=OutsideRoutes.of(rids, res),
        is_input=np.array([res[r].virgin_price is not None for r in rids]),
        is_residue=np.array([res[r].disposal is not None for r in rids]),
        ceramic_body=np.array([res[r].ceramic == "body" for r in rids], dtype=bool),
        ceramic_residue=np.array([res[r].ceramic == "residue" for r in rids], dtype=bool),
        inputs=np.maximum(inputs - supplied, 0.0), outputs=outputs - recycled,
        recycled_in_house=recycled, in_house_input=supplied,
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
