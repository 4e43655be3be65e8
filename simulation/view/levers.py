"""The policy levers of the live view: which scenario fields the page lets a planner change.

Each lever is a field of the scenario's ``policy`` section, named as the model's keyword (its
dotted path with ``__``, :class:`~simulation.model.EcoDistrictModel`), so that Mesa's SolaraViz
rebuilds the model on Reset as ``LiveDistrict(scenario=..., **levers)``. Every control starts at
the scenario's own value: the page opens on the scenario as written.
"""

from __future__ import annotations

import math
from dataclasses import dataclass
from typing import Any, get_args

from simulation.inputs.policy_schema import AdmissionRule


@dataclass(frozen=True)
class Lever:
    """One control: the field it sets (dotted path), its label, and for a slider its range
    (``upper``: the top of the slider, EUR/t; raised to the scenario's value when that is higher)."""

    path: str
    label: str
    kind: str  # "slider", "checkbox" or "select"
    upper: float = 0.0

    @property
    def keyword(self) -> str:
        """The model's keyword argument for this field (``policy__landfill_tax__inert_eur_per_t``)."""
        return self.path.replace(".", "__")


# Slider tops: a few times the instruments in force in Italy (E-R landfill tax 5-25.82 EUR/t by class,
# docs/SOURCES.md), room enough for the tax, levy and subsidy levels the shipped experiments explore.
LEVERS: tuple[Lever, ...] = (
    Lever("policy.landfill_tax.inert_eur_per_t", "Landfill tax, inert waste (EUR/t)", "slider", 100.0),
    Lever("policy.landfill_tax.nonhazardous_eur_per_t", "Landfill tax, non-hazardous waste (EUR/t)", "slider", 100.0),
    Lever("policy.virgin_levy.eur_per_t", "Levy on virgin materials (EUR/t)", "slider", 50.0),
    Lever("policy.exchange_subsidy.eur_per_t", "Subsidy per tonne exchanged (EUR/t)", "slider", 50.0),
    Lever("policy.facilitator.enabled", "Facilitator platform", "checkbox"),
    Lever("policy.admission.rule", "Admission rule", "select"),
)


def value_of(scenario, path: str) -> Any:
    """The value of a dotted field of a scenario (a number of a sourced field: its ``value``)."""
    node = scenario
    for key in path.split("."):
        node = getattr(node, key)
    return getattr(node, "value", node)


def admission_rules(scenario) -> list[str]:
    """The admission rules a planner may pick: all of them, but ``ranking`` only when the scenario
    sets ``policy.admission.quota_per_year`` (the rule admits the best applicants up to it), and
    ``contribution`` only when it sets ``min_contribution_eur_per_yr`` (the rule's floor)."""
    rules = list(get_args(AdmissionRule))
    admission = scenario.policy.admission
    if admission.quota_per_year is None:
        rules.remove("ranking")
    if admission.min_contribution_eur_per_yr is None:
        rules.remove("contribution")
    return rules


def lever_params(scenario) -> dict[str, dict]:
    """SolaraViz's ``model_params`` for the levers: one control per lever, at the scenario's value."""
    params = {}
    for lever in LEVERS:
        value = value_of(scenario, lever.path)
        if lever.kind == "slider":
            top = max(lever.upper, float(math.ceil(value)))
            params[lever.keyword] = {"type": "SliderFloat", "label": lever.label, "value": float(value),
                                     "min": 0.0, "max": top, "step": 1.0}
        elif lever.kind == "checkbox":
            params[lever.keyword] = {"type": "Checkbox", "label": lever.label, "value": bool(value)}
        else:
            params[lever.keyword] = {"type": "Select", "label": lever.label, "value": value,
                                     "values": admission_rules(scenario)}
    return params
