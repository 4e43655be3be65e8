"""Compare scenarios: statistics, figures and the report, from run or sweep folders.

The API behind ``ecodistrict compare``, usable from a notebook::

    from analysis.compare import compare, write_comparison
    result = compare(["runs/a-seed1", "runs/a-seed2", "runs/b-seed1", "runs/b-seed2"], baseline="a")
    result.summary        # mean and 95 % CI per scenario, year and indicator
    result.differences    # paired differences against the baseline, with verdicts
    write_comparison(result, "reports/demo", lang="it")

:func:`compare` does the statistics only (fast); :func:`figures` draws them;
:func:`write_comparison` writes ``report.html``, ``summary.csv`` and ``figures/*.png|svg``
atomically (each file is either the old one or the new one, never half of each), and lists them
in the folder so that a later report removes only what this one drew.
"""

from __future__ import annotations

import json
from dataclasses import dataclass
from pathlib import Path

import pandas as pd
from matplotlib.figure import Figure

from analysis import figures as fig
from analysis.families import HEADLINE_INDICATORS, NETWORK_INDICATORS, TRAJECTORY_INDICATORS, bounds
from analysis.i18n import Texts
from analysis.inputs import ComparisonInputs, load_inputs
from analysis.statistics import MIN_PAIRS, compare_with_baseline, describe
from simulation.inputs.errors import InputError, did_you_mean
from simulation.io.atomic import write_atomically, write_file_atomically
from simulation.io.cells import neutralise_frame
from simulation.io.out_paths import REPORT_MANIFEST

SUMMARY_COLUMNS = ["scenario", "year", "indicator", "n", "mean", "sd", "ci_low", "ci_high", "n_pairs",
                   "baseline_mean", "mean_difference", "relative_difference", "diff_ci_low", "diff_ci_high",
                   "diff_boot_low", "diff_boot_high", "p_value", "effect_size_dz", "verdict"]


@dataclass
class Comparison:
    """The statistics of a comparison, and the inputs they came from."""

    inputs: ComparisonInputs
    baseline: str | None          # None when only sensitivity indices were given
    scenarios: list[str]          # baseline first, then the others in the order given
    summary: pd.DataFrame         # statistics.describe: scenario, year, indicator, n, mean, sd, ci_low, ci_high
    differences: pd.DataFrame     # statistics.compare_with_baseline
    warnings: list[tuple[str, dict]]

    @property
    def final_year(self) -> int | None:
        return int(self.inputs.indicators.year.max()) if len(self.inputs.indicators) else None

    def seeds(self, scenario: str) -> list[int]:
        table = self.inputs.indicators
        return sorted(int(s) for s in table.loc[table.scenario == scenario, "seed"].unique())


def compare(paths: list[str | Path], baseline: str | None = None) -> Comparison:
    """Read the folders and compute every statistic; ``baseline`` defaults to the first scenario given."""
    inputs = load_inputs(paths)
    names = inputs.scenarios
    if baseline is not None and baseline not in names:
        hint = did_you_mean(baseline, names, n=1)
        raise InputError.single("command line", "--baseline", f"no scenario named {baseline!r} in the folders given",
                                f"give one of: {', '.join(names) or '(none)'}{hint}")
    baseline = baseline or (names[0] if names else None)
    scenarios = [baseline, *(n for n in names if n != baseline)] if baseline else []
    table = inputs.indicators
    summary = describe(table, inputs.indicator_names, bounds=bounds(inputs.indicator_names))
    differences = compare_with_baseline(table, baseline, inputs.indicator_names) if baseline else pd.DataFrame()
    result = Comparison(inputs, baseline, scenarios, summary, differences, list(inputs.notes))
    result.warnings += _pairing_warnings(result)
    return result


