"""The drawn scorer: accept or decline the assignment (a reason through the one reason flow),
then score criterion by criterion with the running total, review the plan, comment a total
under the pass mark, and confirm. Blind: the cards never name the trainee or institution."""

from __future__ import annotations

from aiogram import Bot, F, Router
from aiogram.fsm.context import FSMContext
from aiogram.types import CallbackQuery
from sqlmodel.ext.asyncio.session import AsyncSession

from bot.config import Settings
from bot.domain.assessment import total
from bot.filters import Can
from bot.i18n import I18n
from bot.policy import Action
from bot.services import assessment as cases
from bot.services.actor import Actor
from bot.services.reasons import Purpose
from bot.views import edit_in_place
from bot.views.assessment import Do, ScoreCb, confirm_view, criterion_view, plan_view
from handlers import reasons
from storage.models import TrainingClass


async def accept_pressed(
    query: CallbackQuery,
    callback_data: ScoreCb,
    session: AsyncSession,
    actor: Actor,
    i18n: I18n,
    bot: Bot,
) -> None:
    assignment = await cases.accept(session, actor, callback_data.i)
    await query.answer(i18n("assessment.accepted", code=assignment.id))
    text, markup = await cases.assignment_card(session, assignment, i18n)
    await edit_in_place(bot, query.message, text, markup)


async def decline_pressed(
    query: CallbackQuery,
    callback_data: ScoreCb,
    session: AsyncSession,
    actor: Actor,
    i18n: I18n,
    state: FSMContext,
) -> None:
    assignment = await cases.open_assignment(session, actor, callback_data.i)
    await query.answer()
    await reasons.ask(
        state,
        query.message,
        i18n,
        Purpose.SCORE_DECLINE,
        "assessment.ask_decline",
        assignment=assignment.id,
        conflict=bool(callback_data.v),
    )


def _config(settings: Settings | None) -> cases.Config:
    return cases.Config.of(settings) if settings is not None else cases.DEFAULT


async def decline_reason_given(given: reasons.Given) -> None:
    made = await cases.decline(
        given.session,
        given.actor,
        given.data["assignment"],
        given.reason,
        conflict=bool(given.data.get("conflict")),
        config=_config(given.settings),
    )
    await given.message.answer(
        given.i18n("assessment.declined", code=given.data["assignment"], moved=made is not None)
    )


async def start_pressed(
    query: CallbackQuery,
    callback_data: ScoreCb,
    session: AsyncSession,
    actor: Actor,
    i18n: I18n,
) -> None:
    assignment = await cases.open_assignment(session, actor, callback_data.i, accepted=True)
    rubric = cases.rubric_of(await session.get(TrainingClass, assignment.class_id))
    index = next((n for n, c in enumerate(rubric.criteria) if c.id not in assignment.scores), 0)
    await query.answer()
    text, markup = criterion_view(i18n, assignment.id, rubric, index, assignment.scores)
    await query.message.answer(text, reply_markup=markup)


async def pick_pressed(
    query: CallbackQuery,
    callback_data: ScoreCb,
    session: AsyncSession,
    actor: Actor,
    i18n: I18n,
    bot: Bot,
) -> None:
    assignment, rubric = await cases.score(
        session, actor, callback_data.i, callback_data.n, callback_data.v
    )
    await query.answer()
    following = callback_data.n + 1
    if following < len(rubric.criteria):
        view = criterion_view(i18n, assignment.id, rubric, following, assignment.scores)
    else:
        view = plan_view(i18n, assignment.id, total(rubric, assignment.scores))
    await edit_in_place(bot, query.message, *view)


async def plan_pressed(
    query: CallbackQuery,
    callback_data: ScoreCb,
    session: AsyncSession,
    actor: Actor,
    i18n: I18n,
    bot: Bot,
    state: FSMContext,
) -> None:
    assignment, rubric = await cases.set_plan(
        session, actor, callback_data.i, bool(callback_data.v)
    )
    running = total(rubric, assignment.scores)
    await query.answer()
    if running < rubric.pass_mark or not assignment.plan_complete:
        await edit_in_place(
            bot,
            query.message,
            i18n("assessment.plan_question", code=assignment.id, running=running),
        )
        await reasons.ask(
            state,
            query.message,
            i18n,
            Purpose.SCORE_COMMENT,
            "assessment.ask_comment",
            {
                "total": running,
                "pass_mark": rubric.pass_mark,
                "plan_complete": bool(assignment.plan_complete),
            },
            assignment=assignment.id,
        )
        return
    view = confirm_view(
        i18n,
        assignment.id,
        rubric,
        assignment.scores,
        assignment.comment,
        bool(assignment.plan_complete),
    )
    await edit_in_place(bot, query.message, *view)


async def comment_given(given: reasons.Given) -> None:
    assignment, rubric = await cases.set_comment(
        given.session, given.actor, given.data["assignment"], given.reason
    )
    text, markup = confirm_view(
        given.i18n,
        assignment.id,
        rubric,
        assignment.scores,
        assignment.comment,
        bool(assignment.plan_complete),
    )
    await given.message.answer(text, reply_markup=markup)


async def confirm_pressed(
    query: CallbackQuery,
    callback_data: ScoreCb,
    session: AsyncSession,
    actor: Actor,
    i18n: I18n,
    bot: Bot,
    settings: Settings,
) -> None:
    assignment = await cases.finish(session, actor, callback_data.i, _config(settings))
    await query.answer()
    await edit_in_place(
        bot, query.message, i18n("assessment.scored", code=assignment.id, total=assignment.total)
    )


async def restart_pressed(
    query: CallbackQuery,
    callback_data: ScoreCb,
    session: AsyncSession,
    actor: Actor,
    i18n: I18n,
    bot: Bot,
) -> None:
    assignment = await cases.restart(session, actor, callback_data.i)
    rubric = cases.rubric_of(await session.get(TrainingClass, assignment.class_id))
    await query.answer()
    await edit_in_place(bot, query.message, *criterion_view(i18n, assignment.id, rubric, 0, {}))


async def files_pressed(
    query: CallbackQuery,
    callback_data: ScoreCb,
    session: AsyncSession,
    actor: Actor,
    i18n: I18n,
) -> None:
    """The practice results' screenshots and files, sent again to the scorer by file id."""
    found = await cases.files(session, actor, callback_data.i)
    await query.answer()
    for kind, file_id in found[:20]:
        if kind == "photo":
            await query.message.answer_photo(file_id)
        else:
            await query.message.answer_document(file_id)


REASONS = {Purpose.SCORE_DECLINE: decline_reason_given, Purpose.SCORE_COMMENT: comment_given}


def create_router() -> Router:
    router = Router(name=__name__)
    router.callback_query.filter(Can(Action.ASSESSMENT_SCORE))
    router.callback_query.register(accept_pressed, ScoreCb.filter(F.a == Do.ACCEPT))
    router.callback_query.register(decline_pressed, ScoreCb.filter(F.a == Do.DECLINE))
    router.callback_query.register(start_pressed, ScoreCb.filter(F.a == Do.START))
    router.callback_query.register(pick_pressed, ScoreCb.filter(F.a == Do.PICK))
    router.callback_query.register(plan_pressed, ScoreCb.filter(F.a == Do.PLAN))
    router.callback_query.register(confirm_pressed, ScoreCb.filter(F.a == Do.CONFIRM))
    router.callback_query.register(restart_pressed, ScoreCb.filter(F.a == Do.RESTART))
    router.callback_query.register(files_pressed, ScoreCb.filter(F.a == Do.FILES))
    return router
