"""Domain errors: one base class, each error a one-line message naming what, where and the fix."""

from __future__ import annotations


class PanelError(Exception):
    """Raised when a panel command cannot be carried out; the message says why and how to fix it."""


class ValidationError(PanelError):
    """Raised when a command's input is malformed or out of range."""


class ParticipantNotFoundError(PanelError):
    """Raised when no participant has the given id or external reference."""


class EngagementNotFoundError(PanelError):
    """Raised when no engagement has the given id or reference."""


class AlreadyRegisteredError(PanelError):
    """Raised when an external reference is registered a second time with different data."""


class ConsentRequiredError(PanelError):
    """Raised when an action needs a consent the participant does not hold at that time."""


class ConsentStateError(PanelError):
    """Raised when a consent is withdrawn that was not active at that time."""


class ParticipationStateError(PanelError):
    """Raised when an invitation, response or attendance does not follow from the history."""


class ErasedParticipantError(PanelError):
    """Raised when a command targets a participant whose personal data has been erased."""


class EngagementClosedError(PanelError):
    """Raised when a command targets an engagement that has been closed."""


class ConcurrentUpdateError(PanelError):
    """Raised when another writer changed the same record and retries did not succeed."""
