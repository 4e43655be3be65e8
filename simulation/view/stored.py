"""The view over finished runs (``ecodistrict view RUN_OR_SWEEP_DIR...``): what its page shows, without a browser.

The folders are read as ``ecodistrict compare`` reads them (:func:`analysis.compare.compare`): run
folders (replicates of a scenario share its name), sweep folders (each grid point a scenario) and,
here also, replicates folders (``ecodistrict run --replicates N``), which stand for the run folders
they hold. The page's figures are those of the comparison report, drawn for the year the slider
picks: trajectories with 95 % intervals (the year marked), the year's change against the baseline,
a grid sweep's dose-response; and the district map of one stored run in that year, drawn by the
live view's map code (:func:`simulation.view.figures.draw_district`) from the run folder's plots,
firms, exchanges and services. Sweep folders keep no run folders: their points have no map.
"""

from __future__ import annotations

import json
from dataclasses import dataclass
from pathlib import Path

import numpy as np
import pandas as pd

from analysis import figures as fig
from analysis.compare import Comparison, _grids, compare
from analysis.families import HEADLINE_INDICATORS, TRAJECTORY_INDICATORS
from analysis.i18n import Texts
from analysis.inputs import FOLDER_FIX
from analysis.run_folder import RunFolder
from simulation.inputs.errors import InputError
from simulation.view.figures import SECTOR_FILLS, DistrictState, MapService

TEXTS = Texts("en")


def expand_folders(paths: list[Path]) -> list[Path]:
    """The run and sweep folders to read: a replicates folder (its manifest lists ``run_folders``)
    stands for its run folders; other paths are kept for :func:`analysis.compare.compare` to check."""
    out: list[Path] = []
    for path in paths:
        manifest = path / "manifest.json"
        listed = None
        if path.is_dir() and manifest.is_file():
            try:
                data = json.loads(manifest.read_text(encoding="utf-8"))
            except (json.JSONDecodeError, UnicodeDecodeError):
                data = None  # compare names the file and why
            listed = data.get("run_folders") if isinstance(data, dict) else None
        if listed is None:
            out.append(path)
            continue
        if not isinstance(listed, list) or not all(isinstance(name, str) for name in listed) or not listed:
            raise InputError.single(manifest, "run_folders", "not a list of the replicates' run folders",
                                    "run the replicates again with 'ecodistrict run SCENARIO --replicates N'")
        for name in listed:
            folder = path / name
            if Path(name).is_absolute() or ".." in Path(name).parts or not folder.is_dir():
                raise InputError.single(manifest, "run_folders", f"run folder {name!r} is not in {path}",
                                        "run the replicates again with 'ecodistrict run SCENARIO --replicates N'")
            out.append(folder)
    return out


def check_folders(paths: list[Path]) -> None:
    """Refuse, before any server starts, what is not a folder (a scenario YAML among folders)."""
    for path in paths:
        if path.exists() and not path.is_dir():
            raise InputError.single(path, "", "is a file, not a run, sweep or replicates folder",
                                    "view one scenario YAML live on its own (ecodistrict view SCENARIO.yaml), "
                                    "or give only folders: " + FOLDER_FIX)


@dataclass
class StoredRuns:
    """A comparison of finished runs, and what the page picks from."""

    result: Comparison
    years: list[int]
    grids: dict[str, dict[str, dict]]  # experiment -> {point: {parameter: level}}

    @classmethod
    def read(cls, paths: list[Path], baseline: str | None = None) -> StoredRuns:
        check_folders(paths)
        result = compare(expand_folders(paths), baseline=baseline)
        years = sorted(int(y) for y in result.inputs.indicators.year.unique())
        if not years:
            raise InputError.single(paths[0], "", "no simulated year to show (only sensitivity indices)",
                                    "give run folders or a grid sweep; a sampled sweep's indices are in "
                                    "'ecodistrict compare'")
        return cls(result, years, _grids(result))

    @property
    def scenarios(self) -> list[str]:
        return self.result.scenarios

    @property
    def texts(self) -> Texts:
        """The page's words, scenarios and experiments named by their titles (as the report does)."""
        return TEXTS.named(self.result.inputs.titles, self.result.inputs.experiment_titles)

    def seeds(self, scenario: str) -> list[int]:
        """Seeds of the scenario that have a run folder (a map)."""
        return sorted(seed for name, seed in self.result.inputs.runs if name == scenario)

    def run(self, scenario: str, seed: int) -> RunFolder:
        return self.result.inputs.runs[scenario, seed]


