"""The comparison report: one HTML file that opens offline, in English or Italian.

Self-contained by construction: figures are embedded as base64 PNG ``data:`` URIs, the style sheet
and the one small script are inline, fonts are the reader's own, and there is no link to another
host. A Content-Security-Policy in the page forbids anything else (``default-src 'none'``), so
even a later edit that added an external image would not make the browser fetch it.

The inline script only counts, once the page has loaded, how many figures decoded
(``naturalWidth > 0``) and writes the count on ``<body>`` (``data-figures-loaded`` of
``data-figures``): a reader's browser shows nothing of it; the browser test reads it.
"""

from __future__ import annotations

import base64
import html
import math
from collections.abc import Sequence

import pandas as pd

import simulation
from analysis.families import FAMILIES, HEADLINE_INDICATORS, SHARES
from analysis.inputs import differences
from analysis.statistics import (
    BOOTSTRAP_SEED,
    HIGHER,
    LIKELY_HIGHER,
    LIKELY_LOWER,
    LOWER,
    N_BOOTSTRAP,
    SAME,
    TOO_FEW,
    reading,
)
from simulation.inputs.localised import in_language

CSP = "default-src 'none'; img-src data:; style-src 'unsafe-inline'; script-src 'unsafe-inline'"

STYLE = """
body { font-family: system-ui, -apple-system, "Segoe UI", Roboto, "Helvetica Neue", Arial, sans-serif;
       margin: 0 auto; max-width: 1180px; padding: 1.5rem 2rem 4rem; color: #222; line-height: 1.45; }
h1 { font-size: 1.6rem; margin-bottom: .2rem; } h2 { margin-top: 2.2rem; border-bottom: 2px solid #ddd; }
h3 { margin-bottom: .4rem; } .subtitle { color: #555; margin-top: 0; }
.warnings { background: #fff4e0; border-left: 4px solid #e69500; padding: .6rem 1rem; }
table { border-collapse: collapse; margin: .6rem 0 1.2rem; font-size: .88rem; }
th, td { border-bottom: 1px solid #e3e3e3; padding: .25rem .6rem; text-align: right; vertical-align: top; }
th { background: #f4f4f4; } td:first-child, th:first-child { text-align: left; }
tr.family td { background: #fafafa; font-weight: 600; text-align: left; }
.higher, .lower { font-weight: 600; color: #0b5394; } .same { color: #666; } .too-few { color: #b45f06; }
.likely { color: #0b5394; font-style: italic; }
.howto { background: #eef4fb; border-left: 4px solid #0b5394; padding: .6rem 1rem; margin: .8rem 0; }
.lead { font-size: 1.05rem; } table.council { font-size: .95rem; }
table.council td.reading, table.council th:last-child { text-align: left; }
#appendix { margin-top: 3.5rem; }
figure { margin: 1.5rem 0; } figure img { max-width: 100%; height: auto; border: 1px solid #eee; }
figcaption { font-size: .9rem; color: #444; max-width: 60rem; }
.small { font-size: .85rem; color: #555; } code { font-size: .85rem; }
"""

SCRIPT = """
window.addEventListener("load", function () {
  var images = Array.prototype.slice.call(document.querySelectorAll("figure img"));
  var loaded = images.filter(function (img) { return img.complete && img.naturalWidth > 0; }).length;
  document.body.setAttribute("data-figures", String(images.length));
  document.body.setAttribute("data-figures-loaded", String(loaded));
});
"""

VERDICT_CLASS = {HIGHER: "higher", LOWER: "lower", SAME: "same", TOO_FEW: "too-few"}


def _e(text) -> str:
    return html.escape(str(text))


