"""Figures of a scenario comparison and of matchmake's firm pages: each function returns a matplotlib ``Figure``.

Figures are built on :class:`matplotlib.figure.Figure` directly, never through ``pyplot``: no
global figure list to leak, no GUI backend needed (PNG and SVG render with Agg on a machine
without a screen), and a notebook's own backend is left alone. Seaborn gives the style and
palette. Every word comes from :class:`analysis.i18n.Texts`, so a figure exists in each language.

Scenarios keep one colour across all figures: the baseline dark grey, the others the
colour-blind-safe seaborn palette, in the order given.
"""

from __future__ import annotations

import io
import textwrap
from collections.abc import Iterator, Sequence
from contextlib import contextmanager

import matplotlib
import numpy as np
import pandas as pd
import seaborn as sns
from matplotlib.collections import LineCollection, PolyCollection
from matplotlib.colors import to_rgb
from matplotlib.figure import Figure
from matplotlib.lines import Line2D
from matplotlib.patches import Circle, Patch, Polygon, Rectangle
from matplotlib.ticker import Formatter, MaxNLocator, MultipleLocator
from scipy.spatial import ConvexHull

from analysis.families import FAMILIES, SHARES
from analysis.i18n import Texts
from analysis.run_folder import RunFolder
from analysis.statistics import HIGHER, LOWER

BASELINE_COLOUR = "#4d4d4d"
FAMILY_COLOURS = {"material": "#3b3b3b", "energy": "#e6550d", "water": "#1f78b4"}
FREE_PLOT = "#ececec"
PNG_DPI = 120
# What becomes of a residue (flows.csv: generated = exchanged + treated + disposed), and its colour.
FATES = {"exchanged": "#2ca02c", "treated": "#9ecae1", "disposed": "#bdbdbd"}
# The district map draws at most this many flows per panel, the largest: a facilitated district's
# hundred thin arrows between the same few dozen plots read as a tangle, not as a network.
MAP_ARROWS = 40
FAMILY_UNITS = {"material": "t", "energy": "MWh", "water": "m3"}


@contextmanager
def _style() -> Iterator[None]:
    """Seaborn's white-grid look for every axes created inside, without touching global settings."""
    with sns.axes_style("whitegrid"), sns.plotting_context("notebook", font_scale=0.85):
        yield


def scenario_colours(scenarios: Sequence[str]) -> dict[str, tuple]:
    """One colour per scenario; the first (the baseline) in dark grey."""
    palette = sns.color_palette("colorblind", max(len(scenarios) - 1, 1))
    colours = {scenarios[0]: to_rgb(BASELINE_COLOUR)}
    colours.update(zip(scenarios[1:], palette))
    return colours


def _legend_name(scenario: str, baseline: str, texts: Texts) -> str:
    """A scenario as the legends show it: its title, the baseline tagged as such."""
    title = texts.scenario(scenario)
    return texts("baseline_tag", name=title) if scenario == baseline else title


def _legend(fig: Figure, handles: list, labels: list[str] | None = None) -> None:
    """One legend below the panels, in as many columns as its longest label leaves room for."""
    labels = labels if labels is not None else [h.get_label() for h in handles]
    room = int(13 * fig.get_figwidth() / (max(map(len, labels)) + 6))  # about 13 characters per inch
    fig.legend(handles, labels, loc="outside lower center", ncols=max(1, min(len(labels), room)), frameon=False)


def _year_axis(ax, years: Sequence[int]) -> None:
    """Ticks on round years (every 5 over long spans), shown under every panel."""
    span = max(years) - min(years) if len(years) else 0
    ax.xaxis.set_major_locator(MultipleLocator(5) if span >= 10 else MaxNLocator(integer=True, nbins=6))
    ax.tick_params(labelbottom=True)


class _TickFormatter(Formatter):
    """Tick labels with as many decimals as the ticks' spacing needs, in the language's style.

    A fixed number of decimals writes a share between 99 % and 100 % as ``100 %, 100 %, 99 %``, or
    an eigenvalue ticked every 0.25 as ``0.2, 0.5, 0.8``: here every tick shows its own value.
    ``scale`` turns shares into percentages; ``sign`` writes ``+`` before positive values.
    """

    def __init__(self, texts: Texts, scale: float = 1.0, unit: str = "", sign: bool = False):
        self.texts, self.scale, self.unit, self.sign = texts, scale, unit, sign

    def set_locs(self, locs) -> None:
        self.ticks = np.asarray(locs, dtype=float)  # Formatter.locs is private from Matplotlib 3.11

    def _digits(self) -> int:
        locs = getattr(self, "ticks", np.zeros(0)) * self.scale
        tolerance = 1e-6 * max(1.0, float(np.ptp(locs)) if len(locs) else 1.0)
        for digits in range(5):
            if np.allclose(np.round(locs, digits), locs, rtol=0, atol=tolerance):
                return digits
        return 4

    def __call__(self, value, pos=None) -> str:
        return self.texts.number(value * self.scale, self._digits(), sign=self.sign and value != 0) + self.unit


