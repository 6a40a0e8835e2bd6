"""Classes (S-7 to S-10, S-23, S-31): institution staff prepare a class on one card — teachers,
timetable (T5), equipment checklist (T4) — and submit it; the region's supervisor approves it
or returns it with a reason.

The card is one message edited in place; what still keeps the class from opening is always
listed on it, from the same checks that refuse Submit (bot.domain.classes).
"""

from __future__ import annotations

from datetime import date, datetime

from aiogram import Bot, F, Router
from aiogram.filters import Command
from aiogram.fsm.context import FSMContext
from aiogram.types import CallbackQuery, InlineKeyboardButton, InlineKeyboardMarkup, Message
from aiogram.utils.keyboard import InlineKeyboardBuilder
from sqlmodel.ext.asyncio.session import AsyncSession

from bot import notifier
from bot.class_callbacks import (
    ApplicationAction,
    ClassDo,
    ClassNew,
    ClassRoster,
    ClassView,
    Decide,
    Do,
    TeacherToggle,
    View,
)
from bot.clock import Clock
from bot.config import Settings
from bot.domain.classes import (
    EDITABLE,
    MAX_CAPACITY,
    REQUIREMENTS,
    ClassStatus,
    Programme,
    may_teach,
    problems,
)
from bot.filters import Can
from bot.forms import service
from bot.forms.service import FormHooks, Submitted
from bot.i18n import I18n
from bot.policy import Action, allowed, institutions
from bot.services import applications, recipients
from bot.services.actor import Actor, grants_of
from bot.services.reasons import Purpose
from bot.services.targets import class_for, class_if_allowed, institution_for, institution_target
from bot.timetables import standard_timetables
from bot.views import edit_in_place
from bot.views.classes import (
    application,
    application_text,
    local_time,
    snapshot,
    summary,
)
from handlers import reasons, timetable
from handlers.forms import Runner, begin
from storage import classes, repo
from storage.models import Institution, Person, TrainingClass

CLASS_FORM = "class"
EQUIPMENT_FORM = "equipment"

__all__ = ["application", "snapshot"]
"""Re-exported: the class views live in bot.views.classes."""


# --- what the card shows ---------------------------------------------------------------------


async def board(
    session: AsyncSession, found: TrainingClass, i18n: I18n, now: datetime
) -> tuple[str, InlineKeyboardMarkup]:
    snap = await snapshot(session, found)
    found_now = snap.findings(now)
    text = i18n(
        "classes.board",
        **summary(snap),
        findings=[(item.code, dict(item.params)) for item in found_now],
        blocking=len(problems(found_now)),
    )
    builder = InlineKeyboardBuilder()
    if found.status in EDITABLE:
        builder.button(
            text=i18n("classes.b_teachers", count=len(snap.teachers)),
            callback_data=ClassView(c=found.id, v=View.TEACHERS),
        )
    builder.button(
        text=i18n("classes.b_timetable"), callback_data=ClassView(c=found.id, v=View.TIMETABLE)
    )
    if found.status in EDITABLE:
        builder.button(
            text=i18n("classes.b_equipment", done=snap.facts.equipment_confirmed),
            callback_data=ClassDo(c=found.id, a=Do.EQUIPMENT),
        )
        builder.button(text=i18n("classes.b_edit"), callback_data=ClassDo(c=found.id, a=Do.EDIT))
        builder.button(
            text=i18n("classes.b_submit", again=found.status == ClassStatus.RETURNED),
            callback_data=ClassDo(c=found.id, a=Do.SUBMIT),
        )
    if found.status == ClassStatus.APPROVED:
        builder.button(text=i18n("classes.b_enrolment"), callback_data=ClassRoster(c=found.id))
    builder.button(text=i18n("classes.b_list"), callback_data=ClassView(c=0, v=View.LIST))
    builder.adjust(*((2, 2, 1, 1) if found.status in EDITABLE else (1, 1, 1)))
    return text, builder.as_markup()


async def class_list(
    session: AsyncSession, actor: Actor, i18n: I18n
) -> tuple[str, InlineKeyboardMarkup]:
    builder = InlineKeyboardBuilder()
    sections = []
    institution_ids = institutions(actor, Action.CLASS_VIEW)
    for institution_id in institution_ids:
        institution = await session.get(Institution, institution_id)
        if institution is None:
            continue
        listed = await classes.classes_of_institution(session, institution_id)
        sections.append((institution.name, listed))
        for item in listed:
            builder.row(
                InlineKeyboardButton(
                    text=i18n("classes.b_open", cls=item),
                    callback_data=ClassView(c=item.id, v=View.BOARD).pack(),
                )
            )
        builder.row(
            InlineKeyboardButton(
                text=i18n(
                    "classes.b_new",
                    institution=institution.name if len(institution_ids) > 1 else "",
                ),
                callback_data=ClassNew(i=institution_id).pack(),
            )
        )
    return i18n("classes.list", sections=sections), builder.as_markup()