def render_report(result, images: Sequence[tuple[str, str, bytes]], texts) -> str:
    """The report of ``result`` (a :class:`analysis.compare.Comparison`) with ``(name, caption, png)`` figures.

    Council first: the plain-words summary (how to read it, then what changes, by how much and how
    sure, for the headline indicators), then the figures and what each scenario changes; the
    technical tables (p-values, effect sizes, the bootstrap interval), the method and the
    provenance are an appendix at the end. Scenarios are named by their titles in the language of
    ``texts`` (their ids are in the appendix and the provenance).
    """
    texts = titled(result, texts)
    year = result.final_year
    parts = [_header(result, texts), _warnings(result, texts)]
    if len(result.scenarios) > 1:
        parts.append(_summary(result, texts))
    parts.append(_figures(images, texts))
    if result.scenarios:
        parts.append(_definitions(result, texts))
    parts.append(f"<h2 id='appendix'>{_e(texts('appendix'))}</h2><p class='small'>{_e(texts('appendix_intro'))}</p>")
    if result.scenarios:
        parts.append(_values_table(result, texts))
        parts += [_differences_table(result, s, texts) for s in result.scenarios[1:]]
        parts.append(f"<p class='small'>{_e(texts('table_note', year=year))}</p>")
    parts.append(f"<h3>{_e(texts('method'))}</h3><p class='small'>{_e(texts('method_text'))}</p>")
    parts.append(_provenance(result, texts))
    title = _e(_title(result, texts))
    return (f"<!DOCTYPE html>\n<html lang='{texts.lang}'>\n<head>\n<meta charset='utf-8'>\n"
            f"<meta http-equiv='Content-Security-Policy' content=\"{CSP}\">\n"
            f"<meta name='viewport' content='width=device-width, initial-scale=1'>\n<title>{title}</title>\n"
            f"<style>{STYLE}</style>\n</head>\n<body>\n" + "\n".join(p for p in parts if p)
            + f"\n<script>{SCRIPT}</script>\n</body>\n</html>\n")


def titled(result, texts):
    """``texts`` showing the scenarios and experiments of ``result`` by their titles."""
    return texts.named(result.inputs.titles, result.inputs.experiment_titles)


def _title(result, texts) -> str:
    names = [texts.scenario(s) for s in result.scenarios] or [texts.experiment(s) for s in result.inputs.sensitivity]
    return texts("report_title", scenarios=", ".join(names))


def _description(result, scenario: str, texts) -> str:
    return in_language(result.inputs.descriptions.get(scenario), texts.lang)


def _header(result, texts) -> str:
    table = result.inputs.indicators
    if not len(table):
        return f"<h1>{_e(_title(result, texts))}</h1>"
    counts = [len(result.seeds(s)) for s in result.scenarios]
    replicates = (texts("replicates_each", n=counts[0]) if len(set(counts)) == 1
                  else texts("replicates_range", low=min(counts), high=max(counts)))
    subtitle = texts("subtitle", first=int(table.year.min()), last=int(table.year.max()), replicates=replicates,
                     baseline=texts.scenario(result.baseline))
    return f"<h1>{_e(_title(result, texts))}</h1>\n<p class='subtitle'>{_e(subtitle)}</p>"


def _warnings(result, texts) -> str:
    if not result.warnings:
        return ""
    items = "".join(f"<li>{_e(texts(key, **_titled_values(values, texts)))}</li>" for key, values in result.warnings)
    return f"<div class='warnings'><strong>{_e(texts('warnings'))}</strong><ul>{items}</ul></div>"


def _titled_values(values: dict, texts) -> dict:
    """A warning's values with the scenario (``name``, ``baseline``) or sweep (``name``) shown by its title."""
    out = dict(values)
    for key in ("name", "baseline"):
        if key in out:
            name = out[key]
            out[key] = texts.scenario(name) if texts.scenario(name) != name else texts.experiment(name)
    return out


def _final(frame: pd.DataFrame, year: int) -> pd.DataFrame:
    return frame[frame.year == year]


def _signed(texts, value: float, unit: str, digits: int = 1) -> str:
    """``+6.2 %``; with more decimals when the usual ones would round a non-zero value to 0.

    A bound written ``+0.0`` beside the verdict ``higher`` would read as an interval touching
    zero: the summary writes a non-zero bound with as many decimals as it takes to show its sign.
    """
    while digits < 6 and value != 0 and round(value, digits) == 0:
        digits += 1
    if unit == "%":
        return texts.percent(value / 100, digits, sign=True)
    return texts.number(value, digits, sign=True) + unit


