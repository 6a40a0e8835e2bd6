"""Long polling that loses nothing: every fetched batch is stored in `update_inbox` before the
next getUpdates confirms its offset, and an update leaves the inbox in the unit of work that
handles it. A process killed at any instant finds what it had not handled in the inbox (or at
the server) when it starts again; `processed_update` makes a second delivery change nothing.

Updates are handled as tasks, one chain per person so their order holds (the isolation
middleware still serialises across processes); different people run concurrently.
"""

from __future__ import annotations

import asyncio
import contextlib
import logging
from dataclasses import dataclass
from typing import TYPE_CHECKING

from aiogram import Bot, Dispatcher
from aiogram.dispatcher.middlewares.user_context import UserContextMiddleware
from aiogram.methods import GetUpdates
from aiogram.types import Update
from aiogram.utils.backoff import Backoff, BackoffConfig
from sqlalchemy.ext.asyncio import AsyncEngine

from storage import inbox

if TYPE_CHECKING:
    from bot.middlewares import InFlightMiddleware

log = logging.getLogger(__name__)

BACKOFF = BackoffConfig(min_delay=1.0, max_delay=5.0, factor=1.3, jitter=0.1)  # aiogram's
MAX_ATTEMPTS = 3
RETRY_DELAY = 1.0


@dataclass
class Delivery:
    """One attempt at a stored update, handed to the Dispatcher as `delivery`. The unit of
    work sets `committed`; on_error lets a storage failure be retried unless `last`."""

    update_id: int
    attempt: int
    last: bool
    committed: bool = False


