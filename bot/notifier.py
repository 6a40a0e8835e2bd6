"""The one notifier: the only code that tells people other than the one whose update is being
handled. It renders each message in its reader's language and queues it in the outbox, in the
caller's unit of work, so the push happens if and only if the decision behind it is committed.

Use cases and scheduler jobs call `tell` (one person), `tell_many` (a batch, one insert) and
`close_copies` (a decided card, everywhere it was pushed). Storage never renders or queues.
"""

from __future__ import annotations

from collections.abc import Awaitable, Callable, Iterable
from dataclasses import dataclass
from datetime import datetime
from typing import Any

from aiogram.types import InlineKeyboardMarkup
from sqlmodel import select
from sqlmodel.ext.asyncio.session import AsyncSession

from bot.config import LOCALES
from bot.i18n import I18n
from storage import outbox, todo
from storage.models import Person

View = Callable[[I18n], tuple[str, InlineKeyboardMarkup | None]]
"""A pure view builder bound to its data: text and keyboard in the reader's language."""

Keyboard = Callable[[I18n], InlineKeyboardMarkup | None]


@dataclass(frozen=True)
class Reader:
    """Whom a push goes to: enough to address and localise it, whatever row it came from."""

    person_id: int
    chat_id: int
    locale: str

    @classmethod
    def of(cls, person: Person) -> Reader:
        return cls(person.id, person.tg_user_id, person.locale)


@dataclass(frozen=True)
class Notice:
    """One message for one reader: a template key with its context, or a bound `View`."""

    to: Reader
    message: str | View
    context: dict[str, Any]
    key: str | None = None
    keyboard: Keyboard | None = None
    photo: bytes | None = None
    not_before: datetime | None = None
    expires_at: datetime | None = None

    def render(self) -> tuple[str, InlineKeyboardMarkup | None]:
        i18n = I18n(self.to.locale)
        if callable(self.message):
            return self.message(i18n)
        text = i18n(self.message, **self.context)
        return text, self.keyboard(i18n) if self.keyboard is not None else None


def notice(
    to: Person | Reader,
    message: str | View,
    /,
    *,
    key: str | None = None,
    keyboard: Keyboard | None = None,
    photo: bytes | None = None,
    not_before: datetime | None = None,
    expires_at: datetime | None = None,
    **context: Any,
) -> Notice:
    reader = to if isinstance(to, Reader) else Reader.of(to)
    return Notice(reader, message, context, key, keyboard, photo, not_before, expires_at)


async def _queue(session: AsyncSession, item: Notice) -> bool:
    text, markup = item.render()
    return await outbox.enqueue(
        session,
        chat_id=item.to.chat_id,
        person_id=item.to.person_id,
        text=text,
        photo=item.photo,
        key=item.key,
        reply_markup=markup.model_dump(exclude_none=True) if markup is not None else None,
        not_before=item.not_before,
        expires_at=item.expires_at,
    )


async def tell(
    session: AsyncSession,
    to: Person | Reader,
    message: str | View,
    /,
    *,
    key: str | None = None,
    keyboard: Keyboard | None = None,
    photo: bytes | None = None,
    not_before: datetime | None = None,
    expires_at: datetime | None = None,
    **context: Any,
) -> bool:
    """Queue one message for `to`; False when a push with `key` was queued before (it happens
    once however often the caller runs)."""
    item = notice(
        to,
        message,
        key=key,
        keyboard=keyboard,
        photo=photo,
        not_before=not_before,
        expires_at=expires_at,
        **context,
    )
    return await _queue(session, item)


async def tell_person(
    session: AsyncSession, person_id: int, message: str | View, /, **options: Any
) -> bool:
    """`tell` for a person known by id (loads their chat and language)."""
    person = await session.get(Person, person_id)
    return await tell(session, person, message, **options)


async def tell_many(session: AsyncSession, notices: Iterable[Notice]) -> int:
    """Queue every notice; returns how many were new (not queued before under their key)."""
    queued = 0
    for item in notices:
        queued += await _queue(session, item)
    return queued


async def close_copies(
    session: AsyncSession, key_prefix: str, render: Callable[[I18n], Awaitable[str] | str]
) -> int:
    """Edit every pushed copy of a decided card (outbox keys starting with `key_prefix`) to
    `render`'s text in its reader's language, with no buttons left; copies not sent yet are
    never sent. Returns how many edits were queued."""
    copies = await todo.close_copies(session, key_prefix)
    if not copies:
        return 0
    people = await session.exec(
        select(Person).where(Person.tg_user_id.in_([c.chat_id for c in copies]))
    )
    locales = {p.tg_user_id: p.locale for p in people.all()}
    texts: dict[str, str] = {}
    for copy in copies:
        locale = locales.get(copy.chat_id, LOCALES[0])
        if locale not in texts:
            rendered = render(I18n(locale))
            texts[locale] = rendered if isinstance(rendered, str) else await rendered
        await outbox.enqueue_edit(
            session,
            chat_id=copy.chat_id,
            person_id=copy.person_id,
            message_id=copy.message_id,
            text=texts[locale],
            key=f"{copy.key}:closed",
        )
    return len(copies)
