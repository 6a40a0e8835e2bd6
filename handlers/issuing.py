"""Issued certificates in chat (S-14): staff apply from the class card, the supervisor decides
on the application (from its push or /todo), holders fetch their PDF with /certificate, anyone
checks one with /verify or a deep link, the supervisor revokes with /revoke or from a lookup.
Thin: the use cases are bot/services/issuing.py, the cards bot/views/issuing.py."""

from __future__ import annotations

from aiogram import Bot, F, Router
from aiogram.dispatcher.event.bases import SkipHandler
from aiogram.filters import Command, CommandObject, CommandStart, StateFilter
from aiogram.fsm.context import FSMContext
from aiogram.fsm.state import State, StatesGroup
from aiogram.types import BufferedInputFile, CallbackQuery, Message
from sqlmodel.ext.asyncio.session import AsyncSession

from bot.config import Settings
from bot.domain.issuing import DEEP_LINK_PREFIX, normalise_number, parse_deep_link
from bot.filters import Can
from bot.i18n import I18n
from bot.policy import Action, may
from bot.services import issuing
from bot.services.actor import Actor
from bot.services.reasons import Purpose
from bot.views import edit_in_place
from bot.views.issuing import (
    ApplyCb,
    CertApply,
    CertCb,
    Drafting,
    Held,
    ReviewCb,
    Reviewing,
    draft_view,
    mine_view,
    review_card,
    verification_view,
)
from handlers import reasons


class VerifyStates(StatesGroup):
    number = State()


# --- staff: the application ---------------------------------------------------------------------


async def apply_opened(
    query: CallbackQuery,
    callback_data: CertApply,
    session: AsyncSession,
    actor: Actor,
    i18n: I18n,
    bot: Bot,
) -> None:
    sheet = await issuing.draft(session, actor, callback_data.c)
    await query.answer()
    await edit_in_place(bot, query.message, *draft_view(i18n, sheet))


async def draft_toggled(
    query: CallbackQuery,
    callback_data: ApplyCb,
    session: AsyncSession,
    actor: Actor,
    i18n: I18n,
    bot: Bot,
) -> None:
    on = not any(
        line.selected
        for line in (await issuing.staff_sheet(session, actor, callback_data.i)).lines
        if line.person_id == callback_data.p
    )
    sheet = await issuing.select(session, actor, callback_data.i, callback_data.p, on)
    await query.answer()
    await edit_in_place(bot, query.message, *draft_view(i18n, sheet, callback_data.g))


async def draft_paged(
    query: CallbackQuery,
    callback_data: ApplyCb,
    session: AsyncSession,
    actor: Actor,
    i18n: I18n,
    bot: Bot,
) -> None:
    sheet = await issuing.staff_sheet(session, actor, callback_data.i)
    await query.answer()
    await edit_in_place(bot, query.message, *draft_view(i18n, sheet, callback_data.g))


async def draft_submitted(
    query: CallbackQuery,
    callback_data: ApplyCb,
    session: AsyncSession,
    actor: Actor,
    i18n: I18n,
    bot: Bot,
    settings: Settings,
) -> None:
    submitted = await issuing.submit(session, actor, callback_data.i, settings)
    await query.answer(i18n("issuing.submitted", count=submitted.reviewers), show_alert=True)
    await edit_in_place(bot, query.message, *draft_view(i18n, submitted.sheet))


# --- the supervisor: the decision -----------------------------------------------------------------


async def review_toggled(
    query: CallbackQuery,
    callback_data: ReviewCb,
    session: AsyncSession,
    actor: Actor,
    i18n: I18n,
    bot: Bot,
) -> None:
    current = await issuing.pending(session, actor, callback_data.i)
    on = not any(line.chosen for line in current.selected if line.person_id == callback_data.p)
    sheet = await issuing.choose(session, actor, callback_data.i, callback_data.p, on)
    await query.answer()
    await edit_in_place(bot, query.message, *review_card(i18n, sheet, callback_data.g))


async def review_paged(
    query: CallbackQuery,
    callback_data: ReviewCb,
    session: AsyncSession,
    actor: Actor,
    i18n: I18n,
    bot: Bot,
) -> None:
    sheet = await issuing.pending(session, actor, callback_data.i)
    await query.answer()
    await edit_in_place(bot, query.message, *review_card(i18n, sheet, callback_data.g))


