"""Applicant profiling: a circularity-potential score in [0, 1] for each firm applying to settle.

The Formigine Smart Eco District admits firms that "qualify their business model on shared
indicators of territorial circularity" (docs/SOURCES.md ``sed-formigine``). The score reads an applicant's
archetype flows (yearly inputs and residues at activity 1) against the district **as it stands**
when the year's applicants are screened: the firms present, at their current activity, minus what
their active contracts already take. Applicants of the same year do not count each other.

Flows are compared within a family (``material`` t, ``energy`` MWh, ``water`` m3) and a side
(inputs, residues), so units never mix. For an applicant ``a`` with residues ``g_r`` and input
demand ``D_i`` (archetype flows), the **family-side pairs** ``k`` are those where the applicant
has a positive flow; each family below is the unweighted mean over those pairs of a share in
[0, 1] (0 for an applicant with no flows).

(a) **Circular performance** ``C`` -- what the applicant could circulate at all (catalogue-wide):

* residues: ``Σ_r g_r · reusable_r / Σ_r g_r``, ``reusable_r = 1`` if some substitution row
  takes residue ``r`` (its potential landfill diversion);
* inputs: ``Σ_i D_i · min(1, Σ_(s: i(s)=i) max_share_s) / Σ_i D_i`` (its potential circular
  input rate).

(b) **Territorial integration** ``T = ½ · n / (n + n_half) + ½ · ρ_a / (ρ_a + ρ_D)``:

* ``n``: likely partners among the present firms: firms with an open flow complementary to the
  applicant's (some row ``s`` where the applicant emits ``r(s)`` and the firm still has
  substitutable demand on ``s``, or the applicant demands ``i(s)`` and the firm still has residue
  ``r(s)`` left); ``n_half = policy.profiling.partners_half``;
* ``ρ``: jobs per m² of plot, of the applicant (archetype employees / plot area) and of the
  district's present firms (their employees / their archetypes' plot areas); equal densities
  give ½ (land use efficiency, LR 24/2017 soil-consumption cap, docs/SOURCES.md ``lr-24-2017``). An empty
  district gives ``ρ_D = 0`` (the term is 1, or ½ when ``ρ_a`` is 0 too).

(c) **Industrial symbiosis potential with the present firms** ``P`` -- how well the applicant's
flows and the district's open flows match now (distances ignored: the plot is not chosen yet).
Symbiosis is two-sided, so each family-side share is the mean of the applicant's side (how much
of its flows find a partner) and the district's side (how much of the partners' open flows it
would close); a large sink that would absorb all of the district's leftover residue while
covering a few per cent of its own demand with it scores ½, not ~0:

* residues: matched ``M = Σ_r min(g_r, A_r)`` with ``A_r = Σ_(s: r(s)=r) O_s / ratio_s`` the
  residue the present firms could still absorb (``O_s``: their open substitutable demand on row
  ``s``, input units); share ``½ · (M / Σ_r g_r + min(1, M / Σ_(r: g_r > 0) A_r))``;
* inputs: matched ``M = Σ_i min(D_i, Σ_(s: i(s)=i) min(max_share_s · D_i, L_(r(s)) · ratio_s))``
  with ``L_r`` the residue ``r`` the present firms have left; share
  ``½ · (M / Σ_i D_i + min(1, M / Σ_(i: D_i > 0) Σ_(s: i(s)=i) L_(r(s)) · ratio_s))``
  (0/0 counts as 0).

**Score** ``S = (w_C·C + w_T·T + w_P·P) / (w_C + w_T + w_P)`` with the weights of
``policy.profiling``. The computation is vectorised over the district (one pass over the present
firms and active contracts per year); applicants are few and are scored together.
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np

from simulation.inputs.catalogue import Catalogue
from simulation.world import SubstitutionTable

FAMILIES = ("material", "energy", "water")
EPS = 1e-9


@dataclass(frozen=True)
class Openings:
    """What the district's present firms leave open to a newcomer (positions = present firms)."""

    residue_left: np.ndarray   # (N, R) residue units not under contract
    row_open: np.ndarray       # (N, S) input units each row may still replace at each firm
    xy_km: np.ndarray          # (N, 2) positions of the present firms
    jobs_density: float        # district jobs per m2 of the present firms' archetype plot areas

    @property
    def residue_total(self) -> np.ndarray:
        return self.residue_left.sum(0)

    @property
    def row_total(self) -> np.ndarray:
        return self.row_open.sum(0)


