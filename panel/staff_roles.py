"""What each staff role may do in the web service: the one place the staff pages ask (docs/web.md).

A permission is a thing a page does; a role is a set of them. Every staff route names the one
permission it needs; a role without it is refused (403) before anything is read or written.
Auditors hold only read permissions, so no auditor request writes an event.
"""

from __future__ import annotations

from panel.domain.staff import ROLES

ENTER_APPLICATIONS = "enter_applications"  # assisted entry: writes a sign-up and its consents
VIEW_PARTICIPANTS = "view_participants"  # one person's stored details (each view is recorded)
VIEW_PAYMENTS = "view_payments"  # outstanding payments: references and amounts, never names
VIEW_AUDIT = "view_audit"  # the hash chain's status and the access records

PERMISSIONS = (ENTER_APPLICATIONS, VIEW_PARTICIPANTS, VIEW_PAYMENTS, VIEW_AUDIT)
WRITES = frozenset({ENTER_APPLICATIONS})  # the permissions whose pages write events

GRANTS: dict[str, frozenset[str]] = {
    "recruiter": frozenset({ENTER_APPLICATIONS, VIEW_PARTICIPANTS}),
    "finance": frozenset({VIEW_PAYMENTS}),
    "auditor": frozenset({VIEW_AUDIT}),
    "admin": frozenset(PERMISSIONS),
}
if set(GRANTS) != set(ROLES):  # every role has its grants here
    raise RuntimeError(f"panel.staff_roles.GRANTS names {sorted(GRANTS)}, the roles are {sorted(ROLES)}")


def may(role: str, permission: str) -> bool:
    """Whether ``role`` may do ``permission`` (an unknown role or permission may do nothing)."""
    return permission in GRANTS.get(role, frozenset())


def roles_with(permission: str) -> tuple[str, ...]:
    """The roles that may do ``permission``, in the order of ROLES."""
    return tuple(role for role in ROLES if may(role, permission))
