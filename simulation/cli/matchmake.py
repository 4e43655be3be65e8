"""The ``ecodistrict matchmake`` command: arguments, output files and what it prints.

``ecodistrict matchmake FIRMS.csv [--catalog FILE | --scenario FILE] [--radius KM] [--out FILE]
[--optimal] [--time-limit S] [--lang en|it] [--no-firm-reports]`` writes, beside ``--out`` (default ``matchmake.csv``):

* ``<out>.csv``: one row per potential exchange, best first
  (:data:`~simulation.matchmake.tables.POTENTIAL_EXCHANGE_COLUMNS`, plus the optimal quantity with ``--optimal``);
* ``<out>_firms.csv``: each firm's circularity profile against the group;
* ``<out>_services.csv``: shared-service opportunities (when the catalogue has service kinds);
* ``<out>.md``: a summary a planner can read;
* ``<out>_reports/``: the report handed to each firm, ``firms/<firm>.html`` (its position against
  the group, its synergies, the services it could join, a map), and ``index.html`` listing them, in
  ``--lang`` (:mod:`analysis.firm_report`).

Every file is checked by the ``--out``/``--force`` policy before the matching (the pages once the
profile file has named the firms) and all are renamed into place together.

The analysis lives in :mod:`simulation.matchmake`; this module only talks to the user.
"""

from __future__ import annotations

import argparse
import time
from pathlib import Path
from typing import TYPE_CHECKING

from analysis.i18n import LANGUAGES
from simulation.cli.arguments import (
    add_out_arguments,
    check_out_files,
    out_path,
    positive_number,
    reporting_write_errors,
    scenario_files,
)

if TYPE_CHECKING:
    import pandas as pd

DEFAULT_OUT = Path("matchmake.csv")
DEFAULT_TIME_LIMIT_S = 60.0


_positive_km = positive_number("a radius in km")
_positive_seconds = positive_number("a time limit in seconds")


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
    add_out_arguments(mm, f"exchanges CSV (default {DEFAULT_OUT}); the other files are written beside it",
                      "matchmake's files", default=DEFAULT_OUT, metavar="FILE")
    mm.add_argument("--optimal", action="store_true",
                    help="add the optimal allocation (which exchanges, at which quantity) and its value")
    mm.add_argument("--time-limit", type=_positive_seconds, default=DEFAULT_TIME_LIMIT_S, metavar="S",
                    help="stop the optimal allocation after S seconds with the best found "
                         f"(default {DEFAULT_TIME_LIMIT_S:g})")
    mm.add_argument("--lang", choices=LANGUAGES, default="en",
                    help="language of the firms' reports (default en)")
    mm.add_argument("--no-firm-reports", dest="firm_reports", action="store_false",
                    help="skip the page per firm (<out>_reports/), e.g. for a group of thousands")
    mm.set_defaults(handler=cmd_matchmake)


OUTPUT_ROLES = {"exchanges": "exchanges table", "firms": "firm profiles", "services": "services table",
                "summary": "summary"}


def output_paths(out: Path) -> dict[str, Path]:
    stem = out.with_suffix("") if out.suffix else out
    return {"exchanges": out if out.suffix else out.with_suffix(".csv"),
            "firms": stem.with_name(stem.name + "_firms.csv"),
            "services": stem.with_name(stem.name + "_services.csv"),
            "summary": stem.with_suffix(".md")}


def reports_folder(out: Path) -> Path:
    """The folder of the firms' reports: ``<out stem>_reports`` beside the exchanges table."""
    stem = out.with_suffix("") if out.suffix else out
    return stem.with_name(stem.name + "_reports")


def page_paths(out: Path, firms) -> dict[str, Path]:
    """The index and each firm's page (by what each holds, for the ``--out`` checks)."""
    from analysis.firm_report import FIRMS_FOLDER, INDEX
    from simulation.io.cells import safe_file_names

    folder = reports_folder(out)
    paths = {"index of the firm reports": folder / INDEX}
    for firm, name in zip(firms, safe_file_names(firms, ".html")):
        paths[f"report of firm {firm}"] = folder / FIRMS_FOLDER / name
    return paths


def write_csv(frame: pd.DataFrame, path: Path) -> None:
    """Write a table as CSV with Arrow's writer: ten times faster than pandas' on the hundreds of
    thousands of rows a district of 1,000 firms yields (text values are quoted)."""
    import pyarrow as pa
    import pyarrow.csv as pacsv

    from simulation.io.cells import neutralise_frame
    pacsv.write_csv(pa.Table.from_pandas(neutralise_frame(frame), preserve_index=False), str(path),
                    pacsv.WriteOptions(quoting_style="needed"))


@reporting_write_errors
def cmd_matchmake(args: argparse.Namespace) -> int:
    from simulation.inputs.firm_profiles import read_profiles
    from simulation.io.atomic import write_files_atomically
    from simulation.matchmake.matching import (
        allocate_optimally,
        find_matches,
        matching_catalogue,
        matching_setting,
        service_opportunities,
    )
    from simulation.matchmake.summary import summary_markdown
    from simulation.matchmake.tables import firm_profile, potential_exchanges_frame

    started = time.perf_counter()
    catalogue, scenario = matching_catalogue(catalog=args.catalog, scenario_path=args.scenario)
    paths = output_paths(out_path(args.out))
    inputs = [args.firms, *(Path(p) for p in (catalogue.resources_path, catalogue.archetypes_path,
                                               catalogue.services_path) if p)]
    inputs += scenario_files(scenario) if scenario else []
    check_out_files({OUTPUT_ROLES[k]: p for k, p in paths.items()}, inputs, force=args.force)
    profiles = read_profiles(args.firms, catalogue)
    pages = page_paths(out_path(args.out), profiles.firm) if args.firm_reports else {}
    if pages:
        check_out_files(pages, inputs, force=args.force)
    setting = matching_setting(catalogue, scenario)
    matches = find_matches(profiles, setting, args.radius)
    if args.optimal:
        allocate_optimally(matches, args.time_limit)
    services = service_opportunities(matches)
    exchanges, firms = potential_exchanges_frame(matches), firm_profile(matches)
    seconds = time.perf_counter() - started
    summary = summary_markdown(matches, exchanges, firms, services, args.time_limit, paths)
    files = {paths["exchanges"]: lambda p: write_csv(exchanges, p), paths["firms"]: lambda p: write_csv(firms, p)}
    if services is not None:
        files[paths["services"]] = lambda p: write_csv(services, p)
    files[paths["summary"]] = lambda p: p.write_text(summary, encoding="utf-8")
    if pages:
        from analysis.firm_report import OutputNames, firm_pages
        from analysis.i18n import Texts
        from simulation.io.cells import display_path

        names = OutputNames(profiles=display_path(args.firms), exchanges=paths["exchanges"].name,
                            summary=paths["summary"].name, services=paths["services"].name)
        folder = reports_folder(out_path(args.out))
        for name, html in firm_pages(matches, exchanges, firms, services, Texts(args.lang), names).items():
            files[folder / name] = lambda p, html=html: p.write_text(html, encoding="utf-8")
    write_files_atomically(files)
    written = [p for p in files if p.suffix != ".html"] + ([reports_folder(paths["exchanges"])] if pages else [])
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
