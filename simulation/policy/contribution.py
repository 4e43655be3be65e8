"""Applicant contribution: the exchange surplus the district would gain with each applicant, EUR/yr.

The profile score (:mod:`simulation.policy.profiling`) averages per-flow shares with equal
weight, so a large sink of the district's residues can score below a small firm whose residue has
no taker. The contribution instead values what an applicant could exchange **with the partners
present** (the firms in the district when the year's applicants are screened, their open flows
as in :class:`~simulation.policy.profiling.Openings`), weighted by quantity:

* **taking**: the residue of present firms not under contract that the applicant's inputs could
  replace, over each substitution row ``s`` up to ``max_share_s`` of its demand of ``i(s)``
  (and its whole demand of ``i`` over all rows), residue units;
* **giving**: the applicant's residue the present firms could still take, up to their open
  substitutable demand on each row (``row_open``, input units, over ``ratio_s``), residue units.

Each side is allocated row by row in decreasing order of the row's value per residue unit
``u_s`` (ties by row index), only rows with ``u_s > 0`` (an exchange that loses money is not a
gain), each row taking what earlier rows left of the residue and of the demand. The contribution
is ``Σ_s q_s · u_s`` over both sides, EUR/yr, with ``u_s`` the caller's value of row ``s``: the
joint surplus per residue unit of :func:`simulation.exchange.surplus.unit_surplus` at the year's
policy effects, so disposal and virgin purchases avoided, taxes, subsidies, transport and
treatment are counted as a deal counts them. Applicants of the same year do not count each other.
"""

from __future__ import annotations

import numpy as np

from simulation.inputs.catalogue import Catalogue
from simulation.policy.profiling import EPS, Openings
from simulation.world import SubstitutionTable


def potential_surplus(catalogue: Catalogue, subs: SubstitutionTable, archetypes: list[int] | np.ndarray,
                      district: Openings, unit_value: np.ndarray) -> np.ndarray:
    """EUR/yr per applicant (archetype indices, arrival order, flows at activity 1): the value of
    what it could take from and give to the present firms, ``unit_value`` EUR per residue unit of
    each substitution row."""
    archetypes = np.asarray(archetypes, dtype=np.int64)
    demand_left = catalogue.inputs[archetypes].copy()       # (A, R) input units
    residue_left = catalogue.outputs[archetypes].copy()     # (A, R) residue units
    district_left = np.tile(district.residue_total, (len(archetypes), 1))
    gain = np.zeros(len(archetypes))
    for s in sorted(np.flatnonzero(unit_value > 0).tolist(), key=lambda s: (-unit_value[s], s)):
        r, i, ratio = subs.residue[s], subs.input[s], subs.ratio[s]
        cap = np.minimum(subs.max_share[s] * catalogue.inputs[archetypes, i], demand_left[:, i])
        taken = np.minimum(district_left[:, r], cap / ratio)
        given = np.minimum(residue_left[:, r], district.row_total[s] / ratio)
        taken, given = np.where(taken > EPS, taken, 0.0), np.where(given > EPS, given, 0.0)
        district_left[:, r] -= taken
        demand_left[:, i] -= taken * ratio
        residue_left[:, r] -= given
        gain += (taken + given) * unit_value[s]
    return gain