# --- staff: list, new, card -------------------------------------------------------------------


async def list_classes(
    message: Message, session: AsyncSession, actor: Actor, i18n: I18n, state: FSMContext
) -> None:
    await state.clear()
    text, markup = await class_list(session, actor, i18n)
    await message.answer(text, reply_markup=markup)


async def new_class(
    query: CallbackQuery,
    callback_data: ClassNew,
    session: AsyncSession,
    person: Person,
    actor: Actor,
    i18n: I18n,
    settings: Settings,
    bot: Bot,
    state: FSMContext,
    clock: Clock,
) -> None:
    institution = await institution_for(session, actor, Action.CLASS_CREATE, callback_data.i)
    await query.answer()
    await state.clear()
    context = {"institution_id": institution.id}
    await begin(
        bot, query.from_user.id, session, person, i18n, settings, CLASS_FORM, context, clock=clock
    )


async def list_pressed(
    query: CallbackQuery,
    session: AsyncSession,
    actor: Actor,
    i18n: I18n,
    bot: Bot,
    state: FSMContext,
) -> None:
    await state.clear()
    text, markup = await class_list(session, actor, i18n)
    await query.answer()
    await edit_in_place(bot, query.message, text, markup)


CLASS_VIEWS = {
    View.BOARD: lambda session, found, i18n, now: board(session, found, i18n, now),
    View.TEACHERS: lambda session, found, i18n, now: teachers_view(session, found, i18n),
    View.TIMETABLE: lambda session, found, i18n, now: timetable.overview(session, found, i18n),
}


async def view_pressed(
    query: CallbackQuery,
    callback_data: ClassView,
    session: AsyncSession,
    actor: Actor,
    i18n: I18n,
    bot: Bot,
    state: FSMContext,
    clock: Clock,
) -> None:
    """The class card turned into its board, teachers or timetable view."""
    await state.clear()
    found = await class_for(session, actor, Action.CLASS_VIEW, callback_data.c)
    text, markup = await CLASS_VIEWS[callback_data.v](session, found, i18n, clock.now())
    await query.answer()
    await edit_in_place(bot, query.message, text, markup)


async def _class_to_change(
    query: CallbackQuery,
    session: AsyncSession,
    actor: Actor,
    i18n: I18n,
    state: FSMContext,
    action: Action,
    class_id: int,
) -> TrainingClass | None:
    """The class while it may still be changed; else the person is told why not."""
    found = await class_for(session, actor, action, class_id)
    if found.status not in EDITABLE:
        await query.answer(i18n("classes.not_editable", status=found.status), show_alert=True)
        return None
    await state.clear()
    return found


async def equipment_pressed(
    query: CallbackQuery,
    callback_data: ClassDo,
    session: AsyncSession,
    person: Person,
    actor: Actor,
    i18n: I18n,
    settings: Settings,
    bot: Bot,
    state: FSMContext,
    clock: Clock,
) -> None:
    found = await _class_to_change(
        query, session, actor, i18n, state, Action.CLASS_EQUIPMENT, callback_data.c
    )
    if found is None:
        return
    if found.equipment_confirmed_at is not None:
        at = local_time(found.equipment_confirmed_at, found)
        await query.answer(i18n("classes.equipment_done", at=at), show_alert=True)
        return
    await query.answer()
    context = {"class_id": found.id}
    await begin(
        bot,
        query.from_user.id,
        session,
        person,
        i18n,
        settings,
        EQUIPMENT_FORM,
        context,
        clock=clock,
    )


async def edit_pressed(
    query: CallbackQuery,
    callback_data: ClassDo,
    session: AsyncSession,
    person: Person,
    actor: Actor,
    i18n: I18n,
    settings: Settings,
    bot: Bot,
    state: FSMContext,
    clock: Clock,
) -> None:
    """The class form again, at its review screen with the class's data."""
    found = await _class_to_change(
        query, session, actor, i18n, state, Action.CLASS_EDIT, callback_data.c
    )
    if found is None:
        return
    await query.answer()
    draft = await service.start(
        session,
        person.id,
        CLASS_FORM,
        {"institution_id": found.institution_id, "class_id": found.id},
        answers={
            "programme": found.programme,
            "name": found.name,
            "start_date": found.start_date.isoformat(),
            "capacity": found.capacity,
            "venue_address": found.venue_address,
            "venue_location": {"latitude": found.venue_lat, "longitude": found.venue_lon},
        },
        now=clock.now(),
    )
    await Runner(bot, query.from_user.id, draft, i18n, settings, clock).show()


