"""District indicators, one row per simulated year: one registry, :data:`REGISTRY`.

Three families, as the Formigine lab scores firms: (a) circular performance, (b) territorial
integration, (c) industrial symbiosis; then the year's entry and enforcement counts. Each
:class:`Indicator` is defined once, here: its name (the column of ``indicators.csv``), family,
unit, kind (share, signed, amount, count), English and Italian labels, formula (repeated in
docs/ODD.md) and how it is computed from the year's :class:`YearLedger`. Mesa's DataCollector
collects them (:func:`model_reporters`); reports, comparisons and experiments read their names,
families and labels from here. Links are contracts that delivered in the year.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass, field
from functools import cached_property

import numpy as np
from scipy import sparse
from scipy.sparse.csgraph import connected_components
from scipy.sparse.linalg import ArpackNoConvergence, eigs

from simulation.columns import pair_key

# What leaves the area by each outside route of the catalogue (the routes of
# simulation.inputs.catalogue_schema.OutsideRoute), as flow columns; their sum is ``disposed``.
OUTSIDE_FLOWS: dict[str, str] = {"landfilled": "landfill", "recovered_outside": "recovery",
                                 "incinerated": "incineration", "treated_outside": "treatment",
                                 "sewered": "sewer", "vented": "vent"}
# Per resource and year (flows.csv): what firms' processes produce (``generated_gross``) is what
# they recycle in house plus what they release (``generated``), which is exchanged, treated by a
# service or disposed of; what they need (``demand``) is what their in-house loops supply plus what
# they receive from other firms and services plus what they buy virgin.
FLOW_QUANTITIES = ("generated_gross", "recycled_in_house", "generated", "exchanged", "treated", "disposed",
                   *OUTSIDE_FLOWS, "demand", "in_house_input", "received", "virgin")


@dataclass
class YearLedger:
    """What happened in one year's settlement: who was there, flows per resource, the contracts
    that delivered and the shared services. Firms that leave at the end of the year still count for
    it. Flows include what services carry: residue reused through a service is ``exchanged``, the
    rest of what they handle ``treated``; inputs they deliver are ``received``. What nobody in the
    area takes is ``disposed``: it leaves by each residue's ``outside_route`` of the year (landfill,
    recovery or sale outside, incineration, treatment, sewer, vent; "" for an input only).
    ``generated`` is what firms release, net of what they recycle in house (``recycled_in_house``);
    ``demand`` is what they need, in-house loops (``in_house_input``) included."""

    year: int
    firm_uids: np.ndarray   # firms present during the year
    jobs: int
    plots_occupied_share: float
    generated: np.ndarray   # per resource, residue units released (net of in-house recycling)
    exchanged: np.ndarray
    disposed: np.ndarray
    demand: np.ndarray      # per resource, input units needed (in-house loops included)
    received: np.ndarray
    virgin: np.ndarray
    supplier: np.ndarray    # per delivering contract (firm unique_ids)
    buyer: np.ndarray
    residue: np.ndarray     # resource index of the residue
    delivered: np.ndarray   # residue units
    distance_km: np.ndarray
    surplus_eur: np.ndarray
    co2_avoided_t: np.ndarray
    treated: np.ndarray = field(default_factory=lambda: np.zeros(0))  # per resource, residue units
    service_firms: np.ndarray = field(default_factory=lambda: np.zeros(0, dtype=np.int64))  # in ≥ 1 service
    utility_firms: np.ndarray = field(default_factory=lambda: np.zeros(0, dtype=np.int64))  # in ≥ 1 utility
    accessory_firms: np.ndarray = field(default_factory=lambda: np.zeros(0, dtype=np.int64))  # ≥ 1 accessory
    services_active: int = 0
    service_memberships: int = 0
    service_savings_eur: float = 0.0  # members' saving less the public money in the services (EUR/yr)
    service_public_eur: float = 0.0   # public money paid into the year's services (EUR/yr)
    service_co2_avoided_t: float = 0.0
    realised_gross_eur: float = float("nan")  # exchange surplus before fixed costs (symbiosis_efficiency)
    optimal_gross_eur: float = float("nan")   # the same for the year's optimal allocation
    outside_route: np.ndarray = field(default_factory=lambda: np.zeros(0, dtype=object))  # per resource
    # public money of the year, EUR/yr: collected (landfill tax, levy, truck tax) and paid (exchange support)
    landfill_tax_eur: float = 0.0
    virgin_levy_eur: float = 0.0
    truck_tax_eur: float = 0.0
    exchange_support_eur: float = 0.0
    exchange_tax_forgone_eur: float = 0.0   # landfill tax and levy the exchanges avoid, less their truck tax
    plant_cost_eur: float = 0.0   # what owners pay this year for their pre-treatment plants (annuities)
    recycled_in_house: np.ndarray = field(default_factory=lambda: np.zeros(0))  # per resource, residue units
    in_house_input: np.ndarray = field(default_factory=lambda: np.zeros(0))     # per resource, input units
    # the ceramic cycle (firms of the ceramic sector group), t/yr: body raw materials needed and the part
    # of them recycled residues supply (in house, exchanges, services); ceramic residues produced and
    # the residues recovered into bodies (recycled in house, or taken in from other firms)
    ceramic_body_need_t: float = 0.0
    ceramic_body_recycled_t: float = 0.0
    ceramic_residue_generated_t: float = 0.0
    ceramic_residue_recovered_t: float = 0.0

    def flow(self, name: str) -> np.ndarray:
        """One of :data:`FLOW_QUANTITIES` per resource: a field, what left by one outside route,
        or what firms produced (released and recycled in house)."""
        if name in OUTSIDE_FLOWS:
            return np.where(self.outside_route == OUTSIDE_FLOWS[name], self.disposed, 0.0)
        if name == "generated_gross":
            return self.generated + self.recycled_in_house
        return getattr(self, name)


def _ratio(num: float, den: float) -> float:
    return float(num / den) if den > 0 else 0.0


EFFICIENCY_TOLERANCE = 1e-6  # relative: solver tolerance, not a modelling difference


def symbiosis_efficiency(realised_eur: float, optimal_eur: float) -> float:
    """Realised over optimal exchange surplus of the year (both before fixed costs); NaN when the
    optimum is 0 (nothing to gain) or was not computed. Never above 1: the realised deliveries are
    a feasible point of the optimum's linear program (:func:`simulation.exchange.optimum.year_optimum`)."""
    if not optimal_eur > 0:
        return float("nan")
    ratio = realised_eur / optimal_eur
    if ratio > 1 + EFFICIENCY_TOLERANCE:
        raise RuntimeError(f"realised surplus {realised_eur} exceeds the optimum {optimal_eur}: "
                           "the optimum's links or capacities miss a delivering contract")
    return float(min(ratio, 1.0))


