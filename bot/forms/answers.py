"""Turn what a person sent into an answer value, or say exactly what is wrong.

The chat layer reduces a message to an `Input`; `parse` returns the value to store (always
JSON-serialisable) or raises `Rejected` carrying a `Problem`: a message key, the numbers the
message needs, and the definition's own wording when it has one. Nothing here talks to
Telegram or the database, so every rule can be tested by calling a function.
"""

from __future__ import annotations

import math
import re
from collections.abc import Callable, Mapping
from dataclasses import asdict, dataclass, field
from datetime import date
from typing import Any

from bot.forms.expr import ExpressionError
from bot.forms.identity import age_on, parse_id_card, parse_mobile
from bot.forms.regions import children, path, region, search
from bot.forms.schema import ASKED_WITHOUT_ANSWER, LocalText, Question, QuestionType


@dataclass(frozen=True)
class FileRef:
    file_id: str
    file_unique_id: str
    name: str
    size: int
    mime_type: str

    def as_dict(self) -> dict[str, Any]:
        """The stored (JSON) shape; `FileRef(**stored)` reads it back."""
        return asdict(self)


@dataclass(frozen=True)
class Input:
    """One message, reduced to what an answer can be made of."""

    text: str | None = None
    contact_phone: str | None = None
    location: tuple[float, float] | None = None
    files: tuple[FileRef, ...] = ()
    choice: str | None = None


@dataclass(frozen=True)
class Problem:
    """Why an input is not an answer: a message key, its parameters, and a custom wording."""

    key: str
    params: dict[str, Any] = field(default_factory=dict)
    custom: LocalText | None = None


class Rejected(Exception):
    """The input is not an acceptable answer; `problem` says what to tell the person."""

    def __init__(self, problem: Problem) -> None:
        super().__init__(problem.key)
        self.problem = problem

    @classmethod
    def of(cls, key: str, **params: Any) -> Rejected:
        """A rejection with the standard message for `key`."""
        return cls(Problem(key, params))


PROBLEM_KEYS = frozenset(
    {
        "text_needed",
        "text_too_long",
        "integer",
        "decimal",
        "too_small",
        "too_large",
        "date_format",
        "choice_buttons",
        "select_at_least",
        "select_at_most",
        "mobile_format",
        "id_format",
        "id_checksum",
        "id_birth_date",
        "region_unknown",
        "region_ambiguous",
        "region_pick_more",
        "location_needed",
        "file_needed",
        "file_type",
        "file_too_big",
        "file_empty",
        "too_many_files",
        "acknowledge",
        "constraint",
        "required",
    }
)
"""Every key `parse` and `check_required` can produce, so the message catalogue can be checked."""


_reject = Rejected.of


# --- reading typed text -------------------------------------------------------------------

_HALFWIDTH = {code: code - 0xFEE0 for code in range(0xFF01, 0xFF5F)} | {0x3000: " "}


def _halfwidth(text: str) -> str:
    """Chinese input methods type full-width digits and signs (１２，／); read them as ASCII.

    Only the full-width block is mapped: NFKC would also turn "²" into "2" and change numbers.
    """
    return text.translate(_HALFWIDTH).strip()


def _fold(text: str) -> str:
    """For comparing typed words with labels: width, case and spacing do not matter."""
    return " ".join(_halfwidth(text).split()).casefold()


def _plain(number: float) -> float | int:
    """16.0 -> 16 for messages: limits are floats in the schema but usually whole numbers."""
    return int(number) if float(number).is_integer() else number


def _typed(given: Input) -> str:
    return given.text or ""


def _pressed_or_typed(given: Input) -> str:
    """A button's value when one was pressed, otherwise the typed text."""
    return given.choice if given.choice is not None else _typed(given)


def _check_range(question: Question, value: float) -> None:
    if question.minimum is not None and value < question.minimum:
        raise _reject("too_small", min=_plain(question.minimum))
    if question.maximum is not None and value > question.maximum:
        raise _reject("too_large", max=_plain(question.maximum))


# --- one parser per type ------------------------------------------------------------------

Parser = Callable[[Question, Input, date], Any]


def _text(question: Question, given: Input, today: date) -> str:
    """Kept as typed apart from surrounding space; blank is not an answer."""
    text = _typed(given).strip()
    if not text:
        raise _reject("text_needed")
    if len(text) > question.max_length:
        raise _reject("text_too_long", max=question.max_length, length=len(text))
    return text


