"""Plots of the productive area, and which firm sits where.

Plots come from rectangular grid blocks in the scenario or from a GeoJSON FeatureCollection of
polygons in projected metres. Positions are plot centroids in metres; distances between firms
are straight lines between centroids, in km.
"""

from __future__ import annotations

import json
from dataclasses import dataclass
from pathlib import Path

import numpy as np

from simulation.inputs.errors import InputError
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
    pts = np.asarray(ring, dtype=float)
    if pts.ndim != 2 or pts.shape[1] < 2 or len(pts) < 4:
        raise ValueError("a polygon ring needs at least 4 [x, y] points (first = last)")
    x, y = pts[:, 0], pts[:, 1]
    cross = x[:-1] * y[1:] - x[1:] * y[:-1]
    area = cross.sum() / 2
    if abs(area) <= 0:
        raise ValueError("polygon has zero area")
    cx = ((x[:-1] + x[1:]) * cross).sum() / (6 * area)
    cy = ((y[:-1] + y[1:]) * cross).sum() / (6 * area)
    return abs(area), cx, cy


def _geojson_plots(path: Path):
    field = "district.geojson"
    try:
        doc = json.loads(path.read_text(encoding="utf-8"))
    except FileNotFoundError:
        raise InputError.single(path, field, "GeoJSON file not found",
                                "check the path; it is relative to the scenario file") from None
    except (json.JSONDecodeError, UnicodeDecodeError) as exc:
        raise InputError.single(path, field, f"not valid JSON ({exc})", "export the plots as GeoJSON") from None
    features = doc.get("features") if isinstance(doc, dict) else None
    if not isinstance(features, list) or not features:
        raise InputError.single(path, "features", "no features found",
                                "give a FeatureCollection of Polygon features")
    problems = []
    plots = []
    for i, feature in enumerate(features):
        try:
            geometry = feature["geometry"]
            if geometry["type"] != "Polygon":
                raise ValueError(f"geometry type {geometry['type']!r} is not Polygon")
            area, cx, cy = _polygon_area_centroid(geometry["coordinates"][0])
            props = feature.get("properties") or {}
            price = float(props["land_price_eur_per_m2"])
            if not np.isfinite(price) or price < 0:
                raise ValueError("land_price_eur_per_m2 must be a number >= 0")
            plots.append((str(props.get("id", f"plot-{i + 1}")), cx, cy, area, price,
                          str(props.get("zone", "productive"))))
        except (KeyError, TypeError, IndexError, ValueError, AttributeError) as exc:
            from simulation.inputs.errors import Problem
            # str() of a KeyError is the key alone, which reads as no message at all.
            detail = f"missing key {exc}" if isinstance(exc, KeyError) else str(exc)
            problems.append(Problem(str(path), f"features.{i}", f"unusable plot polygon: {detail}",
                                    "give a Polygon with coordinates in metres and numeric properties"))
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
