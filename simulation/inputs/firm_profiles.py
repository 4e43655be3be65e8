"""Firm profile files (docs/ODD.md §6.5): real firms described by their yearly flows, one CSV row per flow.

A municipality, a park manager or a matchmaking platform (the Formigine lab, ENEA's symbiosis
platform, SYNERGie) profiles firms with a questionnaire: where each firm is, its sector and size,
and what it buys and what it throws away each year. This module reads that table, checks it
against a resource catalogue, and converts every quantity to the catalogue's unit.

Columns (header on the first non-comment line, any order):

==========  ====================================================================================
firm        the firm's name or code (rows with the same name are one firm)
sector      NACE code, e.g. ``23.31``
x_km, y_km  position in km in a projected frame (e.g. UTM km, or km from a local origin)
employees   persons (full-time equivalents allowed), > 0
direction   ``in`` (an input the firm buys) or ``out`` (a residue the firm emits)
resource    a resource id of the catalogue
quantity    per year, >= 0, in ``unit``
unit        ``t``/``kg`` (material), ``MWh``/``kWh`` (energy), ``m3``/``l`` (water); ``/yr`` may follow
source      optional: where the figure comes from (``assumption`` when guessed)
note        optional: free text
==========  ====================================================================================

Lines starting with ``#`` are comments; blank lines are skipped. A file exported by a
spreadsheet with ``;`` between values may write decimals with a comma (``12,5``).

Every problem is reported at once as ``file: row N.column: message (fix)``, ``N`` being the line
number in the file (the row number a spreadsheet shows).

:func:`profiled_archetypes` turns profiled firms into one-firm archetypes so that a scenario can
start from the firms a municipality actually profiled (``firms.profiles`` in a scenario).

"Profile" means three things in this project; only the first is this module. A *firm profile
file* is this table of real firms' flows. The scenario's ``firms.profile_defaults``
(:class:`~simulation.inputs.scenario_schema.ProfileDefaults`) fills in what such a file does not
say (plot area, turnover, margin borrowed from a reference archetype). *Profiling* an applicant
(:mod:`simulation.policy.profiling`, the scenario's ``policy.profiling`` weights) is the planning
authority's circularity-potential score used for admission; it reads no profile file.
"""

from __future__ import annotations

import csv
import dataclasses
import math
from dataclasses import dataclass
from pathlib import Path

import numpy as np
from pydantic import ValidationError

from simulation.inputs.bounds import MAX_COORDINATE_M, MAX_CSV_BYTES, MAX_EMPLOYEES, MAX_FLOW_PER_YEAR
from simulation.inputs.catalogue import Catalogue
from simulation.inputs.catalogue_schema import Archetype
from simulation.inputs.errors import InputError, Problem, did_you_mean, read_input_text
from simulation.inputs.schema_base import Sourced, problems_from_validation_error

REQUIRED_COLUMNS = ("firm", "sector", "x_km", "y_km", "employees", "direction", "resource", "quantity", "unit")
OPTIONAL_COLUMNS = ("source", "note")
# Accepted units: (the catalogue unit it converts to, factor).
UNITS: dict[str, tuple[str, float]] = {
    "t": ("t", 1.0), "kg": ("t", 1e-3),
    "MWh": ("MWh", 1.0), "kWh": ("MWh", 1e-3),
    "m3": ("m3", 1.0), "l": ("m3", 1e-3),
}
DIRECTIONS = ("in", "out")
PROFILE_ARCHETYPE_PREFIX = "profile:"


@dataclass(frozen=True)
class FirmProfiles:
    """Profiled firms (index ``f``, in order of first appearance) and their yearly flows.

    ``inputs`` and ``outputs`` are F × R arrays in the catalogue's units per year (R = the
    catalogue's resources, in its order).
    """

    path: str
    firm: tuple[str, ...]
    sector: tuple[str, ...]
    x_km: np.ndarray
    y_km: np.ndarray
    employees: np.ndarray
    inputs: np.ndarray
    outputs: np.ndarray
    rows: int                # flows read

    def __len__(self) -> int:
        return len(self.firm)

    @property
    def xy_km(self) -> np.ndarray:
        return np.column_stack([self.x_km, self.y_km])


