"""Follow-up in chat (S-16, T13): a trainee answers a pushed tracking survey and may /stop
follow-ups (undone by /start or the resume button); institution staff set the schedule with
/followup; the phone follow-up card (opened from /todo) records a call's outcome, or starts the
same tracking form for staff to fill for the trainee. The use cases are
bot/services/followup.py, the views bot/views/followup.py, the scan scheduler/followup.py.
"""

from __future__ import annotations

from aiogram import Bot, F, Router
from aiogram.filters import Command, StateFilter
from aiogram.fsm.context import FSMContext
from aiogram.fsm.state import State, StatesGroup
from aiogram.types import CallbackQuery, Message
from sqlmodel.ext.asyncio.session import AsyncSession

from bot import notifier
from bot.config import Settings
from bot.domain.followup import CallOutcome, Problem
from bot.filters import Can
from bot.followup_callbacks import Do, FollowupCall, FollowupFill, FollowupPlan, FollowupResume
from bot.forms.service import FormHooks, Submitted
from bot.i18n import I18n
from bot.policy import Action
from bot.services import followup, forms, people
from bot.services.actor import Actor
from bot.services.forms import Filling
from bot.services.todo import Kind
from bot.views import edit_in_place
from bot.views import followup as views
from bot.views.pages import PAGE_SIZE, Page, page_window
from handlers.forms.screens import show, started


class FollowupStates(StatesGroup):
    months = State()


# --- the trainee -----------------------------------------------------------------------------


async def fill_pressed(
    query: CallbackQuery,
    callback_data: FollowupFill,
    session: AsyncSession,
    actor: Actor,
    i18n: I18n,
    settings: Settings,
    bot: Bot,
) -> None:
    opened = await followup.open_survey(session, actor, callback_data.s)
    await query.answer()
    if opened.draft is not None:
        await show(bot, query.from_user.id, Filling(opened.draft, actor.now, settings.tz), i18n)
        return
    outcome = await forms.start(session, actor, followup.FORM, opened.context, settings.tz)
    await started(bot, query.from_user.id, outcome, i18n)


async def stop(message: Message, session: AsyncSession, actor: Actor, i18n: I18n) -> None:
    text, markup = views.stopped(i18n, await followup.stop(session, actor))
    await message.answer(text, reply_markup=markup)


async def resume_pressed(
    query: CallbackQuery, session: AsyncSession, actor: Actor, i18n: I18n
) -> None:
    resumed = await followup.resume(session, actor)
    await query.answer()
    await query.message.answer(i18n("followup.resumed" if resumed else "followup.not_stopped"))


async def survey_submitted(done: Submitted) -> None:
    """A tracking survey: the trainee's own answer (counted once, late kept), or the form
    staff filled during a phone follow-up (stored as the trainee's, marked by phone)."""
    actor = await done.actor()
    chat_id = done.person.tg_user_id
    if done.submission.context.get("via_phone"):
        survey = await followup.phone_answer(done.session, actor, done.submission, done.first_time)
        if survey is None:
            await done.bot.send_message(chat_id, done.i18n("followup.call_done"))
            return
        name = await people.name_of(done.session, survey.person_id)
        await _close_card(done.session, survey.id, name, CallOutcome.BY_PHONE)
        await done.bot.send_message(chat_id, done.i18n("followup.phone_saved", name=name))
        return
    counted = await followup.count_answer(done.session, actor, done.submission, done.first_time)
    if counted is not None:
        await done.bot.send_message(chat_id, done.i18n(f"followup.{counted}"))


# --- the schedule ----------------------------------------------------------------------------


async def _menu(session: AsyncSession, actor: Actor, i18n: I18n, number: int) -> views.Rendered:
    view = await followup.schedule_of(session, actor)
    total, _ = await followup.classes_page(session, actor, 0, 0)
    number, pages, offset = page_window(total, number)
    _, items = await followup.classes_page(session, actor, offset, PAGE_SIZE)
    counts = await followup.summary(session, actor)
    return views.menu(i18n, view.schedule, counts, Page(items, number, pages, total))


async def show_menu(message: Message, session: AsyncSession, actor: Actor, i18n: I18n) -> None:
    text, markup = await _menu(session, actor, i18n, 0)
    await message.answer(text, reply_markup=markup)


async def page_pressed(
    query: CallbackQuery,
    callback_data: FollowupPlan,
    session: AsyncSession,
    actor: Actor,
    i18n: I18n,
    bot: Bot,
) -> None:
    text, markup = await _menu(session, actor, i18n, callback_data.c)
    await query.answer()
    await edit_in_place(bot, query.message, text, markup)


