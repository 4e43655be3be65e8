"""The page per firm that ``ecodistrict matchmake`` writes: the personalised report of a circularity programme.

Programmes that match firms hand each participant its own report: the Formigine Smart Eco District
lab positions each firm against the group on three families of indicators (circular performance,
territorial integration, industrial symbiosis), the Lombardy programme adds guidelines. One page
per firm says, from matchmake's own tables:

* next steps: its best partners, its place in the optimal allocation, the services to join, the
  residues and inputs nobody in the group matches;
* its position in each family against the group's quartiles
  (:func:`simulation.matchmake.tables.group_quartiles`);
* its flows and how much of each could be matched (:func:`simulation.matchmake.tables.flow_coverage`);
* its synergies: the rows of the exchanges table where it is supplier or buyer, best first (with
  the optimal allocation's quantity when it was computed);
* the shared services it is a member of;
* a map of its candidate exchanges (:func:`analysis.figures.firm_map`), embedded.

An index page lists the firms and links their pages (``firms/<name>.html``, names made safe by
:func:`simulation.io.cells.safe_file_names`). Pages are HTML from Jinja2 templates with
autoescape, so a firm called ``<b>x</b>`` is shown as written; every word comes from
:class:`analysis.i18n.Texts`; like the comparison report (:mod:`analysis.report`) a page opens
offline (figure as a ``data:`` URI, inline style, a Content-Security-Policy forbidding any
request) and names no absolute path (files are cited by their names, links are relative).
"""

from __future__ import annotations

import base64
import math
from dataclasses import dataclass

import jinja2
import numpy as np
import pandas as pd

import simulation
from analysis.figures import MAP_ARROWS, firm_map, png
from analysis.i18n import Texts
from analysis.report import CSP, STYLE
from simulation.io.cells import safe_file_names
from simulation.matchmake.matching import Matches
from simulation.matchmake.tables import POSITION_INDICATORS, flow_coverage, group_quartiles

FIRMS_FOLDER = "firms"  # the pages' subfolder in the reports folder, beside index.html
INDEX = "index.html"
NEXT_PARTNERS = 3  # best exchanges named in the next steps

PAGE_STYLE = STYLE + """
.next li { margin: .25rem 0; } td.text, th.text { text-align: left; }
nav { font-size: .9rem; margin-bottom: .6rem; }
"""

_LAYOUT = """<!DOCTYPE html>
<html lang="{{ lang }}">
<head>
<meta charset="utf-8">
<meta http-equiv="Content-Security-Policy" content="{{ csp }}">
<meta name="viewport" content="width=device-width, initial-scale=1">
<title>{{ title }}</title>
<style>{{ style | safe }}</style>
</head>
<body>
{% block body %}{% endblock %}
</body>
</html>
"""