DENSE_LIMIT = 48  # components larger than this use ARPACK on the sparse block


def _sparse_radius(adj: sparse.csr_matrix, members: np.ndarray) -> float:
    """Perron root of one strongly connected component (irreducible, non-negative block).

    ARPACK's largest-magnitude eigenvalue, started from a vector of ones so the result does not
    depend on a random start; a dense solve is the exact answer should ARPACK not converge.
    """
    block = adj[members][:, members].astype(float)
    block.data[:] = 1.0
    try:
        values = eigs(block, k=1, which="LM", v0=np.ones(len(members)), tol=1e-12, maxiter=10_000,
                      return_eigenvectors=False)
    except ArpackNoConvergence:
        values = np.linalg.eigvals(block.toarray())
    return float(np.abs(values).max())


def cyclicity(supplier: np.ndarray, buyer: np.ndarray) -> float:
    """Largest eigenvalue of the binary firm-to-firm adjacency matrix (0 when the network has no cycle).

    Only strongly connected components with more than one firm contain cycles, so the spectral
    radius is the largest over those components: no dense N × N matrix is ever built. A component
    of two firms (a mutual exchange) has radius exactly 1.
    """
    if len(supplier) == 0:
        return 0.0
    nodes, idx = np.unique(np.concatenate([supplier, buyer]), return_inverse=True)
    s, b = idx[: len(supplier)], idx[len(supplier):]
    adj = sparse.coo_matrix((np.ones(len(s)), (s, b)), shape=(len(nodes), len(nodes))).tocsr()
    _, labels = connected_components(adj, directed=True, connection="strong")
    sizes = np.bincount(labels)
    if sizes.max() < 2:
        return 0.0
    # Components of equal size are stacked and solved in one batched eigenvalue call.
    order = np.argsort(labels, kind="stable")
    local = np.empty(len(nodes), dtype=np.int64)
    starts = np.concatenate([[0], np.cumsum(sizes)[:-1]])
    local[order] = np.arange(len(nodes)) - starts[labels[order]]
    inside = (labels[s] == labels[b]) & (sizes[labels[s]] > 2)
    best = 1.0  # any component of two or more firms holds a cycle
    for size in np.unique(sizes[sizes > 2]):
        comps = np.flatnonzero(sizes == size)
        if size > DENSE_LIMIT:
            best = max(best, *(_sparse_radius(adj, np.flatnonzero(labels == c)) for c in comps))
            continue
        slot = np.full(len(sizes), -1)
        slot[comps] = np.arange(len(comps))
        edges = inside & (sizes[labels[s]] == size)
        stack = np.zeros((len(comps), size, size))
        stack[slot[labels[s[edges]]], local[s[edges]], local[b[edges]]] = 1.0
        best = max(best, float(np.abs(np.linalg.eigvals(stack)).max()))
    return best


