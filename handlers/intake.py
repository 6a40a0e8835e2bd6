"""Trainee intake (S-2 to S-6): registration, appendix 3, screening with reasons, the
institution's confirmation or override, the needs questionnaire, and /status."""

from __future__ import annotations

from datetime import datetime

from aiogram import Bot, F, Router
from aiogram.filters import Command, StateFilter
from aiogram.filters.callback_data import CallbackData
from aiogram.fsm.context import FSMContext
from aiogram.fsm.state import State, StatesGroup
from aiogram.types import CallbackQuery, InlineKeyboardButton, InlineKeyboardMarkup, Message
from aiogram.utils.keyboard import InlineKeyboardBuilder
from sqlmodel.ext.asyncio.session import AsyncSession

from bot import notifier
from bot.clock import Clock
from bot.config import Settings
from bot.domain.classes import ClassStatus
from bot.domain.cycle import TraineeState, TransitionRefused
from bot.domain.reasons import REASON_LENGTH, reason_from
from bot.domain.screening import Outcome, screen
from bot.filters import Can
from bot.forms import service
from bot.forms.registry import form
from bot.forms.render import display
from bot.forms.service import FormHooks, FormStart, Submitted
from bot.i18n import I18n
from bot.policy import Action, allowed, institutions
from bot.services.actor import Actor
from bot.services.errors import found
from bot.services.targets import case_for, case_target, trainee_for
from handlers import enrolment, leave
from handlers.forms import begin
from storage import intake, outbox, repo
from storage.classes import classes_taught_by
from storage.enrolment import roster
from storage.models import Person, ScreeningCase

OUTCOME_STATE = {
    Outcome.ONLINE: TraineeState.SUITABLE_ONLINE,
    Outcome.SIYB: TraineeState.REFERRED_SIYB,
    Outcome.NOT_NOW: TraineeState.NOT_SUITABLE_NOW,
}


class Decision(CallbackData, prefix="sd"):
    """A reviewer's decision on screening case `c`: the outcome they choose."""

    c: int
    o: Outcome


class TraineeCard(CallbackData, prefix="tc"):
    p: int


class StartForm(CallbackData, prefix="sf"):
    f: str


class ReviewStates(StatesGroup):
    reason = State()


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
    """Back to registered, so the trainee is screened (again); False once enrolled."""
    cycle = await intake.cycle_of(done.session, done.person.id, institution_id)
    if cycle is not None and cycle.state == TraineeState.REGISTERED:
        return True
    try:
        await intake.move(
            done.session,
            done.person.id,
            institution_id,
            TraineeState.REGISTERED,
            actor_id=done.person.id,
            reason=reason,
        )
    except TransitionRefused:
        return False
    return True


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
    cycle = await intake.cycle_of(done.session, done.person.id, institution_id)
    if cycle is not None and cycle.state == TraineeState.SUITABLE_ONLINE:
        await intake.move(
            done.session,
            done.person.id,
            institution_id,
            TraineeState.NEEDS_ANALYSED,
            actor_id=done.person.id,
            reason="needs questionnaire submitted",
        )


async def _screen(done: Submitted, registration_id: int, appendix_id: int | None) -> None:
    """Recommend, record the case, tell the trainee why, and ask the reviewers to decide."""
    session, person = done.session, done.person
    registration = await service.submission(session, registration_id)
    appendix = await service.submission(session, appendix_id) if appendix_id else None
    institution_id = registration.context.get("institution_id")
    for superseded in await intake.supersede_open_cases(session, person.id):
        await _close_copies(session, person, superseded, None)
    recommendation = screen(registration.answers, appendix.answers if appendix else None)
    await intake.move(
        session,
        person.id,
        institution_id,
        TraineeState.SCREENED,
        actor_id=None,
        reason=recommendation.outcome,
    )
    case = ScreeningCase(
        person_id=person.id,
        institution_id=institution_id,
        registration_id=registration.id,
        appendix_id=appendix_id,
        recommended=recommendation.outcome,
        reasons=list(recommendation.reasons),
    )
    session.add(case)
    await session.flush()
    await repo.audit(
        session,
        "screening.recommended",
        actor_id=None,
        subject_id=person.id,
        object_type="screening_case",
        object_id=case.id,
        outcome=recommendation.outcome,
        reasons=list(recommendation.reasons),
    )
    reviewer_ids = await intake.reviewers(session, institution_id)
    await done.bot.send_message(
        person.tg_user_id,
        done.i18n(
            "intake.recommended",
            outcome=case.recommended,
            reasons=case.reasons,
            reviewers=bool(reviewer_ids),
        ),
    )
    for reviewer_id in reviewer_ids:
        reviewer = await session.get(Person, reviewer_id)
        await _send_case(session, reviewer, person, case)


