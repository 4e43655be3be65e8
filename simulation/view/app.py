"""The live view's page: Mesa's SolaraViz over a scenario, as ``solara run simulation.view.app`` serves it.

``ecodistrict view SCENARIO.yaml`` (:mod:`simulation.cli.view`) checks the scenario and starts
the Solara server on this module, naming the scenario in the environment variable
:data:`SCENARIO_VARIABLE`. Each browser tab gets its own model (:func:`Page`), built at the
scenario's values; the policy levers (:mod:`simulation.view.levers`) are SolaraViz's model
parameters, so that Reset rebuilds the model with the values the controls show.
"""

from __future__ import annotations

import os

import solara
from mesa.visualization import SolaraViz

from simulation.model import EcoDistrictModel
from simulation.view import SCENARIO_VARIABLE
from simulation.view.components import Details, DistrictMap, KpiCharts, scenario_text, scenario_title
from simulation.view.levers import lever_params

PLAY_INTERVAL_MS = 500  # between two years when playing: time to read the map


class LiveDistrict(EcoDistrictModel):
    """The model as SolaraViz builds it: ``LiveDistrict(scenario=..., **levers)``.

    SolaraViz checks each control's name against the constructor's signature and lets through
    names it does not list only when the constructor has a ``**kwargs`` parameter under that
    name; :class:`EcoDistrictModel` takes its field settings as ``**settings``.
    """

    def __init__(self, *, scenario: str, seed: int | None = None, **kwargs):
        super().__init__(scenario=scenario, seed=seed, **kwargs)


def scenario_path() -> str:
    """The scenario file the server was started on (``ecodistrict view`` sets it)."""
    path = os.environ.get(SCENARIO_VARIABLE)
    if not path:
        raise RuntimeError(f"{SCENARIO_VARIABLE} is not set: start the view with 'ecodistrict view SCENARIO.yaml'")
    return path


@solara.component
def Page():
    """One tab's page: its own model; SolaraViz's controls, levers and step count in the sidebar; the
    map and the KPI charts side by side, the details below.

    SolaraViz gets no components of its own: it would lay each into a draggable box of half the
    page's width and a fixed 390 px height, too small for a map shown to a room. It is given the
    model as a reactive value instead, which its Reset replaces, and the panels read it here.
    """
    path = scenario_path()
    first = solara.use_memo(lambda: LiveDistrict(scenario=path), [])
    model = solara.use_reactive(first)
    SolaraViz(model, components=[], model_params={"scenario": path, **lever_params(first.scenario)},
              play_interval=PLAY_INTERVAL_MS, name=f"ecodistrict: {scenario_title(first.scenario)}")
    solara.HTML(tag="div", unsafe_innerHTML=scenario_text(model.value))
    with solara.Columns([1, 1]):
        DistrictMap(model.value)
        KpiCharts(model.value)
    Details(model.value)
