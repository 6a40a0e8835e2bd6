"""Teachers (S-8, S-23): the profile with certificates, and their verification.

A lecturer certificate is checked by the supervisor of the teacher's region, a trainer
certificate by an admin. Only a verified certificate lets its holder be assigned to teach.
"""

from __future__ import annotations

from datetime import date
from typing import Any

from aiogram import Bot, F, Router
from aiogram.filters import Command
from aiogram.filters.callback_data import CallbackData
from aiogram.fsm.context import FSMContext
from aiogram.types import CallbackQuery, InlineKeyboardMarkup, Message
from aiogram.utils.keyboard import InlineKeyboardBuilder
from sqlmodel.ext.asyncio.session import AsyncSession

from bot import notifier
from bot.clock import Clock
from bot.config import Settings
from bot.domain.classes import CertificateKind, CertificateStatus
from bot.domain.roles import Grant, Role
from bot.filters import Can
from bot.forms.service import FormHooks, Submitted
from bot.i18n import I18n
from bot.policy import Action
from bot.services import certificates, recipients
from bot.services.actor import Actor
from bot.services.reasons import Purpose
from bot.views.certificates import CertAction, CertDecision, card_text, certificate_card
from handlers import reasons
from handlers.forms import begin
from storage import classes, repo
from storage.models import Certificate, Person

TEACHING = (Role.LECTURER, Role.TRAINER)

__all__ = ["CertDecision", "certificate_card"]
"""Re-exported: the certificate card lives in bot.views.certificates."""


class ProfileStart(CallbackData, prefix="prf"):
    """Open the teacher profile form."""

    go: int = 1


def _context(grants: list[Grant]) -> dict[str, Any]:
    """Where the teacher's lecturer certificates are checked: their teaching grant's region."""
    grant = next((g for g in grants if g.role is Role.LECTURER), None) or next(
        (g for g in grants if g.role in TEACHING), Grant(Role.TRAINER)
    )
    return {"region_id": grant.region_id, "institution_id": grant.institution_id}


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
    grants: list[Grant],
    i18n: I18n,
    settings: Settings,
    clock: Clock,
) -> None:
    held = await classes.certificates_of(session, person.id)
    if held:
        await bot.send_message(chat_id, i18n("teachers.my_certificates", certificates=held))
    await begin(
        bot,
        chat_id,
        session,
        person,
        i18n,
        settings,
        classes.PROFILE_FORM,
        _context(grants),
        clock=clock,
    )


async def profile_command(
    message: Message,
    session: AsyncSession,
    person: Person,
    grants: list[Grant],
    i18n: I18n,
    settings: Settings,
    bot: Bot,
    state: FSMContext,
    clock: Clock,
) -> None:
    await state.clear()
    await _begin_profile(bot, message.chat.id, session, person, grants, i18n, settings, clock)


async def profile_pressed(
    query: CallbackQuery,
    session: AsyncSession,
    person: Person,
    grants: list[Grant],
    i18n: I18n,
    settings: Settings,
    bot: Bot,
    clock: Clock,
) -> None:
    await query.answer()
    await _begin_profile(bot, query.from_user.id, session, person, grants, i18n, settings, clock)


# --- submitted: certificates recorded and sent for verification ------------------------------


def _declared(answers: dict[str, Any]) -> list[dict[str, Any]]:
    items = []
    for index in range(1, int(answers.get("certificate_count") or 0) + 1):
        prefix = f"certificates.{index}."
        if f"{prefix}number" in answers:
            items.append({key: answers.get(prefix + key) for key in ("kind", "number", "course")})
            items[-1]["issued_on"] = date.fromisoformat(answers[f"{prefix}issued_on"])
    return items


async def _record(
    session: AsyncSession,
    person_id: int,
    kind: CertificateKind,
    number: str,
    values: dict[str, Any],
) -> tuple[Certificate | None, bool]:
    """The person's certificate with this number, and whether it (again) awaits verification;
    None when someone else holds the number."""
    found = await classes.certificate_by_number(session, kind, number)
    if found is None:
        found = await classes.add_certificate(
            session, person_id=person_id, kind=kind, number=number, **values
        )
        return found, found is not None
    if found.person_id != person_id:
        return None, False
    return found, await classes.reopen_certificate(session, found, **values)


async def profile_submitted(done: Submitted) -> None:
    """Record each declared certificate once and ask its verifiers; tell the teacher how
    each one stands (a number someone else already holds is refused, never taken over)."""
    if not done.first_time:
        return
    session, person = done.session, done.person
    region_id = done.submission.context.get("region_id")
    outcomes: list[tuple[str, str, str]] = []
    for item in _declared(done.submission.answers):
        kind, number = CertificateKind(item["kind"]), item["number"].upper()
        values = {
            "course": item["course"],
            "issued_on": item["issued_on"],
            "region_id": region_id,
            "submission_id": done.submission.id,
        }
        found, sent = await _record(session, person.id, kind, number, values)
        if found is None:
            outcomes.append((kind, number, "taken"))
            await repo.audit(
                session,
                "certificate.number_taken",
                actor_id=person.id,
                subject_id=person.id,
                kind=kind,
                number=number,
            )
            continue
        outcomes.append((kind, number, found.status))
        if sent:
            await repo.audit(
                session,
                "certificate.declared",
                actor_id=person.id,
                subject_id=person.id,
                object_type="certificate",
                object_id=found.id,
                kind=kind,
            )
            await _ask_verifiers(session, done.settings, found)
    await done.bot.send_message(
        person.tg_user_id, done.i18n("teachers.declared", outcomes=outcomes)
    )


async def _ask_verifiers(session: AsyncSession, settings: Settings, found: Certificate) -> None:
    verifiers = await recipients.certificate_verifiers(session, settings, found)
    await notifier.tell_many(
        session,
        [
            notifier.notice(
                verifier,
                lambda reader: certificate_card(session, found, reader),
                key=f"cert:{found.id}:{found.submission_id}:{verifier.chat_id}",
            )
            for verifier in verifiers
        ],
    )


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
    found = await classes.certificate(session, decided.item_id)
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
    found = await classes.certificate(given.session, decided.item_id)
    await given.bot.edit_message_text(
        text=await card_text(given.session, found, given.i18n),
        chat_id=given.message.chat.id,
        message_id=given.data["card"],
        reply_markup=None,
    )


REASONS = {Purpose.CERTIFICATE_REJECT: reject_reason_given}


def form_hooks(hooks: FormHooks) -> None:
    """A teacher's profile records their certificates and sends them for verification."""
    hooks.add(classes.PROFILE_FORM, profile_submitted)


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