_FIRM = """{% extends "layout" %}{% block body %}
<nav><a href="../{{ index }}">← {{ t("firm_index_link") }}</a></nav>
<h1>{{ title }}</h1>
<p class="subtitle">{{ subtitle }}</p>
<p class="small">{{ setting }}</p>
<div class="howto"><strong>{{ t("firm_howto") }}</strong> {{ t("firm_howto_text") }}</div>

<section id="next"><h2>{{ t("firm_next") }}</h2>
<ul class="next">{% for item in next_steps %}<li>{{ item }}</li>{% endfor %}</ul></section>

<section id="position"><h2>{{ t("firm_position") }}</h2>
<p class="small">{{ t("firm_position_intro", n=n_firms) }}</p>
<table><thead><tr><th>{{ t("col_indicator") }}</th><th>{{ t("col_this_firm") }}</th><th>{{ t("col_q1") }}</th>
<th>{{ t("col_median") }}</th><th>{{ t("col_q3") }}</th><th class="text">{{ t("col_position") }}</th></tr></thead>
<tbody>{% for family, rows in position %}
<tr class="family"><td colspan="6">{{ family }}</td></tr>
{% for r in rows %}<tr data-indicator="{{ r.indicator }}"><td>{{ r.label }}</td><td>{{ r.value }}</td>
<td>{{ r.q1 }}</td><td>{{ r.median }}</td><td>{{ r.q3 }}</td><td class="text">{{ r.position }}</td></tr>
{% endfor %}{% endfor %}</tbody></table></section>

<section id="flows"><h2>{{ t("firm_flows") }}</h2>
<p class="small">{{ t("firm_flows_intro") }}</p>
<table><thead><tr><th>{{ t("col_direction") }}</th><th class="text">{{ t("col_resource") }}</th>
<th>{{ t("col_quantity") }}</th><th>{{ t("col_matched") }}</th><th>{{ t("col_share") }}</th></tr></thead>
<tbody>{% for r in flows %}<tr><td>{{ r.direction }}</td><td class="text">{{ r.resource }}</td><td>{{ r.quantity }}</td>
<td>{{ r.matched }}</td><td>{{ r.share }}</td></tr>{% endfor %}</tbody></table></section>

<section id="synergies"><h2>{{ t("firm_synergies") }}</h2>
{% if synergies %}<p class="small">{{ t("firm_synergies_intro", file=exchanges_file) }}{% if optimal %}{{
 t("firm_synergies_optimal") }}{% endif %}</p>
<table><thead><tr>{% for c in synergy_columns %}<th{% if c.text %} class="text"{% endif %}>{{ c.label }}</th>{% endfor
 %}</tr></thead>
<tbody>{% for r in synergies %}<tr class="synergy" data-rank="{{ r.rank }}">{% for c in r.cells %}<td{% if c.text
 %} class="text"{% endif %}>{{ c.value }}</td>{% endfor %}</tr>{% endfor %}</tbody></table>
<p class="small">{{ t("firm_routes") }}</p>
{% else %}<p>{{ t("firm_next_none") }}</p>{% endif %}</section>

<section id="services"><h2>{{ t("firm_services") }}</h2>
{% if services is none %}<p>{{ t("firm_services_no_kinds") }}</p>
{% elif not services %}<p>{{ t("firm_services_none") }}</p>
{% else %}<p class="small">{{ t("firm_services_intro", file=services_file) }}</p>
<table><thead><tr><th class="text">{{ t("col_service") }}</th><th>{{ t("col_members") }}</th>
<th class="text">{{ t("col_others") }}</th><th>{{ t("col_quantity") }}</th><th>{{ t("col_cost") }}</th>
<th>{{ t("col_alone") }}</th><th>{{ t("col_saving") }}</th></tr></thead>
<tbody>{% for r in services %}<tr><td class="text">{{ r.service }}</td><td>{{ r.members }}</td>
<td class="text">{{ r.others }}</td><td>{{ r.quantity }}</td><td>{{ r.cost }}</td><td>{{ r.alone }}</td>
<td>{{ r.saving }}</td></tr>{% endfor %}</tbody></table>{% endif %}</section>

<section id="map"><h2>{{ t("firm_map") }}</h2>
<figure><img alt="{{ t('firm_map') }}" src="data:image/png;base64,{{ map_png }}">
<figcaption>{{ map_caption }}</figcaption></figure></section>

<p class="small">{{ footer }}</p>
{% endblock %}
"""

_INDEX = """{% extends "layout" %}{% block body %}
<h1>{{ title }}</h1>
<p class="subtitle">{{ intro }}</p>
<p class="small">{{ setting }}</p>
<table><thead><tr><th>{{ t("col_firm") }}</th><th>{{ t("col_sector") }}</th><th>{{ t("col_employees") }}</th>
<th>{{ t("col_links") }}</th><th>{{ t("col_partners") }}</th><th>{{ t("col_potential") }}</th>
<th class="text">{{ t("col_page") }}</th></tr></thead>
<tbody>{% for r in firms %}<tr><td><a href="{{ r.href }}">{{ r.firm }}</a></td><td>{{ r.sector }}</td>
<td>{{ r.employees }}</td><td>{{ r.links }}</td><td>{{ r.partners }}</td><td>{{ r.potential }}</td>
<td class="text"><a href="{{ r.href }}">{{ r.file }}</a></td></tr>{% endfor %}</tbody></table>
<p class="small">{{ footer }}</p>
{% endblock %}
"""

