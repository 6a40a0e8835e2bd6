"""Who may join a class (S-5, S-7): room in it, overlapping dates, the trainee's screening,
and the rows of a trainee list imported from Excel.

A class holds at most 30 people (S-7); pending places (joined by link, screening not yet
confirmed) and unused personal invitations count, so a class can never be promised to a 31st.
"""

from __future__ import annotations

import unicodedata
from collections.abc import Sequence
from dataclasses import dataclass
from datetime import date
from enum import StrEnum
from typing import Any

from bot.domain.classes import ClassStatus
from bot.domain.screening import Outcome
from bot.forms.identity import parse_id_card, parse_mobile

MAX_CLASS_SIZE = 30
MAX_IMPORT_ROWS = 200
MAX_IMPORT_BYTES = 1024 * 1024
NAME_LENGTH = (2, 30)


class PlaceStatus(StrEnum):
    """A place in a class (`Enrollment.status`): pending waits for the trainee's screening."""

    ENROLLED = "enrolled"
    PENDING = "pending"
    WITHDRAWN = "withdrawn"


class PlaceSource(StrEnum):
    """How a place was asked for (`Enrollment.source`)."""

    LINK = "link"
    STAFF = "staff"
    IMPORT = "import"


ENROLLED = PlaceStatus.ENROLLED
PENDING = PlaceStatus.PENDING
WITHDRAWN = PlaceStatus.WITHDRAWN
ACTIVE = (ENROLLED, PENDING)


class Screening(StrEnum):
    """What the trainee's confirmed screening says about online-entrepreneurship training."""

    SUITABLE = "suitable"
    UNDECIDED = "undecided"
    UNSUITABLE = "unsuitable"


def screening_of(decided: str | None) -> Screening:
    """From a screening case's decision: "online" is suitable, "siyb" or "not_now" is not,
    anything else (no case, not yet decided, superseded) is still open."""
    if decided == Outcome.ONLINE:
        return Screening.SUITABLE
    if decided in (Outcome.SIYB, Outcome.NOT_NOW):
        return Screening.UNSUITABLE
    return Screening.UNDECIDED


class Admission(StrEnum):
    """What happens when someone asks to join: a place (enrolled or pending) or a refusal."""

    ENROLLED = "enrolled"
    PENDING = "pending"
    ALREADY = "already"
    DUPLICATE = "duplicate"
    NOT_OPEN = "not_open"
    UNSUITABLE = "unsuitable"
    OVERLAP = "overlap"
    FULL = "full"


PLACED = (Admission.ENROLLED, Admission.PENDING)


@dataclass(frozen=True)
class Span:
    """The first and last day a class meets, in its own time zone."""

    first: date
    last: date


def overlaps(a: Span, b: Span) -> bool:
    """Two classes overlap when they share at least one day."""
    return a.first <= b.last and b.first <= a.last


def is_open(status: str, span: Span, today: date) -> bool:
    """An approved class takes trainees until its last day."""
    return status == ClassStatus.APPROVED and today <= span.last


def room_left(taken: int, capacity: int) -> int:
    return max(0, min(capacity, MAX_CLASS_SIZE) - taken)


def admission(
    *,
    current: str | None,
    open_: bool,
    screening: Screening,
    clash: bool,
    room: int,
    duplicate: bool = False,
) -> Admission:
    """The verdict for one person and one class.

    `current` is their existing place in this class (enrolled, pending, withdrawn or None);
    `clash` whether another class of theirs shares a day; `room` the places left;
    `duplicate` whether another person registered with the same ID number already holds a
    place (enrolled or pending) in this class: one human is never in a class twice. A pending
    place already holds its seat, so it turns into enrolled even in a full class.
    """
    if current == ENROLLED:
        return Admission.ALREADY
    if duplicate:
        return Admission.DUPLICATE
    if not open_:
        return Admission.NOT_OPEN
    if screening is Screening.UNSUITABLE:
        return Admission.UNSUITABLE
    if clash:
        return Admission.OVERLAP
    if current != PENDING and room < 1:
        return Admission.FULL
    return Admission.ENROLLED if screening is Screening.SUITABLE else Admission.PENDING


def needs_seat(current: str | None, verdict: Admission) -> bool:
    """Whether this verdict takes a place that was free before."""
    return verdict in PLACED and current not in ACTIVE


# --- imported trainee lists ---------------------------------------------------------------


class Column(StrEnum):
    NAME = "name"
    MOBILE = "mobile"
    ID_NUMBER = "id_number"


HEADERS = {
    Column.NAME: ("姓名", "name", "fullname"),
    Column.MOBILE: ("手机号", "手机号码", "手机", "mobile", "phone", "mobilenumber"),
    Column.ID_NUMBER: ("身份证号", "身份证号码", "身份证", "idnumber", "idcard", "id"),
}


