"""The folders a comparison reads, gathered into one tidy table of replicated runs.

``ecodistrict compare`` accepts **run folders** (one run each, from ``ecodistrict run``) and
**sweep folders** (many runs, from ``ecodistrict sweep``, read with
:func:`analysis.sweep_results.load_sweep`); the two are told apart by their ``manifest.json``
(a sweep's names an ``experiment``). Run folders of the same scenario name are replicates of that
scenario. Each point of a grid sweep is a scenario of its own, named
``<experiment>/<parameter>=<value>``. A sampled sweep (Sobol', Morris, Latin hypercube) has too
many points to compare one by one: it contributes its sensitivity indices. What a reader sees of
each scenario is its title, in each report language (:attr:`ComparisonInputs.titles`): the
scenario file's ``title``, its name without one; a grid point's is
``<experiment title>: <lever label> = <value>``. Runs are identified by
``(scenario, seed)``, so that scenarios can be paired with the baseline on their seeds.

Everything a comparison could silently get wrong is refused as an input error: a folder that
is neither kind, the same run given twice, two folders that claim the same scenario name but
were run with different settings (they are not replicates), and scenarios simulated over
different years.
"""

from __future__ import annotations

import json
import logging
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import pandas as pd

from analysis.families import indicators_in
from analysis.i18n import Texts
from analysis.run_folder import RunFolder, load_run
from analysis.sweep_results import load_sweep
from simulation.inputs.errors import InputError
from simulation.inputs.localised import LANGUAGES, in_language
from simulation.world import set_fields

FOLDER_FIX = "give folders written by 'ecodistrict run' or 'ecodistrict sweep'"
# Settings that may differ between replicates of one scenario without making them different scenarios.
REPLICATE_KEYS = ("seed", "title", "description")

log = logging.getLogger(__name__)


@dataclass
class ComparisonInputs:
    """Runs to compare, as one table, with what is known about each scenario and folder."""

    indicators: pd.DataFrame                   # one row per run and year: scenario, seed, year, indicators
    indicator_names: list[str]
    definitions: dict[str, dict]               # scenario -> resolved settings, in the order first given
    descriptions: dict[str, Any]               # scenario -> {lang: text} (or a plain text, from older runs)
    runs: dict[tuple[str, int], RunFolder]     # run folders (not sweeps): for the map and residue fates
    provenance: pd.DataFrame                   # one row per folder: folder, kind, scenario, seeds, versions
    sensitivity: dict[str, pd.DataFrame]       # sampled sweep name -> its sensitivity.csv
    notes: list[tuple[str, dict]]              # warnings for the reader, as (text key, values)
    # grid sweep point -> (experiment, {dotted parameter: level}): for the dose-response chart
    levels: dict[str, tuple[str, dict[str, Any]]] = field(default_factory=dict)
    titles: dict[str, dict[str, str]] = field(default_factory=dict)            # scenario -> {lang: title}
    experiment_titles: dict[str, dict[str, str]] = field(default_factory=dict)  # sweep -> {lang: title}

    @property
    def scenarios(self) -> list[str]:
        return list(self.definitions)


@dataclass
class _Part:
    """What one folder brings."""

    folder: Path
    table: pd.DataFrame | None = None
    definitions: dict[str, dict] = field(default_factory=dict)
    descriptions: dict[str, Any] = field(default_factory=dict)
    titles: dict[str, dict[str, str]] = field(default_factory=dict)
    experiment_titles: dict[str, dict[str, str]] = field(default_factory=dict)
    run: RunFolder | None = None
    sensitivity: dict[str, pd.DataFrame] = field(default_factory=dict)
    notes: list[tuple[str, dict]] = field(default_factory=list)
    provenance: dict = field(default_factory=dict)
    levels: dict[str, tuple[str, dict[str, Any]]] = field(default_factory=dict)


def flatten(node: Any, prefix: str = "") -> dict[str, Any]:
    """Nested mappings as ``{dotted.key: value}`` (lists are kept whole)."""
    if isinstance(node, dict):
        out: dict[str, Any] = {}
        for key, value in node.items():
            out.update(flatten(value, f"{prefix}.{key}" if prefix else str(key)))
        return out
    return {prefix: node}


def differences(a: dict, b: dict) -> dict[str, tuple[Any, Any]]:
    """Dotted keys whose values differ between two nested mappings: ``{key: (a's, b's)}``."""
    fa, fb = flatten(a), flatten(b)
    return {k: (fa.get(k), fb.get(k)) for k in sorted(fa.keys() | fb.keys()) if fa.get(k) != fb.get(k)}