def _value_formatter(indicator: str, texts: Texts) -> Formatter:
    return _TickFormatter(texts, 100.0, "%") if indicator in SHARES else _TickFormatter(texts)


def _wrap(text: str, width: int) -> str:
    return "\n".join(textwrap.wrap(text, width)) or text


def trajectories(summary: pd.DataFrame, scenarios: Sequence[str], indicators: Sequence[str], title: str,
                 texts: Texts) -> Figure:
    """Small multiples, one per indicator: each scenario's yearly mean with its 95 % confidence band.

    ``summary`` is :func:`analysis.statistics.describe` by scenario and year; ``scenarios[0]`` is
    the baseline. Indicators absent from ``summary`` are skipped.

    Overlapping bands must not hide the baseline: only the baseline's band is filled (grey); the
    other scenarios' bands are outlined in their colour over a faint fill, and the baseline's line
    lies on top of everything, dashed black, so that a scenario equal to the baseline shows as a coloured line
    through the dashes rather than disappearing under it.
    """
    shown = [i for i in indicators if i in set(summary.indicator)]
    cols = 3
    rows = -(-len(shown) // cols)
    colours = scenario_colours(scenarios)
    fig = Figure(figsize=(11, 2.9 * rows + 0.9), layout="constrained")
    with _style():
        axes = np.atleast_1d(fig.subplots(rows, cols, sharex=True, squeeze=False)).ravel()
        for ax, indicator in zip(axes, shown):
            data = summary[summary.indicator == indicator]
            for k, scenario in enumerate(scenarios):
                s = data[data.scenario == scenario].sort_values("year")
                if k == 0:
                    ax.fill_between(s.year, s.ci_low, s.ci_high, color="0.55", alpha=0.28, lw=0, zorder=1)
                    ax.plot(s.year, s["mean"], color="black", lw=1.7, ls=(0, (4, 2.5)), zorder=5,
                            label=_legend_name(scenario, scenarios[0], texts))
                    continue
                ax.fill_between(s.year, s.ci_low, s.ci_high, color=colours[scenario], alpha=0.07, lw=0, zorder=2)
                for edge in (s.ci_low, s.ci_high):
                    ax.plot(s.year, edge, color=colours[scenario], lw=0.8, alpha=0.75, ls=":", zorder=3)
                ax.plot(s.year, s["mean"], color=colours[scenario], lw=2.0, zorder=4,
                        label=_legend_name(scenario, scenarios[0], texts))
            ax.set_title(texts.label(indicator), fontsize="medium", pad=14 if f"note:{indicator}" in texts else 6)
            if f"note:{indicator}" in texts:
                ax.text(0.5, 1.01, texts(f"note:{indicator}"), transform=ax.transAxes, ha="center", va="bottom",
                        fontsize="x-small", color="0.3")
            ax.yaxis.set_major_formatter(_value_formatter(indicator, texts))
            _year_axis(ax, sorted(data.year.unique()))
        for k, ax in enumerate(axes):
            ax.set_visible(k < len(shown))
            if k + cols >= len(shown):  # the lowest panel of its column
                ax.set_xlabel(texts("year"))
        _legend(fig, *axes[0].get_legend_handles_labels())
        fig.suptitle(title, fontsize="large")
    return fig


def family_comparison(differences: pd.DataFrame, scenarios: Sequence[str], year: int, texts: Texts) -> Figure:
    """Final-year change of every indicator against the baseline, in %, one panel per family.

    ``differences`` is :func:`analysis.statistics.compare_with_baseline` for one year. Dots are
    filled when the difference is distinguishable from the baseline; bars are its 95 % interval
    (paired t, the verdict's own). Indicators without a relative change (baseline mean 0) are left
    out. Each family has its own x axis: one shared with the symbiosis family's +50 % would draw
    every change in circular performance at zero.
    """
    others = [s for s in scenarios[1:] if s in set(differences.scenario)]
    colours = scenario_colours(scenarios)
    d = differences[np.isfinite(differences.relative_difference)]
    families = {f: [i for i in members if i in set(d.indicator)] for f, members in FAMILIES.items()}
    families = {f: present for f, present in families.items() if present}
    fig = Figure(figsize=(12.5, 5.4), layout="constrained")
    offsets = np.linspace(0.2, -0.2, len(others)) if len(others) > 1 else np.zeros(1)  # first scenario on top
    with _style():
        axes = np.atleast_1d(fig.subplots(1, max(len(families), 1), squeeze=False)).ravel()
        for ax, (family, present) in zip(axes, families.items()):
            ypos = {ind: k for k, ind in enumerate(reversed(present))}
            for scenario, offset in zip(others, offsets):
                rows = d[(d.scenario == scenario) & d.indicator.isin(present)]
                for _, r in rows.iterrows():
                    scale = 100 / abs(r.baseline_mean)
                    y = ypos[r.indicator] + offset
                    x, low, high = r.mean_difference * scale, r.ci_low * scale, r.ci_high * scale
                    ax.plot([low, high], [y, y], color=colours[scenario], lw=1.6)
                    filled = r.verdict in (HIGHER, LOWER)
                    ax.plot([x], [y], "o", ms=7, color=colours[scenario],
                            markerfacecolor=colours[scenario] if filled else "white", markeredgewidth=1.6)
            ax.axvline(0, color=BASELINE_COLOUR, lw=1)
            low, high = ax.get_xlim()
            reach = max(abs(low), abs(high), 0.5)  # at least ±0.5 %: zero stays in the middle
            ax.set_xlim(-reach * 1.08, reach * 1.08)
            ax.xaxis.set_major_locator(MaxNLocator(nbins=5, symmetric=True))
            ax.xaxis.set_major_formatter(_TickFormatter(texts, sign=True))
            ax.set_yticks(range(len(present)), [_wrap(texts.label(i), 26) for i in reversed(present)])
            ax.set_ylim(-0.6, max(len(present), 1) - 0.4)
            ax.set_title(texts.name(family), fontsize="medium")
            ax.set_xlabel(texts("comparison_axis"))
            ax.grid(axis="y", visible=False)
        _legend(fig, [Line2D([], [], color=colours[s], marker="o", lw=1.6, label=s) for s in others])
        fig.suptitle(f"{texts('comparison_title', year=year)}\n{texts('comparison_filled')}", fontsize="large")
    return fig


def dose_response(summary: pd.DataFrame, levels: dict[str, dict], indicators: Sequence[str], year: int,
                  baseline: str | None, texts: Texts, differences: pd.DataFrame | None = None) -> Figure:
    """Final-year outcome against a grid lever's level: one panel per indicator, mean and 95 % interval.

    ``summary`` is :func:`analysis.statistics.describe` by scenario and year; ``levels`` maps each
    point of one grid sweep (a scenario) to its ``{dotted parameter: level}``. The lever on the x
    axis is the first parameter with more than one level; points that also differ in the other
    parameters are drawn as separate lines, one per combination. Numeric levels are placed at
    their value, others in the order given. The baseline point, when it is one of them, is marked
    by a vertical line; with ``differences`` (:func:`analysis.statistics.compare_with_baseline`)
    a level's dot is filled when its paired interval against the baseline excludes 0, as in
    :func:`family_comparison`.
    """
    parameters = list(next(iter(levels.values())))
    varying = [p for p in parameters if len({repr(v[p]) for v in levels.values()}) > 1] or parameters[:1]
    lever, others = varying[0], varying[1:]
    values = [v[lever] for v in levels.values()]
    numeric = all(isinstance(v, (int, float)) and not isinstance(v, bool) for v in values)
    order = list(dict.fromkeys(values))
    position = (lambda v: float(v)) if numeric else (lambda v: float(order.index(v)))
    lines: dict[str, list[str]] = {}
    for point, settings in levels.items():
        key = ", ".join(f"{p.rsplit('.', 1)[-1]}={settings[p]}" for p in others)
        lines.setdefault(key, []).append(point)
    shown = [i for i in indicators if i in set(summary.indicator)]
    cols = min(3, max(len(shown), 1))
    rows = -(-len(shown) // cols)
    final = summary[summary.year == year].set_index(["scenario", "indicator"])
    verdicts = {} if differences is None or not len(differences) else \
        differences[differences.year == year].set_index(["scenario", "indicator"]).verdict.to_dict()
    colours = sns.color_palette("colorblind", max(len(lines), 1))
    fig = Figure(figsize=(3.8 * cols + 0.6, 3.0 * rows + 1.1), layout="constrained")
    with _style():
        axes = np.atleast_1d(fig.subplots(rows, cols, squeeze=False)).ravel()
        for ax, indicator in zip(axes, shown):
            for colour, (key, points) in zip(colours, lines.items()):
                points = sorted(points, key=lambda p: position(levels[p][lever]))
                x = np.array([position(levels[p][lever]) for p in points])
                stats_ = final.reindex([(p, indicator) for p in points])
                mean = stats_["mean"].to_numpy(float)
                low, high = stats_.ci_low.to_numpy(float), stats_.ci_high.to_numpy(float)
                ax.fill_between(x, low, high, color=colour, alpha=0.10, lw=0)
                ax.errorbar(x, mean, yerr=np.vstack([mean - low, high - mean]), color=colour, marker="none",
                            lw=1.8, capsize=4, label=key or None)
                filled = np.array([verdicts.get((p, indicator)) in (HIGHER, LOWER) for p in points])
                base = np.array([p == baseline for p in points])
                for mask, edge, face in ((filled & ~base, colour, colour), (~filled & ~base, colour, "white"),
                                         (base, BASELINE_COLOUR, BASELINE_COLOUR)):
                    ax.plot(x[mask], mean[mask], "o", ms=6.5, color=edge, markerfacecolor=face,
                            markeredgewidth=1.6, zorder=4)
            if baseline in levels:
                ax.axvline(position(levels[baseline][lever]), color=BASELINE_COLOUR, lw=1, ls="--")
            ax.set_title(texts.label(indicator), fontsize="medium")
            ax.yaxis.set_major_formatter(_value_formatter(indicator, texts))
            if numeric:
                ax.set_xticks(sorted(set(x for x in map(position, values))))
            else:
                ax.set_xticks(range(len(order)), [str(v) for v in order])
            ax.set_xlabel(texts.parameter(lever), fontsize="small")
        for ax in axes[len(shown):]:
            ax.set_visible(False)
        handles = [Line2D([], [], color=c, marker="o", lw=1.8, label=k) for c, k in zip(colours, lines) if k]
        if baseline in levels:
            handles.append(Line2D([], [], color=BASELINE_COLOUR, lw=1, ls="--",
                                  label=texts("dose_baseline", name=texts.scenario(baseline))))
        _legend(fig, handles)
        title = texts("dose_title", year=year, lever=texts.parameter(lever))
        title += f"\n{texts('dose_filled')}" if verdicts else ""
        fig.suptitle("\n".join(_wrap(line, int(11 * fig.get_figwidth())) for line in title.split("\n")),
                     fontsize="large")
    return fig


def _in_force(exchanges: pd.DataFrame, year: int) -> pd.DataFrame:
    """Contracts delivering in ``year``: signed by then and not closed before it."""
    return exchanges[(exchanges.start_year <= year) & (exchanges.end_year >= year)]


def _present(firms: pd.DataFrame, year: int) -> pd.DataFrame:
    """Firms present during ``year`` (a firm leaving at the end of the year still counts for it)."""
    return firms[(firms.entry_year <= year) & (firms.exit_year.isna() | (firms.exit_year >= year))]


def district_map(runs: dict[str, RunFolder], year: int, seed: int, texts: Texts) -> Figure:
    """The district of one run per scenario in ``year``: plots by sector, exchanges as arrows.

    Plots are squares of their area at their centroid (``plots.csv`` keeps centroids and areas,
    not outlines). Arrow width grows with the contracted quantity, normalised per resource
    family over all panels, so the panels compare; a legend on the right gives the quantities
    three widths stand for. Only the :data:`MAP_ARROWS` largest flows of a panel are drawn (the
    panel's title says so when there are more), the smaller ones lighter. Shared services are drawn
    around their members (:func:`_draw_services`).
    """
    families = {}
    for run in runs.values():
        families.update(run.flows.drop_duplicates("resource").set_index("resource").family.to_dict())
    largest: dict[str, float] = {}
    for run in runs.values():
        ex = _in_force(run.exchanges, year)
        for family, q in ex.groupby(ex.resource.map(families)).quantity.max().items():
            largest[family] = max(largest.get(family, 0.0), float(q))
    groups = sorted({g for run in runs.values() for g in _present(run.firms, year).sector_group.dropna()})
    service_kinds = sorted({k for run in runs.values() for k in run.services.loc[run.services.year == year, "kind"]})
    # tab10 without the blue, orange, green, red and grey used by arrows, fates and free plots.
    strong = [c for k, c in enumerate(sns.color_palette("tab10", 10)) if k in (4, 5, 6, 8, 9)]
    service_colours = {k: strong[i % len(strong)] for i, k in enumerate(service_kinds)}
    kinds: dict[str, str] = {}  # kind -> service class, of the services drawn
    # Light fills, so the arrows stand out: ColorBrewer Set3 without its blue (water arrows) and grey
    # (free plots), ten colours; a catalogue with more sector groups reuses them.
    light = [c for k, c in enumerate(sns.color_palette("Set3", 12)) if k not in (4, 8)]
    sector_colours = {g: light[k % len(light)] for k, g in enumerate(groups)}
    fig = Figure(figsize=(max(5.6 * len(runs) + 0.4, 9.0), 6.4), layout="constrained")
    with _style():
        axes = np.atleast_1d(fig.subplots(1, len(runs), sharex=True, sharey=True, squeeze=False)).ravel()
        for ax, (scenario, run) in zip(axes, runs.items()):
            firms = _present(run.firms, year)
            sector_of_plot = firms.drop_duplicates("plot").set_index("plot").sector_group
            for plot in run.plots.itertuples():
                side = np.sqrt(plot.area_m2)
                group = sector_of_plot.get(plot.plot)
                colour = sector_colours.get(group, FREE_PLOT) if isinstance(group, str) else FREE_PLOT
                ax.add_patch(Rectangle((plot.x_m - side / 2, plot.y_m - side / 2), side, side, facecolor=colour,
                                       edgecolor="white", lw=0.8))
            kinds.update(_draw_services(ax, run, year, service_colours))
            where = firms.set_index("firm")[["x_m", "y_m"]]
            exchanges = _in_force(run.exchanges, year)
            pairs = exchanges.assign(family=exchanges.resource.map(families)).groupby(
                ["supplier", "buyer", "family"], as_index=False).quantity.sum()
            pairs = pairs[pairs.supplier.isin(where.index) & pairs.buyer.isin(where.index)]
            start, end = where.loc[pairs.supplier].to_numpy(), where.loc[pairs.buyer].to_numpy()
            scale = pairs.family.map(largest).to_numpy(dtype=float)
            relative = np.divide(pairs.quantity.to_numpy(dtype=float), scale, out=np.zeros(len(pairs)),
                                 where=scale > 0)
            drawn = np.argsort(-relative, kind="stable")[:MAP_ARROWS]
            _draw_arrows(ax, start[drawn], end[drawn], _arrow_width(relative[drawn]),
                         [FAMILY_COLOURS.get(f, "black") for f in pairs.family.to_numpy()[drawn]],
                         alphas=0.35 + 0.5 * np.clip(relative[drawn], 0, 1))
            ax.scatter(where.x_m, where.y_m, s=6, color="black", zorder=3)
            name = _legend_name(scenario, next(iter(runs)), texts)
            title = texts("map_panel", name=name, links=len(exchanges))
            if len(pairs) > MAP_ARROWS:
                title += "\n" + texts("map_panel_largest", shown=MAP_ARROWS, flows=len(pairs))
            ax.set_title(title, fontsize="medium")
            ax.set_aspect("equal")
            ax.autoscale_view()
            ax.grid(False)
            ax.set_xlabel(texts("map_axis_x"))
        axes[0].set_ylabel(texts("map_axis_y"))
        handles = [Patch(facecolor=sector_colours[g], label=texts.sector(g)) for g in groups]
        handles.append(Patch(facecolor=FREE_PLOT, label=texts.sector("free")))
        handles += [Line2D([], [], color=c, lw=2.5, label=texts.name(f)) for f, c in FAMILY_COLOURS.items()]
        handles += [Patch(facecolor=(*service_colours[k], 0.2) if c == "utility" else "none",
                          edgecolor=service_colours[k], linestyle="-" if c == "utility" else "--",
                          label=texts.service(k)) for k, c in sorted(kinds.items())]
        if largest:  # what three widths stand for: a header entry, then the widths
            handles.append(Line2D([], [], color="none", label=texts("map_widths")))
            handles += [Line2D([], [], color="0.35", lw=_arrow_width(np.array([f]))[0], solid_capstyle="round",
                               label=" · ".join(_compact(f * largest[family], FAMILY_UNITS.get(family, ""), texts)
                                                for family in FAMILY_COLOURS if largest.get(family)))
                        for f in (1.0, 0.5, 0.1)]
        _legend(fig, handles)
        # Wrapped to the figure's width (about 11 characters per inch at this size): a one-panel
        # map is 6 inches wide, and its title would otherwise be cut at both edges.
        fig.suptitle(_wrap(texts("map_title", year=year, seed=seed), int(11 * fig.get_figwidth())), fontsize="large")
    return fig


def _arrow_width(relative: np.ndarray) -> np.ndarray:
    """Line width (points) of a flow ``relative`` to the largest of its family."""
    return 0.4 + 4.0 * relative


def _draw_services(ax, run: RunFolder, year: int, colours: dict) -> dict[str, str]:
    """Outline each shared service of ``year`` around its members; returns ``{kind: class}`` drawn.

    A utility (pipe-bound, with a hub) is a shaded area around its members and hub (★); an
    accessory service, which serves firms anywhere in the district, a dashed outline only, so
    that overlapping district-wide services stay readable. Outlines are convex hulls of the
    members' plot centres, padded by 60 m.
    """
    services = run.services[run.services.year == year]
    where = run.firms.set_index("firm")[["x_m", "y_m"]]
    drawn = {}
    pad = 60.0 * np.array([[1, 1], [1, -1], [-1, 1], [-1, -1]])
    for service in services.itertuples():
        members = [int(m) for m in str(service.member_firms).split(";") if m.strip()]
        points = where.reindex(members).dropna().to_numpy()
        utility = service.service_class == "utility"
        if utility and np.isfinite(service.hub_x_m):
            points = np.vstack([points, [[service.hub_x_m, service.hub_y_m]]])
            ax.scatter([service.hub_x_m], [service.hub_y_m], marker="*", s=140, color=colours[service.kind],
                       edgecolor="black", linewidth=0.5, zorder=4)
        if not len(points):
            continue
        corners = (points[:, None, :] + pad[None]).reshape(-1, 2)
        hull = corners[ConvexHull(corners).vertices]
        colour = colours[service.kind]
        ax.add_patch(Polygon(hull, closed=True, facecolor=(*colour, 0.12) if utility else "none",
                             edgecolor=colour, lw=1.6 if utility else 1.2, linestyle="-" if utility else "--",
                             joinstyle="round", zorder=2))
        drawn[service.kind] = service.service_class
    return drawn


def _draw_arrows(ax, start: np.ndarray, end: np.ndarray, widths: np.ndarray, colours: list,
                 alphas: np.ndarray | None = None, head_scale: float = 1.0) -> None:
    """Curved arrows from ``start`` to ``end`` (n × 2, metres), as two collections.

    One quadratic Bezier per arrow, bent to its left so that the two directions between a pair
    of firms stay apart, and a triangular head near the end (14-30 m long; ``head_scale`` times
    that in other units or at another scale). Two collections draw hundreds of arrows in a
    fraction of the time of one patch per arrow.
    """
    keep = np.hypot(*(end - start).T) > 1.0 * head_scale  # two firms on one plot: nothing to draw
    start, end, widths = start[keep], end[keep], widths[keep]
    alphas = np.full(len(keep), 0.7)[keep] if alphas is None else np.asarray(alphas)[keep]
    colours = [(*to_rgb(c), a) for c, k, a in zip([c for c, k in zip(colours, keep) if k], keep[keep], alphas)]
    if not len(start):
        return
    chord = end - start
    normal = np.stack([-chord[:, 1], chord[:, 0]], axis=1)
    control = (start + end) / 2 + 0.18 * normal
    t = np.linspace(0.04, 0.9, 16)[None, :, None]
    curves = (1 - t) ** 2 * start[:, None] + 2 * (1 - t) * t * control[:, None] + t ** 2 * end[:, None]
    ax.add_collection(LineCollection(curves, linewidths=widths, colors=colours, capstyle="round"))
    tip = curves[:, -1]
    direction = tip - curves[:, -2]
    direction /= np.hypot(*direction.T)[:, None]
    side = np.stack([-direction[:, 1], direction[:, 0]], axis=1)
    size = head_scale * (14 + 5 * widths)[:, None]
    heads = np.stack([tip + direction * size, tip - direction * size * 0.4 + side * size * 0.6,
                      tip - direction * size * 0.4 - side * size * 0.6], axis=1)
    ax.add_collection(PolyCollection(heads, facecolors=[(*c[:3], min(1.0, c[3] + 0.15)) for c in colours],
                                     edgecolors="none"))


def _plain(text: str) -> str:
    """A user's name as matplotlib text: a ``$`` would start mathematics (and an odd one raise)."""
    return str(text).replace("$", r"\$")


def firm_map(xy_km: np.ndarray, names: Sequence[str], firm: int, links: pd.DataFrame, texts: Texts,
             radius_km: float | None = None) -> Figure:
    """One profiled firm's candidate exchanges (matchmake's page per firm) among the group's firms.

    ``xy_km``: every firm's position (n × 2, km), ``names`` their names, ``firm`` the position of the
    one drawn; ``links``: its candidate exchanges with integer columns ``supplier`` and ``buyer``
    (positions), ``family`` and ``quantity``, best first. One arrow per supplier, buyer and family
    (alternatives between a pair added up), from supplier to buyer, coloured by family, as wide as
    its quantity against the largest of its family; at most the :data:`MAP_ARROWS` first exchanges
    are drawn. Partners are named; ``radius_km`` (a search radius) is a circle around the firm.
    """
    total = len(links)
    links = links.head(MAP_ARROWS).groupby(["supplier", "buyer", "family"], as_index=False, sort=False).quantity.sum()
    partners = sorted(set(links.supplier) | set(links.buyer) - {firm})
    fig = Figure(figsize=(6.4, 5.4), layout="constrained")
    with _style():
        ax = fig.subplots()
        others = np.setdiff1d(np.arange(len(xy_km)), [firm, *partners])
        ax.scatter(*xy_km[others].T, s=14, color="0.7", zorder=3, label=texts("map_other"))
        if partners:
            ax.scatter(*xy_km[partners].T, s=36, color="black", zorder=4, label=texts("map_partner"))
        ax.scatter(*xy_km[[firm]].T, s=190, marker="*", color="#d62728", edgecolor="black", linewidth=0.6,
                   zorder=5, label=texts("map_this_firm"))
        if radius_km is not None:
            ax.add_patch(Circle(xy_km[firm], radius_km, facecolor="none", edgecolor="#d62728", linestyle=":",
                                lw=1.0, zorder=1))
        shown = np.vstack([xy_km, xy_km[[firm]] + radius_km * np.array([[1, 1], [-1, -1]])]) \
            if radius_km is not None else xy_km
        extent = max(float(np.ptp(shown[:, 0])), float(np.ptp(shown[:, 1])), 0.2)
        largest = links.groupby("family").quantity.transform("max").to_numpy(dtype=float)
        relative = np.divide(links.quantity.to_numpy(dtype=float), largest, out=np.zeros(len(links)),
                             where=largest > 0)
        _draw_arrows(ax, xy_km[links.supplier.to_numpy(dtype=int)], xy_km[links.buyer.to_numpy(dtype=int)],
                     _arrow_width(relative), [FAMILY_COLOURS.get(f, "black") for f in links.family],
                     alphas=0.45 + 0.45 * relative, head_scale=extent / 1500)
        for k in [firm, *partners]:
            ax.annotate(_plain(textwrap.shorten(str(names[k]), 28, placeholder="…")), xy_km[k], xytext=(5, 4),
                        textcoords="offset points", fontsize="small", zorder=6,
                        fontweight="bold" if k == firm else "normal")
        handles = ax.get_legend_handles_labels()[0]
        handles += [Line2D([], [], color=FAMILY_COLOURS[f], lw=2.5, label=texts.name(f))
                    for f in FAMILY_COLOURS if f in set(links.family)]
        ax.legend(handles=handles, loc="best", fontsize="small", framealpha=0.85)
        ax.set_aspect("equal", adjustable="datalim")
        ax.margins(0.12)
        ax.set_xlabel(texts("map_axis_x_km"))
        ax.set_ylabel(texts("map_axis_y_km"))
        ax.set_title(_wrap(_plain(texts("map_firm_title", firm=names[firm], links=total)), 70),
                     fontsize="medium")
    return fig


def png(fig: Figure) -> bytes:
    """The figure as PNG bytes (no software tag: the same bytes on every run)."""
    buffer = io.BytesIO()
    fig.savefig(buffer, format="png", dpi=PNG_DPI, metadata={"Software": None})
    return buffer.getvalue()


def residue_fates(flows: dict[str, list[pd.DataFrame]], texts: Texts) -> Figure:
    """Share of each residue exchanged, treated by a shared service or disposed, one panel per scenario.

    ``flows`` maps a scenario to the ``flows.csv`` frames of its replicates; totals are summed
    over years, then averaged over replicates. Resources are ordered by family, then by the
    first (baseline) scenario's exchanged share.
    """
    totals = {s: pd.concat([f.groupby(["resource", "family", "unit"])[["generated", *FATES]].sum()
                            for f in frames]).groupby(level=[0, 1, 2]).mean()
              for s, frames in flows.items()}
    first = next(iter(totals.values()))
    first = first[first.generated > 0].assign(share=lambda t: t.exchanged / t.generated)
    order = first.reset_index().sort_values(["family", "share"], ascending=[True, True])
    labels = [f"{texts.resource(r.resource)} ({_compact(r.generated, r.unit, texts)})" for r in order.itertuples()]
    first_year, last_year = (int(v) for v in (next(iter(flows.values()))[0].year.agg(["min", "max"])))
    fig = Figure(figsize=(4.2 * len(flows) + 2.8, 0.3 * len(order) + 1.8), layout="constrained")
    with _style():
        axes = np.atleast_1d(fig.subplots(1, len(flows), sharey=True, squeeze=False)).ravel()
        for ax, (scenario, total) in zip(axes, totals.items()):
            t = total.reindex(pd.MultiIndex.from_frame(order[["resource", "family", "unit"]]))
            generated = t.generated.where(t.generated > 0)
            y, left = np.arange(len(order)), np.zeros(len(order))
            for fate, colour in FATES.items():
                share = (100 * t[fate] / generated).fillna(0).to_numpy()
                ax.barh(y, share, left=left, color=colour, label=texts(f"fates_{fate}"))
                left += share
            ax.set_xlim(0, 100)
            ax.set_title(_legend_name(scenario, next(iter(flows)), texts), fontsize="medium")
            ax.set_xlabel(texts("fates_axis"))
            ax.grid(axis="y", visible=False)
        axes[0].set_yticks(np.arange(len(order)), labels)
        _legend(fig, *axes[0].get_legend_handles_labels())
        fig.suptitle(texts("fates_title", first=first_year, last=last_year), fontsize="large")
    return fig


def _compact(value: float, unit: str, texts: Texts) -> str:
    """A quantity in thousands or millions of its unit (``786 kt``, ``2.0 M m³``)."""
    unit = "m³" if unit == "m3" else unit
    for factor, prefix in ((1e6, "M"), (1e3, "k")):
        if abs(value) >= factor:
            joined = f"{prefix}{unit}" if unit in ("t",) else f"{prefix} {unit}"
            return f"{texts.number(value / factor, 0 if abs(value) >= 100 * factor else 1)} {joined}"
    return f"{texts.number(value, 0)} {unit}"


SENSITIVITY_INDICES = ("S1", "ST", "mu_star")  # Sobol' first-order and total; Morris mean absolute effect


def sensitivity_bars(indices: pd.DataFrame, sweep: str, texts: Texts) -> Figure:
    """Each parameter's sensitivity indices, one panel per outcome, from a sweep's ``sensitivity.csv``.

    ``indices`` has columns ``outcome, parameter`` and the estimator's indices (``S1, ST`` for
    Sobol', ``mu_star`` for Morris), each with an optional ``<index>_conf`` half-width drawn as
    an error bar. Outcomes without indices (constant over the design) are left out.
    """
    shown = [c for c in SENSITIVITY_INDICES if c in indices.columns]
    data = indices.dropna(subset=shown, how="all")
    outcomes = list(dict.fromkeys(data.outcome))
    parameters = list(dict.fromkeys(data.parameter))
    short = {p: texts.parameter(p) if f"parameter:{p}" in texts else ".".join(p.split(".")[-2:])
             for p in parameters}
    height = 0.28 * len(parameters) * len(shown) + 0.7
    fig = Figure(figsize=(11, height * -(-len(outcomes) // 2) + 0.9), layout="constrained")
    colours = sns.color_palette("colorblind", len(shown))
    with _style():
        axes = np.atleast_1d(fig.subplots(-(-len(outcomes) // 2), 2, squeeze=False, sharex=True)).ravel()
        for ax, outcome in zip(axes, outcomes):
            rows = data[data.outcome == outcome].set_index("parameter").reindex(parameters)
            y = np.arange(len(parameters))
            bar = 0.8 / len(shown)
            for k, (index, colour) in enumerate(zip(shown, colours)):
                conf = rows.get(f"{index}_conf")
                ax.barh(y - 0.4 + bar * (k + 0.5), rows[index], height=bar, color=colour,
                        label=texts.name(f"index:{index}"),
                        xerr=None if conf is None else conf.to_numpy(), error_kw={"lw": 1, "capsize": 2})
            ax.set_yticks(y, [short[p] for p in parameters])
            ax.invert_yaxis()
            ax.axvline(0, color=BASELINE_COLOUR, lw=0.8)
            ax.set_title(texts.label(outcome), fontsize="medium")
            ax.tick_params(labelbottom=True)
            ax.set_xlabel(texts("sensitivity_axis"))
        for ax in axes[len(outcomes):]:
            ax.set_visible(False)
        _legend(fig, *axes[0].get_legend_handles_labels())
        fig.suptitle(texts("sensitivity_title", sweep=texts.experiment(sweep)), fontsize="large")
    return fig


def render(fig: Figure) -> dict[str, bytes]:
    """The figure as PNG and SVG bytes; the SVG carries no date, so it is the same on every run."""
    out = {}
    with matplotlib.rc_context({"svg.hashsalt": "ecodistrict", "svg.fonttype": "path"}):
        for fmt, metadata in (("png", {"Software": None}), ("svg", {"Date": None})):
            buffer = io.BytesIO()
            fig.savefig(buffer, format=fmt, dpi=PNG_DPI, metadata=metadata)
            out[fmt] = buffer.getvalue()
    return out