class TableRefused(ValueError):
    """The file as a whole cannot be imported: `code` says why, `params` fill the message."""

    def __init__(self, code: str, **params: Any) -> None:
        super().__init__(code)
        self.code = code
        self.params = params


@dataclass(frozen=True)
class RowProblem:
    """Why one row cannot be imported; `code` picks the message, the rest fill it."""

    code: str
    other_row: int | None = None
    class_name: str | None = None
    seats: int | None = None
    outcome: str | None = None


@dataclass(frozen=True)
class ImportRow:
    """One row as read; `mobile` and `id_number` are normalised when they are valid."""

    number: int
    name: str
    mobile: str
    id_number: str
    problems: tuple[RowProblem, ...] = ()

    @property
    def valid(self) -> bool:
        return not self.problems


def _header_key(value: Any) -> str:
    text = unicodedata.normalize("NFKC", str(value or ""))
    return "".join(ch for ch in text.casefold() if ch.isalnum())


def find_columns(header: Sequence[Any]) -> dict[Column, int]:
    """Positions of the three columns by their header (Chinese or English, any case)."""
    keys = [_header_key(value) for value in header]
    found: dict[Column, int] = {}
    for column, names in HEADERS.items():
        for position, key in enumerate(keys):
            if key in names and column not in found:
                found[column] = position
    missing = [column for column in Column if column not in found]
    if missing:
        raise TableRefused("missing_columns", columns=[str(column) for column in missing])
    return found


def split_table(rows: Sequence[tuple[int, tuple[Any, ...]]]) -> tuple[dict[Column, int], list]:
    """The header's columns and the data rows under it, within the row limit."""
    if not rows:
        raise TableRefused("empty")
    columns = find_columns(rows[0][1])
    data = list(rows[1:])
    if not data:
        raise TableRefused("empty")
    if len(data) > MAX_IMPORT_ROWS:
        raise TableRefused("too_many_rows", max=MAX_IMPORT_ROWS, count=len(data))
    return columns, data


def _text(value: Any) -> str:
    if value is None:
        return ""
    if isinstance(value, float) and value.is_integer():
        value = int(value)
    return " ".join(str(value).split())


def _name(value: Any) -> tuple[str, RowProblem | None]:
    name = _text(value)
    if not name:
        return name, RowProblem("name_missing")
    if not NAME_LENGTH[0] <= len(name) <= NAME_LENGTH[1]:
        return name, RowProblem("name_length")
    return name, None


def _mobile(value: Any) -> tuple[str, RowProblem | None]:
    text = _text(value)
    if not text:
        return text, RowProblem("mobile_missing")
    try:
        return parse_mobile(text), None
    except ValueError:
        return text, RowProblem("mobile_format")


def _id_number(value: Any, today: date) -> tuple[str, RowProblem | None]:
    """Excel keeps 15 significant digits, so an ID typed into a number cell is already lost."""
    if isinstance(value, int | float) and not isinstance(value, bool):
        return _text(value), RowProblem("id_as_number")
    text = _text(value)
    if not text:
        return text, RowProblem("id_missing")
    try:
        return parse_id_card(text, today).number, None
    except ValueError as error:
        return text, RowProblem(f"id_{error.args[0]}")


def check_rows(
    rows: Sequence[tuple[int, tuple[Any, ...]]], columns: dict[Column, int], today: date
) -> list[ImportRow]:
    """Every row with all its problems; a number seen in an earlier row is a duplicate."""

    def cell(values: tuple[Any, ...], column: Column) -> Any:
        position = columns[column]
        return values[position] if position < len(values) else None

    checked: list[ImportRow] = []
    seen: dict[str, int] = {}
    for number, values in rows:
        name, name_problem = _name(cell(values, Column.NAME))
        mobile, mobile_problem = _mobile(cell(values, Column.MOBILE))
        id_number, id_problem = _id_number(cell(values, Column.ID_NUMBER), today)
        problems = [p for p in (name_problem, mobile_problem, id_problem) if p is not None]
        keys = []
        if id_problem is None:
            keys.append(f"id:{id_number}")
        if mobile_problem is None:
            keys.append(f"mobile:{mobile}")
        earlier = next((seen[key] for key in keys if key in seen), None)
        if earlier is not None:
            problems.append(RowProblem("duplicate", other_row=earlier))
        for key in keys:
            seen.setdefault(key, number)
        checked.append(ImportRow(number, name, mobile, id_number, tuple(problems)))
    return checked


class RowResult(StrEnum):
    """What an import did with a good row."""

    ENROLLED = "enrolled"
    PENDING = "pending"
    ALREADY = "already"
    INVITED = "invited"