@dataclass(frozen=True)
class Profile:
    """Scores of a batch of applicants (one entry per applicant, in arrival order)."""

    circular: np.ndarray
    territorial: np.ndarray
    symbiosis: np.ndarray
    score: np.ndarray
    partner_count: np.ndarray      # likely partners of each applicant among the present firms
    _kind: np.ndarray              # each applicant's row in ``_partners`` (one row per distinct archetype)
    _partners: np.ndarray          # (distinct archetypes, N) bool

    def partners(self, k: int) -> np.ndarray:
        """Positions (in ``Openings``) of applicant ``k``'s likely partners."""
        return np.flatnonzero(self._partners[self._kind[k]])


def openings(catalogue: Catalogue, subs: SubstitutionTable, archetype: np.ndarray, activity: np.ndarray,
             xy_km: np.ndarray, employees: np.ndarray, contract_supplier: np.ndarray,
             contract_buyer: np.ndarray, contract_row: np.ndarray, contract_quantity: np.ndarray) -> Openings:
    """The district's open flows from its present firms and their active contracts.

    ``archetype``, ``activity``, ``xy_km``, ``employees`` are per present firm; contract arrays give
    the supplier and buyer **positions** (in the same order), row and quantity of each active contract.
    """
    n, n_res, n_sub = len(archetype), len(catalogue.resource_ids), len(subs)
    generated = activity[:, None] * catalogue.outputs[archetype]
    demand = activity[:, None] * catalogue.inputs[archetype]
    r, i = subs.residue[contract_row], subs.input[contract_row]
    q_in = contract_quantity * subs.ratio[contract_row]
    out = np.bincount(contract_supplier * n_res + r, contract_quantity, n * n_res).reshape(n, n_res)
    inn = np.bincount(contract_buyer * n_res + i, q_in, n * n_res).reshape(n, n_res)
    by_row = np.bincount(contract_buyer * n_sub + contract_row, q_in, n * n_sub).reshape(n, n_sub)
    input_left = np.maximum(demand - inn, 0.0)
    row_open = np.maximum(np.minimum(subs.max_share[None, :] * demand[:, subs.input] - by_row,
                                     input_left[:, subs.input]), 0.0)
    area = np.array([catalogue.archetypes[a].plot_area.value for a in catalogue.archetype_ids])
    occupied = float(area[archetype].sum())
    density = float(employees.sum()) / occupied if occupied > 0 else 0.0
    return Openings(np.maximum(generated - out, 0.0), row_open, xy_km, density)


def _family_side_mean(shares: np.ndarray, present: np.ndarray) -> np.ndarray:
    """Mean over the family-side pairs an applicant has flows in; 0 with none. (A, K) arrays."""
    count = present.sum(1)
    return np.where(count > 0, (shares * present).sum(1) / np.maximum(count, 1), 0.0)


