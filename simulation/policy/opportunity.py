"""Entry that follows opportunity: who applies, given what the district leaves unused.

Entrepreneurs settle where residue goes unused and demand goes unmet (the mechanism of the EFNC
Humber agent-based model, which the issue cites; no rate from it is used). An archetype's
**opportunity** ``G_a`` is the EUR/yr an applicant of that archetype would gain the district with
the firms present: the exchange surplus of :func:`simulation.policy.contribution.potential_surplus`
over what it could take from their unused residues (a sink) and give to their open demand (a
supplier), valued per row at the joint surplus of a deal at this year's prices, at 0 km. It is
computed by the planning authority
(:meth:`~simulation.agents.planning_authority.PlanningAuthority.opportunities`) before the year's
applicants are drawn; this module turns it into the stream's weights and a queued applicant's
arrival.

* **weights** of the Poisson stream: ``w_a = mix_a × (1 + G_a / G_ref) ** ε``, a constant
  elasticity ``ε`` of the odds of entry to ``1 + G_a / G_ref`` (dimensionless; ``G_ref`` EUR/yr
  sets the opportunity at which an archetype's weight is ``2 ** ε`` times its mix weight). An
  archetype outside the mix (weight 0) stays out; ``ε = 0`` is the fixed mix, exactly.
* **a conditional queue entry** arrives in the first year from its ``year`` in which its
  archetype's opportunity exceeds its threshold (once).

No source measures how strongly entry responds to a by-product opportunity: ``ε`` and ``G_ref``
of a scenario are assumptions, and the shipped baseline keeps the fixed mix.
"""

from __future__ import annotations

import numpy as np


def stream_weights(mix: np.ndarray, opportunity_eur_per_yr: np.ndarray, elasticity: float,
                   reference_eur_per_yr: float) -> np.ndarray:
    """Relative weights of the stream's archetypes (same order as ``mix``): each mix weight times
    ``(1 + opportunity / reference) ** elasticity``; a negative opportunity counts as none."""
    gain = np.maximum(np.asarray(opportunity_eur_per_yr, dtype=float), 0.0)
    return np.asarray(mix, dtype=float) * (1.0 + gain / reference_eur_per_yr) ** elasticity


def arrives(year: int, from_year: int, opportunity_eur_per_yr: float, threshold_eur_per_yr: float) -> bool:
    """Whether a waiting queue entry arrives this year: from its year on, once its opportunity
    (EUR/yr) exceeds its threshold (EUR/yr)."""
    return year >= from_year and opportunity_eur_per_yr > threshold_eur_per_yr
