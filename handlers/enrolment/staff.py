"""Staff: the class's enrolment card and link, adding and withdrawing trainees."""

from __future__ import annotations

import math
from collections.abc import Sequence

from aiogram import Bot
from aiogram.fsm.context import FSMContext
from aiogram.types import BufferedInputFile, CallbackQuery, InlineKeyboardMarkup, Message
from aiogram.utils.keyboard import InlineKeyboardBuilder
from sqlmodel.ext.asyncio.session import AsyncSession

from bot import policy
from bot.class_callbacks import ClassRoster
from bot.clock import Clock
from bot.config import Settings
from bot.domain.enrolment import (
    ACTIVE,
    ENROLLED,
    PENDING,
    PLACED,
    Admission,
    is_open,
)
from bot.i18n import I18n
from bot.links import invite_link, qr_png
from bot.policy import Action
from bot.services.actor import Actor
from bot.services.targets import class_for
from bot.views import edit_in_place
from handlers.enrolment.common import (
    PAGE_SIZE,
    ClassImport,
    ClassInvite,
    EnrolAdd,
    EnrolList,
    Withdraw,
    WithdrawList,
    _capacity,
    _facts,
    _open_class,
    _tell,
)
from storage import enrolment as store
from storage.models import Enrollment, Person, TrainingClass


async def list_classes(
    message: Message, session: AsyncSession, actor: Actor, i18n: I18n, state: FSMContext
) -> None:
    await state.clear()
    institutions = policy.institutions(actor, Action.ENROLMENT_MANAGE)
    classes = await store.classes_of(session, institutions)
    builder = InlineKeyboardBuilder()
    for training_class in classes:
        span = await store.span_of(session, training_class)
        builder.button(
            text=i18n("enrolment.class_button", name=training_class.name, first=str(span.first)),
            callback_data=ClassRoster(c=training_class.id),
        )
    builder.adjust(1)
    await message.answer(
        i18n("enrolment.classes", count=len(classes)), reply_markup=builder.as_markup()
    )


async def show_card(
    query: CallbackQuery,
    callback_data: ClassRoster,
    session: AsyncSession,
    actor: Actor,
    i18n: I18n,
    clock: Clock,
) -> None:
    training_class = await class_for(session, actor, Action.ENROLMENT_MANAGE, callback_data.c)
    await query.answer()
    now = clock.now()
    span = await store.span_of(session, training_class)
    places = await store.roster(session, training_class.id)
    names = await store.names(session, [place.person_id for place in places])
    taken = await store.taken(session, training_class.id, now)
    open_ = is_open(training_class.status, span, store.today_of(training_class, now))
    facts = await _facts(session, training_class)
    text, markup = card_view(training_class, facts, open_, taken, places, names, i18n)
    await query.message.answer(text, reply_markup=markup)


def card_view(
    training_class: TrainingClass,
    facts: dict,
    open_: bool,
    taken: int,
    places: Sequence[Enrollment],
    names: dict[int, str],
    i18n: I18n,
) -> tuple[str, InlineKeyboardMarkup]:
    """A class's enrolment card: who is in or pending, places taken; while it takes trainees
    the link, add and import buttons; withdraw while anyone is in."""
    builder = InlineKeyboardBuilder()
    if open_:
        builder.button(
            text=i18n("enrolment.invite_button"), callback_data=ClassInvite(c=training_class.id)
        )
        builder.button(
            text=i18n("enrolment.add_button"), callback_data=EnrolList(c=training_class.id)
        )
        builder.button(
            text=i18n("enrolment.import_button"), callback_data=ClassImport(c=training_class.id)
        )
    if places:
        builder.button(
            text=i18n("enrolment.withdraw_button"), callback_data=WithdrawList(c=training_class.id)
        )
    builder.adjust(1)
    text = i18n(
        "enrolment.card",
        open_=open_,
        taken=taken,
        capacity=_capacity(training_class),
        enrolled=[names[p.person_id] for p in places if p.status == ENROLLED],
        pending=[names[p.person_id] for p in places if p.status == PENDING],
        reserved=taken - len(places),
        **facts,
    )
    return text, builder.as_markup()


async def send_invite(
    query: CallbackQuery,
    callback_data: ClassInvite,
    session: AsyncSession,
    person: Person,
    actor: Actor,
    i18n: I18n,
    settings: Settings,
    bot: Bot,
    clock: Clock,
) -> None:
    """The class's link and QR code: one multi-use link per class, made on first request."""
    training_class = await _open_class(query, session, actor, i18n, clock, callback_data.c)
    if training_class is None:
        return
    span = await store.span_of(session, training_class)
    invitation = await store.class_link(session, training_class, span, created_by=person.id)
    link = invite_link(settings, (await bot.me()).username, invitation.code)
    await query.answer()
    await query.message.answer_photo(
        BufferedInputFile(qr_png(link), filename=f"class-{training_class.id}.png"),
        caption=i18n(
            "enrolment.invite",
            link=link,
            code=invitation.code,
            capacity=_capacity(training_class),
            **await _facts(session, training_class),
        ),
    )


