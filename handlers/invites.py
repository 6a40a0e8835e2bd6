"""/invite: create an invitation (deep link + QR code) for a role within the inviter's scope."""

from __future__ import annotations

from collections.abc import Sequence

from aiogram import Bot, F, Router
from aiogram.filters import Command, StateFilter
from aiogram.filters.callback_data import CallbackData
from aiogram.fsm.context import FSMContext
from aiogram.fsm.state import State, StatesGroup
from aiogram.types import (
    BufferedInputFile,
    CallbackQuery,
    InlineKeyboardButton,
    InlineKeyboardMarkup,
    Message,
)
from aiogram.utils.keyboard import InlineKeyboardBuilder
from sqlmodel.ext.asyncio.session import AsyncSession

from bot.config import Settings
from bot.domain.roles import Grant, Role, Scope, invite_options, missing_scope
from bot.filters import Can
from bot.i18n import I18n
from bot.links import invite_link, qr_png
from bot.policy import Action, invitation_target, require
from bot.scopes import scope_name
from bot.services import invitations
from bot.services.actor import Actor
from bot.services.errors import NotFound, found
from bot.views import edit_in_place
from bot.views.pages import turns, with_turns
from storage.models import Institution, Person

NAME_LENGTH = (2, 50)


class InviteTarget(CallbackData, prefix="ik"):
    """The role and scope an invitation will grant; 0 stands for no region or institution."""

    role: Role
    region: int = 0
    institution: int = 0


class NewScope(CallbackData, prefix="in"):
    role: Role
    region: int = 0


class ScopePage(CallbackData, prefix="isp"):
    """Page `p` of the regions (or the institutions of `region`) to invite a `role` into."""

    role: Role
    region: int = 0
    p: int


class InviteUse(CallbackData, prefix="iu"):
    role: Role
    region: int = 0
    institution: int = 0
    single: bool


class InviteStates(StatesGroup):
    region_name = State()
    institution_name = State()


def _grant(role: Role, region: int, institution: int) -> Grant:
    return Grant(role, region or None, institution or None)


async def _canonical(session: AsyncSession, target: Grant) -> Grant | None:
    """The target with its region taken from its institution; None if that does not exist."""
    if target.institution_id is None:
        return target
    institution = await session.get(Institution, target.institution_id)
    if institution is None:
        return None
    return Grant(target.role, institution.region_id, institution.id)


async def choose_target(
    message: Message, session: AsyncSession, grants: list[Grant], i18n: I18n, state: FSMContext
) -> None:
    await state.clear()
    builder = InlineKeyboardBuilder()
    for option in invite_options(grants):
        builder.button(
            text=i18n("invites.option", role=option.role, scope=await scope_name(session, option)),
            callback_data=InviteTarget(
                role=option.role,
                region=option.region_id or 0,
                institution=option.institution_id or 0,
            ),
        )
    builder.adjust(1)
    await message.answer(i18n("invites.choose_role"), reply_markup=builder.as_markup())


async def target_chosen(
    query: CallbackQuery,
    callback_data: InviteTarget,
    session: AsyncSession,
    actor: Actor,
    i18n: I18n,
) -> None:
    target = found(
        await _canonical(
            session, _grant(callback_data.role, callback_data.region, callback_data.institution)
        )
    )
    require(actor, Action.INVITE, invitation_target(target))
    await query.answer()
    scope = missing_scope(target)
    if scope is Scope.NONE:
        text, markup = await _usage_step(session, target, i18n)
    else:
        text, markup = await _scope_step(session, target, scope, i18n)
    await query.message.answer(text, reply_markup=markup)


def scope_view(
    i18n: I18n,
    target: Grant,
    scope: Scope,
    shown: Sequence[tuple[int, str]],
    page: int,
    pages: int,
    count: int,
) -> tuple[str, InlineKeyboardMarkup]:
    """One page of the regions (or a region's institutions) to choose from, ◀ ▶ between pages
    with the count, and a button to add a new one."""
    region = target.region_id or 0
    rows = [
        [
            InlineKeyboardButton(
                text=name,
                callback_data=(
                    InviteTarget(role=target.role, region=scope_id)
                    if scope is Scope.REGION
                    else InviteTarget(role=target.role, region=region, institution=scope_id)
                ).pack(),
            )
        ]
        for scope_id, name in shown
    ]
    rows = with_turns(
        rows, turns(i18n, page, pages, lambda p: ScopePage(role=target.role, region=region, p=p))
    )
    rows.append(
        [
            InlineKeyboardButton(
                text=i18n("invites.new_scope", scope=scope),
                callback_data=NewScope(role=target.role, region=region).pack(),
            )
        ]
    )
    text = i18n(
        "invites.choose_scope",
        scope=scope,
        role=target.role,
        count=count,
        page=page + 1,
        pages=pages,
    )
    return text, InlineKeyboardMarkup(inline_keyboard=rows)


async def _scope_step(
    session: AsyncSession, target: Grant, scope: Scope, i18n: I18n, page: int = 0
) -> tuple[str, InlineKeyboardMarkup]:
    """A page of the store's regions (or the target region's institutions): counted, then read."""
    found_page = await invitations.scope_page(session, target, scope, page)
    return scope_view(
        i18n, target, scope, found_page.shown, found_page.page, found_page.pages, found_page.count
    )