def case_view(
    i18n: I18n, trainee: Person, case: ScreeningCase, decider: Person | None = None
) -> tuple[str, InlineKeyboardMarkup | None]:
    """The screening card a reviewer decides on (pushed, or opened from /todo); once decided,
    the decision and no buttons."""
    text = i18n(
        "intake.case",
        name=trainee.first_name,
        outcome=case.recommended,
        reasons=case.reasons,
        decided=case.decided,
        by=decider.first_name if decider else None,
    )
    if case.decided is not None:
        return text, None
    rows = [
        [
            InlineKeyboardButton(
                text=i18n(
                    "intake.confirm" if outcome == case.recommended else "intake.override",
                    outcome=outcome,
                ),
                callback_data=Decision(c=case.id, o=outcome).pack(),
            )
        ]
        for outcome in Outcome
    ]
    return text, InlineKeyboardMarkup(inline_keyboard=rows)


async def _send_case(
    session: AsyncSession, reviewer: Person, trainee: Person, case: ScreeningCase
) -> None:
    text, markup = case_view(I18n(reviewer.locale), trainee, case)
    await outbox.enqueue(
        session,
        chat_id=reviewer.tg_user_id,
        person_id=reviewer.id,
        key=f"case:{case.id}:{reviewer.id}",
        text=text,
        reply_markup=markup.model_dump(exclude_none=True),
    )


async def _close_copies(
    session: AsyncSession, trainee: Person, case: ScreeningCase, decider: Person | None
) -> None:
    async def closed(reader: I18n) -> str:
        return case_view(reader, trainee, case, decider)[0]

    await notifier.close_copies(session, f"case:{case.id}:", closed)


async def decision_pressed(
    query: CallbackQuery,
    callback_data: Decision,
    session: AsyncSession,
    person: Person,
    actor: Actor,
    i18n: I18n,
    state: FSMContext,
    bot: Bot,
    settings: Settings,
    clock: Clock,
) -> None:
    case = await case_for(session, actor, callback_data.c)
    if case.decided is not None:
        await query.answer(i18n("intake.already_decided", outcome=case.decided), show_alert=True)
        return
    await query.answer()
    if callback_data.o == case.recommended:
        await _decide(session, case, callback_data.o, person, None, clock.now())
        await bot.send_message(query.from_user.id, i18n("intake.decided", outcome=case.decided))
        return
    await state.set_state(ReviewStates.reason)
    await state.set_data({"case": case.id, "outcome": callback_data.o})
    await bot.send_message(
        query.from_user.id,
        i18n(
            "intake.ask_reason", outcome=callback_data.o, min=REASON_LENGTH[0], max=REASON_LENGTH[1]
        ),
    )


async def reason_given(
    message: Message,
    session: AsyncSession,
    person: Person,
    actor: Actor,
    i18n: I18n,
    state: FSMContext,
    bot: Bot,
    clock: Clock,
) -> None:
    reason = reason_from(message.text)
    if reason is None:
        await message.answer(i18n("intake.bad_reason", min=REASON_LENGTH[0], max=REASON_LENGTH[1]))
        return
    data = await state.get_data()
    await state.clear()
    case = await session.get(ScreeningCase, data["case"])
    if case is not None and not allowed(actor, Action.SCREENING_DECIDE, case_target(case)):
        await message.answer(i18n("errors.not_allowed"))
        return
    if case is None or case.decided is not None:
        await message.answer(i18n("intake.already_decided", outcome=case.decided if case else ""))
        return
    await _decide(session, case, Outcome(data["outcome"]), person, reason, clock.now())
    await message.answer(i18n("intake.decided", outcome=case.decided))


