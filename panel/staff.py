"""Staff accounts for the web service: add, remove, change a password, sign in (argon2id hashes).

An account is a StaffAccount aggregate (who, which role, added and removed by whom). Its password
hash lives in the store's settings (``staff_password:<id>``), written in the same transaction as the
account's first event, so an account never exists without one; a hash is never put in an event.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime
from uuid import UUID

from argon2 import PasswordHasher
from argon2.exceptions import InvalidHashError, VerificationError
from eventsourcing.utils import get_topic

from panel.application import PanelApp
from panel.clock import now
from panel.domain.errors import ValidationError
from panel.domain.staff import ROLES, StaffAccount, check_name, staff_id
from panel.paging import Page
from panel.staff_roles import ENTER_APPLICATIONS, may, roles_with
from panel.store.recorders import WITH_STATEMENTS

MIN_PASSWORD = 12
MAX_PASSWORD = 1000
ENTRY_ROLES = roles_with(ENTER_APPLICATIONS)  # who may enter an application on someone's behalf
_HASHER = PasswordHasher()  # argon2id with the library's current defaults
_DUMMY = _HASHER.hash("not a password anyone has")  # checked when the name is unknown, so both take as long


@dataclass(frozen=True)
class StaffDetails:
    id: UUID
    name: str
    role: str
    added_by: str
    added_at: datetime
    removed_at: datetime | None

    def may(self, permission: str) -> bool:
        """Whether this account may do ``permission`` (panel.staff_roles); a removed account may do nothing."""
        return self.removed_at is None and may(self.role, permission)

    @property
    def may_enter_applications(self) -> bool:
        return self.may(ENTER_APPLICATIONS)


def check_password(password: str) -> str:
    if len(password) < MIN_PASSWORD:
        raise ValidationError(
            f"the password is shorter than {MIN_PASSWORD} characters: choose a longer one (a few words are easiest)"
        )
    if len(password) > MAX_PASSWORD:
        raise ValidationError(f"the password is longer than {MAX_PASSWORD} characters: choose a shorter one")
    return password


class Staff:
    def __init__(self, app: PanelApp) -> None:
        self.app = app

    def add(self, name: str, role: str, password: str, *, by: str, at: datetime | None = None) -> StaffDetails:
        """Add an account with its password (ValidationError if the name is taken, even by a removed account)."""
        account = StaffAccount.add(name, role, by, at or now())
        if self.app.exists(account.id):
            raise ValidationError(f"staff member {account.name} already exists: choose another user name")
        hashed = _HASHER.hash(check_password(password)).encode()
        self.app.save(account, **{WITH_STATEMENTS: self.app.keys.putting(_setting(account.id), hashed)})
        return _details(account)

    def set_password(self, name: str, password: str) -> None:
        account = self._account(name)
        self.app.keys.put_setting(_setting(account.id), _HASHER.hash(check_password(password)).encode())

    def remove(self, name: str, *, by: str, at: datetime | None = None) -> StaffDetails:
        account = self._account(name)
        account.remove(by, at or now())
        self.app.save(account)
        return _details(account)

    def member_page(self, page: Page) -> tuple[list[StaffDetails], bool]:
        """One page of the accounts in the order they were added (paged in the database); and whether more follow."""
        ids, more = page.cut(self.app.originators_page(get_topic(StaffAccount.Added), page.offset, page.limit + 1))
        return [_details(self.app.load(i, StaffAccount)) for i in ids], more

    def members(self) -> list[StaffDetails]:
        ids = dict.fromkeys(self.app.originators(get_topic(StaffAccount.Added)))
        return sorted((_details(self.app.load(i, StaffAccount)) for i in ids), key=lambda d: d.name)

    def get(self, account_id: UUID) -> StaffDetails | None:
        """The account, or None if there is none or it was removed (a signed-in session ends with it)."""
        if not self.app.exists(account_id):
            return None
        account = self.app.load(account_id, StaffAccount)
        return None if account.removed_at is not None else _details(account)

    def authenticate(self, name: str, password: str) -> StaffDetails | None:
        """The account these credentials open, or None (wrong name, wrong password, or removed)."""
        try:
            account_id = staff_id(check_name(name))
        except ValidationError:
            account_id = None
        stored = self.app.keys.setting(_setting(account_id)) if account_id and self.app.exists(account_id) else None
        try:
            _HASHER.verify(stored.decode() if stored else _DUMMY, password[:MAX_PASSWORD])
        except (VerificationError, InvalidHashError):
            return None
        return None if stored is None or account_id is None else self.get(account_id)

    def _account(self, name: str) -> StaffAccount:
        account_id = staff_id(check_name(name))
        if not self.app.exists(account_id):
            raise ValidationError(f"no staff member is called {name.strip().lower()}: check `panel staff list`")
        return self.app.load(account_id, StaffAccount)


def _setting(account_id: UUID) -> str:
    return f"staff_password:{account_id.hex}"


def _details(account: StaffAccount) -> StaffDetails:
    return StaffDetails(account.id, account.name, account.role, account.added_by, account.added_at, account.removed_at)


__all__ = ["ENTRY_ROLES", "ROLES", "Staff", "StaffDetails"]
