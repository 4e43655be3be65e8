"""The summary of a scenario's replicates: distributions of the final year, and what goes with their spread.

Why: a planner reading one run cannot tell a policy's effect from the luck of one seed (issue 11).
Across the replicates of one scenario (the same rules, different seeds) this module gives

* per indicator of the final simulated year, the distribution over seeds: median, 25th and 75th
  percentiles (numpy's default, linear interpolation), min, max and ``n``, the seeds where the
  indicator is defined (``symbiosis_efficiency`` and ``mean_exchange_distance_km`` may be empty);
* for a few headline indicators, how much of their variance across seeds goes with the mix of
  firms present in the final year: per archetype, the R² of a least-squares line of the indicator
  on the number of that archetype's firms present (one regression per archetype), its direction and
  the p-value of its slope. This is association across seeds, not causation: a seed that draws more
  applicants of one archetype also draws other things.

Input frames are those of a run folder (:func:`analysis.run_folder.load_run`, or the tables a run
produces in memory); values are in each indicator's unit (:mod:`simulation.indicators`).
"""

from __future__ import annotations

from collections.abc import Callable, Sequence
from pathlib import Path

import numpy as np
import pandas as pd
from scipy import stats

from simulation.indicators import BY_NAME, COLUMNS
from simulation.io.cells import markdown_text, neutralise_frame

# What a planner reads first: tonnes exchanged, what escapes landfill, what stays in the area, the
# recycled share of inputs and the size of the district.
HEADLINE = ("byproduct_exchanged_t", "landfill_diversion_rate", "local_closure_rate", "circular_input_rate", "firms")
TOP = 5  # archetypes listed per headline indicator
SUMMARY_COLUMNS = ["indicator", "unit", "n", "median", "p25", "p75", "min", "max"]
EXPLAINED_COLUMNS = ["indicator", "archetype", "r2", "direction", "p_value", "n"]
MORE, FEWER = "more firms, higher", "more firms, lower"


def final_year(indicators: pd.DataFrame) -> pd.Series:
    """The last simulated year's row of an ``indicators.csv``."""
    return indicators.sort_values("year").iloc[-1]


def archetypes_present(firms: pd.DataFrame, year: int) -> pd.Series:
    """Firms of each archetype present during ``year`` (``firms.csv``): entered by then and not gone
    before it (a firm leaving at the end of ``year`` still counts, as in the ``firms`` indicator)."""
    present = (firms.entry_year <= year) & (firms.exit_year.isna() | (firms.exit_year >= year))
    return firms.archetype[present].value_counts().sort_index()


def final_year_table(runs: Sequence[tuple[int, pd.DataFrame, pd.DataFrame]]) -> tuple[pd.DataFrame, pd.DataFrame]:
    """From ``(seed, indicators, firms)`` per replicate: one row per seed of the final year's
    indicators (``seed`` first), and one row per seed of the firms present then by archetype
    (0 where a seed has none of an archetype), both indexed by seed in the order given."""
    finals, counts = [], []
    for seed, indicators, firms in runs:
        last = final_year(indicators)
        finals.append(last.rename(seed))
        counts.append(archetypes_present(firms, int(last.year)).rename(seed))
    final = pd.DataFrame(finals).rename_axis("seed")
    present = pd.DataFrame(counts).fillna(0).astype(int).rename_axis("seed")
    return final, present[sorted(present.columns)]


def distribution(final: pd.DataFrame, names: Sequence[str] = COLUMNS) -> pd.DataFrame:
    """Per indicator of ``names`` found in ``final`` (one row per seed): ``indicator, unit, n,
    median, p25, p75, min, max`` over the seeds where it is defined (NaN for none)."""
    rows = []
    for name in (n for n in names if n in final):
        values = final[name].to_numpy(dtype=float)
        values = values[np.isfinite(values)]
        p25, median, p75 = np.percentile(values, [25, 50, 75]) if len(values) else (np.nan,) * 3
        rows.append({"indicator": name, "unit": BY_NAME[name].unit if name in BY_NAME else "",
                     "n": len(values), "median": median, "p25": p25, "p75": p75,
                     "min": values.min() if len(values) else np.nan,
                     "max": values.max() if len(values) else np.nan})
    return pd.DataFrame(rows, columns=SUMMARY_COLUMNS)


