"""Contact details checked and put in one form: email addresses, UK (and international) phone numbers, UK postcodes.

Each function returns the normalised value or raises ValidationError with a one-line message
that names the field and shows an accepted form. Email addresses are checked by
``email-validator`` and phone numbers by ``phonenumbers`` (Google's libphonenumber metadata); a
UK postcode has a published format and no maintained package, so it is a pattern here.
"""

from __future__ import annotations

import re

import phonenumbers
from email_validator import SPECIAL_USE_DOMAIN_NAMES, EmailNotValidError, validate_email

from panel.domain.errors import ValidationError

# Plain ASCII addresses, the great majority, are accepted without the library's full (slow, about
# 0.2 ms) analysis when they match this strict subset of what it accepts; a test checks that
# every address matching it is accepted by email-validator with the same normalised form.
_SIMPLE_EMAIL = re.compile(
    r"(?P<local>[A-Za-z0-9_%+-]+(?:\.[A-Za-z0-9_%+-]+)*)@"
    r"(?P<domain>(?:[A-Za-z0-9]+(?:-[A-Za-z0-9]+)*\.)+(?P<tld>[A-Za-z]{2,24}))"
)
_SPECIAL = frozenset(SPECIAL_USE_DOMAIN_NAMES)

# The UK Government's published postcode pattern (BS 7666), on upper-case text without spaces.
_POSTCODE = re.compile(
    r"GIR0AA|(?:[A-PR-UWYZ][0-9][0-9]?|[A-PR-UWYZ][A-HK-Y][0-9][0-9]?|[A-PR-UWYZ][0-9][A-HJKPSTUW]"
    r"|[A-PR-UWYZ][A-HK-Y][0-9][ABEHMNPRVWXY])[0-9][ABD-HJLNP-UW-Z]{2}"
)

# Ofcom keeps these UK ranges for drama and for examples: they never reach a person, which makes
# them the right numbers for documentation, tests and demo data. libphonenumber calls the mobile
# and 01632 ones invalid because they are not allocated to any operator.
_PHONE_TEXT = re.compile(r"[\d\s()+./-]+(?:\s*(?:ext\.?|x|#)\s*\d{1,6})?", re.IGNORECASE)

OFCOM_DRAMA = re.compile(r"\+44(?:7700900|1632960|8081570|9098790|3069990)\d{3}")


def normalise_email(text: str, field: str = "email") -> str:
    """An email address as email-validator normalises it (domain in lower case), without a DNS look-up."""
    value = text.strip()
    simple = _SIMPLE_EMAIL.fullmatch(value)
    if (
        simple is not None
        and len(simple["local"]) <= 64
        and len(value) <= 254
        and simple["tld"].lower() not in _SPECIAL
        and all(len(label) <= 63 for label in simple["domain"].split("."))
    ):
        return f"{simple['local']}@{simple['domain'].lower()}"
    try:
        return str(validate_email(value, check_deliverability=False).normalized)
    except EmailNotValidError as exc:
        raise ValidationError(
            f"{field} {value!r} is not an email address ({exc}): write e.g. sam@example.org"
        ) from None


def normalise_phone(text: str, field: str = "phone") -> str:
    """A phone number in E.164 form (e.g. '+447700900123'); UK numbers may be written nationally (07700 900123)."""
    value = text.strip()
    try:  # digits and the usual separators only (libphonenumber would read letters as on a keypad)
        number = phonenumbers.parse(value, "GB") if _PHONE_TEXT.fullmatch(value) else None
    except phonenumbers.NumberParseException:
        number = None
    if number is not None:
        e164 = phonenumbers.format_number(number, phonenumbers.PhoneNumberFormat.E164)
        if OFCOM_DRAMA.fullmatch(e164) or phonenumbers.is_valid_number(number):
            return e164 + (f" ext. {number.extension}" if number.extension else "")
    raise ValidationError(
        f"{field} {value!r} is not a phone number: write a UK number, e.g. 07700 900123 or +44 7700 900123 "
        "(a number abroad starts with + and its country code)"
    )


def normalise_postcode(text: str, field: str = "postcode") -> str:
    """A UK postcode in upper case with one space before its last three characters, e.g. 'LS6 1AA'."""
    squeezed = re.sub(r"\s+", "", text).upper()
    if not _POSTCODE.fullmatch(squeezed):
        raise ValidationError(f"{field} {text.strip()!r} is not a UK postcode: write e.g. LS6 1AA")
    return f"{squeezed[:-3]} {squeezed[-3:]}"


def looks_like_contact(reference: str) -> str | None:
    """'an email address' or 'a phone number' if a reference looks like one (and so is personal data), else None."""
    value = reference.strip()
    if "@" in value:
        return "an email address"
    digits = re.sub(r"[\s().+-]", "", value)
    if digits.isdigit() and len(digits) >= 9:
        try:
            number = phonenumbers.parse(value, "GB")
        except phonenumbers.NumberParseException:
            return None
        e164 = phonenumbers.format_number(number, phonenumbers.PhoneNumberFormat.E164)
        if OFCOM_DRAMA.fullmatch(e164) or phonenumbers.is_valid_number(number):
            return "a phone number"
    return None