def _pairing_warnings(result: Comparison) -> list[tuple[str, dict]]:
    if len(result.scenarios) == 1:
        return [("warn_single", {})]
    warnings = []
    base_seeds = set(result.seeds(result.baseline)) if result.baseline else set()
    for scenario in result.scenarios[1:]:
        seeds = result.seeds(scenario)
        paired = [s for s in seeds if s in base_seeds]
        if seeds and not paired:  # nothing to pair: say why, with the seeds of both sides
            warnings.append(("warn_none_paired", {"name": scenario, "seeds": ", ".join(map(str, seeds)),
                                                  "baseline": result.baseline,
                                                  "baseline_seeds": ", ".join(map(str, sorted(base_seeds)))}))
        elif len(paired) < MIN_PAIRS:
            warnings.append(("warn_too_few", {"name": scenario, "n": len(paired), "min": MIN_PAIRS}))
        unpaired = [s for s in seeds if s not in base_seeds]
        if unpaired and paired:
            warnings.append(("warn_unpaired", {"name": scenario, "seeds": ", ".join(map(str, unpaired))}))
    return warnings


def summary_table(result: Comparison) -> pd.DataFrame:
    """``summary.csv``: every scenario, year and indicator, with its paired difference when it has one."""
    diffs = result.differences.rename(columns={"ci_low": "diff_ci_low", "ci_high": "diff_ci_high",
                                                "boot_low": "diff_boot_low", "boot_high": "diff_boot_high"})
    keys = ["scenario", "year", "indicator"]
    table = result.summary.merge(diffs, on=keys, how="left") if len(diffs) else result.summary.reindex(
        columns=SUMMARY_COLUMNS)
    order = {name: k for k, name in enumerate(result.scenarios)}
    indicator_order = {name: k for k, name in enumerate(result.inputs.indicator_names)}
    table = table.sort_values(keys, key=lambda c: c.map(order) if c.name == "scenario" else
                              c.map(indicator_order) if c.name == "indicator" else c, ignore_index=True)
    return table.reindex(columns=SUMMARY_COLUMNS)


@dataclass
class CaptionedFigure:
    """A figure with the file name it is saved under and its caption in the report."""

    name: str
    figure: Figure
    caption: str


def map_seed(result: Comparison) -> tuple[int | None, list[str]]:
    """The seed whose run folders cover the most scenarios (smallest first), and those scenarios."""
    runs = result.inputs.runs
    best: tuple[int | None, list[str]] = (None, [])
    for seed in sorted({seed for _, seed in runs}):
        covered = [s for s in result.scenarios if (s, seed) in runs]
        if len(covered) > len(best[1]):
            best = (seed, covered)
    return best


def _grids(result: Comparison) -> dict[str, dict[str, dict]]:
    """Each grid sweep with at least two points: experiment -> {point (scenario): {parameter: level}}."""
    grids: dict[str, dict[str, dict]] = {}
    for scenario in result.scenarios:
        if scenario in result.inputs.levels:
            experiment, point = result.inputs.levels[scenario]
            grids.setdefault(experiment, {})[scenario] = point
    return {name: points for name, points in grids.items() if len(points) > 1}


