"""What a sweep's results depend on, as content hashes: so that ``--resume`` never mixes two inputs.

A sweep's runs read the experiment file, its scenario and the scenario's ``base:`` chain, the
catalogue files (resources, archetypes, services), the defaults, and the GeoJSON plots and firm
profiles the scenario (or a point of the experiment) names. The manifest keeps the SHA-256 of
each, by its role (``experiment``, ``scenario.base``, ``catalogue.resources``, ...), and the
package version. A resumed sweep recomputes them: a file edited between a kill and ``--resume``
would give runs of two inputs in one frame, so it is refused, naming the file.
"""

from __future__ import annotations

import hashlib
from pathlib import Path

from simulation.inputs.errors import Problem
from simulation.inputs.scenario import input_files as scenario_input_files
from simulation.sweeps.experiment import LoadedExperiment

# Scenario fields naming a file that runs read, relative to the scenario's folder (the
# catalogue, which an experiment may not vary, is taken from the loaded catalogue instead).
RUN_FILES = ("district.geojson", "firms.profiles")
CHUNK_BYTES = 1 << 20
FIX = "start a new sweep with another --out, or restore the file"


def sha256_of(path: str | Path) -> str:
    """Hex SHA-256 of a file's bytes, read in chunks (a profile file may be large)."""
    digest = hashlib.sha256()
    with open(path, "rb") as file:
        while chunk := file.read(CHUNK_BYTES):
            digest.update(chunk)
    return digest.hexdigest()


def input_files(loaded: LoadedExperiment) -> dict[str, Path]:
    """Every file the runs of ``loaded`` depend on, by role, in a fixed order: the experiment,
    its scenario's files (:func:`simulation.inputs.scenario.input_files`), and any GeoJSON or
    profile file a point of the grid names instead of the scenario's."""
    files = {"experiment": loaded.path, **scenario_input_files(loaded.base)}
    for field in RUN_FILES:
        named = files.get(field)
        for value in dict.fromkeys(point[field] for point in loaded.points if field in point):
            path = loaded.base.path.parent / value if isinstance(value, str) else None
            if path is not None and path != named:
                files[f"{field}={value}"] = path  # a file a point of the grid names
    return files


def fingerprint(loaded: LoadedExperiment) -> dict[str, dict[str, str]]:
    """``{role: {"file": path as given, "sha256": hex}}`` of every input file of ``loaded``."""
    return {role: {"file": str(path), "sha256": sha256_of(path)} for role, path in input_files(loaded).items()}


def changed_inputs(stored: dict[str, dict[str, str]], current: dict[str, dict[str, str]]) -> list[Problem]:
    """One problem per input file that differs between the manifest (``stored``) and now."""
    problems = []
    for role, now in current.items():
        then = stored.get(role)
        if then is None:
            problems.append(Problem(now["file"], "", f"is read as the {role} file now but was not when the sweep "
                                                     "started", FIX))
        elif then.get("sha256") != now["sha256"]:
            same = then.get("file") == now["file"]
            problems.append(Problem(now["file"], "", "changed since the sweep started" if same
                                    else f"differs from the {role} file the sweep started with ({then.get('file')})",
                                    FIX))
    problems += [Problem(then.get("file", role), "", f"was the {role} file when the sweep started and is no "
                                                     "longer read", FIX)
                 for role, then in stored.items() if role not in current]
    return problems
