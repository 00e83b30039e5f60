"""Four-eyes rules of a payment: who may approve it and who may issue it (standard library only).

- Above the engagement's four-eyes amount a payment needs **two approvals by two different
  people**, neither of them the person who created it; the first is recorded as
  ``Payment.FirstApproved``, the second as ``Payment.Approved``. At or below it one approval
  (``Approved``) is enough.
- Whoever approved a payment (first or second approval) may not also issue it.

Names are compared without regard to case or surrounding spaces ("Lee" is "lee").
"""

from __future__ import annotations

from panel.domain.errors import PanelError
from panel.domain.money import format_pence


class FourEyesError(PanelError):
    """Raised when one person would both create and approve, approve twice, or approve and issue a payment."""


def same_person(a: str | None, b: str | None) -> bool:
    return a is not None and b is not None and a.strip().casefold() == b.strip().casefold()


def needs_two_approvals(amount_pence: int, four_eyes_above_pence: int) -> bool:
    return amount_pence > four_eyes_above_pence


def check_approver(
    label: str,
    *,
    by: str,
    created_by: str,
    first_approved_by: str | None,
    amount_pence: int,
    four_eyes_above_pence: int,
) -> None:
    """Refuse an approval the four-eyes rules do not allow; otherwise return."""
    if not needs_two_approvals(amount_pence, four_eyes_above_pence):
        return
    above = f"above {format_pence(four_eyes_above_pence)} two approvers other than its creator are needed"
    if same_person(by, created_by):
        raise FourEyesError(
            f"{label} was created by {created_by}, who cannot also approve it ({above}): ask another approver"
        )
    if same_person(by, first_approved_by):
        raise FourEyesError(
            f"{label} was already approved once by {first_approved_by} ({above}): ask a second approver"
        )


def check_issuer(label: str, *, by: str, approvers: tuple[str | None, ...]) -> None:
    """Refuse an issue by someone who approved the payment."""
    for approver in approvers:
        if same_person(by, approver):
            raise FourEyesError(f"{label} was approved by {approver}, who cannot also issue it: ask another person")
