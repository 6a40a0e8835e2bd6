"""The region's catalogue of follow-up services (S-42): supervisors and institution staff list,
add, change, withdraw and import them from Excel (`/services`); the needs and their follow-up
are `handlers/support.py`."""

from __future__ import annotations

import html
import logging

from aiogram import Bot, F, Router
from aiogram.exceptions import TelegramAPIError
from aiogram.filters import Command, StateFilter
from aiogram.fsm.context import FSMContext
from aiogram.fsm.state import State, StatesGroup
from aiogram.types import BufferedInputFile, CallbackQuery, Message
from aiohttp import ClientError
from sqlmodel.ext.asyncio.session import AsyncSession

from bot.clock import Clock
from bot.config import LOCALES, Settings
from bot.domain.enrolment import MAX_IMPORT_BYTES
from bot.domain.support import (
    MAX_IMPORT_ROWS,
    SERVICE_FORM,
    Column,
    ServiceRow,
)
from bot.filters import Can
from bot.forms.service import FormHooks, Submitted
from bot.i18n import I18n
from bot.policy import Action
from bot.services import support as cases
from bot.services.actor import Actor
from bot.views import edit_in_place
from bot.views.support import (
    SvcAct,
    SvcCb,
    catalogue_view,
    service_view,
)
from bot.xlsx import SheetUnreadable, read_rows, write_rows
from handlers.support import start_form
from storage.models import Person, Region

log = logging.getLogger(__name__)

SHOWN_PROBLEMS = 30
TEXT_LIMIT = 4000


class ServiceImport(StatesGroup):
    file = State()


async def _region_name(session: AsyncSession, region_id: int) -> str:
    region = await session.get(Region, region_id)
    return region.name if region else ""


async def services_command(
    message: Message, session: AsyncSession, actor: Actor, i18n: I18n, state: FSMContext
) -> None:
    await state.clear()
    text, markup = catalogue_view(i18n, await cases.catalogue(session, actor, 0))
    await message.answer(text, reply_markup=markup)


async def page_pressed(
    query: CallbackQuery,
    callback_data: SvcCb,
    session: AsyncSession,
    actor: Actor,
    i18n: I18n,
    bot: Bot,
) -> None:
    shown = await cases.catalogue(session, actor, callback_data.n)
    await query.answer()
    await edit_in_place(bot, query.message, *catalogue_view(i18n, shown))


async def open_pressed(
    query: CallbackQuery,
    callback_data: SvcCb,
    session: AsyncSession,
    actor: Actor,
    i18n: I18n,
    bot: Bot,
) -> None:
    service = await cases.service_for(session, actor, callback_data.s)
    region = await _region_name(session, service.region_id)
    await query.answer()
    await edit_in_place(bot, query.message, *service_view(i18n, service, region, callback_data.n))


async def switch_pressed(
    query: CallbackQuery,
    callback_data: SvcCb,
    session: AsyncSession,
    actor: Actor,
    i18n: I18n,
    bot: Bot,
) -> None:
    active = callback_data.a == SvcAct.ON
    service = await cases.set_active(session, actor, callback_data.s, active)
    region = await _region_name(session, service.region_id)
    await query.answer(i18n("support.switched", active=active))
    await edit_in_place(bot, query.message, *service_view(i18n, service, region))


async def add_or_edit_pressed(
    query: CallbackQuery,
    callback_data: SvcCb,
    session: AsyncSession,
    person: Person,
    actor: Actor,
    i18n: I18n,
    settings: Settings,
    bot: Bot,
    clock: Clock,
    state: FSMContext,
) -> None:
    service_id = callback_data.s if callback_data.a == SvcAct.EDIT else None
    await state.clear()  # no longer waiting for an import file: the answers go to the form
    context, answers = await cases.service_form(session, actor, service_id)
    await query.answer()
    await start_form(
        bot,
        query.from_user.id,
        session,
        person,
        i18n,
        settings,
        clock,
        SERVICE_FORM,
        context,
        answers,
    )


async def service_submitted(done: Submitted) -> None:
    service = await cases.save_service(done.session, await done.actor(), done.submission)
    await done.bot.send_message(
        done.person.tg_user_id, done.i18n("support.service_saved", s=service)
    )


