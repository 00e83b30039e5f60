"""The payments subdomain's aggregates (payments, rate cards, payment rules) and its pure rules.

They were first stored under ``panel.domain.payment`` and ``panel.domain.payment_terms``: those
modules' topics are registered here, so events recorded before the move still load.
"""

from eventsourcing.utils import register_topic

from panel.payments.domain import four_eyes, payment, terms

MOVED = {
    "panel.domain.payment": payment,
    "panel.domain.payment_terms": terms,
    "panel.domain.four_eyes": four_eyes,
}


def register_moved_topics() -> None:
    """Make the topics of events stored before the move resolve to today's classes (idempotent)."""
    for old, module in MOVED.items():
        register_topic(old, module)


register_moved_topics()
