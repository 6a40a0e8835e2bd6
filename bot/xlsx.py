"""The small .xlsx tables staff exchange with the bot: read one they send, write one back.

Files come from strangers' phones, so reading is bounded: the archive's unpacked size is
checked before openpyxl sees it (a 1 MB upload can unpack to gigabytes), only the first
columns and rows are scanned, and any failure inside openpyxl means "unreadable".
"""

from __future__ import annotations

import io
import logging
import zipfile
from collections.abc import Iterable, Sequence
from typing import Any

from openpyxl import Workbook, load_workbook
from openpyxl.utils import get_column_letter

log = logging.getLogger(__name__)

MAX_UNPACKED = 20 * 1024 * 1024
MAX_COLUMNS = 26
MAX_SCANNED_ROWS = 10_000
XLSX_MIME = "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet"


class SheetUnreadable(ValueError):
    """Not an .xlsx workbook that can be read safely."""


def _blank(value: Any) -> bool:
    return value is None or (isinstance(value, str) and not value.strip())


def read_rows(data: bytes) -> list[tuple[int, tuple[Any, ...]]]:
    """The non-empty rows of the first sheet, each with its row number as Excel shows it."""
    try:
        with zipfile.ZipFile(io.BytesIO(data)) as archive:
            if sum(info.file_size for info in archive.infolist()) > MAX_UNPACKED:
                raise SheetUnreadable("unpacks too large")
        workbook = load_workbook(io.BytesIO(data), read_only=True, data_only=True)
        try:
            sheet = workbook.worksheets[0]
            scanned = sheet.iter_rows(
                max_row=MAX_SCANNED_ROWS, max_col=MAX_COLUMNS, values_only=True
            )
            return [
                (number, tuple(values))
                for number, values in enumerate(scanned, start=1)
                if not all(_blank(value) for value in values)
            ]
        finally:
            workbook.close()
    except SheetUnreadable:
        raise
    except Exception as error:  # openpyxl raises many kinds on malformed files
        log.info("unreadable workbook: %s", type(error).__name__)
        raise SheetUnreadable(type(error).__name__) from error


def write_rows(title: str, header: Sequence[str], rows: Iterable[Sequence[Any]]) -> bytes:
    """One sheet with a header row. Every text cell is stored as text, so a name such as
    "=HYPERLINK(...)" stays a name and never becomes a formula."""
    return write_sheets([(title, header, rows)])


def write_sheets(sheets: Sequence[tuple[str, Sequence[str], Iterable[Sequence[Any]]]]) -> bytes:
    """A workbook of several sheets (title, header, rows), each as `write_rows` writes one;
    columns as wide as their longest text (two units a character: room for CJK), at most 60."""
    workbook = Workbook()
    workbook.remove(workbook.active)
    for title, header, rows in sheets:
        sheet = workbook.create_sheet(title[:31])
        widths = [len(name) for name in header]
        for row_number, values in enumerate([header, *rows], start=1):
            for column, value in enumerate(values, start=1):
                cell = sheet.cell(row=row_number, column=column, value=value)
                if column > len(widths):
                    widths.append(0)
                if isinstance(value, str):
                    cell.data_type = "s"
                    widths[column - 1] = max(widths[column - 1], len(value))
        for column, width in enumerate(widths, start=1):
            sheet.column_dimensions[get_column_letter(column)].width = min(60, 4 + 2 * width)
        sheet.freeze_panes = "A2"
    buffer = io.BytesIO()
    workbook.save(buffer)
    return buffer.getvalue()
