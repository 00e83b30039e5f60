"""The application form: read a posted body into ``Answers``, and place each error next to its field.

No validation rules live here: the body is only parsed (size, encoding, one value per field,
answers among those offered); ``panel.campaigns.Campaigns.apply`` and ``panel.validation`` decide
what is valid.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from urllib.parse import parse_qs

from panel.campaigns import CONTACT_FIELDS, Answers, CampaignDetails
from panel.validation import FieldError

PREFER_NOT = "prefer_not_to_say"
DESCRIBE = "describe"
MAX_FIELDS = 200
ASSISTED_FIELDS = ("channel", "method", "add_anyway")  # the staff's form: how it came in, how consent was given


class BadFormError(Exception):
    """Raised when a posted body cannot be read as our form at all (encoding, repeated fields, too many)."""


@dataclass
class Posted:
    """A posted form: the values as sent (to show them again) and the answers built from them."""

    values: dict[str, str] = field(default_factory=dict)
    consents: tuple[str, ...] = ()
    answers: Answers = field(default_factory=Answers)
    errors: list[FieldError] = field(default_factory=list)


def parse_body(body: bytes) -> dict[str, list[str]]:
    try:
        text = body.decode("utf-8")
        return parse_qs(text, keep_blank_values=True, strict_parsing=False, max_num_fields=MAX_FIELDS)
    except (UnicodeDecodeError, ValueError):
        raise BadFormError("the form could not be read") from None


def read_form(campaign: CampaignDetails, fields: dict[str, list[str]]) -> Posted:
    """The answers in a posted form; an answer that was not offered is an error on its question."""
    posted = Posted()

    def one(name: str) -> str:
        values = fields.get(name, [])
        if len(values) > 1:
            raise BadFormError(f"the field {name} was sent more than once")
        return values[0] if values else ""

    personal = {name: one(name) for name in CONTACT_FIELDS}
    posted.values.update(personal)
    attributes: dict[str, str] = {}
    for q in campaign.questions:
        key = f"attr.{q.attribute}"
        choice, described = one(key), one(f"{key}.describe")
        posted.values[key], posted.values[f"{key}.describe"] = choice, described
        offered = {o.value for o in q.options}
        if not choice:
            continue
        if choice == PREFER_NOT:
            attributes[q.attribute] = "prefer not to say"
        elif choice == DESCRIBE and q.describe:
            if not described.strip():
                posted.errors.append(
                    FieldError(f"attributes.{q.attribute}.describe", "Describe yourself, or choose another answer")
                )
            attributes[q.attribute] = described
        elif choice in offered:
            attributes[q.attribute] = choice
        else:
            posted.errors.append(FieldError(f"attributes.{q.attribute}", "Choose one of the answers shown"))
    ticked = fields.get("consent", [])
    unknown = [p for p in ticked if p not in campaign.purposes]
    if unknown or len(set(ticked)) != len(ticked):
        raise BadFormError("the consents sent are not those the form offers")
    posted.consents = tuple(ticked)
    posted.answers = Answers(personal=personal, attributes=attributes, consents=posted.consents)
    return posted


def field_id(campaign: CampaignDetails, error_field: str) -> str:
    """The id of the input an error belongs to (the error summary links to it)."""
    if error_field in (*CONTACT_FIELDS, *ASSISTED_FIELDS):
        return error_field
    parts = error_field.split(".")
    if parts[0] == "attributes" and len(parts) >= 2:
        if parts[-1] == "describe":
            return f"attr-{parts[1]}-describe"
        return f"attr-{parts[1]}"
    if parts[0] == "consents" and len(parts) >= 2:
        return f"consent-{parts[1]}"
    return "main-content"


def errors_in_page_order(campaign: CampaignDetails, errors: list[FieldError]) -> list[dict[str, str]]:
    """Each error with the id of its field, in the order the fields appear on the page (one per message)."""
    order = ["channel", *CONTACT_FIELDS[:2], "add_anyway", *CONTACT_FIELDS[2:]]
    for q in campaign.questions:
        order += [f"attr-{q.attribute}", f"attr-{q.attribute}-describe"]
    order += ["method", *(f"consent-{p}" for p in campaign.purposes)]
    shown, seen = [], set()
    for e in errors:
        item = {"id": field_id(campaign, e.field), "field": e.field, "message": e.message}
        if (item["id"], item["message"]) not in seen:
            seen.add((item["id"], item["message"]))
            shown.append(item)
    return sorted(shown, key=lambda e: order.index(e["id"]) if e["id"] in order else len(order))
