"""/todo: every decision waiting for the person, whoever was pushed it and whenever they joined.

The list is grouped by kind with counts, 20 items a page; each item opens the same card, with
the same buttons, as the push that announced it, so a decision from here and from the push
takes one path. The opened card goes out through the notifier under its push's key prefix, so
the decision closes it like every pushed copy.
"""

from __future__ import annotations

from aiogram import Router
from aiogram.filters import Command
from aiogram.filters.callback_data import CallbackData
from aiogram.types import CallbackQuery, InlineKeyboardButton, InlineKeyboardMarkup, Message
from sqlmodel.ext.asyncio.session import AsyncSession

from bot import notifier
from bot.domain.roles import Grant
from bot.i18n import I18n
from bot.services import assessment as assessment_cases
from bot.services import issuing, people, personal_data, todo
from bot.services.actor import Actor
from bot.services.todo import Item, Kind
from bot.views.issuing import review_card
from bot.views.pages import page_window, turns, with_turns
from handlers import classes, followup, intake, leave, support, teachers
from storage.models import Person


class TodoPage(CallbackData, prefix="tdp"):
    """Page `p` (from 0) of the inbox."""

    p: int


class TodoOpen(CallbackData, prefix="tdo"):
    """Open the card of item `i` of kind `k`."""

    k: Kind
    i: int


def inbox_view(
    i18n: I18n, counts: dict[Kind, int], items: list[Item], number: int
) -> tuple[str, InlineKeyboardMarkup]:
    """One page of the inbox: counts by kind, a button per item, ◀ ▶ between pages."""
    total = sum(counts.values())
    page, pages, _ = page_window(total, number, todo.PAGE_SIZE)
    text = i18n(
        "todo.inbox",
        counts=[(kind, counts[kind]) for kind in Kind if counts.get(kind)],
        total=total,
        page=page + 1,
        pages=pages,
    )
    rows = [
        [
            InlineKeyboardButton(
                text=i18n("todo.item", kind=item.kind, name=item.name, detail=item.detail),
                callback_data=TodoOpen(k=item.kind, i=item.id).pack(),
            )
        ]
        for item in items
    ]
    rows = with_turns(rows, turns(i18n, page, pages, lambda p: TodoPage(p=p)))
    return text, InlineKeyboardMarkup(inline_keyboard=rows)


async def _inbox(
    session: AsyncSession, person: Person, grants: list[Grant], i18n: I18n, number: int
) -> tuple[str, InlineKeyboardMarkup | None]:
    if not todo.decides(grants):
        return i18n("todo.no_role"), None
    counts = await todo.counts(session, person.id, grants)
    total = sum(counts.values())
    if not total:
        return i18n("todo.empty"), None
    number, _, _ = page_window(total, number, todo.PAGE_SIZE)
    items = await todo.page(session, person.id, grants, number)
    return inbox_view(i18n, counts, items, number)


async def show_todo(
    message: Message, session: AsyncSession, person: Person, grants: list[Grant], i18n: I18n
) -> None:
    text, markup = await _inbox(session, person, grants, i18n, 0)
    await message.answer(text, reply_markup=markup)


async def page_pressed(
    query: CallbackQuery,
    callback_data: TodoPage,
    session: AsyncSession,
    person: Person,
    grants: list[Grant],
    i18n: I18n,
) -> None:
    await query.answer()
    text, markup = await _inbox(session, person, grants, i18n, callback_data.p)
    await query.message.edit_text(text, reply_markup=markup)


async def card(
    session: AsyncSession, kind: Kind, item_id: int, i18n: I18n, actor: Actor | None = None
) -> tuple[str, InlineKeyboardMarkup | None]:
    """The card a push of this item shows, built by the same view builder (a phone follow-up's
    shows the mobile as the `actor` opening it may see it)."""
    if kind is Kind.CALL and actor is not None:
        return await followup.call_card(session, actor, item_id, i18n)
    found = await todo.subject(session, kind, item_id)
    if kind is Kind.CASE:
        return intake.case_view(i18n, await people.name_of(session, found.person_id), found)
    if kind is Kind.CERTIFICATE:
        return await teachers.certificate_card(session, found, i18n)
    if kind is Kind.CLASS:
        return await classes.application(session, found, i18n)
    if kind is Kind.SCORING:
        return await assessment_cases.assignment_card(session, found, i18n)
    if kind is Kind.SUPPORT:
        return await support.followup_card(session, found, i18n)
    if kind is Kind.ERASURE:
        return await personal_data.request_card(session, found, i18n)
    if kind is Kind.CERT_APPLICATION:
        return review_card(i18n, await issuing.sheet(session, found))
    return await leave.request_card(session, found, i18n)


async def open_pressed(
    query: CallbackQuery,
    callback_data: TodoOpen,
    session: AsyncSession,
    person: Person,
    grants: list[Grant],
    i18n: I18n,
    actor: Actor,
) -> None:
    if not await todo.waits_for(session, person.id, grants, callback_data.k, callback_data.i):
        await query.answer(i18n("todo.gone"), show_alert=True)
        return
    await query.answer()
    await notifier.tell(
        session,
        person,
        lambda reader: card(session, callback_data.k, callback_data.i, reader, actor),
        key=f"{callback_data.k}:{callback_data.i}:todo:{person.id}:{query.id}",
    )


def create_router() -> Router:
    router = Router(name=__name__)
    router.message.register(show_todo, Command("todo"))
    router.callback_query.register(page_pressed, TodoPage.filter())
    router.callback_query.register(open_pressed, TodoOpen.filter())
    return router
