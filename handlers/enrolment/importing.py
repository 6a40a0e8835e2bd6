"""Staff: importing a list of trainees from Excel (checked row by row, masked in replies)."""

from __future__ import annotations

import html

from aiogram import Bot
from aiogram.exceptions import TelegramAPIError
from aiogram.fsm.context import FSMContext
from aiogram.types import BufferedInputFile, CallbackQuery, Message
from aiohttp import ClientError
from sqlmodel.ext.asyncio.session import AsyncSession

from bot.config import Settings
from bot.domain.enrolment import (
    MAX_IMPORT_BYTES,
    MAX_IMPORT_ROWS,
    ImportRow,
    RowResult,
    TableRefused,
    split_table,
)
from bot.i18n import I18n
from bot.links import invite_link
from bot.privacy import mask_id_number, mask_phone
from bot.services import enrolment
from bot.services.actor import Actor
from bot.xlsx import SheetUnreadable, read_rows, write_rows
from handlers.enrolment.common import (
    PROBLEM_COLUMNS,
    RESULT_COLUMNS,
    SHOWN_PROBLEMS,
    TEXT_LIMIT,
    ClassImport,
    ImportStates,
    log,
)


async def ask_for_file(
    query: CallbackQuery,
    callback_data: ClassImport,
    session: AsyncSession,
    actor: Actor,
    i18n: I18n,
    state: FSMContext,
) -> None:
    training_class = await enrolment.importing_class(session, actor, callback_data.c)
    await query.answer()
    await state.set_state(ImportStates.file)
    await state.set_data({"c": training_class.id})
    template = write_rows(
        i18n("enrolment.sheet_title"),
        [i18n("enrolment.column", name=name) for name in ("name", "mobile", "id_number")],
        [],
    )
    await query.message.answer_document(
        BufferedInputFile(template, filename=i18n("enrolment.template_file")),
        caption=i18n(
            "enrolment.ask_file",
            name=training_class.name,
            max_rows=MAX_IMPORT_ROWS,
            max_kb=MAX_IMPORT_BYTES // 1024,
        ),
    )


async def _read_table(message: Message, bot: Bot, i18n: I18n) -> tuple | None:
    """The columns and data rows of the list sent, or None once the sender is told what is
    wrong with the file as a whole (type, size, not a workbook, headers, number of rows)."""
    document = message.document
    if not (document.file_name or "").lower().endswith(".xlsx"):
        await message.answer(i18n("enrolment.not_xlsx"))
        return None
    too_big = i18n("enrolment.too_big", max_kb=MAX_IMPORT_BYTES // 1024)
    if (document.file_size or 0) > MAX_IMPORT_BYTES:
        await message.answer(too_big)
        return None
    try:
        content = (await bot.download(document)).read()
    except (TelegramAPIError, ClientError, TimeoutError) as error:
        log.warning("import file download failed: %s", type(error).__name__)
        await message.answer(i18n("enrolment.download_failed"))
        return None
    if len(content) > MAX_IMPORT_BYTES:
        await message.answer(too_big)
        return None
    try:
        return split_table(read_rows(content))
    except SheetUnreadable:
        await message.answer(i18n("enrolment.unreadable"))
        return None
    except TableRefused as refused:
        await message.answer(i18n(f"enrolment.table_{refused.code}", **refused.params))
        return None


async def file_sent(
    message: Message,
    session: AsyncSession,
    actor: Actor,
    i18n: I18n,
    state: FSMContext,
    bot: Bot,
    settings: Settings,
) -> None:
    """Check the whole list; import all of it, or nothing and say what to fix row by row."""
    data = await state.get_data()
    if not await enrolment.may_import(session, actor, data.get("c")):
        await state.clear()
        await message.answer(i18n("errors.not_allowed"))
        return
    table = await _read_table(message, bot, i18n)
    if table is None:
        return
    imported = await enrolment.import_list(session, actor, data["c"], *table)
    bad = imported.bad
    log.info("import into class %s: %d rows, %d bad", data["c"], len(imported.rows), len(bad))
    if bad:
        await _refuse_import(message, bad, len(imported.rows), i18n)
        return
    await state.clear()
    planned = imported.planned
    username = (await bot.me()).username
    report = write_rows(
        i18n("enrolment.sheet_title"),
        [i18n("enrolment.column", name=n) for n in RESULT_COLUMNS],
        [
            [
                *_masked(step.row),
                i18n("enrolment.row_result", result=step.result),
                invite_link(settings, username, step.invitation.code) if step.invitation else "",
            ]
            for step in planned
        ],
    )
    await message.answer_document(
        BufferedInputFile(report, filename=i18n("enrolment.result_file")),
        caption=i18n(
            "enrolment.imported",
            rows=len(planned),
            counts={result: sum(s.result is result for s in planned) for result in RowResult},
            taken=imported.taken,
            capacity=enrolment.capacity(imported.training_class),
            **imported.facts,
        ),
    )


def _masked(row: ImportRow) -> list:
    """Row number, name and the numbers masked: the staff have the original; the result file
    is the one that gets forwarded around."""
    return [row.number, row.name, mask_phone(row.mobile), mask_id_number(row.id_number)]


async def _refuse_import(message: Message, bad: list[ImportRow], total: int, i18n: I18n) -> None:
    listed = [(row.number, row.name, row.problems) for row in bad[:SHOWN_PROBLEMS]]
    text = i18n("enrolment.import_refused", rows=listed, bad=len(bad), total=total)
    while len(text) > TEXT_LIMIT:
        listed.pop()
        text = i18n("enrolment.import_refused", rows=listed, bad=len(bad), total=total)
    await message.answer(text)
    if len(listed) < len(bad):
        report = write_rows(
            i18n("enrolment.sheet_title"),
            [i18n("enrolment.column", name=n) for n in PROBLEM_COLUMNS],
            [
                [*_masked(row), html.unescape(i18n("enrolment.reasons", problems=row.problems))]
                for row in bad
            ],
        )
        await message.answer_document(
            BufferedInputFile(report, filename=i18n("enrolment.problems_file"))
        )


async def not_a_file(message: Message, i18n: I18n) -> None:
    await message.answer(
        i18n("enrolment.send_file", max_rows=MAX_IMPORT_ROWS, max_kb=MAX_IMPORT_BYTES // 1024)
    )
