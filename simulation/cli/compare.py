"""The ``ecodistrict compare`` command: arguments, and what it prints (README, Comparing scenarios and reports).

Kept apart from :mod:`analysis.compare` so that building the parser imports neither matplotlib
nor seaborn: every ``ecodistrict`` command would otherwise pay for their import.
"""

from __future__ import annotations

import argparse
import logging
from pathlib import Path

from analysis.i18n import LANGUAGES
from simulation.cli.arguments import add_out_arguments, check_complete, check_out, reporting_write_errors

DEFAULT_OUT = Path("reports") / "comparison"


def add_compare_command(sub) -> None:
    """Register ``compare`` on the subparsers of ``ecodistrict``."""
    compare = sub.add_parser("compare", help="compare runs or sweeps: statistics, figures and an HTML report")
    compare.add_argument("folders", type=Path, nargs="+", metavar="DIR",
                         help="run folders (replicates of a scenario share its name) and/or sweep folders")
    compare.add_argument("--baseline", metavar="NAME",
                         help="scenario the others are compared with (default: the first one given)")
    add_out_arguments(compare, f"report folder (default: {DEFAULT_OUT}); other files in it are left alone",
                      "an earlier report", default=DEFAULT_OUT)
    compare.add_argument("--lang", choices=LANGUAGES, default="en", help="language of the report (default: en)")
    compare.set_defaults(handler=cmd_compare)


@reporting_write_errors
def cmd_compare(args: argparse.Namespace) -> int:
    from analysis.compare import compare, write_comparison
    from analysis.i18n import Texts
    from analysis.statistics import HIGHER, LOWER, SAME, TOO_FEW
    from simulation.io.out_paths import REPORT

    out = check_out(args.out, REPORT, args.folders, force=args.force)
    check_complete(args.folders)
    result = compare(args.folders, baseline=args.baseline)
    out = write_comparison(result, out, lang=args.lang)
    texts = Texts("en")
    for key, values in result.warnings:
        logging.getLogger(__name__).warning(texts(key, **values))
    final = result.differences[result.differences.year == result.final_year] if result.baseline else None
    for scenario in result.scenarios[1:]:
        tally = final[final.scenario == scenario].verdict.value_counts()
        counts = f"{tally.get(HIGHER, 0)} indicators higher, {tally.get(LOWER, 0)} lower, " \
                 f"{tally.get(SAME, 0)} not distinguishable"
        if tally.get(TOO_FEW, 0):
            counts = f"too few paired replicates for a verdict on {tally[TOO_FEW]} indicators"
        print(f"{scenario} vs {result.baseline} in {result.final_year}: {counts}")
    print(f"report written to {out / 'report.html'} (with summary.csv and figures/ as PNG and SVG)")
    return 0
