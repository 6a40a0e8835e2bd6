"""Trainee intake (S-2 to S-6): registration, appendix 3, screening with reasons, the
institution's confirmation or override, the needs questionnaire, and /status."""

from __future__ import annotations

from aiogram import Bot, Router
from aiogram.filters import Command
from aiogram.fsm.context import FSMContext
from aiogram.types import CallbackQuery, Message
from sqlmodel.ext.asyncio.session import AsyncSession

from bot.clock import Clock
from bot.config import Settings
from bot.domain.screening import Outcome, screen
from bot.filters import Can
from bot.forms import service
from bot.forms.registry import form
from bot.forms.render import display
from bot.forms.service import FormHooks, FormStart, Submitted
from bot.i18n import I18n
from bot.policy import Action
from bot.services import assessment, forms, people, screening
from bot.services.actor import Actor
from bot.services.errors import found
from bot.services.reasons import Purpose
from bot.services.targets import trainee_for
from bot.views import edit_in_place
from bot.views.forms import offer_view
from bot.views.intake import (
    Decision,
    StartForm,
    TraineeCard,
    TraineesPage,
    case_view,
    trainees_view,
)
from handlers import leave, reasons
from handlers.forms import begin
from storage.models import Person

__all__ = ["Decision", "StartForm", "TraineeCard", "case_view"]
"""Re-exported: the card views live in bot.views.intake."""


async def start_registration(
    bot: Bot,
    chat_id: int,
    session: AsyncSession,
    person: Person,
    i18n: I18n,
    settings: Settings,
    institution_id: int | None,
    clock: Clock,
) -> None:
    await begin(
        bot,
        chat_id,
        session,
        person,
        i18n,
        settings,
        "registration",
        {"institution_id": institution_id},
        clock=clock,
    )


async def _reopen(done: Submitted, institution_id: int | None, reason: str) -> bool:
    return await screening.reopen(done.session, done.person.id, institution_id, reason)


async def registration_submitted(done: Submitted) -> list[FormStart] | None:
    """First registration: on to appendix 3 or screening. A revised one is screened again
    (with the appendix already given, if any)."""
    institution_id = done.submission.context.get("institution_id")
    revised = done.submission.supersedes_id is not None
    reason = "registration revised" if revised else "registration submitted"
    if not done.first_time or not await _reopen(done, institution_id, reason):
        return None
    if done.submission.answers.get("direction") != "online":
        await _screen(done, done.submission.id, None)
        return None
    appendix = await service.latest_submission(done.session, done.person.id, "appendix3")
    if revised and appendix is not None:
        await _screen(done, done.submission.id, appendix.id)
        return None
    context = {"institution_id": institution_id, "registration_id": done.submission.id}
    return [FormStart("appendix3", context)]


async def appendix_submitted(done: Submitted) -> None:
    registration = await service.latest_submission(done.session, done.person.id, "registration")
    institution_id = done.submission.context.get("institution_id")
    if not done.first_time or registration is None:
        return
    if await _reopen(done, institution_id, "appendix 3 submitted"):
        await _screen(done, registration.id, done.submission.id)


async def needs_submitted(done: Submitted) -> None:
    institution_id = done.submission.context.get("institution_id")
    await screening.needs_given(done.session, done.person.id, institution_id)


async def _screen(done: Submitted, registration_id: int, appendix_id: int | None) -> None:
    """Recommend and record the case; the reviewers are asked to decide (S-5: lecturers and the
    institution recommend). The trainee is told only that it is being reviewed: the result,
    with its reasons, comes once a reviewer confirmed it."""
    registration = await service.submission(done.session, registration_id)
    appendix = await service.submission(done.session, appendix_id) if appendix_id else None
    recommendation = screen(registration.answers, appendix.answers if appendix else None)
    _case, reviewed = await screening.recommend(
        done.session,
        done.person,
        registration.context.get("institution_id"),
        registration.id,
        appendix_id,
        recommendation,
    )
    await done.bot.send_message(
        done.person.tg_user_id,
        done.i18n("intake.received", reviewers=reviewed),
    )


async def decision_pressed(
    query: CallbackQuery,
    callback_data: Decision,
    session: AsyncSession,
    actor: Actor,
    i18n: I18n,
    state: FSMContext,
) -> None:
    """Confirming decides at once; overriding asks the reason first."""
    case = await screening.pending_case(session, actor, callback_data.c)
    await query.answer()
    if screening.needs_reason(case, callback_data.o):
        await reasons.ask(
            state,
            query.message,
            i18n,
            Purpose.SCREENING_OVERRIDE,
            "intake.ask_reason",
            {"outcome": callback_data.o},
            case=case.id,
            outcome=callback_data.o,
        )
        return
    decided = await screening.decide_screening(session, actor, case.id, callback_data.o, None)
    await query.message.answer(i18n("intake.decided", outcome=decided.status))


async def override_reason_given(given: reasons.Given) -> None:
    outcome = Outcome(given.data["outcome"])
    decided = await screening.decide_screening(
        given.session, given.actor, given.data["case"], outcome, given.reason
    )
    await given.message.answer(given.i18n("intake.decided", outcome=decided.status))