async def pick_trainee(
    query: CallbackQuery,
    callback_data: EnrolList,
    session: AsyncSession,
    actor: Actor,
    i18n: I18n,
    bot: Bot,
    clock: Clock,
) -> None:
    training_class = await _open_class(query, session, actor, i18n, clock, callback_data.c)
    if training_class is None:
        return
    await query.answer()
    people = await store.candidates(session, training_class.institution_id, training_class.id)
    names = await store.names(session, people)
    people.sort(key=lambda person_id: (names[person_id], person_id))
    pages = max(1, math.ceil(len(people) / PAGE_SIZE))
    page = min(max(callback_data.p, 0), pages - 1)
    shown = people[page * PAGE_SIZE : (page + 1) * PAGE_SIZE]
    builder = InlineKeyboardBuilder()
    for person_id in shown:
        builder.button(
            text=names[person_id], callback_data=EnrolAdd(c=training_class.id, t=person_id)
        )
    sizes = [2] * (len(shown) // 2) + [1] * (len(shown) % 2)
    nav = 0
    for target, label in ((page - 1, "◀"), (page + 1, "▶")):
        if 0 <= target < pages:
            builder.button(
                text=label, callback_data=EnrolList(c=training_class.id, p=target, e=True)
            )
            nav += 1
    builder.adjust(*sizes, nav or 1)
    text = i18n(
        "enrolment.pick", name=training_class.name, count=len(people), page=page + 1, pages=pages
    )
    if callback_data.e:
        await edit_in_place(bot, query.message, text, builder.as_markup())
        return
    await query.message.answer(text, reply_markup=builder.as_markup())


async def add_trainee(
    query: CallbackQuery,
    callback_data: EnrolAdd,
    session: AsyncSession,
    person: Person,
    actor: Actor,
    i18n: I18n,
    clock: Clock,
) -> None:
    training_class = await _open_class(
        query, session, actor, i18n, clock, callback_data.c, lock=True
    )
    if training_class is None:
        return
    if not await store.is_trainee_of(session, callback_data.t, training_class.institution_id):
        await query.answer(i18n("enrolment.not_yours"), show_alert=True)
        return
    now = clock.now()
    found = await store.admit(
        session, training_class, callback_data.t, actor_id=person.id, source="staff", now=now
    )
    name = (await store.names(session, [callback_data.t]))[callback_data.t]
    facts = await _facts(session, training_class)
    verdict = {
        "verdict": found.verdict,
        "other": found.other.name if found.other else None,
        "outcome": found.outcome,
    }
    capacity = _capacity(training_class)
    if found.verdict not in PLACED:
        text = i18n("enrolment.staff_refused", trainee=name, capacity=capacity, **verdict, **facts)
        await query.answer(text, show_alert=True)
        return
    await query.answer()
    await _tell(session, callback_data.t, "enrolment.settled", **verdict, **facts)
    taken = await store.taken(session, training_class.id, now)
    await query.message.answer(
        i18n(
            "enrolment.staff_added",
            trainee=name,
            pending=found.verdict is Admission.PENDING,
            taken=taken,
            capacity=capacity,
            **facts,
        )
    )


async def pick_withdrawal(
    query: CallbackQuery,
    callback_data: WithdrawList,
    session: AsyncSession,
    actor: Actor,
    i18n: I18n,
) -> None:
    training_class = await class_for(session, actor, Action.ENROLMENT_MANAGE, callback_data.c)
    await query.answer()
    places = await store.roster(session, training_class.id)
    names = await store.names(session, [place.person_id for place in places])
    builder = InlineKeyboardBuilder()
    for place in places:
        builder.button(
            text=names[place.person_id],
            callback_data=Withdraw(c=training_class.id, t=place.person_id),
        )
    builder.adjust(2)
    await query.message.answer(
        i18n("enrolment.pick_withdrawal", name=training_class.name, count=len(places)),
        reply_markup=builder.as_markup(),
    )


async def withdraw_trainee(
    query: CallbackQuery,
    callback_data: Withdraw,
    session: AsyncSession,
    person: Person,
    actor: Actor,
    i18n: I18n,
) -> None:
    training_class = await class_for(
        session, actor, Action.ENROLMENT_MANAGE, callback_data.c, lock=True
    )
    place = await store.place_of(session, training_class.id, callback_data.t)
    name = (await store.names(session, [callback_data.t])).get(callback_data.t, "")
    if place is None or place.status not in ACTIVE:
        await query.answer(i18n("enrolment.not_in_class", trainee=name), show_alert=True)
        return
    await query.answer()
    facts = await _facts(session, training_class)
    if not callback_data.ok:
        builder = InlineKeyboardBuilder()
        builder.button(
            text=i18n("enrolment.confirm_withdrawal"),
            callback_data=Withdraw(c=training_class.id, t=callback_data.t, ok=True),
        )
        await query.message.answer(
            i18n("enrolment.ask_withdrawal", trainee=name, **facts),
            reply_markup=builder.as_markup(),
        )
        return
    await store.withdraw(session, place, actor_id=person.id)
    await _tell(session, callback_data.t, "enrolment.withdrawn", **facts)
    await query.message.answer(i18n("enrolment.staff_withdrew", trainee=name, **facts))
