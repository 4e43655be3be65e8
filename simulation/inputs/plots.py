"""Plots of the productive area, and which firm sits where.

Plots come from rectangular grid blocks in the scenario or from a GeoJSON FeatureCollection of
polygons in projected metres: valid polygons (shapely) with finite coordinates, none overlapping
another (they may touch). Positions are plot centroids in metres; distances between firms
are straight lines between centroids, in km.
"""

from __future__ import annotations

import json
from dataclasses import dataclass
from pathlib import Path

import numpy as np

from simulation.inputs.bounds import MAX_COORDINATE_M, MAX_GEOJSON_BYTES, MAX_LAND_PRICE_EUR_PER_M2, MAX_PLOTS
from simulation.inputs.errors import InputError, Problem, read_input_text
from simulation.inputs.scenario_schema import District


@dataclass
class Plots:
    """All plots of the district as parallel arrays (index = plot number)."""

    ids: list[str]
    x_m: np.ndarray
    y_m: np.ndarray
    area_m2: np.ndarray
    land_price_eur_per_m2: np.ndarray
    zone: list[str]
    occupants: np.ndarray  # firms currently on each plot
    capacity: int  # firms allowed per plot

    def __len__(self) -> int:
        return len(self.ids)

    def free_plots_fitting(self, area_needed_m2: float) -> np.ndarray:
        """Indices of plots with room for one more firm and at least ``area_needed_m2``."""
        return np.flatnonzero((self.occupants < self.capacity) & (self.area_m2 >= area_needed_m2))

    def occupy(self, plot: int) -> None:
        if self.occupants[plot] >= self.capacity:
            raise RuntimeError(f"plot {self.ids[plot]} is full")
        self.occupants[plot] += 1

    def vacate(self, plot: int) -> None:
        self.occupants[plot] -= 1

    def occupied_share(self) -> float:
        return float(np.count_nonzero(self.occupants) / len(self.ids))

    def add(self, ids: list[str], x_m: np.ndarray, y_m: np.ndarray, area_m2: np.ndarray,
            land_price_eur_per_m2: float, zone: str) -> np.ndarray:
        """Append free plots (e.g. those of profiled firms, at their own coordinates); their indices."""
        start = len(self.ids)
        self.ids = self.ids + list(ids)
        self.x_m = np.concatenate([self.x_m, x_m])
        self.y_m = np.concatenate([self.y_m, y_m])
        self.area_m2 = np.concatenate([self.area_m2, area_m2])
        self.land_price_eur_per_m2 = np.concatenate([self.land_price_eur_per_m2,
                                                     np.full(len(ids), float(land_price_eur_per_m2))])
        self.zone = self.zone + [zone] * len(ids)
        self.occupants = np.concatenate([self.occupants, np.zeros(len(ids), dtype=self.occupants.dtype)])
        return np.arange(start, len(self.ids))


def _grid_plots(district: District):
    for block in district.blocks:
        for row in range(block.rows):
            for col in range(block.cols):
                x0 = block.origin_x_m + col * (block.plot_width_m + block.gap_m)
                y0 = block.origin_y_m + row * (block.plot_depth_m + block.gap_m)
                yield (f"{block.name}-r{row + 1}c{col + 1}", x0 + block.plot_width_m / 2,
                       y0 + block.plot_depth_m / 2, block.plot_width_m * block.plot_depth_m,
                       block.land_price_eur_per_m2, block.zone)


def _polygon_area_centroid(ring: list) -> tuple[float, float, float]:
    """Shoelace area (m2) and centroid of a closed ring of [x, y] points."""
    pts = _ring(ring)
    x, y = pts[:, 0], pts[:, 1]
    cross = x[:-1] * y[1:] - x[1:] * y[:-1]
    area = cross.sum() / 2
    if abs(area) <= 0:
        raise ValueError("polygon has zero area")
    cx = ((x[:-1] + x[1:]) * cross).sum() / (6 * area)
    cy = ((y[:-1] + y[1:]) * cross).sum() / (6 * area)
    return abs(area), cx, cy


def _ring(ring: list) -> np.ndarray:
    """A closed ring of [x, y] points as an array; ValueError when it is not one, or when a
    coordinate is not finite or beyond :data:`~simulation.inputs.bounds.MAX_COORDINATE_M`."""
    pts = np.asarray(ring, dtype=float)
    if pts.ndim != 2 or pts.shape[1] != 2 or len(pts) < 4:
        raise ValueError("a polygon ring needs at least 4 [x, y] points (first = last)")
    if not np.isfinite(pts).all():
        raise ValueError("a coordinate is not a finite number")
    worst = float(pts[np.unravel_index(np.abs(pts).argmax(), pts.shape)])
    if (problem := MAX_COORDINATE_M.problem(worst, "m")) is not None:
        raise ValueError(problem[0])
    if not (pts[0] == pts[-1]).all():
        raise ValueError("the ring is not closed: its last point must repeat its first")
    return pts


def _polygon(coordinates: list):
    """The shapely polygon of a GeoJSON Polygon's rings (outer ring, then holes); ValueError when
    invalid (self-intersecting, holes outside the outer ring, ...), with shapely's reason."""
    import shapely  # imported here: only a district with GeoJSON plots needs it

    rings = [_ring(r) for r in coordinates]
    polygon = shapely.Polygon(rings[0], rings[1:])
    if not shapely.is_valid(polygon):
        raise ValueError(f"invalid polygon ({shapely.is_valid_reason(polygon)})")
    return polygon