def _number(text: str, decimal_comma: bool) -> float | None:
    text = text.strip()
    if decimal_comma and "," in text and "." not in text:
        text = text.replace(",", ".")
    try:
        value = float(text)
    except ValueError:
        return None
    return value if math.isfinite(value) else None


def _unit_of(text: str) -> str:
    """The unit without a trailing ``/yr`` (quantities are yearly anyway)."""
    text = text.strip()
    for suffix in ("/yr", "/year", "/y"):
        if text.endswith(suffix):
            return text[: -len(suffix)].strip()
    return text


def _read_lines(path: Path) -> list[tuple[int, str]]:
    text = read_input_text(path, "a .csv file", "CSV, UTF-8 encoded", MAX_CSV_BYTES,
                           encoding="utf-8-sig")  # Excel writes a BOM
    return [(n, line) for n, line in enumerate(text.splitlines(), start=1)
            if line.strip() and not line.lstrip().startswith("#")]


def read_profiles(path: str | Path, catalogue: Catalogue) -> FirmProfiles:
    """Read and check a profile file against ``catalogue``; raise InputError with every problem."""
    path = Path(path)
    file = str(path)
    lines = _read_lines(path)
    if not lines:
        raise InputError.single(file, "", "the file is empty",
                                "write a header line (" + ", ".join(REQUIRED_COLUMNS) + ") and one line per flow")
    header_line, header_text = lines[0]
    delimiter = max((",", ";", "\t"), key=header_text.count)
    decimal_comma = delimiter != ","
    parsed = list(csv.reader([text for _, text in lines], delimiter=delimiter))
    header = [h.strip() for h in parsed[0]]
    problems: list[Problem] = []
    known = REQUIRED_COLUMNS + OPTIONAL_COLUMNS
    for column in REQUIRED_COLUMNS:
        if column not in header:
            problems.append(Problem(file, f"row {header_line}", f"missing column {column!r}",
                                    "add it to the header; the columns are " + ", ".join(REQUIRED_COLUMNS)
                                    + did_you_mean(column, [h for h in header if h not in known])))
    for column in header:
        if column not in known:
            problems.append(Problem(file, f"row {header_line}.{column or repr(column)}", "unknown column",
                                    "remove it or rename it to one of " + ", ".join(known)
                                    + did_you_mean(column, known)))
    repeated = sorted({h for h in header if header.count(h) > 1})
    for column in repeated:
        problems.append(Problem(file, f"row {header_line}.{column}", "the column appears twice",
                                "keep one column of that name"))
    if problems:
        raise InputError(problems)
    if len(parsed) == 1:
        raise InputError.single(file, f"row {header_line}", "the file has a header but no flows",
                                "add one line per flow below the header")

    col = {h: k for k, h in enumerate(header)}
    res = catalogue.resources
    r_index = {rid: r for r, rid in enumerate(catalogue.resource_ids)}
    firms: dict[str, dict] = {}
    seen: dict[tuple[str, str, str], int] = {}
    flows: list[tuple[str, str, int, float]] = []
    for (line_no, _), values in zip(lines[1:], parsed[1:]):
        where = f"row {line_no}"
        if len(values) > len(header):
            problems.append(Problem(file, where, f"{len(values)} values but the header has {len(header)} columns",
                                    f"remove the extra values, or quote a value that contains {delimiter!r}"))
            continue
        cell = {h: (values[k].strip() if k < len(values) else "") for h, k in col.items()}
        row_problems = len(problems)

        def bad(column: str, message: str, fix: str, where: str = where) -> None:
            problems.append(Problem(file, f"{where}.{column}", message, fix))

        firm = cell["firm"]
        if not firm:
            bad("firm", "the firm is blank", "give the firm's name or code on every row")
        sector = cell["sector"]
        if not sector:
            bad("sector", "the sector is blank", "give the firm's NACE code, e.g. 23.31")
        numbers = {}
        for column in ("x_km", "y_km"):
            if not cell[column]:
                bad(column, "missing coordinate", f"give the firm's {column[0]} position in km")
                continue
            numbers[column] = _number(cell[column], decimal_comma)
            if numbers[column] is None:
                bad(column, f"{cell[column]!r} is not a number", "give the position in km, e.g. 12.35")
            elif (problem := MAX_COORDINATE_M.problem(numbers[column] * 1000, "m")) is not None:
                bad(column, *problem)
        employees = _number(cell["employees"], decimal_comma) if cell["employees"] else None
        if employees is None or employees <= 0:
            shown = repr(cell["employees"]) if cell["employees"] else "blank"
            bad("employees", f"employees is {shown}", "give the number of persons employed, a number > 0")
        elif (problem := MAX_EMPLOYEES.problem(employees, "persons")) is not None:
            bad("employees", *problem)
        direction = cell["direction"].lower()
        if direction not in DIRECTIONS:
            bad("direction", f"direction is {cell['direction']!r}",
                "write 'in' for an input the firm buys or 'out' for a residue it emits")
        rid = cell["resource"]
        resource = res.get(rid)
        if resource is None:
            bad("resource", f"unknown resource {rid!r}", "use a resource id of the catalogue" + did_you_mean(rid, res))
        elif direction == "out" and resource.disposal is None:
            bad("resource", f"{rid!r} is not a residue in the catalogue (it has no disposal)",
                "list it with direction 'in', or name the residue it is (e.g. its scrap or waste)")
        elif direction == "in" and resource.virgin_price is None:
            bad("resource", f"{rid!r} is not an input in the catalogue (it has no virgin_price)",
                "list it with direction 'out', or name the input it replaces")
        quantity = _number(cell["quantity"], decimal_comma) if cell["quantity"] else None
        if quantity is None:
            shown = repr(cell["quantity"]) if cell["quantity"] else "blank"
            bad("quantity", f"quantity is {shown}, not a number", "give the yearly quantity as a number >= 0")
        elif quantity < 0:
            bad("quantity", f"negative quantity ({quantity:g})", "give the yearly quantity as a number >= 0")
        unit = _unit_of(cell["unit"])
        factor = None
        if unit not in UNITS:
            bad("unit", f"unknown unit {cell['unit']!r}",
                "use t or kg (materials), MWh or kWh (energy), m3 or l (water)" + did_you_mean(unit, UNITS))
        elif resource is not None and UNITS[unit][0] != resource.unit:
            family_units = [u for u, (base, _) in UNITS.items() if base == resource.unit]
            bad("unit", f"{rid!r} is a {resource.family} resource counted in {resource.unit}; "
                f"{unit!r} does not measure it",
                f"give the quantity in {' or '.join(family_units)}")
        else:
            factor = UNITS[unit][1]
            if quantity is not None and (problem := MAX_FLOW_PER_YEAR.problem(quantity * factor,
                                                                             f"{UNITS[unit][0]}/yr")) is not None:
                bad("quantity", *problem)
        if len(problems) > row_problems:
            continue
        key = (firm, direction, rid)
        if key in seen:
            bad("resource", f"firm {firm!r} already lists {direction} {rid!r} on row {seen[key]}",
                "keep one row per firm, direction and resource (add the quantities up)")
            continue
        seen[key] = line_no
        identity = {"sector": sector, "x_km": numbers["x_km"], "y_km": numbers["y_km"], "employees": employees}
        first = firms.setdefault(firm, {**identity, "row": line_no})
        disagree = [c for c in identity if first[c] != identity[c]]
        for column in disagree:
            bad(column, f"firm {firm!r} has {column} {first[column]!r} on row {first['row']} "
                f"but {identity[column]!r} here",
                "give the same value on every row of a firm")
        if disagree:
            continue
        flows.append((firm, direction, r_index[rid], quantity * factor))
    if problems:
        raise InputError(problems)

    names = list(firms)
    f_index = {name: f for f, name in enumerate(names)}
    inputs = np.zeros((len(names), len(catalogue.resource_ids)))
    outputs = np.zeros_like(inputs)
    for firm, direction, r, q in flows:
        (outputs if direction == "out" else inputs)[f_index[firm], r] = q
    return FirmProfiles(
        path=file, firm=tuple(names), sector=tuple(firms[n]["sector"] for n in names),
        x_km=np.array([firms[n]["x_km"] for n in names]), y_km=np.array([firms[n]["y_km"] for n in names]),
        employees=np.array([firms[n]["employees"] for n in names]), inputs=inputs, outputs=outputs,
        rows=len(flows))


