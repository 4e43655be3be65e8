"""The live browser view of a running scenario (``ecodistrict view``): Mesa's SolaraViz controls over
the district map, KPI charts and details of :mod:`simulation.view.components`.

Importing this package loads nothing else: the command line reads :data:`SCENARIO_VARIABLE` from
here without loading Solara, which only the server process needs. It does set one warning filter,
for every page and test that imports the view's modules: Mesa 3.3.1's ComponentsView uses a hook
after an early return, and Solara warns of it when Mesa's visualisation is imported; the pages give
it no components, so it returns early at every render and its hooks never change.
"""

import warnings

warnings.filterwarnings("ignore", message=r".*ComponentsView: `use_state` found despite early return")

SCENARIO_VARIABLE = "ECODISTRICT_VIEW_SCENARIO"  # the scenario file the server shows, set by ecodistrict view
RUNS_VARIABLE = "ECODISTRICT_VIEW_RUNS"  # the folders the view over finished runs shows (a JSON list)
BASELINE_VARIABLE = "ECODISTRICT_VIEW_BASELINE"  # its --baseline, if given
