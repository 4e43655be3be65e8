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
import os
from pathlib import Path
from typing import Any

from pydantic import ValidationError

from simulation.inputs.catalogue import Catalogue, load_catalogue, shipped_path
from simulation.inputs.errors import InputError, Problem, did_you_mean
from simulation.inputs.firm_profiles import load_profiled_firms
from simulation.inputs.policy_schema import Policy
from simulation.inputs.scenario_schema import LAST_YEAR, CatalogueRef, Firms, Scenario, Years
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
                    "use an archetype id of the catalogue" + did_you_mean(aid, known))
            for field, aid in used if aid not in known]


def _policy_reference_problems(policy: Policy, catalogue: Catalogue, file: str) -> list[Problem]:
    """Sector groups named by the admission rule must be sector groups of the catalogue's archetypes;
    levied resources must be material inputs; services named by the commitments must be service
    kinds of the catalogue."""
    groups = sorted({a.sector_group for a in catalogue.archetypes.values()})
    named = [(f"policy.admission.sector_max_share.{g}", g) for g in policy.admission.sector_max_share]
    named += [(f"policy.admission.excluded_sectors.{i}", g) for i, g in enumerate(policy.admission.excluded_sectors)]
    problems = [Problem(file, field, f"unknown sector group {g!r}",
                        f"use a sector_group of the archetypes ({', '.join(groups)})" + did_you_mean(g, groups))
                for field, g in named if g not in groups]
    inputs = [r for r in catalogue.resource_ids
              if catalogue.resources[r].family == "material" and catalogue.resources[r].virgin_price is not None]
    for i, rid in enumerate(policy.virgin_levy.resources):
        if rid not in inputs:
            problems.append(Problem(file, f"policy.virgin_levy.resources.{i}", f"{rid!r} is not a material input",
                                    "name a resource of the catalogue with family material and a virgin_price"
                                    + did_you_mean(rid, inputs)))
    kinds = sorted(getattr(catalogue, "services", {}) or {})
    for i, kind in enumerate(policy.commitments.join_services):
        if kind not in kinds:
            known = f"use a service kind of the catalogue ({', '.join(kinds)})" if kinds else \
                "this catalogue has no shared services: remove the name or give catalogue.services"
            problems.append(Problem(file, f"policy.commitments.join_services.{i}", f"unknown service {kind!r}",
                                    known + did_you_mean(kind, kinds)))
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
