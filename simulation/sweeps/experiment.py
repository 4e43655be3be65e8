"""The experiment file: many runs of one scenario, over a factorial grid or a sampled design.

An experiment names a base scenario, the scenario parameters to vary (dotted paths into the
scenario merged over ``simulation/data/defaults.yaml``, so a default the scenario does not repeat
can still be varied), the number of replicates and a root seed, and the indicators to keep.
It is validated once, when read, like a scenario: an unknown path, a value the scenario refuses
(at any value of a grid, at either bound of a design) or a combination the scenario refuses is an
input error naming the experiment file and the field, so that a sweep never starts on input that
would fail run after run.

Replicate seeds come from ``numpy.random.SeedSequence(seed).spawn(replicates)`` and are the same
for every point (common random numbers): two points differ only by their parameters, so their
comparison is paired.
"""

from __future__ import annotations

import itertools
from dataclasses import dataclass
from pathlib import Path
from typing import Annotated, Any

import numpy as np
from pydantic import Field, ValidationError, model_validator

from simulation.indicators import INDICATORS
from simulation.inputs.bounds import experiment_size_problem
from simulation.inputs.errors import InputError, Problem, did_you_mean, not_a_file
from simulation.inputs.localised import Localised, no_text
from simulation.inputs.scenario import LoadedScenario, load_scenario, validate_scenario_data, with_overrides
from simulation.inputs.schema_base import FolderName, StrictModel, problems_from_validation_error, user_error
from simulation.inputs.strict_yaml import load_yaml
from simulation.sweeps.design import Design, sample
from simulation.world import set_fields, with_settings, world_of

# Scenario fields an experiment may not vary, and why.
FIXED_FIELDS = {
    "catalogue": "the catalogue is read once per sweep; write one experiment per catalogue",
    "seed": "run seeds come from the experiment's seed and replicates; change those instead",
}

GridValue = bool | int | float | str


class Experiment(StrictModel):
    """An experiment file, as written (paths relative to it)."""

    name: FolderName
    title: Localised | None = Field(None, description="what the reports call the experiment; default its name")
    description: Localised = Field(default_factory=no_text)
    scenario: str = Field(min_length=1, description="base scenario file, relative to the experiment file")
    replicates: int = Field(ge=1, le=10_000)
    seed: int = Field(ge=0, description="root of the replicate seeds and of the design's sample")
    years: int | None = Field(None, ge=1, description="simulate only the first N years of the scenario")
    outcomes: list[str] | None = Field(None, min_length=1, description="indicators kept; default all")
    grid: dict[str, Annotated[list[GridValue], Field(min_length=1)]] | None = Field(None, min_length=1)
    design: Design | None = None

    @model_validator(mode="after")
    def _consistent(self) -> Experiment:
        if (self.grid is None) == (self.design is None):
            raise user_error("an experiment has either a grid or a design" if self.grid is None
                             else "an experiment has a grid or a design, not both",
                             "give grid: {dotted.path: [values]} or design: {method, samples, parameters}",
                             field="grid")
        if (size := experiment_size_problem(self.grid, self.design, self.replicates)) is not None:  # before sampling
            raise user_error(*size, field="grid" if self.grid is not None else "design.samples")
        for i, outcome in enumerate(self.outcomes or []):
            if outcome not in INDICATORS:
                raise user_error(f"unknown indicator {outcome!r}",
                                 "use an indicator column of indicators.csv"
                                 + did_you_mean(outcome, INDICATORS), field=f"outcomes.{i}")
            if outcome in self.outcomes[:i]:
                raise user_error(f"{outcome!r} is listed twice", "list each indicator once", field=f"outcomes.{i}")
        for path, values in (self.grid or {}).items():
            kinds = {_kind(v) for v in values}
            if len(kinds) > 1:
                raise user_error(f"values mix {' and '.join(sorted(kinds))}",
                                 "give values of one kind, as the scenario field expects", field=f"grid.{path}")
            repeated = sorted({str(v) for i, v in enumerate(values) if v in values[:i]})
            if repeated:
                raise user_error(f"values repeat: {', '.join(repeated)}", "list each value once", field=f"grid.{path}")
        return self

    @property
    def parameters(self) -> list[str]:
        """The varied dotted paths, in the order written."""
        return list(self.grid) if self.grid is not None else self.design.names

    @property
    def kept_outcomes(self) -> list[str]:
        return list(self.outcomes) if self.outcomes is not None else list(INDICATORS)

    def parameter_field(self, path: str) -> str:
        """Where ``path`` is written in the experiment file (for error messages)."""
        return f"grid.{path}" if self.grid is not None else f"design.parameters.{path}"


