"""The view's page over finished runs, as ``solara run simulation.view.runs_app`` serves it.

``ecodistrict view RUN_OR_SWEEP_DIR...`` (:mod:`simulation.cli.view`) checks the folders and starts
the Solara server on this module, naming them in :data:`~simulation.view.RUNS_VARIABLE` (a JSON
list) and the baseline in :data:`~simulation.view.BASELINE_VARIABLE`. Nothing is simulated: the
sidebar's year slider, scenario and seed pick what the page draws from the stored folders
(:mod:`simulation.view.stored`).
"""

from __future__ import annotations

import functools
import json
import os
from pathlib import Path

import solara

from analysis.figures import png as report_png
from simulation.view import BASELINE_VARIABLE, RUNS_VARIABLE
from simulation.view.components import _e, _html, legend_html, png
from simulation.view.figures import draw_district
from simulation.view.stored import (
    TEXTS,
    StoredRuns,
    comparison_figure,
    district_state,
    dose_figure,
    stored_map_title,
    trajectory_figure,
    year_table,
)


@functools.lru_cache(maxsize=1)
def stored_runs() -> StoredRuns:
    """The folders the server was started on, read once for every tab."""
    folders = os.environ.get(RUNS_VARIABLE)
    if not folders:
        raise RuntimeError(f"{RUNS_VARIABLE} is not set: start the view with 'ecodistrict view RUN_OR_SWEEP_DIR...'")
    return StoredRuns.read([Path(p) for p in json.loads(folders)], os.environ.get(BASELINE_VARIABLE) or None)


def table_html(stored: StoredRuns, year: int) -> str:
    """Each scenario's mean and 95 % interval of the headline indicators in ``year`` (HTML)."""
    table = year_table(stored, year)
    names = list(dict.fromkeys(table.indicator))
    head = "".join(f"<th>{_e(TEXTS.label(i))}</th>" for i in names)
    rows = []
    for scenario in stored.scenarios:
        cells = []
        for indicator in names:
            row = table[(table.scenario == scenario) & (table.indicator == indicator)]
            if not len(row):
                cells.append("<td></td>")
                continue
            r = row.iloc[0]
            digits = 3 if abs(r["mean"]) < 1.5 else 1 if abs(r["mean"]) < 100 else 0
            cells.append(f"<td style='text-align:right'>{TEXTS.number(r['mean'], digits)} "
                         f"<span style='color:#666'>[{TEXTS.number(r.ci_low, digits)}, "
                         f"{TEXTS.number(r.ci_high, digits)}]</span> (n={int(r.n)})</td>")
        mark = " (baseline)" if scenario == stored.result.baseline else ""
        rows.append(f"<tr><td>{_e(stored.texts.scenario(scenario))}{mark}</td>{''.join(cells)}</tr>")
    return (f"<b>Headline indicators in {year}: mean [95 % interval] over the seeds</b>"
            f"<table style='font-size:13px'><tr><th>scenario</th>{head}</tr>{''.join(rows)}</table>")


@solara.component
def StoredMap(stored: StoredRuns, scenario: str, seed: int, year: int):
    """The district of one stored run in the year, drawn by the live view's map code."""
    def draw():
        state = district_state(stored.run(scenario, seed), year)
        fig, keys = draw_district(state)
        return png(fig), keys, stored_map_title(state, stored.texts.scenario(scenario), seed, year)

    image, keys, title = solara.use_memo(draw, [scenario, seed, year])
    with solara.Column(classes=["ecodistrict-map"], gap="4px"):
        _html(_e(title), "h3")
        solara.Image(image, width="100%")
        _html(f"<div style='columns:2'>{legend_html(keys)}</div>")


@solara.component
def Figure(name: str, title: str, draw, year: int):
    """A report figure of the year, as an image under a heading (class ``ecodistrict-<name>``)."""
    image = solara.use_memo(lambda: report_png(draw()), [name, year])
    with solara.Column(classes=[f"ecodistrict-{name}"], gap="4px"):
        _html(_e(title), "h3")
        solara.Image(image, width="100%")


@solara.component
def Page():
    """The page: year, scenario and seed in the sidebar; the map of the chosen run and the
    trajectories side by side, then the year's comparison, a grid sweep's dose-response, the table."""
    stored = stored_runs()
    mapped = [s for s in stored.scenarios if stored.seeds(s)]
    year, set_year = solara.use_state(stored.years[-1])
    scenario, set_scenario = solara.use_state(mapped[0] if mapped else None)
    seed_text, set_seed = solara.use_state(None)
    seeds = [str(s) for s in stored.seeds(scenario)] if scenario else []
    seed = int(seed_text) if seed_text in seeds else (int(seeds[0]) if seeds else None)
    titles = [stored.texts.scenario(name) for name in stored.scenarios]
    solara.Title(f"ecodistrict: {', '.join(titles[:3])}{' ...' if len(titles) > 3 else ''}")
    with solara.Sidebar():
        with solara.Column(classes=["ecodistrict-pickers"]):
            baseline = stored.texts.scenario(stored.result.baseline)
            _html(f"<b>Finished runs</b>: {len(stored.scenarios)} scenarios, baseline {_e(baseline)}; "
                  f"years {stored.years[0]}-{stored.years[-1]}", "p")
            solara.SliderInt("Year", value=year, min=stored.years[0], max=stored.years[-1], step=1,
                             on_value=set_year, thumb_label="always")
            if mapped:
                solara.Select("Scenario of the map", values=mapped, value=scenario, on_value=set_scenario)
                solara.Select("Seed of the map", values=seeds, value=str(seed), on_value=set_seed)
    _html(f"Year shown: {year}", "h2")
    for key, values in stored.result.warnings:
        _html(_e(TEXTS(key, **values)), "p")
    with solara.Columns([1, 1]):
        if scenario is not None and seed is not None:
            StoredMap(stored, scenario, seed, year)
        else:
            _html("<p>Sweep points keep no run folders: no district map. Add run folders "
                  "('ecodistrict run SCENARIO') to see a district.</p>")
        Figure("trajectories", "Trajectories against the baseline, mean and 95 % interval",
               lambda: trajectory_figure(stored, year), year)
    if len(stored.scenarios) > 1:
        Figure("comparison", f"Change against the baseline in {year}, with 95 % intervals",
               lambda: comparison_figure(stored, year), year)
    for experiment in stored.grids:
        Figure(f"dose-{experiment}", f"Dose-response of {experiment} in {year}",
               lambda experiment=experiment: dose_figure(stored, experiment, year), year)
    _html(table_html(stored, year))
