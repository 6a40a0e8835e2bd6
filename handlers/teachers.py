"""Teachers (S-8, S-23): the profile with certificates, and their verification: thin adapters
over bot/services/teachers.py (declaring) and bot/services/certificates.py (deciding).

A lecturer certificate is checked by the supervisor of the teacher's region, a trainer
certificate by an admin. Only a verified certificate lets its holder be assigned to teach.
"""

from __future__ import annotations

from aiogram import Bot, F, Router
from aiogram.filters import Command
from aiogram.filters.callback_data import CallbackData
from aiogram.fsm.context import FSMContext
from aiogram.types import CallbackQuery, InlineKeyboardMarkup, Message
from aiogram.utils.keyboard import InlineKeyboardBuilder
from sqlmodel.ext.asyncio.session import AsyncSession

from bot.clock import Clock
from bot.config import Settings
from bot.domain.classes import CertificateStatus
from bot.filters import Can
from bot.forms.service import FormHooks, Submitted
from bot.i18n import I18n
from bot.policy import Action
from bot.services import certificates
from bot.services import teachers as profiles
from bot.services.actor import Actor
from bot.services.reasons import Purpose
from bot.views.certificates import CertAction, CertDecision, card_text, certificate_card
from handlers import reasons
from handlers.forms import begin
from storage.models import Person

__all__ = ["CertDecision", "certificate_card"]
"""Re-exported: the certificate card lives in bot.views.certificates."""


class ProfileStart(CallbackData, prefix="prf"):
    """Open the teacher profile form."""

    go: int = 1


def profile_offer(i18n: I18n) -> tuple[str, InlineKeyboardMarkup]:
    """The invitation to fill the profile, shown after a teacher joins."""
    builder = InlineKeyboardBuilder()
    builder.button(text=i18n("teachers.fill_profile"), callback_data=ProfileStart())
    return i18n("teachers.offer"), builder.as_markup()


async def offer_profile(message: Message, i18n: I18n) -> None:
    text, markup = profile_offer(i18n)
    await message.answer(text, reply_markup=markup)


async def _begin_profile(
    bot: Bot,
    chat_id: int,
    session: AsyncSession,
    person: Person,
    actor: Actor,
    i18n: I18n,
    settings: Settings,
    clock: Clock,
) -> None:
    held = await profiles.my_certificates(session, actor)
    if held:
        await bot.send_message(chat_id, i18n("teachers.my_certificates", certificates=held))
    context = profiles.profile_context(actor.grants)
    await begin(
        bot, chat_id, session, person, i18n, settings, profiles.PROFILE_FORM, context, clock=clock
    )


async def profile_command(
    message: Message,
    session: AsyncSession,
    person: Person,
    actor: Actor,
    i18n: I18n,
    settings: Settings,
    bot: Bot,
    state: FSMContext,
    clock: Clock,
) -> None:
    await state.clear()
    await _begin_profile(bot, message.chat.id, session, person, actor, i18n, settings, clock)


async def profile_pressed(
    query: CallbackQuery,
    session: AsyncSession,
    person: Person,
    actor: Actor,
    i18n: I18n,
    settings: Settings,
    bot: Bot,
    clock: Clock,
) -> None:
    await query.answer()
    await _begin_profile(bot, query.from_user.id, session, person, actor, i18n, settings, clock)


# --- submitted: certificates recorded and sent for verification ------------------------------


async def profile_submitted(done: Submitted) -> None:
    """Record each declared certificate once and ask its verifiers; tell the teacher how
    each one stands (a number someone else already holds is refused, never taken over)."""
    if not done.first_time:
        return
    person = done.person
    actor = await done.actor()
    outcomes = await profiles.declare_certificates(
        done.session,
        actor,
        done.submission.answers,
        region_id=done.submission.context.get("region_id"),
        submission_id=done.submission.id,
        settings=done.settings,
    )
    shown = [(item.kind, item.number, item.outcome) for item in outcomes]
    await done.bot.send_message(person.tg_user_id, done.i18n("teachers.declared", outcomes=shown))


# --- decisions -------------------------------------------------------------------------------


async def verify_pressed(
    query: CallbackQuery,
    callback_data: CertDecision,
    session: AsyncSession,
    actor: Actor,
    i18n: I18n,
) -> None:
    decided = await certificates.decide_certificate(
        session, actor, callback_data.c, CertificateStatus.VERIFIED, None
    )
    await query.answer(i18n("teachers.decided", status=decided.status))
    found = await certificates.certificate(session, decided.item_id)
    await query.message.edit_text(await card_text(session, found, i18n), reply_markup=None)


async def reject_pressed(
    query: CallbackQuery,
    callback_data: CertDecision,
    session: AsyncSession,
    actor: Actor,
    i18n: I18n,
    state: FSMContext,
) -> None:
    """Rejecting asks the reason the teacher will be told."""
    found = await certificates.pending_certificate(session, actor, callback_data.c)
    await query.answer()
    await reasons.ask(
        state,
        query.message,
        i18n,
        Purpose.CERTIFICATE_REJECT,
        "teachers.ask_reason",
        {"number": found.number},
        certificate=found.id,
        card=query.message.message_id,
    )


async def reject_reason_given(given: reasons.Given) -> None:
    decided = await certificates.decide_certificate(
        given.session,
        given.actor,
        given.data["certificate"],
        CertificateStatus.REJECTED,
        given.reason,
    )
    await given.message.answer(given.i18n("teachers.decided", status=decided.status))
    found = await certificates.certificate(given.session, decided.item_id)
    await given.bot.edit_message_text(
        text=await card_text(given.session, found, given.i18n),
        chat_id=given.message.chat.id,
        message_id=given.data["card"],
        reply_markup=None,
    )


REASONS = {Purpose.CERTIFICATE_REJECT: reject_reason_given}


def form_hooks(hooks: FormHooks) -> None:
    """A teacher's profile records their certificates and sends them for verification."""
    hooks.add(profiles.PROFILE_FORM, profile_submitted)


def create_router() -> Router:
    router = Router(name=__name__)
    teaching = Router(name=f"{__name__}.teaching")
    teaching.message.filter(Can(Action.TEACHER_PROFILE))
    teaching.callback_query.filter(Can(Action.TEACHER_PROFILE))
    teaching.message.register(profile_command, Command("profile"))
    teaching.callback_query.register(profile_pressed, ProfileStart.filter())
    deciding = Router(name=f"{__name__}.verifiers")
    deciding.message.filter(Can(Action.CERTIFICATE_VERIFY))
    deciding.callback_query.filter(Can(Action.CERTIFICATE_VERIFY))
    deciding.callback_query.register(verify_pressed, CertDecision.filter(F.a == CertAction.VERIFY))
    deciding.callback_query.register(reject_pressed, CertDecision.filter(F.a == CertAction.REJECT))
    router.include_routers(teaching, deciding)
    return router