REASONS = {Purpose.SCREENING_OVERRIDE: override_reason_given}


async def start_form_pressed(
    query: CallbackQuery,
    callback_data: StartForm,
    session: AsyncSession,
    person: Person,
    i18n: I18n,
    settings: Settings,
    bot: Bot,
    clock: Clock,
) -> None:
    """Trainees start the needs questionnaire themselves once found suitable."""
    case = await screening.latest_case(session, person.id)
    if callback_data.f != "needs" or case is None or case.decided != Outcome.ONLINE:
        await query.answer(i18n("fallback.stale_button"), show_alert=True)
        return
    if await service.latest_submission(session, person.id, "needs") is not None:
        await query.answer(
            i18n("forms.already_submitted", title=form("needs").title(i18n.locale)), show_alert=True
        )
        return
    await query.answer()
    await begin(
        bot,
        query.from_user.id,
        session,
        person,
        i18n,
        settings,
        "needs",
        {"institution_id": case.institution_id},
        clock=clock,
    )


async def show_status(
    message: Message,
    session: AsyncSession,
    person: Person,
    actor: Actor,
    i18n: I18n,
    settings: Settings,
) -> None:
    """Where the trainee stands; a form left unfinished is named, with buttons to go on."""
    cycles = await screening.cycles(session, person.id)
    case = await screening.latest_case(session, person.id)
    text = i18n("intake.status", states=[c.state for c in cycles], case=case)
    unfinished = await forms.offer(session, actor, settings.tz)
    markup = None
    if unfinished is not None:
        title = form(unfinished.draft.form_id).title(i18n.locale)
        number, total = unfinished.answered, unfinished.total
        text += "\n\n" + i18n("intake.unfinished", title=title, number=number, total=total)
        _, markup = offer_view(unfinished.draft, number, total, i18n)
    await message.answer(text, reply_markup=markup)
    attendance = await leave.status_text(session, person, i18n)
    if attendance:
        await message.answer(attendance)
    standing = await assessment.standing(session, actor)
    if standing:
        await message.answer(i18n("assessment.standing", classes=standing))


async def list_trainees(message: Message, session: AsyncSession, actor: Actor, i18n: I18n) -> None:
    """Teachers see the trainees of each open class they teach (S-6: before the class starts)
    and staff their institution's trainees, each with a needs-analysis summary button."""
    found = await screening.trainees_page(session, actor, 0)
    text, markup = trainees_view(i18n, found.lines, found.page, found.pages, found.count)
    await message.answer(text, reply_markup=markup)


async def trainees_paged(
    query: CallbackQuery,
    callback_data: TraineesPage,
    session: AsyncSession,
    actor: Actor,
    i18n: I18n,
    bot: Bot,
) -> None:
    found = await screening.trainees_page(session, actor, callback_data.p)
    await query.answer()
    await edit_in_place(
        bot,
        query.message,
        *trainees_view(i18n, found.lines, found.page, found.pages, found.count),
    )


async def trainee_card(
    query: CallbackQuery,
    callback_data: TraineeCard,
    session: AsyncSession,
    person: Person,
    actor: Actor,
    i18n: I18n,
) -> None:
    """The needs-analysis summary: main form, appendix 3 and needs answers, ID/phone masked."""
    trainee = found(await session.get(Person, await trainee_for(session, actor, callback_data.p)))
    await query.answer()
    sections = []
    for form_id in ("registration", "appendix3", "needs"):
        submission = await service.latest_submission(session, trainee.id, form_id)
        if submission is None:
            continue
        definition = form(form_id)
        lines = [
            (question.label(i18n.locale), display(question, submission.answers[question.id], i18n))
            for question in definition.questions()
            if question.id in submission.answers and question.type.value != "acknowledgement"
        ]
        sections.append((definition.title(i18n.locale), lines))
    case = await screening.latest_case(session, trainee.id)
    await query.message.answer(
        i18n("intake.card", name=await people.name(session, trainee), sections=sections, case=case)
    )


def form_hooks(hooks: FormHooks) -> None:
    """Registration leads to screening; the appendix and needs forms re-screen or record."""
    hooks.add("registration", registration_submitted)
    hooks.add("appendix3", appendix_submitted)
    hooks.add("needs", needs_submitted)


def create_router() -> Router:
    router = Router(name=__name__)
    router.callback_query.register(start_form_pressed, StartForm.filter())
    router.message.register(show_status, Command("status"))
    reviewers = Router(name=f"{__name__}.reviewers")
    reviewers.message.filter(Can(Action.SCREENING_DECIDE, Action.TRAINEE_VIEW))
    reviewers.callback_query.filter(Can(Action.SCREENING_DECIDE, Action.TRAINEE_VIEW))
    reviewers.callback_query.register(decision_pressed, Decision.filter())
    reviewers.message.register(list_trainees, Command("trainees"))
    reviewers.callback_query.register(trainees_paged, TraineesPage.filter())
    reviewers.callback_query.register(trainee_card, TraineeCard.filter())
    router.include_router(reviewers)
    return router