_INTEGER = re.compile(r"[+-]?[0-9]{1,18}")


def _integer(question: Question, given: Input, today: date) -> int:
    """Whole numbers only ("12.5" is refused, not rounded); 18 digits fit any database."""
    text = _halfwidth(_typed(given))
    if not _INTEGER.fullmatch(text):
        raise _reject("integer")
    value = int(text)
    _check_range(question, value)
    return value


_DECIMAL = re.compile(r"[+-]?(?:[0-9]+(?:\.[0-9]+)?|\.[0-9]+)")


def _decimal(question: Question, given: Input, today: date) -> float:
    """A point, never a comma ("1,5" could mean 15); "。" counts, as IMEs type it for ".".

    The pattern already refuses nan and inf; the finiteness check catches overflow.
    """
    text = _halfwidth(_typed(given)).replace("。", ".")
    if not _DECIMAL.fullmatch(text):
        raise _reject("decimal")
    value = float(text)
    if not math.isfinite(value):
        raise _reject("decimal")
    _check_range(question, value)
    return value


_DATE_PATTERNS = (
    re.compile(r"(?P<y>[0-9]{4})(?P<sep>[-/.])(?P<m>[0-9]{1,2})(?P=sep)(?P<d>[0-9]{1,2})"),
    re.compile(r"(?P<y>[0-9]{4})年(?P<m>[0-9]{1,2})月(?P<d>[0-9]{1,2})[日号]?"),
    re.compile(r"(?P<y>[0-9]{4})(?P<m>[0-9]{2})(?P<d>[0-9]{2})"),
)


def parse_date(text: str) -> date:
    """The ways people in China write a day: 2024-05-01, 2024/5/1, 2024.5.1, 2024年5月1日, 20240501.

    Raises ValueError for anything else, including days that do not exist (2024-02-30).
    """
    compact = "".join(_halfwidth(text).split())
    for pattern in _DATE_PATTERNS:
        match = pattern.fullmatch(compact)
        if match:
            return date(int(match["y"]), int(match["m"]), int(match["d"]))
    raise ValueError(f"not a date: {text!r}")


def _date(question: Question, given: Input, today: date) -> str:
    """Stored as ISO text; limits on dates are written as constraints, not minimum/maximum."""
    try:
        return parse_date(_pressed_or_typed(given)).isoformat()
    except ValueError:
        raise _reject("date_format") from None


def _find_choice(question: Question, text: str) -> str | None:
    """A typed label (either language, any case) or its 1-based number -> the choice value."""
    wanted = _fold(text)
    if not wanted:
        return None
    for choice in question.choices:
        if wanted in (_fold(choice.label.zh_cn), _fold(choice.label.en)):
            return choice.value
    if re.fullmatch(r"[0-9]{1,4}", wanted) and 1 <= int(wanted) <= len(question.choices):
        return question.choices[int(wanted) - 1].value
    return None


def _single(question: Question, given: Input, today: date) -> str:
    """A pressed button must be one of this question's (an old keyboard may still be shown)."""
    if given.choice is not None:
        if any(choice.value == given.choice for choice in question.choices):
            return given.choice
    else:
        found = _find_choice(question, _typed(given))
        if found is not None:
            return found
    raise _reject("choice_buttons", count=len(question.choices))


_LIST_SEPARATORS = re.compile(r"[,，、;；]+")


def _multiple(question: Question, given: Input, today: date) -> list[str]:
    """Done sends the final selection as "a,b"; typed labels or numbers also work.

    Typed items are separated by commas or 、, or by spaces when that is the only way to read
    them ("1 3"). The result follows the definition's order, without repeats.
    """
    values = [choice.value for choice in question.choices]
    if given.choice is not None:
        picked = {part.strip() for part in given.choice.split(",") if part.strip()}
        if not picked <= set(values):
            raise _reject("choice_buttons", count=len(values))
    else:
        parts = [part for part in _LIST_SEPARATORS.split(_typed(given)) if part.strip()]
        if len(parts) == 1 and _find_choice(question, parts[0]) is None:
            parts = parts[0].split()
        found = [_find_choice(question, part) for part in parts]
        if not found or None in found:
            raise _reject("choice_buttons", count=len(values))
        picked = set(found)
    chosen = [value for value in values if value in picked]
    if question.min_selected is not None and len(chosen) < question.min_selected:
        raise _reject("select_at_least", min=question.min_selected)
    if question.max_selected is not None and len(chosen) > question.max_selected:
        raise _reject("select_at_most", max=question.max_selected)
    return chosen