class YearView:
    """One year's ledger with the pieces several indicators share, each computed once."""

    def __init__(self, ledger: YearLedger, family: np.ndarray, entry, enforcement, exits: int):
        self.led, self.entry, self.enforcement, self.exits = ledger, entry, enforcement, exits
        self.material, self.energy, self.water = (family == f for f in ("material", "energy", "water"))
        self.n_firms = len(ledger.firm_uids)

    @cached_property
    def n_pairs(self) -> int:
        """Directed firm pairs with a delivering contract."""
        return len(np.unique(pair_key(self.led.supplier, self.led.buyer)))

    @cached_property
    def symbiotic(self) -> int:
        led = self.led
        linked = np.union1d(np.union1d(led.supplier, led.buyer), led.service_firms)
        return np.count_nonzero(np.isin(led.firm_uids, linked))

    def covered(self, members: np.ndarray) -> float:
        """Share of the firms present that are among ``members`` (firm unique_ids)."""
        return _ratio(np.count_nonzero(np.isin(self.led.firm_uids, members)), self.n_firms)

    @cached_property
    def mat_contract(self) -> np.ndarray:
        return self.material[self.led.residue] if len(self.led.residue) else np.zeros(0, dtype=bool)

    @cached_property
    def mat_q(self) -> np.ndarray:
        return self.led.delivered[self.mat_contract]

    @cached_property
    def family_closure(self) -> list[float]:
        led = self.led
        return [_ratio(led.exchanged[f].sum(), led.generated[f].sum())
                for f in (self.material, self.energy, self.water) if led.generated[f].sum() > 0]


@dataclass(frozen=True)
class Indicator:
    """One indicator: column name, family, unit, kind (``share`` in [0, 1], ``signed``, ``amount``
    ≥ 0, ``count``), labels in English and Italian, its formula in words, and its computation."""

    name: str
    family: str
    unit: str
    kind: str
    label_en: str
    label_it: str
    formula: str
    compute: Callable[[YearView], float] = field(repr=False)


