"""The live view's two figures, drawn from a running model: the district map and the KPI charts.

Both are plain matplotlib ``Figure`` objects (no ``pyplot``, no GUI backend), built from the
model's present state alone, so that :mod:`simulation.view.components` can redraw them after
every step and ``benchmarks/bench_view.py`` can time them without a browser. Their legends are
returned as :class:`Key` entries that the page writes as HTML beside the image: text drawn by
matplotlib is most of a figure's drawing time, and a step must redraw in well under 300 ms.
Colours are those of the static report (:mod:`analysis.figures`), so live and report maps read alike.
"""

from __future__ import annotations

import math
from dataclasses import dataclass

import numpy as np
import seaborn as sns
from matplotlib.collections import LineCollection, PolyCollection
from matplotlib.colors import to_hex
from matplotlib.figure import Figure

from analysis.figures import FAMILY_COLOURS, FREE_PLOT
from analysis.i18n import Texts
from simulation.indicators import FAMILY_ORDER, REGISTRY, Indicator

TEXTS = Texts("en")
LINK_WIDTH_MAX = 6.0   # points: the width of a link carrying its family's reference quantity
LINK_WIDTH_MIN = 0.5   # points: the thinnest link drawn, so that a small delivery stays visible
FAMILY_UNITS = {"material": "t", "energy": "MWh", "water": "m³"}
SCALE_BAR_M = 500.0
# Light fills for the sector groups (ColorBrewer Set3 without its blue and grey, as in the report's maps).
SECTOR_FILLS = [to_hex(c) for k, c in enumerate(sns.color_palette("Set3", 12)) if k not in (4, 8)]
SERVICE_COLOURS = [to_hex(c) for k, c in enumerate(sns.color_palette("tab10", 10)) if k in (4, 5, 6, 8, 9)]
KPI_COLOURS = [to_hex(c) for c in sns.color_palette("colorblind", 6)]


@dataclass(frozen=True)
class Key:
    """One legend entry: ``shape`` "box" (a plot's fill), "line" (of ``width`` points, ``dashed``
    or not), "dot" (a firm) or "star" (a service hub), in ``colour``, with its ``label``."""

    shape: str
    colour: str
    label: str
    width: float = 2.0
    dashed: bool = False


@dataclass(frozen=True)
class Links:
    """The exchanges that delivered in the last simulated year, one row per contract."""

    supplier: np.ndarray  # firm unique_ids
    buyer: np.ndarray
    resource: np.ndarray  # catalogue resource index of the residue
    quantity: np.ndarray  # residue units delivered in the year (t, MWh or m³)

    @classmethod
    def of(cls, model) -> Links:
        """Contracts whose ``delivered`` is positive: the model resets it for every contract when
        the year's market opens, so these are the year's deliveries (``symbiosis_links``)."""
        c = model.contracts
        rows = np.flatnonzero(c.delivered > 0)
        return cls(c.supplier[rows], c.buyer[rows], model.subs.residue[c.substitution[rows]], c.delivered[rows])


def nice_ceiling(value: float) -> float:
    """The smallest of 1, 2, 5 × 10^k at or above ``value`` (> 0): a round reference quantity."""
    power = 10.0 ** math.floor(math.log10(value))
    return next(step * power for step in (1, 2, 5, 10) if step * power >= value * (1 - 1e-12))


def sector_colours(model) -> dict[str, str]:
    """One light fill per sector group of the catalogue, in alphabetical order (stable over a run)."""
    groups = sorted({a.sector_group for a in model.catalogue.archetypes.values()})
    return {g: SECTOR_FILLS[k % len(SECTOR_FILLS)] for k, g in enumerate(groups)}


def firm_positions(model) -> dict[int, tuple[float, float]]:
    """Each present firm's position (m): the centre of its plot."""
    plots = model.plots
    return {f.unique_id: (float(plots.x_m[f.plot]), float(plots.y_m[f.plot])) for f in model.firms()}


def map_title(model) -> str:
    """What the map shows: the district at the start of the model's next year, the exchanges of the last."""
    plots, firms = model.plots, model.firms()
    done = model.year - model.scenario.years.start
    return (f"Start of {model.year}: {len(firms)} firms on {int(np.count_nonzero(plots.occupants))} of "
            f"{len(plots)} plots" + (f"; exchanges and services of {model.year - 1}" if done else ""))


@dataclass(frozen=True)
class MapService:
    """One shared service as the map draws it: ``colour`` index, service kind id, hub (m) when it is
    pipe-bound with a known hub (None: district-wide), member firms' unique_ids."""

    colour: int
    kind: str
    hub_m: np.ndarray | None
    members: list[int]


