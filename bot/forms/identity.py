"""Resident ID-card (GB 11643) and mainland mobile numbers, as people actually type them.

Input comes from phone keyboards, so full-width digits, spaces and dashes are normalised
first (NFKC) and only then checked strictly against ASCII digits. Errors are ``ValueError``
with a short reason code in ``args[0]`` for the form runner to turn into a localised hint;
the number itself is never put in the message, so it cannot leak into logs.
"""

from __future__ import annotations

import re
import unicodedata
from dataclasses import dataclass
from datetime import date
from typing import Literal

from stdnum.cn import ric
from stdnum.exceptions import ValidationError

MAX_AGE = 120
_ID_CARD = re.compile(r"[0-9]{17}[0-9X]")
_MOBILE = re.compile(r"(?:\+?86|0086)?(1[3-9][0-9]{9})")
_SEPARATORS = re.compile(r"[\s\-()]+")


@dataclass(frozen=True)
class IdCard:
    number: str  # 18 characters, check digit X upper-case
    birth_date: date
    gender: Literal["male", "female"]
    region_code: str  # first 6 digits, as issued (may be a since-abolished division)


def _normalise(text: str) -> str:
    return _SEPARATORS.sub("", unicodedata.normalize("NFKC", text))


def age_on(birth: date, day: date) -> int:
    """Completed years on ``day``; someone born on 29 February ages on 1 March in other years."""
    return day.year - birth.year - ((day.month, day.day) < (birth.month, birth.day))


def parse_id_card(text: str, today: date) -> IdCard:
    """Check an 18-digit resident ID number; reasons: "format", "checksum", "birth_date".

    15-digit first-generation numbers are refused: they expired in 2013 and carry no check digit.
    """
    number = "".join(unicodedata.normalize("NFKC", text).split()).upper()
    if not _ID_CARD.fullmatch(number):
        raise ValueError("format")
    if ric.calc_check_digit(number) != number[-1]:
        raise ValueError("checksum")
    try:
        birth = ric.get_birth_date(number)
    except ValidationError:
        raise ValueError("birth_date") from None
    if birth > today or age_on(birth, today) > MAX_AGE:
        raise ValueError("birth_date")
    gender: Literal["male", "female"] = "male" if int(number[16]) % 2 else "female"
    return IdCard(number, birth, gender, number[:6])


def parse_mobile(text: str) -> str:
    """The 11 digits of a mainland mobile number, with or without +86; reason: "format"."""
    match = _MOBILE.fullmatch(_normalise(text))
    if match is None:
        raise ValueError("format")
    return match[1]
