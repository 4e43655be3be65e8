"""The council's summary never says more, or less, than the interval it shows.

Many synthetic comparisons (random paired samples: no effect, small, large, constant shifts, a
few or many replicates) are rendered into the report; in every summary row the reading agrees
with the interval written next to it: ``higher`` only when the written lower bound is above 0,
``lower`` only when the upper bound is below 0, anything else only when the interval includes 0.
"""

from __future__ import annotations

import re
from html.parser import HTMLParser

import numpy as np
import pandas as pd
import pytest

from analysis.compare import Comparison
from analysis.families import HEADLINE_INDICATORS, bounds
from analysis.i18n import LANGUAGES, Texts
from analysis.inputs import ComparisonInputs
from analysis.report import render_report
from analysis.statistics import (
    HIGHER,
    LIKELY_HIGHER,
    LIKELY_LOWER,
    LOWER,
    SAME,
    compare_with_baseline,
    describe,
)

INDICATORS = list(HEADLINE_INDICATORS)
YEAR = 2030


def _synthetic(rng: np.random.Generator) -> Comparison:
    """A baseline and one policy over random seeds, each headline indicator with a random shift."""
    n = int(rng.integers(3, 12))
    rows = []
    base = {i: rng.normal(0.5, 0.15, n) if i.endswith("_rate") else rng.normal(1000, 300, n) for i in INDICATORS}
    policy = {}
    for i, b in base.items():
        spread = b.std() * rng.choice([0.01, 0.1, 0.5, 1.0])
        shift = rng.choice([0.0, 0.0, 0.02, 0.1, 0.4]) * abs(b.mean()) * rng.choice([-1, 1])
        noise = 0.0 if rng.random() < 0.05 else rng.normal(0, spread, n)  # now and then a constant shift
        policy[i] = b + shift + noise
    for seed in range(n):
        for name, values in (("base", base), ("policy", policy)):
            rows.append({"scenario": name, "seed": seed, "year": YEAR, **{i: values[i][seed] for i in INDICATORS}})
    table = pd.DataFrame(rows)
    inputs = ComparisonInputs(indicators=table, indicator_names=INDICATORS,
                              definitions={"base": {"x": 1}, "policy": {"x": 2}}, descriptions={}, runs={},
                              provenance=pd.DataFrame([{"folder": "synthetic"}]), sensitivity={}, notes=[])
    return Comparison(inputs, "base", ["base", "policy"], describe(table, INDICATORS, bounds=bounds(INDICATORS)),
                      compare_with_baseline(table, "base", INDICATORS, seed=int(rng.integers(1 << 30))), [])


class _SummaryRows(HTMLParser):
    """``(reading, low text, high text, words)`` of every row of the summary's tables."""

    def __init__(self):
        super().__init__()
        self.rows: list[dict] = []
        self._field: str | None = None

    def handle_starttag(self, tag, attrs):
        attrs = dict(attrs)
        if tag == "tr" and "data-reading" in attrs:
            self.rows.append({"reading": attrs["data-reading"], "low": "", "high": "", "words": ""})
        elif self.rows and tag in ("span", "td") and attrs.get("class") in ("low", "high", "reading"):
            self._field = {"reading": "words"}.get(attrs["class"], attrs["class"])

    def handle_endtag(self, tag):
        if tag in ("span", "td"):
            self._field = None

    def handle_data(self, data):
        if self._field:
            self.rows[-1][self._field] += data


def _number(text: str, lang: str) -> float:
    """``−3.7 %``, ``+1,3 p.p.``, ``+12,345`` back to a float, written the way ``lang`` writes it."""
    digits = re.search(r"[+−-]?[\d.,]+", text).group().replace("−", "-")
    if lang == "it":
        digits = digits.replace(".", "").replace(",", ".")
    else:
        digits = digits.replace(",", "")
    return float(digits)


@pytest.mark.parametrize("lang", LANGUAGES)
def test_the_summary_never_shows_an_interval_that_disagrees_with_its_verdict(lang):
    rng = np.random.default_rng(2026)
    texts = Texts(lang)
    seen = set()
    for _ in range(120):
        result = _synthetic(rng)
        parser = _SummaryRows()
        parser.feed(render_report(result, [], texts))
        assert len(parser.rows) == len(INDICATORS)
        final = result.differences.set_index("indicator")
        for indicator, row in zip(INDICATORS, parser.rows):
            low, high = _number(row["low"], lang), _number(row["high"], lang)
            assert low <= high, row
            if row["reading"] == HIGHER:
                assert low > 0, row
            elif row["reading"] == LOWER:
                assert high < 0, row
            else:
                assert low <= 0 <= high, row
            verdict = final.loc[indicator, "verdict"]  # the appendix's verdict: never contradicted
            assert row["reading"] == verdict or (verdict == SAME and row["reading"] in (LIKELY_HIGHER, LIKELY_LOWER))
            assert row["words"] == texts(f"reading:{row['reading']}", n=int(final.loc[indicator, "n_pairs"]))
            seen.add(row["reading"])
    assert seen == {HIGHER, LOWER, LIKELY_HIGHER, LIKELY_LOWER, SAME}  # every reading was exercised


def test_the_summary_comes_first_and_the_technical_tables_last():
    html = render_report(_synthetic(np.random.default_rng(1)), [], Texts("en"))
    order = [html.index(mark) for mark in ("id='summary'", "How to read this page", "<h2>Figures",
                                           "id='appendix'", "p (paired t)", "<h3>Provenance")]
    assert order == sorted(order)
    summary = html[html.index("id='summary'"):html.index("</section>")]
    assert "p (paired t)" not in summary and "d_z" not in summary and "bootstrap" not in summary
