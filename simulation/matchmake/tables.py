"""The tables of ``ecodistrict matchmake``: the potential exchanges, and each firm's circularity profile.

Both are built from the :class:`~simulation.matchmake.matching.Matches` of a profile file;
quantities are in each residue's unit per year, money in EUR per year.
"""

from __future__ import annotations

import numpy as np
import pandas as pd

from simulation.columns import pair_key, pair_members
from simulation.matchmake.matching import Matches

FAMILIES = ("material", "energy", "water")


POTENTIAL_EXCHANGE_COLUMNS = ["rank", "supplier", "buyer", "residue", "substitutes", "quantity", "unit",
                              "distance_km", "unit_surplus_eur", "fixed_cost_eur_per_yr", "surplus_eur_per_yr",
                              "co2_avoided_t", "route"]


def potential_exchanges_frame(matches: Matches) -> pd.DataFrame:
    """One row per potential exchange (a candidate with a positive yearly surplus), best first
    (``matchmake.csv``); with an optimal allocation also its ``optimal_quantity`` and
    ``optimal_surplus_eur_per_yr``."""
    p, cat, subs = matches.profiles, matches.setting.catalogue, matches.setting.subs
    residue = [cat.resource_ids[k] for k in subs.residue[matches.row]]
    frame = pd.DataFrame({
        "rank": np.arange(1, len(matches) + 1),
        "supplier": [p.firm[f] for f in matches.supplier], "buyer": [p.firm[f] for f in matches.buyer],
        "residue": residue, "substitutes": [cat.resource_ids[k] for k in subs.input[matches.row]],
        "quantity": matches.quantity, "unit": [cat.resources[r].unit for r in residue],
        "distance_km": matches.distance_km, "unit_surplus_eur": matches.unit_surplus,
        "fixed_cost_eur_per_yr": matches.fixed_cost, "surplus_eur_per_yr": matches.surplus,
        "co2_avoided_t": matches.co2_avoided_t,
        "route": [cat.substitutions[k].route for k in matches.row],
    }, columns=POTENTIAL_EXCHANGE_COLUMNS)
    if matches.allocation is not None:
        x = matches.allocation.quantity
        frame["optimal_quantity"] = x
        frame["optimal_surplus_eur_per_yr"] = np.where(x > 0, x * matches.unit_surplus - matches.fixed_cost, 0.0)
    return frame


FIRM_PROFILE_COLUMNS = ["firm", "sector", "employees",
                        "residue_outlet_share", "input_cover_share",
                        "partners", "mean_partner_distance_km",
                        "links", "best_link_surplus_eur_per_yr", "potential_surplus_eur_per_yr",
                        "potential_co2_avoided_t"]


def _family_shares(flows: np.ndarray, matched: np.ndarray, family: np.ndarray) -> np.ndarray:
    """Per firm: mean over the families it has flows in of matched / total (NaN with no flows)."""
    shares = np.full((flows.shape[0], len(FAMILIES)), np.nan)
    for k, fam in enumerate(FAMILIES):
        cols = family == fam
        total, part = flows[:, cols].sum(1), matched[:, cols].sum(1)
        has = total > 0
        shares[has, k] = part[has] / total[has]
    count = (~np.isnan(shares)).sum(1)
    return np.where(count > 0, np.nansum(shares, 1) / np.maximum(count, 1), np.nan)