def summary_cells(row, share: bool, texts) -> dict[str, str]:
    """The words of one headline indicator in the summary: change, interval and reading.

    ``row`` is a row of :func:`analysis.statistics.compare_with_baseline`. The interval is the
    verdict's own (paired Student t), and the reading comes from it
    (:func:`analysis.statistics.reading`): ``higher`` only when the interval shown excludes 0.
    Shares change in percentage points, other indicators in % of the baseline mean (absolute when
    that mean is 0).
    """
    key = reading(row.verdict, row.p_value, row.mean_difference)
    words = texts(f"reading:{key}", n=int(row.n_pairs))
    if share:
        scale, unit = 100.0, texts("pp")
    elif abs(row.baseline_mean) > 0:
        scale, unit = 100 / abs(row.baseline_mean), "%"
    else:
        scale, unit = 1.0, ""
    if key == TOO_FEW or not math.isfinite(row.ci_low):
        return {"reading": key, "words": words, "change": _signed(texts, row.mean_difference * scale, unit)
                if math.isfinite(row.mean_difference) else "–", "low": "–", "high": "–"}
    return {"reading": key, "words": words, "change": _signed(texts, row.mean_difference * scale, unit),
            "low": _signed(texts, row.ci_low * scale, unit), "high": _signed(texts, row.ci_high * scale, unit)}


READING_CLASS = {HIGHER: "higher", LOWER: "lower", LIKELY_HIGHER: "likely", LIKELY_LOWER: "likely", SAME: "same",
                 TOO_FEW: "too-few"}


def _summary(result, texts) -> str:
    """The council's page: how to read it, then per scenario what changes, by how much, how sure."""
    year = result.final_year
    counts = [len(result.seeds(s)) for s in result.scenarios]
    times = (texts("times_each", n=counts[0]) if len(set(counts)) == 1
             else texts("times_range", low=min(counts), high=max(counts)))
    out = [f"<section id='summary'><h2>{_e(texts('summary'))}</h2>",
           f"<div class='howto'><strong>{_e(texts('howto'))}</strong> {_e(texts('howto_text', times=times, year=year))}"
           "</div>"]
    means = _final(result.summary, year).set_index(["scenario", "indicator"])["mean"]
    diffs = _final(result.differences, year)
    columns = ["col_indicator", "col_base_value", "col_scenario_value", "col_change", "col_range", "col_reading"]
    head = "".join(f"<th>{_e(texts(c))}</th>" for c in columns)
    base_changes = result.inputs.definitions.get(result.baseline, {})
    for scenario in result.scenarios[1:]:
        rows = diffs[diffs.scenario == scenario].set_index("indicator")
        body, said = [], {}
        for indicator in (i for i in HEADLINE_INDICATORS if i in rows.index):
            row, share = rows.loc[indicator], indicator in SHARES
            cells = summary_cells(row, share, texts)
            said.setdefault(cells["reading"], []).append(texts.label(indicator))
            body.append(f"<tr class='{READING_CLASS[cells['reading']]}' data-reading='{_e(cells['reading'])}'>"
                        f"<td>{_e(texts.label(indicator))}</td>"
                        f"<td>{_e(texts.quantity(means[result.baseline, indicator], share))}</td>"
                        f"<td>{_e(texts.quantity(means[scenario, indicator], share))}</td>"
                        f"<td class='change'>{_e(cells['change'])}</td>"
                        f"<td class='range'><span class='low'>{_e(cells['low'])}</span> … "
                        f"<span class='high'>{_e(cells['high'])}</span></td>"
                        f"<td class='reading'>{_e(cells['words'])}</td></tr>")
        changed = {k: v for k, v in differences(base_changes, result.inputs.definitions.get(scenario, {})).items()
                   if k not in ("name", "years")}
        what = "; ".join(f"{k}: {_format_setting(a)} → {_format_setting(b)}" for k, (a, b) in changed.items())
        tally = rows.verdict.value_counts()
        count = texts("summary_count", total=len(rows), year=year, higher=tally.get(HIGHER, 0),
                      lower=tally.get(LOWER, 0), same=tally.get(SAME, 0) + tally.get(TOO_FEW, 0))
        description = _description(result, scenario, texts)
        heading = texts("summary_scenario", name=texts.scenario(scenario), baseline=texts.scenario(result.baseline),
                        year=year)
        out.append(f"<h3>{_e(heading)}</h3>"
                   f"<p class='small'>{_e(texts('summary_what', what=what or texts('definition_same')))}"
                   f"{' ' + _e(description) if description else ''}</p>"
                   f"<p class='lead'>{_e(_lead(said, texts))}</p>"
                   f"<table class='council'><thead><tr>{head}</tr></thead><tbody>{''.join(body)}</tbody></table>"
                   f"<p class='small'>{_e(count)}</p>")
    out.append("</section>")
    return "\n".join(out)