_YES = {"yes", "y", "是", "是的", "对", "对的", "有", "好"}
_NO = {"no", "n", "否", "不是", "不对", "不", "没有", "没", "无"}


def _yes_no(question: Question, given: Input, today: date) -> bool:
    """The buttons send "yes"/"no"; typed, the usual short Chinese and English replies."""
    if given.choice is not None:
        if given.choice in ("yes", "no"):
            return given.choice == "yes"
        raise _reject("choice_buttons")
    word = _fold(_typed(given)).rstrip("。.!！")
    if word in _YES:
        return True
    if word in _NO:
        return False
    raise _reject("choice_buttons")


def _points(low: int, high: int) -> Parser:
    """Rating (1..5) and scale (0..10) read alike: a whole number within the fixed bounds,
    narrowed by the definition's minimum/maximum; a number outside is "too small/large",
    anything else means "use the buttons"."""

    def parse_points(question: Question, given: Input, today: date) -> int:
        text = _halfwidth(_pressed_or_typed(given))
        if not re.fullmatch(r"[+-]?[0-9]{1,3}", text):
            raise _reject("choice_buttons")
        value = int(text)
        least = low if question.minimum is None else max(low, question.minimum)
        most = high if question.maximum is None else min(high, question.maximum)
        if value < least:
            raise _reject("too_small", min=_plain(least))
        if value > most:
            raise _reject("too_large", max=_plain(most))
        return value

    return parse_points


def _mobile(question: Question, given: Input, today: date) -> str:
    """A shared contact is preferred over typed text: Telegram vouches for that number."""
    source = given.contact_phone if given.contact_phone is not None else _typed(given)
    try:
        return parse_mobile(source)
    except ValueError:
        raise _reject("mobile_format") from None


_ID_REASONS = {"format", "checksum", "birth_date"}


def _id_card(question: Question, given: Input, today: date) -> str:
    """Stored normalised so the same card always compares equal."""
    try:
        return parse_id_card(_typed(given), today).number
    except ValueError as error:
        reason = str(error)
        raise _reject(f"id_{reason}" if reason in _ID_REASONS else "id_format") from None


_ALL_REGIONS = 10_000  # more entries than China has, so an ambiguity count is the true number


def _region(question: Question, given: Input, today: date) -> str:
    """A district is the answer; a province or city pressed means "show me what is inside".

    A place with nothing inside (香港, 澳门, 台湾 have no cities in GB/T 2260) is as precise as
    the list allows, so it is accepted rather than leaving the person stuck. Typed text is
    looked up among districts: a unique exact name wins, otherwise exactly one must match.
    """
    if given.choice is not None:
        place = region(given.choice)
        if place is None:
            raise _reject("region_unknown")
        if place.level != "district" and children(place.code):
            raise _reject("region_pick_more", code=place.code, name=place.name)
        return place.code
    text = _typed(given)
    found = search(text, level="district", limit=_ALL_REGIONS) if text.strip() else []
    name = "".join(_halfwidth(text).split())
    exact = [place for place in found if place.name == name]
    if len(exact) == 1:
        return exact[0].code
    if not found:
        raise _reject("region_unknown")
    if len(found) > 1:
        raise _reject("region_ambiguous", count=len(found))
    return found[0].code


def _location(question: Question, given: Input, today: date) -> dict[str, float]:
    """Only a shared location: a typed address cannot be placed on a map reliably."""
    if given.location is None:
        raise _reject("location_needed")
    latitude, longitude = (float(part) for part in given.location)
    if not (-90 <= latitude <= 90 and -180 <= longitude <= 180):  # also refuses nan
        raise _reject("location_needed")
    return {"latitude": latitude, "longitude": longitude}


def _accepts(accept: list[str], ref: FileRef) -> bool:
    """`accept` entries are MIME types ("application/pdf", "image/*") or extensions (".pdf")."""
    mime, name = ref.mime_type.lower(), ref.name.lower()
    for entry in (item.strip().lower() for item in accept):
        if "/" in entry:
            kind, _, subtype = entry.partition("/")
            if mime == entry or (subtype == "*" and mime.startswith(f"{kind}/")):
                return True
        elif name.endswith("." + entry.lstrip(".")):
            return True
    return False


