"""Follow-up support in chat (T12, S-16, S-42): the trainee's needs survey (pushed once the class
is assessed), `/needs` (the class's lecturers read and complete the answers; the institution's
staff read them), `/services` (the region's catalogue: list, add and edit through a form,
withdraw, import from Excel) and the follow-up items of `/todo` (record a contact, mark done).
Thin: the use cases are bot/services/support.py, the screens bot/views/support.py, the forms
the generic runner."""

from __future__ import annotations

import html
import logging

from aiogram import Bot, F, Router
from aiogram.exceptions import TelegramAPIError
from aiogram.filters import Command, StateFilter
from aiogram.fsm.context import FSMContext
from aiogram.fsm.state import State, StatesGroup
from aiogram.types import BufferedInputFile, CallbackQuery, InlineKeyboardMarkup, Message
from aiohttp import ClientError
from sqlmodel.ext.asyncio.session import AsyncSession

from bot.clock import Clock
from bot.config import LOCALES, Settings
from bot.domain.enrolment import MAX_IMPORT_BYTES
from bot.domain.support import (
    CONTACT_FORM,
    MAX_IMPORT_ROWS,
    NEEDS_FORM,
    SERVICE_FORM,
    Column,
    ServiceRow,
)
from bot.filters import Can
from bot.forms import service as form_service
from bot.forms.service import FormHooks, Submitted
from bot.i18n import I18n
from bot.policy import Action
from bot.services import support as cases
from bot.services.actor import Actor
from bot.views import edit_in_place
from bot.views.pages import Page
from bot.views.support import (
    FupAct,
    FupCb,
    NeedsAct,
    NeedsCb,
    NeedsFill,
    SvcAct,
    SvcCb,
    catalogue_view,
    class_view,
    classes_view,
    followup_view,
    service_picker,
    service_view,
    trainee_view,
)
from bot.xlsx import SheetUnreadable, read_rows, write_rows
from handlers.forms import Runner, begin
from storage.models import Person, Region, SupportFollowup

log = logging.getLogger(__name__)

SHOWN_PROBLEMS = 30
TEXT_LIMIT = 4000


class ServiceImport(StatesGroup):
    file = State()


async def _run(
    bot: Bot,
    chat_id: int,
    session: AsyncSession,
    person: Person,
    i18n: I18n,
    settings: Settings,
    clock: Clock,
    form_id: str,
    context: dict,
    answers: dict | None,
) -> None:
    """Start a form for the person: blank at its first question, or holding `answers` at its
    review screen (to change any of them)."""
    if answers is None:
        await begin(bot, chat_id, session, person, i18n, settings, form_id, context, clock=clock)
        return
    draft = await form_service.start(
        session, person.id, form_id, context, answers=answers, now=clock.now()
    )
    await Runner(bot, chat_id, draft, i18n, settings, clock).show()


# --- the trainee -----------------------------------------------------------------------------


async def fill_pressed(
    query: CallbackQuery,
    callback_data: NeedsFill,
    session: AsyncSession,
    person: Person,
    actor: Actor,
    i18n: I18n,
    settings: Settings,
    bot: Bot,
    clock: Clock,
) -> None:
    drafts = [await form_service.active_draft(session, person.id)]
    drafts += await form_service.paused_drafts(session, person.id)
    mine = [(d.id, d.context) for d in drafts if d is not None and d.form_id == NEEDS_FORM]
    opening = await cases.open_needs(session, actor, callback_data.c, mine)
    await query.answer()
    if opening.draft_id is not None:
        draft = next(d for d in drafts if d is not None and d.id == opening.draft_id)
        await form_service.resume(session, draft, clock.now())
        await Runner(bot, query.from_user.id, draft, i18n, settings, clock).show()
        return
    await _run(
        bot,
        query.from_user.id,
        session,
        person,
        i18n,
        settings,
        clock,
        NEEDS_FORM,
        opening.context,
        None,
    )


async def needs_submitted(done: Submitted) -> None:
    """Follow-up items for the institution, the matching services for the trainee; the one
    who filled it is told."""
    settled = await cases.settle_needs(done.session, done.submission, done.now)
    if done.submission.person_id == done.person.id:
        text = done.i18n("support.received", needs=settled.needs)
    else:
        text = done.i18n("support.completed_for", name=settled.trainee_name, needs=settled.needs)
    await done.bot.send_message(done.person.tg_user_id, text)


# --- /needs: lecturers and institution staff -------------------------------------------------


async def needs_command(message: Message, session: AsyncSession, actor: Actor, i18n: I18n) -> None:
    classes = await cases.classes_with_needs(session, actor)
    text, markup = classes_view(i18n, Page.of(classes, 0))
    await message.answer(text, reply_markup=markup)


async def classes_pressed(
    query: CallbackQuery,
    callback_data: NeedsCb,
    session: AsyncSession,
    actor: Actor,
    i18n: I18n,
    bot: Bot,
) -> None:
    classes = await cases.classes_with_needs(session, actor)
    await query.answer()
    await edit_in_place(bot, query.message, *classes_view(i18n, Page.of(classes, callback_data.n)))


async def class_pressed(
    query: CallbackQuery,
    callback_data: NeedsCb,
    session: AsyncSession,
    actor: Actor,
    i18n: I18n,
    bot: Bot,
) -> None:
    needs = await cases.class_needs(session, actor, callback_data.c, callback_data.n)
    await query.answer()
    await edit_in_place(bot, query.message, *class_view(i18n, needs))


