"""Figures read right: every tick says its own value, each family's change has room, the map's
title fits a one-panel figure and says what arrow widths mean, cyclicity is explained."""

from __future__ import annotations

import pandas as pd
from matplotlib.backends.backend_agg import FigureCanvasAgg

from analysis import figures as fig
from analysis.i18n import LANGUAGES, Texts
from analysis.statistics import HIGHER, SAME


def _drawn(figure):
    FigureCanvasAgg(figure).draw()
    return figure


def _summary(indicator: str, means: dict[str, list[float]], spread: float) -> pd.DataFrame:
    years = range(2026, 2026 + len(next(iter(means.values()))))
    return pd.DataFrame([{"scenario": s, "year": y, "indicator": indicator, "n": 5, "mean": m, "sd": spread,
                          "ci_low": m - spread, "ci_high": m + spread}
                         for s, values in means.items() for y, m in zip(years, values)])


def test_ticks_of_a_share_near_one_hundred_percent_are_all_different():
    summary = _summary("symbiotic_firm_share", {"base": [1.0, 0.995, 0.99, 0.993], "p": [1.0, 0.997, 0.992, 0.995]},
                       0.002)
    for lang in LANGUAGES:
        figure = _drawn(fig.trajectories(summary, ["base", "p"], ["symbiotic_firm_share"], "t", Texts(lang)))
        labels = [t.get_text() for t in figure.axes[0].get_yticklabels() if t.get_text()]
        assert len(labels) >= 3 and len(set(labels)) == len(labels), labels


def test_the_baseline_line_lies_on_top_of_every_band():
    summary = _summary("firms", {"base": [10, 11, 12], "p": [10, 11, 12], "q": [10, 12, 13]}, 1.0)
    figure = _drawn(fig.trajectories(summary, ["base", "p", "q"], ["firms"], "t", Texts("en")))
    ax = figure.axes[0]
    base = next(line for line in ax.get_lines() if line.get_color() == "black")
    assert base.get_zorder() > max(c.get_zorder() for c in ax.collections)
    assert base.get_zorder() > max(line.get_zorder() for line in ax.get_lines() if line is not base)


def test_cyclicity_is_explained_on_its_panel():
    summary = _summary("cyclicity", {"base": [0, 0.5, 1.0], "p": [0, 1.0, 1.2]}, 0.2)
    for lang in LANGUAGES:
        figure = _drawn(fig.trajectories(summary, ["base", "p"], ["cyclicity"], "t", Texts(lang)))
        assert any(Texts(lang)("note:cyclicity") == t.get_text() for t in figure.axes[0].texts)


def test_each_family_has_an_axis_that_shows_its_own_changes():
    """+2 % in circular performance next to +50 % in symbiosis: not both drawn at zero."""
    rows = [{"scenario": "p", "indicator": i, "baseline_mean": 100.0, "mean_difference": d, "ci_low": d - 1,
             "ci_high": d + 1, "relative_difference": d / 100, "verdict": HIGHER if d > 1 else SAME}
            for i, d in (("circular_input_rate", 2.0), ("co2_avoided_t", 1.0), ("symbiosis_links", 50.0))]
    figure = _drawn(fig.family_comparison(pd.DataFrame(rows), ["base", "p"], 2030, Texts("en")))
    circular, symbiosis = (ax for ax in figure.axes if ax.get_visible())
    assert max(abs(v) for v in circular.get_xlim()) < 10 < max(abs(v) for v in symbiosis.get_xlim())
    assert len([t for t in circular.get_xticklabels() if t.get_text()]) >= 3


def test_a_one_panel_map_keeps_its_title_inside_the_figure_and_explains_widths(tmp_path):
    from analysis.run_folder import load_run
    from simulation.runs import run_scenario
    from tests.conftest import ROOT

    path = run_scenario(ROOT / "scenarios" / "facilitator_platform.yaml", seed=1, years=4, out=tmp_path / "run")[0]
    run = load_run(path)
    for lang in LANGUAGES:
        texts = Texts(lang)
        figure = _drawn(fig.district_map({"facilitator_platform": run}, 2029, 1, texts))
        box = figure._suptitle.get_window_extent()
        width = figure.get_figwidth() * figure.dpi
        assert box.x0 >= 0 and box.x1 <= width, (box, width)
        labels = [t.get_text() for t in figure.legends[0].get_texts()]
        widths = labels[labels.index(texts("map_widths")) + 1:][:3]  # three widths after their header
        assert len(widths) == 3 and all(any(u in w for u in ("t", "MWh", "m³")) for w in widths), widths