def district_state(run: RunFolder, year: int) -> DistrictState:
    """The district of a stored run in ``year``: firms present during the year, the contracts in
    force (their contracted quantity a year), the services of the year."""
    plots, firms = run.plots, run.firms
    groups = sorted(firms.sector_group.dropna().unique())
    colours = {g: SECTOR_FILLS[k % len(SECTOR_FILLS)] for k, g in enumerate(groups)}
    present = firms[(firms.entry_year <= year) & (firms.exit_year.isna() | (firms.exit_year >= year))]
    index = {plot: k for k, plot in enumerate(plots["plot"])}
    group_of_plot = {index[p]: g for p, g in zip(present["plot"], present.sector_group) if p in index and
                     isinstance(g, str)}
    where = {int(f): (float(x), float(y)) for f, x, y in zip(present.firm, present.x_m, present.y_m)}
    ex = run.exchanges[(run.exchanges.start_year <= year) & (run.exchanges.end_year >= year)]
    family = run.flows.drop_duplicates("resource").set_index("resource").family
    kinds = sorted(run.services.kind.dropna().unique())
    services = []
    for s in run.services[run.services.year == year].itertuples():
        hub = np.array([s.hub_x_m, s.hub_y_m], dtype=float)
        hub = hub if s.service_class == "utility" and np.isfinite(hub).all() else None
        members = [int(m) for m in str(s.member_firms).split(";") if m.strip().isdigit()]
        services.append(MapService(kinds.index(s.kind), s.kind, hub, members))
    return DistrictState(
        plots.x_m.to_numpy(float), plots.y_m.to_numpy(float), plots.area_m2.to_numpy(float), colours,
        group_of_plot, where, ex.supplier.to_numpy(int), ex.buyer.to_numpy(int),
        ex.resource.map(family).fillna("").to_numpy(str), ex.quantity.to_numpy(float), ex.unit.fillna("").to_numpy(str),
        services)


def stored_map_title(state: DistrictState, scenario_title: str, seed: int, year: int) -> str:
    return (f"{scenario_title}, seed {seed}, in {year}: {len(state.where)} firms on {len(state.group_of_plot)} of "
            f"{len(state.x_m)} plots; exchanges in force and services of {year}")


def trajectory_figure(stored: StoredRuns, year: int):
    """The report's trajectories (mean and 95 % interval, baseline first), the year shown marked."""
    result = stored.result
    indicators = [i for i in TRAJECTORY_INDICATORS if i in result.inputs.indicator_names] or \
        result.inputs.indicator_names
    texts = stored.texts
    figure = fig.trajectories(result.summary, result.scenarios, indicators, texts("trajectories_title"), texts)
    for ax in figure.axes:
        if ax.get_visible():
            ax.axvline(year, color="0.4", lw=1.0, ls=":", zorder=0)
    return figure


def comparison_figure(stored: StoredRuns, year: int):
    """The year's paired change of every indicator against the baseline, with 95 % intervals;
    None with a single scenario."""
    result = stored.result
    if len(result.scenarios) < 2:
        return None
    diffs = result.differences
    figure = fig.family_comparison(diffs[diffs.year == year], result.scenarios, year, stored.texts)
    if year != result.final_year:  # the report's title says "Final year"; the slider may pick another
        title = TEXTS("comparison_title", year=year).replace("Final year", "Year", 1)
        figure.suptitle(f"{title}\n{TEXTS('comparison_filled')}", fontsize="large")
    return figure


def dose_figure(stored: StoredRuns, experiment: str, year: int):
    """A grid sweep's dose-response in ``year`` (the report's chart)."""
    result = stored.result
    indicators = [i for i in result.inputs.indicator_names if i in HEADLINE_INDICATORS or i in
                  TRAJECTORY_INDICATORS] or result.inputs.indicator_names
    return fig.dose_response(result.summary, stored.grids[experiment], indicators, year, result.baseline,
                             stored.texts, result.differences)


def year_table(stored: StoredRuns, year: int) -> pd.DataFrame:
    """Each scenario's mean and 95 % interval of the headline indicators in ``year``."""
    s = stored.result.summary
    return s[(s.year == year) & s.indicator.isin(HEADLINE_INDICATORS)]