def _lead(said: dict[str, list[str]], texts) -> str:
    """One sentence: which headline indicators clearly change, which lean one way, which do not."""
    parts = []
    for key in (HIGHER, LOWER, LIKELY_HIGHER, LIKELY_LOWER):
        if said.get(key):
            parts.append(texts(f"lead:{key}", names=", ".join(said[key])))
    if said.get(SAME):
        parts.append(texts("lead:same", names=", ".join(said[SAME])))
    if said.get(TOO_FEW):
        parts.append(texts("lead:too_few"))
    return " ".join(parts)


def _family_rows(indicators: Sequence[str]):
    """``(family, [indicators])`` in report order, for the indicators present."""
    for family, members in FAMILIES.items():
        present = [i for i in members if i in indicators]
        if present:
            yield family, present


def _values_table(result, texts) -> str:
    year = result.final_year
    stats = _final(result.summary, year).set_index(["scenario", "indicator"])
    head = "".join(f"<th>{_e(texts.scenario(s))}<br><span class='small'><code>{_e(s)}</code>, "
                   f"n = {len(result.seeds(s))}</span></th>"
                   for s in result.scenarios)
    body = []
    for family, indicators in _family_rows(result.inputs.indicator_names):
        body.append(f"<tr class='family'><td colspan='{len(result.scenarios) + 1}'>{_e(texts.name(family))}</td></tr>")
        for indicator in indicators:
            share = indicator in SHARES
            cells = []
            for scenario in result.scenarios:
                r = stats.loc[scenario, indicator]
                cells.append(f"<td>{_e(texts.quantity(r['mean'], share))}{_interval_note(r, share, texts)}</td>")
            body.append(f"<tr><td>{_e(texts.label(indicator))}</td>{''.join(cells)}</tr>")
    return (f"<h3>{_e(texts('table_values', year=year))}</h3>\n<table><thead><tr><th>{_e(texts('col_indicator'))}"
            f"</th>{head}</tr></thead><tbody>{''.join(body)}</tbody></table>")


def _interval_note(row, share: bool, texts) -> str:
    """`` [low – high]`` of a mean, written with the mean's decimals; nothing without an interval."""
    if not math.isfinite(row.ci_low):
        return ""
    low, high = (texts.quantity(v, share, like=row["mean"]) for v in (row.ci_low, row.ci_high))
    return f" <span class='small'>[{_e(low)} – {_e(high)}]</span>"


