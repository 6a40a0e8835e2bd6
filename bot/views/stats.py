"""/stats, pure: the picker (dimension and period), one page of the table as text, its chart and
its XLSX. Figures arrive already under the small-count rule (bot.services.stats.Table); here
they are only formatted."""

from __future__ import annotations

from datetime import timedelta
from enum import StrEnum

from aiogram.filters.callback_data import CallbackData
from aiogram.types import InlineKeyboardButton, InlineKeyboardMarkup

from bot import charts, xlsx
from bot.domain.stats import FEW, MEASURES, Dimension, Measure, Period, Shown
from bot.i18n import I18n
from bot.services.stats import Row, Table
from bot.views.pages import Page, in_rows, turns, with_turns

ROWS_PER_PAGE = 8
"""Groups on one page of the table: each is a few lines, so a page stays far under 4,096."""
LABEL = 40
"""A group's name is cut to this many characters in chat (in full in the XLSX)."""
CHARTED = 15
"""Groups one chart shows (the first of the table's order; the text says how many more)."""
CHART_COLUMN = "enrolled"


class Do(StrEnum):
    PICK = "pick"
    """Redraw the picker with `d` and `p` chosen."""
    SHOW = "show"
    """Send the table (page 0) and its chart."""
    PAGE = "page"
    """Edit the table in place to page `g`."""
    XLSX = "xlsx"
    """Send the whole table as an .xlsx file."""


class StatsCb(CallbackData, prefix="stt"):
    a: Do
    d: Dimension
    p: Period
    g: int = 0


def _button(text: str, data: CallbackData) -> InlineKeyboardButton:
    return InlineKeyboardButton(text=text, callback_data=data.pack())


def picker_view(
    i18n: I18n, dimension: Dimension, period: Period
) -> tuple[str, InlineKeyboardMarkup]:
    """Choose what to group by and which classes (by first day) count; ✓ marks the choice."""

    def mark(chosen: bool, name: str) -> str:
        return f"✓ {name}" if chosen else name

    dimensions = [
        _button(
            mark(d is dimension, i18n("stats.dimension", d=d.value)),
            StatsCb(a=Do.PICK, d=d, p=period),
        )
        for d in Dimension
    ]
    periods = [
        _button(
            mark(p is period, i18n("stats.period", p=p.value)), StatsCb(a=Do.PICK, d=dimension, p=p)
        )
        for p in Period
    ]
    show = _button(i18n("stats.show"), StatsCb(a=Do.SHOW, d=dimension, p=period))
    rows = [*in_rows(dimensions, 3), *in_rows(periods, 4), [show]]
    text = i18n("stats.picker", d=dimension.value, p=period.value)
    return text, InlineKeyboardMarkup(inline_keyboard=rows)


def shown(key: str, value: Shown) -> str:
    """A figure as text: "—" when there is none, "<3" under the small-count rule."""
    if value is None:
        return "—"
    if value == FEW:
        return FEW
    measure = MEASURES[key]
    if measure is Measure.RATE:
        return f"{100 * float(value):.0f}%"
    if measure is Measure.AVERAGE:
        return f"{float(value):.2f}"
    return f"{float(value):.0f}"


def _cut(label: str) -> str:
    return label if len(label) <= LABEL else label[: LABEL - 1] + "…"


def _row(row: Row, label: str) -> dict[str, object]:
    figures = {key: shown(key, value) for key, value in row.figures.items()}
    return {"label": _cut(label), "n": row.classes, "f": figures}


def table_view(
    i18n: I18n, table: Table, dimension: Dimension, period: Period, page: int
) -> tuple[str, InlineKeyboardMarkup]:
    """One page of groups, the total first; ◀ ▶, the XLSX and back to the picker."""
    found = Page.of(table.rows, page, ROWS_PER_PAGE)
    rows = [_row(table.total, i18n("stats.total"))]
    rows += [_row(row, row.label or row.key) for row in found.items]
    last = table.period.end - timedelta(days=1) if table.period.end else None
    text = i18n(
        "stats.table",
        d=dimension.value,
        p=period.value,
        start=table.period.start,
        last=last,
        rows=rows,
        groups=found.total,
        page=found.page + 1,
        pages=found.pages,
        pending=table.pending,
    )
    turn = turns(
        i18n, found.page, found.pages, lambda g: StatsCb(a=Do.PAGE, d=dimension, p=period, g=g)
    )
    buttons = with_turns([], turn)
    buttons.append(
        [
            _button(i18n("stats.xlsx"), StatsCb(a=Do.XLSX, d=dimension, p=period)),
            _button(i18n("stats.change"), StatsCb(a=Do.PICK, d=dimension, p=period)),
        ]
    )
    return text, InlineKeyboardMarkup(inline_keyboard=buttons)


def chart(i18n: I18n, table: Table, dimension: Dimension, period: Period) -> bytes:
    """Enrolled per group (the first CHARTED groups), "<3" written where the rule hides it."""
    bars = [(row.label or row.key, row.figures.get(CHART_COLUMN)) for row in table.rows[:CHARTED]]
    title = i18n(
        "stats.chart_title",
        d=dimension.value,
        p=period.value,
        more=max(len(table.rows) - CHARTED, 0),
    )
    return charts.counts(title, [(label, value) for label, value in bars])


def header(i18n: I18n, table: Table, dimension: Dimension) -> list[str]:
    return [
        i18n("stats.dimension", d=dimension.value),
        i18n("stats.classes"),
        *(i18n("stats.column", c=key) for key in table.columns),
    ]


def workbook(i18n: I18n, table: Table, dimension: Dimension, period: Period) -> bytes:
    """The whole table (every group and the total) as one sheet; "<3" and "—" as text."""

    def cells(row: Row, label: str) -> list[object]:
        values: list[object] = [label, row.classes]
        for key in table.columns:
            value = row.figures.get(key)
            if value is None or value == FEW:
                values.append(shown(key, value))
            elif MEASURES[key] is Measure.RATE:
                values.append(round(float(value), 4))
            elif MEASURES[key] is Measure.AVERAGE:
                values.append(round(float(value), 2))
            else:
                values.append(value)
        return values

    rows = [cells(row, row.label or row.key) for row in table.rows]
    rows.append(cells(table.total, i18n("stats.total")))
    title = i18n("stats.sheet", d=dimension.value, p=period.value)
    return xlsx.write_rows(title, header(i18n, table, dimension), rows)


def filename(dimension: Dimension, period: Period) -> str:
    return f"stats-{dimension.value}-{period.value}.xlsx"
