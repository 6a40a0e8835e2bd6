"""Update-level middlewares: per-person isolation, the unit of work, and who is talking."""

from __future__ import annotations

import asyncio
import logging
from collections.abc import AsyncIterator, Awaitable, Callable
from contextlib import asynccontextmanager
from typing import Any

from aiogram import BaseMiddleware
from aiogram.fsm.middleware import FSMContextMiddleware
from aiogram.fsm.storage.base import BaseEventIsolation
from aiogram.types import TelegramObject, Update, User
from sqlalchemy.ext.asyncio import async_sessionmaker

from bot.clock import Clock
from bot.config import Settings
from bot.domain.roles import Grant, Role
from bot.i18n import I18n, locale_for
from bot.logs import person_id_var, update_id_var
from bot.polling import Delivery
from bot.replies import Replies, pending_replies
from bot.services.actor import Actor, grants_of
from storage import inbox, repo
from storage.db import unit_of_work

log = logging.getLogger(__name__)
Handler = Callable[[TelegramObject, dict[str, Any]], Awaitable[Any]]


class InFlightMiddleware(BaseMiddleware):
    """Counts updates being handled, so a graceful stop can wait for them to finish."""

    def __init__(self) -> None:
        self.count = 0
        self._idle = asyncio.Event()
        self._idle.set()

    async def __call__(self, handler: Handler, event: TelegramObject, data: dict[str, Any]) -> Any:
        if "delivery" in data:  # counted by the polling inbox since it was fetched
            return await handler(event, data)
        async with self.holding():
            return await handler(event, data)

    @asynccontextmanager
    async def holding(self) -> AsyncIterator[None]:
        """Counts one update from the moment polling takes it, queued behind the person's
        earlier ones or handled."""
        self.count += 1
        self._idle.clear()
        try:
            yield
        finally:
            self.count -= 1
            if self.count == 0:
                self._idle.set()

    async def drained(self) -> None:
        await self._idle.wait()


class IsolationMiddleware(BaseMiddleware):
    """One update per person at a time, taken before any database transaction opens.

    With Redis the lock holds across bot processes, so waiting updates hold no connection.
    """

    def __init__(self, fsm: FSMContextMiddleware, isolation: BaseEventIsolation) -> None:
        self.fsm = fsm
        self.isolation = isolation

    async def __call__(self, handler: Handler, event: TelegramObject, data: dict[str, Any]) -> Any:
        context = self.fsm.resolve_event_context(data["bot"], data)
        if context is None:
            return await handler(event, data)
        async with self.isolation.lock(key=context.key):
            return await handler(event, data)


class UnitOfWorkMiddleware(BaseMiddleware):
    """Opens the update's transaction, claims its update_id and takes it out of the inbox in it;
    what the handlers tell the person is sent once the transaction has committed.

    A re-delivered update finds its id taken and is acknowledged without effect; a handler that
    raises rolls back everything, the claim and the replies included, so a retry starts clean.
    """

    def __init__(self, sessions: async_sessionmaker) -> None:
        self.sessions = sessions

    async def __call__(self, handler: Handler, event: TelegramObject, data: dict[str, Any]) -> Any:
        assert isinstance(event, Update)
        update_id_var.set(event.update_id)
        bot = data["bot"]
        delivery: Delivery | None = data.get("delivery")
        chat = data.get("event_chat")
        replies = Replies(chat.id if chat is not None else None)
        token = pending_replies.set(replies)
        try:
            async with unit_of_work(self.sessions) as session:
                claimed = await repo.claim_update(session, bot.id, event.update_id)
                if delivery is not None:
                    await inbox.take(session, bot.id, event.update_id)
                if claimed:
                    data["session"] = session
                    result = await handler(event, data)
                else:
                    log.info("duplicate update ignored")
                    result = None
        finally:
            pending_replies.reset(token)
        if delivery is not None:
            delivery.committed = True
        await replies.send(bot)
        return result


class PersonMiddleware(BaseMiddleware):
    """Records the person behind the update and injects `person`, `grants`, `actor` and `i18n`."""

    def __init__(self, settings: Settings) -> None:
        self.settings = settings

    async def __call__(self, handler: Handler, event: TelegramObject, data: dict[str, Any]) -> Any:
        user: User | None = data.get("event_from_user")
        if user is None or user.is_bot:
            return await handler(event, data)
        person, created = await repo.upsert_person(
            data["session"],
            tg_user_id=user.id,
            first_name=user.first_name,
            last_name=user.last_name,
            username=user.username,
            locale=locale_for(user.language_code, self.settings.default_locale),
        )
        person_id_var.set(person.id)
        if created:
            log.info("new person")
        grants = await grants_of(data["session"], person.id)
        if user.id in self.settings.admin_ids:
            grants.insert(0, Grant(Role.ADMIN))
        now = (data.get("clock") or Clock()).now()
        actor = Actor.of(person.id, grants, person.locale, now)
        data.update(person=person, grants=grants, actor=actor, i18n=I18n(person.locale))
        return await handler(event, data)