async def approve_pressed(
    query: CallbackQuery,
    callback_data: ReviewCb,
    session: AsyncSession,
    actor: Actor,
    i18n: I18n,
    bot: Bot,
    settings: Settings,
    state: FSMContext,
) -> None:
    """Everyone ticked: issued at once. Some left unticked: their reason first."""
    sheet = await issuing.pending(session, actor, callback_data.i)
    if len(sheet.chosen) == len(sheet.selected):
        outcome = await issuing.decide(session, actor, callback_data.i, settings)
        await query.answer(
            i18n("issuing.decided", issued=len(outcome.numbers), rejected=0), show_alert=True
        )
        await _redraw(session, bot, query.message.chat.id, query.message.message_id, i18n, outcome)
        return
    await query.answer()
    await reasons.ask(
        state,
        query.message,
        i18n,
        Purpose.ISSUE_REJECT,
        "issuing.ask_reject_reason",
        {"count": len(sheet.selected) - len(sheet.chosen)},
        application=sheet.application.id,
        card=query.message.message_id,
        all=False,
    )


async def reject_all_pressed(
    query: CallbackQuery,
    callback_data: ReviewCb,
    session: AsyncSession,
    actor: Actor,
    i18n: I18n,
    state: FSMContext,
) -> None:
    sheet = await issuing.pending(session, actor, callback_data.i)
    await query.answer()
    await reasons.ask(
        state,
        query.message,
        i18n,
        Purpose.ISSUE_REJECT,
        "issuing.ask_reject_reason",
        {"count": len(sheet.selected)},
        application=sheet.application.id,
        card=query.message.message_id,
        all=True,
    )


async def reject_reason_given(given: reasons.Given) -> None:
    outcome = await issuing.decide(
        given.session,
        given.actor,
        given.data["application"],
        given.settings,
        reason=given.reason,
        reject_all=given.data["all"],
    )
    await given.message.answer(
        given.i18n("issuing.decided", issued=len(outcome.numbers), rejected=outcome.rejected)
    )
    await _redraw(
        given.session, given.bot, given.message.chat.id, given.data["card"], given.i18n, outcome
    )


async def _redraw(
    session: AsyncSession,
    bot: Bot,
    chat_id: int,
    message_id: int,
    i18n: I18n,
    outcome: issuing.Outcome,
) -> None:
    text, _ = review_card(i18n, await issuing.sheet_of(session, outcome.application_id))
    await bot.edit_message_text(text=text, chat_id=chat_id, message_id=message_id)


# --- holders: /certificate ----------------------------------------------------------------------


async def certificate_command(
    message: Message,
    command: CommandObject,
    session: AsyncSession,
    actor: Actor,
    i18n: I18n,
    settings: Settings,
) -> None:
    """A holder's certificates; with a number, a supervisor's lookup (with Revoke)."""
    if command.args and may(actor, Action.CERTIFICATE_REVOKE):
        await _show_lookup(message, command.args, session, actor, i18n, settings)
        return
    if not may(actor, Action.CERTIFICATE_FETCH):
        await message.answer(i18n("issuing.lookup_usage"))
        return
    text, markup = mine_view(i18n, await issuing.mine(session, actor))
    await message.answer(text, reply_markup=markup)


async def fetch_pressed(
    query: CallbackQuery,
    callback_data: CertCb,
    session: AsyncSession,
    actor: Actor,
    i18n: I18n,
    settings: Settings,
) -> None:
    cert, (name, pdf) = await issuing.fetch(session, actor, callback_data.i, settings, i18n)
    await query.answer()
    await query.message.answer_document(
        BufferedInputFile(pdf, filename=name),
        caption=i18n("issuing.fetched", number=cert.number),
    )


# --- anyone: /verify and the deep link ---------------------------------------------------


async def _show_lookup(
    message: Message,
    typed: str,
    session: AsyncSession,
    actor: Actor,
    i18n: I18n,
    settings: Settings,
) -> None:
    number = normalise_number(typed)
    if number is None:
        await message.answer(i18n("issuing.bad_number"))
        return
    shown = await issuing.lookup(session, number, settings)
    revocable = shown is not None and await issuing.may_revoke(session, actor, shown.certificate_id)
    text, markup = verification_view(i18n, shown, revocable=revocable)
    await message.answer(text, reply_markup=markup)


async def verify_command(
    message: Message,
    command: CommandObject,
    session: AsyncSession,
    actor: Actor,
    i18n: I18n,
    settings: Settings,
    state: FSMContext,
) -> None:
    """/verify <number>; /verify alone asks for the number."""
    if not command.args:
        await state.set_state(VerifyStates.number)
        await message.answer(i18n("issuing.ask_number"))
        return
    await _show_lookup(message, command.args, session, actor, i18n, settings)


