"""The model's Mesa agents: firms, the planning authority and the facilitator."""

from simulation.agents.facilitator import Facilitator
from simulation.agents.firm import Firm
from simulation.agents.planning_authority import PlanningAuthority

__all__ = ["Facilitator", "Firm", "PlanningAuthority"]