def _kind(value: GridValue) -> str:
    if isinstance(value, bool):
        return "true/false"
    return "numbers" if isinstance(value, (int, float)) else "text"


def _dtype(values: list[GridValue]) -> str:
    """The column type of a parameter in the results: the same in every run's file."""
    if all(isinstance(v, bool) for v in values):
        return "bool"
    if all(isinstance(v, int) and not isinstance(v, bool) for v in values):
        return "int64"
    return "float64" if all(isinstance(v, (int, float)) for v in values) else "str"


@dataclass(frozen=True)
class RunSpec:
    """One run of a sweep: one replicate of one point. ``run`` is its id (``p0003-r07``)."""

    run: str
    point: int
    replicate: int
    seed: int
    settings: dict[str, Any]


@dataclass(frozen=True)
class LoadedExperiment:
    """A validated experiment with its base scenario, its points and its replicate seeds."""

    experiment: Experiment
    path: Path
    base: LoadedScenario
    document: dict  # the validated base scenario (merged over the defaults): what dotted paths address
    points: list[dict[str, Any]]  # parameter values of each point, by dotted path
    seeds: list[int]  # one per replicate, shared by every point

    @property
    def name(self) -> str:
        return self.experiment.name

    @property
    def parameter_dtypes(self) -> dict[str, str]:
        grid = self.experiment.grid
        return {p: _dtype(grid[p]) if grid is not None else "float64" for p in self.experiment.parameters}

    def runs(self) -> list[RunSpec]:
        """Every run, point-major; ids sort in that order."""
        point_width = max(4, len(str(len(self.points) - 1)))
        replicate_width = max(2, len(str(len(self.seeds) - 1)))
        return [RunSpec(f"p{p:0{point_width}d}-r{r:0{replicate_width}d}", p, r, seed, settings)
                for p, settings in enumerate(self.points) for r, seed in enumerate(self.seeds)]


def replicate_seeds(root: int, replicates: int) -> list[int]:
    """Independent seeds for each replicate, from one root (``SeedSequence(root).spawn``).

    Each child is reduced to a non-negative 63-bit integer: what a scenario's ``seed`` takes and
    what a Parquet int64 column holds.
    """
    children = np.random.SeedSequence(root).spawn(replicates)
    return [int(child.generate_state(1, dtype=np.uint64)[0] >> np.uint64(1)) for child in children]


def _path_problem(document: dict, path: str) -> tuple[str, str] | None:
    """``(message, fix)`` when ``path`` does not name a field of the scenario document."""
    parts = path.split(".")
    if parts[0] in FIXED_FIELDS:
        return f"{parts[0]} cannot be varied", FIXED_FIELDS[parts[0]]
    node: Any = document
    for depth, key in enumerate(parts):
        where = ".".join(parts[:depth]) or "the scenario"
        if isinstance(node, list):
            if not (key.isdigit() and int(key) < len(node)):
                return (f"{where} is a list of {len(node)}; {key!r} is not an index of it",
                        f"use an index from 0 to {len(node) - 1}")
            node = node[int(key)]
        elif isinstance(node, dict):
            if key not in node:
                return (f"no such scenario field: {where} has no key {key!r}",
                        did_you_mean(key, node, before="", after=" ")
                        + "paths address the scenario merged over simulation/data/defaults.yaml")
            node = node[key]
        else:
            return f"no such scenario field: {where} is a value, not a section", f"end the path at {where}"
    return None


