"""Shared services (docs/ODD.md §2.10, §7.15): utilities and accessory services firms found, join and leave.

Industrial symbiosis is three practices: by-product exchange (:mod:`simulation.exchange`), shared
infrastructure and utilities (water, heat, wastewater) and shared accessory services (canteen,
security, cleaning). This package runs the last two as coalitions, one service **kind** at a time
(:mod:`simulation.inputs.service_schema` ``ServiceKind``), each year after the exchanges are signed.

**What a member saves.** Each firm has a *use* of each kind: the left-over residue or input
demand it would otherwise treat or buy alone (priced at this year's disposal or virgin cost), or
a quantity from its employees, plot area or mere presence (priced at the kind's stand-alone cost).
A service carrying ``Q`` costs ``C(Q) = F + coordination + capex·CRF·(1 − co-funding) +
v·Q_ref·(Q/Q_ref)^b − revenue of returned water + connections of members that only feed or take``.
Each member pays a **share** of ``C`` by the scenario's rule (proportional, equal or Shapley),
plus its own connection to a pipe-bound hub; its **stand-alone cost** is what the service spares
it; its saving is the difference. Members that only feed the service (heat sources) or only take
its returned water use none of it: they pay no share under the proportional and equal rules.
A firm stays in a service while its payment is not above its stand-alone cost (the firms' rule,
handed in as ``ServiceTerms.accepts``).

**Flows.** A residue service treats its members' wastewater: the part returned for reuse counts
as ``exchanged`` (and as ``received`` by the members taking it), the rest as ``treated``; a service
with a ``source`` (heat network) counts the heat it carries as ``exchanged`` by its feeders and
``received`` by its users. Services on inputs without a source (a water supply) and accessory
services change money, not flows. So ``generated = exchanged + treated + disposed`` and
``demand = received + virgin`` keep holding per firm and resource. What services take from the
year's left-overs is set aside for them next year before new exchanges are negotiated, as
standing contracts' deliveries are.

The modules, each on the one below it:

- :mod:`~simulation.services.kinds`: a kind compiled to numbers (``KindTerms``) and the year's
  terms (``ServiceTerms``);
- :mod:`~simulation.services.uses`: each firm's use of a kind and its stand-alone cost (``Uses``);
- :mod:`~simulation.services.cost_sharing`: ``C(Q)`` and the share rules, pure functions on small arrays;
- :mod:`~simulation.services.formation`: keeping, joining, leaving and founding coalitions;
- :mod:`~simulation.services.book`: the services over the years, their members and yearly records
  (``ServiceBook``).
"""
