"""The panels of the live view: the district map, the KPI charts, and the details of a firm or plot.

Each panel is a Solara component taking the model, as Mesa's SolaraViz passes it. Each reads
Mesa's ``update_counter``, which SolaraViz's Step, Play and Reset bump, so that it is drawn again
after every step (a component reading only the model would not: the model object stays the same
while it steps). The words of each panel come from plain functions (:func:`policy_text`,
:func:`firm_text`, :func:`plot_text`), so they can be read without a browser.
"""

from __future__ import annotations

import html
import io

import numpy as np
import solara
from mesa.visualization.utils import update_counter

from simulation.indicators import FAMILY_ORDER, REGISTRY
from simulation.inputs.localised import in_language
from simulation.view.figures import FAMILY_UNITS, TEXTS, Key, KpiChart, Links, district_figure, map_title


def _swatch(key: Key) -> str:
    """The HTML of one legend entry's symbol."""
    c = html.escape(key.colour)
    if key.shape == "box":
        return f'<span style="display:inline-block;width:14px;height:14px;background:{c};border:1px solid #bbb"></span>'
    if key.shape == "dot":
        return (f'<span style="display:inline-block;width:8px;height:8px;margin:0 3px;border-radius:4px;'
                f'background:{c}"></span>')
    if key.shape == "star":
        return f'<span style="color:{c};font-size:18px;-webkit-text-stroke:0.5px black">&#9733;</span>'
    style = "dashed" if key.dashed else "solid"
    return (f'<span style="display:inline-block;width:30px;vertical-align:middle;'
            f'border-top:{max(key.width, 1.0) * 1.33:.1f}px {style} {c}"></span>')


def legend_html(keys: list[Key]) -> str:
    """A legend as HTML, one entry a line (widths in CSS pixels, 1.33 per point as on screen)."""
    rows = "".join(f'<div style="line-height:20px;break-inside:avoid">{_swatch(k)} {html.escape(k.label)}</div>'
                   for k in keys)
    return f'<div style="font-size:13px">{rows}</div>'


def _number(value: float, digits: int = 0) -> str:
    return TEXTS.number(value, digits)


def _e(text: object) -> str:
    return html.escape(str(text))


def _items(lines: list[str]) -> str:
    return "<ul style='margin:4px 0'>" + "".join(f"<li>{line}</li>" for line in lines) + "</ul>"


def policy_text(model) -> str:
    """The levers the running model was built with, in words (HTML): what Reset rebuilt."""
    p = model.scenario.policy
    tax = p.landfill_tax
    return (f"<b>Levers of this run</b> ({_e(scenario_title(model.scenario))}, seed {model.seed_used}): "
            f"landfill tax inert {_number(tax.inert_eur_per_t, 2)} EUR/t, "
            f"non-hazardous {_number(tax.nonhazardous_eur_per_t, 2)} EUR/t; "
            f"virgin levy {_number(p.virgin_levy.eur_per_t, 2)} EUR/t; "
            f"exchange subsidy {_number(p.exchange_subsidy.eur_per_t, 2)} EUR/t; "
            f"facilitator {'on' if p.facilitator.enabled else 'off'}; admission rule {_e(p.admission.rule)}.")


def scenario_title(scenario) -> str:
    """What the page calls the scenario: its English title (the view speaks English), else its name."""
    return in_language(scenario.title, TEXTS.lang, default=scenario.name)


def scenario_text(model) -> str:
    """The scenario's title, its id and its description (HTML), above the map."""
    s = model.scenario
    description = in_language(s.description, TEXTS.lang)
    return (f"<h2 style='margin:0'>{_e(scenario_title(s))}</h2><p style='margin:2px 0 8px;color:#555'>"
            f"<code>{_e(s.name)}</code>{' — ' + _e(description) if description else ''}</p>")


def firm_label(model, firm) -> str:
    cat = model.catalogue
    return f"#{firm.unique_id} {cat.archetype_ids[firm.archetype]} (plot {model.plots.ids[firm.plot]})"


def _partner(model, uid: int) -> str:
    present = {f.unique_id: f for f in model.firms()}
    if uid not in present:
        return f"#{uid} (left)"
    return f"#{uid} {model.catalogue.archetype_ids[present[uid].archetype]}"


def firm_text(model, uid: int) -> str:
    """One firm (HTML): archetype, sector, plot, size, last year's profit, what it delivered to
    and received from each partner in the last year, and its shared services."""
    firm = model.firm(uid)
    cat = model.catalogue
    archetype_id = cat.archetype_ids[firm.archetype]
    archetype = cat.archetypes[archetype_id]
    lines = [f"archetype <code>{_e(archetype_id)}</code>, sector {_e(TEXTS.sector(archetype.sector_group))}; "
             f"on plot {_e(model.plots.ids[firm.plot])} since {firm.entry_year}",
             f"{firm.employees} employees, activity {_number(firm.activity, 2)} × the archetype's; "
             f"profit last year {_number(firm.profit_eur)} EUR"]
    links = Links.of(model)
    for verb, word, mine, other in (("delivers", "to", links.supplier == uid, links.buyer),
                                    ("receives", "from", links.buyer == uid, links.supplier)):
        for r, q, partner in zip(links.resource[mine].tolist(), links.quantity[mine].tolist(),
                                 other[mine].tolist()):
            unit = FAMILY_UNITS.get(cat.family[r], cat.unit[r])
            lines.append(f"{verb} {_number(q)} {_e(unit)}/yr of {_e(TEXTS.resource(cat.resource_ids[r]))} "
                         f"{word} {_e(_partner(model, partner))}")
    if not ((links.supplier == uid) | (links.buyer == uid)).any():
        lines.append("no exchange last year")
    services = [TEXTS.service(model.services.kinds[s.kind].id) for s in model.services.active()
                if uid in s.members]
    if services:
        lines.append(f"member of: {_e(', '.join(services))}")
    return f"<b>Firm #{uid}: {_e(archetype.name)}</b>" + _items(lines)