REGISTRY: tuple[Indicator, ...] = (
    Indicator("circular_input_rate", "circular", "share", "share",
              "Circular input rate", "Tasso di input circolare",
              "Σ received / Σ demand over material inputs",
              lambda y: _ratio(y.led.received[y.material].sum(), y.led.demand[y.material].sum())),
    Indicator("landfill_diversion_rate", "circular", "share", "share",
              "Landfill diversion rate", "Residui sottratti alla discarica",
              "1 − Σ landfilled / Σ generated over material residues (0 when nothing is generated)",
              lambda y: (1.0 - _ratio(y.led.flow("landfilled")[y.material].sum(), y.led.generated[y.material].sum())
                         if y.led.generated[y.material].sum() > 0 else 0.0)),
    Indicator("waste_landfilled_t", "circular", "t/yr", "amount",
              "Waste landfilled (t)", "Rifiuti in discarica (t)",
              "Σ landfilled over material residues",
              lambda y: float(y.led.flow("landfilled")[y.material].sum())),
    Indicator("residues_sent_outside_t", "circular", "t/yr", "amount",
              "Residues sent outside the area (t)", "Residui avviati fuori dall'area (t)",
              "Σ disposed over material residues: every outside route (landfill, recovery or sale, "
              "incineration, treatment)",
              lambda y: float(y.led.disposed[y.material].sum())),
    Indicator("byproduct_exchanged_t", "circular", "t/yr", "amount",
              "By-products exchanged (t)", "Sottoprodotti scambiati (t)",
              "Σ exchanged over material residues (contracts and services)",
              lambda y: float(y.led.exchanged[y.material].sum())),
    Indicator("energy_recovered_mwh", "circular", "MWh/yr", "amount",
              "Energy recovered (MWh)", "Energia recuperata (MWh)",
              "Σ exchanged over energy residues",
              lambda y: float(y.led.exchanged[y.energy].sum())),
    Indicator("water_reused_m3", "circular", "m3/yr", "amount",
              "Water reused (m³)", "Acqua riutilizzata (m³)",
              "Σ exchanged over water residues",
              lambda y: float(y.led.exchanged[y.water].sum())),
    Indicator("co2_avoided_t", "circular", "tCO2/yr", "signed",
              "CO₂ avoided (t)", "CO₂ evitata (t)",
              "Σ contracts q·(co2_disposal + ratio·co2_virgin − co2_per_km·d) + services' disposal and virgin "
              "production avoided",
              lambda y: float(y.led.co2_avoided_t.sum()) + y.led.service_co2_avoided_t),
    Indicator("ceramic_recycled_input_share", "circular", "share", "share",
              "Recycled share of ceramic body raw materials", "Quota riciclata delle materie prime ceramiche",
              "(in-house loops + received) / need, over the body raw materials (clay, feldspar, sand, spray-dried "
              "powder) of ceramic firms; the district reports 11.2 % of raw-material needs",
              lambda y: _ratio(y.led.ceramic_body_recycled_t, y.led.ceramic_body_need_t)),
    Indicator("ceramic_recycling_factor", "circular", "ratio", "amount",
              "Ceramic recycling factor", "Fattore di riciclo ceramico",
              "(ceramic residues recycled in house + residues ceramic firms take in from other firms into bodies) "
              "/ ceramic residues generated by ceramic firms, gross; above 1 when they take in more than they "
              "produce (the district reports 129 %)",
              lambda y: _ratio(y.led.ceramic_residue_recovered_t, y.led.ceramic_residue_generated_t)),
    Indicator("local_closure_rate", "territorial", "share", "share",
              "Local closure rate", "Chiusura locale dei cicli",
              "mean over families with residues of Σ exchanged / Σ generated: the share of residues "
              "reused inside the area",
              lambda y: float(np.mean(y.family_closure)) if y.family_closure else 0.0),
    Indicator("mean_exchange_distance_km", "territorial", "km", "amount",
              "Mean exchange distance (km)", "Distanza media degli scambi (km)",
              "quantity-weighted mean distance of material contracts (empty without any)",
              lambda y: (float(np.average(y.led.distance_km[y.mat_contract], weights=y.mat_q))
                         if y.mat_q.sum() > 0 else float("nan"))),
    Indicator("exchange_tonne_km", "territorial", "t·km/yr", "amount",
              "Tonne-km of material exchanges", "Tonnellate-km degli scambi di materiali",
              "Σ material contracts q · d: the haul the district's material exchanges take",
              lambda y: float((y.mat_q * y.led.distance_km[y.mat_contract]).sum())),
    Indicator("plots_occupied_share", "territorial", "share", "share",
              "Plots occupied", "Lotti occupati",
              "plots with a firm / plots",
              lambda y: y.led.plots_occupied_share),
    Indicator("firms", "territorial", "firms", "count",
              "Firms", "Imprese",
              "firms present during the year",
              lambda y: y.n_firms),
    Indicator("jobs", "territorial", "persons", "count",
              "Jobs", "Addetti",
              "employees of the firms present",
              lambda y: y.led.jobs),
    Indicator("service_coverage", "territorial", "share", "share",
              "Shared-service coverage", "Copertura dei servizi condivisi",
              "firms in ≥ 1 shared service / firms",
              lambda y: y.covered(y.led.service_firms)),
    Indicator("utility_service_coverage", "territorial", "share", "share",
              "Shared-utility coverage", "Copertura delle utility condivise",
              "firms in ≥ 1 shared utility (water, heat, wastewater: resource-based kinds) / firms",
              lambda y: y.covered(y.led.utility_firms)),
    Indicator("accessory_service_coverage", "territorial", "share", "share",
              "Accessory-service coverage", "Copertura dei servizi accessori",
              "firms in ≥ 1 accessory service (canteen, security, cleaning) / firms",
              lambda y: y.covered(y.led.accessory_firms)),
    Indicator("shared_services_active", "territorial", "services", "count",
              "Shared services running", "Servizi condivisi attivi",
              "shared services running",
              lambda y: int(y.led.services_active)),
    Indicator("service_members", "territorial", "memberships", "count",
              "Service memberships", "Adesioni ai servizi",
              "memberships of shared services",
              lambda y: int(y.led.service_memberships)),
    Indicator("service_savings_eur", "territorial", "EUR/yr", "signed",
              "Savings from shared services (EUR/yr)", "Risparmi dai servizi condivisi (EUR/anno)",
              "Σ members' stand-alone cost − payment − public money paid into the services",
              lambda y: float(y.led.service_savings_eur)),
    Indicator("service_public_funding_eur", "territorial", "EUR/yr", "amount",
              "Public money for shared services (EUR/yr)", "Fondi pubblici per i servizi condivisi (EUR/anno)",
              "Σ services' co-funded capex γ·capex·CRF + the park manager's cost",
              lambda y: float(y.led.service_public_eur)),
    Indicator("symbiosis_links", "symbiosis", "contracts", "count",
              "Symbiosis links", "Legami di simbiosi",
              "contracts that delivered in the year",
              lambda y: int(len(y.led.supplier))),
    Indicator("symbiotic_firm_share", "symbiosis", "share", "share",
              "Firms in symbiosis", "Imprese in simbiosi",
              "firms in a delivering contract or a shared service / firms",
              lambda y: _ratio(y.symbiotic, y.n_firms)),
    Indicator("linkage_density", "symbiosis", "pairs per firm", "amount",
              "Linkage density (links per firm)", "Densità dei legami (legami per impresa)",
              "directed firm pairs with a delivering contract / firms",
              lambda y: _ratio(y.n_pairs, y.n_firms)),
    Indicator("connectance", "symbiosis", "share", "share",
              "Connectance", "Connettanza",
              "directed linked pairs / (firms · (firms − 1))",
              lambda y: _ratio(y.n_pairs, y.n_firms * (y.n_firms - 1))),
    Indicator("cyclicity", "symbiosis", "eigenvalue", "amount",
              "Cyclicity", "Ciclicità",
              "largest eigenvalue of the firm-to-firm adjacency matrix",
              lambda y: cyclicity(y.led.supplier, y.led.buyer)),
    Indicator("net_savings_eur", "symbiosis", "EUR/yr", "signed",
              "Net savings (EUR/yr)", "Risparmi netti (EUR/anno)",
              "Σ contracts q·unit surplus − fixed yearly cost − owners' pre-treatment plant annuities: the firms' "
              "private gain, public money included",
              lambda y: float(y.led.surplus_eur.sum()) - y.led.plant_cost_eur),
    Indicator("social_surplus_eur", "symbiosis", "EUR/yr", "signed",
              "Surplus net of public money (EUR/yr)", "Surplus al netto del denaro pubblico (EUR/anno)",
              "net_savings_eur − public money in the exchanges (subsidy, public shares of treatment and pipes) "
              "− landfill tax and levy they avoid + truck tax they pay: the resources exchanges save, "
              "transfers netted out",
              lambda y: (float(y.led.surplus_eur.sum()) - y.led.plant_cost_eur - y.led.exchange_support_eur
                         - y.led.exchange_tax_forgone_eur)),
    Indicator("symbiosis_efficiency", "symbiosis", "share", "share",
              "Symbiosis efficiency", "Efficienza della simbiosi",
              "realised / optimal exchange surplus before fixed costs",
              lambda y: symbiosis_efficiency(y.led.realised_gross_eur, y.led.optimal_gross_eur)),
    Indicator("applicants", "entry", "firms", "count",
              "Applicants", "Richiedenti",
              "applicants screened in the year",
              lambda y: y.entry.applicants),
    Indicator("admitted", "entry", "firms", "count",
              "Admitted", "Ammessi",
              "applicants admitted",
              lambda y: y.entry.admitted),
    Indicator("rejected", "entry", "firms", "count",
              "Rejected", "Respinti",
              "applicants rejected, all reasons",
              lambda y: y.entry.rejected),
    Indicator("exits", "entry", "firms", "count",
              "Exits", "Uscite",
              "firms that left at the end of the year",
              lambda y: y.exits),
    Indicator("rejected_rule", "entry", "firms", "count",
              "Rejected by the rule", "Respinti dalla regola",
              "rejected by the admission rule (score, quota)",
              lambda y: y.entry.rejected_rule),
    Indicator("rejected_sector", "entry", "firms", "count",
              "Rejected by sector limits", "Respinti per limiti di settore",
              "rejected by sector exclusions or quotas",
              lambda y: y.entry.rejected_sector),
    Indicator("rejected_no_plot", "entry", "firms", "count",
              "Rejected for want of a plot", "Respinti per mancanza di lotti",
              "admitted but no plot fits",
              lambda y: y.entry.rejected_no_plot),
    Indicator("excluded", "enforcement", "firms", "count",
              "Excluded", "Esclusi",
              "firms excluded for violated commitments",
              lambda y: y.enforcement.excluded),
    Indicator("fines_eur", "enforcement", "EUR/yr", "amount",
              "Fines (EUR)", "Sanzioni (EUR)",
              "fines for violated commitments",
              lambda y: y.enforcement.fines_eur),
    Indicator("land_discount_eur", "entry", "EUR", "amount",
              "Land discounts (EUR)", "Sconti sul prezzo dei lotti (EUR)",
              "land-price discounts granted to admitted high scorers",
              lambda y: y.entry.land_discount_eur),
    Indicator("landfill_tax_paid_eur", "public", "EUR/yr", "amount",
              "Landfill tax paid (EUR/yr)", "Tributo di discarica versato (EUR/anno)",
              "Σ_r landfilled[r] × landfill tax of its route (what the region collects)",
              lambda y: y.led.landfill_tax_eur),
    Indicator("virgin_levy_paid_eur", "public", "EUR/yr", "amount",
              "Levy on virgin inputs paid (EUR/yr)", "Imposta sulle materie vergini versata (EUR/anno)",
              "Σ_i virgin[i] × levy",
              lambda y: y.led.virgin_levy_eur),
    Indicator("truck_tax_paid_eur", "public", "EUR/yr", "amount",
              "Truck tax paid (EUR/yr)", "Tassa sul trasporto su gomma versata (EUR/anno)",
              "Σ contracts q × truck tax × d",
              lambda y: y.led.truck_tax_eur),
    Indicator("exchange_support_eur", "public", "EUR/yr", "amount",
              "Public support to exchanges (EUR/yr)", "Sostegno pubblico agli scambi (EUR/anno)",
              "Σ contracts q × (subsidy + treatment × public share) + pipe capex per year × public share",
              lambda y: y.led.exchange_support_eur),
    Indicator("public_balance_eur", "public", "EUR/yr", "signed",
              "Public balance of the plan (EUR/yr)", "Saldo pubblico del piano (EUR/anno)",
              "landfill tax + levy + truck tax + fines − exchange support − service co-funding and park "
              "manager − land discounts",
              lambda y: (y.led.landfill_tax_eur + y.led.virgin_levy_eur + y.led.truck_tax_eur + y.enforcement.fines_eur
                         - y.led.exchange_support_eur - y.led.service_public_eur - y.entry.land_discount_eur)),
)