_ENVIRONMENT = jinja2.Environment(
    loader=jinja2.DictLoader({"layout": _LAYOUT, "firm": _FIRM, "index": _INDEX}),
    autoescape=True, undefined=jinja2.StrictUndefined, trim_blocks=True, lstrip_blocks=True)

# Profile indicators that are shares (written in %) and their decimals otherwise.
SHARE_INDICATORS = {"residue_outlet_share", "input_cover_share"}
DIGITS = {"mean_partner_distance_km": 2, "potential_co2_avoided_t": 1, "partners": 0, "links": 0,
          "optimal_links": 0}


@dataclass(frozen=True)
class OutputNames:
    """The names (not paths) of matchmake's other files, cited by the pages."""

    profiles: str
    exchanges: str
    summary: str
    services: str


def _missing(value) -> bool:
    return value is None or (isinstance(value, float) and math.isnan(value))


def _position(value: float, q1: float, median: float, q3: float) -> str:
    """Where ``value`` lies among the group's quartiles (a key of ``pos:``)."""
    if _missing(value) or _missing(median):
        return "none"
    if value > q3:
        return "top"
    if value < q1:
        return "bottom"
    return "above" if value > median else "below" if value < median else "median"


class _Writer:
    """Formats one group's numbers and names in one language."""

    def __init__(self, matches: Matches, texts: Texts):
        self.texts, self.matches = texts, matches
        self.names = matches.profiles.firm

    def num(self, value, digits: int = 0) -> str:
        return "–" if _missing(value) else self.texts.number(float(value), digits)

    def share(self, value) -> str:
        return "–" if _missing(value) else self.texts.number(100 * float(value), 0) + " %"

    def indicator(self, name: str, value) -> str:
        if name in SHARE_INDICATORS:
            return self.share(value)
        return self.num(value, DIGITS.get(name, 0))

    def quantity(self, value, unit: str) -> str:
        return f"{self.num(value, 1 if abs(value) < 100 else 0)} {unit}"

    def flow(self, residue: str, substitutes: str) -> str:
        return f"{self.texts.resource(residue)} → {self.texts.resource(substitutes)}"

    def setting(self, names: OutputNames) -> str:
        s, t = self.matches.setting, self.texts
        pricing = (t("firm_prices_defaults") if s.scenario_file is None
                   else t("firm_prices_scenario", file=s.scenario_file, year=s.year))
        radius = self.matches.radius_km
        search = t("firm_search_all") if radius is None else t("firm_search_radius", km=self.num(radius, 1))
        return t("firm_setting", pricing=pricing, search=search)

    def footer(self, names: OutputNames) -> str:
        return self.texts("firm_footer", version=simulation.__version__, file=names.profiles,
                          exchanges=names.exchanges)


def _position_rows(w: _Writer, profile: pd.Series, quartiles: pd.DataFrame, radius_km: float | None):
    t = w.texts
    out = []
    for family, indicators in POSITION_INDICATORS.items():
        rows = []
        for name in (i for i in indicators if i in quartiles.index):
            q = quartiles.loc[name]
            label = (t("ind:partners_radius", km=w.num(radius_km, 1)) if name == "partners" and radius_km is not None
                     else t(f"ind:{name}"))
            rows.append({"indicator": name, "label": label, "value": w.indicator(name, profile[name]),
                         "q1": w.indicator(name, q.q1), "median": w.indicator(name, q["median"]),
                         "q3": w.indicator(name, q.q3),
                         "position": t("pos:" + _position(profile[name], q.q1, q["median"], q.q3))})
        out.append((t.name(family), rows))
    return out