async def submit_pressed(
    query: CallbackQuery,
    callback_data: ClassDo,
    session: AsyncSession,
    person: Person,
    actor: Actor,
    i18n: I18n,
    settings: Settings,
    state: FSMContext,
    clock: Clock,
) -> None:
    found = await _class_to_change(
        query, session, actor, i18n, state, Action.CLASS_SUBMIT, callback_data.c
    )
    if found is not None:
        await submit(query, session, found, person, i18n, settings, clock)


# --- the class form and the equipment checklist -------------------------------------------------


async def class_submitted(done: Submitted) -> None:
    """A new class, or new basic data for one being prepared. Moving the start date moves the
    timetable with it."""
    if not done.first_time:
        return
    session, person, answers = done.session, done.person, done.submission.answers
    context = done.submission.context
    actor = Actor.of(person.id, await grants_of(session, person.id), person.locale, done.now)
    institution = await session.get(Institution, context["institution_id"])
    if institution is None or not allowed(
        actor, Action.CLASS_CREATE, institution_target(institution)
    ):
        await done.bot.send_message(person.tg_user_id, done.i18n("classes.not_found"))
        return
    location = answers["venue_location"]
    values = {
        "programme": answers["programme"],
        "name": answers["name"],
        "start_date": date.fromisoformat(answers["start_date"]),
        "capacity": answers.get("capacity") or MAX_CAPACITY,
        "venue_address": answers["venue_address"],
        "venue_lat": location["latitude"],
        "venue_lon": location["longitude"],
    }
    class_id = context.get("class_id")
    if class_id is None:
        found = await classes.create_class(
            session,
            institution_id=institution.id,
            region_id=institution.region_id,
            timezone=done.settings.timezone,
            status=ClassStatus.DRAFT,
            created_by=person.id,
            **values,
        )
        action = "class.created"
    else:
        found = await class_if_allowed(session, actor, Action.CLASS_EDIT, class_id)
        if found is None or found.status not in EDITABLE:
            status = found.status if found else ClassStatus.CLOSED
            await done.bot.send_message(
                person.tg_user_id, done.i18n("classes.not_editable", status=status)
            )
            return
        await timetable.move_start(session, found, values["start_date"])
        for key, value in values.items():
            setattr(found, key, value)
        classes.touch(found)
        action = "class.edited"
    await session.flush()
    await repo.audit(
        session,
        action,
        actor_id=person.id,
        object_type="training_class",
        object_id=found.id,
        programme=found.programme,
        capacity=found.capacity,
    )
    text, markup = await board(session, found, done.i18n, done.now)
    await done.bot.send_message(person.tg_user_id, text, reply_markup=markup)


async def equipment_submitted(done: Submitted) -> None:
    """Every item answered yes (the form refuses a no): the checklist is confirmed (T4)."""
    if not done.first_time:
        return
    session, person = done.session, done.person
    actor = Actor.of(person.id, await grants_of(session, person.id), person.locale, done.now)
    class_id = done.submission.context["class_id"]
    found = await class_if_allowed(session, actor, Action.CLASS_EQUIPMENT, class_id)
    if found is None or found.status not in EDITABLE:
        await done.bot.send_message(person.tg_user_id, done.i18n("classes.not_found"))
        return
    if not all(done.submission.answers.values()):
        return
    if found.equipment_confirmed_at is None:
        found.equipment_confirmed_at, found.equipment_confirmed_by = done.now, person.id
        classes.touch(found)
        await repo.audit(
            session,
            "class.equipment_confirmed",
            actor_id=person.id,
            object_type="training_class",
            object_id=found.id,
            submission_id=done.submission.id,
        )
    text, markup = await board(session, found, done.i18n, done.now)
    await done.bot.send_message(person.tg_user_id, text, reply_markup=markup)


# --- teachers ----------------------------------------------------------------------------------