def _matched(matches: Matches, firms: np.ndarray | None = None) -> tuple[np.ndarray, np.ndarray]:
    """(residue placeable, input coverable) per firm × resource, from the candidate exchanges.

    Residue: ``min(g_r, Σ_links q)``; input: ``min(D_i, Σ_(rows s of i) min(cap_s, ratio_s·Σ_links q))``.
    Alternatives are added up, competition between firms ignored: a potential, not an allocation.
    """
    p, subs = matches.profiles, matches.setting.subs
    n, n_res, n_sub = len(p), p.outputs.shape[1], len(subs)
    q = matches.quantity
    offered = np.bincount(matches.supplier * n_res + subs.residue[matches.row], q, n * n_res).reshape(n, n_res)
    residue = np.minimum(p.outputs, offered)
    by_row = np.bincount(matches.buyer * n_sub + matches.row, q * subs.ratio[matches.row], n * n_sub).reshape(n, n_sub)
    capped = np.minimum(by_row, subs.max_share[None, :] * p.inputs[:, subs.input])
    per_input = np.zeros((n, n_res))
    np.add.at(per_input.T, subs.input, capped.T)
    return residue, np.minimum(p.inputs, per_input)


def firm_profile(matches: Matches) -> pd.DataFrame:
    """Each firm's circularity profile against the group, on the three families of docs/ODD.md, Indicators.

    (a) circular performance: ``residue_outlet_share`` = share of its residues some partner of the
    group could take, ``input_cover_share`` = share of its inputs the group's residues could
    replace (each a mean over the families material/energy/water it has flows in, quantities in
    the family's unit; empty when it has none);
    (b) territorial integration: ``partners`` (distinct firms it has a candidate exchange with),
    ``mean_partner_distance_km``;
    (c) symbiosis potential: ``links`` (candidate exchanges it is part of), the best one's yearly
    surplus, ``potential_surplus_eur_per_yr`` and ``potential_co2_avoided_t`` (sums over its links:
    alternatives counted together, an upper estimate); with ``--optimal`` also its links in the
    optimal allocation and their surplus.

    The last row, ``(group)``, gives the same over the group: shares over all flows, mean partners
    per firm, mean distance over all links, totals over links (each counted once).
    """
    p, cat = matches.profiles, matches.setting.catalogue
    n = len(p)
    placeable, coverable = _matched(matches)
    sup, buy = matches.supplier, matches.buyer
    pairs = np.unique(np.concatenate([pair_key(sup, buy), pair_key(buy, sup)]))  # each firm's distinct partners
    partners = np.bincount(pair_members(pairs)[0], minlength=n)
    both = np.concatenate([sup, buy])
    dist2, s2, co2 = (np.concatenate([a, a]) for a in (matches.distance_km, matches.surplus, matches.co2_avoided_t))
    links = np.bincount(both, minlength=n)
    with np.errstate(invalid="ignore", divide="ignore"):
        mean_dist = np.where(links > 0, np.bincount(both, dist2, n) / links, np.nan)
    best = np.full(n, np.nan)
    if len(both):
        np.fmax.at(best, both, s2)
    frame = pd.DataFrame({
        "firm": p.firm, "sector": p.sector, "employees": p.employees,
        "residue_outlet_share": _family_shares(p.outputs, placeable, cat.family),
        "input_cover_share": _family_shares(p.inputs, coverable, cat.family),
        "partners": partners, "mean_partner_distance_km": mean_dist,
        "links": links, "best_link_surplus_eur_per_yr": best,
        "potential_surplus_eur_per_yr": np.bincount(both, s2, n),
        "potential_co2_avoided_t": np.bincount(both, co2, n),
    }, columns=FIRM_PROFILE_COLUMNS)
    group = {
        "firm": "(group)", "sector": "", "employees": p.employees.sum(),
        "residue_outlet_share": _family_shares(p.outputs.sum(0, keepdims=True), placeable.sum(0, keepdims=True),
                                               cat.family)[0],
        "input_cover_share": _family_shares(p.inputs.sum(0, keepdims=True), coverable.sum(0, keepdims=True),
                                            cat.family)[0],
        "partners": partners.mean() if n else 0.0,
        "mean_partner_distance_km": matches.distance_km.mean() if len(matches) else np.nan,
        "links": len(matches), "best_link_surplus_eur_per_yr": matches.surplus.max() if len(matches) else np.nan,
        "potential_surplus_eur_per_yr": matches.surplus.sum(), "potential_co2_avoided_t": matches.co2_avoided_t.sum(),
    }
    if matches.allocation is not None:
        x = matches.allocation.quantity
        used = x > 0
        gain = np.where(used, x * matches.unit_surplus - matches.fixed_cost, 0.0)
        used2, gain2 = np.concatenate([used, used]), np.concatenate([gain, gain])
        frame["optimal_links"] = np.bincount(both, used2.astype(float), n).astype(int)
        frame["optimal_surplus_eur_per_yr"] = np.bincount(both, gain2, n)
        group["optimal_links"] = int(used.sum())
        group["optimal_surplus_eur_per_yr"] = float(gain.sum())
    return pd.concat([frame, pd.DataFrame([group])], ignore_index=True)