def _synergy_table(w: _Writer, firm: int, rows: pd.DataFrame, optimal: bool):
    t, names = w.texts, w.names
    columns = [("col_rank", False), ("col_role", True), ("col_partner", True), ("col_flow", True),
               ("col_quantity", False), ("col_km", False), ("col_unit_surplus", False), ("col_surplus", False),
               ("col_co2", False), ("col_route", True)]
    if optimal:
        columns += [("col_optimal_quantity", False), ("col_optimal_surplus", False)]
    body = []
    for r in rows.itertuples():
        supplies = r.supplier_f == firm
        cells = [str(r.rank), t("role:supplier" if supplies else "role:buyer"),
                 names[r.buyer_f if supplies else r.supplier_f], w.flow(r.residue, r.substitutes),
                 w.quantity(r.quantity, r.unit), w.num(r.distance_km, 2), w.num(r.unit_surplus_eur, 2),
                 w.num(r.surplus_eur_per_yr), w.num(r.co2_avoided_t, 1),
                 t(f"route:{r.route}") if f"route:{r.route}" in t else r.route]
        if optimal:
            cells += [w.quantity(r.optimal_quantity, r.unit), w.num(r.optimal_surplus_eur_per_yr)]
        body.append({"rank": int(r.rank), "cells": [{"value": c, "text": text}
                                                     for c, (_, text) in zip(cells, columns)]})
    return [{"label": t(key), "text": text} for key, text in columns], body


def _service_rows(w: _Writer, firm: int, services: pd.DataFrame | None, members: list[tuple[int, ...]] | None):
    if services is None:
        return None
    rows = []
    for k, r in enumerate(services.itertuples()):
        if firm not in members[k]:
            continue
        others = [w.names[m] for m in members[k] if m != firm]
        rows.append({"service": w.texts.service(r.service), "members": str(r.member_count),
                     "others": ", ".join(others), "quantity": w.quantity(r.quantity, r.unit),
                     "cost": w.num(r.cost_eur_per_yr), "alone": w.num(r.standalone_eur_per_yr),
                     "saving": w.num(r.savings_eur_per_yr), "count": len(others), "saving_value": r.savings_eur_per_yr})
    return rows


def _next_steps(w: _Writer, firm: int, rows: pd.DataFrame, flows: pd.DataFrame, services, optimal: bool) -> list:
    t, names = w.texts, w.names
    steps = []
    for r in rows.head(NEXT_PARTNERS).itertuples():
        partner = names[r.buyer_f if r.supplier_f == firm else r.supplier_f]
        steps.append(t("firm_next_partner", partner=partner, flow=w.flow(r.residue, r.substitutes),
                       quantity=w.quantity(r.quantity, r.unit), surplus=w.num(r.surplus_eur_per_yr),
                       km=w.num(r.distance_km, 1)))
    if not len(rows):
        steps.append(t("firm_next_none"))
    if optimal and len(rows):
        chosen = rows[rows.optimal_quantity > 0]
        steps.append(t("firm_next_optimal", n=len(chosen), surplus=w.num(chosen.optimal_surplus_eur_per_yr.sum())))
    for s in services or []:
        steps.append(t("firm_next_service", service=s["service"], others=s["count"], saving=s["saving"]))
    for direction, key in (("out", "firm_next_residues"), ("in", "firm_next_inputs")):
        unmatched = flows[(flows.direction == direction) & (flows.matched <= 0)]
        if len(unmatched) and (direction == "out" or len(rows)):
            listed = ", ".join(f"{t.resource(f.resource)} ({w.quantity(f.quantity, f.unit)})"
                               for f in unmatched.itertuples())
            steps.append(t(key, flows=listed))
    return steps


