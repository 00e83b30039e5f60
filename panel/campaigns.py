"""Campaigns over the store: open one, read it back, preview it, and register the applications sent through it.

The values (``CampaignDetails``, ``Answers``, ``AssistedEntry``) and the pure rules that turn an application into
a sign-up (``signup_for``, ``missing_fields``) are ``panel.campaign_values``; this service checks the result with
``panel.validation.validate_signup`` and registers it through ``Registration.register``, exactly as
`panel participant register` does.
"""

from __future__ import annotations

from datetime import date, datetime, timedelta
from pathlib import Path
from uuid import UUID

from eventsourcing.persistence import IntegrityError
from eventsourcing.utils import get_topic

from panel.application import PanelApp
from panel.campaign_files import read_notice, read_questions
from panel.campaign_values import (
    ASSISTED_CHANNELS,
    ASSISTED_METHODS,
    CONTACT_FIELDS,
    Answers,
    AssistedEntry,
    CampaignDetails,
    Option,
    Question,
    missing_fields,
    new_reference,
    signup_for,
)
from panel.clock import now
from panel.domain import text
from panel.domain.campaign import Campaign, campaign_id, check_slug
from panel.domain.engagement import Engagement
from panel.domain.errors import PanelError
from panel.domain.values import PURPOSES
from panel.engagements import Engagements
from panel.links import BadLinkError, ExpiredLinkError, make_token, read_token, store_secret
from panel.queries import Queries, engagement_details
from panel.registration import Registration, Statement
from panel.validation import CheckedSignUp, FieldError, InvalidSignUpError, validate_signup

# web/ imports the values from here too (they were defined here before panel.campaign_values)
__all__ = [
    "ASSISTED_CHANNELS",
    "ASSISTED_METHODS",
    "CONTACT_FIELDS",
    "Answers",
    "AssistedEntry",
    "CampaignDetails",
    "CampaignExistsError",
    "CampaignNotFoundError",
    "Campaigns",
    "Question",
]


class CampaignNotFoundError(PanelError):
    """Raised when no campaign has the given slug."""


class CampaignExistsError(PanelError):
    """Raised when a campaign with the same slug is already recorded."""


Versions = tuple[tuple[UUID, int], ...]  # (aggregate id, version) pairs a read was made at


