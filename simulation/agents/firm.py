"""A firm settled on a plot of the district."""

from __future__ import annotations

import mesa
import numpy as np


class Firm(mesa.Agent):
    """One firm: its archetype, activity level, plot and yearly accounts.

    The firm's yearly flows are its archetype's flows times ``activity``. The model updates
    activity, reads flows and settles accounts in bulk (arrays over all firms), then hands each
    firm its profit; the firm decides to leave after lasting losses or when the closure hazard of
    its size class strikes.
    Its trust in partners is held in the district's :class:`~simulation.exchange.trust.TrustLedger`.
    """

    def __init__(self, model: mesa.Model, archetype: int, plot: int, activity: float, entry_year: int,
                 employees: int, draw_key: int):
        super().__init__(model)
        self.draw_key = draw_key  # names the firm in the model's random streams (random_streams.py)
        self.archetype = archetype
        self.plot = plot
        self.activity = activity  # underlying level, follows growth
        self.output = activity    # this year's level: activity, cut by a shock in a shock year
        self.entry_year = entry_year
        self.employees = employees
        self.exit_year: int | None = None
        self.exit_reason = ""
        self.loss_years = 0
        self.profit_eur = 0.0
        # Admission (planning authority): the applicant's score and the commitments it is bound to.
        self.score: float | None = None  # None for incumbents (never screened)
        self.commitment = None  # a planning_authority.Commitment, or None
        self.violations = 0
        self.fines_paid_eur = 0.0
        self.excluded = False

    def book_profit(self, profit_eur: float, fine_eur: float) -> None:
        """Record this year's profit (EUR), net of the fine due this year; count consecutive
        loss-making years."""
        self.profit_eur = profit_eur - fine_eur
        self.fines_paid_eur += fine_eur
        self.loss_years = self.loss_years + 1 if self.profit_eur < 0 else 0

    @staticmethod
    def draw_keys(firms: list[Firm]) -> np.ndarray:
        """The firms' keys in the random streams (uint64), in the order given."""
        return np.array([f.draw_key for f in firms], dtype=np.uint64)

    @staticmethod
    def book_profits(firms: list[Firm], profit_eur: np.ndarray, fines_eur: np.ndarray | None) -> None:
        """Hand each firm (the year's order) its profit and the fine it owes (``None``: no fines)."""
        fines = np.zeros(len(firms)) if fines_eur is None else fines_eur
        for firm, p, fine in zip(firms, profit_eur.tolist(), fines.tolist()):
            firm.book_profit(p, fine)

    @staticmethod
    def initial_activity(z: float, rule) -> float:
        """A new firm's activity level: ``clip(exp(initial_sd · z), minimum, maximum)`` for its draw ``z``
        (``rule``: the scenario's ``behaviour.activity``)."""
        activity = float(np.exp(rule.initial_sd * z))
        return min(max(activity, rule.minimum), rule.maximum)

    @staticmethod
    def next_activity(activity: np.ndarray, growth_z: np.ndarray, shocked: np.ndarray,
                      rule) -> tuple[np.ndarray, np.ndarray]:
        """Each firm's activity after a lognormal step, and its output this year (vectorised).

        ``a ← clip(a · exp(μ + σ·z), minimum, maximum)``; output is ``a``, or ``a · (1 − shock_size)``
        for a shocked firm (the shock does not carry over). ``rule``: the scenario's
        ``behaviour.activity``.
        """
        level = np.clip(activity * np.exp(rule.growth_mean + rule.growth_sd * growth_z), rule.minimum, rule.maximum)
        return level, np.where(shocked, level * (1.0 - rule.shock_size), level)

    @staticmethod
    def accepts_service_share(payment_eur: np.ndarray, standalone_eur: np.ndarray) -> np.ndarray:
        """Whether firms stay in (or join) a shared service: what it costs them (share of the
        service's cost plus their own connection, EUR/yr) is not above what they would pay alone.
        Vectorised over memberships; equality counts as staying (a heat source pays nothing and
        gains nothing, yet lets the network run)."""
        return payment_eur <= standalone_eur + 1e-9 * np.maximum(1.0, np.abs(standalone_eur))

    @staticmethod
    def closure_hazard(employees: np.ndarray, classes) -> np.ndarray:
        """Each firm's yearly probability (1/yr) of closing for a cause other than its own losses
        (bankruptcy, no successor, relocation), which falls with size: the ``rate`` of the first
        class whose ``max_employees`` is at least the firm's employees (vectorised). ``classes``:
        the scenario's ``behaviour.exit.hazard_by_size``, sorted, the last open-ended."""
        bounds = np.array([np.inf if c.max_employees is None else c.max_employees for c in classes])
        rates = np.array([c.rate for c in classes])
        return rates[np.searchsorted(bounds, employees, side="left")]

    def reason_to_leave(self, loss_years_limit: int, hazard_hit: bool) -> str | None:
        """``"excluded"`` when the authority excluded it for violated commitments, ``"losses"`` after
        ``loss_years_limit`` loss-making years in a row, ``"hazard"`` when the closure draw of its
        size class hit it (relocation, succession, bankruptcy), else ``None``."""
        if self.excluded:
            return "excluded"
        if self.loss_years >= loss_years_limit:
            return "losses"
        return "hazard" if hazard_hit else None
