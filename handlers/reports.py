"""The class activity report (T11) and the reporting bundle (S-15) in chat: /report (teachers,
staff, supervisors: a class's report as PDF and XLSX), /bundle (staff and supervisors: the
class's papers as ZIP), /comments (teaching lecturers: the comments form), and the class
card's 活动报告 / 资料包 buttons. Thin: the use cases are bot/services/activity_report.py and
bot/services/bundle.py, the lists bot/views/activity_report.py."""

from __future__ import annotations

from aiogram import Bot, F, Router
from aiogram.filters import Command
from aiogram.types import BufferedInputFile, CallbackQuery, Message
from sqlmodel.ext.asyncio.session import AsyncSession

from bot.clock import Clock
from bot.config import Settings
from bot.filters import Can
from bot.forms import service as form_service
from bot.i18n import I18n
from bot.policy import Action
from bot.services import activity_report, bundle
from bot.services.actor import Actor
from bot.views import edit_in_place
from bot.views.activity_report import COMMENTS_FORM, RepAct, ReportCb, Use, class_list
from handlers.forms import Runner, begin
from storage.models import Person

ACTIONS = {
    Use.REPORT: Action.ACTIVITY_REPORT,
    Use.BUNDLE: Action.REPORT_BUNDLE,
    Use.COMMENT: Action.ACTIVITY_COMMENT,
}


async def _list(message: Message, session: AsyncSession, actor: Actor, i18n: I18n, use: Use):
    page = await activity_report.classes_for(session, actor, ACTIONS[use])
    text, markup = class_list(i18n, use, page)
    await message.answer(text, reply_markup=markup)


async def report_command(message: Message, session: AsyncSession, actor: Actor, i18n: I18n):
    await _list(message, session, actor, i18n, Use.REPORT)


async def bundle_command(message: Message, session: AsyncSession, actor: Actor, i18n: I18n):
    await _list(message, session, actor, i18n, Use.BUNDLE)


async def comments_command(message: Message, session: AsyncSession, actor: Actor, i18n: I18n):
    await _list(message, session, actor, i18n, Use.COMMENT)


async def paged(
    query: CallbackQuery,
    callback_data: ReportCb,
    session: AsyncSession,
    actor: Actor,
    i18n: I18n,
    bot: Bot,
) -> None:
    use = callback_data.u
    page = await activity_report.classes_for(session, actor, ACTIONS[use], callback_data.n)
    text, markup = class_list(i18n, use, page)
    await query.answer()
    await edit_in_place(bot, query.message, text, markup)


async def send_report(
    query: CallbackQuery, callback_data: ReportCb, session: AsyncSession, actor: Actor, bot: Bot
) -> None:
    await bot.send_chat_action(query.from_user.id, "upload_document")  # printing takes a moment
    files = await activity_report.for_actor(session, actor, callback_data.c)
    await query.answer()
    i18n = I18n(actor.locale)
    for key, (name, data) in (("reports.sent_pdf", files.pdf), ("reports.sent_xlsx", files.xlsx)):
        await bot.send_document(
            query.from_user.id,
            BufferedInputFile(data, filename=name),
            caption=i18n(key, name=files.class_name),
        )


async def send_bundle(
    query: CallbackQuery, callback_data: ReportCb, session: AsyncSession, actor: Actor, bot: Bot
) -> None:
    await bot.send_chat_action(query.from_user.id, "upload_document")
    made = await bundle.build(session, actor, callback_data.c)
    await query.answer()
    i18n = I18n(actor.locale)
    count = len(made.archives)
    for number, (name, data) in enumerate(made.archives, start=1):
        caption = i18n(
            "reports.sent_bundle",
            name=made.class_name,
            files=len(made.files),
            part=number,
            parts=count,
        )
        await bot.send_document(
            query.from_user.id, BufferedInputFile(data, filename=name), caption=caption
        )


async def start_comments(
    query: CallbackQuery,
    callback_data: ReportCb,
    session: AsyncSession,
    person: Person,
    actor: Actor,
    i18n: I18n,
    settings: Settings,
    bot: Bot,
    clock: Clock,
) -> None:
    """The comments form for the class: the draft left for it, else the last version written
    (to change and submit again), else a blank form."""
    class_id = callback_data.c
    last = await activity_report.comments_opening(session, actor, class_id)
    await query.answer()
    chat_id = query.from_user.id
    drafts = [await form_service.active_draft(session, person.id)]
    drafts += await form_service.paused_drafts(session, person.id)
    for draft in drafts:
        if draft is not None and draft.form_id == COMMENTS_FORM:
            if draft.context.get("class_id") == class_id:
                await form_service.resume(session, draft, clock.now())
                await Runner(bot, chat_id, draft, i18n, settings, clock).show()
                return
    if last is not None:
        draft = await form_service.start(
            session,
            person.id,
            COMMENTS_FORM,
            last.context,
            answers=last.answers,
            revises_id=last.id,
            now=clock.now(),
        )
        await Runner(bot, chat_id, draft, i18n, settings, clock).show()
        return
    context = {"class_id": class_id}
    await begin(bot, chat_id, session, person, i18n, settings, COMMENTS_FORM, context, clock=clock)


def create_router() -> Router:
    router = Router(name=__name__)
    router.message.filter(Can(*ACTIONS.values()))
    router.callback_query.filter(Can(*ACTIONS.values()))
    router.message.register(report_command, Command("report"), Can(Action.ACTIVITY_REPORT))
    router.message.register(bundle_command, Command("bundle"), Can(Action.REPORT_BUNDLE))
    router.message.register(comments_command, Command("comments"), Can(Action.ACTIVITY_COMMENT))
    router.callback_query.register(paged, ReportCb.filter(F.a == RepAct.PAGE))
    for handler, use in ((send_report, Use.REPORT), (send_bundle, Use.BUNDLE)):
        opens = ReportCb.filter((F.a == RepAct.OPEN) & (F.u == use))
        router.callback_query.register(handler, opens)
    opens = ReportCb.filter((F.a == RepAct.OPEN) & (F.u == Use.COMMENT))
    router.callback_query.register(start_comments, opens)
    return router