# ---------------------------------------------------------------------------------------------
# Profiled firms in a simulation: one archetype per firm, economics borrowed from a reference.

def _nace_digits(code: str) -> str:
    return "".join(c for c in code if c.isdigit())


def _common_prefix(a: str, b: str) -> int:
    n = 0
    for x, y in zip(a, b):
        if x != y:
            break
        n += 1
    return n


def reference_archetype(f: int, profiles: FirmProfiles, catalogue: Catalogue,
                        chosen: dict[str, str]) -> str | None:
    """The archetype lending firm ``f`` what its profile does not say (plot area, radius of action,
    turnover per employee, operating margin, cost pass-through).

    ``chosen`` (the scenario's ``firms.profile_defaults.reference_archetypes``) maps a firm name or
    a sector code to an archetype id; the firm's name is looked up first. Otherwise the archetype
    with the longest common NACE prefix (at least the division, 2 digits) is taken; ties go to
    the one sharing more flows with the firm (same resource, same direction), then to the one
    closest in employees, then to the first in the catalogue. ``None`` when no archetype shares
    the firm's NACE division.
    """
    name, sector = profiles.firm[f], profiles.sector[f]
    if name in chosen:
        return chosen[name]
    if sector in chosen:
        return chosen[sector]
    digits = _nace_digits(sector)
    best, best_score = None, None
    uses_in, uses_out = profiles.inputs[f] > 0, profiles.outputs[f] > 0
    for a, aid in enumerate(catalogue.archetype_ids):
        arch = catalogue.archetypes[aid]
        prefix = _common_prefix(digits, _nace_digits(arch.sector))
        if prefix < 2:
            continue
        shared = int(np.count_nonzero(uses_in & (catalogue.inputs[a] > 0))
                     + np.count_nonzero(uses_out & (catalogue.outputs[a] > 0)))
        closeness = -abs(math.log(profiles.employees[f] / max(arch.employees.value, 1e-9)))
        score = (prefix, shared, closeness)
        if best_score is None or score > best_score:
            best, best_score = aid, score
    return best


