"""What the console's tables export, pure: a header and rows, with labels or codes (as Kobo's
exports offer), then the same table as XLSX (bot/xlsx.py) or CSV.

Codes are the stored values (`approved`, `in_progress`, column `start_date`); labels are the
person's language (`已批准开班`, `培训中`, `开班日期`). Numbers shown are already masked or not
by the use case (bot/services/console.py), never here.
"""

from __future__ import annotations

import csv
import io
from collections.abc import Sequence
from dataclasses import dataclass
from datetime import date, datetime
from enum import StrEnum
from typing import Any

from bot.domain.campaigns import Reply
from bot.domain.checkin import PersonSummary
from bot.domain.stats import FEW, MEASURES, Dimension, Measure
from bot.i18n import text
from bot.services.stats import Row
from bot.services.stats import Table as StatsTable
from bot.views.stats import shown
from bot.xlsx import XLSX_MIME, write_rows
from storage.console import ClassRow

CSV_MIME = "text/csv"
FORMULA_START = ("=", "+", "-", "@", "\t", "\r")
"""A CSV cell starting with one of these would run as a formula in a spreadsheet."""


class Values(StrEnum):
    LABELS = "labels"
    CODES = "codes"


class Format(StrEnum):
    XLSX = "xlsx"
    CSV = "csv"


@dataclass(frozen=True)
class Table:
    name: str
    header: list[str]
    rows: list[list[Any]]


CLASS_COLUMNS = (
    "id", "name", "programme", "institution", "start_date", "status", "stage", "capacity",
    "enrolled",
)  # fmt: skip
TRAINEE_COLUMNS = (
    "person_id", "trainee", "id_number", "mobile", "programme", "institution", "state",
    "updated_at",
)  # fmt: skip
TODO_COLUMNS = ("kind", "id", "name", "detail", "at")
ROSTER_COLUMNS = (
    "trainee", "rate", "attended", "total", "present", "late", "left_early", "absent", "excused",
)  # fmt: skip


def _header(locale: str, columns: Sequence[str], values: Values) -> list[str]:
    if values is Values.CODES:
        return list(columns)
    return [text(locale, "console.col", name=column) for column in columns]


def _label(locale: str, key: str, arg: str, value: str | None, values: Values) -> str:
    """A stored value as its label in `locale` (macro `key` taking it as `arg`), or as is."""
    if not value:
        return ""
    if values is Values.CODES:
        return value
    return text(locale, key, **{arg: value})


def classes_table(locale: str, rows: Sequence[ClassRow], values: Values) -> Table:
    out = []
    for row in rows:
        c = row.training_class
        out.append(
            [
                c.id,
                c.name,
                _label(locale, "classes.programme_name", "programme", c.programme, values),
                row.institution,
                c.start_date,
                _label(locale, "console.phase_name", "phase", c.status, values),
                _label(locale, "console.phase_name", "phase", c.stage, values),
                c.capacity,
                row.enrolled,
            ]
        )
    return Table("classes", _header(locale, CLASS_COLUMNS, values), out)


def trainees_table(locale: str, lines: Sequence[Any], values: Values, tz: Any) -> Table:
    """`lines`: bot.services.console.TraineeLine (numbers already shown as the role may)."""
    out = []
    for line in lines:
        row = line.row
        out.append(
            [
                row.person_id,
                line.name,
                line.id_number,
                line.mobile,
                _label(locale, "classes.programme_name", "programme", row.programme, values)
                if row.programme in ("trainee", "lecturer", "trainer")
                else row.programme,
                row.institution,
                _label(locale, "intake.state_name", "state", row.state, values),
                row.updated_at.astimezone(tz).replace(tzinfo=None) if row.updated_at else None,
            ]
        )
    return Table("trainees", _header(locale, TRAINEE_COLUMNS, values), out)


def roster_table(locale: str, people: Sequence[tuple[str, PersonSummary]], values: Values) -> Table:
    out = [
        [
            name,
            row.rate,
            row.tally.attended,
            row.tally.total,
            row.tally.present,
            row.tally.late,
            row.tally.left_early,
            row.tally.absent,
            row.tally.excused,
        ]
        for name, row in people
    ]
    return Table("roster", _header(locale, ROSTER_COLUMNS, values), out)


def todo_table(locale: str, items: Sequence[Any], values: Values, tz: Any) -> Table:
    """`items`: storage.todo.Item, the inbox's lines."""
    out = [
        [
            _label(locale, "console.todo_kind", "kind", item.kind.value, values),
            item.id,
            item.name,
            item.detail,
            item.at.astimezone(tz).replace(tzinfo=None) if item.at else None,
        ]
        for item in items
    ]
    return Table("todo", _header(locale, TODO_COLUMNS, values), out)


RECIPIENT_COLUMNS = ("trainee", "state")


def stats_table(locale: str, table: StatsTable, dimension: Dimension, values: Values) -> Table:
    """The statistics as the dashboard shows them, every group and the total last; a figure
    under the small-count rule stays "<3", one not collected "—" (as /stats's XLSX)."""
    if values is Values.CODES:
        header = [dimension.value, "classes", *table.columns]
    else:
        header = [
            text(locale, "stats.dimension", d=dimension.value),
            text(locale, "stats.classes"),
            *(text(locale, "stats.column", c=key) for key in table.columns),
        ]

    def cells(row: Row, label: str) -> list[Any]:
        out: list[Any] = [label, row.classes]
        for key in table.columns:
            value = row.figures.get(key)
            if value is None or value == FEW:
                out.append(shown(key, value))
            elif MEASURES[key] is Measure.RATE:
                out.append(round(float(value), 4))
            elif MEASURES[key] is Measure.AVERAGE:
                out.append(round(float(value), 2))
            else:
                out.append(value)
        return out

    rows = [
        cells(row, row.key if values is Values.CODES else row.label or row.key)
        for row in table.rows
    ]
    rows.append(
        cells(table.total, "total" if values is Values.CODES else text(locale, "stats.total"))
    )
    return Table(f"stats-{dimension.value}", header, rows)


def recipients_table(
    locale: str, campaign_id: int, rows: Sequence[tuple[str, Reply]], values: Values
) -> Table:
    """A campaign's recipients (names only) and where each stands."""
    out = [
        [name, _label(locale, "campaigns.state_name", "state", state.value, values)]
        for name, state in rows
    ]
    return Table(f"campaign-{campaign_id}", _header(locale, RECIPIENT_COLUMNS, values), out)


def _csv_cell(value: Any) -> str:
    if value is None:
        return ""
    if isinstance(value, datetime | date):
        return value.isoformat(sep=" ") if isinstance(value, datetime) else value.isoformat()
    shown = str(value)
    return "'" + shown if isinstance(value, str) and shown.startswith(FORMULA_START) else shown


def encoded(table: Table, form: Format) -> tuple[bytes, str]:
    """The table as a file: its bytes and content type. CSV is UTF-8 with a BOM (so Excel reads
    Chinese), text that would run as a formula is quoted with a leading apostrophe."""
    if form is Format.XLSX:
        return write_rows(table.name, table.header, table.rows), XLSX_MIME
    buffer = io.StringIO()
    writer = csv.writer(buffer)
    writer.writerow(table.header)
    writer.writerows([_csv_cell(value) for value in row] for row in table.rows)
    return ("\ufeff" + buffer.getvalue()).encode("utf-8"), CSV_MIME