def variance_explained(values: pd.Series, present: pd.DataFrame) -> pd.DataFrame:
    """Share of the variance of ``values`` (one per seed) explained by each column of ``present``
    (one per archetype: its firms, or 0/1 presence, per seed), one least-squares line per column.

    Columns ``archetype, r2, direction, p_value, n``, best first (ties by name). An archetype whose
    count is the same on every seed explains nothing and is left out, as is every archetype when
    ``values`` does not vary (there is no spread to explain) or fewer than 3 seeds define it.
    """
    y = values.to_numpy(dtype=float)
    keep = np.isfinite(y)
    rows = []
    if keep.sum() >= 3 and np.ptp(y[keep]) > 0:
        for archetype in present.columns:
            x = present[archetype].to_numpy(dtype=float)[keep]
            if np.ptp(x) == 0:
                continue
            fit = stats.linregress(x, y[keep])
            rows.append({"archetype": archetype, "r2": min(float(fit.rvalue) ** 2, 1.0),
                         "direction": MORE if fit.slope > 0 else FEWER, "p_value": float(fit.pvalue),
                         "n": int(keep.sum())})
    table = pd.DataFrame(rows, columns=EXPLAINED_COLUMNS[1:])
    return table.sort_values(["r2", "archetype"], ascending=[False, True], kind="stable").reset_index(drop=True)


def spread_explained(final: pd.DataFrame, present: pd.DataFrame, names: Sequence[str] = HEADLINE,
                     top: int = TOP) -> pd.DataFrame:
    """The ``top`` archetypes of :func:`variance_explained` for each indicator of ``names``:
    columns ``indicator, archetype, r2, direction, p_value, n``."""
    parts = [variance_explained(final[name], present).head(top).assign(indicator=name)
             for name in names if name in final]
    table = pd.concat(parts, ignore_index=True) if parts else pd.DataFrame(columns=EXPLAINED_COLUMNS)
    return table[EXPLAINED_COLUMNS]


def number_text(value: float) -> str:
    """Whole numbers with thousands separators from 1,000 up, three significant figures below; empty
    for a missing value."""
    return "" if not np.isfinite(value) else f"{value:,.0f}" if abs(value) >= 1000 else f"{value:.3g}"


def summary_markdown(scenario: str, year: int, seeds: Sequence[int], summary: pd.DataFrame,
                     explained: pd.DataFrame) -> str:
    """``summary.md``: the distribution table and, per headline indicator, the archetypes that go
    with its spread, with the sentence saying what that does and does not mean."""
    n = len(seeds)
    lines = [f"# {markdown_text(scenario)}: {n} replicates, final year {year}", "",
             f"Each replicate is the same scenario run on another seed (seeds in `manifest.json`, one run "
             f"folder each). Distribution over the seeds of each indicator in {year}: median, interquartile "
             "range (25th–75th percentile), minimum, maximum; `n` counts the seeds where it is defined.", "",
             "| indicator | unit | n | median | 25th pct | 75th pct | min | max |",
             "|---|---|---:|---:|---:|---:|---:|---:|"]
    for row in summary.itertuples():
        lines.append(f"| `{row.indicator}` | {markdown_text(row.unit)} | {row.n} | "
                     + " | ".join(number_text(getattr(row, c)) for c in ("median", "p25", "p75", "min", "max")) + " |")
    lines += ["", "## What explains the spread", "",
              f"For each headline indicator, the share of its variance across the {n} seeds in {year} that the "
              "number of firms of one archetype present that year explains (R² of a straight line of the "
              "indicator on that number, one archetype at a time), for the five archetypes that explain most. "
              "\"More firms, higher\" means seeds with more firms of that archetype have higher values. This is "
              "an association across seeds, not a cause: the seeds that drew more firms of an archetype also "
              "drew other things (other applicants, other shocks), and archetypes crowd each other out of the "
              "plots. Many archetypes are tried, so about one in twenty shows p < 0.05 by chance alone.", ""]
    for name in dict.fromkeys(HEADLINE):
        part = explained[explained.indicator == name]
        lines.append(f"**`{name}`**")
        lines.append("")
        if not len(part):
            lines += ["The indicator does not vary across the seeds, or no archetype's count does: nothing to "
                      "explain.", ""]
            continue
        lines += ["| archetype | R² | direction | p |", "|---|---:|---|---:|"]
        lines += [f"| `{markdown_text(r.archetype)}` | {r.r2:.2f} | {r.direction} | {r.p_value:.2g} |"
                  for r in part.itertuples()]
        lines.append("")
    return "\n".join(lines).rstrip("\n") + "\n"


def summarise(scenario: str, runs: Sequence[tuple[int, pd.DataFrame, pd.DataFrame]]) -> tuple[pd.DataFrame, str]:
    """``summary.csv``'s table and ``summary.md``'s text for the replicates ``(seed, indicators, firms)``."""
    final, present = final_year_table(runs)
    summary = distribution(final)
    markdown = summary_markdown(scenario, int(final.year.max()), list(final.index), summary,
                                spread_explained(final, present))
    return summary, markdown


def summary_writers(summary: pd.DataFrame, markdown: str) -> dict[str, Callable[[Path], None]]:
    """The writers of ``summary.csv`` and ``summary.md`` (for :mod:`simulation.io.atomic`)."""
    return {"summary.csv": lambda path: neutralise_frame(summary).to_csv(path, index=False, lineterminator="\n"),
            "summary.md": lambda path: path.write_text(markdown, encoding="utf-8")}