def figures(result: Comparison, texts: Texts) -> list[CaptionedFigure]:
    """Every figure the inputs allow, in report order, with captions in the language of ``texts``
    and the scenarios and experiments named by their titles in it."""
    texts = texts.named(result.inputs.titles, result.inputs.experiment_titles)
    out = []
    year = result.final_year
    if result.scenarios:
        out.append(CaptionedFigure("trajectories", fig.trajectories(
            result.summary, result.scenarios, TRAJECTORY_INDICATORS, texts("trajectories_title"), texts),
            texts("cap_trajectories")))
    if len(result.scenarios) > 1:
        final = result.differences[result.differences.year == year]
        omitted = sorted({texts.label(i) for i in final.indicator[~(final.baseline_mean.abs() > 0)]})
        out.append(CaptionedFigure("final_year_comparison", fig.family_comparison(final, result.scenarios, year, texts),
                                   texts("cap_comparison", year=year, omitted=texts(
                                       "omitted", names=", ".join(omitted)) if omitted else "")))
    for experiment, levels in _grids(result).items():
        indicators = [i for i in result.inputs.indicator_names if i in HEADLINE_INDICATORS or i in
                      TRAJECTORY_INDICATORS] or result.inputs.indicator_names
        out.append(CaptionedFigure(f"dose_response_{experiment}", fig.dose_response(
            result.summary, levels, indicators, year, result.baseline, texts, result.differences),
            texts("cap_dose", year=year, n=len(levels))))
    seed, mapped = map_seed(result)
    if mapped:
        runs = {s: result.inputs.runs[s, seed] for s in mapped}
        services = any((run.services.year == year).any() for run in runs.values())
        out.append(CaptionedFigure("district_map", fig.district_map(runs, year, seed, texts),
                                   texts("cap_map", year=year, seed=seed, arrows=fig.MAP_ARROWS)
                                   + texts("cap_services" if services else "cap_no_services", year=year)))
        flows = {s: [run.flows for (name, _), run in sorted(result.inputs.runs.items()) if name == s]
                 for s in result.scenarios}
        flows = {s: frames for s, frames in flows.items() if frames}  # sweep points have no run folders
        out.append(CaptionedFigure("residue_fates", fig.residue_fates(flows, texts), texts("cap_fates")))
    if any(i in result.inputs.indicator_names for i in NETWORK_INDICATORS):
        out.append(CaptionedFigure("network_metrics", fig.trajectories(
            result.summary, result.scenarios, NETWORK_INDICATORS, texts("network_title"), texts),
            texts("cap_network")))
    for name, indices in result.inputs.sensitivity.items():
        out.append(CaptionedFigure(f"sensitivity_{name}", fig.sensitivity_bars(indices, name, texts),
                                   texts("cap_sensitivity")))
    return out


def write_comparison(result: Comparison, out: str | Path, lang: str = "en") -> Path:
    """Write ``report.html``, ``summary.csv`` and ``figures/<name>.png|svg`` into ``out``; returns ``out``.

    The files it writes are listed in ``out``/:data:`~simulation.io.out_paths.REPORT_MANIFEST`:
    a later report removes only the figures an earlier one listed, never a user's own files, and
    refuses to overwrite a file no report listed.
    """
    from analysis.report import render_report

    out = Path(out)
    texts = Texts(lang)
    drawn = [(f, fig.render(f.figure)) for f in figures(result, texts)]
    html = render_report(result, [(f.name, f.caption, images["png"]) for f, images in drawn], texts)
    summary = summary_table(result)
    writers = {"report.html": lambda p: p.write_text(html, encoding="utf-8"),
               "summary.csv": lambda p: neutralise_frame(summary).to_csv(p, index=False, lineterminator="\n")}
    for f, images in drawn:
        for fmt, data in images.items():
            writers[f"figures/{f.name}.{fmt}"] = lambda p, data=data: p.write_bytes(data)
    earlier = _listed(out)
    for name in writers:
        if name not in earlier and (out / name).exists():
            raise InputError.single(out / name, "", f"no earlier report lists this file ({REPORT_MANIFEST}), "
                                    "and this one would replace it", "move it elsewhere, or give another --out")
    # Listed before they are written, so that a report killed halfway still owns every file it left.
    _write_listing(out, sorted(earlier | set(writers)))
    write_atomically(out, writers)
    for name in sorted(earlier - set(writers)):
        if name.startswith("figures/"):
            (out / name).unlink(missing_ok=True)  # a figure an earlier report drew and this one did not
    _write_listing(out, sorted(writers))
    return out


def _listed(out: Path) -> set[str]:
    """The files an earlier report in ``out`` listed (none when it holds no report manifest)."""
    path = out / REPORT_MANIFEST
    if not path.is_file():
        return set()
    try:
        listing = json.loads(path.read_text(encoding="utf-8"))
    except (OSError, ValueError):
        listing = None
    files = listing.get("files") if isinstance(listing, dict) else None
    if not isinstance(files, list) or not all(isinstance(f, str) for f in files):
        raise InputError.single(path, "files", "not a list of the report's files",
                                "delete the file and the figures you do not want to keep, then compare again")
    return set(files)


def _write_listing(out: Path, files: list[str]) -> None:
    text = json.dumps({"files": files}, indent=2) + "\n"
    write_file_atomically(out / REPORT_MANIFEST, lambda p: p.write_text(text, encoding="utf-8"))