FLOW_COVERAGE_COLUMNS = ["firm", "direction", "resource", "family", "quantity", "unit", "matched", "share"]


def flow_coverage(matches: Matches) -> pd.DataFrame:
    """Each firm's flows, with how much of each the candidate exchanges could place or cover.

    One row per firm (position ``f`` in the profiles, column ``firm``) and flow: ``direction`` ``out``
    (a residue; ``matched`` = what partners could take) or ``in`` (an input; ``matched`` = what
    partners' residues could replace), in the catalogue's unit per year; ``share`` = matched /
    quantity. The same potential as the profile's shares (:func:`_matched`: alternatives added up,
    competition ignored), flow by flow, so a firm sees which of its residues has no taker.
    """
    p, cat = matches.profiles, matches.setting.catalogue
    placeable, coverable = _matched(matches)
    parts = []
    for direction, flows, matched in (("out", p.outputs, placeable), ("in", p.inputs, coverable)):
        f, r = np.nonzero(flows > 0)
        parts.append(pd.DataFrame({
            "firm": f, "direction": direction, "resource": [cat.resource_ids[k] for k in r],
            "family": cat.family[r], "quantity": flows[f, r],
            "unit": [cat.resources[cat.resource_ids[k]].unit for k in r],
            "matched": matched[f, r], "share": matched[f, r] / flows[f, r]}, columns=FLOW_COVERAGE_COLUMNS))
    frame = pd.concat(parts, ignore_index=True)
    return frame.sort_values(["firm", "direction", "share", "quantity"], ascending=[True, False, False, False],
                             kind="stable").reset_index(drop=True)


# The profile's indicators a firm is positioned on, by family of docs/ODD.md, Indicators.
POSITION_INDICATORS = {
    "circular": ("residue_outlet_share", "input_cover_share"),
    "territorial": ("partners", "mean_partner_distance_km"),
    "symbiosis": ("links", "best_link_surplus_eur_per_yr", "potential_surplus_eur_per_yr",
                  "potential_co2_avoided_t", "optimal_links", "optimal_surplus_eur_per_yr"),
}


def group_quartiles(firms: pd.DataFrame) -> pd.DataFrame:
    """Lower quartile, median and upper quartile of each indicator of :data:`POSITION_INDICATORS`
    over the firms of :func:`firm_profile` (its ``(group)`` row left out), the benchmark a firm
    is positioned against; firms without a value (no residues, no partner) are left out of an
    indicator's quartiles, ``firms`` counts those with one. Linear interpolation between firms."""
    members = firms[firms.firm != "(group)"]
    rows = []
    for family, indicators in POSITION_INDICATORS.items():
        for indicator in indicators:
            if indicator not in members:
                continue
            values = members[indicator].to_numpy(dtype=float)
            values = values[np.isfinite(values)]
            q1, median, q3 = np.percentile(values, [25, 50, 75]) if len(values) else (np.nan,) * 3
            rows.append({"family": family, "indicator": indicator, "firms": len(values),
                         "q1": q1, "median": median, "q3": q3})
    return pd.DataFrame(rows, columns=["family", "indicator", "firms", "q1", "median", "q3"]).set_index("indicator")
