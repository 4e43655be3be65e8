"""The run folder's files and columns (docs/ODD.md, outputs).

The folder is replaced as a whole (:func:`simulation.io.atomic.replace_folder`): a crash or a
kill never leaves a half-written CSV, nor files of two runs side by side. What goes into each
file is built from a finished model by :mod:`simulation.runs.frames`; this module knows only
names, so that reading a run folder (:mod:`analysis`) does not load the model.
"""

from __future__ import annotations

FLOW_COLUMNS = ["year", "resource", "family", "unit", "generated_gross", "recycled_in_house", "generated", "exchanged",
                "treated", "disposed", "outside_route", "landfilled", "recovered_outside", "incinerated",
                "treated_outside", "sewered", "vented", "demand", "in_house_input", "received", "virgin"]
EXCHANGE_COLUMNS = ["supplier", "buyer", "resource", "substitutes", "quantity", "unit",
                    "price_eur_per_unit", "distance_km", "start_year", "end_year", "status",
                    "renewals", "top_ups", "discovery_year", "unit_surplus_eur", "route"]
FIRM_COLUMNS = ["firm", "archetype", "sector", "sector_group", "plot", "x_m", "y_m", "employees",
                "entry_year", "exit_year", "exit_reason", "activity", "profit_eur", "score", "commitments",
                "violations", "fines_eur"]
PLOT_COLUMNS = ["plot", "x_m", "y_m", "area_m2", "zone", "land_price_eur_per_m2"]
SERVICE_COLUMNS = ["year", "service", "kind", "service_class", "unit", "members", "quantity", "capacity",
                   "returned", "cost_eur", "cost_per_member_eur", "standalone_eur", "savings_eur", "revenue_eur",
                   "public_funding_eur", "hub_x_m", "hub_y_m", "founded_year", "member_firms"]
RUN_FILES = ("indicators.csv", "flows.csv", "exchanges.csv", "firms.csv", "plots.csv", "services.csv",
             "applicants.csv", "manifest.json")
