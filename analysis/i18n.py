"""English and Italian words of the comparison report and its figures.

Planners present results to councils and firms in Italian; analysts often read English. Every
word a reader sees passes through :class:`Texts`, so both languages always carry the same
content (a test checks that they have the same keys and placeholders). Numbers are written the
way each language writes them (``1,234.5`` / ``1.234,5``).
"""

from __future__ import annotations

import math

from simulation.indicators import REGISTRY

LANGUAGES = ("en", "it")

# Indicator labels are defined with the indicators (simulation/indicators.py).
INDICATOR_LABELS = {"en": {i.name: i.label_en for i in REGISTRY}, "it": {i.name: i.label_it for i in REGISTRY}}

NAMES = {  # indicator families, verdicts, resource families and sensitivity indices
    "en": {
        "circular": "(a) Circular performance", "territorial": "(b) Territorial integration",
        "symbiosis": "(c) Industrial symbiosis",
        "higher": "higher than the baseline", "lower": "lower than the baseline",
        "not distinguishable": "not distinguishable from the baseline",
        "too few replicates": "too few replicates to say",
        "short:higher": "higher", "short:lower": "lower", "short:not distinguishable": "not distinguishable",
        "short:too few replicates": "too few replicates",
        "material": "materials (t)", "energy": "energy (MWh)", "water": "water (m³)",
        "index:S1": "first-order index S1", "index:ST": "total index ST", "index:mu_star": "Morris μ*",
    },
    "it": {
        "circular": "(a) Prestazione circolare", "territorial": "(b) Integrazione territoriale",
        "symbiosis": "(c) Simbiosi industriale",
        "higher": "superiore al riferimento", "lower": "inferiore al riferimento",
        "not distinguishable": "non distinguibile dal riferimento",
        "too few replicates": "repliche troppo poche per concludere",
        "short:higher": "superiore", "short:lower": "inferiore", "short:not distinguishable": "non distinguibile",
        "short:too few replicates": "repliche insufficienti",
        "material": "materiali (t)", "energy": "energia (MWh)", "water": "acqua (m³)",
        "index:S1": "indice del primo ordine S1", "index:ST": "indice totale ST", "index:mu_star": "μ* di Morris",
    },
}

SECTORS = {  # the archetypes' sector groups, and a free plot
    "en": {"ceramics": "ceramics", "mechanical": "mechanical", "food": "food", "logistics": "logistics",
           "plastics": "plastics", "paper": "paper", "construction": "construction", "energy": "energy",
           "waste": "waste recovery", "free": "free plot"},
    "it": {"ceramics": "ceramica", "mechanical": "meccanica", "food": "alimentare", "logistics": "logistica",
           "plastics": "plastica", "paper": "carta", "construction": "costruzioni", "energy": "energia",
           "waste": "recupero rifiuti", "free": "lotto libero"},
}

SERVICES = {  # kinds of shared service of the shipped catalogue; other kinds are shown as written
    "en": {"wastewater_treatment": "wastewater treatment", "heat_network": "heat network", "canteen": "canteen",
           "security_patrol": "security patrol", "cleaning": "cleaning"},
    "it": {"wastewater_treatment": "depurazione delle acque", "heat_network": "rete di calore", "canteen": "mensa",
           "security_patrol": "vigilanza", "cleaning": "pulizie"},
}

RESOURCES = {  # short names of the shipped catalogue's residues; other ids are shown as written
    "en": {
        "unfired_ceramic_scrap": "unfired tile scrap", "fired_ceramic_scrap": "fired ceramic scrap",
        "ceramic_sludge": "ceramic sludge", "glaze_sludge": "glaze sludge", "exhausted_lime": "exhausted lime",
        "frit_waste": "frit waste", "concrete_waste": "concrete waste", "recycled_aggregate": "recycled aggregate",
        "ferrous_scrap": "ferrous scrap", "metalworking_emulsion": "spent machining emulsions",
        "residual_mixed_waste": "residual mixed waste", "plastic_scrap": "plastic scrap",
        "plastic_film_waste": "plastic film", "paper_cardboard_waste": "paper and cardboard",
        "wood_packaging_waste": "wooden pallets and crates", "whey": "whey",
        "animal_byproducts_cat3": "animal by-products (cat. 3)", "waste_heat": "waste heat",
        "ceramic_wastewater": "ceramic wastewater", "treated_wastewater": "treated wastewater",
    },
    "it": {
        "unfired_ceramic_scrap": "scarti crudi", "fired_ceramic_scrap": "scarti cotti (chamotte)",
        "ceramic_sludge": "fanghi ceramici", "glaze_sludge": "fanghi di smaltatura", "exhausted_lime": "calce esausta",
        "frit_waste": "scarti di fritta", "concrete_waste": "calcestruzzo di scarto",
        "recycled_aggregate": "aggregato riciclato", "ferrous_scrap": "rottami ferrosi",
        "metalworking_emulsion": "emulsioni esauste", "residual_mixed_waste": "rifiuti misti residui",
        "plastic_scrap": "sfridi plastici", "plastic_film_waste": "film plastico",
        "paper_cardboard_waste": "carta e cartone", "wood_packaging_waste": "pallet e casse in legno",
        "whey": "siero di latte", "animal_byproducts_cat3": "sottoprodotti di origine animale (cat. 3)",
        "waste_heat": "calore di scarto", "ceramic_wastewater": "acque reflue ceramiche",
        "treated_wastewater": "acque reflue depurate",
    },
}