MAX_OVERLAPS_SHOWN = 20  # overlapping pairs reported; more are summed up in one line


def _overlap_problems(path: Path, ids: list[str], polygons: list) -> list[Problem]:
    """One problem per pair of plot polygons whose interiors intersect (touching edges are allowed)."""
    import shapely

    tree = shapely.STRtree(polygons)
    pairs = []
    for i, polygon in enumerate(polygons):
        others = tree.query(polygon, predicate="intersects")
        others = np.sort(others[others > i])
        overlapping = others[shapely.relate_pattern(polygon, np.asarray(polygons, dtype=object)[others],
                                                    "T********")] if len(others) else others
        pairs += [(i, int(j)) for j in overlapping]
        if len(pairs) > MAX_OVERLAPS_SHOWN:
            break
    problems = [Problem(str(path), f"features.{j}", f"plot {ids[j]!r} overlaps plot {ids[i]!r} (features.{i})",
                        "move or reshape one of them: plots may touch along an edge but not overlap")
                for i, j in pairs[:MAX_OVERLAPS_SHOWN]]
    if len(pairs) > MAX_OVERLAPS_SHOWN:
        problems.append(Problem(str(path), "features", f"more than {MAX_OVERLAPS_SHOWN} pairs of plots overlap",
                                "check that the file holds each plot once, in projected metres"))
    return problems


def _geojson_plots(path: Path):
    field = "district.geojson"
    text = read_input_text(path, "a GeoJSON file", "GeoJSON, UTF-8 encoded", MAX_GEOJSON_BYTES)
    try:
        doc = json.loads(text)
    except (json.JSONDecodeError, RecursionError) as exc:
        detail = exc if isinstance(exc, json.JSONDecodeError) else "nested too deeply"
        raise InputError.single(path, field, f"not valid JSON ({detail})", "export the plots as GeoJSON") from None
    features = doc.get("features") if isinstance(doc, dict) else None
    if not isinstance(features, list) or not features:
        raise InputError.single(path, "features", "no features found",
                                "give a FeatureCollection of Polygon features")
    if (problem := MAX_PLOTS.problem(len(features), "plots")) is not None:
        raise InputError.single(path, "features", *problem)
    problems = []
    plots = []
    polygons = []
    for i, feature in enumerate(features):
        try:
            geometry = feature["geometry"]
            if geometry["type"] != "Polygon":
                raise ValueError(f"geometry type {geometry['type']!r} is not Polygon")
            polygon = _polygon(geometry["coordinates"])
            area, cx, cy = _polygon_area_centroid(geometry["coordinates"][0])
            props = feature.get("properties") or {}
            price = float(props["land_price_eur_per_m2"])
            if not np.isfinite(price) or price < 0:
                raise ValueError("land_price_eur_per_m2 must be a number >= 0")
            if (problem := MAX_LAND_PRICE_EUR_PER_M2.problem(price, "EUR/m2")) is not None:
                raise ValueError(f"land_price_eur_per_m2: {problem[0]}")
            plots.append((str(props.get("id", f"plot-{i + 1}")), cx, cy, area, price,
                          str(props.get("zone", "productive"))))
            polygons.append(polygon)
        except (KeyError, TypeError, IndexError, ValueError, AttributeError) as exc:
            # str() of a KeyError is the key alone, which reads as no message at all.
            detail = f"missing key {exc}" if isinstance(exc, KeyError) else str(exc)
            problems.append(Problem(str(path), f"features.{i}", f"unusable plot polygon: {detail}",
                                    "give a Polygon with finite coordinates in metres and numeric properties"))
    if not problems:
        problems = _overlap_problems(path, [p[0] for p in plots], polygons)
    if problems:
        raise InputError(problems)
    return plots


def build_plots(district: District, scenario_dir: Path) -> Plots:
    """Lay out the district's plots from the scenario (grid blocks, then GeoJSON polygons)."""
    rows = list(_grid_plots(district))
    if district.geojson is not None:
        rows += _geojson_plots(scenario_dir / district.geojson)
    ids = [r[0] for r in rows]
    if len(set(ids)) != len(ids):
        # Grid ids are unique (block names are), so a repeat involves a polygon of the GeoJSON file.
        repeated = sorted({i for i in ids if ids.count(i) > 1})
        raise InputError.single(scenario_dir / district.geojson, "features",
                                f"plot ids repeat: {', '.join(repeated)}",
                                "give every polygon its own properties.id, different from the grid plots' "
                                "ids (<block>-r<row>c<col>)")
    return Plots(
        ids=ids,
        x_m=np.array([r[1] for r in rows], dtype=float),
        y_m=np.array([r[2] for r in rows], dtype=float),
        area_m2=np.array([r[3] for r in rows], dtype=float),
        land_price_eur_per_m2=np.array([r[4] for r in rows], dtype=float),
        zone=[r[5] for r in rows],
        occupants=np.zeros(len(rows), dtype=np.int32),
        capacity=int(district.firms_per_plot),
    )