@dataclass(frozen=True)
class ProfiledFirms:
    """Profiled firms ready to enter a simulation: one archetype each (ids ``profile:<firm>``)."""

    profiles: FirmProfiles
    archetype_ids: tuple[str, ...]
    archetypes: tuple[Archetype, ...]
    reference: tuple[str, ...]   # archetype each firm borrows its economics from


def profiled_archetypes(profiles: FirmProfiles, catalogue: Catalogue, chosen: dict[str, str],
                        scenario_file: str, field: str) -> ProfiledFirms:
    """One archetype per profiled firm: its own flows and employees; plot area, radius of action,
    turnover (per employee) and operating margin of its reference archetype (an assumption, marked
    as such in each figure's source)."""
    problems, ids, archetypes, references = [], [], [], []
    for f, name in enumerate(profiles.firm):
        ref_id = reference_archetype(f, profiles, catalogue, chosen)
        if ref_id is None or ref_id not in catalogue.archetypes:
            problems.append(Problem(
                scenario_file, field,
                f"no archetype of the catalogue shares the NACE division of firm {name!r} "
                f"(sector {profiles.sector[f]})",
                f"name one for it under firms.profile_defaults.reference_archetypes, e.g. {{{profiles.sector[f]!r}: "
                f"{catalogue.archetype_ids[0]}}}"))
            continue
        ref = catalogue.archetypes[ref_id]
        scale = profiles.employees[f] / max(ref.employees.value, 1e-9)
        why = f"assumption: reference archetype {ref_id}"

        def flows(table: np.ndarray, f: int = f) -> dict[str, Sourced]:
            return {rid: Sourced(value=float(q), unit=f"{catalogue.resources[rid].unit}/yr",
                                 source=f"profile file {profiles.path}")
                    for rid, q in zip(catalogue.resource_ids, table[f].tolist()) if q > 0}

        try:
            archetypes.append(Archetype(
                name=f"{name} (profiled)", sector=profiles.sector[f], sector_group=ref.sector_group,
                employees=Sourced(value=float(profiles.employees[f]), unit="persons",
                                  source=f"profile file {profiles.path}"),
                plot_area=Sourced(value=ref.plot_area.value * scale, unit="m2",
                                  source=f"{why}, plot area scaled by employees"),
                radius_of_action=ref.radius_of_action.model_copy(update={"source": f"{why}"}),
                turnover=Sourced(value=ref.turnover.value * scale, unit="EUR/yr",
                                 source=f"{why}, turnover per employee"),
                operating_margin=ref.operating_margin.model_copy(update={"source": f"{why}"}),
                cost_pass_through=(None if ref.cost_pass_through is None
                                   else ref.cost_pass_through.model_copy(update={"source": f"{why}"})),
                inputs=flows(profiles.inputs), outputs=flows(profiles.outputs)))
        except ValidationError as exc:  # a plot area or turnover scaled beyond a bound
            first = problems_from_validation_error(exc, scenario_file)[0]
            problems.append(Problem(scenario_file, field, f"firm {name!r} has {profiles.employees[f]:g} employees, "
                                    f"its reference archetype {ref_id!r} {ref.employees.value:g}: scaled by "
                                    f"employees, {first.field}: {first.message}",
                                    "name a reference archetype of a size closer to the firm's under "
                                    "firms.profile_defaults.reference_archetypes"))
            continue
        ids.append(PROFILE_ARCHETYPE_PREFIX + name)
        references.append(ref_id)
    if problems:
        raise InputError(problems)
    return ProfiledFirms(profiles, tuple(ids), tuple(archetypes), tuple(references))


