"""Schema of a scenario's ``policy`` section: the planning instruments and when each is in force.

Each instrument is a :class:`Window` (in force from ``start_year`` to ``end_year``) with its own
parameters; numeric parameters accept a plain number or ``{value, unit, source}`` as everywhere in
a scenario (:func:`~simulation.inputs.schema_base.sourced_number`). How the model applies them is
:mod:`simulation.policy`; whether the sector groups, resources and services they name exist in
the catalogue is checked by the scenario loader (:mod:`simulation.inputs.scenario`).
"""

from __future__ import annotations

from typing import Literal

from pydantic import Field, model_validator

from simulation.inputs.bounds import MAX_EUR, MAX_WEIGHT
from simulation.inputs.schema_base import Share, StrictModel, sourced_int, sourced_number, user_error

EurPerT = sourced_number("EUR/t", MAX_EUR, ge=0)
Weight = sourced_number("weight", MAX_WEIGHT, ge=0)
Score = sourced_number("score", ge=0, le=1)


class Window(StrictModel):
    """A rule or instrument in force from ``start_year`` to ``end_year`` (both included; open if absent)."""

    start_year: int | None = None
    end_year: int | None = None

    @model_validator(mode="after")
    def _window_ordered(self) -> Window:
        if self.start_year is not None and self.end_year is not None and self.end_year < self.start_year:
            raise user_error(f"end_year ({self.end_year}) is before start_year ({self.start_year})",
                             "swap them or remove one", field="end_year")
        return self

    def active(self, year: int) -> bool:
        return ((self.start_year is None or year >= self.start_year)
                and (self.end_year is None or year <= self.end_year))


class Profiling(StrictModel):
    """Weights of the three families in an applicant's circularity-potential score
    (:mod:`simulation.policy.profiling`): circular performance, territorial integration, symbiosis potential."""

    weight_circular: Weight
    weight_territorial: Weight
    weight_symbiosis: Weight
    partners_half: sourced_number("partners", gt=0, le=10_000)

    @model_validator(mode="after")
    def _some_weight(self) -> Profiling:
        if self.weight_circular + self.weight_territorial + self.weight_symbiosis <= 0:
            raise user_error("all three family weights are 0", "give at least one weight > 0",
                             field="weight_circular")
        return self


AdmissionRule = Literal["open", "threshold", "ranking", "complementarity", "contribution"]


class Admission(Window):
    """Who may settle (PUG/APEA conditionality). The year's applicants are screened as a batch:
    ``open`` first come, first served; ``threshold`` score >= ``min_score``; ``ranking`` the best
    ``quota_per_year`` by score; ``complementarity`` by symbiosis potential, with a floor
    ``min_symbiosis`` (and a quota when ``quota_per_year`` is set); ``contribution`` by the
    exchange surplus the district would gain with the applicant (EUR/yr,
    :mod:`simulation.policy.contribution`), with a floor ``min_contribution_eur_per_yr`` (and a
    quota when ``quota_per_year`` is set). Sector quotas and exclusions (by ``sector_group``) apply
    under every rule. Outside its window the rule falls back to ``open`` with no sector limits."""

    rule: AdmissionRule
    min_score: Score
    quota_per_year: sourced_int("firms/yr", ge=0, le=1_000_000) | None = None
    min_symbiosis: Score
    min_contribution_eur_per_yr: sourced_number("EUR/yr", MAX_EUR, ge=0) | None = Field(
        None, description="contribution rule: the least exchange surplus with the present firms an applicant must "
                          "bring, EUR/yr (joint surplus per residue unit x quantity it could take or give)")
    sector_max_share: dict[str, Share] = Field(default_factory=dict)
    excluded_sectors: list[str] = Field(default_factory=list)

    @model_validator(mode="after")
    def _parameters_of_the_rule(self) -> Admission:
        if self.rule == "ranking" and self.quota_per_year is None:
            raise user_error("rule 'ranking' needs quota_per_year",
                             "add policy.admission.quota_per_year: <firms admitted per year>",
                             field="quota_per_year")
        if self.rule == "contribution" and self.min_contribution_eur_per_yr is None:
            raise user_error("rule 'contribution' needs min_contribution_eur_per_yr",
                             "add policy.admission.min_contribution_eur_per_yr: <EUR/yr of exchange surplus "
                             "with the present firms, 0 to rank without refusing>",
                             field="min_contribution_eur_per_yr")
        return self