def _manifest(path: Path) -> dict:
    if not path.exists():
        raise InputError.single(path, "", "folder not found", "check the path; " + FOLDER_FIX)
    if not path.is_dir():
        raise InputError.single(path, "", "is a file, not a folder", FOLDER_FIX)
    file = path / "manifest.json"
    if not file.is_file():
        raise InputError.single(path, "", "not a run folder or a sweep folder: it has no manifest.json", FOLDER_FIX)
    try:
        manifest = json.loads(file.read_text(encoding="utf-8"))
    except (json.JSONDecodeError, UnicodeDecodeError) as exc:
        raise InputError.single(file, "", f"not valid JSON ({exc.__class__.__name__})", FOLDER_FIX) from None
    if not isinstance(manifest, dict):
        raise InputError.single(file, "", "not a JSON object", FOLDER_FIX)
    return manifest


def _read_run(path: Path) -> _Part:
    run = load_run(path)
    scenario, seed = run.manifest.get("scenario"), run.manifest.get("seed")
    name = scenario.get("name") if isinstance(scenario, dict) else None
    if not isinstance(name, str) or not isinstance(seed, int):
        raise InputError.single(path / "manifest.json", "seed" if isinstance(name, str) else "scenario.name",
                                "missing: the manifest does not say which scenario and seed were run",
                                "run the scenario again with 'ecodistrict run'")
    log.info("%s: run folder of scenario %s, seed %d", path, name, seed)
    return _Part(folder=path, run=run, table=run.indicators.assign(scenario=name, seed=seed),
                 definitions={name: {k: v for k, v in scenario.items() if k not in REPLICATE_KEYS}},
                 descriptions={name: scenario.get("description", "")},
                 titles={name: _titles(scenario.get("title"), name)},
                 provenance=_provenance(path, "run", name, [seed], run.manifest))


def _point_label(experiment: str, point: dict[str, Any]) -> str:
    """``landfill_tax_grid/nonhazardous_eur_per_t=40``: the parameters' last names where they are unique."""
    last = [p.rsplit(".", 1)[-1] for p in point]
    names = last if len(set(last)) == len(last) else list(point)
    values = [f"{v:g}" if isinstance(v, float) else str(v) for v in point.values()]
    return f"{experiment}/" + ",".join(f"{n}={v}" for n, v in zip(names, values))


def _titles(title: Any, default: str) -> dict[str, str]:
    """``{lang: title}`` from a manifest's title (a mapping, a plain text, or none: ``default``)."""
    return {lang: in_language(title, lang, default=default) for lang in LANGUAGES}


def _point_titles(experiment: dict[str, str], point: dict[str, Any]) -> dict[str, str]:
    """``Landfill tax grid: landfill tax on non-hazardous waste (EUR/t) = 12`` in each language."""
    out = {}
    for lang in LANGUAGES:
        texts = Texts(lang)
        levels = ", ".join(f"{texts.parameter(p)} = {texts.level(v)}" for p, v in point.items())
        out[lang] = f"{experiment[lang]}: {levels}"
    return out


def _read_sweep(path: Path, manifest: dict) -> _Part:
    experiment = manifest.get("experiment") or {}
    name = experiment.get("name", path.name)
    tidy = load_sweep(path)
    part = _Part(folder=path, experiment_titles={name: _titles(experiment.get("title"), name)})
    finished, planned = tidy.run.nunique(), manifest.get("runs", 0)
    log.info("%s: sweep folder of experiment %s, %d of %d runs finished", path, name, finished, planned)
    if finished < planned:
        part.notes.append(("warn_sweep_unfinished", {"name": name, "done": finished, "total": planned}))
    seeds = sorted(int(s) for s in tidy.seed.unique())
    if experiment.get("design"):
        sensitivity = path / "sensitivity.csv"
        if sensitivity.is_file():
            part.sensitivity[name] = pd.read_csv(sensitivity)
        else:
            part.notes.append(("warn_no_sensitivity", {"name": name}))
        part.provenance = _provenance(path, "sweep", name, seeds, manifest)
        return part
    if tidy.empty:
        raise InputError.single(path, "runs", "the sweep has no finished run",
                                "run the sweep, or add --resume to finish it")
    base = {k: v for k, v in (manifest.get("scenario") or {}).items() if k not in REPLICATE_KEYS}
    years = {"start": int(tidy.year.min()), "end": int(tidy.year.max())}
    labels = {}
    for index, point in enumerate(manifest["points"]):
        label = labels[index] = _point_label(name, point)
        part.definitions[label] = {**set_fields(base, point), "name": label, "years": years}
        part.levels[label] = (name, dict(point))
        part.descriptions[label] = experiment.get("description", "")
        part.titles[label] = _point_titles(part.experiment_titles[name], point)
    part.table = tidy.assign(scenario=tidy.point.map(labels))
    part.provenance = _provenance(path, "sweep", ", ".join(labels.values()), seeds, manifest)
    return part


