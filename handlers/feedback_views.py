"""/feedback: what teachers and institution staff see of trainee feedback (T6, T7).

Teachers see the daily feedback of the classes they teach; institution staff see every class of
their institution, with the mid-term and final evaluations too. Every view is an aggregate
(`bot.domain.feedback_summary`): never a name, never one person's answers.
"""

from __future__ import annotations

from aiogram import Router
from aiogram.filters import Command
from aiogram.types import BufferedInputFile, CallbackQuery, InlineKeyboardMarkup, Message
from aiogram.utils.keyboard import InlineKeyboardBuilder
from sqlmodel.ext.asyncio.session import AsyncSession

from bot import charts, policy
from bot.domain import feedback_summary
from bot.feedback_view_callbacks import FeedbackClass, FeedbackRound, FeedbackTrend
from bot.filters import Can
from bot.i18n import I18n
from bot.policy import Action, allowed
from bot.services.actor import Actor
from bot.services.targets import class_and_target
from storage import checkin, feedback_views
from storage.models import Person, TrainingClass


async def _visible(
    session: AsyncSession, actor: Actor, class_id: int, action: Action = Action.FEEDBACK_DAILY
) -> tuple[TrainingClass, bool]:
    """The class and whether this person sees it as institution staff (all rounds), else as
    its teacher (daily feedback only)."""
    training_class, target = await class_and_target(
        session, actor, action, class_id, statuses=checkin.VISIBLE
    )
    return training_class, allowed(actor, Action.FEEDBACK_EVALUATIONS, target)


async def _menu(
    session: AsyncSession, training_class: TrainingClass, staff: bool, i18n: I18n
) -> tuple[str, InlineKeyboardMarkup]:
    """The class's rounds with their response rates: daily ones for its teachers, the
    evaluations too for institution staff."""
    rounds = [
        r
        for r in await feedback_views.rounds(session, training_class.id)
        if staff or r.kind == feedback_views.DAILY
    ]
    builder = InlineKeyboardBuilder()
    for r in rounds:
        builder.button(
            text=i18n(
                "feedback_views.round_button",
                kind=r.kind,
                day=r.day,
                asked=r.asked,
                answered=r.answered,
            ),
            callback_data=FeedbackRound(c=training_class.id, k=r.kind, d=r.day),
        )
    if any(r.kind == feedback_views.DAILY for r in rounds):
        builder.button(
            text=i18n("feedback_views.trend_button"),
            callback_data=FeedbackTrend(c=training_class.id),
        )
    builder.adjust(2)
    text = i18n("feedback_views.class_menu", name=training_class.name, rounds=rounds)
    return text, builder.as_markup()


async def feedback_command(
    message: Message, session: AsyncSession, person: Person, actor: Actor, i18n: I18n
) -> None:
    institutions = policy.institutions(actor, Action.FEEDBACK_DAILY)
    found = await checkin.visible_classes(session, person.id, institutions)
    if not found:
        await message.answer(i18n("feedback_views.no_classes"))
        return
    if len(found) == 1:
        seen = await _visible(session, actor, found[0].id)
        text, markup = await _menu(session, seen[0], seen[1], i18n)
        await message.answer(text, reply_markup=markup)
        return
    builder = InlineKeyboardBuilder()
    for training_class in found:
        builder.button(text=training_class.name, callback_data=FeedbackClass(c=training_class.id))
    builder.adjust(1)
    await message.answer(i18n("feedback_views.choose_class"), reply_markup=builder.as_markup())


async def class_pressed(
    query: CallbackQuery,
    callback_data: FeedbackClass,
    session: AsyncSession,
    actor: Actor,
    i18n: I18n,
) -> None:
    seen = await _visible(session, actor, callback_data.c)
    await query.answer()
    text, markup = await _menu(session, *seen, i18n)
    await query.message.answer(text, reply_markup=markup)


async def round_pressed(
    query: CallbackQuery,
    callback_data: FeedbackRound,
    session: AsyncSession,
    actor: Actor,
    i18n: I18n,
) -> None:
    """The round's summary, then its rating distribution as a chart when there is one."""
    kind, day = callback_data.k, callback_data.d
    action = Action.FEEDBACK_DAILY if kind == feedback_views.DAILY else Action.FEEDBACK_EVALUATIONS
    training_class, _ = await _visible(session, actor, callback_data.c, action)
    shown = None
    if kind in feedback_views.KINDS:
        shown = await feedback_views.round_view(session, training_class, kind, day)
    if shown is None or not shown.summary.asked:
        await query.answer(i18n("feedback_views.stale"), show_alert=True)
        return
    await query.answer()
    builder = InlineKeyboardBuilder()
    builder.button(
        text=i18n("feedback_views.back"), callback_data=FeedbackClass(c=training_class.id)
    )
    text = i18n(
        "feedback_views.summary",
        name=training_class.name,
        kind=kind,
        day=day,
        date=shown.date,
        s=shown.summary,
        names=shown.names,
        morning=False,
    )
    await query.message.answer(text, reply_markup=builder.as_markup())
    png = charts.round_chart(shown, kind, day, i18n)
    if png is not None:
        await query.message.answer_photo(BufferedInputFile(png, filename=f"feedback-{day}.png"))


async def trend_pressed(
    query: CallbackQuery,
    callback_data: FeedbackTrend,
    session: AsyncSession,
    actor: Actor,
    i18n: I18n,
) -> None:
    """Each class day's overall average (days under the small-class rule have no point)."""
    training_class, _ = await _visible(session, actor, callback_data.c)
    by_day = await feedback_views.daily_answers(session, training_class.id)
    days = [
        r.day
        for r in await feedback_views.rounds(session, training_class.id)
        if r.kind == feedback_views.DAILY
    ]
    points = [
        (
            i18n("feedback_views.day_label", day=day),
            feedback_summary.trend_point(by_day.get(day, [])),
        )
        for day in days
    ]
    if sum(value is not None for _, value in points) < 2:
        await query.answer(i18n("feedback_views.no_trend"), show_alert=True)
        return
    await query.answer()
    title = i18n("feedback_views.trend_title", name=training_class.name)
    await query.message.answer_photo(
        BufferedInputFile(charts.trend(title, points), filename=f"trend-{training_class.id}.png"),
        caption=title,
    )


def create_router() -> Router:
    router = Router(name=__name__)
    router.message.filter(Can(Action.FEEDBACK_DAILY))
    router.callback_query.filter(Can(Action.FEEDBACK_DAILY))
    router.message.register(feedback_command, Command("feedback"))
    router.callback_query.register(class_pressed, FeedbackClass.filter())
    router.callback_query.register(round_pressed, FeedbackRound.filter())
    router.callback_query.register(trend_pressed, FeedbackTrend.filter())
    return router