def _files(*, photo: bool) -> Parser:
    """Photos must be images; files must match `accept` when it is set. Both obey the count
    and the per-file size limit, and an empty file (size 0) is refused; a size Telegram did
    not report is -1 (unknown). Each problem names the file it is about."""

    def parse_files(question: Question, given: Input, today: date) -> list[dict[str, Any]]:
        if not given.files:
            raise _reject("file_needed", kind="photo" if photo else "file")
        if len(given.files) > question.max_files:
            raise _reject("too_many_files", max=question.max_files)
        accept = ["image/*"] if photo else question.accept
        for ref in given.files:
            if accept and not _accepts(accept, ref):
                raise _reject("file_type", accept=", ".join(accept), name=ref.name)
            if ref.size == 0:
                raise _reject("file_empty", name=ref.name)
            if ref.size > question.max_size_mb * 1024 * 1024:
                raise _reject("file_too_big", max_mb=_plain(question.max_size_mb), name=ref.name)
        return [ref.as_dict() for ref in given.files]

    return parse_files


def _acknowledgement(question: Question, given: Input, today: date) -> bool:
    """Only the button counts: typing "ok" is too easy to do without reading."""
    if given.choice == "yes":
        return True
    raise _reject("acknowledge")


_PARSERS: dict[QuestionType, Parser] = {
    QuestionType.TEXT: _text,
    QuestionType.INTEGER: _integer,
    QuestionType.DECIMAL: _decimal,
    QuestionType.DATE: _date,
    QuestionType.SINGLE: _single,
    QuestionType.MULTIPLE: _multiple,
    QuestionType.YES_NO: _yes_no,
    QuestionType.RATING: _points(1, 5),
    QuestionType.SCALE: _points(0, 10),
    QuestionType.MOBILE: _mobile,
    QuestionType.ID_CARD: _id_card,
    QuestionType.REGION: _region,
    QuestionType.LOCATION: _location,
    QuestionType.PHOTO: _files(photo=True),
    QuestionType.FILE: _files(photo=False),
    QuestionType.ACKNOWLEDGEMENT: _acknowledgement,
}


# --- public API ---------------------------------------------------------------------------


def parse(question: Question, given: Input, *, answers: Mapping[str, Any], today: date) -> Any:
    """The stored value for this input, or raise Rejected.

    The type's own reading (format, range, length) comes first, then the definition's
    constraint with `.` bound to the parsed value (a date as a date, as the runner's scope
    shows dates). A constraint that cannot be evaluated (ExpressionError) counts as not
    satisfied: a form must not accept what it cannot check.
    """
    if question.type in ASKED_WITHOUT_ANSWER:
        raise ValueError(f"a {question.type} question is never answered, so never parsed")
    value = _PARSERS[question.type](question, given, today)
    if question.constraint is not None:
        seen = date.fromisoformat(value) if question.type is QuestionType.DATE else value
        try:
            satisfied = question.constraint.truthy(answers, value=seen, today=today)
        except ExpressionError:
            satisfied = False
        if not satisfied:
            raise Rejected(Problem("constraint", {}, question.constraint_message))
    return value


def check_required(question: Question, value: Any) -> None:
    """Raise Rejected when a required question has no answer (None, blank, or nothing picked).

    False (a "no") and 0 (a scale of zero) are answers, not gaps.
    """
    if not question.required:
        return
    blank = isinstance(value, str) and not value.strip()
    if value is None or blank or (isinstance(value, list | tuple | dict) and not value):
        raise Rejected(Problem("required", {}, question.required_message))


def derived(question: Question, value: Any, today: date) -> dict[str, Any]:
    """Answers computed from this one, so later questions and exports can use them directly.

    id_card -> birth date, age today and gender; region -> its province and city codes
    (city is None only for 香港, 澳门 and 台湾, which have no cities). Nothing for other types
    or when there is no value.
    """
    if value is None:
        return {}
    if question.type is QuestionType.ID_CARD:
        card = parse_id_card(value, today)
        return {
            f"{question.id}_birth_date": card.birth_date.isoformat(),
            f"{question.id}_age": age_on(card.birth_date, today),
            f"{question.id}_gender": card.gender,
        }
    if question.type is QuestionType.REGION:
        levels: dict[str, str | None] = {"province": None, "city": None}
        for place in path(value):
            if place.level in levels:
                levels[place.level] = place.code
        return {f"{question.id}_{level}": code for level, code in levels.items()}
    return {}
