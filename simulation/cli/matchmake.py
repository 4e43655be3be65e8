"""The ``ecodistrict matchmake`` command: arguments, output files and the readable summary.

``ecodistrict matchmake FIRMS.csv [--catalog FILE | --scenario FILE] [--radius KM] [--out FILE]
[--optimal] [--time-limit S]`` writes, beside ``--out`` (default ``matchmake.csv``):

* ``<out>.csv``: one row per feasible exchange, best first (:data:`~simulation.matchmake.matching.EXCHANGE_COLUMNS`,
  plus the optimal quantity with ``--optimal``);
* ``<out>_firms.csv``: each firm's circularity profile against the group;
* ``<out>_services.csv``: shared-service opportunities (when the catalogue has service kinds);
* ``<out>.md``: a summary a planner can read.

The analysis lives in :mod:`simulation.matchmake.matching`; this module only talks to the user.
"""

from __future__ import annotations

import argparse
import math
import os
import time
from pathlib import Path
from typing import TYPE_CHECKING

if TYPE_CHECKING:
    import pandas as pd

DEFAULT_OUT = Path("matchmake.csv")
DEFAULT_TIME_LIMIT_S = 60.0
TOP_EXCHANGES = 20


def _positive_number(what: str):
    """Argument type: a finite number > 0 (``what`` names it in the message); argparse exits with 2."""

    def parse(text: str) -> float:
        try:
            value = float(text)
        except ValueError:
            raise argparse.ArgumentTypeError(f"{text!r} is not a number (give {what} > 0)") from None
        if not math.isfinite(value) or value <= 0:
            raise argparse.ArgumentTypeError(f"{text} is not a valid value (give {what} > 0)")
        return value

    return parse


_positive_km = _positive_number("a radius in km")
_positive_seconds = _positive_number("a time limit in seconds")


def add_matchmake_command(sub) -> None:
    """Register ``matchmake`` on the subparsers of ``ecodistrict``."""
    mm = sub.add_parser("matchmake", help="rank the potential exchanges and shared services among real firms "
                                          "(a firm profile CSV)")
    mm.add_argument("firms", type=Path, help="firm profile CSV: firm, sector, x_km, y_km, employees, direction, "
                                             "resource, quantity, unit")
    source = mm.add_mutually_exclusive_group()
    source.add_argument("--catalog", type=Path, metavar="FILE",
                        help="resource catalogue YAML of another territory (default: the shipped one); "
                             "archetypes.yaml and services.yaml beside it are used when present")
    source.add_argument("--scenario", type=Path, metavar="FILE",
                        help="price with this scenario's catalogue, policy (in force in its first year) "
                             "and negotiation terms (default: the shipped defaults)")
    mm.add_argument("--radius", type=_positive_km, metavar="KM",
                    help="knowledge radius: pair firms only within KM of one of them (default: transport reach only)")
    mm.add_argument("--out", type=Path, default=DEFAULT_OUT, metavar="FILE",
                    help=f"exchanges CSV (default {DEFAULT_OUT}); the other files are written beside it")
    mm.add_argument("--optimal", action="store_true",
                    help="add the optimal allocation (which exchanges, at which quantity) and its value")
    mm.add_argument("--time-limit", type=_positive_seconds, default=DEFAULT_TIME_LIMIT_S, metavar="S",
                    help=f"stop the optimal allocation after S seconds with the best found (default {DEFAULT_TIME_LIMIT_S:g})")
    mm.set_defaults(handler=cmd_matchmake)


def output_paths(out: Path) -> dict[str, Path]:
    stem = out.with_suffix("") if out.suffix else out
    return {"exchanges": out if out.suffix else out.with_suffix(".csv"),
            "firms": stem.with_name(stem.name + "_firms.csv"),
            "services": stem.with_name(stem.name + "_services.csv"),
            "summary": stem.with_suffix(".md")}


def _check_out(out: Path) -> None:
    from simulation.inputs.errors import InputError
    if out.is_dir():
        raise InputError.single("command line", "--out", f"{out} is a folder",
                                "give a file name, e.g. --out results/matchmake.csv")
    for folder in out.parents:
        if folder.exists():
            if not folder.is_dir():
                raise InputError.single("command line", "--out", f"{folder} is a file, not a folder",
                                        "give a path in an existing or new folder")
            return