def firm_pages(matches: Matches, exchanges: pd.DataFrame, firms: pd.DataFrame, services: pd.DataFrame | None,
               texts: Texts, names: OutputNames) -> dict[str, str]:
    """The index page and one page per profiled firm, as ``{relative file name: HTML}``.

    ``exchanges``, ``firms`` and ``services`` are matchmake's tables
    (:func:`~simulation.matchmake.tables.potential_exchanges_frame`,
    :func:`~simulation.matchmake.tables.firm_profile`, :func:`~simulation.matchmake.matching.service_opportunities`),
    so a page repeats their numbers. Names: ``index.html`` and ``firms/<safe name>.html``.
    """
    w = _Writer(matches, texts)
    p, cat = matches.profiles, matches.setting.catalogue
    files = safe_file_names(p.firm, ".html")
    optimal = "optimal_quantity" in exchanges
    quartiles = group_quartiles(firms)
    coverage = flow_coverage(matches)
    links = exchanges.assign(supplier_f=matches.supplier, buyer_f=matches.buyer,
                             family=[cat.resources[r].family for r in exchanges.residue])
    involved = np.concatenate([matches.supplier, matches.buyer])
    order = np.argsort(involved, kind="stable")  # each firm's rows, best first (the table's order)
    bounds = np.searchsorted(involved[order], np.arange(len(p) + 1))
    xy = p.xy_km
    setting, footer = w.setting(names), w.footer(names)
    pages = {}
    profile_rows = firms.iloc[:len(p)]
    for f in range(len(p)):
        rows = links.iloc[np.sort(order[bounds[f]:bounds[f + 1]] % max(len(links), 1))]
        flows = coverage[coverage.firm == f]
        service_rows = _service_rows(w, f, services, matches.service_members)
        synergy_columns, synergies = _synergy_table(w, f, rows, optimal)
        figure = firm_map(xy, p.firm, f, rows[["supplier_f", "buyer_f", "family", "quantity"]].rename(
            columns={"supplier_f": "supplier", "buyer_f": "buyer"}), texts, matches.radius_km)
        largest = texts("firm_map_largest", shown=MAP_ARROWS, links=len(rows)) if len(rows) > MAP_ARROWS else ""
        caption = texts("firm_map_caption", largest=largest)
        if matches.radius_km is not None:
            caption += texts("firm_map_radius", km=w.num(matches.radius_km, 1))
        title = texts("firm_title", firm=p.firm[f])
        pages[f"{FIRMS_FOLDER}/{files[f]}"] = _ENVIRONMENT.get_template("firm").render(
            lang=texts.lang, csp=CSP, style=PAGE_STYLE, t=texts, index=INDEX, title=title,
            subtitle=texts("firm_subtitle", sector=p.sector[f], employees=w.num(p.employees[f]), n=len(p),
                           file=names.profiles),
            setting=setting, next_steps=_next_steps(w, f, rows, flows, service_rows, optimal),
            n_firms=len(p), position=_position_rows(w, profile_rows.iloc[f], quartiles, matches.radius_km),
            flows=[{"direction": texts(f"dir:{r.direction}"), "resource": texts.resource(r.resource),
                    "quantity": w.quantity(r.quantity, r.unit), "matched": w.quantity(r.matched, r.unit),
                    "share": w.share(r.share)} for r in flows.itertuples()],
            exchanges_file=names.exchanges, services_file=names.services, optimal=optimal,
            synergy_columns=synergy_columns, synergies=synergies, services=service_rows,
            map_png=base64.b64encode(png(figure)).decode("ascii"), map_caption=caption, footer=footer)
    index_rows = [{"href": f"{FIRMS_FOLDER}/{files[f]}", "file": files[f], "firm": p.firm[f], "sector": p.sector[f],
                   "employees": w.num(p.employees[f]), "links": str(int(profile_rows.links.iloc[f])),
                   "partners": str(int(profile_rows.partners.iloc[f])),
                   "potential": w.num(profile_rows.potential_surplus_eur_per_yr.iloc[f])} for f in range(len(p))]
    pages[INDEX] = _ENVIRONMENT.get_template("index").render(
        lang=texts.lang, csp=CSP, style=PAGE_STYLE, t=texts, title=texts("index_title", n=len(p), file=names.profiles),
        intro=texts("index_intro", exchanges=names.exchanges, summary=names.summary), setting=setting,
        firms=index_rows, footer=footer)
    return pages