def plot_text(model, plot: int) -> str:
    """One plot (HTML): zone, area, land price and the firm on it, if any."""
    p = model.plots
    here = [f for f in model.firms() if f.plot == plot]
    lines = [f"zone {_e(p.zone[plot].replace('_', ' '))}, {_number(p.area_m2[plot])} m², "
             f"land {_number(p.land_price_eur_per_m2[plot])} EUR/m²"]
    lines += [f"firm {_e(firm_label(model, f))}" for f in here] or ["free"]
    return f"<b>Plot {_e(p.ids[plot])}</b>" + _items(lines)


def indicator_table(model) -> str:
    """The last simulated year's amounts and counts of each indicator family (HTML table)."""
    if not model.indicators:
        return "<p>No year simulated yet: press Step or ▶.</p>"
    rows = "".join(f"<tr><td>{_e(i.family)}</td><td>{_e(i.label_en)}</td><td style='text-align:right'>"
                   f"{_number(model.indicators[i.name], 0 if i.kind == 'count' else 1)}</td></tr>"
                   for family in FAMILY_ORDER for i in REGISTRY if i.family == family and i.kind != "share")
    return (f"<b>Indicators of {int(model.indicators['year'])}</b><table style='font-size:13px'>"
            f"<tr><th>family</th><th>indicator</th><th>value</th></tr>{rows}</table>")


def _html(text: str, tag: str = "div") -> None:
    """Markup written by this module (every value from an input escaped). Not ``solara.Markdown``:
    it loads KaTeX from a CDN, which an offline machine cannot reach (a console error)."""
    solara.HTML(tag=tag, unsafe_innerHTML=text)


def png(fig) -> bytes:
    """A figure as PNG bytes, at the figure's own resolution."""
    buffer = io.BytesIO()
    fig.savefig(buffer, format="png")
    return buffer.getvalue()


@solara.component
def DistrictMap(model):
    """The district map of the model's present state, redrawn after each step; its legend below."""
    step = update_counter.get()

    def draw():
        fig, keys = district_figure(model)
        return png(fig), keys

    image, keys = solara.use_memo(draw, [model, step])
    with solara.Column(classes=["ecodistrict-map"], gap="4px"):
        _html(_e(map_title(model)), "h3")
        solara.Image(image, width="100%")
        _html(f"<div style='columns:2'>{legend_html(keys)}</div>")


@solara.component
def KpiCharts(model):
    """The three indicator families' shares year by year, and the last year's amounts and counts."""
    step = update_counter.get()
    chart = solara.use_memo(lambda: KpiChart(model), [model])
    image = solara.use_memo(lambda: png(chart.update(model)), [model, step])
    with solara.Column(classes=["ecodistrict-kpi"], gap="4px"):
        _html("Indicators year by year (%): circular, territorial, symbiosis", "h3")
        solara.Image(image, width="100%")
        with solara.Row(gap="24px"):
            for family, keys in zip(FAMILY_ORDER, chart.legends):
                _html(f"<b>{family}</b>{legend_html(keys)}")
        _html(indicator_table(model))


@solara.component
def Details(model):
    """The levers of the run, and the details of a firm and of a plot chosen from lists."""
    update_counter.get()
    chosen_firm, set_firm = solara.use_state(None)
    chosen_plot, set_plot = solara.use_state(None)
    firms = {firm_label(model, f): f.unique_id for f in model.firms()}
    plots = {model.plots.ids[k]: k for k in range(len(model.plots))}
    with solara.Column(classes=["ecodistrict-details"], gap="4px"):
        _html(policy_text(model))
        with solara.Row(gap="16px"):
            with solara.Column(style={"min-width": "380px"}):
                solara.Select("Firm", values=list(firms), value=chosen_firm if chosen_firm in firms else None,
                              on_value=set_firm)
                if chosen_firm in firms:
                    _html(firm_text(model, firms[chosen_firm]))
            with solara.Column(style={"min-width": "300px"}):
                solara.Select("Plot", values=list(plots), value=chosen_plot if chosen_plot in plots else None,
                              on_value=set_plot)
                if chosen_plot in plots:
                    _html(plot_text(model, plots[chosen_plot]))
        occupied = int(np.count_nonzero(model.plots.occupants))
        _html(f"{len(firms)} firms present, {occupied} of {len(plots)} plots occupied.", "p")