@dataclass(frozen=True)
class DistrictState:
    """What the district map draws, from a running model (:meth:`of_model`) or a stored run
    folder (:func:`simulation.view.stored.district_state`): plots, firms, a year's exchanges and
    services."""

    x_m: np.ndarray           # plot centres and areas
    y_m: np.ndarray
    area_m2: np.ndarray
    colours: dict[str, str]   # sector group -> fill, stable over a run
    group_of_plot: dict[int, str]  # occupied plot index -> sector group of its firm
    where: dict[int, tuple[float, float]]  # present firm's unique_id -> position (m)
    supplier: np.ndarray      # the exchanges drawn: firm unique_ids, resource family, quantity a year, unit
    buyer: np.ndarray
    family: np.ndarray
    quantity: np.ndarray
    unit: np.ndarray
    services: list[MapService]

    @classmethod
    def of_model(cls, model) -> DistrictState:
        plots, cat = model.plots, model.catalogue
        firms = model.firms()
        links = Links.of(model)
        kinds = model.services.kinds
        services = []
        for service in model.services.active():
            kind = kinds[service.kind]
            hub = service.hub_km * 1000.0 if kind.pipe_bound and np.isfinite(service.hub_km).all() else None
            services.append(MapService(service.kind, kind.id, hub, service.members.tolist()))
        return cls(plots.x_m, plots.y_m, plots.area_m2, sector_colours(model),
                   {f.plot: cat.archetypes[cat.archetype_ids[f.archetype]].sector_group for f in firms},
                   firm_positions(model), links.supplier, links.buyer, cat.family[links.resource], links.quantity,
                   cat.unit[links.resource], services)


def district_figure(model) -> tuple[Figure, list[Key]]:
    """The district now, and its legend (:func:`draw_district` of the model's present state)."""
    return draw_district(DistrictState.of_model(model))


def draw_district(state: DistrictState) -> tuple[Figure, list[Key]]:
    """The district, and its legend: plots by the sector of their firm (grey: free), firms as
    dots, the year's exchanges as lines whose width is proportional to the quantity delivered,
    and shared utilities as a star at their hub with dashed spokes to their members.

    Widths are proportional within each resource family, against a round reference quantity
    (1, 2 or 5 × 10^k, at or above the year's largest delivery of the family) that the legend
    shows; accessory services (canteen, patrols), which serve firms anywhere, are listed in the
    legend with their member counts rather than drawn.
    """
    colours, group_of_plot, where = state.colours, state.group_of_plot, state.where
    n_plots = len(state.x_m)
    fig = Figure(figsize=(6.4, 5.4), dpi=100)
    ax = fig.add_axes((0.01, 0.01, 0.98, 0.98))
    ax.set_axis_off()
    half = np.sqrt(state.area_m2) / 2
    corners = np.array([[-1, -1], [1, -1], [1, 1], [-1, 1]], dtype=float)
    squares = np.stack([state.x_m, state.y_m], axis=1)[:, None, :] + half[:, None, None] * corners[None]
    fills = [colours[group_of_plot[k]] if k in group_of_plot else FREE_PLOT for k in range(n_plots)]
    ax.add_collection(PolyCollection(squares, facecolors=fills, edgecolors="white", linewidths=0.8))
    keys = [Key("box", colours[g], TEXTS.sector(g)) for g in sorted(set(group_of_plot.values()))]
    keys.append(Key("box", FREE_PLOT, TEXTS.sector("free")))
    keys += _draw_services(ax, state)
    keys += _draw_links(ax, state)
    if where:
        xy = np.array(list(where.values()))
        ax.scatter(xy[:, 0], xy[:, 1], s=14, color="black", zorder=4)
    keys.append(Key("dot", "#000000", f"firm ({len(where)})"))
    x0, x1 = float((state.x_m - half).min()), float((state.x_m + half).max())
    y0, y1 = float((state.y_m - half).min()), float((state.y_m + half).max())
    pad = 0.04 * max(x1 - x0, y1 - y0)
    ax.set_xlim(x0 - pad, x1 + pad)
    ax.set_ylim(y0 - 2.5 * pad, y1 + pad)
    ax.set_aspect("equal")
    ax.plot([x0, x0 + SCALE_BAR_M], [y0 - 1.5 * pad] * 2, color="black", lw=2.5, solid_capstyle="butt")
    ax.text(x0 + SCALE_BAR_M + pad / 2, y0 - 1.5 * pad, f"{SCALE_BAR_M:.0f} m", va="center", fontsize="small")
    return fig, keys


