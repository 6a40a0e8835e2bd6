"""Teachers (S-8, S-23): the profile with certificates, and their verification.

A lecturer certificate is checked by the supervisor of the teacher's region, a trainer
certificate by an admin. Only a verified certificate lets its holder be assigned to teach.
"""

from __future__ import annotations

from datetime import date
from typing import Any

from aiogram import Bot, F, Router
from aiogram.filters import Command, StateFilter
from aiogram.filters.callback_data import CallbackData
from aiogram.fsm.context import FSMContext
from aiogram.fsm.state import State, StatesGroup
from aiogram.types import CallbackQuery, InlineKeyboardMarkup, Message
from aiogram.utils.keyboard import InlineKeyboardBuilder
from sqlmodel.ext.asyncio.session import AsyncSession

from bot import notifier
from bot.clock import Clock
from bot.config import Settings
from bot.domain.classes import CertificateKind, CertificateStatus
from bot.domain.reasons import REASON_LENGTH, reason_from
from bot.domain.roles import Grant, Role
from bot.filters import Can
from bot.forms import regions
from bot.forms.service import FormHooks, Submitted
from bot.i18n import I18n
from bot.policy import Action, allowed
from bot.services.actor import Actor
from bot.services.targets import certificate_for, certificate_target
from handlers.forms import begin
from storage import classes, outbox, repo
from storage.classes import Recipient
from storage.models import Certificate, Person

TEACHING = (Role.LECTURER, Role.TRAINER)


class ProfileStart(CallbackData, prefix="prf"):
    """Open the teacher profile form."""

    go: int = 1


class CertDecision(CallbackData, prefix="crt"):
    """A verifier's decision on certificate `c`: ok (verify) or no (reject, asks a reason)."""

    c: int
    a: str


class CertStates(StatesGroup):
    reason = State()


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


async def verifiers(
    session: AsyncSession, settings: Settings, found: Certificate
) -> list[Recipient]:
    """The supervisors of the certificate's region for a lecturer certificate (admins when the
    region has none yet); admins for a trainer certificate."""
    if found.kind == CertificateKind.LECTURER:
        regional = await classes.supervisors(session, found.region_id)
        if regional:
            return regional
    return await classes.admins(session, settings.admin_ids, settings.default_locale)


async def certificate_card(
    session: AsyncSession, found: Certificate, i18n: I18n
) -> tuple[str, InlineKeyboardMarkup | None]:
    """The certificate as its verifier reads it (pushed, or opened from /todo); buttons while
    it waits."""
    holder = await session.get(Person, found.person_id)
    profile = await classes.profile_answers(session, holder.id)
    place = " ".join(r.name for r in regions.path(str(profile.get("region") or "")))
    text = i18n(
        "teachers.card",
        name=profile.get("name") or holder.first_name,
        mobile=profile.get("mobile") or "",
        place=place,
        institution=profile.get("institution") or "",
        certificate=found,
    )
    if found.status != CertificateStatus.PENDING:
        return text, None
    builder = InlineKeyboardBuilder()
    builder.button(text=i18n("teachers.verify"), callback_data=CertDecision(c=found.id, a="ok"))
    builder.button(text=i18n("teachers.reject"), callback_data=CertDecision(c=found.id, a="no"))
    return text, builder.as_markup()


async def _card_text(session: AsyncSession, found: Certificate, i18n: I18n) -> str:
    return (await certificate_card(session, found, i18n))[0]


async def _ask_verifiers(session: AsyncSession, settings: Settings, found: Certificate) -> None:
    for verifier in await verifiers(session, settings, found):
        text, markup = await certificate_card(session, found, I18n(verifier.locale))
        await outbox.enqueue(
            session,
            chat_id=verifier.chat_id,
            person_id=verifier.person_id,
            text=text,
            reply_markup=markup.model_dump(exclude_none=True),
            key=f"cert:{found.id}:{found.submission_id}:{verifier.chat_id}",
        )


# --- decisions -------------------------------------------------------------------------------


async def _decidable(
    query: CallbackQuery,
    session: AsyncSession,
    certificate_id: int,
    actor: Actor,
    i18n: I18n,
) -> Certificate | None:
    found = await certificate_for(session, actor, certificate_id)
    if found.status != CertificateStatus.PENDING:
        await query.answer(i18n("teachers.already_decided", status=found.status), show_alert=True)
        return None
    return found


async def decision_pressed(
    query: CallbackQuery,
    callback_data: CertDecision,
    session: AsyncSession,
    person: Person,
    actor: Actor,
    i18n: I18n,
    state: FSMContext,
    clock: Clock,
) -> None:
    found = await _decidable(query, session, callback_data.c, actor, i18n)
    if found is None:
        return
    if callback_data.a == "ok":
        if not await _decide(session, found, CertificateStatus.VERIFIED, person, None, clock):
            await query.answer(
                i18n("teachers.already_decided", status=found.status), show_alert=True
            )
            return
        await query.answer(i18n("teachers.decided", status=found.status))
        text, _ = await certificate_card(session, found, i18n)
        await query.message.edit_text(text, reply_markup=None)
        return
    await query.answer()
    await state.set_state(CertStates.reason)
    await state.set_data({"certificate": found.id, "card": query.message.message_id})
    await query.message.answer(
        i18n("teachers.ask_reason", number=found.number, min=REASON_LENGTH[0], max=REASON_LENGTH[1])
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
        await message.answer(
            i18n("teachers.bad_reason", min=REASON_LENGTH[0], max=REASON_LENGTH[1])
        )
        return
    data = await state.get_data()
    await state.clear()
    found = await classes.certificate(session, data["certificate"])
    if found is None or not allowed(actor, Action.CERTIFICATE_VERIFY, certificate_target(found)):
        await message.answer(i18n("errors.not_allowed"))
        return
    if not await _decide(session, found, CertificateStatus.REJECTED, person, reason, clock):
        await message.answer(i18n("teachers.already_decided", status=found.status))
        return
    await message.answer(i18n("teachers.decided", status=found.status))
    text, _ = await certificate_card(session, found, i18n)
    await bot.edit_message_text(
        text=text, chat_id=message.chat.id, message_id=data["card"], reply_markup=None
    )


async def _decide(
    session: AsyncSession,
    found: Certificate,
    status: CertificateStatus,
    verifier: Person,
    reason: str | None,
    clock: Clock,
) -> bool:
    if not await classes.decide_certificate(
        session, found, status, by=verifier.id, at=clock.now(), reason=reason
    ):
        return False
    await repo.audit(
        session,
        f"certificate.{status}",
        actor_id=verifier.id,
        subject_id=found.person_id,
        object_type="certificate",
        object_id=found.id,
        reason=reason,
        kind=found.kind,
        number=found.number,
    )
    await notifier.close_copies(
        session, f"cert:{found.id}:", lambda reader: _card_text(session, found, reader)
    )
    holder = await session.get(Person, found.person_id)
    await outbox.enqueue(
        session,
        chat_id=holder.tg_user_id,
        person_id=holder.id,
        text=I18n(holder.locale)("teachers.result", certificate=found),
    )
    return True


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
    deciding.callback_query.register(decision_pressed, CertDecision.filter())
    deciding.message.register(
        reason_given, StateFilter(CertStates.reason), F.text, ~F.text.startswith("/")
    )
    router.include_routers(teaching, deciding)
    return router
