"""The region's supervisor dispatches verified lecturers of the region to a trainee class of
the region being prepared (S-8, 「由当地创业培训主管部门选派」): /dispatch lists the classes,
a class shows its candidate lecturers, a press dispatches or calls off one; the teacher and the
institution's staff are told (bot/services/classes.py `set_teacher`)."""

from __future__ import annotations

from aiogram import Bot
from aiogram.types import CallbackQuery, Message
from sqlmodel.ext.asyncio.session import AsyncSession

from bot.class_callbacks import DispatchClass, DispatchList, DispatchToggle
from bot.i18n import I18n
from bot.policy import Action
from bot.services import classes as prepare
from bot.services.actor import Actor
from bot.views import edit_in_place
from bot.views.classes import dispatch_list_view, teachers_view


async def dispatch_command(
    message: Message, session: AsyncSession, actor: Actor, i18n: I18n
) -> None:
    listed = await prepare.dispatchable(session, actor, 0)
    text, markup = dispatch_list_view(i18n, listed.shown, listed.page, listed.pages, listed.total)
    await message.answer(text, reply_markup=markup)


async def list_pressed(
    query: CallbackQuery,
    callback_data: DispatchList,
    session: AsyncSession,
    actor: Actor,
    i18n: I18n,
    bot: Bot,
) -> None:
    listed = await prepare.dispatchable(session, actor, callback_data.p)
    await query.answer()
    text, markup = dispatch_list_view(i18n, listed.shown, listed.page, listed.pages, listed.total)
    await edit_in_place(bot, query.message, text, markup)


async def class_pressed(
    query: CallbackQuery,
    callback_data: DispatchClass,
    session: AsyncSession,
    actor: Actor,
    i18n: I18n,
    bot: Bot,
) -> None:
    """The lecturers who may be dispatched to the class, a page of them."""
    found = await prepare.to_dispatch(session, actor, callback_data.c)
    offered = await prepare.candidates(session, found)
    await query.answer()
    text, markup = teachers_view(i18n, found, offered, callback_data.g, dispatch=True)
    await edit_in_place(bot, query.message, text, markup)


async def teacher_toggled(
    query: CallbackQuery,
    callback_data: DispatchToggle,
    session: AsyncSession,
    actor: Actor,
    i18n: I18n,
    bot: Bot,
) -> None:
    done = await prepare.set_teacher(
        session,
        actor,
        callback_data.c,
        callback_data.p,
        assign=callback_data.on,
        action=Action.CLASS_DISPATCH,
    )
    key = "classes.teacher_assigned" if done.assigned else "classes.teacher_removed"
    await query.answer(i18n(key, name=done.name))
    if not done.changed:
        return
    offered = await prepare.candidates(session, done.found)
    text, markup = teachers_view(i18n, done.found, offered, dispatch=True)
    await edit_in_place(bot, query.message, text, markup)
