"""What a campaign is and what an applicant sends through it, and the pure rules that turn an application
into a sign-up: plain values and functions, no store (``panel.campaigns`` is the service over the store).

Every entry path registers people the same way: an application from the web form becomes a ``SignUp``
(channel ``online``, consent method ``online``, the campaign's notice version, the moment the form was
sent; see ``signup_for``), which ``panel.validation.validate_signup`` checks before anything is written.
"""

from __future__ import annotations

import secrets
from dataclasses import dataclass, field
from datetime import date, datetime

from panel.domain.confirmation import campaign_source
from panel.domain.durations import parse_period
from panel.domain.errors import ValidationError
from panel.validation import ConsentSpec, FieldError, SignUp

CONTACT_FIELDS = ("name", "email", "phone", "postcode")
REQUIRED_PURPOSES = ("contact", "panel_membership")  # applying is asking to join and to be contacted
REF_LETTERS = "ABCDEFGHJKLMNPQRSTUVWXYZ"  # no digits, so a reference never looks like a phone number
ASSISTED_CHANNELS = ("phone", "paper", "in_person")
ASSISTED_METHODS = ("verbal", "written")
PURPOSE_TEXT = {  # "Tick the box to agree to ..."
    "contact": "us contacting you",
    "panel_membership": "joining the panel",
    "data_processing": "us using your answers",
}


@dataclass(frozen=True)
class Option:
    value: str
    label: str


@dataclass(frozen=True)
class Question:
    attribute: str
    question: str
    hint: str
    options: tuple[Option, ...]
    describe: bool


@dataclass(frozen=True)
class CampaignDetails:
    slug: str
    engagement_ref: str
    engagement_name: str
    opens: date
    closes: date
    questions: tuple[Question, ...]
    purposes: tuple[str, ...]
    notice_version: str
    notice_sha256: str
    notice_lines: tuple[str, ...]
    language: str
    phone: str | None
    address_lines: tuple[str, ...]
    consent_valid_for: dict[str, str] = field(
        default_factory=dict
    )  # purpose -> period, e.g. {"panel_membership": "2y"}
    layout: str = "single-page"  # or "one-per-page" (web/apply_pages.py)

    def expiry(self, purpose: str, at: datetime) -> datetime | None:
        """When a grant of ``purpose`` through this campaign at ``at`` expires (None: it does not)."""
        period = self.consent_valid_for.get(purpose)
        return None if period is None else parse_period(period).after(at)

    def state_on(self, day: date) -> str:
        """'not_open_yet', 'open' or 'closed' on a calendar day (UTC; the window includes both dates)."""
        return "not_open_yet" if day < self.opens else "closed" if day > self.closes else "open"


@dataclass(frozen=True)
class Answers:
    """What an applicant sent: contact details, attribute answers (attribute -> text) and consents ticked."""

    personal: dict[str, str] = field(default_factory=dict)
    attributes: dict[str, str] = field(default_factory=dict)
    consents: tuple[str, ...] = ()


@dataclass(frozen=True)
class AssistedEntry:
    """An application a member of staff entered for someone: how it came in, who took it, how consent was given."""

    channel: str  # one of ASSISTED_CHANNELS
    captured_by: str
    method: str  # one of ASSISTED_METHODS


def new_reference() -> str:
    """A fresh application reference, e.g. APP-KXRTMWQHZB (random; letters only)."""
    return "APP-" + "".join(secrets.choice(REF_LETTERS) for _ in range(10))


def signup_for(
    campaign: CampaignDetails, answers: Answers, *, at: datetime, ref: str, entry: AssistedEntry | None = None
) -> SignUp:
    """The sign-up an application makes: online (consents online, captured by ``self``), or as ``entry`` says
    when staff entered it; with the campaign's notice, and the campaign as its source."""
    channel, captured_by, method = (
        ("online", "self", "online") if entry is None else (entry.channel, entry.captured_by, entry.method)
    )
    consents = tuple(
        ConsentSpec(purpose, campaign.notice_version, method, captured_by, at, campaign.expiry(purpose, at))
        for purpose in campaign.purposes
        if purpose in answers.consents
    )
    personal = {k: v for k, v in answers.personal.items() if v and v.strip()}
    return SignUp(ref=ref, channel=channel, personal=personal, attributes=dict(answers.attributes),
                  consents=consents, at=at, source=campaign_source(campaign.slug),
                  captured_by=None if entry is None else captured_by)  # fmt: skip


def missing_fields(campaign: CampaignDetails, answers: Answers) -> list[FieldError]:
    """What an application must have: a name, an email or phone, and the consents that applying needs."""
    errors = []
    if not answers.personal.get("name", "").strip():
        errors.append(FieldError("name", "Enter your name"))
    if not (answers.personal.get("email", "").strip() or answers.personal.get("phone", "").strip()):
        errors.append(FieldError("email", "Enter an email address or a phone number so we can contact you", plain=True))
    for purpose in REQUIRED_PURPOSES:
        if purpose in campaign.purposes and purpose not in answers.consents:
            errors.append(FieldError(f"consents.{purpose}", f"Tick the box to agree to {PURPOSE_TEXT[purpose]}"))
    return errors


def require_open(campaign: CampaignDetails, day: date) -> None:
    """ValidationError unless the campaign is open on ``day``."""
    if campaign.state_on(day) != "open":
        raise ValidationError(
            f"campaign {campaign.slug} is open from {campaign.opens.isoformat()} to {campaign.closes.isoformat()}"
        )
