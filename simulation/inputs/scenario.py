"""Reading a scenario file: merged over the defaults and its base, validated, cross-checked.

A scenario YAML (schema: :mod:`simulation.inputs.scenario_schema`) is merged over
``simulation/data/defaults.yaml`` (which gives every behaviour and policy parameter a sourced
default), then validated in one pass so that ``ecodistrict validate`` reports every problem at
once. Cross-references (archetype ids, sector groups, resource ids, service kinds) are checked
against the catalogue the scenario names; the files it names must exist.

A scenario may name another under ``base`` (a path relative to its file): the base, itself merged
over its own base if it names one, lies between the defaults and the scenario, so a policy variant
lists only the lever it changes and does not copy the baseline's district and firms.
"""

from __future__ import annotations

import copy
import functools
import logging
import os
from pathlib import Path
from typing import Any

from pydantic import ValidationError

from simulation.inputs.catalogue import Catalogue, load_catalogue, shipped_path
from simulation.inputs.errors import InputError, Problem, did_you_mean, not_a_file
from simulation.inputs.firm_profiles import load_profiled_firms
from simulation.inputs.plots import build_plots
from simulation.inputs.policy_schema import Policy, Window
from simulation.inputs.scenario_schema import CatalogueRef, District, Firms, Scenario, Years
from simulation.inputs.schema_base import problems_from_validation_error
from simulation.inputs.strict_yaml import load_yaml

DEFAULTS_FILE = "defaults.yaml"


def deep_merge(base: Any, override: Any) -> Any:
    """``override`` over ``base``: mappings merge key by key, anything else is replaced."""
    if isinstance(base, dict) and isinstance(override, dict):
        merged = copy.deepcopy(base)
        for key, value in override.items():
            merged[key] = deep_merge(base[key], value) if key in base else copy.deepcopy(value)
        return merged
    return copy.deepcopy(override)


def _at(document: Any, *keys: str) -> Any:
    """``document[k1][k2]...`` of a merged, not yet validated document, or ``None`` where it has no such entry."""
    for key in keys:
        document = document.get(key) if isinstance(document, dict) else None
    return document


def _named(document: Any, field: str, *, keys: bool = False, item: str | None = None) -> list[tuple[str, str]]:
    """``(dotted field, name)`` of the names a list or mapping at ``field`` of the merged document
    holds: its items (``item``: the key of each item that holds the name), or its keys. Entries of
    the wrong kind are left to the schema's messages."""
    value = _at(document, *field.split("."))
    if keys:
        entries = [(f"{field}.{k}", k) for k in value] if isinstance(value, dict) else []
    else:
        items = list(enumerate(value)) if isinstance(value, list) else []
        entries = [(f"{field}.{i}" + (f".{item}" if item else ""), _at(v, item) if item else v) for i, v in items]
    return [(f, name) for f, name in entries if isinstance(name, str)]


def _reference_problems(merged: dict, catalogue: Catalogue, file: str) -> list[Problem]:
    """Archetype ids used by the scenario must exist in its catalogue.

    Read from the merged document, not the validated scenario, so that they are reported with the
    scenario's other problems (a bad count beside an unknown archetype) in one pass.
    """
    known = catalogue.archetypes
    used = (_named(merged, "firms.incumbents", item="archetype") + _named(merged, "firms.applicants.mix", keys=True)
            + _named(merged, "firms.applicants.queue", item="archetype"))
    defaults = _at(merged, "firms", "profile_defaults", "reference_archetypes")
    if isinstance(defaults, dict):
        used += [(f"firms.profile_defaults.reference_archetypes.{key}", aid) for key, aid in defaults.items()
                 if isinstance(aid, str)]
    return [Problem(file, field, f"unknown archetype {aid!r}",
                    "use an archetype id of the catalogue" + did_you_mean(aid, known))
            for field, aid in used if aid not in known]


def _policy_reference_problems(merged: dict, catalogue: Catalogue, file: str) -> list[Problem]:
    """Sector groups named by the admission rule must be sector groups of the catalogue's archetypes;
    levied resources must be material inputs; services named by the commitments must be service
    kinds of the catalogue. Read from the merged document, as :func:`_reference_problems`."""
    groups = sorted({a.sector_group for a in catalogue.archetypes.values()})
    named = (_named(merged, "policy.admission.sector_max_share", keys=True)
             + _named(merged, "policy.admission.excluded_sectors"))
    problems = [Problem(file, field, f"unknown sector group {g!r}",
                        f"use a sector_group of the archetypes ({', '.join(groups)})" + did_you_mean(g, groups))
                for field, g in named if g not in groups]
    inputs = [r for r in catalogue.resource_ids
              if catalogue.resources[r].family == "material" and catalogue.resources[r].virgin_price is not None]
    for field, rid in _named(merged, "policy.virgin_levy.resources"):
        if rid not in inputs:
            problems.append(Problem(file, field, f"{rid!r} is not a material input",
                                    "name a resource of the catalogue with family material and a virgin_price"
                                    + did_you_mean(rid, inputs)))
    kinds = sorted(getattr(catalogue, "services", {}) or {})
    for field, kind in _named(merged, "policy.commitments.join_services"):
        if kind not in kinds:
            known = f"use a service kind of the catalogue ({', '.join(kinds)})" if kinds else \
                "this catalogue has no shared services: remove the name or give catalogue.services"
            problems.append(Problem(file, field, f"unknown service {kind!r}", known + did_you_mean(kind, kinds)))
    return problems


