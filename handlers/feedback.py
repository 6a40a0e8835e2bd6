"""Answering the daily feedback and the evaluations (T6, T7, mid-term), and /myfeedback.

The pushed button starts the form with the class's teachers and modules in its context; the
submit hook counts the answer once, only while the form is open. The answer stays the
trainee's to read; teachers only ever see aggregates (built elsewhere).
"""

from __future__ import annotations

from typing import Any

from aiogram import Bot, Router
from aiogram.filters import Command
from aiogram.types import CallbackQuery, Message
from sqlmodel.ext.asyncio.session import AsyncSession

from bot.clock import Clock
from bot.config import Settings
from bot.domain.feedback import FORMS, Answerable, Kind, answerable, modules
from bot.feedback_callbacks import FeedbackFill
from bot.filters import Can
from bot.forms import service
from bot.forms.registry import form
from bot.forms.render import display
from bot.forms.runner import FormRun
from bot.forms.service import FormHooks, Submitted
from bot.i18n import I18n
from bot.policy import Action, Target, allowed
from bot.services.actor import Actor, grants_of
from bot.services.targets import feedback_request_for
from handlers.forms import Runner, begin, today_in
from storage import attendance, feedback, repo
from storage.classes import sessions_of, teacher_ids, teacher_name
from storage.models import FeedbackRequest, Person, TrainingClass

SHOWN_ANSWERS = 5
"""/myfeedback shows the latest answers only: a phone screen, not an archive."""


async def _context(session: AsyncSession, found: FeedbackRequest) -> dict[str, Any]:
    """What the form needs from the class: its teachers, and the modules taught so far (the
    evaluations) or the day's topics (the daily feedback)."""
    timetable = await sessions_of(session, found.class_id)
    teachers = [
        await teacher_name(session, await session.get(Person, person_id))
        for person_id in await teacher_ids(session, found.class_id)
    ]
    context: dict[str, Any] = {
        "class_id": found.class_id,
        "kind": found.kind,
        "day": found.day,
        "request_id": found.id,
        "teachers": teachers,
    }
    if found.kind == Kind.DAILY:
        context["topics"] = [item.topic for item in timetable if item.day == found.day]
    else:
        context["modules"] = modules(item.topic for item in timetable if item.day <= found.day)
    return context


async def fill_pressed(
    query: CallbackQuery,
    callback_data: FeedbackFill,
    session: AsyncSession,
    person: Person,
    actor: Actor,
    i18n: I18n,
    settings: Settings,
    bot: Bot,
    clock: Clock,
) -> None:
    found = await feedback_request_for(session, actor, callback_data.r)
    match answerable(found.closes_at, found.answered_at, clock.now()):
        case Answerable.ANSWERED:
            await query.answer(i18n("feedback.already"), show_alert=True)
            return
        case Answerable.CLOSED:
            await query.answer(i18n("feedback.closed"), show_alert=True)
            return
    await query.answer()
    chat_id = query.from_user.id
    draft = await service.active_draft(session, person.id)
    if draft is not None and draft.context.get("request_id") == found.id:
        await Runner(bot, chat_id, draft, i18n, settings, clock).show()
        return
    context = await _context(session, found)
    await begin(bot, chat_id, session, person, i18n, settings, found.form_id, context, clock=clock)


async def feedback_submitted(done: Submitted) -> None:
    """Count the answer if it is the first one and the form is still open; say what next."""
    found = await feedback.request(done.session, done.submission.context.get("request_id", 0))
    if found is None or not done.first_time:
        return
    grants = await grants_of(done.session, done.person.id)
    actor = Actor.of(done.person.id, grants, done.person.locale, done.now)
    if not allowed(actor, Action.FEEDBACK_GIVE, Target.at(owner=found.person_id)):
        return
    chat_id = done.person.tg_user_id
    if not await feedback.record_answer(done.session, found, done.submission.id, done.now):
        refusal = "feedback.late" if found.submission_id is None else "feedback.not_counted"
        await done.bot.send_message(chat_id, done.i18n(refusal))
        return
    await repo.audit(
        done.session,
        "feedback.answered",
        actor_id=done.person.id,
        subject_id=done.person.id,
        object_type="feedback_request",
        object_id=found.id,
        kind=found.kind,
        day=found.day,
        submission=done.submission.id,
    )
    training_class = await done.session.get(TrainingClass, found.class_id)
    following = [
        item for item in await sessions_of(done.session, found.class_id) if item.day > found.day
    ]
    await done.bot.send_message(
        chat_id,
        done.i18n(
            "feedback.thanks",
            kind=found.kind,
            name=training_class.name,
            next_s=attendance.view(following[0], training_class) if following else None,
        ),
    )


async def my_feedback(
    message: Message,
    session: AsyncSession,
    person: Person,
    i18n: I18n,
    settings: Settings,
    clock: Clock,
) -> None:
    """The person's own counted answers, latest first, as they gave them."""
    items, today = [], today_in(settings, clock.now())
    for found, submitted in (await feedback.answered_by(session, person.id))[:SHOWN_ANSWERS]:
        training_class = await session.get(TrainingClass, found.class_id)
        definition = form(submitted.form_id)
        run = FormRun(definition, submitted.answers, today, submitted.context)
        answers = [
            (slot.question.label(i18n.locale), display(slot.question, run.answers[slot.key], i18n))
            for slot in run.asked
            if slot.key in run.answers
        ]
        items.append(
            {
                "kind": found.kind,
                "day": found.day,
                "name": training_class.name,
                "when": found.answered_at.astimezone(settings.tz),
                "answers": answers,
            }
        )
    await message.answer(i18n("feedback.mine", items=items))


def form_hooks(hooks: FormHooks) -> None:
    """Every feedback form is counted (or refused as late) by one hook, which says so itself."""
    for form_id in FORMS.values():
        hooks.add(form_id, feedback_submitted, announces=True)


def create_router() -> Router:
    router = Router(name=__name__)
    router.message.filter(Can(Action.FEEDBACK_GIVE))
    router.callback_query.filter(Can(Action.FEEDBACK_GIVE))
    router.callback_query.register(fill_pressed, FeedbackFill.filter())
    router.message.register(my_feedback, Command("myfeedback"))
    return router