def with_profiled_archetypes(catalogue: Catalogue, profiled: ProfiledFirms) -> Catalogue:
    """``catalogue`` with the profiled firms' archetypes appended (after the catalogue's own)."""
    p = profiled.profiles
    return dataclasses.replace(
        catalogue,
        archetype_ids=catalogue.archetype_ids + profiled.archetype_ids,
        archetypes={**catalogue.archetypes, **dict(zip(profiled.archetype_ids, profiled.archetypes))},
        inputs=np.vstack([catalogue.inputs, p.inputs]),
        outputs=np.vstack([catalogue.outputs, p.outputs]),
        # a profile states what a firm buys and releases: no in-house loop of its own
        recycled_in_house=np.vstack([catalogue.recycled_in_house, np.zeros_like(p.outputs)]),
        in_house_input=np.vstack([catalogue.in_house_input, np.zeros_like(p.inputs)]),
    )


def validate_profile_file(path: str | Path) -> FirmProfiles:
    """Check a profile file against the ``resources.yaml`` beside it, or the shipped catalogue."""
    from simulation.inputs.catalogue import SHIPPED_RESOURCES, load_resource_catalogue
    sibling = Path(path).parent / SHIPPED_RESOURCES
    return read_profiles(path, load_resource_catalogue(sibling if sibling.is_file() else None))


def load_profiled_firms(firms, catalogue: Catalogue, scenario_dir: str | Path,
                        scenario_file: str) -> ProfiledFirms | None:
    """The profiled firms a scenario's ``firms`` section names (``profiles``, relative to the
    scenario's folder), as one-firm archetypes; ``None`` when it names no profile file."""
    if firms.profiles is None:
        return None
    profiles = read_profiles(Path(scenario_dir) / firms.profiles, catalogue)
    chosen = {key: aid for key, aid in firms.profile_defaults.reference_archetypes.items()
              if aid in catalogue.archetypes}
    return profiled_archetypes(profiles, catalogue, chosen, scenario_file, "firms.profiles")
