"""A non-Italian district described by its own files, end to end, as the README tells a user to do.

``scenarios/examples/kalundborg/``: a resource catalogue, archetypes, a profile file of eight
firms and a scenario built on it. The commands are those of the README section
"Matchmaking real firms" (step 4), run from a folder holding the example where the repository does.
"""

from __future__ import annotations

import shutil

import pandas as pd

from tests.conftest import ROOT, cli

EXAMPLE = ROOT / "scenarios" / "examples" / "kalundborg"


def test_other_territory_matchmake_then_run(tmp_path):
    """The README's three commands, from a root holding the example (only ``run`` is shortened)."""
    folder = tmp_path / "scenarios" / "examples" / "kalundborg"
    shutil.copytree(EXAMPLE, folder)
    ex = "scenarios/examples/kalundborg"
    result = cli("validate", f"{ex}/resources.yaml", f"{ex}/archetypes.yaml", f"{ex}/firms.csv", f"{ex}/scenario.yaml",
                 cwd=tmp_path)
    assert result.returncode == 0, result.stderr
    result = cli("matchmake", f"{ex}/firms.csv", "--catalog", f"{ex}/resources.yaml", "--optimal",
                 "--out", "runs/kalundborg/matches.csv", cwd=tmp_path)
    assert result.returncode == 0, result.stderr
    out = tmp_path / "runs" / "kalundborg"
    matches = pd.read_csv(out / "matches.csv")
    assert {"fgd_gypsum", "surplus_steam", "surplus_heat", "yeast_slurry"} <= set(matches.residue)
    assert (matches.optimal_quantity > 0).sum() >= 5
    assert (out / "matches.md").is_file() and (out / "matches_firms.csv").is_file()
    result = cli("run", f"{ex}/scenario.yaml", "--years", "3", cwd=tmp_path)
    assert result.returncode == 0, result.stderr
    run = tmp_path / "runs" / "kalundborg_illustrative-seed7"
    firms = pd.read_csv(run / "firms.csv")
    assert sum(a.startswith("profile:") for a in firms.archetype) == 8
    ind = pd.read_csv(run / "indicators.csv")
    # the symbiosis grows as synergies are discovered and implemented: none in the first year
    assert (ind.symbiosis_links.iloc[1:] > 0).all() and ind.symbiosis_links.is_monotonic_increasing
    assert (ind.symbiosis_efficiency <= 1).all()
    assert "fgd_gypsum" in set(pd.read_csv(run / "exchanges.csv").resource)