def _locales() -> list[I18n]:
    return [I18n(locale) for locale in LOCALES]


async def import_pressed(query: CallbackQuery, actor: Actor, i18n: I18n, state: FSMContext) -> None:
    cases.home_region(actor)
    await query.answer()
    await state.set_state(ServiceImport.file)
    template = write_rows(
        i18n("support.sheet_title"), [i18n("support.column", name=c) for c in Column], []
    )
    await query.message.answer_document(
        BufferedInputFile(template, filename=i18n("support.template_file")),
        caption=i18n("support.ask_file", max_rows=MAX_IMPORT_ROWS),
    )


async def _table(message: Message, bot: Bot, i18n: I18n) -> list | None:
    """The data rows of the sheet sent, or None once the sender is told what is wrong with
    the file as a whole."""
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
        log.warning("service import download failed: %s", type(error).__name__)
        await message.answer(i18n("enrolment.download_failed"))
        return None
    try:
        headers = cases.header_names(_locales())
        return cases.read_sheet(read_rows(content), headers, MAX_IMPORT_ROWS)
    except SheetUnreadable:
        await message.answer(i18n("enrolment.unreadable"))
    except cases.SheetRefused as refused:
        await message.answer(i18n(f"support.sheet_{refused.code}", **refused.params))
    return None


async def file_sent(
    message: Message,
    session: AsyncSession,
    actor: Actor,
    i18n: I18n,
    state: FSMContext,
    bot: Bot,
) -> None:
    """All rows are added, or none, and every wrong row is named with its reasons."""
    data = await _table(message, bot, i18n)
    if data is None:
        return
    imported = await cases.import_services(session, actor, data)
    if imported.bad:
        await _refuse(message, imported.bad, len(imported.rows), i18n)
        return
    await state.clear()
    await message.answer(i18n("support.imported", count=imported.added))


async def _refuse(message: Message, bad: list[ServiceRow], total: int, i18n: I18n) -> None:
    listed = [(row.number, row.name, row.problems) for row in bad[:SHOWN_PROBLEMS]]
    text = i18n("support.import_refused", rows=listed, bad=len(bad), total=total)
    while len(text) > TEXT_LIMIT:
        listed.pop()
        text = i18n("support.import_refused", rows=listed, bad=len(bad), total=total)
    await message.answer(text)
    if len(listed) < len(bad):
        report = write_rows(
            i18n("support.sheet_title"),
            [i18n("support.column", name=c) for c in ("row", "name", "problem")],
            [
                [
                    row.number,
                    row.name,
                    html.unescape(i18n("support.reasons", problems=row.problems)),
                ]
                for row in bad
            ],
        )
        await message.answer_document(
            BufferedInputFile(report, filename=i18n("support.problems_file"))
        )


async def not_a_file(message: Message, i18n: I18n) -> None:
    await message.answer(i18n("support.send_file", max_rows=MAX_IMPORT_ROWS))


def form_hooks(hooks: FormHooks) -> None:
    hooks.add(SERVICE_FORM, service_submitted, announces=True)


def create_router() -> Router:
    keepers = Router(name=__name__)
    keepers.message.filter(Can(Action.SUPPORT_SERVICES))
    keepers.callback_query.filter(Can(Action.SUPPORT_SERVICES))
    keepers.message.register(services_command, Command("services"))
    keepers.message.register(file_sent, StateFilter(ServiceImport.file), F.document)
    keepers.message.register(not_a_file, StateFilter(ServiceImport.file), ~F.text.startswith("/"))
    keepers.callback_query.register(page_pressed, SvcCb.filter(F.a == SvcAct.PAGE))
    keepers.callback_query.register(open_pressed, SvcCb.filter(F.a == SvcAct.OPEN))
    for action in (SvcAct.ON, SvcAct.OFF):
        keepers.callback_query.register(switch_pressed, SvcCb.filter(F.a == action))
    for action in (SvcAct.ADD, SvcAct.EDIT):
        keepers.callback_query.register(add_or_edit_pressed, SvcCb.filter(F.a == action))
    keepers.callback_query.register(import_pressed, SvcCb.filter(F.a == SvcAct.IMPORT))
    return keepers
