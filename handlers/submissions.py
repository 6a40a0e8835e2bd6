"""Assessment submissions (S-11, S-12): /practice (practice results, T8), /plan (business plan,
T10, in chat or as a file), /planpdf (the plan as A4 PDF), and /extend (institution staff give
one learner a later deadline). Thin: the use cases are bot/services/submissions.py, the screens
bot/views/submissions.py, the forms the generic runner (handlers/forms.py)."""

from __future__ import annotations

import asyncio
from functools import partial

from aiogram import Bot, F, Router
from aiogram.filters import Command
from aiogram.types import BufferedInputFile, CallbackQuery, Message
from sqlmodel.ext.asyncio.session import AsyncSession

from bot.clock import Clock
from bot.config import Settings
from bot.domain.submissions import PLAN, PRACTICE
from bot.filters import Can
from bot.forms import service as form_service
from bot.forms.pdf import form_pdf
from bot.forms.registry import form
from bot.forms.service import FormHooks, Submitted
from bot.i18n import I18n
from bot.policy import Action
from bot.services import people
from bot.services import submissions as cases
from bot.services.actor import Actor
from bot.services.targets import class_for
from bot.views import edit_in_place
from bot.views.submissions import (
    ExtAct,
    ExtCb,
    PlanAct,
    PlanCb,
    class_picker,
    days_picker,
    handed_in_view,
    learner_picker,
)
from handlers.forms import Runner, begin, today_in
from storage.models import Person


async def _start(
    form_id: str,
    message: Message,
    session: AsyncSession,
    person: Person,
    actor: Actor,
    i18n: I18n,
    settings: Settings,
    bot: Bot,
    clock: Clock,
) -> None:
    """Open the form for the learner's class: their unfinished draft if there is one, else the
    last version handed in (to change and hand in again), else a blank form."""
    opening = await cases.open_for(session, actor, form_id)
    class_id = opening.training_class.id
    drafts = [await form_service.active_draft(session, person.id)]
    drafts += await form_service.paused_drafts(session, person.id)
    for draft in drafts:
        if draft is not None and draft.form_id == form_id:
            if draft.context.get("class_id") == class_id:
                await form_service.resume(session, draft, clock.now())
                await Runner(bot, message.chat.id, draft, i18n, settings, clock).show()
                return
    last = await cases.latest_version(session, actor, form_id, class_id)
    if last is not None:
        draft = await form_service.start(
            session,
            person.id,
            form_id,
            last.context,
            answers=last.answers,
            revises_id=last.id,
            now=clock.now(),
        )
        await Runner(bot, message.chat.id, draft, i18n, settings, clock).show()
        return
    context = {"class_id": class_id}
    await begin(
        bot, message.chat.id, session, person, i18n, settings, form_id, context, clock=clock
    )


async def practice(
    message: Message,
    session: AsyncSession,
    person: Person,
    actor: Actor,
    i18n: I18n,
    settings: Settings,
    bot: Bot,
    clock: Clock,
) -> None:
    await _start(PRACTICE, message, session, person, actor, i18n, settings, bot, clock)


async def plan(
    message: Message,
    session: AsyncSession,
    person: Person,
    actor: Actor,
    i18n: I18n,
    settings: Settings,
    bot: Bot,
    clock: Clock,
) -> None:
    await _start(PLAN, message, session, person, actor, i18n, settings, bot, clock)


async def handed_in(done: Submitted) -> None:
    """After the runner recorded a submission: checked again (a deadline passed or eligibility
    lost while filling refuses it, rolling it back), then the learner is told the version."""
    if not done.first_time:
        return
    actor = await done.actor()
    opening = await cases.handed_in(done.session, actor, done.submission)
    form_id = done.submission.form_id
    text, markup = handed_in_view(
        done.i18n,
        form_id,
        form(form_id).title(done.i18n.locale),
        opening.versions,
        opening.deadline,
        opening.training_class.name,
        printable=done.submission.answers.get("mode") == "chat",
    )
    await done.bot.send_message(done.person.tg_user_id, text, reply_markup=markup)


async def _send_plan(
    chat_id: int,
    session: AsyncSession,
    person: Person,
    actor: Actor,
    i18n: I18n,
    settings: Settings,
    bot: Bot,
) -> None:
    copy = await cases.plan_to_print(session, actor)
    class_id = copy.context.get("class_id")
    training_class = await cases.class_of(session, class_id)
    zone = settings.tz
    heading = [
        i18n(
            "submissions.pdf_heading",
            name=(await people.names(session, [person.id])).get(person.id, person.first_name),
            class_name=training_class.name if training_class else "",
            changed=copy.changed_at.astimezone(zone),
            submitted=copy.submitted,
        )
    ]
    definition = form(PLAN)
    pdf = await asyncio.to_thread(  # ~0.5 s of CPU: the other chats go on meanwhile
        partial(form_pdf, heading=heading),
        definition,
        copy.answers,
        today_in(settings, actor.now),
        copy.context,
        i18n,
    )
    await bot.send_document(
        chat_id,
        BufferedInputFile(pdf, filename=i18n("submissions.pdf_file")),
        caption=i18n("submissions.pdf_caption", title=definition.title(i18n.locale)),
    )