async def trainee_pressed(
    query: CallbackQuery,
    callback_data: NeedsCb,
    session: AsyncSession,
    actor: Actor,
    i18n: I18n,
    bot: Bot,
) -> None:
    training_class, trainee, may = await cases.trainee_needs(
        session, actor, callback_data.c, callback_data.p
    )
    await query.answer()
    await edit_in_place(bot, query.message, *trainee_view(i18n, training_class, trainee, may))


async def complete_pressed(
    query: CallbackQuery,
    callback_data: NeedsCb,
    session: AsyncSession,
    person: Person,
    actor: Actor,
    i18n: I18n,
    settings: Settings,
    bot: Bot,
    clock: Clock,
) -> None:
    """A teaching lecturer fills the survey for the trainee, from their answers if any."""
    context, answers = await cases.complete_for(session, actor, callback_data.c, callback_data.p)
    await query.answer()
    await _run(
        bot,
        query.from_user.id,
        session,
        person,
        i18n,
        settings,
        clock,
        NEEDS_FORM,
        context,
        answers,
    )


# --- /services: the catalogue ----------------------------------------------------------------


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
    await _run(
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


# --- follow-up items -------------------------------------------------------------------------


async def followup_card(
    session: AsyncSession, item: SupportFollowup, i18n: I18n
) -> tuple[str, InlineKeyboardMarkup | None]:
    """The card of an item, as `/todo` opens it."""
    return followup_view(i18n, await cases.followup_card(session, item))


async def record_pressed(
    query: CallbackQuery,
    callback_data: FupCb,
    session: AsyncSession,
    actor: Actor,
    i18n: I18n,
) -> None:
    item = await cases.open_followup(session, actor, callback_data.f)
    card = await cases.followup_card(session, item)
    await query.answer()
    text, markup = service_picker(i18n, card)
    await query.message.answer(text, reply_markup=markup)


async def service_pressed(
    query: CallbackQuery,
    callback_data: FupCb,
    session: AsyncSession,
    person: Person,
    actor: Actor,
    i18n: I18n,
    settings: Settings,
    bot: Bot,
    clock: Clock,
    state: FSMContext,
) -> None:
    context = await cases.contact_context(session, actor, callback_data.f, callback_data.s)
    await state.clear()
    await query.answer()
    await _run(
        bot, query.from_user.id, session, person, i18n, settings, clock, CONTACT_FORM, context, None
    )


async def contact_submitted(done: Submitted) -> None:
    actor = await done.actor()
    contact = await cases.record_contact(done.session, actor, done.submission)
    item = await cases.followup_for(done.session, actor, contact.followup_id)
    text, markup = followup_view(done.i18n, await cases.followup_card(done.session, item))
    await done.bot.send_message(done.person.tg_user_id, done.i18n("support.contact_saved"))
    await done.bot.send_message(done.person.tg_user_id, text, reply_markup=markup)


async def done_pressed(
    query: CallbackQuery,
    callback_data: FupCb,
    session: AsyncSession,
    actor: Actor,
    i18n: I18n,
    bot: Bot,
) -> None:
    item = await cases.close_followup(session, actor, callback_data.f)
    await query.answer(i18n("support.closed"))
    await edit_in_place(
        bot, query.message, *followup_view(i18n, await cases.followup_card(session, item))
    )


def form_hooks(hooks: FormHooks) -> None:
    hooks.add(NEEDS_FORM, needs_submitted, announces=True)
    hooks.add(SERVICE_FORM, service_submitted, announces=True)
    hooks.add(CONTACT_FORM, contact_submitted, announces=True)


def create_router() -> Router:
    router = Router(name=__name__)
    trainees = Router(name=f"{__name__}.trainees")
    trainees.callback_query.filter(Can(Action.SUPPORT_NEEDS_GIVE))
    trainees.callback_query.register(fill_pressed, NeedsFill.filter())
    readers = Router(name=f"{__name__}.needs")
    readers.message.filter(Can(Action.SUPPORT_NEEDS_VIEW))
    readers.callback_query.filter(Can(Action.SUPPORT_NEEDS_VIEW))
    readers.message.register(needs_command, Command("needs"))
    readers.callback_query.register(classes_pressed, NeedsCb.filter(F.a == NeedsAct.CLASSES))
    readers.callback_query.register(class_pressed, NeedsCb.filter(F.a == NeedsAct.CLASS))
    readers.callback_query.register(trainee_pressed, NeedsCb.filter(F.a == NeedsAct.TRAINEE))
    readers.callback_query.register(complete_pressed, NeedsCb.filter(F.a == NeedsAct.COMPLETE))
    keepers = Router(name=f"{__name__}.services")
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
    followers = Router(name=f"{__name__}.followup")
    followers.callback_query.filter(Can(Action.SUPPORT_FOLLOWUP))
    followers.callback_query.register(record_pressed, FupCb.filter(F.a == FupAct.RECORD))
    followers.callback_query.register(service_pressed, FupCb.filter(F.a == FupAct.SERVICE))
    followers.callback_query.register(done_pressed, FupCb.filter(F.a == FupAct.DONE))
    router.include_routers(trainees, readers, keepers, followers)
    return router