BY_NAME = {i.name: i for i in REGISTRY}
FAMILY_ORDER = ("circular", "territorial", "symbiosis")
# The district's indicators, the default outcomes of an experiment; the counts follow them in indicators.csv.
INDICATORS = tuple(i.name for i in REGISTRY if i.family in FAMILY_ORDER)
COLUMNS = tuple(i.name for i in REGISTRY)


def measure(ledger: YearLedger, family: np.ndarray, entry, enforcement, exits: int) -> dict[str, float]:
    """Every indicator of one year (firms present during the year), in registry order.

    ``family`` is each resource's family; ``entry`` and ``enforcement`` the year's
    :class:`~simulation.policy.admission.EntryCounts` and
    :class:`~simulation.policy.enforcement.EnforcementCounts`; ``exits`` the firms that left.
    """
    view = YearView(ledger, family, entry, enforcement, exits)
    return {"year": ledger.year, **{i.name: i.compute(view) for i in REGISTRY}}


def model_reporters() -> dict[str, Callable]:
    """Mesa DataCollector model reporters: the year and every registered indicator, read from the
    model's :attr:`~simulation.model.EcoDistrictModel.indicators` of the year just settled."""
    return {name: (lambda model, name=name: model.indicators[name]) for name in ("year", *COLUMNS)}