async def print_plan(
    message: Message,
    session: AsyncSession,
    person: Person,
    actor: Actor,
    i18n: I18n,
    settings: Settings,
    bot: Bot,
) -> None:
    await _send_plan(message.chat.id, session, person, actor, i18n, settings, bot)


async def print_pressed(
    query: CallbackQuery,
    session: AsyncSession,
    person: Person,
    actor: Actor,
    i18n: I18n,
    settings: Settings,
    bot: Bot,
) -> None:
    await _send_plan(query.from_user.id, session, person, actor, i18n, settings, bot)
    await query.answer()


async def extend_command(message: Message, session: AsyncSession, actor: Actor, i18n: I18n) -> None:
    """Institution staff: the institution's running classes, to pick one."""
    classes = await cases.extendable_classes(session, actor)
    text, markup = class_picker(i18n, [(c.id, c.name) for c in classes])
    await message.answer(text, reply_markup=markup)


async def classes_paged(
    query: CallbackQuery,
    callback_data: ExtCb,
    session: AsyncSession,
    actor: Actor,
    i18n: I18n,
    bot: Bot,
) -> None:
    classes = await cases.extendable_classes(session, actor)
    text, markup = class_picker(i18n, [(c.id, c.name) for c in classes], callback_data.n)
    await query.answer()
    await edit_in_place(bot, query.message, text, markup)


async def _learners(
    query: CallbackQuery,
    callback_data: ExtCb,
    session: AsyncSession,
    actor: Actor,
    i18n: I18n,
    bot: Bot,
) -> None:
    training_class = await class_for(session, actor, Action.SUBMISSION_EXTEND, callback_data.c)
    learners = await cases.learners_of(session, training_class)
    text, markup = learner_picker(
        i18n, training_class.id, training_class.name, learners, callback_data.n
    )
    await query.answer()
    await edit_in_place(bot, query.message, text, markup)


async def learner_pressed(
    query: CallbackQuery,
    callback_data: ExtCb,
    session: AsyncSession,
    actor: Actor,
    i18n: I18n,
    bot: Bot,
) -> None:
    training_class = await class_for(session, actor, Action.SUBMISSION_EXTEND, callback_data.c)
    standing = await cases.standing_of(session, training_class, callback_data.p)
    named = await people.names(session, [callback_data.p])
    text, markup = days_picker(
        i18n,
        training_class.id,
        callback_data.p,
        named.get(callback_data.p, ""),
        training_class.name,
        standing.deadline,
    )
    await query.answer()
    await edit_in_place(bot, query.message, text, markup)


async def days_pressed(
    query: CallbackQuery,
    callback_data: ExtCb,
    session: AsyncSession,
    actor: Actor,
    i18n: I18n,
    bot: Bot,
) -> None:
    done = await cases.extend(session, actor, callback_data.c, callback_data.p, callback_data.n)
    await query.answer()
    text = i18n(
        "submissions.ext_done", learner=done.learner, name=done.class_name, deadline=done.deadline
    )
    await edit_in_place(bot, query.message, text, None)


def form_hooks(hooks: FormHooks) -> None:
    for form_id in (PRACTICE, PLAN):
        hooks.add(form_id, handed_in, announces=True)


def create_router() -> Router:
    router = Router(name=__name__)
    learners = Router(name=f"{__name__}.learners")
    learners.message.filter(Can(Action.SUBMISSION_HAND_IN))
    learners.message.register(practice, Command("practice"))
    learners.message.register(plan, Command("plan"))
    learners.message.register(print_plan, Command("planpdf"))
    learners.callback_query.register(print_pressed, PlanCb.filter(F.a == PlanAct.PRINT))
    staff = Router(name=f"{__name__}.staff")
    staff.message.filter(Can(Action.SUBMISSION_EXTEND))
    staff.callback_query.filter(Can(Action.SUBMISSION_EXTEND))
    staff.message.register(extend_command, Command("extend"))
    staff.callback_query.register(classes_paged, ExtCb.filter(F.a == ExtAct.CLASSES))
    for action in (ExtAct.CLASS, ExtAct.PAGE):
        staff.callback_query.register(_learners, ExtCb.filter(F.a == action))
    staff.callback_query.register(learner_pressed, ExtCb.filter(F.a == ExtAct.LEARNER))
    staff.callback_query.register(days_pressed, ExtCb.filter(F.a == ExtAct.DAYS))
    router.include_routers(learners, staff)
    return router
