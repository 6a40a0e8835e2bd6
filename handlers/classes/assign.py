"""Institution staff assign a class's two teachers, or take one off (S-8, S-23, S-31)."""

from __future__ import annotations

from aiogram import Bot
from aiogram.types import CallbackQuery
from sqlmodel.ext.asyncio.session import AsyncSession

from bot.class_callbacks import TeacherPage, TeacherToggle
from bot.i18n import I18n
from bot.policy import Action
from bot.services import classes as prepare
from bot.services.actor import Actor
from bot.services.targets import class_for
from bot.views import edit_in_place
from bot.views.classes import teachers_view


async def teacher_toggled(
    query: CallbackQuery,
    callback_data: TeacherToggle,
    session: AsyncSession,
    actor: Actor,
    i18n: I18n,
    bot: Bot,
) -> None:
    done = await prepare.set_teacher(
        session, actor, callback_data.c, callback_data.p, assign=callback_data.on
    )
    key = "classes.teacher_assigned" if done.assigned else "classes.teacher_removed"
    await query.answer(i18n(key, name=done.name))
    if not done.changed:
        return
    offered = await prepare.candidates(session, done.found)
    text, markup = teachers_view(i18n, done.found, offered)
    await edit_in_place(bot, query.message, text, markup)


async def page_pressed(
    query: CallbackQuery,
    callback_data: TeacherPage,
    session: AsyncSession,
    actor: Actor,
    i18n: I18n,
    bot: Bot,
) -> None:
    """Another page of the candidates (a region may have many lecturers)."""
    found = await class_for(session, actor, Action.CLASS_VIEW, callback_data.c)
    offered = await prepare.candidates(session, found)
    text, markup = teachers_view(i18n, found, offered, callback_data.g)
    await query.answer()
    await edit_in_place(bot, query.message, text, markup)
