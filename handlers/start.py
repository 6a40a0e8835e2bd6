"""/start: greet, record, and redeem an invitation carried by a deep link."""

from __future__ import annotations

import logging

from aiogram import Bot, F, Router
from aiogram.filters import CommandObject, CommandStart
from aiogram.fsm.context import FSMContext
from aiogram.types import Message
from sqlmodel.ext.asyncio.session import AsyncSession

from bot.clock import Clock
from bot.commands import set_person_commands
from bot.config import Settings
from bot.domain.checkin import DEEP_LINK_PREFIX
from bot.domain.roles import Grant, Role
from bot.i18n import I18n
from bot.scopes import scope_name
from bot.services import followup, invitations, todo
from bot.services.actor import Actor
from bot.views.finding import offer_markup
from handlers import checkin
from handlers.enrolment import join_by_link
from handlers.forms import offer_resume
from handlers.intake import start_registration
from handlers.teachers import offer_profile
from storage.models import Invitation, Person

log = logging.getLogger(__name__)


async def start_with_invitation(
    message: Message,
    command: CommandObject,
    session: AsyncSession,
    person: Person,
    grants: list[Grant],
    actor: Actor,
    i18n: I18n,
    state: FSMContext,
    bot: Bot,
    settings: Settings,
    clock: Clock,
) -> None:
    await state.clear()
    code = (command.args or "").strip()
    invitation = await invitations.by_code(session, code)
    if invitation is not None and await invitations.already_redeemed(
        session, invitation.id, person.id
    ):
        if invitation.class_id is None:
            await message.answer(i18n("start.already_redeemed"))
        elif await join_by_link(message, session, person, actor, i18n, settings, invitation, clock):
            await start_registration(
                bot,
                message.chat.id,
                session,
                person,
                i18n,
                settings,
                invitation.institution_id,
                clock,
            )
        return
    await redeem(message, session, person, grants, actor, i18n, bot, settings, clock, invitation)


async def redeem(
    message: Message,
    session: AsyncSession,
    person: Person,
    grants: list[Grant],
    actor: Actor,
    i18n: I18n,
    bot: Bot,
    settings: Settings,
    clock: Clock,
    invitation: Invitation | None,
) -> None:
    """Redeem the invitation (or say why it cannot be): the role is granted, the person
    welcomed, a trainee's registration form started. `message` is only answered in (its chat is
    the person's): the /start message, or the card of the institution they picked."""
    redeemed = await invitations.redeem(session, person.id, invitation, clock.now())
    problem, grant, added = redeemed.problem, redeemed.grant, redeemed.added
    if problem is not None:
        log.info("invitation refused: %s", problem)
        await message.answer(i18n(f"start.invite_{problem}"))
        return
    grants = [*grants, grant] if added else grants
    await set_person_commands(bot, message.chat.id, grants, i18n.locale)
    await message.answer(
        i18n(
            "start.welcome_role",
            name=person.first_name,
            role=grant.role,
            scope=await scope_name(session, grant),
            already=not added,
        )
    )
    register = grant.role is Role.TRAINEE and added
    if invitation.class_id is not None:
        register = await join_by_link(
            message, session, person, actor, i18n, settings, invitation, clock
        )
    if register:
        await start_registration(
            bot, message.chat.id, session, person, i18n, settings, grant.institution_id, clock
        )
    if grant.role in (Role.LECTURER, Role.TRAINER) and added:
        await offer_profile(message, i18n)


async def start(
    message: Message,
    session: AsyncSession,
    person: Person,
    grants: list[Grant],
    i18n: I18n,
    state: FSMContext,
    bot: Bot,
    settings: Settings,
    clock: Clock,
    actor: Actor,
) -> None:
    await state.clear()
    await set_person_commands(bot, message.chat.id, grants, i18n.locale)
    roles = [(grant.role, await scope_name(session, grant)) for grant in grants]
    text = i18n("start.welcome", name=person.first_name, roles=roles)
    pending = await todo.total(session, person.id, grants)
    if pending:
        text += "\n\n" + i18n("todo.pending", count=pending)
    if await followup.resume(session, actor):  # /start again undoes /stop
        text += "\n\n" + i18n("followup.resumed")
    await message.answer(text, reply_markup=None if grants else offer_markup(i18n))
    await offer_resume(message, session, person, i18n, settings, clock)


def create_router() -> Router:
    router = Router(name=__name__)
    router.message.register(
        checkin.start_with_code,
        CommandStart(deep_link=True, magic=F.args.startswith(DEEP_LINK_PREFIX)),
    )
    router.message.register(start_with_invitation, CommandStart(deep_link=True))
    router.message.register(start, CommandStart())
    return router
