"""The roster for staff: a class day's marks, the class summary, and marks by hand."""

from __future__ import annotations

from datetime import datetime

from aiogram import Bot
from aiogram.types import CallbackQuery, InlineKeyboardMarkup, Message
from aiogram.utils.keyboard import InlineKeyboardBuilder
from sqlmodel.ext.asyncio.session import AsyncSession

from bot.domain.checkin import Mark, Phase
from bot.i18n import I18n
from bot.services import checkin
from bot.services.actor import Actor
from bot.services.people import names
from bot.views import edit_in_place
from bot.views.timetable import session_shown
from handlers.checkin.callbacks import MarkMenu, MarkSet, RosterClasses, RosterDay, Summary
from handlers.checkin.views import _button, _short, classes_view, roster_day_view, shown_day
from storage.models import ClassSession, TrainingClass


async def _roster_view(
    session: AsyncSession,
    training_class: TrainingClass,
    day: int,
    can_mark: bool,
    now: datetime,
    i18n: I18n,
) -> tuple[str, InlineKeyboardMarkup]:
    timetable = await checkin.timetable(session, training_class.id)
    if timetable:
        day = shown_day(timetable, training_class, day, now)
    rosters = {
        class_session.id: await checkin.roster(session, training_class, class_session)
        for class_session in timetable
        if class_session.day == day
    }
    return roster_day_view(training_class, timetable, day, rosters, can_mark, now, i18n)


async def roster_command(message: Message, session: AsyncSession, actor: Actor, i18n: I18n) -> None:
    classes = await checkin.roster_classes(session, actor)
    if not classes.total:
        await message.answer(i18n("checkin.no_classes"))
        return
    if classes.total == 1:
        training_class, marks = await checkin.roster_class(session, actor, classes.items[0].id)
        text, markup = await _roster_view(session, training_class, 0, marks, actor.now, i18n)
        await message.answer(text, reply_markup=markup)
        return
    text, markup = classes_view(classes, i18n)
    await message.answer(text, reply_markup=markup)


async def classes_paged(
    query: CallbackQuery,
    callback_data: RosterClasses,
    session: AsyncSession,
    actor: Actor,
    i18n: I18n,
    bot: Bot,
) -> None:
    classes = await checkin.roster_classes(session, actor, callback_data.p)
    await query.answer()
    await edit_in_place(bot, query.message, *classes_view(classes, i18n))


async def roster_pressed(
    query: CallbackQuery,
    callback_data: RosterDay,
    session: AsyncSession,
    actor: Actor,
    i18n: I18n,
    bot: Bot,
) -> None:
    training_class, marks = await checkin.roster_class(session, actor, callback_data.c)
    await query.answer()
    text, markup = await _roster_view(
        session, training_class, callback_data.d, marks, actor.now, i18n
    )
    if callback_data.n:
        await query.message.answer(text, reply_markup=markup)
    else:
        await edit_in_place(bot, query.message, text, markup)


async def summary_pressed(
    query: CallbackQuery,
    callback_data: Summary,
    session: AsyncSession,
    actor: Actor,
    i18n: I18n,
    bot: Bot,
) -> None:
    training_class, _ = await checkin.roster_class(session, actor, callback_data.c)
    await query.answer()
    summary = await checkin.class_summary(session, training_class, actor.now)
    text = i18n(
        "checkin.summary",
        name=training_class.name,
        sessions=[
            (session_shown(s, training_class), row)
            for s, row in summary.sessions
            if row.phase != Phase.UPCOMING
        ],
        upcoming=sum(row.phase == Phase.UPCOMING for _, row in summary.sessions),
        people=[(_short(name), row) for name, row in summary.people],
    )
    builder = InlineKeyboardBuilder()
    builder.button(text=i18n("checkin.back"), callback_data=RosterDay(c=training_class.id, d=0))
    await edit_in_place(bot, query.message, text, builder.as_markup())


async def _people_view(
    session: AsyncSession, class_session: ClassSession, training_class: TrainingClass, i18n: I18n
) -> tuple[str, InlineKeyboardMarkup]:
    builder = InlineKeyboardBuilder()
    for line in await checkin.roster(session, training_class, class_session):
        builder.button(
            text=i18n("checkin.person_button", name=_short(line.name), line=line),
            callback_data=MarkMenu(s=class_session.id, p=line.person_id),
        )
    builder.adjust(2)
    back = RosterDay(c=training_class.id, d=class_session.day)
    builder.row(_button(i18n("checkin.back"), back))
    text = i18n(
        "checkin.pick_person",
        name=training_class.name,
        s=session_shown(class_session, training_class),
    )
    return text, builder.as_markup()


async def mark_menu(
    query: CallbackQuery,
    callback_data: MarkMenu,
    session: AsyncSession,
    actor: Actor,
    i18n: I18n,
    bot: Bot,
) -> None:
    """The session's people to mark (p=0), or the marks offered for one of them."""
    if not callback_data.p:
        class_session, training_class = await checkin.markable_session(
            session, actor, callback_data.s
        )
        await query.answer()
        await edit_in_place(
            bot, query.message, *await _people_view(session, class_session, training_class, i18n)
        )
        return
    class_session, training_class, line = await checkin.roster_line(
        session, actor, callback_data.s, callback_data.p
    )
    await query.answer()
    builder = InlineKeyboardBuilder()
    for mark in Mark:
        builder.button(
            text=i18n("checkin.mark_choice", mark=mark, current=line.status == mark),
            callback_data=MarkSet(s=class_session.id, p=line.person_id, m=mark),
        )
    builder.button(text=i18n("checkin.back"), callback_data=MarkMenu(s=class_session.id))
    builder.adjust(2, 2, 1, 1)
    text = i18n(
        "checkin.pick_mark",
        person=line.name,
        name=training_class.name,
        s=session_shown(class_session, training_class),
        line=line,
    )
    await edit_in_place(bot, query.message, text, builder.as_markup())


async def mark_set(
    query: CallbackQuery,
    callback_data: MarkSet,
    session: AsyncSession,
    actor: Actor,
    i18n: I18n,
    bot: Bot,
) -> None:
    class_session, training_class, changed = await checkin.hand_mark(
        session, actor, callback_data.s, callback_data.p, callback_data.m
    )
    named = await names(session, [callback_data.p])
    await query.answer(
        i18n(
            "checkin.marked",
            person=named[callback_data.p],
            mark=callback_data.m,
            changed=changed,
        )
    )
    await edit_in_place(
        bot, query.message, *await _people_view(session, class_session, training_class, i18n)
    )
