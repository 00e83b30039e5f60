"""Partner referrals: tokens for the partner API, and a referral turned into a sign-up.

A token is ``NAME.SECRET`` (the partner's name, then 32 random bytes, URL-safe); only its SHA-256 is
recorded. A referral is registered with channel ``partner_referral``, source ``partner.NAME`` and
the partner's own reference, so the same referral sent twice is one participant (idempotent), and
consents recorded as given in writing to the partner, captured by the partner.
"""

from __future__ import annotations

import hashlib
import hmac
import secrets
from dataclasses import dataclass
from datetime import datetime
from typing import Any
from uuid import UUID

from eventsourcing.persistence import IntegrityError
from eventsourcing.utils import get_topic

from panel.application import PanelApp
from panel.clock import now
from panel.domain.durations import parse_period
from panel.domain.errors import AlreadyRegisteredError, ValidationError
from panel.domain.partner import PARTNER_SOURCE, Partner, check_partner_name, partner_id
from panel.paging import Page
from panel.registration import Registration
from panel.validation import ConsentSpec, FieldError, InvalidSignUpError, SignUp, default_consent_method

CONTACT = ("name", "email", "phone", "postcode", "address")
TOP_LEVEL = {"reference", *CONTACT, "attributes", "consents"}


@dataclass(frozen=True)
class PartnerDetails:
    id: UUID
    name: str
    added_by: str
    added_at: datetime
    revoked_at: datetime | None


@dataclass(frozen=True)
class Referral:
    participant_id: UUID
    reference: str
    created: bool  # False: this reference was already registered (a retry); nothing was written


class Partners:
    def __init__(self, app: PanelApp) -> None:
        self.app = app

    def add(self, name: str, *, by: str, at: datetime | None = None) -> tuple[PartnerDetails, str]:
        """Add a partner; returns it and its token, which is shown this once and never kept."""
        cleaned = check_partner_name(name)
        if self.app.exists(partner_id(cleaned)):
            raise ValidationError(f"partner {cleaned} already exists: choose another name")
        token = f"{cleaned}.{secrets.token_urlsafe(32)}"
        partner = Partner.add(cleaned, _digest(token), by, at or now())
        self.app.save(partner)
        return _details(partner), token

    def revoke(self, name: str, *, by: str, at: datetime | None = None) -> PartnerDetails:
        pid = partner_id(check_partner_name(name))
        if not self.app.exists(pid):
            raise ValidationError(f"no partner is called {name.strip().lower()}: check `panel partner list`")
        partner = self.app.load(pid, Partner)
        partner.revoke(by, at or now())
        self.app.save(partner)
        return _details(partner)

    def page(self, page: Page) -> tuple[list[PartnerDetails], bool]:
        """One page of the partners in the order they were added (paged in the database); and whether more follow."""
        ids, more = page.cut(self.app.originators_page(get_topic(Partner.Added), page.offset, page.limit + 1))
        return [_details(self.app.load(i, Partner)) for i in ids], more

    def all(self) -> list[PartnerDetails]:
        ids = dict.fromkeys(self.app.originators(get_topic(Partner.Added)))
        return sorted((_details(self.app.load(i, Partner)) for i in ids), key=lambda d: d.name)

    def authenticate(self, token: str) -> PartnerDetails | None:
        """The partner a token belongs to, while it is not revoked; None otherwise."""
        name, dot, _ = token.partition(".")
        try:
            pid = partner_id(check_partner_name(name)) if dot and len(token) < 200 else None
        except ValidationError:
            pid = None
        if pid is None or not self.app.exists(pid):
            return None
        partner = self.app.load(pid, Partner)
        if partner.revoked_at is not None or not hmac.compare_digest(partner.token_sha256, _digest(token)):
            return None
        return _details(partner)

    def refer(self, partner: PartnerDetails, body: Any, *, at: datetime | None = None) -> Referral:
        """Register a referral (InvalidSignUpError naming each field, nothing written); a retry is not a second one.
        An email address a confirmed applicant holds is DuplicateEmailError, and nothing is written."""
        signup = referral_signup(partner.name, body, at or now())
        pid = self.app.participant_id_for(signup.ref, signup.source)
        if self.app.exists(pid):
            return Referral(pid, signup.ref, created=False)
        try:
            Registration(self.app).register(signup, refuse_duplicate=True)
        except (AlreadyRegisteredError, IntegrityError):  # the same referral, sent twice at once
            return Referral(pid, signup.ref, created=False)
        return Referral(pid, signup.ref, created=True)


def referral_signup(partner: str, body: Any, at: datetime) -> SignUp:
    """The sign-up a referral's JSON body makes; InvalidSignUpError naming each field of the wrong shape."""
    if not isinstance(body, dict):
        raise InvalidSignUpError([FieldError("body", "send a JSON object")])
    errors = [FieldError(key, "this field is not part of a referral") for key in sorted(set(body) - TOP_LEVEL)]
    reference = body.get("reference")
    if not isinstance(reference, str) or not reference.strip():
        errors.append(FieldError("reference", "give your own reference for this person, as a string"))
    personal = {k: body[k] for k in CONTACT if body.get(k) is not None}
    errors += [FieldError(k, "must be a string") for k, v in personal.items() if not isinstance(v, str)]
    attributes = body.get("attributes", {})
    if not isinstance(attributes, dict) or not all(isinstance(v, str) for v in attributes.values()):
        errors.append(FieldError("attributes", 'must be an object of strings, e.g. {"age_band": "18-21"}'))
    consents = body.get("consents", [])
    shaped = isinstance(consents, list) and all(
        isinstance(c, dict)
        and set(c) <= {"purpose", "notice_version", "valid_for"}
        and all(isinstance(v, str) for v in c.values())
        for c in consents
    )
    if not shaped:
        errors.append(FieldError("consents", 'must be a list like [{"purpose": "contact", "notice_version": "v1"}]'))
    expiries = [_expiry(c, at, errors) for c in consents] if shaped else []
    if errors:
        raise InvalidSignUpError(errors)
    method = default_consent_method("partner_referral")
    given = tuple(
        ConsentSpec(c.get("purpose", ""), c.get("notice_version", ""), method, partner, at, expires)
        for c, expires in zip(consents, expiries, strict=True)
    )
    return SignUp(
        ref=str(reference).strip(), channel="partner_referral", captured_by=partner, personal=dict(personal),
        attributes=dict(attributes), at=at, source=PARTNER_SOURCE + partner, consents=given,
    )  # fmt: skip


def _expiry(consent: dict[str, str], at: datetime, errors: list[FieldError]) -> datetime | None:
    """When a referred consent expires: ``valid_for`` (e.g. "2y", as the partner's notice says) after ``at``."""
    if "valid_for" not in consent:
        return None
    try:
        return parse_period(consent["valid_for"], "valid_for").after(at, "valid_for")
    except ValidationError as exc:
        errors.append(FieldError(f"consents.{consent.get('purpose', '')}.valid_for", str(exc)))
        return None


def _digest(token: str) -> str:
    return hashlib.sha256(token.encode()).hexdigest()


def _details(partner: Partner) -> PartnerDetails:
    return PartnerDetails(partner.id, partner.name, partner.added_by, partner.added_at, partner.revoked_at)
