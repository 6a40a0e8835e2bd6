"""Statistics (S-17, S-41; article 24(三) 「按班级、区域、时间、机构等实时统计分析」): pure rules.

A figure is a `Tally` per class (how many people it is about, a numerator, a denominator),
added up into the rows of a dimension; `figure` decides what may be shown of it: counts below
`MIN_PEOPLE` people are shown as "<3", averages and rates over fewer people are hidden the same
way, so no figure can point at one person.
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping
from dataclasses import dataclass
from datetime import date
from enum import StrEnum
from typing import NamedTuple

MIN_PEOPLE = 3
"""Fewer people than this behind a figure and it could identify one of them."""
FEW = "<3"
"""Shown instead of a figure behind fewer than MIN_PEOPLE people."""


class Dimension(StrEnum):
    CLASS = "class"
    REGION = "region"
    INSTITUTION = "institution"
    MONTH = "month"
    QUARTER = "quarter"


class Period(StrEnum):
    """Which classes count, by their first day (in the actor's today)."""

    ALL = "all"
    YEAR = "year"
    QUARTER = "quarter"
    MONTH = "month"


class Measure(StrEnum):
    COUNT = "count"
    """People: `num` is the count (= `people`)."""
    SUM = "sum"
    """A total over `people` people (jobs created)."""
    RATE = "rate"
    """`num` / `den`, a share from 0 to 1, over `people` people."""
    AVERAGE = "average"
    """`num` / `den`: the sum of answers over their number, given by `people` people."""


@dataclass(frozen=True)
class Column:
    key: str
    measure: Measure


COLUMNS: tuple[Column, ...] = (
    Column("enrolled", Measure.COUNT),
    Column("screened_online", Measure.COUNT),
    Column("screened_siyb", Measure.COUNT),
    Column("screened_not_now", Measure.COUNT),
    Column("attendance", Measure.RATE),
    Column("feedback", Measure.AVERAGE),
    Column("evaluation", Measure.AVERAGE),
    Column("submitted", Measure.COUNT),
    Column("passed", Measure.COUNT),
    Column("coaching", Measure.COUNT),
    Column("certificates", Measure.COUNT),
    Column("followup", Measure.RATE),
    Column("businesses", Measure.COUNT),
    Column("jobs", Measure.SUM),
    Column("turnover_low", Measure.COUNT),
    Column("turnover_mid", Measure.COUNT),
    Column("turnover_high", Measure.COUNT),
)
"""Every figure of a statistics row, in the order tables show them."""
MEASURES = {column.key: column.measure for column in COLUMNS}

TURNOVER_BANDS = (1_000.0, 10_000.0)
"""Turnover (yuan) bands: below the first (low), up to the second (mid), from it on (high)."""


class Tally(NamedTuple):
    """What one figure adds up: people behind it, a numerator, a denominator (rates and
    averages). Tallies of classes add up into a row (a tuple: a province adds up thousands)."""

    people: int = 0
    num: float = 0.0
    den: float = 0.0

    def __add__(self, other: object) -> Tally:
        if not isinstance(other, Tally):
            return NotImplemented
        return Tally(self.people + other.people, self.num + other.num, self.den + other.den)


Shown = int | float | str | None
"""A figure as it may be shown: a number, FEW, or None (nothing to show: no answers yet, or
the figure is not collected yet)."""


def figure(measure: Measure, tally: Tally | None) -> Shown:
    """What of `tally` may be shown. None for a figure not collected (tally None) and for a rate
    or average with nothing to divide by; FEW whenever 1 or 2 people are behind it."""
    if tally is None:
        return None
    if measure in (Measure.COUNT, Measure.SUM):
        if tally.people <= 0:
            return 0
        if tally.people < MIN_PEOPLE:
            return FEW
        return int(tally.num) if measure is Measure.COUNT else tally.num
    if tally.den <= 0 or tally.people <= 0:
        return None
    if tally.people < MIN_PEOPLE:
        return FEW
    return tally.num / tally.den


def band(turnover: float) -> str:
    """The turnover column a sales figure counts in."""
    low, high = TURNOVER_BANDS
    return (
        "turnover_low" if turnover < low else "turnover_mid" if turnover < high else "turnover_high"
    )


def month_key(day: date) -> str:
    return f"{day.year:04d}-{day.month:02d}"


def quarter_key(day: date) -> str:
    return f"{day.year:04d}-Q{(day.month - 1) // 3 + 1}"


@dataclass(frozen=True)
class Span:
    """Classes whose first day is on or after `start` and before `end` (None: open)."""

    start: date | None = None
    end: date | None = None


def span(period: Period, today: date) -> Span:
    """The calendar month, quarter or year `today` is in, or everything."""
    if period is Period.ALL:
        return Span()
    if period is Period.YEAR:
        return Span(date(today.year, 1, 1), date(today.year + 1, 1, 1))
    months = 3 if period is Period.QUARTER else 1
    first = (today.month - 1) // months * months + 1
    start = date(today.year, first, 1)
    after = first + months
    end = date(today.year + (after > 12), (after - 1) % 12 + 1, 1)
    return Span(start, end)


def descendants(parents: Mapping[int, int | None], roots: Iterable[int]) -> set[int]:
    """The regions `roots` and every region under them (`parents`: region → its parent)."""
    children: dict[int, list[int]] = {}
    for region, parent in parents.items():
        if parent is not None:
            children.setdefault(parent, []).append(region)
    found: set[int] = set()
    todo = [r for r in roots if r in parents]
    while todo:
        region = todo.pop()
        if region in found:
            continue
        found.add(region)
        todo.extend(children.get(region, ()))
    return found


def roll_up(
    parts: Mapping[str, Mapping[int, Tally]], groups: Mapping[int, object]
) -> dict[object, dict[str, Tally]]:
    """Per-class tallies (column → class → tally) added up by each class's group."""
    rows: dict[object, dict[str, list[float]]] = {}
    for key, by_class in parts.items():
        for class_id, (people, num, den) in by_class.items():
            group = groups.get(class_id)
            if group is None:
                continue
            row = rows.setdefault(group, {})
            sums = row.get(key)
            if sums is None:
                row[key] = [people, num, den]
            else:
                sums[0] += people
                sums[1] += num
                sums[2] += den
    return {
        group: {key: Tally(int(p), n, d) for key, (p, n, d) in row.items()}
        for group, row in rows.items()
    }