class InboxPolling:
    def __init__(
        self,
        dp: Dispatcher,
        bot: Bot,
        engine: AsyncEngine,
        in_flight: InFlightMiddleware,
        *,
        polling_timeout: int = 10,
        max_attempts: int = MAX_ATTEMPTS,
        retry_delay: float = RETRY_DELAY,
    ) -> None:
        self.dp = dp
        self.bot = bot
        self.engine = engine
        self.in_flight = in_flight
        self.polling_timeout = polling_timeout
        self.max_attempts = max_attempts
        self.retry_delay = retry_delay
        self._stopping = asyncio.Event()
        self._fetching: asyncio.Task[None] | None = None
        self._tasks: set[asyncio.Task[None]] = set()
        self._chains: dict[tuple[int | None, int | None], asyncio.Task[None]] = {}
        self._held: dict[int, asyncio.Task[bool]] = {}
        self._offset: int | None = None
        self._storing = False

    @property
    def busy(self) -> bool:
        """A fetched batch is being stored, or stored updates wait to be handled (retries
        included): not idle, even before their handling counts as in flight."""
        return self._storing or bool(self._tasks)

    async def start(self) -> None:
        """Schedules what the last run left in the inbox, then starts fetching."""
        await inbox.count_attempt(self.engine, self.bot.id)  # the last run's, if it died
        left = await inbox.leftovers(self.engine, self.bot.id)
        if left:
            log.info("%d update(s) left in the inbox are handled first", len(left))
        for _update_id, payload, attempts in left:
            update = Update.model_validate_json(payload, context={"bot": self.bot})
            self._schedule(update, attempts)
        self._fetching = asyncio.create_task(self._fetch())

    async def stop(self) -> None:
        """Stops fetching and waits for the updates being handled; what has not started stays
        in the inbox for the next start. Confirms the offset so the server keeps nothing."""
        self._stopping.set()
        if self._fetching is not None:
            if not self._storing:  # waiting for the server or backing off
                self._fetching.cancel()
            with contextlib.suppress(asyncio.CancelledError):
                await self._fetching
        while self._tasks:
            await asyncio.gather(*self._tasks, return_exceptions=True)
        if self._offset is not None:
            with contextlib.suppress(Exception):
                await self.bot(GetUpdates(offset=self._offset, limit=1, timeout=0))

    async def _fetch(self) -> None:
        log.info("polling for updates through the inbox")
        get_updates = GetUpdates(
            timeout=self.polling_timeout, allowed_updates=self.dp.resolve_used_update_types()
        )
        timeout = int((self.bot.session.timeout or 0) + self.polling_timeout)
        backoff = Backoff(config=BACKOFF)
        failed = False
        while not self._stopping.is_set():
            try:
                updates = await self.bot(get_updates, request_timeout=timeout)
                self._storing = True  # a stop lets the batch be stored rather than cancel it
                try:
                    rows = [(u.update_id, _payload(u)) for u in updates]
                    await inbox.store(self.engine, self.bot.id, rows)
                finally:
                    self._storing = False
            except Exception as error:  # network, server or store: the same batch comes again
                failed = True
                log.error("updates not fetched or stored - %s: %s", type(error).__name__, error)
                await backoff.asleep()
                continue
            if failed:
                log.info("polling works again after %d tries", backoff.counter)
                backoff.reset()
                failed = False
            for update in updates:
                self._schedule(update, 0)
            if updates:
                get_updates.offset = self._offset = updates[-1].update_id + 1

    def _schedule(self, update: Update, attempts: int) -> None:
        """Handles the update after the same person's earlier ones (a re-fetched copy of an
        update already waiting is skipped)."""
        held = self._held.get(update.update_id)
        if held is not None:
            self._forget_after(held, update.update_id)
            return
        context = UserContextMiddleware.resolve_event_context(update)
        key = (context.chat_id, context.user_id)
        previous = self._chains.get(key) if key != (None, None) else None
        task = asyncio.create_task(self._handle(update, attempts, previous))
        self._held[update.update_id] = task
        self._tasks.add(task)
        if key != (None, None):
            self._chains[key] = task

        def done(_: asyncio.Task[None]) -> None:
            self._tasks.discard(task)
            if self._held.get(update.update_id) is task:
                del self._held[update.update_id]
            if self._chains.get(key) is task:
                del self._chains[key]

        task.add_done_callback(done)

    async def _handle(
        self, update: Update, attempts: int, previous: asyncio.Task[bool] | None
    ) -> bool:
        """True once the update is settled (handled, or given up); False when a stop came
        first and it stays in the inbox for the next start."""
        async with self.in_flight.holding():
            if previous is not None:
                await asyncio.wait([previous])
            attempt = attempts
            while not self._stopping.is_set():
                attempt += 1
                if attempt > self.max_attempts:
                    await self._give_up(update, attempt - 1)
                    return True
                delivery = Delivery(update.update_id, attempt, attempt == self.max_attempts)
                try:
                    await self.dp.feed_update(self.bot, update, delivery=delivery)
                except Exception:
                    log.exception("update %d failed, attempt %d", update.update_id, attempt)
                else:
                    if not delivery.committed:  # rolled back, and the person was told so
                        await self._forget(update.update_id)
                    return True
                with contextlib.suppress(Exception):
                    await inbox.count_attempt(self.engine, self.bot.id, update.update_id)
                with contextlib.suppress(TimeoutError):
                    delay = self.retry_delay * 2 ** (attempt - 1)
                    await asyncio.wait_for(self._stopping.wait(), delay)
        return False

    async def _give_up(self, update: Update, attempts: int) -> None:
        """Logged with the update's kind only (log lines are masked anyway)."""
        log.error(
            "update %d (%s) given up after %d attempts", update.update_id, _kind(update), attempts
        )
        await self._forget(update.update_id)

    def _forget_after(self, held: asyncio.Task[bool], update_id: int) -> None:
        """A copy fetched again while the first is being handled (the server delivered it
        again after a restart) may have been stored again after that handling took its row:
        once the handling is over (committed, or given up), that row has nothing left to do."""

        async def forget() -> None:
            await asyncio.wait([held])
            if not held.cancelled() and held.exception() is None and held.result():
                await self._forget(update_id)

        task = asyncio.create_task(forget())
        self._tasks.add(task)
        task.add_done_callback(self._tasks.discard)

    async def _forget(self, update_id: int) -> None:
        try:
            await inbox.drop(self.engine, self.bot.id, update_id)
        except Exception as error:  # it is tried again, and given up again, at the next start
            log.error("inbox row of update %d not removed: %r", update_id, error)


def _payload(update: Update) -> str:
    return update.model_dump_json(exclude_unset=True, by_alias=True)


def _kind(update: Update) -> str:
    try:
        return update.event_type
    except Exception:  # an update type this aiogram does not know
        return "unknown"