def _write(path: Path, write) -> None:
    """Write through a temporary file beside ``path`` so that a half-written file never remains."""
    path.parent.mkdir(parents=True, exist_ok=True)
    tmp = path.with_name(f".{path.name}.tmp-{os.getpid()}")
    try:
        write(tmp)
        os.replace(tmp, path)
    finally:
        if tmp.exists():
            tmp.unlink()


def write_csv(frame: "pd.DataFrame", path: Path) -> None:
    """Write a table as CSV with Arrow's writer: ten times faster than pandas' on the hundreds of
    thousands of rows a district of 1,000 firms yields (text values are quoted)."""
    import pyarrow as pa
    import pyarrow.csv as pacsv
    pacsv.write_csv(pa.Table.from_pandas(frame, preserve_index=False), str(path),
                    pacsv.WriteOptions(quoting_style="needed"))


def cmd_matchmake(args: argparse.Namespace) -> int:
    from simulation.inputs.firm_profiles import read_profiles
    from simulation.matchmake.matching import (allocate_optimally, exchanges_frame, find_matches, firm_profile,
                                        matching_catalogue, matching_setting, service_opportunities)

    _check_out(args.out)
    started = time.perf_counter()
    catalogue, scenario = matching_catalogue(catalog=args.catalog, scenario_path=args.scenario)
    profiles = read_profiles(args.firms, catalogue)
    setting = matching_setting(catalogue, scenario)
    matches = find_matches(profiles, setting, args.radius)
    if args.optimal:
        allocate_optimally(matches, args.time_limit)
    services = service_opportunities(matches)
    exchanges, firms = exchanges_frame(matches), firm_profile(matches)
    seconds = time.perf_counter() - started
    paths = output_paths(args.out)
    _write(paths["exchanges"], lambda p: write_csv(exchanges, p))
    _write(paths["firms"], lambda p: write_csv(firms, p))
    written = [paths["exchanges"], paths["firms"]]
    if services is not None:
        _write(paths["services"], lambda p: write_csv(services, p))
        written.append(paths["services"])
    summary = summary_markdown(matches, exchanges, firms, services, args, paths)
    _write(paths["summary"], lambda p: p.write_text(summary, encoding="utf-8"))
    written.append(paths["summary"])
    print(f"matched {len(profiles)} firms ({profiles.rows} flows) in {seconds:.2f} s: "
          f"{len(matches)} exchanges with a positive yearly surplus"
          + (f", best {exchanges.supplier[0]} -> {exchanges.buyer[0]} ({exchanges.residue[0]}, "
             f"{exchanges.surplus_eur_per_yr[0]:,.0f} EUR/yr)" if len(exchanges) else ""))
    if matches.allocation is not None:
        a = matches.allocation
        print(f"optimal allocation: {int(a.used.sum())} exchanges, {a.value:,.0f} EUR/yr"
              + ("" if a.optimal else f" (time limit reached; the optimum is at most {a.bound:,.0f})"))
    print("wrote " + ", ".join(str(p) for p in written))
    return 0


# ---------------------------------------------------------------------------------------------- summary

def _num(value, digits: int = 0) -> str:
    if value is None or (isinstance(value, float) and math.isnan(value)):
        return ""
    return f"{value:,.{digits}f}"


def _share(value) -> str:
    return "" if value is None or (isinstance(value, float) and math.isnan(value)) else f"{100 * value:.0f} %"


def _table(header: list[str], rows: list[list[str]]) -> str:
    lines = ["| " + " | ".join(header) + " |", "|" + "|".join("---" for _ in header) + "|"]
    lines += ["| " + " | ".join(str(c).replace("|", "/") for c in row) + " |" for row in rows]
    return "\n".join(lines)