async def teachers_view(
    session: AsyncSession, found: TrainingClass, i18n: I18n
) -> tuple[str, InlineKeyboardMarkup]:
    """Candidates with how their certificate stands; pressing one assigns or removes them."""
    programme = Programme(found.programme)
    kind = REQUIREMENTS[programme].teacher_kind
    chosen = await classes.teacher_ids(session, found.id)
    editable = found.status in EDITABLE
    rows = []
    builder = InlineKeyboardBuilder()
    for person in await classes.candidate_teachers(session, found):
        name = await classes.teacher_name(session, person)
        held = [c for c in await classes.certificates_of(session, person.id) if c.kind == kind]
        if person.id in chosen:
            standing = "chosen"
        elif any(c.status == "verified" for c in held):
            standing = "verified"
        elif any(c.status == "pending" for c in held):
            standing = "pending"
        else:
            standing = "none"
        rows.append((name, standing))
        if editable:
            builder.row(
                InlineKeyboardButton(
                    text=i18n("classes.b_teacher", name=name, standing=standing),
                    callback_data=TeacherToggle(
                        c=found.id, p=person.id, on=person.id not in chosen
                    ).pack(),
                )
            )
    builder.row(
        InlineKeyboardButton(
            text=i18n("classes.b_board"), callback_data=ClassView(c=found.id, v=View.BOARD).pack()
        )
    )
    text = i18n(
        "classes.teachers", cls=found, kind=kind, count=len(chosen), rows=rows, editable=editable
    )
    return text, builder.as_markup()


async def teacher_toggled(
    query: CallbackQuery,
    callback_data: TeacherToggle,
    session: AsyncSession,
    person: Person,
    actor: Actor,
    i18n: I18n,
    bot: Bot,
) -> None:
    found = await class_for(session, actor, Action.CLASS_TEACHERS, callback_data.c)
    if found.status not in EDITABLE:
        await query.answer(i18n("classes.not_editable", status=found.status), show_alert=True)
        return
    teacher = await session.get(Person, callback_data.p)
    candidates = {p.id for p in await classes.candidate_teachers(session, found)}
    if teacher is None or teacher.id not in candidates:
        await query.answer(i18n("classes.not_found"), show_alert=True)
        return
    name = await classes.teacher_name(session, teacher)
    chosen = await classes.teacher_ids(session, found.id)
    programme = Programme(found.programme)
    if not callback_data.on:
        if not await classes.unassign_teacher(session, found.id, teacher.id):
            await query.answer(i18n("classes.teacher_removed", name=name))
            return
        action, notice = "class.teacher_removed", "classes.teacher_removed_notice"
        await query.answer(i18n("classes.teacher_removed", name=name))
    elif teacher.id in chosen:
        await query.answer(i18n("classes.teacher_assigned", name=name))
        return
    elif not may_teach(programme, await classes.verified_kinds(session, teacher.id)):
        kind = REQUIREMENTS[programme].teacher_kind
        await query.answer(i18n("classes.not_certified", name=name, kind=kind), show_alert=True)
        return
    elif len(chosen) >= 2:
        await query.answer(i18n("classes.two_already"), show_alert=True)
        return
    else:
        await classes.assign_teacher(session, found.id, teacher.id, by=person.id)
        action, notice = "class.teacher_assigned", "classes.teacher_assigned_notice"
        await query.answer(i18n("classes.teacher_assigned", name=name))
    classes.touch(found)
    await repo.audit(
        session,
        action,
        actor_id=person.id,
        subject_id=teacher.id,
        object_type="training_class",
        object_id=found.id,
    )
    snap = await snapshot(session, found)
    await notifier.tell(session, teacher, notice, **summary(snap))
    text, markup = await teachers_view(session, found, i18n)
    await edit_in_place(bot, query.message, text, markup)


# --- submitting and deciding -------------------------------------------------------------------


async def submit(
    query: CallbackQuery,
    session: AsyncSession,
    found: TrainingClass,
    person: Person,
    i18n: I18n,
    settings: Settings,
    clock: Clock,
) -> None:
    now = clock.now()
    snap = await snapshot(session, found)
    blocking = problems(snap.findings(now))
    if blocking:
        await query.answer(i18n("classes.submit_blocked", count=len(blocking)), show_alert=True)
        await query.message.answer(
            i18n(
                "classes.submit_refused",
                findings=[(item.code, dict(item.params)) for item in blocking],
            )
        )
        return
    again = found.status == ClassStatus.RETURNED
    if not await classes.move_class(
        session, found, EDITABLE, ClassStatus.SUBMITTED, submitted_at=now
    ):
        await query.answer(i18n("classes.not_editable", status=found.status), show_alert=True)
        return
    await repo.audit(
        session,
        "class.submitted",
        actor_id=person.id,
        object_type="training_class",
        object_id=found.id,
        resubmitted=again,
    )
    sent_to = await recipients.class_reviewers(session, settings, found)
    await notifier.tell_many(
        session,
        [
            notifier.notice(
                reviewer,
                lambda reader: application(session, found, reader),
                key=f"class:{found.id}:{now.isoformat()}:{reviewer.chat_id}",
            )
            for reviewer in sent_to
        ],
    )
    await query.answer(i18n("classes.submitted", count=len(sent_to)), show_alert=True)
    text, markup = await board(session, found, i18n, now)
    await edit_in_place(query.bot, query.message, text, markup)