def _shares(catalogue: Catalogue, flows: np.ndarray, matched: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    """Per family: matched / total flows of each applicant (A, 3), and whether the total is positive."""
    totals, parts = [], []
    for family in FAMILIES:
        cols = catalogue.family == family
        totals.append(flows[:, cols].sum(1))
        parts.append(matched[:, cols].sum(1))
    total, part = np.column_stack(totals), np.column_stack(parts)
    present = total > EPS
    return np.where(present, part / np.where(present, total, 1.0), 0.0), present


def circular_potential(catalogue: Catalogue, subs: SubstitutionTable, archetypes: np.ndarray) -> np.ndarray:
    """Family (a), per archetype index: the share of its flows some substitution row can circulate."""
    n_res = len(catalogue.resource_ids)
    reusable = np.zeros(n_res)
    reusable[subs.residue] = 1.0
    replaceable = np.minimum(1.0, np.bincount(subs.input, subs.max_share, n_res))
    g, d = catalogue.outputs[archetypes], catalogue.inputs[archetypes]
    out_share, out_present = _shares(catalogue, g, g * reusable)
    in_share, in_present = _shares(catalogue, d, d * replaceable)
    return _family_side_mean(np.hstack([out_share, in_share]), np.hstack([out_present, in_present]))


def symbiosis_potential(catalogue: Catalogue, subs: SubstitutionTable, archetypes: np.ndarray,
                        district: Openings) -> np.ndarray:
    """Family (c), per archetype index: how well its flows and the present firms' open flows match.

    Per family-side pair, the mean of the applicant's share (its flows the district could take or
    supply) and the district's share (the open flows it complements that the applicant would close).
    """
    n_res = len(catalogue.resource_ids)
    absorb = np.bincount(subs.residue, district.row_total / subs.ratio, n_res)   # residue units
    g, d = catalogue.outputs[archetypes], catalogue.inputs[archetypes]
    out_matched = np.minimum(g, absorb[None, :])
    # Per row: what the district's leftover residue could replace of the applicant's demand (and
    # could supply at all, input units, whatever the applicant's demand).
    leftover = district.residue_total[subs.residue] * subs.ratio
    feed = np.minimum(subs.max_share[None, :] * d[:, subs.input], leftover[None, :])
    in_matched = np.minimum(d, np.stack([np.bincount(subs.input, f, n_res) for f in feed]))
    in_offer = np.stack([np.bincount(subs.input, leftover * (row > 0), n_res) for row in d[:, subs.input]])
    out_share, out_present = _shares(catalogue, g, out_matched)
    in_share, in_present = _shares(catalogue, d, in_matched)
    out_closed, _ = _shares(catalogue, absorb[None, :] * (g > 0), out_matched)
    in_closed, _ = _shares(catalogue, in_offer, in_matched)
    shares = 0.5 * (np.hstack([out_share, in_share]) + np.minimum(1.0, np.hstack([out_closed, in_closed])))
    return _family_side_mean(shares, np.hstack([out_present, in_present]))


def likely_partners(catalogue: Catalogue, subs: SubstitutionTable, archetypes: np.ndarray,
                    district: Openings) -> np.ndarray:
    """(A, N) bool: present firms with an open flow complementary to each archetype's flows."""
    emits_on_row = catalogue.outputs[archetypes][:, subs.residue] > EPS    # (A, S)
    needs_on_row = catalogue.inputs[archetypes][:, subs.input] > EPS      # (A, S)
    buyer_open = (district.row_open > EPS).astype(np.int32)               # (N, S)
    supplier_open = (district.residue_left[:, subs.residue] > EPS).astype(np.int32)
    return (emits_on_row.astype(np.int32) @ buyer_open.T > 0) | (needs_on_row.astype(np.int32) @ supplier_open.T > 0)


def territorial_integration(catalogue: Catalogue, archetypes: np.ndarray, partners: np.ndarray,
                            district: Openings, partners_half: float) -> np.ndarray:
    """Family (b), per archetype index: likely local links and jobs density against the district."""
    n = partners.sum(1).astype(float)
    arch = [catalogue.archetypes[catalogue.archetype_ids[a]] for a in archetypes]
    density = np.array([a.employees.value / a.plot_area.value for a in arch])
    both = density + district.jobs_density
    jobs = np.where(both > 0, density / np.where(both > 0, both, 1.0), 0.5)
    return 0.5 * n / (n + partners_half) + 0.5 * jobs


def profile(catalogue: Catalogue, subs: SubstitutionTable, archetypes: list[int] | np.ndarray,
            district: Openings, weights: tuple[float, float, float], partners_half: float) -> Profile:
    """Score every applicant of a batch (archetype indices, arrival order) against ``district``."""
    archetypes = np.asarray(archetypes, dtype=np.int64)
    if len(archetypes) == 0:
        e = np.zeros(0)
        return Profile(e, e.copy(), e.copy(), e.copy(), np.zeros(0, dtype=np.int64), np.zeros(0, dtype=np.int64),
                       np.zeros((0, len(district.xy_km)), dtype=bool))
    unique, inverse = np.unique(archetypes, return_inverse=True)
    partners = likely_partners(catalogue, subs, unique, district)
    c = circular_potential(catalogue, subs, unique)
    t = territorial_integration(catalogue, unique, partners, district, partners_half)
    p = symbiosis_potential(catalogue, subs, unique, district)
    w = np.asarray(weights, dtype=float)
    s = (w[0] * c + w[1] * t + w[2] * p) / w.sum()
    return Profile(c[inverse], t[inverse], p[inverse], s[inverse], partners.sum(1)[inverse], inverse, partners)
