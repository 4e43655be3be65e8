"""Run one scenario and write its run folder: the documented API behind ``ecodistrict run``.

The run layer: it builds a model from a scenario file (through a :class:`~simulation.world.World`),
runs it and writes what it produced (:mod:`simulation.runs.frames`).
"""

from __future__ import annotations

import platform
import sys
import time
from pathlib import Path

import mesa
import numpy as np
import pandas as pd
import scipy

import simulation
from simulation.inputs.scenario import LoadedScenario, load_scenario
from simulation.io.provenance import git_revision
from simulation.model import EcoDistrictModel
from simulation.runs.frames import write_run_folder
from simulation.world import world_of


def build_model(loaded: LoadedScenario, seed: int | None = None, years: int | None = None,
                measure_efficiency: bool = True) -> EcoDistrictModel:
    """A model ready to step, with the CLI's overrides applied (``measure_efficiency``: see
    :class:`~simulation.model.EcoDistrictModel`). Raises InputError, before any model exists."""
    return EcoDistrictModel(world_of(loaded, seed, years), measure_efficiency=measure_efficiency)


def default_out_dir(loaded: LoadedScenario, seed: int) -> Path:
    return Path("runs") / f"{loaded.scenario.name}-seed{seed}"


def versions() -> dict[str, str]:
    """The versions of the package and of what its results depend on, recorded in manifests."""
    return {"ecodistrict": simulation.__version__, "python": platform.python_version(), "mesa": mesa.__version__,
            "numpy": np.__version__, "pandas": pd.__version__, "scipy": scipy.__version__}


def run_manifest(loaded: LoadedScenario, model: EcoDistrictModel, set_up_s: float, simulation_s: float) -> dict:
    """The ``manifest.json`` of a finished run's folder: the resolved scenario, seed, catalogue
    files, versions, git revision, and the seconds spent building and running the model."""
    return {
        "scenario_file": str(loaded.path),
        "scenario": model.scenario.model_dump(mode="json"),
        "catalogue": {"resources": loaded.catalogue.resources_path, "archetypes": loaded.catalogue.archetypes_path,
                      "services": loaded.catalogue.services_path},
        "seed": model.seed_used,
        "years": [model.scenario.years.start, model.scenario.years.end],
        "versions": versions(),
        "git_revision": git_revision(),
        "timings_s": {"set_up": round(set_up_s, 4), "simulation": round(simulation_s, 4)},
    }


def run_scenario(path: str | Path, seed: int | None = None, years: int | None = None,
                 out: str | Path | None = None, progress: bool = False) -> tuple[Path, EcoDistrictModel]:
    """Load, run and write a scenario; returns the run folder and the finished model.

    Raises :class:`~simulation.inputs.errors.InputError` for bad input, before anything is written.
    """
    started = time.perf_counter()
    loaded = load_scenario(path)
    model = build_model(loaded, seed, years)
    built = time.perf_counter()
    out_dir = Path(out) if out is not None else default_out_dir(loaded, model.seed_used)
    years_total = model.scenario.years.count
    if progress:
        from tqdm import tqdm
        with tqdm(total=years_total, desc=model.scenario.name, unit="yr", file=sys.stderr, disable=None) as bar:
            model.run(progress=lambda: bar.update(1))
    else:
        model.run()
    manifest = run_manifest(loaded, model, set_up_s=built - started, simulation_s=time.perf_counter() - built)
    write_run_folder(model, out_dir, manifest)
    return out_dir, model