async def number_typed(
    message: Message,
    session: AsyncSession,
    actor: Actor,
    i18n: I18n,
    settings: Settings,
    state: FSMContext,
) -> None:
    """The number /verify asked for; any other text ends the question and goes on to whatever
    else takes it (a form being filled, say)."""
    await state.clear()
    if normalise_number(message.text) is None:
        raise SkipHandler
    await _show_lookup(message, message.text, session, actor, i18n, settings)


async def verify_link(
    message: Message,
    command: CommandObject,
    session: AsyncSession,
    actor: Actor,
    i18n: I18n,
    settings: Settings,
) -> None:
    """/start verify_<number>_<check>: a scanned certificate's check in the bot."""
    parsed = parse_deep_link(command.args or "")
    shown = None
    if parsed is not None:
        shown = await issuing.verify(session, settings, *parsed)
    revocable = shown is not None and await issuing.may_revoke(session, actor, shown.certificate_id)
    text, markup = verification_view(i18n, shown, revocable=revocable)
    await message.answer(text, reply_markup=markup)


# --- the supervisor: revocation ------------------------------------------------------------------


async def revoke_command(
    message: Message,
    command: CommandObject,
    session: AsyncSession,
    actor: Actor,
    i18n: I18n,
    state: FSMContext,
) -> None:
    number = normalise_number(command.args or "")
    if number is None:
        await message.answer(i18n("issuing.revoke_usage"))
        return
    cert = await issuing.revocable(session, actor, number)
    await _ask_revoke_reason(message, state, i18n, cert.number)


async def revoke_pressed(
    query: CallbackQuery,
    callback_data: CertCb,
    session: AsyncSession,
    actor: Actor,
    i18n: I18n,
    state: FSMContext,
) -> None:
    cert = await issuing.revocable_by_id(session, actor, callback_data.i)
    await query.answer()
    await _ask_revoke_reason(query.message, state, i18n, cert.number)


async def _ask_revoke_reason(message: Message, state: FSMContext, i18n: I18n, number: str) -> None:
    await reasons.ask(
        state,
        message,
        i18n,
        Purpose.CERTIFICATE_REVOKE,
        "issuing.ask_revoke_reason",
        {"number": number},
        number=number,
    )


async def revoke_reason_given(given: reasons.Given) -> None:
    shown = await issuing.revoke(
        given.session, given.actor, given.data["number"], given.reason, given.settings
    )
    await given.message.answer(given.i18n("issuing.revoked", number=shown.number))
    await given.message.answer(verification_view(given.i18n, shown)[0])


REASONS = {
    Purpose.ISSUE_REJECT: reject_reason_given,
    Purpose.CERTIFICATE_REVOKE: revoke_reason_given,
}


def create_router() -> Router:
    router = Router(name=__name__)
    router.message.register(
        verify_link, CommandStart(deep_link=True, magic=F.args.startswith(DEEP_LINK_PREFIX))
    )
    router.message.register(verify_command, Command("verify"))
    router.message.register(certificate_command, Command("certificate"))
    router.message.register(
        number_typed, StateFilter(VerifyStates.number), F.text, ~F.text.startswith("/")
    )
    router.callback_query.register(fetch_pressed, CertCb.filter(F.a == Held.FETCH))
    applying = Router(name=f"{__name__}.staff")
    applying.callback_query.filter(Can(Action.CERTIFICATE_APPLY))
    applying.callback_query.register(apply_opened, CertApply.filter())
    applying.callback_query.register(draft_toggled, ApplyCb.filter(F.a == Drafting.TOGGLE))
    applying.callback_query.register(draft_paged, ApplyCb.filter(F.a == Drafting.PAGE))
    applying.callback_query.register(draft_submitted, ApplyCb.filter(F.a == Drafting.SUBMIT))
    deciding = Router(name=f"{__name__}.supervisors")
    deciding.message.filter(Can(Action.CERTIFICATE_ISSUE, Action.CERTIFICATE_REVOKE))
    deciding.callback_query.filter(Can(Action.CERTIFICATE_ISSUE, Action.CERTIFICATE_REVOKE))
    deciding.callback_query.register(review_toggled, ReviewCb.filter(F.a == Reviewing.TOGGLE))
    deciding.callback_query.register(review_paged, ReviewCb.filter(F.a == Reviewing.PAGE))
    deciding.callback_query.register(approve_pressed, ReviewCb.filter(F.a == Reviewing.APPROVE))
    deciding.callback_query.register(
        reject_all_pressed, ReviewCb.filter(F.a == Reviewing.REJECT_ALL)
    )
    deciding.callback_query.register(revoke_pressed, CertCb.filter(F.a == Held.REVOKE))
    deciding.message.register(revoke_command, Command("revoke"))
    router.include_routers(applying, deciding)
    return router