class Campaigns:
    """Campaign commands and queries over the panel application."""

    def __init__(self, app: PanelApp) -> None:
        self.app = app

    def open(
        self,
        *,
        slug: str,
        engagement: str,
        opens: date,
        closes: date,
        questions: str | Path,
        notice: str | Path,
        notice_version: str | None = None,
        language: str = "en",
        phone: str | None = None,
        address: str | None = None,
        purposes: tuple[str, ...] = PURPOSES,
        opened_by: str | None = None,
        at: datetime | None = None,
        consent_valid_for: dict[str, str] | None = None,
        layout: str = "single-page",
    ) -> UUID:
        """Record CampaignOpened; the engagement must exist and the slug be new. Nothing is written on error."""
        check_slug(slug)
        engagement_ref = Queries(self.app).engagement(self.app.resolve_engagement(engagement)).ref
        asked = read_questions(questions)
        read = read_notice(notice, notice_version)
        address_lines = [line.strip() for line in (address or "").split(",") if line.strip()]
        for line in address_lines:
            text.check_text(line, "--address", text.LABEL)
        campaign = Campaign.open(
            slug=slug,
            engagement_ref=engagement_ref,
            opens=opens,
            closes=closes,
            questions=asked,
            purposes=[p for p in PURPOSES if p in purposes],
            notice_version=read.version,
            notice_sha256=read.sha256,
            notice_lines=read.lines,
            language=language,
            phone=text.check_optional(phone, "--phone", 40),
            address_lines=address_lines,
            opened_by=text.check_optional(opened_by, "--by", text.STAFF),
            at=at or now(),
            consent_valid_for=consent_valid_for or {},
            layout=layout,
        )
        if self.app.exists(campaign.id):
            raise CampaignExistsError(f"campaign {slug!r} is already open: choose another slug")
        try:
            self.app.save(campaign)
        except IntegrityError:
            raise CampaignExistsError(f"campaign {slug!r} is already open: choose another slug") from None
        return campaign.id

    def get(self, slug: str) -> CampaignDetails:
        return self.versioned(slug)[0]

    def versioned(self, slug: str) -> tuple[CampaignDetails, Versions]:
        """The campaign's details, with the (aggregate id, version) of the campaign and of its engagement they were
        read at (``panel.campaign_cache`` reads them again only when either has moved on)."""
        if not self.app.exists(campaign_id(slug)):
            raise CampaignNotFoundError(f"no campaign has the slug {slug!r}: check the slug")
        campaign = self.app.load(campaign_id(slug), Campaign)
        found = self.app.load(self.app.resolve_engagement(campaign.engagement_ref), Engagement)
        engagement = engagement_details(found)
        versions = ((campaign.id, campaign.version), (found.id, found.version))
        return CampaignDetails(
            slug=campaign.slug,
            engagement_ref=campaign.engagement_ref,
            engagement_name=engagement.name,
            opens=campaign.opens,
            closes=campaign.closes,
            questions=tuple(
                Question(
                    q["attribute"], q["question"], q["hint"], tuple(Option(**o) for o in q["options"]), q["describe"]
                )
                for q in campaign.questions
            ),
            purposes=tuple(campaign.purposes),
            notice_version=campaign.notice_version,
            notice_sha256=campaign.notice_sha256,
            notice_lines=tuple(campaign.notice_lines),
            language=campaign.language,
            phone=campaign.phone,
            address_lines=tuple(campaign.address_lines),
            consent_valid_for=dict(campaign.consent_valid_for),
            layout=campaign.layout,
        ), versions

    def all(self) -> list[CampaignDetails]:
        """Every campaign, in the order they were opened."""
        ids = dict.fromkeys(self.app.originators(get_topic(Campaign.Opened)))
        return [self.get(self.app.load(i, Campaign).slug) for i in ids]

    def preview_link(self, slug: str, base_url: str, valid_for: timedelta) -> str:
        """A signed link to the campaign's form that works before it opens (staff preview)."""
        self.get(slug)
        token = make_token(store_secret(self.app.keys), "preview", campaign_id(slug), now() + valid_for)
        return f"{base_url}/apply/{slug}?preview={token}"

    def is_preview(self, slug: str, token: str, at: datetime) -> bool:
        """Whether ``token`` is a genuine, unexpired preview token of this campaign."""
        try:
            return read_token(store_secret(self.app.keys), "preview", token, at) == campaign_id(slug)
        except (BadLinkError, ExpiredLinkError):
            return False

    def prepare(
        self, campaign: CampaignDetails, answers: Answers, *, at: datetime, entry: AssistedEntry | None = None
    ) -> CheckedSignUp | list[FieldError]:
        """The checked sign-up an application makes, or every field it must fix (the campaign's needs, then
        ``validate_signup``, run once); writes nothing."""
        signup = signup_for(campaign, answers, at=at, ref=new_reference(), entry=entry)
        errors = missing_fields(campaign, answers)
        try:
            checked = validate_signup(signup, Engagements(self.app).numeric_attributes())
        except InvalidSignUpError as exc:
            errors.extend(exc.errors)
        return errors or checked

    def check(
        self,
        campaign: CampaignDetails,
        answers: Answers,
        *,
        at: datetime | None = None,
        entry: AssistedEntry | None = None,
    ) -> list[FieldError]:
        """Every field an application must fix; writes nothing."""
        prepared = self.prepare(campaign, answers, at=at or now(), entry=entry)
        return prepared if isinstance(prepared, list) else []

    def apply(
        self,
        campaign: CampaignDetails,
        answers: Answers,
        *,
        at: datetime | None = None,
        entry: AssistedEntry | None = None,
        add_duplicate: bool = False,
    ) -> UUID:
        """Register an application (online, or entered by staff as ``entry`` says); InvalidSignUpError names every
        field to fix, and nothing is written. An email address a confirmed applicant holds is DuplicateEmailError
        (nothing written) unless ``add_duplicate`` (staff who saw the warning and chose to add them anyway)."""
        prepared = self.prepare(campaign, answers, at=at or now(), entry=entry)
        if isinstance(prepared, list):
            raise InvalidSignUpError(prepared)
        return self.register(prepared, add_duplicate=add_duplicate)

    def register(
        self,
        signup: CheckedSignUp,
        *,
        add_duplicate: bool = False,
        note_email: bool = False,
        counting: Statement | None = None,
    ) -> UUID:
        """Register a sign-up ``prepare`` made (not validated again); the duplicate rule as ``apply`` says; with
        ``note_email`` its address enters the email index in the same transaction (an online application), and
        ``counting`` (a rate limit's count, ``RateCounts.taking``) runs first in it: RateLimitedError when over."""
        return Registration(self.app).register(
            signup, refuse_duplicate=not add_duplicate, note_email=note_email, counting=counting
        )