def summary_markdown(matches, exchanges: pd.DataFrame, firms: pd.DataFrame, services, args, paths) -> str:
    from simulation.matchmake.matching import ROUTE_TEXT

    s, p = matches.setting, matches.profiles
    cat = s.catalogue
    out = [f"# Matchmaking among the firms of `{p.path}`", ""]
    out += [f"- **Firms**: {len(p)} ({p.rows} flows), {int(p.employees.sum()):,} employees.",
            f"- **Catalogue**: `{cat.resources_path}`"
            + (f", service kinds `{cat.services_path}`" if cat.services_path else ", no service kinds") + ".",
            f"- **Prices and transaction costs**: {s.pricing}.",
            "- **Search**: " + ("every partner within the residue's transport reach" if matches.radius_km is None
                                 else f"partners within {matches.radius_km:g} km of one of the two firms "
                                      "(and within transport reach)") + ".",
            f"- **Exchanges**: {matches.candidates_found} candidate pairs within reach; {len(matches)} with a "
            f"positive yearly surplus, listed in `{paths['exchanges'].name}`.",
            f"- **Potential**: {_num(matches.surplus.sum())} EUR/yr and {_num(matches.co2_avoided_t.sum(), 1)} t CO2/yr "
            "summed over the listed exchanges (alternatives for the same residue counted together: an upper "
            "estimate" + (", see the optimal allocation below" if matches.allocation is not None else
                          "; `--optimal` allocates residues among competing buyers") + ")."]
    if matches.allocation is not None:
        a = matches.allocation
        used = a.used
        co2 = (matches.co2_avoided_t[used] / matches.quantity[used] * a.quantity[used]).sum()
        status = ("solved to optimality" if a.optimal else
                  f"time limit of {args.time_limit:g} s reached: the best allocation found, the optimum is at "
                  f"most {_num(a.bound)} EUR/yr")
        out.append(f"- **Optimal allocation**: {int(used.sum())} exchanges, {_num(a.value)} EUR/yr net of fixed "
                   f"yearly costs, {_num(co2, 1)} t CO2/yr ({status}).")
    out += ["", f"## Best exchanges (top {min(TOP_EXCHANGES, len(exchanges))} of {len(exchanges)})", ""]
    if len(exchanges):
        rows = [[r.rank, r.supplier, r.buyer, f"{r.residue} → {r.substitutes}", f"{_num(r.quantity, 1)} {r.unit}",
                 _num(r.distance_km, 2), _num(r.unit_surplus_eur, 2), _num(r.surplus_eur_per_yr),
                 _num(r.co2_avoided_t, 1), r.route] for r in exchanges.head(TOP_EXCHANGES).itertuples()]
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
        rows = [[r.rank, r.supplier, r.buyer, f"{r.residue} → {r.substitutes}",
                 f"{_num(r.optimal_quantity, 1)} {r.unit}", _num(r.optimal_surplus_eur_per_yr)]
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
                f"on their full flows, before any exchange; also in `{paths['services'].name}`. Exchanges and "
                "services may compete for the same residue.", ""]
        rows = [[r.service, r.members, f"{_num(r.quantity)} {r.unit}", _num(r.cost_eur_per_yr),
                 _num(r.standalone_eur_per_yr), _num(r.savings_eur_per_yr)] for r in services.itertuples()]
        out.append(_table(["service", "members", "quantity/yr", "cost EUR/yr", "alone EUR/yr", "saving EUR/yr"], rows))
    out += ["", "## Circularity profile of each firm against the group", "",
            "(a) circular performance: share of the firm's residues some partner could take, share of its "
            "inputs partners' residues could replace (mean over the families material, energy, water it has "
            "flows in); (b) territorial integration: partners and mean distance to them; (c) symbiosis potential: "
            "candidate exchanges and their surplus (summed over alternatives)"
            + ("; exchanges and surplus in the optimal allocation" if matches.allocation is not None else "")
            + f". Also in `{paths['firms'].name}`.", ""]
    header = ["firm", "sector", "employees", "residues placeable", "inputs coverable", "partners", "mean km",
              "links", "potential EUR/yr"]
    optimal = "optimal_links" in firms
    if optimal:
        header += ["optimal links", "optimal EUR/yr"]
    rows = []
    for r in firms.itertuples():
        row = [f"**{r.firm}**" if r.firm == "(group)" else r.firm, r.sector, _num(r.employees),
               _share(r.residue_outlet_share), _share(r.input_cover_share), _num(r.partners, 1 if r.firm == "(group)" else 0),
               _num(r.mean_partner_distance_km, 2), r.links, _num(r.potential_surplus_eur_per_yr)]
        if optimal:
            row += [r.optimal_links, _num(r.optimal_surplus_eur_per_yr)]
        rows.append(row)
    out.append(_table(header, rows))
    out.append("")
    return "\n".join(out)