class Allocation(Window):
    """How an admitted firm gets its plot. ``free_choice``: the firm maximises
    ``-(land cost after discount) - proximity_eur_per_km x distance to its nearest likely partner``;
    ``authority``: among plots costing at most ``(1 + max_cost_premium)`` x the cheapest fitting one,
    the plot nearest (mean distance) to the firm's likely partners. Firms scoring at least
    ``discount_min_score`` get ``discount_share`` off the land price. Outside its window: free
    choice on land cost alone, no discount."""

    rule: Literal["free_choice", "authority"]
    proximity_eur_per_km: sourced_number("EUR/km", MAX_EUR, ge=0)
    max_cost_premium: sourced_number("share", ge=0, le=100)
    discount_share: Share
    discount_min_score: Score


class Commitments(Window):
    """Commitments an applicant admitted inside the window is bound to (operating agreement):
    publish its flows on the platform, reach ``min_secondary_share`` of its material inputs from
    exchanges ``secondary_share_years`` after entry, join the named shared services."""

    publish_flows: bool
    min_secondary_share: Share
    secondary_share_years: sourced_int("yr", ge=0, le=100)
    join_services: list[str] = Field(default_factory=list)


class Enforcement(Window):
    """Monitoring of commitments: every ``interval_years`` each bound firm is checked with
    ``monitoring_probability``; a violation costs ``fine_eur``; after
    ``exclusion_after_violations`` violations (if set) the firm is excluded from the district."""

    interval_years: sourced_int("yr", ge=1, le=100)
    monitoring_probability: Share
    fine_eur: sourced_number("EUR", MAX_EUR, ge=0)
    exclusion_after_violations: sourced_int("violations", ge=1, le=1000) | None = None


class LandfillTax(Window):
    """Regional landfill tax per tonne by class (E-R LR 31/1996 art. 13); sludges pay a fraction."""

    inert_eur_per_t: EurPerT
    nonhazardous_eur_per_t: EurPerT
    hazardous_eur_per_t: EurPerT
    sludge_factor: Share


class VirginLevy(Window):
    """A levy on virgin material inputs, EUR per tonne bought (material family only): on the
    inputs listed in ``resources`` (e.g. quarried minerals), or on every material input if empty."""

    eur_per_t: EurPerT
    resources: list[str] = Field(default_factory=list)


class ExchangeSubsidy(Window):
    """A public payment per tonne of material residue exchanged."""

    eur_per_t: EurPerT


class CapexSubsidy(Window):
    """Public share of exchange infrastructure: of the pipe capex (annualised in a contract's fixed
    yearly cost) and of the capex of pre-treatment plants suppliers build (an investment decision,
    docs/ODD.md §7.7; the per-unit treatment cost is not co-funded)."""

    pipe_share: Share
    treatment_share: Share


class FacilitatorPolicy(Window):
    """The matchmaking platform / park manager: district-wide visibility, cheaper transactions."""

    enabled: bool
    transaction_cost_reduction: Share
    candidates_per_firm: sourced_int("partners", ge=1, le=100)
    reach_km: sourced_number("km", gt=0) | None = Field(
        None, description="farthest partner the platform lists (published flows too); none: transport reach")


class ParkManager(Window):
    """A park manager (*soggetto gestore*) runs the shared services: it takes over each service's
    coordination cost, and its own yearly cost is public money."""

    enabled: bool
    cost_eur_per_yr: sourced_number("EUR/yr", MAX_EUR, ge=0)


class ServiceCofunding(Window):
    """Public co-funding of the capex of shared services founded while it is in force."""

    capex_share: Share


class TruckTax(Window):
    """A tax per tonne-km of residues carried by road in exchanges, paid by the supplier with the
    haul (a distance-based heavy-vehicle charge). Virgin purchases and disposal are priced at the
    gate, with no distance, so the tax does not reach them."""

    eur_per_tkm: sourced_number("EUR/tkm", MAX_EUR, ge=0)


class Policy(StrictModel):
    profiling: Profiling
    admission: Admission
    allocation: Allocation
    commitments: Commitments
    enforcement: Enforcement
    landfill_tax: LandfillTax
    virgin_levy: VirginLevy
    exchange_subsidy: ExchangeSubsidy
    capex_subsidy: CapexSubsidy
    facilitator: FacilitatorPolicy
    park_manager: ParkManager
    service_cofunding: ServiceCofunding
    truck_tax: TruckTax