def _draw_links(ax, state: DistrictState) -> list[Key]:
    """The year's exchanges between present firms; returns the legend entries of their widths."""
    where = state.where
    keep = np.array([s in where and b in where for s, b in zip(state.supplier.tolist(), state.buyer.tolist())],
                    dtype=bool)
    keys = []
    for fam, colour in FAMILY_COLOURS.items():
        mine = keep & (state.family == fam)
        if not mine.any():
            continue
        reference = nice_ceiling(float(state.quantity[mine].max()))
        start = np.array([where[s] for s in state.supplier[mine].tolist()])
        end = np.array([where[b] for b in state.buyer[mine].tolist()])
        widths = np.maximum(LINK_WIDTH_MAX * state.quantity[mine] / reference, LINK_WIDTH_MIN)
        ax.add_collection(LineCollection(np.stack([start, end], axis=1), linewidths=widths, colors=[colour],
                                         alpha=0.6, capstyle="round", zorder=3))
        unit = FAMILY_UNITS.get(fam, state.unit[mine][0])
        keys += [Key("line", colour, f"{fam} exchange, {TEXTS.number(reference * share)} {unit}/yr",
                     width=LINK_WIDTH_MAX * share) for share in (1.0, 0.25)]
    return keys


def _draw_services(ax, state: DistrictState) -> list[Key]:
    """Shared utilities: a star at the hub, dashed spokes to each member; returns legend entries
    for every active service (accessory services with their member count)."""
    keys = []
    where = state.where
    for service in state.services:
        colour = SERVICE_COLOURS[service.colour % len(SERVICE_COLOURS)]
        members = [where[m] for m in service.members if m in where]
        name = TEXTS.service(service.kind)
        if service.hub_m is not None:
            hub = service.hub_m
            if members:
                spokes = np.stack([np.broadcast_to(hub, (len(members), 2)), np.array(members)], axis=1)
                ax.add_collection(LineCollection(spokes, linewidths=0.9, colors=[colour], linestyles="--",
                                                 zorder=2))
            ax.scatter([hub[0]], [hub[1]], marker="*", s=240, color=colour, edgecolor="black", linewidth=0.5,
                       zorder=5)
            keys.append(Key("star", colour, f"{name}: hub and {len(members)} members", dashed=True))
        else:
            keys.append(Key("line", colour, f"{name} (district-wide): {len(members)} members",
                            width=1.0, dashed=True))
    return keys


def share_indicators(family: str) -> list[Indicator]:
    """The indicators of a family measured as shares in [0, 1] (drawn together in %)."""
    return [i for i in REGISTRY if i.family == family and i.kind == "share"]


class KpiChart:
    """One panel per indicator family (circular, territorial, symbiosis, top to bottom): its share
    indicators in % over the years simulated so far, on the scenario's whole horizon so that the
    lines grow. Built once per model and updated after each step (:meth:`update`): making the axes
    costs as much as drawing them."""

    def __init__(self, model):
        years = model.scenario.years
        self.fig = Figure(figsize=(6.4, 5.4), dpi=100)  # fixed margins: a layout engine would double drawing time
        axes = self.fig.subplots(len(FAMILY_ORDER), 1, sharex=True)
        self.fig.subplots_adjust(left=0.09, right=0.98, top=0.97, bottom=0.06, hspace=0.12)
        self.lines: dict[str, object] = {}
        self.legends: list[list[Key]] = []
        for ax, family in zip(axes, FAMILY_ORDER):
            keys = []
            for indicator, colour in zip(share_indicators(family), KPI_COLOURS):
                (self.lines[indicator.name],) = ax.plot([], [], marker="o", markersize=3, lw=1.8, color=colour)
                keys.append(Key("line", colour, indicator.label_en))
            self.legends.append(keys)
            ax.set_ylim(-3, 103)
            ax.set_yticks([0, 50, 100], ["0", "50 %", "100 %"])
            ax.grid(alpha=0.3)
            ax.tick_params(labelsize="small")
        axes[-1].set_xlim(years.start - 0.5, years.end + 0.5)
        axes[-1].set_xticks(range(years.start, years.end + 1, 5 if years.end - years.start >= 10 else 1))

    def update(self, model) -> Figure:
        """The chart with the indicators the model's DataCollector holds now."""
        frame = model.datacollector.get_model_vars_dataframe()
        for name, line in self.lines.items():
            line.set_data(frame["year"].to_numpy() if len(frame) else [],
                          frame[name].to_numpy(dtype=float) * 100 if len(frame) else [])
        return self.fig
