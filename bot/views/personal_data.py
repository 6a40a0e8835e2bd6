"""/mydata's screens, the erasure request's card, and the export files (JSON and XLSX)."""

from __future__ import annotations

import json
from collections.abc import Iterable
from enum import StrEnum
from typing import TYPE_CHECKING, Any

from aiogram.filters.callback_data import CallbackData
from aiogram.types import InlineKeyboardButton, InlineKeyboardMarkup
from openpyxl.cell.cell import ILLEGAL_CHARACTERS_RE
from sqlmodel.ext.asyncio.session import AsyncSession

from bot.domain.personal_data import RequestStatus
from bot.i18n import I18n
from bot.xlsx import write_sheets
from storage import people
from storage.models import Person, PersonalDataRequest

if TYPE_CHECKING:
    from bot.services.personal_data import Export


class Mine(StrEnum):
    EXPORT = "export"
    ERASE = "erase"
    CONFIRM = "confirm"
    CANCEL = "cancel"


class MyData(CallbackData, prefix="myd"):
    """A person's own /mydata buttons."""

    action: Mine


class Decision(StrEnum):
    ERASE = "erase"
    REFUSE = "refuse"


class ErasureDecision(CallbackData, prefix="pdr"):
    """A supervisor's (or admin's) answer to erasure request `r`."""

    action: Decision
    r: int


def _button(text: str, data: CallbackData) -> InlineKeyboardButton:
    return InlineKeyboardButton(text=text, callback_data=data.pack())


def menu_view(i18n: I18n, waiting: PersonalDataRequest | None) -> tuple[str, InlineKeyboardMarkup]:
    """What /mydata offers: the export, and erasure (unless a request already waits)."""
    rows = [[_button(i18n("personal_data.export_button"), MyData(action=Mine.EXPORT))]]
    if waiting is None:
        rows.append([_button(i18n("personal_data.erase_button"), MyData(action=Mine.ERASE))])
    text = i18n("personal_data.menu", waiting=waiting is not None)
    return text, InlineKeyboardMarkup(inline_keyboard=rows)


def confirm_view(i18n: I18n) -> tuple[str, InlineKeyboardMarkup]:
    """What an erasure means, before the person asks for it."""
    return i18n("personal_data.confirm"), InlineKeyboardMarkup(
        inline_keyboard=[
            [_button(i18n("personal_data.confirm_button"), MyData(action=Mine.CONFIRM))],
            [_button(i18n("personal_data.cancel_button"), MyData(action=Mine.CANCEL))],
        ]
    )


def request_view(
    i18n: I18n, request: PersonalDataRequest, name: str
) -> tuple[str, InlineKeyboardMarkup | None]:
    """The card a decider gets (pushed, or opened from /todo): erase or refuse, once."""
    text = i18n(
        "personal_data.request_card",
        request=request.id,
        name=name,
        asked=request.created_at,
        status=request.status,
    )
    if request.status != RequestStatus.PENDING:
        return text, None
    return text, InlineKeyboardMarkup(
        inline_keyboard=[
            [
                _button(
                    i18n("personal_data.erase_now"),
                    ErasureDecision(action=Decision.ERASE, r=request.id),
                ),
                _button(
                    i18n("personal_data.refuse"),
                    ErasureDecision(action=Decision.REFUSE, r=request.id),
                ),
            ]
        ]
    )


async def request_card(
    session: AsyncSession, request: PersonalDataRequest, i18n: I18n
) -> tuple[str, InlineKeyboardMarkup | None]:
    name = await people.name(session, await session.get(Person, request.person_id))
    return request_view(i18n, request, name)


CELL_LIMIT = 32_767
"""The most characters an Excel cell holds (the JSON file has everything in full)."""


def _cell(value: Any) -> Any:
    if value is None or isinstance(value, int | float | bool):
        return value
    if not isinstance(value, str):
        value = json.dumps(value, ensure_ascii=False, sort_keys=True)
    return ILLEGAL_CHARACTERS_RE.sub("", value)[:CELL_LIMIT]


def export_json(export: Export) -> bytes:
    """The export as one JSON document: tables, labelled answers, chat history."""
    document = {
        "answers": [answer.__dict__ for answer in export.answers],
        "tables": export.tables,
        "web_chat": export.chat,
    }
    return json.dumps(document, ensure_ascii=False, indent=2, default=str).encode()


def _sheet(title: str, rows: Iterable[dict[str, Any]]) -> tuple[str, list[str], list[list[Any]]]:
    rows = list(rows)
    header = list(dict.fromkeys(key for row in rows for key in row))
    return title, header, [[_cell(row.get(key)) for key in header] for row in rows]


def export_xlsx(export: Export, i18n: I18n) -> bytes:
    """The export as a workbook: the labelled answers first, then one sheet per table."""
    answers = [
        {
            i18n("personal_data.col_form"): answer.form_title,
            i18n("personal_data.col_submitted"): answer.submitted_at,
            i18n("personal_data.col_current"): answer.current,
            i18n("personal_data.col_question"): answer.question,
            i18n("personal_data.col_answer"): answer.value,
        }
        for answer in export.answers
    ]
    sheets = [_sheet(i18n("personal_data.sheet_answers"), answers)]
    sheets += [_sheet(name, rows) for name, rows in export.tables.items()]
    if export.chat:
        sheets.append(_sheet("web_chat", export.chat))
    return write_sheets(sheets)
