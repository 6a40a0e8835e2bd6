"""Staff: the class's enrolment card and link, adding and withdrawing trainees. Thin adapters
over bot/services/enrolment.py: parse the button, call the use case, render."""

from __future__ import annotations

from aiogram import Bot
from aiogram.fsm.context import FSMContext
from aiogram.types import BufferedInputFile, CallbackQuery, Message
from aiogram.utils.keyboard import InlineKeyboardBuilder
from sqlmodel.ext.asyncio.session import AsyncSession

from bot.class_callbacks import ClassRoster
from bot.config import Settings
from bot.domain.enrolment import Admission
from bot.i18n import I18n
from bot.links import invite_link, qr_png
from bot.services import enrolment
from bot.services.actor import Actor
from bot.views import edit_in_place
from handlers.enrolment.common import (
    ClassInvite,
    EnrolAdd,
    EnrolClasses,
    EnrolList,
    Withdraw,
    WithdrawList,
)
from handlers.enrolment.views import (
    candidates_view,
    card_view,
    classes_view,
    withdrawal_view,
)


async def list_classes(
    message: Message, session: AsyncSession, actor: Actor, i18n: I18n, state: FSMContext
) -> None:
    await state.clear()
    text, markup = classes_view(await enrolment.classes(session, actor), 0, i18n)
    await message.answer(text, reply_markup=markup)


async def classes_paged(
    query: CallbackQuery,
    callback_data: EnrolClasses,
    session: AsyncSession,
    actor: Actor,
    i18n: I18n,
    bot: Bot,
) -> None:
    classes = await enrolment.classes(session, actor)
    await query.answer()
    await edit_in_place(bot, query.message, *classes_view(classes, callback_data.p, i18n))


async def show_card(
    query: CallbackQuery,
    callback_data: ClassRoster,
    session: AsyncSession,
    actor: Actor,
    i18n: I18n,
) -> None:
    found = await enrolment.card(session, actor, callback_data.c)
    await query.answer()
    text, markup = card_view(found, i18n)
    await query.message.answer(text, reply_markup=markup)


async def send_invite(
    query: CallbackQuery,
    callback_data: ClassInvite,
    session: AsyncSession,
    actor: Actor,
    i18n: I18n,
    settings: Settings,
    bot: Bot,
) -> None:
    """The class's link and QR code: one multi-use link per class, made on first request."""
    training_class, invitation = await enrolment.class_link(session, actor, callback_data.c)
    link = invite_link(settings, (await bot.me()).username, invitation.code)
    await query.answer()
    await query.message.answer_photo(
        BufferedInputFile(qr_png(link), filename=f"class-{training_class.id}.png"),
        caption=i18n(
            "enrolment.invite",
            link=link,
            code=invitation.code,
            capacity=enrolment.capacity(training_class),
            **await enrolment.class_facts(session, training_class),
        ),
    )


async def pick_trainee(
    query: CallbackQuery,
    callback_data: EnrolList,
    session: AsyncSession,
    actor: Actor,
    i18n: I18n,
    bot: Bot,
) -> None:
    training_class, people, names = await enrolment.candidates(
        session, actor, callback_data.c, callback_data.p
    )
    await query.answer()
    text, markup = candidates_view(training_class, people, names, i18n)
    if callback_data.e:
        await edit_in_place(bot, query.message, text, markup)
        return
    await query.message.answer(text, reply_markup=markup)


async def add_trainee(
    query: CallbackQuery,
    callback_data: EnrolAdd,
    session: AsyncSession,
    actor: Actor,
    i18n: I18n,
) -> None:
    placed = await enrolment.add_trainee(session, actor, callback_data.c, callback_data.t)
    capacity = enrolment.capacity(placed.training_class)
    if not placed.placed:
        text = i18n(
            "enrolment.staff_refused",
            trainee=placed.trainee,
            capacity=capacity,
            **placed.verdict_context,
            **placed.facts,
        )
        await query.answer(text, show_alert=True)
        return
    await query.answer()
    await query.message.answer(
        i18n(
            "enrolment.staff_added",
            trainee=placed.trainee,
            pending=placed.verdict is Admission.PENDING,
            taken=placed.taken,
            capacity=capacity,
            **placed.facts,
        )
    )


async def pick_withdrawal(
    query: CallbackQuery,
    callback_data: WithdrawList,
    session: AsyncSession,
    actor: Actor,
    i18n: I18n,
    bot: Bot,
) -> None:
    training_class, places, names = await enrolment.active_places(session, actor, callback_data.c)
    await query.answer()
    text, markup = withdrawal_view(training_class, places, names, callback_data.p, i18n)
    if callback_data.e:
        await edit_in_place(bot, query.message, text, markup)
        return
    await query.message.answer(text, reply_markup=markup)


async def withdraw_trainee(
    query: CallbackQuery,
    callback_data: Withdraw,
    session: AsyncSession,
    actor: Actor,
    i18n: I18n,
) -> None:
    """The first press asks to confirm; the confirmation takes the trainee out."""
    done = await enrolment.withdrawal(
        session, actor, callback_data.c, callback_data.t, confirmed=callback_data.ok
    )
    await query.answer()
    if not callback_data.ok:
        builder = InlineKeyboardBuilder()
        builder.button(
            text=i18n("enrolment.confirm_withdrawal"),
            callback_data=Withdraw(c=done.training_class.id, t=callback_data.t, ok=True),
        )
        await query.message.answer(
            i18n("enrolment.ask_withdrawal", trainee=done.trainee, **done.facts),
            reply_markup=builder.as_markup(),
        )
        return
    await query.message.answer(i18n("enrolment.staff_withdrew", trainee=done.trainee, **done.facts))