async def _decide(
    session: AsyncSession,
    case: ScreeningCase,
    outcome: Outcome,
    reviewer: Person,
    reason: str | None,
    now: datetime,
) -> None:
    case.decided, case.decided_by, case.decided_at = outcome, reviewer.id, now
    case.override_reason = reason
    await intake.move(
        session,
        case.person_id,
        case.institution_id,
        OUTCOME_STATE[outcome],
        actor_id=reviewer.id,
        reason=reason or "confirmed",
    )
    await repo.audit(
        session,
        "screening.decided",
        actor_id=reviewer.id,
        subject_id=case.person_id,
        object_type="screening_case",
        object_id=case.id,
        reason=reason,
        outcome=outcome,
        recommended=case.recommended,
        override=outcome != case.recommended,
    )
    trainee = await session.get(Person, case.person_id)
    await _close_copies(session, trainee, case, reviewer)
    i18n = I18n(trainee.locale)
    markup = None
    if outcome is Outcome.ONLINE:
        builder = InlineKeyboardBuilder()
        builder.button(text=i18n("intake.fill_needs"), callback_data=StartForm(f="needs"))
        markup = builder.as_markup().model_dump(exclude_none=True)
    await outbox.enqueue(
        session,
        chat_id=trainee.tg_user_id,
        person_id=trainee.id,
        key=f"case-decided:{case.id}",
        text=i18n("intake.result", outcome=outcome),
        reply_markup=markup,
    )
    await enrolment.screening_decided(session, case.person_id, reviewer.id, now)


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
    case = await intake.latest_case(session, person.id)
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


async def show_status(message: Message, session: AsyncSession, person: Person, i18n: I18n) -> None:
    cycles = await intake.cycles_of(session, person.id)
    case = await intake.latest_case(session, person.id)
    await message.answer(i18n("intake.status", states=[c.state for c in cycles], case=case))
    attendance = await leave.status_text(session, person, i18n)
    if attendance:
        await message.answer(attendance)


async def list_trainees(
    message: Message, session: AsyncSession, person: Person, actor: Actor, i18n: I18n
) -> None:
    """Teachers see the trainees of each open class they teach (S-6: before the class starts)
    and staff their institution's trainees, each with a needs-analysis summary button."""
    builder = InlineKeyboardBuilder()
    groups: list[tuple[str | None, list[tuple[str, str, bool]]]] = []
    for taught in await classes_taught_by(session, person.id):
        if taught.status == ClassStatus.APPROVED:
            ids = [place.person_id for place in await roster(session, taught.id)]
            groups.append((taught.name, await _rows(session, builder, ids)))
    for institution_id in institutions(actor, Action.TRAINEE_LIST):
        cycles = await intake.trainees_of(session, institution_id)
        groups.append((None, await _rows(session, builder, [c.person_id for c in cycles])))
    builder.adjust(2)
    await message.answer(i18n("intake.trainees", groups=groups), reply_markup=builder.as_markup())


async def _rows(
    session: AsyncSession, builder: InlineKeyboardBuilder, person_ids: list[int]
) -> list[tuple[str, str, bool]]:
    rows = []
    for person_id in person_ids:
        trainee = await session.get(Person, person_id)
        cycles = await intake.cycles_of(session, person_id)
        rows.append((trainee.first_name, cycles[0].state if cycles else "", trainee.unreachable))
        builder.button(text=trainee.first_name, callback_data=TraineeCard(p=trainee.id))
    return rows


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
    case = await intake.latest_case(session, trainee.id)
    await query.message.answer(
        i18n("intake.card", name=trainee.first_name, sections=sections, case=case)
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
    reviewers.message.register(reason_given, StateFilter(ReviewStates.reason), F.text)
    reviewers.message.register(list_trainees, Command("trainees"))
    reviewers.callback_query.register(trainee_card, TraineeCard.filter())
    router.include_router(reviewers)
    return router
