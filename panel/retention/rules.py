"""The retention rules as pure functions: a person's facts, a policy and a moment in; a decision out.

No store, no clock: the service (``panel.retention.service``) gathers the facts and reads the time.
Two rules make a person **due** for erasure, four kinds of record **keep** a person who is due:

- due, ``inactive``: no activity (any event of theirs, or a payment line to them) for
  ``inactive_months``;
- due, ``withdrawn``: their ``panel_membership`` consent was withdrawn (and not granted again)
  ``withdrawn_days`` ago;
- kept by a legal hold in force; by a payment still open (accrued, approved, or issued and not
  reconciled); by a payment made (issued) whose record is kept until ``payment_years`` after the end
  of the UK tax year (5 April) in which it was made; by a draw whose pool they were in, while the
  draw's record is kept for re-verification (``draw_months`` after the draw).
"""

from __future__ import annotations

import calendar
from collections.abc import Mapping
from dataclasses import dataclass, field
from datetime import date, datetime, timedelta
from uuid import UUID

from panel.domain.errors import ValidationError
from panel.numbers import whole_number

INACTIVE, WITHDRAWN = "inactive", "withdrawn"
OPEN_PAYMENTS = ("accrued", "approved", "issued")  # not settled yet: the same as an erasure request waits for


@dataclass(frozen=True)
class Setting:
    env: str
    default: int
    least: int
    unit: str


SETTINGS = {
    "inactive_months": Setting("PANEL_RETENTION_INACTIVE_MONTHS", 24, 1, "months"),
    "withdrawn_days": Setting("PANEL_RETENTION_WITHDRAWN_DAYS", 30, 0, "days"),
    "payment_years": Setting("PANEL_RETENTION_PAYMENT_YEARS", 6, 1, "years"),
    "draw_months": Setting("PANEL_RETENTION_DRAW_MONTHS", 12, 0, "months"),
}
MOST = 1200  # a hundred years in months: beyond it a setting is a mistake


@dataclass(frozen=True)
class RetentionPolicy:
    """How long things are kept. The defaults are the documented UK-practice ones (docs/retention.md)."""

    inactive_months: int = SETTINGS["inactive_months"].default
    withdrawn_days: int = SETTINGS["withdrawn_days"].default
    payment_years: int = SETTINGS["payment_years"].default
    draw_months: int = SETTINGS["draw_months"].default

    def as_dict(self) -> dict[str, int]:
        return {name: getattr(self, name) for name in SETTINGS}


def policy_from(env: Mapping[str, str]) -> RetentionPolicy:
    """The policy from environment settings (unset or empty: the default); a bad value is one line naming it."""
    values: dict[str, int] = {}
    for name, setting in SETTINGS.items():
        text = env.get(setting.env, "").strip()
        if not text:
            continue
        number = whole_number(text, setting.least, MOST)
        if number is None:
            raise ValidationError(
                f"{setting.env}={text!r} is not a whole number of {setting.unit} from {setting.least} to {MOST}: "
                f"set it to e.g. {setting.default}, or unset it for the default ({setting.default})"
            )
        values[name] = number
    return RetentionPolicy(**values)


def add_months(moment: datetime, months: int) -> datetime:
    """``moment`` plus whole calendar months (the 31st becomes the month's last day)."""
    index = moment.month - 1 + months
    year, month = moment.year + index // 12, index % 12 + 1
    return moment.replace(year=year, month=month, day=min(moment.day, calendar.monthrange(year, month)[1]))


def tax_year_end(day: date) -> date:
    """The last day (5 April) of the UK tax year (6 April to 5 April) that contains ``day``."""
    return date(day.year, 4, 5) if day <= date(day.year, 4, 5) else date(day.year + 1, 4, 5)


def payment_kept_until(paid_on: date, years: int) -> date:
    """The last day a payment's record is kept: ``years`` after the end of the tax year it was made in."""
    end = tax_year_end(paid_on)
    return end.replace(year=end.year + years)


@dataclass(frozen=True)
class PaymentFact:
    label: str  # the payment's reference or short id, never a name
    status: str
    issued_on: date | None


@dataclass(frozen=True)
class DrawFact:
    label: str  # engagement reference and round
    drawn_at: datetime


@dataclass(frozen=True)
class PersonFacts:
    """What the rules need to know of one person who is not erased (references only, no personal data)."""

    participant_id: UUID
    ref: str
    last_activity: datetime
    membership_withdrawn_at: datetime | None = None  # withdrawn, and not granted again since
    payments: tuple[PaymentFact, ...] = ()
    draws: tuple[DrawFact, ...] = ()
    holds: tuple[str, ...] = ()  # the reasons of the legal holds in force


@dataclass(frozen=True)
class Decision:
    """A person due for erasure: by which rule, since when, and why they are kept (nothing: erased)."""

    participant_id: UUID
    ref: str
    rule: str
    due_since: datetime
    detail: str
    kept_because: tuple[str, ...] = field(default=())

    @property
    def erase(self) -> bool:
        return not self.kept_because

    @property
    def reason(self) -> str:
        """The erasure's recorded reason."""
        return f"retention rule {self.rule}: {self.detail}"


def due(facts: PersonFacts, policy: RetentionPolicy, as_of: datetime) -> tuple[str, datetime, str] | None:
    """The rule that makes the person due at ``as_of`` (the one due first), when it is due, and why; or None."""
    found: list[tuple[datetime, str, str]] = []
    inactive_from = add_months(facts.last_activity, policy.inactive_months)
    if inactive_from <= as_of:
        found.append(
            (
                inactive_from,
                INACTIVE,
                f"no activity since {facts.last_activity.date()} ({policy.inactive_months} months)",
            )
        )
    withdrawn = facts.membership_withdrawn_at
    if withdrawn is not None and withdrawn + timedelta(days=policy.withdrawn_days) <= as_of:
        found.append(
            (
                withdrawn + timedelta(days=policy.withdrawn_days),
                WITHDRAWN,
                f"panel_membership consent withdrawn on {withdrawn.date()} ({policy.withdrawn_days} days)",
            )
        )
    if not found:
        return None
    since, rule, detail = min(found)
    return rule, since, detail


def keeps(facts: PersonFacts, policy: RetentionPolicy, as_of: datetime) -> tuple[str, ...]:
    """Every record that still needs the person's data at ``as_of``, one line each."""
    why = [f"legal hold: {reason}" for reason in facts.holds]
    for p in facts.payments:
        if p.status in OPEN_PAYMENTS:
            why.append(f"payment {p.label} is {p.status} (not settled)")
        elif p.issued_on is not None and as_of.date() <= (
            until := payment_kept_until(p.issued_on, policy.payment_years)
        ):
            why.append(f"payment {p.label} made on {p.issued_on} is a finance record kept until {until}")
    for d in facts.draws:
        until_draw = add_months(d.drawn_at, policy.draw_months)
        if as_of < until_draw:
            why.append(
                f"in the pool of draw {d.label} on {d.drawn_at.date()}, kept to re-verify until {until_draw.date()}"
            )
    return tuple(why)


def decide(facts: PersonFacts, policy: RetentionPolicy, as_of: datetime) -> Decision | None:
    """The decision for one person at ``as_of``: None when no rule makes them due."""
    found = due(facts, policy, as_of)
    if found is None:
        return None
    rule, since, detail = found
    return Decision(facts.participant_id, facts.ref, rule, since, detail, keeps(facts, policy, as_of))