async def scope_paged(
    query: CallbackQuery,
    callback_data: ScopePage,
    session: AsyncSession,
    actor: Actor,
    i18n: I18n,
    bot: Bot,
) -> None:
    target = _grant(callback_data.role, callback_data.region, 0)
    require(actor, Action.INVITE, invitation_target(target))
    scope = missing_scope(target)
    if scope is Scope.NONE:
        raise NotFound
    text, markup = await _scope_step(session, target, scope, i18n, callback_data.p)
    await query.answer()
    await edit_in_place(bot, query.message, text, markup)


async def _usage_step(
    session: AsyncSession, target: Grant, i18n: I18n
) -> tuple[str, InlineKeyboardMarkup]:
    builder = InlineKeyboardBuilder()
    for single in (True, False):
        builder.button(
            text=i18n("invites.usage", single=single),
            callback_data=InviteUse(
                role=target.role,
                region=target.region_id or 0,
                institution=target.institution_id or 0,
                single=single,
            ),
        )
    builder.adjust(1)
    text = i18n("invites.choose_usage", role=target.role, scope=await scope_name(session, target))
    return text, builder.as_markup()


async def ask_scope_name(
    query: CallbackQuery,
    callback_data: NewScope,
    actor: Actor,
    i18n: I18n,
    state: FSMContext,
) -> None:
    target = _grant(callback_data.role, callback_data.region, 0)
    scope = missing_scope(target)
    if scope is Scope.NONE:
        raise NotFound
    require(actor, Action.INVITE, invitation_target(target))
    in_region = scope is Scope.REGION
    await state.set_state(InviteStates.region_name if in_region else InviteStates.institution_name)
    await state.set_data({"role": target.role, "region": callback_data.region})
    await query.answer()
    await query.message.answer(
        i18n("invites.ask_name", scope=scope, min=NAME_LENGTH[0], max=NAME_LENGTH[1])
    )


async def scope_named(
    message: Message, session: AsyncSession, person: Person, i18n: I18n, state: FSMContext
) -> None:
    name = " ".join(message.text.split())
    in_region = await state.get_state() == InviteStates.region_name.state
    scope = Scope.REGION if in_region else Scope.INSTITUTION
    if not NAME_LENGTH[0] <= len(name) <= NAME_LENGTH[1] or name.startswith("/"):
        await message.answer(
            i18n("invites.bad_name", scope=scope, min=NAME_LENGTH[0], max=NAME_LENGTH[1])
        )
        return
    data = await state.get_data()
    target = await invitations.add_scope(
        session, person.id, Role(data["role"]), scope, name, data["region"]
    )
    await state.clear()
    text, markup = await _usage_step(session, target, i18n)
    await message.answer(text, reply_markup=markup)


async def scope_name_not_text(message: Message, i18n: I18n, state: FSMContext) -> None:
    in_region = await state.get_state() == InviteStates.region_name.state
    await message.answer(
        i18n(
            "invites.bad_name",
            scope=Scope.REGION if in_region else Scope.INSTITUTION,
            min=NAME_LENGTH[0],
            max=NAME_LENGTH[1],
        )
    )


async def create_invitation(
    query: CallbackQuery,
    callback_data: InviteUse,
    session: AsyncSession,
    person: Person,
    actor: Actor,
    i18n: I18n,
    settings: Settings,
    bot: Bot,
) -> None:
    target = found(
        await _canonical(
            session, _grant(callback_data.role, callback_data.region, callback_data.institution)
        )
    )
    if missing_scope(target) is not Scope.NONE:
        raise NotFound
    require(actor, Action.INVITE, invitation_target(target))
    invitation = await invitations.create(
        session, person.id, target, callback_data.single, actor.now
    )
    link = invite_link(settings, (await bot.me()).username, invitation.code)
    await query.answer()
    await query.message.answer_photo(
        BufferedInputFile(qr_png(link), filename=f"invite-{invitation.code}.png"),
        caption=i18n(
            "invites.created",
            role=target.role,
            scope=await scope_name(session, target),
            link=link,
            code=invitation.code,
            single=callback_data.single,
            expires=invitation.expires_at.astimezone(settings.tz).strftime("%Y-%m-%d %H:%M"),
        ),
    )


def create_router() -> Router:
    router = Router(name=__name__)
    router.message.filter(Can(Action.INVITE))
    router.callback_query.filter(Can(Action.INVITE))
    router.message.register(choose_target, Command("invite"))
    router.callback_query.register(target_chosen, InviteTarget.filter())
    router.callback_query.register(scope_paged, ScopePage.filter())
    router.callback_query.register(ask_scope_name, NewScope.filter())
    router.message.register(
        scope_named, StateFilter(InviteStates.region_name, InviteStates.institution_name), F.text
    )
    router.message.register(
        scope_name_not_text, StateFilter(InviteStates.region_name, InviteStates.institution_name)
    )
    router.callback_query.register(create_invitation, InviteUse.filter())
    return router
