"""Price instruments: what the plan adds to, or pays on, each resource unit in a year.

Each residue nobody in the area takes leaves by its cheapest outside route at the year's prices
(:meth:`~simulation.inputs.catalogue.OutsideRoutes.cheapest`): a landfill tax makes landfill
dearer, so residues with a recovery route outside switch to it (the mechanism of the Danish and UK
landfill taxes, docs/SOURCES.md ``danish-epa-1999-waste-tax``).

Landfill tax by class (E-R LR 31/1996 art. 13; sludges pay a fraction), a levy on virgin material
inputs, a payment per tonne of material residue exchanged, a tax per tonne-km of residues carried
by truck in exchanges, public shares of pre-treatment, of exchange pipes and of the capex of
shared services founded in the year: each in force within its
``start_year``/``end_year`` window; outside it the shipped default applies (the regional landfill
tax, no levy, no subsidy). :func:`year_effects` writes them into the year's
:class:`~simulation.policy.effects.PolicyEffects`; nothing else reads the scenario's prices.
"""

from __future__ import annotations

import numpy as np

from simulation.inputs.catalogue import Catalogue
from simulation.inputs.policy_schema import Policy
from simulation.policy.effects import PolicyEffects
from simulation.world import Transport


def year_effects(policy: Policy, default: Policy, catalogue: Catalogue, transport: Transport,
                 year: int) -> PolicyEffects:
    """Prices per resource unit for ``year``: catalogue prices plus the instruments in force, each
    the scenario's within its window and ``default``'s (the shipped defaults) outside it."""
    def in_force(name: str):
        instrument = getattr(policy, name)
        return instrument if instrument.active(year) else getattr(default, name)

    cat = catalogue
    lt = in_force("landfill_tax")
    rate = {"inert": lt.inert_eur_per_t, "nonhazardous": lt.nonhazardous_eur_per_t,
            "hazardous": lt.hazardous_eur_per_t, "none": 0.0}
    routes = cat.routes
    tax = np.array([rate[c] for c in routes.tax_class]) * np.where(routes.is_sludge, lt.sludge_factor, 1.0)
    route_cost = routes.cost + tax
    chosen = routes.cheapest(route_cost, len(cat.resource_ids))
    levy = in_force("virgin_levy")
    material = cat.family == "material"
    if levy.resources:
        material = material & np.isin(np.array(cat.resource_ids), levy.resources)
    capex, cofunding = in_force("capex_subsidy"), in_force("service_cofunding")
    return PolicyEffects(
        disposal_cost=routes.per_resource(route_cost, chosen),
        outside_route=chosen,
        disposal_co2=routes.per_resource(routes.co2, chosen),
        landfill_tax=routes.per_resource(tax, chosen),
        virgin_cost=cat.virgin_price + np.where(material & cat.is_input, levy.eur_per_t, 0.0),
        subsidy=np.where((cat.family == "material") & cat.is_residue, in_force("exchange_subsidy").eur_per_t, 0.0),
        transport_surcharge=np.where(transport.by_truck & (cat.unit == "t"), in_force("truck_tax").eur_per_tkm, 0.0),
        treatment_subsidy_share=capex.treatment_share,
        pipe_capex_share=capex.pipe_share,
        service_cofunding_share=float(cofunding.capex_share),
    )