def _differences_table(result, scenario: str, texts) -> str:
    year = result.final_year
    d = _final(result.differences, year)
    rows = d[d.scenario == scenario].set_index("indicator")
    columns = ["col_indicator", "col_pairs", "col_difference", "col_interval", "col_relative", "col_p", "col_dz",
               "col_verdict", "col_boot"]
    body = []
    for family, indicators in _family_rows(list(rows.index)):
        body.append(f"<tr class='family'><td colspan='{len(columns)}'>{_e(texts.name(family))}</td></tr>")
        for indicator in indicators:
            r, share = rows.loc[indicator], indicator in SHARES
            difference = texts.change(r.mean_difference, math.nan, share) if share else \
                texts.quantity(r.mean_difference, sign=True)
            interval, boot = (("–" if not math.isfinite(low) else (
                f"{texts.change(low, math.nan, share)} … {texts.change(high, math.nan, share)}" if share
                else f"{texts.quantity(low, sign=True, like=r.mean_difference)} … "
                     f"{texts.quantity(high, sign=True, like=r.mean_difference)}"))
                for low, high in ((r.ci_low, r.ci_high), (r.boot_low, r.boot_high)))
            relative = texts.percent(r.relative_difference, 1, sign=True)
            cells = [texts.label(indicator), str(r.n_pairs), difference, interval, relative,
                     texts.number(r.p_value, 3), texts.number(r.effect_size_dz, 2)]
            body.append("<tr>" + "".join(f"<td>{_e(c)}</td>" for c in cells)
                        + f"<td class='{VERDICT_CLASS[r.verdict]}'>{_e(texts.name('short:' + r.verdict))}</td>"
                        + f"<td class='small'>{_e(boot)}</td></tr>")
    head = "".join(f"<th>{_e(texts(c))}</th>" for c in columns)
    title = texts("table_differences", year=year)
    return (f"<h3>{_e(texts.scenario(scenario))} − {_e(texts.scenario(result.baseline))}: {_e(title)} "
            f"<span class='small'>(<code>{_e(scenario)}</code> − <code>{_e(result.baseline)}</code>)</span></h3>\n"
            f"<table><thead><tr>{head}</tr></thead><tbody>{''.join(body)}</tbody></table>")


def _figures(images: Sequence[tuple[str, str, bytes]], texts) -> str:
    out = [f"<h2>{_e(texts('figures'))}</h2>"]
    for number, (name, caption, png) in enumerate(images, start=1):
        data = base64.b64encode(png).decode("ascii")
        out.append(f"<figure id='{_e(name)}'><img alt='{_e(name)}' src='data:image/png;base64,{data}'>"
                   f"<figcaption><strong>{number}.</strong> {_e(caption)} "
                   f"<span class='small'>(figures/{_e(name)}.png, .svg)</span></figcaption></figure>")
    return "\n".join(out)


def _format_setting(value) -> str:
    return "–" if value is None else str(value)


def _definitions(result, texts) -> str:
    out = [f"<h2>{_e(texts('definitions'))}</h2>"]
    base = result.inputs.definitions[result.baseline]
    for scenario in result.scenarios:
        description = _description(result, scenario, texts)
        out.append(f"<h3>{_e(texts.scenario(scenario))}</h3><p>{_e(description)}</p>")
        if scenario == result.baseline:
            out.append(f"<p class='small'>{_e(texts('definition_baseline'))}</p>")
            continue
        changes = {k: v for k, v in differences(base, result.inputs.definitions[scenario]).items() if k != "name"}
        if not changes:
            out.append(f"<p class='small'>{_e(texts('definition_same'))}</p>")
            continue
        rows = "".join(f"<tr><td><code>{_e(k)}</code></td><td>{_e(_format_setting(a))}</td>"
                       f"<td>{_e(_format_setting(b))}</td></tr>" for k, (a, b) in changes.items())
        out.append(f"<p>{_e(texts('definition_changes'))}</p><table><thead><tr><th>{_e(texts('col_setting'))}</th>"
                   f"<th>{_e(texts('col_baseline_value'))}</th><th>{_e(texts('col_value'))}</th></tr></thead>"
                   f"<tbody>{rows}</tbody></table>")
    return "\n".join(out)


def _provenance(result, texts) -> str:
    columns = [("folder", "col_folder"), ("kind", "col_kind"), ("scenario", "col_scenario"), ("seeds", "col_seeds"),
               ("ecodistrict", "col_version"), ("git_revision", "col_git"), ("versions", "col_versions")]
    head = "".join(f"<th>{_e(texts(key))}</th>" for _, key in columns)
    rows = "".join("<tr>" + "".join(f"<td>{_e(_format_setting(r.get(c)))}</td>" for c, _ in columns) + "</tr>"
                   for r in result.inputs.provenance.to_dict("records"))
    intro = texts("provenance_intro", version=simulation.__version__, boot=N_BOOTSTRAP, seed=BOOTSTRAP_SEED)
    return (f"<h3>{_e(texts('provenance'))}</h3><p>{_e(intro)}</p>"
            f"<table class='small'><thead><tr>{head}</tr></thead><tbody>{rows}</tbody></table>")
