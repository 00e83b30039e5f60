"""Retention: rules (pure, ``rules``), the facts they need (``facts``), legal holds (``holds``) and the
plan and its erasure (``service``)."""

from panel.retention.facts import PaymentsOf
from panel.retention.holds import LegalHolds
from panel.retention.rules import RetentionPolicy, policy_from
from panel.retention.service import Applied, Plan, Retention

__all__ = ["Applied", "LegalHolds", "PaymentsOf", "Plan", "Retention", "RetentionPolicy", "policy_from"]
