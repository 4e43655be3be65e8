"""Replicates of one scenario: the same district run on many seeds, and the folder that holds them.

Why: one seed is one possible history of the district; a planner needs the spread of what the
rules give over many (issue 11). The seeds are :func:`simulation.sweeps.experiment.replicate_seeds`
of a root seed (the scenario's by default), the seeds the policy library and a sweep with the same
root use, so replicates pair run for run with theirs.

Each replicate is one task of the runner (:mod:`simulation.sweeps.runner`): the worker runs the
model and sends back the tables of its run folder; this process writes the whole replicates
folder at the end, in one swap (:func:`simulation.io.atomic.replace_folder`), so an interrupted or
failed batch writes nothing and a replaced folder never mixes two batches. A replicate's result
depends only on (scenario, seed), and the replicates are laid out in the order of their seeds
whichever finishes first, so the folder is the same on any number of workers (timings aside).
"""

from __future__ import annotations

import json
import os
import sys
import time
from collections.abc import Callable
from dataclasses import dataclass
from datetime import UTC, datetime
from pathlib import Path

import pandas as pd
from tqdm import tqdm

from simulation.inputs.scenario import LoadedScenario
from simulation.io.atomic import replace_folder
from simulation.io.provenance import git_revision
from simulation.runs import build_model, run_manifest, versions
from simulation.runs.frames import run_folder_frames, run_folder_writers
from simulation.sweeps.runner import Failure, runner

Writer = Callable[[Path], None]


@dataclass(frozen=True)
class ReplicateBase:
    """What every replicate shares; sent to each worker once."""

    scenario: LoadedScenario
    years: int | None


@dataclass(frozen=True)
class Replicate:
    """One finished replicate: its seed, the tables of its run folder (by file name) and its manifest."""

    seed: int
    frames: dict[str, pd.DataFrame]
    manifest: dict

    @property
    def folder(self) -> str:
        """Its run folder's name inside the replicates folder."""
        return f"seed-{self.seed}"


class ReplicateFailed(RuntimeError):
    """A replicate raised: nothing is written. ``seed`` reproduces it with ``ecodistrict run --seed``."""

    def __init__(self, seed: int, failure: Failure):
        super().__init__(f"the replicate with seed {seed} failed: {failure.error}")
        self.seed, self.failure = seed, failure


def simulate(base: ReplicateBase, seed: int) -> Replicate:
    """One replicate on a worker: the model run on ``seed``, as the tables of its run folder."""
    started = time.perf_counter()
    model = build_model(base.scenario, seed=seed, years=base.years)
    built = time.perf_counter()
    model.run()
    manifest = run_manifest(base.scenario, model, set_up_s=built - started, simulation_s=time.perf_counter() - built)
    return Replicate(seed, run_folder_frames(model), manifest)


def run_replicates(loaded: LoadedScenario, seeds: list[int], years: int | None = None, workers: int | None = None,
                   progress: bool = False) -> list[Replicate]:
    """Run ``loaded`` on every seed, on ``workers`` local processes (default: one per core, at most
    one per seed; 1: in this process); the replicates in the order of ``seeds``. A progress bar
    counts runs when ``progress``. Raises :class:`ReplicateFailed` on the first replicate that fails."""
    n_workers = min(workers or os.cpu_count() or 1, len(seeds))
    done: dict[int, Replicate] = {}
    with tqdm(total=len(seeds), desc=loaded.scenario.name, unit="run", file=sys.stderr,
              disable=None if progress else True) as bar, runner(n_workers, backend="local") as pool:
        for seed, result in pool.map(simulate, ReplicateBase(loaded, years), seeds, label=str):
            if isinstance(result, Failure):
                raise ReplicateFailed(seed, result)
            done[seed] = result
            bar.update(1)
    return [done[seed] for seed in seeds]


def default_out_dir(loaded: LoadedScenario, root: int, replicates: int) -> Path:
    return Path("runs") / f"{loaded.scenario.name}-seed{root}-replicates{replicates}"


def replicates_manifest(loaded: LoadedScenario, root: int, replicates: list[Replicate], seconds: float) -> dict:
    """The replicates folder's ``manifest.json``: the scenario, the root seed and the seeds drawn
    from it, each replicate's run folder, versions, git revision, wall time of the batch (s)."""
    return {
        "scenario_file": str(loaded.path),
        "scenario": loaded.scenario.model_dump(mode="json"),
        "replicates": len(replicates),
        "root_seed": root,
        "seeds": [r.seed for r in replicates],
        "run_folders": [r.folder for r in replicates],
        "versions": versions(),
        "git_revision": git_revision(),
        "seconds": round(seconds, 2),
        "created": datetime.now(UTC).isoformat(timespec="seconds"),
    }


def write_replicates_folder(out: str | Path, replicates: list[Replicate], manifest: dict,
                            summary: dict[str, Writer]) -> None:
    """Make ``out`` hold a run folder per replicate (``seed-<seed>/``, as ``run`` writes one), the
    ``summary`` files (name to writer) and the manifest, swapped in as a whole."""
    writers: dict[str, Writer] = {}
    for replicate in replicates:
        writers.update(run_folder_writers(replicate.frames, replicate.manifest, prefix=f"{replicate.folder}/"))
    writers.update(summary)
    writers["manifest.json"] = lambda path: path.write_text(json.dumps(manifest, indent=2, default=str) + "\n")
    replace_folder(out, writers)