TEXT = {
    "en": {
        # figures
        "year": "year",
        "baseline_tag": "{name} (baseline)",
        "trajectories_title": "Indicators over the years: mean of the replicates and 95 % confidence band",
        "network_title": "The industrial-symbiosis network over the years (mean and 95 % confidence band)",
        "comparison_title": "Final year {year}: change against the baseline, by indicator family",
        "comparison_axis": "% vs baseline",
        "comparison_filled": "filled: distinguishable from the baseline; hollow: not distinguishable",
        "map_title": "The district in {year} (seed {seed}): firms by sector, exchanges as arrows, "
                     "shared services as outlines",
        "map_panel": "{name}: {links} exchanges",
        "map_panel_largest": "the {shown} largest of {flows} flows drawn",
        "map_widths": "arrow width, quantity in the year:",
        "map_axis_x": "x (m)", "map_axis_y": "y (m)",
        "fates_title": "What happens to each residue, {first}-{last} in total (mean of the replicates)",
        "fates_exchanged": "exchanged", "fates_treated": "treated by a shared service",
        "fates_disposed": "disposed",
        "fates_axis": "share of the residue generated (%)",
        "sensitivity_title": "Sensitivity indices of sweep {sweep}: which parameters drive each indicator",
        "sensitivity_axis": "sensitivity index",
        "note:cyclicity": "largest eigenvalue: 0 no loop, 1 one loop (A→B→A), >1 intertwined loops",
        "dose_title": "Dose and response in {year}: each indicator against the level of {lever} "
                      "(mean of the replicates and 95 % interval)",
        "dose_baseline": "baseline level ({name})",
        "dose_filled": "filled: differs from the baseline level run for run; hollow: no clear change",
        # report
        "report_title": "Scenario comparison: {scenarios}",
        "subtitle": "Simulated eco-industrial district, years {first}-{last}; {replicates}. Baseline: {baseline}.",
        "replicates_each": "{n} replicates per scenario",
        "replicates_range": "{low} to {high} replicates per scenario",
        "warnings": "Warnings",
        "warn_too_few": "Scenario {name} has only {n} run(s) paired with the baseline: at least {min} are needed "
                        "to tell a policy effect from chance, so no verdict is given for it. Run more seeds.",
        "warn_none_paired": "Scenario {name} has only 0 run(s) paired with the baseline: the seeds differ "
                            "({name} was run with seeds {seeds}, {baseline} with {baseline_seeds}), and runs are "
                            "compared seed by seed. Run both with the same seeds (--seed) for a verdict.",
        "warn_unpaired": "Seeds {seeds} of {name} have no baseline run with the same seed and are left out of "
                         "the paired comparison.",
        "warn_single": "Only one scenario was given, so there is nothing to compare against; the tables show "
                       "its indicators only.",
        "summary": "Summary",
        "times_each": "{n} times", "times_range": "{low} to {high} times",
        "howto": "How to read this page.",
        "howto_text": "Each scenario was simulated {times}, with the same random seeds as the baseline: every "
                      "policy run has a twin baseline run that met the same chance events, and the change is the "
                      "average difference between twins in {year}. The range is the 95 % interval of that "
                      "change: given these runs, the true change lies in it with 95 % confidence. 'Higher' or "
                      "'lower': the whole range is above or below zero. 'Likely higher (or lower), not "
                      "confirmed': the range still includes zero but leans clearly to one side (p < 0.20); more "
                      "runs would confirm it or not. 'No clear change': the range includes zero; an effect, if "
                      "any, is too small for these runs to show. Shares change in percentage points (pp), other "
                      "indicators in % of the baseline. Tests, effect sizes and provenance are in the appendix.",
        "summary_scenario": "{name} compared with {baseline}, in {year}",
        "summary_what": "What changes: {what}.",
        "summary_count": "Over all {total} indicators in {year} (appendix): {higher} higher, {lower} lower, {same} "
                         "without a clear change.",
        "col_base_value": "baseline", "col_scenario_value": "this scenario", "col_change": "change",
        "col_range": "95 % range of the change", "col_reading": "how sure",
        "pp": " pp",
        "reading:higher": "higher", "reading:lower": "lower",
        "reading:likely higher": "likely higher, not confirmed with {n} runs",
        "reading:likely lower": "likely lower, not confirmed with {n} runs",
        "reading:not distinguishable": "no clear change",
        "reading:too few replicates": "too few runs to say ({n})",
        "lead:higher": "Clearly higher: {names}.", "lead:lower": "Clearly lower: {names}.",
        "lead:likely higher": "Likely higher, not yet confirmed: {names}.",
        "lead:likely lower": "Likely lower, not yet confirmed: {names}.",
        "lead:same": "No clear change: {names}.",
        "lead:too_few": "Too few paired runs for a verdict on some indicators: see the warnings.",
        "appendix": "Appendix: technical tables, method and provenance",
        "appendix_intro": "For analysts: every indicator with its interval, the paired t-test, the effect size and "
                          "a bootstrap interval for comparison; how the statistics are made; which folders, "
                          "seeds and software versions produced the runs.",
        "table_values": "Indicators in {year}: mean of the replicates [95 % confidence interval]",
        "table_differences": "Paired differences against the baseline in {year}",
        "col_indicator": "indicator", "col_scenario": "scenario",
        "col_pairs": "pairs", "col_difference": "mean difference", "col_interval": "95 % interval (paired t)",
        "col_relative": "relative", "col_p": "p (paired t)", "col_dz": "effect size d_z", "col_verdict": "verdict",
        "col_boot": "bootstrap 95 % (for comparison)",
        "table_note": "Every year, not only {year}, is in summary.csv. Effect size d_z = mean difference / "
                      "standard deviation of the differences (0.2 small, 0.5 medium, 0.8 large).",
        "figures": "Figures",
        "definitions": "Scenario definitions",
        "definition_baseline": "The reference scenario.",
        "definition_changes": "Differs from the baseline in:",
        "definition_same": "Same settings as the baseline.",
        "col_setting": "setting", "col_baseline_value": "baseline", "col_value": "this scenario",
        "provenance": "Provenance",
        "provenance_intro": "Folders compared, with the seeds and the software versions that produced them. "
                            "Report made by ecodistrict {version}; bootstrap with {boot} resamples, seed {seed}.",
        "col_folder": "folder", "col_kind": "kind", "col_seeds": "seeds", "col_version": "ecodistrict",
        "col_git": "git revision", "col_versions": "libraries",
        "method": "How the statistics are made",
        "method_text": "The model is stochastic: firms arrive, grow, trade and leave by chance, so two runs of "
                       "the same scenario differ. Means come with 95 % confidence intervals across replicates "
                       "(Student t). Policies are compared with the baseline run by run, pairing runs with the "
                       "same seed; the mean of these paired differences has a paired Student-t 95 % interval, "
                       "and the verdict comes from that interval alone: higher or lower when it excludes zero "
                       "(the same as the paired t-test rejecting at 5 %), not distinguishable otherwise. The "
                       "summary adds 'likely higher / lower, not confirmed' when p < 0.20. The percentile "
                       "bootstrap interval is shown for comparison only: with few replicates it is too narrow, "
                       "so it decides nothing. 'Not distinguishable' does not prove that a policy has no effect: "
                       "the effect, if any, is smaller than these runs can detect. More replicates narrow the "
                       "intervals.",
        # captions
        "cap_trajectories": "Lines: mean over the replicates of each scenario; bands: 95 % confidence interval of "
                            "the mean. The baseline is the dashed black line over the grey band; the other "
                            "scenarios' bands are outlined with dotted lines in their colour (a scenario equal to "
                            "the baseline shows through the dashes). Shares in %.",
        "cap_comparison": "Each dot is a scenario's mean paired difference in {year}, in % of the baseline mean; "
                          "bars: its 95 % interval (paired t). Filled dots are distinguishable from the baseline. "
                          "Indicators whose baseline mean is zero have no relative change and are left out{omitted}.",
        "cap_map": "Plots drawn as squares of their area at their centre, coloured by the sector of the firm on "
                   "them in {year} (grey: free). Arrows go from supplier to buyer for contracts in force in {year}; "
                   "their width grows with the contracted quantity, compared within each family (t, MWh, m³; the "
                   "legend gives three widths); at most the {arrows} largest flows of a panel are drawn, the "
                   "smaller ones lighter. One run per scenario, seed {seed}.",
        "cap_no_services": " No shared service runs in {year} in these runs.",
        "cap_services": " Shared services in {year} are drawn around their members: utilities (pipe-bound, "
                        "hub ★) as shaded areas, accessory services (serving firms across the district) as "
                        "dashed outlines.",
        "cap_fates": "For each residue, the share of what was generated that was exchanged with another firm "
                     "(by-product or recovery), treated by a shared service, or disposed of, over all years; in "
                     "brackets the quantity generated in the baseline.",
        "cap_network": "Symbiosis links: contracts that delivered in the year; density: links per firm; "
                       "connectance: share of possible firm pairs linked; cyclicity: largest eigenvalue of the "
                       "exchange network (0 when no exchanges form a loop).",
        "cap_dose": "For each of the {n} levels of the grid sweep's lever, the indicator in {year}: dot, mean over "
                    "the replicates; bar and band, the 95 % confidence interval of that mean (Student t). The "
                    "dashed line marks the baseline level; a filled dot differs from it run for run (its paired "
                    "95 % interval excludes 0, as in the summary), a hollow one shows no clear change.",
        "cap_sensitivity": "Sensitivity indices of the sampled sweep, as computed by the sweep; error bars: "
                           "their confidence intervals when given.",
        "omitted": ": {names}",
        "warn_sweep_unfinished": "Only {done} of the {total} runs of sweep {name} have finished; the others are "
                                 "left out. Finish it with 'ecodistrict sweep ... --resume'.",
        "warn_no_sensitivity": "Sweep {name} has no sensitivity.csv yet (it is written when every run has "
                               "finished), so its sensitivity indices are not shown.",
        # the firm reports of matchmake (analysis/firm_report.py)
        "firm_title": "Matchmaking report: {firm}",
        "firm_subtitle": "Sector {sector}, {employees} employees; one of the {n} firms profiled in {file}.",
        "firm_setting": "Prices and transaction costs: {pricing}. Search: {search}.",
        "firm_prices_defaults": "the shipped defaults (Emilia-Romagna landfill tax, no levy, no subsidy, "
                                "no facilitator)",
        "firm_prices_scenario": "the policy of scenario {file} in force in {year} and its negotiation terms",
        "firm_search_all": "every firm within the residue's transport reach",
        "firm_search_radius": "firms within {km} km of one of the two firms (and within transport reach)",
        "firm_index_link": "All firms of the group",
        "firm_howto": "How to read this page.",
        "firm_howto_text": "The exchanges below are potential: each is what this firm and one partner could "
                           "exchange on their own, valued with the simulation's prices and costs; the surplus is the "
                           "pair's together, to be shared in negotiation. Exchanges of the same residue are "
                           "alternatives, so their sums are an upper estimate. Figures are per year and as good as "
                           "the profiles the firms gave.",
        "firm_next": "Next steps",
        "firm_next_partner": "Talk to {partner} about {flow}: up to {quantity} a year, {surplus} EUR/yr for the "
                             "two firms together ({km} km).",
        "firm_next_optimal": "In the allocation that is best for the whole group, this firm takes part in {n} "
                             "exchange(s) worth {surplus} EUR/yr to the pairs.",
        "firm_next_service": "Join the {service} with {others} other firm(s): {saving} EUR/yr saved by its "
                             "members together.",
        "firm_next_residues": "No firm of the group could take: {flows}. Ask the facilitator for takers outside "
                              "the group.",
        "firm_next_inputs": "No residue of the group could replace: {flows}.",
        "firm_next_none": "No exchange with another firm of the group pays for itself at these prices.",
        "firm_position": "Position against the group",
        "firm_position_intro": "The firm against the {n} firms of the group, in the three families of "
                               "indicators: the group's lower quartile (a quarter of the firms are below it), "
                               "median and upper quartile (a quarter are above it). Firms without such a flow are "
                               "left out of a share's quartiles.",
        "col_this_firm": "this firm", "col_q1": "lower quartile", "col_median": "median", "col_q3": "upper quartile",
        "col_position": "position",
        "pos:top": "top quarter", "pos:above": "above the median", "pos:median": "at the median",
        "pos:below": "below the median", "pos:bottom": "bottom quarter", "pos:none": "–",
        "ind:residue_outlet_share": "residues a partner could take",
        "ind:input_cover_share": "inputs partners' residues could replace",
        "ind:partners": "partners (firms it could exchange with)",
        "ind:partners_radius": "partners within {km} km",
        "ind:mean_partner_distance_km": "mean distance of its exchanges (km)",
        "ind:links": "candidate exchanges",
        "ind:best_link_surplus_eur_per_yr": "best exchange's surplus (EUR/yr)",
        "ind:potential_surplus_eur_per_yr": "surplus of its candidate exchanges (EUR/yr)",
        "ind:potential_co2_avoided_t": "CO2 they avoid (t/yr)",
        "ind:optimal_links": "exchanges in the optimal allocation",
        "ind:optimal_surplus_eur_per_yr": "their surplus in the optimal allocation (EUR/yr)",
        "firm_flows": "Its flows: what could be matched",
        "firm_flows_intro": "Each residue with the share partners could take, each input with the share "
                            "partners' residues could replace (alternatives added up, competition between firms "
                            "ignored).",
        "col_direction": "flow", "col_resource": "resource", "col_quantity": "quantity/yr",
        "col_matched": "could be matched", "col_share": "share",
        "dir:out": "residue", "dir:in": "input",
        "firm_synergies": "Its synergies with partners, best first",
        "firm_synergies_intro": "The rows of {file} where this firm is the supplier or the buyer. Quantity: the "
                                "most the pair could exchange alone (the supplier's residue, the buyer's demand and "
                                "the catalogue's share of it that can be replaced). Surplus = quantity × (disposal "
                                "avoided + virgin input avoided × ratio + subsidy − transport − treatment) − fixed "
                                "yearly cost, for the two firms together.",
        "firm_synergies_optimal": " The last two columns are the group's optimal allocation (0: not chosen).",
        "col_rank": "#", "col_role": "this firm", "col_partner": "partner", "col_flow": "residue → replaces",
        "col_km": "km", "col_unit_surplus": "EUR per unit", "col_surplus": "surplus EUR/yr",
        "col_co2": "t CO2/yr", "col_route": "route", "col_optimal_quantity": "optimal quantity/yr",
        "col_optimal_surplus": "optimal surplus EUR/yr",
        "role:supplier": "supplies", "role:buyer": "takes",
        "route:byproduct": "by-product", "route:waste": "waste to an authorised receiver",
        "firm_routes": "Routes: by-product (Waste Framework Directive 2008/98/EC art. 5; art. 184-bis D.Lgs. "
                       "152/2006 in Italy); waste, to a receiver authorised to recover it.",
        "firm_services": "Shared services it could join",
        "firm_services_intro": "Services the firms would found by the simulation's rules, each member paying less "
                               "than alone (the rows of {file} it is a member of); cost and savings are the "
                               "service's, for all its members.",
        "firm_services_none": "This firm is a member of no shared service that would save its members money at "
                              "these prices.",
        "firm_services_no_kinds": "The catalogue defines no kinds of shared service.",
        "col_service": "service", "col_members": "members", "col_others": "with",
        "col_cost": "cost EUR/yr", "col_alone": "alone EUR/yr", "col_saving": "saving EUR/yr",
        "firm_map": "Its candidate exchanges on the map",
        "firm_map_caption": "Firms of the group at their profiled position (km); arrows from supplier to buyer "
                            "for this firm's candidate exchanges, coloured by family and as wide as the quantity "
                            "against the largest of its family{largest}.",
        "firm_map_largest": "; the {shown} best of {links} drawn",
        "firm_map_radius": " The circle is the search radius of {km} km.",
        "map_this_firm": "this firm", "map_partner": "partner", "map_other": "other firm",
        "map_firm_title": "{firm}: {links} candidate exchanges",
        "map_axis_x_km": "x (km)", "map_axis_y_km": "y (km)",
        "firm_footer": "Made by ecodistrict {version} from {file}, with the exchanges table {exchanges}.",
        "index_title": "Matchmaking reports of the {n} firms of {file}",
        "index_intro": "One page per firm: its position against the group, its synergies with partners, the "
                       "shared services it could join and a map of its candidate exchanges. The group's "
                       "exchanges are in {exchanges}, its summary in {summary}.",
        "col_firm": "firm", "col_sector": "sector", "col_employees": "employees", "col_links": "exchanges",
        "col_partners": "partners", "col_potential": "potential EUR/yr", "col_page": "report",
        "eur_yr": "EUR/yr",
    },
    "it": {
        "year": "anno",
        "baseline_tag": "{name} (riferimento)",
        "trajectories_title": "Indicatori negli anni: media delle repliche e banda di confidenza al 95 %",
        "network_title": "La rete di simbiosi industriale negli anni (media e banda di confidenza al 95 %)",
        "comparison_title": "Ultimo anno {year}: variazione rispetto al riferimento, per famiglia di indicatori",
        "comparison_axis": "% rispetto al riferimento",
        "comparison_filled": "pieno: distinguibile dal riferimento; vuoto: non distinguibile",
        "map_title": "Il distretto nel {year} (seme {seed}): imprese per settore, scambi come frecce, "
                     "servizi condivisi come contorni",
        "map_panel": "{name}: {links} scambi",
        "map_panel_largest": "disegnati i {shown} flussi maggiori su {flows}",
        "map_widths": "spessore, quantità nell'anno:",
        "map_axis_x": "x (m)", "map_axis_y": "y (m)",
        "fates_title": "Destino di ciascun residuo, totale {first}-{last} (media delle repliche)",
        "fates_exchanged": "scambiato", "fates_treated": "trattato da un servizio condiviso",
        "fates_disposed": "smaltito",
        "fates_axis": "quota del residuo prodotto (%)",
        "sensitivity_title": "Indici di sensitività dello sweep {sweep}: quali parametri muovono ogni indicatore",
        "sensitivity_axis": "indice di sensitività",
        "note:cyclicity": "autovalore massimo: 0 nessun ciclo, 1 un ciclo (A→B→A), >1 cicli intrecciati",
        "dose_title": "Dose e risposta nel {year}: ogni indicatore rispetto al livello di {lever} "
                      "(media delle repliche e intervallo al 95 %)",
        "dose_baseline": "livello di riferimento ({name})",
        "dose_filled": "pieno: differisce dal livello di riferimento simulazione per simulazione; vuoto: nessuna "
                       "variazione chiara",
        "report_title": "Confronto tra scenari: {scenarios}",
        "subtitle": "Distretto eco-industriale simulato, anni {first}-{last}; {replicates}. Riferimento: {baseline}.",
        "replicates_each": "{n} repliche per scenario",
        "replicates_range": "da {low} a {high} repliche per scenario",
        "warnings": "Avvertenze",
        "warn_too_few": "Lo scenario {name} ha solo {n} simulazioni appaiate al riferimento: ne servono almeno "
                        "{min} per distinguere l'effetto di una politica dal caso, quindi non si dà alcun giudizio. "
                        "Eseguire altri semi.",
        "warn_none_paired": "Lo scenario {name} ha solo 0 simulazioni appaiate al riferimento: i semi sono diversi "
                            "({name} è stato simulato con i semi {seeds}, {baseline} con {baseline_seeds}) e le "
                            "simulazioni si confrontano seme per seme. Eseguire entrambi con gli stessi semi (--seed) "
                            "per avere un giudizio.",
        "warn_unpaired": "I semi {seeds} di {name} non hanno una simulazione di riferimento con lo stesso seme e "
                         "sono esclusi dal confronto appaiato.",
        "warn_single": "È stato fornito un solo scenario, quindi non c'è nulla con cui confrontarlo; le tabelle ne "
                       "mostrano solo gli indicatori.",
        "summary": "Sintesi",
        "times_each": "{n} volte", "times_range": "da {low} a {high} volte",
        "howto": "Come leggere questa pagina.",
        "howto_text": "Ogni scenario è stato simulato {times}, con gli stessi semi casuali del riferimento: ogni "
                      "simulazione con la politica ha una gemella di riferimento che ha incontrato gli stessi "
                      "eventi casuali, e la variazione è la differenza media tra gemelle nel {year}. "
                      "L'intervallo è quello al 95 % di tale variazione: date queste simulazioni, la variazione "
                      "vera vi cade con una confidenza del 95 %. 'Superiore' o 'inferiore': l'intero intervallo è "
                      "sopra o sotto lo zero. 'Probabilmente superiore (o inferiore), non confermato': "
                      "l'intervallo include ancora lo zero ma pende nettamente da una parte (p < 0,20); altre "
                      "simulazioni lo confermerebbero o no. 'Nessuna variazione chiara': l'intervallo include lo "
                      "zero; un eventuale effetto è troppo piccolo perché queste simulazioni lo mostrino. Le "
                      "quote variano in punti percentuali (p.p.), gli altri indicatori in % del riferimento. Test, "
                      "dimensioni dell'effetto e provenienza sono in appendice.",
        "summary_scenario": "{name} rispetto a {baseline}, nel {year}",
        "summary_what": "Che cosa cambia: {what}.",
        "summary_count": "Su tutti i {total} indicatori nel {year} (appendice): {higher} superiori, {lower} "
                         "inferiori, {same} senza una variazione chiara.",
        "col_base_value": "riferimento", "col_scenario_value": "questo scenario", "col_change": "variazione",
        "col_range": "intervallo al 95 % della variazione", "col_reading": "quanto è certo",
        "pp": " p.p.",
        "reading:higher": "superiore", "reading:lower": "inferiore",
        "reading:likely higher": "probabilmente superiore, non confermato con {n} simulazioni",
        "reading:likely lower": "probabilmente inferiore, non confermato con {n} simulazioni",
        "reading:not distinguishable": "nessuna variazione chiara",
        "reading:too few replicates": "simulazioni troppo poche per dirlo ({n})",
        "lead:higher": "Chiaramente superiori: {names}.", "lead:lower": "Chiaramente inferiori: {names}.",
        "lead:likely higher": "Probabilmente superiori, non ancora confermati: {names}.",
        "lead:likely lower": "Probabilmente inferiori, non ancora confermati: {names}.",
        "lead:same": "Nessuna variazione chiara: {names}.",
        "lead:too_few": "Simulazioni appaiate troppo poche per un giudizio su alcuni indicatori: vedere le "
                        "avvertenze.",
        "appendix": "Appendice: tabelle tecniche, metodo e provenienza",
        "appendix_intro": "Per gli analisti: ogni indicatore con il suo intervallo, il test t appaiato, la dimensione "
                          "dell'effetto e un intervallo bootstrap per confronto; come sono calcolate le "
                          "statistiche; quali cartelle, semi e versioni del software hanno prodotto le simulazioni.",
        "table_values": "Indicatori nel {year}: media delle repliche [intervallo di confidenza al 95 %]",
        "table_differences": "Differenze appaiate rispetto al riferimento nel {year}",
        "col_indicator": "indicatore", "col_scenario": "scenario",
        "col_pairs": "coppie", "col_difference": "differenza media", "col_interval": "intervallo al 95 % (t appaiato)",
        "col_relative": "relativa", "col_p": "p (t appaiato)", "col_dz": "dimensione dell'effetto d_z",
        "col_verdict": "giudizio",
        "col_boot": "bootstrap al 95 % (per confronto)",
        "table_note": "Tutti gli anni, non solo il {year}, sono in summary.csv. Dimensione dell'effetto d_z = "
                      "differenza media / deviazione standard delle differenze (0,2 piccola, 0,5 media, 0,8 grande).",
        "figures": "Figure",
        "definitions": "Definizione degli scenari",
        "definition_baseline": "Lo scenario di riferimento.",
        "definition_changes": "Differisce dal riferimento in:",
        "definition_same": "Stesse impostazioni del riferimento.",
        "col_setting": "impostazione", "col_baseline_value": "riferimento", "col_value": "questo scenario",
        "provenance": "Provenienza",
        "provenance_intro": "Cartelle confrontate, con i semi e le versioni del software che le hanno prodotte. "
                            "Rapporto prodotto da ecodistrict {version}; bootstrap con {boot} ricampionamenti, "
                            "seme {seed}.",
        "col_folder": "cartella", "col_kind": "tipo", "col_seeds": "semi", "col_version": "ecodistrict",
        "col_git": "revisione git", "col_versions": "librerie",
        "method": "Come sono calcolate le statistiche",
        "method_text": "Il modello è stocastico: le imprese arrivano, crescono, scambiano ed escono per effetto del "
                       "caso, quindi due simulazioni dello stesso scenario differiscono. Le medie sono accompagnate da"
                       " intervalli di confidenza al 95 % tra le repliche (t di Student). Le politiche sono "
                       "confrontate con il riferimento simulazione per simulazione, appaiando quelle con lo stesso "
                       "seme; la media delle differenze appaiate ha un intervallo t di Student appaiato al 95 %, e il "
                       "giudizio viene solo da quell'intervallo: superiore o inferiore quando esclude lo zero "
                       "(equivale al test t appaiato che rifiuta al 5 %), non distinguibile altrimenti. La sintesi "
                       "aggiunge 'probabilmente superiore / inferiore, non confermato' quando p < 0,20. L'intervallo "
                       "bootstrap percentile è mostrato solo per confronto: con poche repliche è troppo stretto, "
                       "quindi non decide nulla. 'Non distinguibile' non dimostra che una politica non abbia effetto: "
                       "l'effetto, se c'è, è più piccolo di quanto queste simulazioni possano rilevare. Più repliche "
                       "restringono gli intervalli.",
        "cap_trajectories": "Linee: media delle repliche di ciascuno scenario; bande: intervallo di confidenza al "
                            "95 % della media. Il riferimento è la linea nera tratteggiata sulla banda grigia; le "
                            "bande degli altri scenari sono contornate da linee punteggiate del loro colore (uno "
                            "scenario uguale al riferimento si vede tra i tratti). Quote in %.",
        "cap_comparison": "Ogni punto è la differenza appaiata media di uno scenario nel {year}, in % della media "
                          "del riferimento; barre: il suo intervallo al 95 % (t appaiato). I punti pieni sono "
                          "distinguibili dal riferimento. Gli indicatori con media di riferimento nulla non hanno "
                          "variazione relativa e sono esclusi{omitted}.",
        "cap_map": "Lotti disegnati come quadrati della loro superficie centrati sul lotto, colorati secondo il "
                   "settore dell'impresa insediata nel {year} (grigio: libero). Le frecce vanno dal fornitore "
                   "all'acquirente per i contratti in vigore nel {year}; lo spessore cresce con la quantità "
                   "contrattata, confrontata entro ciascuna famiglia (t, MWh, m³; la legenda ne dà tre spessori); "
                   "sono disegnati al più i {arrows} flussi maggiori di ogni pannello, i minori più chiari. Una "
                   "simulazione per scenario, seme {seed}.",
        "cap_no_services": " In queste simulazioni nessun servizio condiviso è attivo nel {year}.",
        "cap_services": " I servizi condivisi del {year} sono disegnati attorno alle imprese aderenti: le reti "
                        "(servizi a rete, nodo ★) come aree ombreggiate, i servizi accessori (rivolti a imprese "
                        "di tutto il distretto) come contorni tratteggiati.",
        "cap_fates": "Per ciascun residuo, la quota del prodotto che è stata scambiata con un'altra impresa "
                     "(sottoprodotto o recupero), trattata da un servizio condiviso o smaltita, su tutti gli anni; "
                     "tra parentesi la quantità prodotta nel riferimento.",
        "cap_network": "Legami di simbiosi: contratti che hanno consegnato nell'anno; densità: legami per impresa; "
                       "connettanza: quota delle coppie di imprese possibili collegate; ciclicità: autovalore "
                       "massimo della rete degli scambi (0 quando nessun flusso forma un ciclo).",
        "cap_dose": "Per ciascuno dei {n} livelli della leva dello sweep a griglia, l'indicatore nel {year}: punto, "
                    "media delle repliche; barra e banda, intervallo di confidenza al 95 % della media (t di "
                    "Student). La linea tratteggiata segna il livello di riferimento; un punto pieno ne differisce "
                    "simulazione per simulazione (il suo intervallo appaiato al 95 % esclude lo zero, come nella "
                    "sintesi), uno vuoto non mostra una variazione chiara.",
        "cap_sensitivity": "Indici di sensitività del campionamento, come calcolati dallo sweep; barre di errore: "
                           "i loro intervalli di confidenza quando presenti.",
        "omitted": ": {names}",
        "warn_sweep_unfinished": "Solo {done} delle {total} simulazioni dello sweep {name} sono terminate; le altre "
                                 "sono escluse. Completarlo con 'ecodistrict sweep ... --resume'.",
        "warn_no_sensitivity": "Lo sweep {name} non ha ancora sensitivity.csv (viene scritto quando tutte le "
                               "simulazioni sono terminate), quindi i suoi indici di sensitività non sono mostrati.",
        "firm_title": "Rapporto di matchmaking: {firm}",
        "firm_subtitle": "Settore {sector}, {employees} addetti; una delle {n} imprese profilate in {file}.",
        "firm_setting": "Prezzi e costi di transazione: {pricing}. Ricerca: {search}.",
        "firm_prices_defaults": "i valori predefiniti forniti (tributo regionale in discarica dell'Emilia-Romagna, "
                                "nessun prelievo, nessun incentivo, nessun facilitatore)",
        "firm_prices_scenario": "la politica dello scenario {file} in vigore nel {year} e le sue condizioni di "
                                "negoziazione",
        "firm_search_all": "ogni impresa entro la distanza di trasporto del residuo",
        "firm_search_radius": "imprese entro {km} km da una delle due (e entro la distanza di trasporto)",
        "firm_index_link": "Tutte le imprese del gruppo",
        "firm_howto": "Come leggere questa pagina.",
        "firm_howto_text": "Gli scambi indicati sono potenziali: ciascuno è ciò che questa impresa e un partner "
                           "potrebbero scambiare da soli, valutato con i prezzi e i costi della simulazione; il "
                           "surplus è quello della coppia insieme, da ripartire nella negoziazione. Gli scambi dello "
                           "stesso residuo sono alternativi, quindi le loro somme sono una stima per eccesso. I "
                           "valori sono annui e valgono quanto i profili forniti dalle imprese.",
        "firm_next": "Prossimi passi",
        "firm_next_partner": "Parlare con {partner} di {flow}: fino a {quantity} all'anno, {surplus} EUR/anno per "
                             "le due imprese insieme ({km} km).",
        "firm_next_optimal": "Nell'allocazione migliore per l'intero gruppo, questa impresa partecipa a {n} "
                             "scambi per {surplus} EUR/anno alle coppie.",
        "firm_next_service": "Aderire al servizio {service} con altre {others} imprese: {saving} EUR/anno "
                             "risparmiati dagli aderenti insieme.",
        "firm_next_residues": "Nessuna impresa del gruppo potrebbe ritirare: {flows}. Chiedere al facilitatore "
                              "acquirenti fuori dal gruppo.",
        "firm_next_inputs": "Nessun residuo del gruppo potrebbe sostituire: {flows}.",
        "firm_next_none": "Nessuno scambio con un'altra impresa del gruppo si ripaga a questi prezzi.",
        "firm_position": "Posizione rispetto al gruppo",
        "firm_position_intro": "L'impresa rispetto alle {n} imprese del gruppo, nelle tre famiglie di indicatori: "
                               "il primo quartile del gruppo (un quarto delle imprese sta sotto), la mediana e il "
                               "terzo quartile (un quarto sta sopra). Le imprese senza quel flusso sono escluse dai "
                               "quartili di una quota.",
        "col_this_firm": "questa impresa", "col_q1": "primo quartile", "col_median": "mediana",
        "col_q3": "terzo quartile", "col_position": "posizione",
        "pos:top": "quarto superiore", "pos:above": "sopra la mediana", "pos:median": "alla mediana",
        "pos:below": "sotto la mediana", "pos:bottom": "quarto inferiore", "pos:none": "–",
        "ind:residue_outlet_share": "residui che un partner potrebbe ritirare",
        "ind:input_cover_share": "input sostituibili con residui dei partner",
        "ind:partners": "partner (imprese con cui potrebbe scambiare)",
        "ind:partners_radius": "partner entro {km} km",
        "ind:mean_partner_distance_km": "distanza media dei suoi scambi (km)",
        "ind:links": "scambi candidati",
        "ind:best_link_surplus_eur_per_yr": "surplus dello scambio migliore (EUR/anno)",
        "ind:potential_surplus_eur_per_yr": "surplus dei suoi scambi candidati (EUR/anno)",
        "ind:potential_co2_avoided_t": "CO2 che evitano (t/anno)",
        "ind:optimal_links": "scambi nell'allocazione ottimale",
        "ind:optimal_surplus_eur_per_yr": "loro surplus nell'allocazione ottimale (EUR/anno)",
        "firm_flows": "I suoi flussi: che cosa si potrebbe abbinare",
        "firm_flows_intro": "Ogni residuo con la quota che i partner potrebbero ritirare, ogni input con la quota "
                            "che i residui dei partner potrebbero sostituire (alternative sommate, concorrenza tra "
                            "imprese ignorata).",
        "col_direction": "flusso", "col_resource": "risorsa", "col_quantity": "quantità/anno",
        "col_matched": "abbinabile", "col_share": "quota",
        "dir:out": "residuo", "dir:in": "input",
        "firm_synergies": "Le sue sinergie con i partner, dalla migliore",
        "firm_synergies_intro": "Le righe di {file} in cui questa impresa è fornitrice o acquirente. Quantità: il "
                                "massimo che la coppia potrebbe scambiare da sola (il residuo del fornitore, la "
                                "domanda dell'acquirente e la quota sostituibile secondo il catalogo). Surplus = "
                                "quantità × (smaltimento evitato + materia vergine evitata × rapporto + incentivo − "
                                "trasporto − trattamento) − costo fisso annuo, per le due imprese insieme.",
        "firm_synergies_optimal": " Le ultime due colonne sono l'allocazione ottimale del gruppo (0: non scelto).",
        "col_rank": "n.", "col_role": "questa impresa", "col_partner": "partner", "col_flow": "residuo → sostituisce",
        "col_km": "km", "col_unit_surplus": "EUR per unità", "col_surplus": "surplus EUR/anno",
        "col_co2": "t CO2/anno", "col_route": "regime", "col_optimal_quantity": "quantità ottimale/anno",
        "col_optimal_surplus": "surplus ottimale EUR/anno",
        "role:supplier": "cede", "role:buyer": "riceve",
        "route:byproduct": "sottoprodotto", "route:waste": "rifiuto a un impianto autorizzato",
        "firm_routes": "Regimi: sottoprodotto (direttiva quadro sui rifiuti 2008/98/CE art. 5; art. 184-bis D.Lgs. "
                       "152/2006); rifiuto, conferito a un impianto autorizzato al recupero.",
        "firm_services": "Servizi condivisi a cui potrebbe aderire",
        "firm_services_intro": "Servizi che le imprese fonderebbero secondo le regole della simulazione, ciascun "
                               "aderente pagando meno che da solo (le righe di {file} di cui è aderente); costo e "
                               "risparmio sono del servizio, per tutti i suoi aderenti.",
        "firm_services_none": "Questa impresa non aderisce a nessun servizio condiviso che a questi prezzi farebbe "
                              "risparmiare i suoi aderenti.",
        "firm_services_no_kinds": "Il catalogo non definisce tipi di servizio condiviso.",
        "col_service": "servizio", "col_members": "aderenti", "col_others": "con",
        "col_cost": "costo EUR/anno", "col_alone": "da soli EUR/anno", "col_saving": "risparmio EUR/anno",
        "firm_map": "I suoi scambi candidati sulla mappa",
        "firm_map_caption": "Imprese del gruppo nella posizione profilata (km); frecce dal fornitore "
                            "all'acquirente per gli scambi candidati di questa impresa, colorate per famiglia e "
                            "spesse quanto la quantità rispetto alla maggiore della sua famiglia{largest}.",
        "firm_map_largest": "; disegnati i {shown} migliori su {links}",
        "firm_map_radius": " Il cerchio è il raggio di ricerca di {km} km.",
        "map_this_firm": "questa impresa", "map_partner": "partner", "map_other": "altra impresa",
        "map_firm_title": "{firm}: {links} scambi candidati",
        "map_axis_x_km": "x (km)", "map_axis_y_km": "y (km)",
        "firm_footer": "Prodotto da ecodistrict {version} da {file}, con la tabella degli scambi {exchanges}.",
        "index_title": "Rapporti di matchmaking delle {n} imprese di {file}",
        "index_intro": "Una pagina per impresa: la sua posizione rispetto al gruppo, le sinergie con i partner, i "
                       "servizi condivisi a cui potrebbe aderire e una mappa dei suoi scambi candidati. Gli scambi "
                       "del gruppo sono in {exchanges}, la sintesi in {summary}.",
        "col_firm": "impresa", "col_sector": "settore", "col_employees": "addetti", "col_links": "scambi",
        "col_partners": "partner", "col_potential": "potenziale EUR/anno", "col_page": "rapporto",
        "eur_yr": "EUR/anno",
    },
}