async def timetable_pressed(
    query: CallbackQuery,
    callback_data: Decide,
    session: AsyncSession,
    actor: Actor,
    i18n: I18n,
) -> None:
    """The detailed timetable, for deciding; decides nothing."""
    found = await class_for(session, actor, Action.CLASS_DECIDE, callback_data.c)
    await query.answer()
    text, _ = await timetable.overview(session, found, i18n, detailed=True)
    await query.message.answer(text)


async def approve_pressed(
    query: CallbackQuery,
    callback_data: Decide,
    session: AsyncSession,
    actor: Actor,
    i18n: I18n,
) -> None:
    decided = await applications.decide_application(
        session, actor, callback_data.c, ClassStatus.APPROVED, None
    )
    await query.answer(i18n("classes.decided", status=decided.status))
    found = await classes.get_class(session, decided.item_id)
    await query.message.edit_text(await application_text(session, found, i18n), reply_markup=None)


async def return_pressed(
    query: CallbackQuery,
    callback_data: Decide,
    session: AsyncSession,
    actor: Actor,
    i18n: I18n,
    state: FSMContext,
) -> None:
    """Returning asks the reason the institution will be told."""
    found = await applications.submitted_class(session, actor, callback_data.c)
    await query.answer()
    await reasons.ask(
        state,
        query.message,
        i18n,
        Purpose.CLASS_RETURN,
        "classes.ask_return_reason",
        {"name": found.name},
        **{"class": found.id, "card": query.message.message_id},
    )


async def return_reason_given(given: reasons.Given) -> None:
    decided = await applications.decide_application(
        given.session, given.actor, given.data["class"], ClassStatus.RETURNED, given.reason
    )
    await given.message.answer(given.i18n("classes.decided", status=decided.status))
    found = await classes.get_class(given.session, decided.item_id)
    await given.bot.edit_message_text(
        text=await application_text(given.session, found, given.i18n),
        chat_id=given.message.chat.id,
        message_id=given.data["card"],
        reply_markup=None,
    )


REASONS = {Purpose.CLASS_RETURN: return_reason_given}


def form_hooks(hooks: FormHooks) -> None:
    """A submitted class form becomes a class (or its edit); the checklist confirms equipment."""
    hooks.add(CLASS_FORM, class_submitted)
    hooks.add(EQUIPMENT_FORM, equipment_submitted)


def create_router() -> Router:
    router = Router(name=__name__)
    standard_timetables()  # a broken timetable template stops start-up here, naming the file
    staff = Router(name=f"{__name__}.staff")
    staff.message.filter(Can(Action.CLASS_VIEW))
    staff.callback_query.filter(Can(Action.CLASS_VIEW))
    staff.message.register(list_classes, Command("classes"))
    staff.callback_query.register(new_class, ClassNew.filter())
    staff.callback_query.register(list_pressed, ClassView.filter(F.v == View.LIST))
    staff.callback_query.register(view_pressed, ClassView.filter(F.v.in_(CLASS_VIEWS)))
    staff.callback_query.register(equipment_pressed, ClassDo.filter(F.a == Do.EQUIPMENT))
    staff.callback_query.register(edit_pressed, ClassDo.filter(F.a == Do.EDIT))
    staff.callback_query.register(submit_pressed, ClassDo.filter(F.a == Do.SUBMIT))
    staff.callback_query.register(teacher_toggled, TeacherToggle.filter())
    staff.include_router(timetable.create_router())
    deciding = Router(name=f"{__name__}.supervisors")
    deciding.message.filter(Can(Action.CLASS_DECIDE))
    deciding.callback_query.filter(Can(Action.CLASS_DECIDE))
    deciding.callback_query.register(
        approve_pressed, Decide.filter(F.a == ApplicationAction.APPROVE)
    )
    deciding.callback_query.register(return_pressed, Decide.filter(F.a == ApplicationAction.RETURN))
    deciding.callback_query.register(
        timetable_pressed, Decide.filter(F.a == ApplicationAction.TIMETABLE)
    )
    router.include_routers(staff, deciding)
    return router