async def schedule_pressed(
    query: CallbackQuery,
    callback_data: FollowupPlan,
    session: AsyncSession,
    actor: Actor,
    i18n: I18n,
) -> None:
    class_id = callback_data.c if callback_data.a == Do.CLASS else None
    view = await followup.schedule_of(session, actor, class_id)
    await query.answer()
    text, markup = views.schedule_card(i18n, view.training_class, view.schedule)
    await query.message.answer(text, reply_markup=markup)


async def change_pressed(
    query: CallbackQuery,
    callback_data: FollowupPlan,
    session: AsyncSession,
    actor: Actor,
    i18n: I18n,
    state: FSMContext,
) -> None:
    view = await followup.schedule_of(session, actor, callback_data.c or None)
    await query.answer()
    await state.set_state(FollowupStates.months)
    await state.update_data(c=callback_data.c)
    name = view.training_class.name if view.training_class else ""
    await query.message.answer(i18n("followup.ask_months", name=name))


async def months_typed(
    message: Message, session: AsyncSession, actor: Actor, i18n: I18n, state: FSMContext
) -> None:
    class_id = (await state.get_data()).get("c") or None
    changed = await followup.change_schedule(session, actor, class_id, message.text or "")
    if isinstance(changed, Problem):
        await message.answer(i18n("followup.problem", kind=changed))
        return
    await state.clear()
    name = changed.training_class.name if changed.training_class else ""
    await message.answer(i18n("followup.saved", name=name, months=changed.schedule.months))


# --- phone follow-up -------------------------------------------------------------------------


async def call_card(
    session: AsyncSession, actor: Actor, survey_id: int, i18n: I18n
) -> views.Rendered:
    """The phone follow-up card /todo opens (the mobile in full only for those who may)."""
    call = await followup.call(session, actor, survey_id)
    return views.call_card(
        i18n,
        survey_id=call.survey.id,
        name=call.name,
        mobile=call.mobile,
        full=call.full,
        class_name=call.class_name,
        wave=call.survey.wave,
        months=call.survey.months,
        closed=call.survey.closed_at is not None,
    )


async def _close_card(
    session: AsyncSession, survey_id: int, name: str, outcome: CallOutcome
) -> None:
    await notifier.close_copies(
        session,
        f"{Kind.CALL}:{survey_id}:",
        lambda i18n: i18n("followup.call_recorded", name=name, outcome=outcome),
    )


async def call_pressed(
    query: CallbackQuery,
    callback_data: FollowupCall,
    session: AsyncSession,
    actor: Actor,
    i18n: I18n,
    settings: Settings,
    bot: Bot,
) -> None:
    if callback_data.o is CallOutcome.BY_PHONE:
        context = await followup.start_phone_answer(session, actor, callback_data.s)
        await query.answer()
        outcome = await forms.start(session, actor, followup.FORM, context, settings.tz)
        await started(bot, query.from_user.id, outcome, i18n)
        return
    survey = await followup.record_call(session, actor, callback_data.s, callback_data.o)
    name = await people.name_of(session, survey.person_id)
    await _close_card(session, survey.id, name, callback_data.o)
    await query.answer(i18n("followup.call_recorded", name=name, outcome=callback_data.o))


def form_hooks(hooks: FormHooks) -> None:
    hooks.add(followup.FORM, survey_submitted, announces=True)


def create_router() -> Router:
    router = Router(name=__name__)
    router.message.register(stop, Command("stop"), Can(Action.FOLLOWUP_ANSWER))
    router.callback_query.register(fill_pressed, FollowupFill.filter())
    router.callback_query.register(resume_pressed, FollowupResume.filter())
    router.message.register(show_menu, Command("followup"), Can(Action.FOLLOWUP_SCHEDULE))
    staff = Can(Action.FOLLOWUP_SCHEDULE)
    router.callback_query.register(page_pressed, FollowupPlan.filter(F.a == Do.PAGE), staff)
    router.callback_query.register(
        schedule_pressed, FollowupPlan.filter(F.a.in_({Do.ALL, Do.CLASS})), staff
    )
    router.callback_query.register(change_pressed, FollowupPlan.filter(F.a == Do.CHANGE), staff)
    router.message.register(months_typed, StateFilter(FollowupStates.months), F.text, staff)
    router.callback_query.register(call_pressed, FollowupCall.filter(), Can(Action.FOLLOWUP_CALL))
    return router