NAMED_FILES = (("catalogue", "resources"), ("catalogue", "archetypes"), ("catalogue", "services"),
               ("district", "geojson"), ("firms", "profiles"))


def _missing_file_problems(merged: dict, path: Path, file: str) -> list[Problem]:
    """Files the scenario names (catalogue, GeoJSON plots) must exist, relative to its folder.

    Checked here, before anything opens them, so that the problem points at the scenario's field
    the user typed rather than at a resolved path the user never wrote.
    """
    problems = []
    for section, key in NAMED_FILES:
        value = merged.get(section, {}).get(key) if isinstance(merged.get(section), dict) else None
        if isinstance(value, str) and (found := not_a_file(path.parent / value)) is not None:
            problems.append(Problem(file, f"{section}.{key}", f"file {value!r} {found}",
                                    f"give a path relative to the scenario's folder ({path.parent})"))
    return problems


BASE_KEY = "base"
# What a base says of itself and a variant does not inherit: its title and description would
# present the variant as the base (and a variant's partial title would mix with the base's by language).
OWN_KEYS = ("title", "description")


def with_base(raw: dict, path: Path, chain: tuple[Path, ...] = ()) -> dict:
    """``raw`` merged over the scenario its ``base`` key names (recursively); ``raw`` if it names none.

    The base's own file paths (catalogue, GeoJSON) are rewritten to stay relative to the base's
    folder. The base's :data:`OWN_KEYS` are dropped: a variant is shown by its own title (or its
    name). A missing or unreadable base, a base that leads back to a file already in the chain,
    and a variant without its own ``name`` (its runs would pass for the base's) are input errors.
    """
    if BASE_KEY not in raw:
        return raw
    file, value = str(path), raw[BASE_KEY]
    fix = f"give a path relative to the scenario's folder ({path.parent}), e.g. 'base: formigine_baseline.yaml'"
    if not isinstance(value, str) or not value.strip():
        raise InputError.single(file, BASE_KEY, "expected the path of a scenario file", fix)
    base_path = path.parent / value
    if (found := not_a_file(base_path)) is not None:
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
    base = {k: v for k, v in base.items() if k not in OWN_KEYS}
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
    merged = deep_merge(shipped_defaults(), with_base(raw, path))
    problems: list[Problem] = []
    scenario = None
    try:
        scenario = Scenario.model_validate(merged)
    except ValidationError as exc:
        problems.extend(problems_from_validation_error(exc, file, model=Scenario))
    missing = _missing_file_problems(merged, path, file)
    problems.extend(missing)
    catalogue = None
    catalogue_ref = scenario.catalogue if scenario else _section_or_none(CatalogueRef, merged, "catalogue")
    if catalogue_ref is not None and not any(p.field.startswith("catalogue.") for p in missing):
        rpath, apath = resolve_catalogue_paths(catalogue_ref, path)
        try:
            spath = path.parent / catalogue_ref.services if catalogue_ref.services is not None else None
            catalogue = load_catalogue(rpath, apath, spath)
        except InputError as exc:
            problems.extend(exc.problems)
    if catalogue is not None:
        problems.extend(_reference_problems(merged, catalogue, file))
        problems.extend(_policy_reference_problems(merged, catalogue, file))
        firms = scenario.firms if scenario else _section_or_none(Firms, merged, "firms")
        if firms is not None and firms.profiles is not None and not any(p.field == "firms.profiles" for p in missing):
            try:
                load_profiled_firms(firms, catalogue, path.parent, file)
            except InputError as exc:
                problems.extend(exc.problems)
    if problems:
        raise InputError(problems + _plot_problems(merged, path, missing))
    warn_policy_windows(scenario, file)
    return LoadedScenario(scenario, catalogue, path, raw)


def _plot_problems(merged: dict, path: Path, missing: list[Problem]) -> list[Problem]:
    """Problems of the GeoJSON plot file, when the scenario has other problems and will not be built
    into a World (which reads that file): so that ``validate`` reports them in the same pass."""
    district = _section_or_none(District, merged, "district")
    if district is None or district.geojson is None or any(p.field == "district.geojson" for p in missing):
        return []
    try:
        build_plots(district, path.parent)
    except InputError as exc:
        return exc.problems
    return []


