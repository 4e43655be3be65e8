"""The readable summary of ``ecodistrict matchmake`` (``<out>.md``): what a planner reads first.

Money in EUR per year, quantities in each residue's unit per year, CO2 in tonnes per year, as in
the tables (:mod:`simulation.matchmake.tables`).
"""

from __future__ import annotations

import math
from pathlib import Path

import pandas as pd

from simulation.io.cells import display_path
from simulation.io.cells import markdown_code as _code
from simulation.io.cells import markdown_text as _md
from simulation.matchmake.matching import ROUTE_TEXT, Matches

TOP_EXCHANGES = 20


def _num(value, digits: int = 0) -> str:
    if value is None or (isinstance(value, float) and math.isnan(value)):
        return ""
    return f"{value:,.{digits}f}"


def _share(value) -> str:
    return "" if value is None or (isinstance(value, float) and math.isnan(value)) else f"{100 * value:.0f} %"


def _table(header: list[str], rows: list[list]) -> str:
    """A Markdown table; the cells are Markdown already (names escaped with :func:`_md` by the caller)."""
    lines = ["| " + " | ".join(header) + " |", "|" + "|".join("---" for _ in header) + "|"]
    lines += ["| " + " | ".join(str(c) for c in row) + " |" for row in rows]
    return "\n".join(lines)