def load_inputs(paths: list[str | Path]) -> ComparisonInputs:
    """Read every folder and check that together they make a comparison; raise InputError if not."""
    definitions: dict[str, dict] = {}
    descriptions: dict[str, Any] = {}
    titles: dict[str, dict[str, str]] = {}
    experiment_titles: dict[str, dict[str, str]] = {}
    sources: dict[str, Path] = {}
    seen: dict[tuple[str, int], Path] = {}
    frames, runs, rows, notes, sensitivity, levels = [], {}, [], [], {}, {}
    for path in map(Path, paths):
        manifest = _manifest(path)
        part = _read_sweep(path, manifest) if "experiment" in manifest else _read_run(path)
        for scenario, settings in part.definitions.items():
            if scenario in definitions and settings != definitions[scenario]:
                key, (first, here) = next(iter(differences(definitions[scenario], settings).items()))
                raise InputError.single(path / "manifest.json", f"scenario.{key}",
                                        f"scenario {scenario!r} was run with {key} = {here!r} here but {first!r} "
                                        f"in {sources[scenario]}: these runs are not replicates",
                                        "rerun them from the same scenario file, or give the changed scenario its "
                                        "own name")
            definitions.setdefault(scenario, settings)
            descriptions.setdefault(scenario, part.descriptions[scenario])
            titles.setdefault(scenario, part.titles.get(scenario) or _titles(None, scenario))
            sources.setdefault(scenario, path)
        if part.table is not None:
            for scenario, seed in part.table[["scenario", "seed"]].drop_duplicates().itertuples(index=False):
                if (scenario, seed) in seen:
                    raise InputError.single(path, "", f"scenario {scenario!r} with seed {seed} is already given by "
                                                      f"{seen[scenario, seed]}", "give each run folder once")
                seen[scenario, seed] = path
            frames.append(part.table)
        if part.run is not None:
            name = next(iter(part.definitions))
            runs[name, int(part.table.seed.iloc[0])] = part.run
        rows.append(part.provenance)
        notes += part.notes
        sensitivity.update(part.sensitivity)
        levels.update(part.levels)
        for name, title in part.experiment_titles.items():
            experiment_titles.setdefault(name, title)
    if not frames and not sensitivity:
        raise InputError.single("command line", "DIR", "no run to compare and no sensitivity indices", FOLDER_FIX)
    indicators = _common_indicators(frames, rows)
    tidy = pd.concat(frames, ignore_index=True) if frames else pd.DataFrame(columns=["scenario", "seed", "year"])
    _check_same_years(tidy, sources)
    return ComparisonInputs(
        indicators=tidy[["scenario", "seed", "year", *indicators]].sort_values(["scenario", "seed", "year"],
                                                                               ignore_index=True),
        indicator_names=indicators, definitions=definitions, descriptions=descriptions, runs=runs,
        provenance=pd.DataFrame(rows), sensitivity=sensitivity, notes=notes, levels=levels, titles=titles,
        experiment_titles=experiment_titles)


def _common_indicators(frames: list[pd.DataFrame], rows: list[dict]) -> list[str]:
    """Indicators every folder has (a sweep keeps only the outcomes its experiment names)."""
    if not frames:
        return []
    common = set.intersection(*(set(indicators_in(f.columns)) for f in frames))
    if not common:
        raise InputError.single(rows[-1]["folder"], "", "these folders have no indicator column in common",
                                "compare runs and sweeps that keep the same indicators")
    return [i for i in indicators_in(pd.concat([f.iloc[:0] for f in frames]).columns) if i in common]


def _check_same_years(tidy: pd.DataFrame, sources: dict[str, Path]) -> None:
    """Every scenario must cover the same years, or the comparison of trajectories is meaningless."""
    years = {s: tuple(sorted(g.year.unique())) for s, g in tidy.groupby("scenario", sort=False)}
    first = next(iter(sources), None)
    for scenario, span in years.items():
        if span != years[first]:
            raise InputError.single(sources[scenario], "years",
                                    f"scenario {scenario!r} covers {_span(span)} but {first!r} covers "
                                    f"{_span(years[first])}",
                                    "compare runs of the same years (same scenario years and --years)")


def _span(years: tuple) -> str:
    return f"{years[0]}-{years[-1]}" if years else "no year"


def _provenance(path: Path, kind: str, scenario: str, seeds: list[int], manifest: dict) -> dict:
    versions = manifest.get("versions") or {}
    return {"folder": str(path), "kind": kind, "scenario": scenario, "seeds": " ".join(map(str, seeds)),
            "ecodistrict": versions.get("ecodistrict"), "git_revision": manifest.get("git_revision"),
            "versions": ", ".join(f"{k} {v}" for k, v in versions.items() if k != "ecodistrict")}
