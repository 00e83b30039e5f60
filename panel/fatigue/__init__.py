"""Consultation fatigue: the pure rules (``rules``) and the service that records and applies them (``service``)."""

from panel.fatigue.rules import YEAR, FatigueRules, Taking, check, gini, history_from_participations, top_share
from panel.fatigue.service import Fatigue

__all__ = ["YEAR", "Fatigue", "FatigueRules", "Taking", "check", "gini", "history_from_participations", "top_share"]
