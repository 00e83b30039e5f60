"""The Campaign aggregate: a public application window for an engagement (the page at /apply/SLUG).

A campaign names its engagement, the dates it is open (inclusive, UTC calendar days), the
questions it asks (each maps to one self-described attribute), the privacy notice shown beside
the consents (its version, its SHA-256 and its text, kept as lines) and what to do instead when
it is closed (a phone number and/or a postal address). Standard library and eventsourcing only.
"""

from __future__ import annotations

import re
from datetime import date, datetime
from typing import Any
from uuid import NAMESPACE_URL, UUID, uuid5

from eventsourcing.domain import Aggregate, event

from panel.domain.durations import parse_period
from panel.domain.errors import ValidationError
from panel.domain.values import PURPOSES, require_utc

CAMPAIGN_NAMESPACE = uuid5(NAMESPACE_URL, "https://participant-panel.org/campaign")
SLUG = re.compile(r"[a-z0-9](?:[a-z0-9-]{0,58}[a-z0-9])?")
LANGUAGES = ("en", "en-easyread", "cy")  # en-easyread: the Easy Read words (docs/web.md)
LAYOUTS = ("single-page", "one-per-page")  # the whole form on one page, or GOV.UK's one thing per page


def campaign_id(slug: str) -> UUID:
    """A campaign's id comes from its slug, so a slug names one campaign."""
    return uuid5(CAMPAIGN_NAMESPACE, slug)


def check_slug(slug: str) -> str:
    """The slug, or ValidationError: lower-case letters, digits and hyphens (it is part of the page's address)."""
    if not SLUG.fullmatch(slug):
        raise ValidationError(
            f"campaign slug {slug!r} is not valid: use lower-case letters, digits and hyphens, at most 60 "
            "characters, e.g. vested-2026"
        )
    return slug


class Campaign(Aggregate):
    """An application campaign: the window, the questions and the notice shown to applicants."""

    class Opened(Aggregate.Created):
        slug: str
        engagement_ref: str
        opens: date
        closes: date
        questions: list[dict[str, Any]]
        purposes: list[str]
        notice_version: str
        notice_sha256: str
        notice_lines: list[str]
        language: str
        phone: str | None
        address_lines: list[str]
        opened_by: str | None
        at: datetime
        consent_valid_for: dict[str, str]  # version 2: purpose -> how long a grant through this campaign lasts
        layout: str  # version 3: one of LAYOUTS

        class_version = 3

        @staticmethod
        def upcast_v1_v2(state: dict[str, Any]) -> None:
            state["consent_valid_for"] = {}  # campaigns opened before: consents without expiry

        @staticmethod
        def upcast_v2_v3(state: dict[str, Any]) -> None:
            state["layout"] = "single-page"  # campaigns opened before: the whole form on one page

    @event(Opened)
    def __init__(
        self,
        slug: str,
        engagement_ref: str,
        opens: date,
        closes: date,
        questions: list[dict[str, Any]],
        purposes: list[str],
        notice_version: str,
        notice_sha256: str,
        notice_lines: list[str],
        language: str,
        phone: str | None,
        address_lines: list[str],
        opened_by: str | None,
        at: datetime,
        consent_valid_for: dict[str, str],
        layout: str = "single-page",
    ) -> None:
        self.slug = slug
        self.engagement_ref = engagement_ref
        self.opens = opens
        self.closes = closes
        self.questions = [dict(q) for q in questions]
        self.purposes = list(purposes)
        self.notice_version = notice_version
        self.notice_sha256 = notice_sha256
        self.notice_lines = list(notice_lines)
        self.language = language
        self.phone = phone
        self.address_lines = list(address_lines)
        self.opened_by = opened_by
        self.opened_at = at
        self.consent_valid_for = dict(consent_valid_for)
        self.layout = layout

    @classmethod
    def open(cls, **fields: Any) -> Campaign:
        """Open a campaign; the window and the choices are checked before anything is recorded."""
        slug = check_slug(fields["slug"])
        opens, closes = fields["opens"], fields["closes"]
        if closes < opens:
            raise ValidationError(
                f"--closes {closes.isoformat()} is before --opens {opens.isoformat()}: give a closing date on or after "
                "the opening date"
            )
        for purpose in fields["purposes"]:
            if purpose not in PURPOSES:
                raise ValidationError(f"consent purpose {purpose!r} is unknown: use one of {', '.join(PURPOSES)}")
        if fields["language"] not in LANGUAGES:
            raise ValidationError(f"--language {fields['language']!r} is unknown: use one of {', '.join(LANGUAGES)}")
        fields.setdefault("layout", "single-page")
        if fields["layout"] not in LAYOUTS:
            raise ValidationError(f"--layout {fields['layout']!r} is unknown: use one of {', '.join(LAYOUTS)}")
        if not fields["phone"] and not fields["address_lines"]:
            raise ValidationError(
                "a campaign needs --phone or --address: the closed page tells people how else to reach you"
            )
        require_utc(fields["at"], "campaign opening time")
        fields["consent_valid_for"] = valid_for(fields.get("consent_valid_for") or {}, fields["purposes"])
        return cls._create(cls.Opened, id=campaign_id(slug), **fields)

    def state_on(self, day: date) -> str:
        """'not_open_yet', 'open' or 'closed' on a calendar day (the window includes both dates)."""
        if day < self.opens:
            return "not_open_yet"
        if day > self.closes:
            return "closed"
        return "open"


def valid_for(periods: dict[str, str], purposes: list[str]) -> dict[str, str]:
    """The validity period of each purpose's consent, checked: a purpose the campaign asks for, a period."""
    checked = {}
    for purpose, period in periods.items():
        if purpose not in purposes:
            raise ValidationError(
                f"--consent-valid-for {purpose}: the campaign does not ask for {purpose!r} consent: "
                f"use one of {', '.join(purposes)}"
            )
        checked[purpose] = str(parse_period(period, f"--consent-valid-for {purpose}"))
    return checked