class Texts:
    """The words and number formats of one language."""

    def __init__(self, lang: str):
        if lang not in LANGUAGES:
            raise ValueError(f"unknown language {lang!r}; use one of {', '.join(LANGUAGES)}")
        self.lang = lang

    def __call__(self, key: str, **values) -> str:
        return TEXT[self.lang][key].format(**values)

    def __contains__(self, key: str) -> bool:
        return key in TEXT[self.lang]

    def label(self, indicator: str) -> str:
        """An indicator's label; an indicator this version does not know keeps its column name."""
        return INDICATOR_LABELS[self.lang].get(indicator, indicator)

    def name(self, key: str) -> str:
        """An indicator family, a verdict, a resource family or a sensitivity index."""
        return NAMES[self.lang][key]

    def resource(self, resource: str) -> str:
        """A residue's short name; resources of another catalogue are shown by their id."""
        return RESOURCES[self.lang].get(resource, resource.replace("_", " "))

    def service(self, kind: str) -> str:
        """A kind of shared service; kinds of another catalogue are shown by their id."""
        return SERVICES[self.lang].get(kind, kind.replace("_", " "))

    def sector(self, group: str) -> str:
        """A sector group; groups of another catalogue are shown as they are written."""
        return SECTORS[self.lang].get(group, group.replace("_", " "))

    def number(self, value: float, digits: int = 0, sign: bool = False) -> str:
        """``value`` with thousands separators and ``digits`` decimals, in this language's style."""
        if value is None or not math.isfinite(value):
            return "–"
        value = 0.0 if round(value, digits) == 0 else value  # no "−0.0"
        text = f"{value:+,.{digits}f}" if sign else f"{value:,.{digits}f}"
        if self.lang == "it":
            text = text.replace(",", "\0").replace(".", ",").replace("\0", ".")
        return text.replace("-", "−")

    def quantity(self, value: float, share: bool = False, sign: bool = False, like: float | None = None) -> str:
        """An indicator value: shares as percentages, others with as many decimals as their size needs.

        ``like`` sets the decimals from another number (an interval is written like its mean).
        """
        if share:
            return self.number(100 * value, 1, sign) + " %"
        reference = value if like is None else like
        size = abs(reference) if reference is not None and math.isfinite(reference) else 0
        return self.number(value, 0 if size >= 100 else 2 if size < 10 else 1, sign)

    def change(self, difference: float, relative: float, share: bool) -> str:
        """A difference against the baseline: percentage points for shares, else relative %."""
        if share:
            return self.number(100 * difference, 1, sign=True) + (" pp" if self.lang == "en" else " p.p.")
        if relative is None or not math.isfinite(relative):
            return self.quantity(difference, sign=True)
        return self.number(100 * relative, 1, sign=True) + " %"