def summary_markdown(matches: Matches, exchanges: pd.DataFrame, firms: pd.DataFrame, services: pd.DataFrame | None,
                     time_limit_s: float, paths: dict[str, Path]) -> str:
    """The summary: the setting, the best exchanges, the optimal allocation (if computed), the shared
    services and each firm's profile; ``paths`` are the files written (their names are cited)."""
    s, p = matches.setting, matches.profiles
    cat = s.catalogue
    out = [f"# Matchmaking among the firms of {_code(display_path(p.path))}", ""]
    out += [f"- **Firms**: {len(p)} ({p.rows} flows), {int(p.employees.sum()):,} employees.",
            f"- **Catalogue**: {_code(display_path(cat.resources_path))}"
            + (f", service kinds {_code(display_path(cat.services_path))}" if cat.services_path
               else ", no service kinds") + ".",
            f"- **Prices and transaction costs**: {_md(s.pricing)}.",
            "- **Search**: " + ("every partner within the residue's transport reach" if matches.radius_km is None
                                 else f"partners within {matches.radius_km:g} km of one of the two firms "
                                      "(and within transport reach)") + ".",
            f"- **Exchanges**: {matches.candidates_found} candidate pairs within reach; {len(matches)} with a "
            f"positive yearly surplus, listed in {_code(paths['exchanges'].name)}.",
            f"- **Potential**: {_num(matches.surplus.sum())} EUR/yr and "
            f"{_num(matches.co2_avoided_t.sum(), 1)} t CO2/yr "
            "summed over the listed exchanges (alternatives for the same residue counted together: an upper "
            "estimate" + (", see the optimal allocation below" if matches.allocation is not None else
                          "; `--optimal` allocates residues among competing buyers") + ")."]
    if matches.allocation is not None:
        a = matches.allocation
        used = a.used
        co2 = (matches.co2_avoided_t[used] / matches.quantity[used] * a.quantity[used]).sum()
        status = ("solved to optimality" if a.optimal else
                  f"time limit of {time_limit_s:g} s reached: the best allocation found, the optimum is at "
                  f"most {_num(a.bound)} EUR/yr")
        out.append(f"- **Optimal allocation**: {int(used.sum())} exchanges, {_num(a.value)} EUR/yr net of fixed "
                   f"yearly costs, {_num(co2, 1)} t CO2/yr ({status}).")
    out += ["", f"## Best exchanges (top {min(TOP_EXCHANGES, len(exchanges))} of {len(exchanges)})", ""]
    if len(exchanges):
        rows = [[r.rank, _md(r.supplier), _md(r.buyer), f"{_md(r.residue)} → {_md(r.substitutes)}",
                 f"{_num(r.quantity, 1)} {_md(r.unit)}", _num(r.distance_km, 2), _num(r.unit_surplus_eur, 2),
                 _num(r.surplus_eur_per_yr), _num(r.co2_avoided_t, 1), _md(r.route)]
                for r in exchanges.head(TOP_EXCHANGES).itertuples()]
        out.append(_table(["#", "supplier", "buyer", "residue → replaces", "quantity/yr", "km", "EUR per unit",
                           "surplus EUR/yr", "t CO2/yr", "route"], rows))
        out += ["", "Quantity: the most the pair could exchange alone (the supplier's residue, the buyer's demand "
                "and the catalogue's `max_share` of it). Surplus = quantity × (disposal avoided + virgin input "
                "avoided × ratio + subsidy − transport − treatment) − fixed yearly cost (transaction cost, pipe "
                "capex), as the simulation values a deal. Routes:"]
        out += [f"- `{k}`: {v}." for k, v in ROUTE_TEXT.items()]
    else:
        out.append("No exchange among these firms pays for itself at these prices.")
    if matches.allocation is not None:
        used = exchanges[exchanges.optimal_quantity > 0]
        out += ["", f"## Optimal allocation ({len(used)} exchanges)", "",
                "The exchanges a coordinated group would open, and how much each carries, to maximise the "
                "group's total yearly surplus net of fixed costs, given that alternatives compete for the same "
                "residue and the same demand (a mixed-integer program solved with HiGHS).", ""]
        rows = [[r.rank, _md(r.supplier), _md(r.buyer), f"{_md(r.residue)} → {_md(r.substitutes)}",
                 f"{_num(r.optimal_quantity, 1)} {_md(r.unit)}", _num(r.optimal_surplus_eur_per_yr)]
                for r in used.itertuples()]
        out.append(_table(["#", "supplier", "buyer", "residue → replaces", "quantity/yr", "surplus EUR/yr"], rows))
    out += ["", "## Shared services", ""]
    if services is None:
        out.append("The catalogue defines no shared-service kinds (a `services.yaml` beside the resource file, "
                   "in the format of `simulation/data/services.yaml`, adds them).")
    elif not len(services):
        out.append("No shared service would save its members money at these prices.")
    else:
        out += ["Services these firms would found by the simulation's rules (each member pays less than alone), "
                f"on their full flows, before any exchange; also in {_code(paths['services'].name)}. Exchanges and "
                "services may compete for the same residue.", ""]
        rows = [[_md(r.service), _md(r.members), f"{_num(r.quantity)} {_md(r.unit)}", _num(r.cost_eur_per_yr),
                 _num(r.standalone_eur_per_yr), _num(r.savings_eur_per_yr)] for r in services.itertuples()]
        out.append(_table(["service", "members", "quantity/yr", "cost EUR/yr", "alone EUR/yr", "saving EUR/yr"], rows))
    out += ["", "## Circularity profile of each firm against the group", "",
            "(a) circular performance: share of the firm's residues some partner could take, share of its "
            "inputs partners' residues could replace (mean over the families material, energy, water it has "
            "flows in); (b) territorial integration: partners and mean distance to them; (c) symbiosis potential: "
            "candidate exchanges and their surplus (summed over alternatives)"
            + ("; exchanges and surplus in the optimal allocation" if matches.allocation is not None else "")
            + f". Also in {_code(paths['firms'].name)}.", ""]
    header = ["firm", "sector", "employees", "residues placeable", "inputs coverable", "partners", "mean km",
              "links", "potential EUR/yr"]
    optimal = "optimal_links" in firms
    if optimal:
        header += ["optimal links", "optimal EUR/yr"]
    rows = []
    for r in firms.itertuples():
        row = ["**(group)**" if r.firm == "(group)" else _md(r.firm), _md(r.sector), _num(r.employees),
               _share(r.residue_outlet_share), _share(r.input_cover_share),
               _num(r.partners, 1 if r.firm == "(group)" else 0),
               _num(r.mean_partner_distance_km, 2), r.links, _num(r.potential_surplus_eur_per_yr)]
        if optimal:
            row += [r.optimal_links, _num(r.optimal_surplus_eur_per_yr)]
        rows.append(row)
    out.append(_table(header, rows))
    out.append("")
    return "\n".join(out)