def _section_or_none(model: type, merged: dict, key: str):
    """One section of the merged document validated alone, or ``None`` when it is invalid: so that
    the checks that need it are made with the scenario's other problems."""
    try:
        return model.model_validate(merged.get(key) or {})
    except ValidationError:
        return None


logger = logging.getLogger(__name__)
_warned: set[str] = set()  # warnings given in this process: an experiment checks its base once per value tried


@functools.cache
def _parsed_defaults() -> dict:
    return load_yaml(shipped_path(DEFAULTS_FILE))


def shipped_defaults() -> dict:
    """The shipped defaults document (``simulation/data/defaults.yaml``), parsed once per process;
    a fresh copy each call, so a caller may change it."""
    return copy.deepcopy(_parsed_defaults())


@functools.cache
def policy_in_force_by_default() -> Policy:
    """The shipped defaults' policy: what applies outside an instrument's ``start_year``/``end_year``
    window, so that a scenario raising the landfill tax from 2030 keeps the regional rate before
    2030 instead of none (README, the policy section; ODD §7.1). Validated once per process and
    shared: nothing changes a Policy after validation."""
    return Policy.model_validate(_parsed_defaults()["policy"])


def warn_policy_windows(scenario: Scenario, file: str) -> None:
    """Log a warning for every policy instrument whose ``start_year``-``end_year`` window lies
    entirely outside the simulated years: valid, but it can have no effect, which is seldom meant."""
    first, last = scenario.years.start, scenario.years.end
    for name in type(scenario.policy).model_fields:
        window = getattr(scenario.policy, name)
        if not isinstance(window, Window) or (window.start_year is None and window.end_year is None):
            continue
        start = first if window.start_year is None else window.start_year
        end = last if window.end_year is None else window.end_year
        if end < first or start > last:
            shown = (f"until {end}" if window.start_year is None else f"from {start}" if window.end_year is None
                     else f"{start}-{end}")
            message = (f"{file}: policy.{name}: in force {shown}, outside the simulated years {first}-{last}: "
                       "it has no effect (check its start_year and end_year)")
            if message not in _warned:
                _warned.add(message)
                logger.warning(message)


def load_scenario(path: str | Path) -> LoadedScenario:
    """Read, merge over defaults and validate a scenario file. Raises InputError."""
    path = Path(path)
    return validate_scenario_data(load_yaml(path), path)


def with_overrides(scenario: Scenario, *, seed: int | None = None, years: int | None = None) -> Scenario:
    """The scenario with the CLI's ``--seed``/``--years`` applied.

    ``--years N`` simulates the first N years of the scenario's span, so N is at most the span
    (checked here, not by argparse: the bound depends on the scenario).
    """
    update: dict[str, Any] = {}
    if seed is not None:
        update["seed"] = seed
    if years is not None:
        span = scenario.years
        if years > span.count:
            raise InputError.single("command line", "--years",
                                    f"{years} years from {span.start} would end in {span.start + years - 1}, "
                                    f"after the scenario's last year {span.end}",
                                    f"give --years {span.count} or fewer: it simulates only the first N years of "
                                    f"{span.start}-{span.end}; change years.end in the scenario to simulate more")
        update["years"] = Years(start=span.start, end=span.start + years - 1)
    return scenario.model_copy(update=update)


def input_files(loaded: LoadedScenario) -> dict[str, Path]:
    """Every file a scenario is read from, by role, in a fixed order: the scenario and its
    ``base:`` chain (``scenario``, ``scenario.base``, ``scenario.base.base``, ...), its catalogue
    files, the shipped defaults, and the GeoJSON plots and firm profiles it names. The inputs an
    ``--out`` must spare, and those a sweep's ``--resume`` must find unchanged."""
    files = {"scenario": loaded.path}
    path, raw, depth = loaded.path, loaded.raw, 0
    while isinstance(raw, dict) and isinstance(raw.get(BASE_KEY), str):  # validation refused cycles
        path, depth = path.parent / raw[BASE_KEY], depth + 1
        files["scenario" + ".base" * depth] = path
        raw = load_yaml(path)
    catalogue, scenario = loaded.catalogue, loaded.scenario
    for role, name in (("resources", catalogue.resources_path), ("archetypes", catalogue.archetypes_path),
                       ("services", catalogue.services_path)):
        if name:
            files["catalogue." + role] = Path(name)
    files["defaults"] = shipped_path(DEFAULTS_FILE)
    for role, name in (("district.geojson", scenario.district.geojson), ("firms.profiles", scenario.firms.profiles)):
        if name:
            files[role] = loaded.path.parent / name
    return files
