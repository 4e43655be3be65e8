"""A finished model as the data frames of its run folder, and writing that folder.

One function per file of the run folder (columns in :mod:`simulation.io.run_folder`); the bytes
are written atomically by :func:`simulation.io.atomic.replace_folder`.
"""

from __future__ import annotations

import json
from collections.abc import Callable
from pathlib import Path

import pandas as pd

from simulation.exchange.contracts import Status
from simulation.indicators import FLOW_QUANTITIES, INDICATORS
from simulation.io.atomic import replace_folder
from simulation.io.cells import neutralise_frame
from simulation.io.run_folder import EXCHANGE_COLUMNS, FIRM_COLUMNS, FLOW_COLUMNS, PLOT_COLUMNS, SERVICE_COLUMNS
from simulation.policy.admission import Application

APPLICANT_COLUMNS = list(Application._fields)


def indicators_frame(model) -> pd.DataFrame:
    frame = pd.DataFrame(model.indicator_rows)
    extra = [c for c in frame.columns if c not in ("year", *INDICATORS)]
    return frame[["year", *INDICATORS, *extra]] if len(frame) else pd.DataFrame(columns=["year", *INDICATORS])


def flows_frame(model) -> pd.DataFrame:
    cat = model.catalogue
    frames = [pd.DataFrame({"year": year, "resource": cat.resource_ids, "family": cat.family, "unit": cat.unit,
                            "outside_route": routes, **dict(zip(FLOW_QUANTITIES, quantities))})
              for year, quantities, routes in model.flow_history]
    frame = pd.concat(frames, ignore_index=True) if frames else pd.DataFrame(columns=FLOW_COLUMNS)
    return frame[FLOW_COLUMNS]


def exchanges_frame(model) -> pd.DataFrame:
    c, cat, subs = model.contracts, model.catalogue, model.world.subs
    rows = c.substitution
    residue = [cat.resource_ids[k] for k in subs.residue[rows]]
    return pd.DataFrame({
        "supplier": c.supplier, "buyer": c.buyer, "resource": residue,
        "substitutes": [cat.resource_ids[k] for k in subs.input[rows]],
        "quantity": c.quantity, "unit": [cat.resources[rid].unit for rid in residue],
        "price_eur_per_unit": c.price, "distance_km": c.distance_km,
        "start_year": c.start_year, "end_year": c.end_year,
        "status": [Status(v).label for v in c.status], "renewals": c.renewals, "top_ups": c.top_ups,
        "discovery_year": c.discovery_year,
        "unit_surplus_eur": c.unit_surplus,
        "route": [cat.substitutions[k].route for k in rows],
    }, columns=EXCHANGE_COLUMNS)


def firms_frame(model) -> pd.DataFrame:
    cat, plots = model.catalogue, model.plots
    records = []
    for f in model.all_firms():
        arch = cat.archetypes[cat.archetype_ids[f.archetype]]
        records.append({
            "firm": f.unique_id, "archetype": cat.archetype_ids[f.archetype], "sector": arch.sector,
            "sector_group": arch.sector_group, "plot": plots.ids[f.plot], "x_m": plots.x_m[f.plot],
            "y_m": plots.y_m[f.plot], "employees": f.employees, "entry_year": f.entry_year,
            "exit_year": f.exit_year, "exit_reason": f.exit_reason, "activity": f.activity,
            "profit_eur": f.profit_eur, "score": f.score, "commitments": _commitments(f.commitment),
            "violations": f.violations, "fines_eur": f.fines_paid_eur})
    frame = pd.DataFrame(records, columns=FIRM_COLUMNS)
    frame["exit_year"] = frame["exit_year"].astype("Int64")
    return frame


def _commitments(commitment) -> str:
    """A firm's commitments as ``publish;secondary>=0.08@2031;services=wastewater`` (empty: none)."""
    if commitment is None:
        return ""
    parts = ["publish"] if commitment.publish_flows else []
    if commitment.secondary_share > 0:
        parts.append(f"secondary>={commitment.secondary_share:.4g}@{commitment.deadline_year}")
    if commitment.services:
        parts.append("services=" + "+".join(commitment.services))
    return ";".join(parts)


def applicants_frame(model) -> pd.DataFrame:
    """One row per applicant screened: its profile (score and families), the decision, its firm id."""
    frame = pd.DataFrame(model.authority.applications, columns=APPLICANT_COLUMNS)
    frame["firm"] = frame["firm"].astype("Int64")
    return frame


def plots_frame(model) -> pd.DataFrame:
    """Every plot of the district, occupied or not: the map of a run needs the free plots too."""
    plots = model.plots
    return pd.DataFrame({"plot": plots.ids, "x_m": plots.x_m, "y_m": plots.y_m, "area_m2": plots.area_m2,
                         "zone": plots.zone, "land_price_eur_per_m2": plots.land_price_eur_per_m2},
                        columns=PLOT_COLUMNS)


def services_frame(model) -> pd.DataFrame:
    """One row per service and year it ran: kind, members, quantity, cost, cost per member, savings.

    ``cost_eur`` is what the members paid together (shares of the service's cost plus their own
    connections); ``member_firms`` lists their firm ids, separated by ``;``.
    """
    frame = model.services.records()
    if not len(frame):
        return pd.DataFrame(columns=SERVICE_COLUMNS)
    spells = model.services.spells()
    years = spells.last_year - spells.first_year + 1
    rows = spells.loc[spells.index.repeat(years)]
    rows = rows.assign(year=rows.first_year + rows.groupby(level=0).cumcount()).sort_values(["year", "service", "firm"])
    members = rows.groupby(["service", "year"]).firm.agg(lambda f: ";".join(map(str, f)))
    frame["cost_per_member_eur"] = frame.cost_eur / frame.members
    frame["member_firms"] = [members.get((s, y), "") for s, y in zip(frame.service, frame.year)]
    return frame.sort_values(["year", "service"], kind="stable")[SERVICE_COLUMNS].reset_index(drop=True)


def run_folder_frames(model) -> dict[str, pd.DataFrame]:
    """The tables of a run folder by file name (README "The run folder"): what a worker sends back
    when the folder is written by another process (:mod:`simulation.sweeps.replicates`)."""
    return {"indicators.csv": indicators_frame(model), "flows.csv": flows_frame(model),
            "exchanges.csv": exchanges_frame(model), "firms.csv": firms_frame(model),
            "plots.csv": plots_frame(model), "services.csv": services_frame(model),
            "applicants.csv": applicants_frame(model)}


def run_folder_writers(frames: dict[str, pd.DataFrame], manifest: dict,
                       prefix: str = "") -> dict[str, Callable[[Path], None]]:
    """A writer per file of a run folder, named ``prefix`` + file name (``seed-7/indicators.csv``
    places the run folder in a subfolder of a larger one)."""

    def csv_writer(frame: pd.DataFrame):
        return lambda path: neutralise_frame(frame).to_csv(path, index=False, lineterminator="\n")

    writers: dict[str, Callable[[Path], None]] = {prefix + name: csv_writer(f) for name, f in frames.items()}
    writers[prefix + "manifest.json"] = lambda path: path.write_text(json.dumps(manifest, indent=2, default=str)
                                                                      + "\n")
    return writers


def write_run_folder(model, out_dir: Path, manifest: dict) -> None:
    """Write the files of a run folder: the five of README "The run folder", the district's plots and its services."""
    replace_folder(out_dir, run_folder_writers(run_folder_frames(model), manifest))