def _refused_value(loaded_base: LoadedScenario, document: dict, path: str, value: Any,
                   file: str, field: str, what: str) -> list[Problem]:
    """Problems of the base scenario with ``path`` alone set to ``value``, pointed at the experiment.

    The whole scenario is checked (catalogue references, files, plots for the incumbents), as
    ``ecodistrict validate`` would: a value that fails here would fail every run it is in.
    """
    try:
        loaded = validate_scenario_data(set_fields(document, {path: value}), loaded_base.path)
        world_of(loaded, years=1)
    except InputError as exc:
        scenario_file = str(loaded_base.path)
        return [Problem(file, field, f"{what} {value!r} is refused by {scenario_file}: {p.field}: {p.message}", p.fix)
                if p.file == scenario_file else p for p in exc.problems]
    return []


def _refused_points(loaded: LoadedExperiment, file: str) -> list[Problem]:
    """One problem summing up the points whose combination of values the scenario refuses."""
    refused = []
    for i, settings in enumerate(loaded.points):
        try:
            with_settings(loaded.base, settings, loaded.document)
        except InputError as exc:
            refused.append((i, settings, exc.problems[0]))
    if not refused:
        return []
    i, settings, first = refused[0]
    shown = ", ".join(f"{k}={v:g}" if isinstance(v, float) else f"{k}={v}" for k, v in settings.items())
    field = "grid" if loaded.experiment.grid is not None else "design.parameters"
    return [Problem(file, field, f"{len(refused)} of {len(loaded.points)} points are refused by the scenario, "
                                 f"e.g. point {i} ({shown}): {first.field}: {first.message}",
                    f"{first.fix}; narrow the values so that every combination is valid")]


def _points(experiment: Experiment) -> list[dict[str, Any]]:
    if experiment.grid is not None:
        paths = list(experiment.grid)
        return [dict(zip(paths, values)) for values in itertools.product(*experiment.grid.values())]
    matrix = sample(experiment.design, experiment.seed)
    return [dict(zip(experiment.design.names, map(float, row))) for row in matrix]


def validate_experiment_data(raw: Any, path: Path) -> LoadedExperiment:
    """Validate an already-parsed experiment document; raise InputError with every problem."""
    file = str(path)
    if not isinstance(raw, dict):
        raise InputError.single(file, "", "an experiment must be a mapping of keys (name, scenario, ...)",
                                "start from experiments/landfill_tax_grid.yaml")
    try:
        experiment = Experiment.model_validate(raw)
    except ValidationError as exc:
        raise InputError(problems_from_validation_error(exc, file, model=Experiment)) from None
    scenario_path = path.parent / experiment.scenario
    if (problem := not_a_file(scenario_path)) is not None:  # a device or a FIFO is refused unread
        raise InputError.single(file, "scenario", f"scenario file {experiment.scenario!r} {problem}",
                                f"give a path relative to the experiment's folder ({path.parent})")
    base = load_scenario(scenario_path)
    document = base.scenario.model_dump(mode="json")
    problems = [Problem(file, experiment.parameter_field(p), *problem) for p in experiment.parameters
                if (problem := _path_problem(document, p)) is not None]
    if experiment.years is not None:
        try:
            with_overrides(base.scenario, years=experiment.years)
        except InputError as exc:
            problems += [Problem(file, "years", p.message, p.fix) for p in exc.problems]
    if problems:
        raise InputError(problems)
    if experiment.grid is not None:
        trials = [(p, v, f"grid.{p}", "value") for p, values in experiment.grid.items() for v in values]
    else:
        trials = [(p, v, f"design.parameters.{p}", bound) for p, b in experiment.design.parameters.items()
                  for bound, v in (("low", b.low), ("high", b.high))]
    for p, value, field, what in trials:
        problems += _refused_value(base, document, p, value, file, field, what)
    if problems:
        raise InputError(problems)
    loaded = LoadedExperiment(experiment, path, base, document, _points(experiment),
                              replicate_seeds(experiment.seed, experiment.replicates))
    problems = _refused_points(loaded, file)
    if problems:
        raise InputError(problems)
    return loaded


def load_experiment(path: str | Path) -> LoadedExperiment:
    """Read and validate an experiment file and its base scenario. Raises InputError."""
    path = Path(path)
    return validate_experiment_data(load_yaml(path), path)
