"""Personal-data requests (S-53, PIPL): what an erasure keeps and how it withdraws the rest.

Pure rules. An erasure keeps the rows that aggregates count (submissions, answers, attendance,
results) and blanks the fields that identify or describe the person: names, ID and mobile
numbers, dates of birth, free texts, files and places. Coded answers (a choice, a yes/no, a
rating, a number) are kept: they count in statistics and say nothing about who gave them.
"""

from __future__ import annotations

import re
from collections.abc import Iterable
from enum import StrEnum
from typing import Any

from bot.forms.schema import QuestionType


class RequestStatus(StrEnum):
    """A request for erasure: pending (in the supervisor's /todo), then erased or refused."""

    PENDING = "pending"
    ERASED = "erased"
    REFUSED = "refused"


class RequestEvent(StrEnum):
    """Audit actions of a request (details: tables and row counts only, never the data)."""

    ASKED = "personal_data.erasure_asked"
    ERASED = "personal_data.erased"
    REFUSED = "personal_data.erasure_refused"
    EXPORTED = "personal_data.exported"


WITHDRAWN = "***"
"""What an erased text becomes where a text must stay (another person's message naming them)."""

KEPT_TYPES = frozenset(
    {
        QuestionType.SINGLE,
        QuestionType.MULTIPLE,
        QuestionType.YES_NO,
        QuestionType.ACKNOWLEDGEMENT,
        QuestionType.RATING,
        QuestionType.SCALE,
        QuestionType.INTEGER,
        QuestionType.DECIMAL,
        QuestionType.COMPUTED,
        QuestionType.REGION,
    }
)
"""Answers that are codes or numbers: kept by an erasure (an education band, a feedback score,
a district for statistics by region, a turnover). Texts, dates (a birth date), ID and mobile
numbers, places, photos and files are erased."""

SHORTEST_SCRUBBED = 2
"""Strings shorter than this are never searched for in others' rows (a one-character answer
such as 无 would match everything)."""


def keeps(kind: QuestionType | None, value: Any) -> bool:
    """Whether an erasure keeps this answer: a coded answer of a kept type, never a text.

    An answer whose question is unknown (a definition changed since) is kept only when it is a
    number or a yes/no."""
    if value is None:
        return True
    number = isinstance(value, bool | int | float)
    if kind is None or kind is QuestionType.COMPUTED:
        return number
    if kind not in KEPT_TYPES:
        return False
    if kind is QuestionType.MULTIPLE:
        return isinstance(value, list) and all(isinstance(item, str) for item in value)
    return number or isinstance(value, str)


_CODE = re.compile(r"[a-z0-9_.:+-]+")
"""A choice's value, a kind, a small number: never searched for (an audit row saying
"lecturer" is not about the person)."""
_DATE = re.compile(r"\d{4}-\d{2}-\d{2}")
_NUMBER = re.compile(r"\d{6,}[\dXx]")
"""An ID card or mobile number (separators aside): always searched for."""


def is_number(text: str) -> bool:
    """An ID card or mobile number, whatever separators it was typed with."""
    return bool(_NUMBER.fullmatch(re.sub(r"[ +-]", "", text)))


def searchable(text: str) -> bool:
    """Whether a withdrawn text is worth looking for in others' rows: a name, an ID or mobile
    number, a free text; not a code, a date or a small number."""
    if len(text) < SHORTEST_SCRUBBED or _DATE.match(text):
        return False
    if is_number(text):
        return True
    return not _CODE.fullmatch(text)


def identifying(values: Iterable[Any]) -> list[str]:
    """The distinct strings to search for and withdraw in other rows (others' messages, the
    web chat's history): names, ID and mobile numbers, free texts; not codes or dates. Longest
    first, so a full name goes before a part of it."""
    found = set()
    for value in values:
        if not isinstance(value, str):
            continue
        text = " ".join(value.split())
        if searchable(text):
            found.add(text)
    return sorted(found, key=lambda text: (-len(text), text))


DISTINCTIVE = 6
"""A free text at least this long is looked for where it may have been quoted to others (a
card showing the answers); a shorter one (很好, 农产品) would match others' own words."""


def quoted_strings(found: Iterable[str], names: Iterable[str]) -> list[str]:
    """What to look for in messages that may have quoted the person to others: what names
    them, their ID and mobile numbers, and their longer free texts."""
    found = list(found)
    return identifying([*names, *(t for t in found if is_number(t) or len(t) >= DISTINCTIVE)])


def naming_strings(found: Iterable[str], names: Iterable[str]) -> list[str]:
    """What to look for in others' own words (a feedback comment, a reason): only what names
    the person, and their ID and mobile numbers."""
    return identifying([*names, *(t for t in found if is_number(t))])


def texts_in(value: Any) -> list[str]:
    """Every string inside a JSON-like value (answers of a repeat group, a file's name)."""
    if isinstance(value, str):
        return [value]
    if isinstance(value, dict):
        return [text for item in value.values() for text in texts_in(item)]
    if isinstance(value, list | tuple):
        return [text for item in value for text in texts_in(item)]
    return []


def scrub(value: Any, strings: Iterable[str], *, own: bool = False) -> Any:
    """`value` with every occurrence of `strings` replaced by WITHDRAWN, inside JSON-like
    values too (dict keys are left: they are field names). `own`: the value is someone else's
    own words, so a text that is exactly one of the strings is theirs (another 王伟's name)
    and stays; only a mention inside a longer text goes."""
    strings = list(strings)
    if isinstance(value, str):
        if own and " ".join(value.split()) in strings:
            return value
        for text in strings:
            if text in value:
                value = value.replace(text, WITHDRAWN)
        return value
    if isinstance(value, dict):
        return {key: scrub(item, strings, own=own) for key, item in value.items()}
    if isinstance(value, list):
        return [scrub(item, strings, own=own) for item in value]
    return value


def mentions(value: Any, strings: Iterable[str]) -> bool:
    """Whether any of `strings` occurs in `value` (a text or a JSON-like value)."""
    texts = texts_in(value)
    return any(text in found for text in strings for found in texts)
