"""The one notifier: the only code that tells people other than the one whose update is being
handled. It renders each message in its reader's language and queues it in the outbox, in the
caller's unit of work, so the push happens if and only if the decision behind it is committed.

Use cases and scheduler jobs call `tell` (one person), `tell_many` (a batch, one insert) and
`close_copies` (a decided card, everywhere it was pushed). Storage never renders or queues.
"""

from __future__ import annotations

import inspect
from collections.abc import Awaitable, Callable, Iterable
from dataclasses import dataclass
from datetime import date, datetime
from typing import Any

from aiogram.types import InlineKeyboardMarkup
from sqlmodel import col, select
from sqlmodel.ext.asyncio.session import AsyncSession

from bot.config import LOCALES
from bot.i18n import I18n
from storage import outbox
from storage.models import Person

CARDS = ("case:", "cert:", "class:", "leave:", "erase:", "capp:")
"""Key prefixes of decision cards: `close_copies` edits their sent copies once decided, so the
outbox keeps those rows (with their message ids) until then, whatever their age."""

Rendered = tuple[str, "Markup | None"]
View = Callable[[I18n], Rendered | Awaitable[Rendered]]
"""A view builder bound to its data: text and keyboard in the reader's language (a card read
from the store may be async)."""

Markup = InlineKeyboardMarkup | dict[str, Any]
"""A keyboard as aiogram's model, or as the Bot API's `reply_markup` itself (`one_button`)."""
Keyboard = Callable[[I18n], Markup | None]


@dataclass(frozen=True)
class Reader:
    """Whom a push goes to: enough to address and localise it, whatever row it came from (an
    admin named in settings may never have talked to the bot: no person id then)."""

    person_id: int | None
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
    document: tuple[str, bytes] | None = None
    """A file (name, bytes) sent with the text as its caption (a report's PDF or XLSX)."""

    async def render(self, texts: dict[tuple, str] | None = None) -> Rendered:
        """Text and keyboard in the reader's language. `texts` shares the text among the
        notices of one batch that render the same template in the same language from the same
        context objects (a class told one thing: the text is rendered once per language)."""
        i18n = I18n(self.to.locale)
        if callable(self.message):
            shown = self.message(i18n)
            return await shown if inspect.isawaitable(shown) else shown
        if texts is None:
            text = i18n(self.message, **self.context)
        else:
            same = (self.to.locale, self.message, *map(_same, self.context.items()))
            text = texts.get(same)
            if text is None:
                text = texts[same] = i18n(self.message, **self.context)
        return text, self.keyboard(i18n) if self.keyboard is not None else None

    async def row(self, texts: dict[tuple, str] | None = None) -> dict[str, Any]:
        """The outbox row of this push."""
        text, markup = await self.render(texts)
        return outbox.message(
            chat_id=self.to.chat_id,
            person_id=self.to.person_id,
            text=text,
            photo=self.photo,
            document=self.document,
            key=self.key,
            reply_markup=_dumped(markup),
            not_before=self.not_before,
            expires_at=self.expires_at,
        )


def _dumped(markup: Markup | None) -> dict[str, Any] | None:
    if markup is None or isinstance(markup, dict):
        return markup
    return markup.model_dump(exclude_none=True)


def in_every_locale(message: str, /, **context: Any) -> tuple[str, ...]:
    """`message` rendered in each of `LOCALES`, in order: for a push whose rows the database
    makes (`storage.feedback.ask_attendees`), each reader getting the text of their locale."""
    return tuple(I18n(locale)(message, **context) for locale in LOCALES)


def one_button(text: str, callback_data: str) -> dict[str, Any]:
    """A keyboard of one callback button, as the Bot API reads it: what a push made for
    thousands of people at once carries (building aiogram's models for each cost more than
    the rest of the push)."""
    return {"inline_keyboard": [[{"text": text, "callback_data": callback_data}]]}


_VALUES = (str, int, float, bool, type(None), datetime, date)


def _same(item: tuple[str, Any]) -> tuple[str, Any]:
    """A context entry as the text cache compares it: plain values by value, anything else
    by identity (the same object renders the same)."""
    name, value = item
    return name, value if isinstance(value, _VALUES) else id(value)


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
    document: tuple[str, bytes] | None = None,
    **context: Any,
) -> Notice:
    """One message for one reader: `key` makes it happen once, `keyboard` is built in the
    reader's language, `photo` makes it a picture with the text as caption, `document` (file
    name, bytes) a file with the text as caption; the remaining
    keywords are the template's context."""
    reader = to if isinstance(to, Reader) else Reader.of(to)
    return Notice(reader, message, context, key, keyboard, photo, not_before, expires_at, document)


async def tell(
    session: AsyncSession, to: Person | Reader, message: str | View, /, **options: Any
) -> bool:
    """Queue one message for `to` (options as for `notice`); False when a push with its `key`
    was queued before (it happens once however often the caller runs)."""
    return await outbox.enqueue_many(session, [await notice(to, message, **options).row()]) == 1


async def tell_person(
    session: AsyncSession, person_id: int, message: str | View, /, **options: Any
) -> bool:
    """`tell` for a person known by id (loads their chat and language)."""
    person = await session.get(Person, person_id)
    return await tell(session, person, message, **options)


async def readers(session: AsyncSession, person_ids: Iterable[int]) -> dict[int, Reader]:
    """The readers of many people by id, in the order given, with one query (a scan telling
    a whole class does not load them one by one)."""
    ids = list(dict.fromkeys(person_ids))
    if not ids:
        return {}
    rows = await session.exec(
        select(Person.id, Person.tg_user_id, Person.locale).where(col(Person.id).in_(ids))
    )
    found = {person_id: Reader(person_id, chat_id, locale) for person_id, chat_id, locale in rows}
    return {person_id: found[person_id] for person_id in ids if person_id in found}


async def tell_many(session: AsyncSession, notices: Iterable[Notice]) -> int:
    """Queue every notice, in order, with one multi-row insert; returns how many were new (a
    notice whose key was queued before, by an earlier run or another process, is skipped)."""
    texts: dict[tuple, str] = {}
    return await outbox.enqueue_many(session, [await item.row(texts) for item in notices])


async def close_copies(
    session: AsyncSession, key_prefix: str, render: Callable[[I18n], Awaitable[str] | str]
) -> int:
    """Edit every pushed copy of a decided card (outbox keys starting with `key_prefix`) to
    `render`'s text in its reader's language, with no buttons left; copies not sent yet are
    never sent. Returns how many edits were queued."""
    copies = await outbox.close_copies(session, key_prefix)
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
