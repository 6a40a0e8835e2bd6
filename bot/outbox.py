"""The outbox worker (S-52): sends queued pushes at Telegram's pace, and survives restarts.

One worker per process. It leases due rows (`storage.outbox.claim`), sends each through the
Bot, and writes the outcomes of many sends in one transaction. Pacing: a global rate, one
message per chat per interval, and after a 429 every send waits out its `retry_after`.
5xx and network errors retry with exponential backoff; 403 marks the person unreachable; any
other refusal fails the message. A graceful stop sends what is in flight or hands it back, so a
restart sends nothing twice; after a hard kill the leases run out and another worker resends
only what was in flight.

Due, lease and expiry decisions use the product's clock (tests move it); pacing waits are real.
"""

from __future__ import annotations

import asyncio
import base64
import logging
import os
import secrets
import socket
import time
from collections import Counter
from datetime import timedelta
from typing import Any

from aiogram import Bot
from aiogram.exceptions import (
    TelegramAPIError,
    TelegramBadRequest,
    TelegramForbiddenError,
    TelegramNetworkError,
    TelegramRetryAfter,
    TelegramServerError,
)
from aiogram.methods import EditMessageText, SendDocument, SendMessage, SendPhoto
from aiogram.types import BufferedInputFile
from sqlalchemy.ext.asyncio import async_sessionmaker

from bot.clock import Clock
from bot.config import Settings
from storage import outbox
from storage.db import unit_of_work

log = logging.getLogger(__name__)


def _method(row: outbox.Claimed) -> SendMessage | SendPhoto | SendDocument | EditMessageText:
    """The Bot API call a queued row stands for (a photo's bytes come from `media_blob`; a row
    queued before pictures were stored once carries them base64-encoded)."""
    if row.method == "editMessageText":
        return EditMessageText(chat_id=row.chat_id, **row.payload)
    if row.method == "sendPhoto":
        payload = dict(row.payload)
        legacy = payload.pop("photo", None)
        data = row.media if row.media is not None else base64.b64decode(legacy or "")
        picture = BufferedInputFile(data, filename="chart.png")
        return SendPhoto(chat_id=row.chat_id, photo=picture, **payload)
    if row.method == "sendDocument":
        payload = dict(row.payload)
        attached = BufferedInputFile(row.media or b"", filename=payload.pop("filename", "file"))
        return SendDocument(chat_id=row.chat_id, document=attached, **payload)
    return SendMessage(chat_id=row.chat_id, **row.payload)


class Pacer:
    """Spaces sends 1/rate apart (with a tenth of a second of burst to absorb timer jitter),
    keeps `chat_interval` between two sends to one chat, and holds everything after a 429."""

    def __init__(self, rate: float, chat_interval: float, stopping: asyncio.Event) -> None:
        self.spacing = 1 / rate if rate else 0.0
        self.burst = 0.1
        self.chat_interval = chat_interval
        self.stopping = stopping
        self._next = 0.0
        self._paused_until = 0.0
        self._chat_free: dict[int, float] = {}

    async def acquire(self, chat_id: int) -> bool:
        """Wait for this chat's turn, then for a global slot; False when stopping meanwhile."""
        if not await self._wait_until(self._chat_free.get(chat_id, 0.0)):
            return False
        while True:
            now = time.monotonic()
            if now < self._paused_until:
                if not await self._wait_until(self._paused_until):
                    return False
                continue
            slot = max(self._next, now - self.burst)
            self._next = slot + self.spacing
            if not await self._wait_until(slot):
                return False
            if time.monotonic() >= self._paused_until:
                return True

    def sent(self, chat_id: int) -> None:
        """The chat's next message may go `chat_interval` after this one's answer came."""
        if not self.chat_interval:
            return
        now = time.monotonic()
        if len(self._chat_free) > 10_000:
            self._chat_free = {c: t for c, t in self._chat_free.items() if t > now}
        self._chat_free[chat_id] = now + self.chat_interval

    def pause(self, seconds: float) -> None:
        self._paused_until = max(self._paused_until, time.monotonic() + seconds)

    async def _wait_until(self, moment: float) -> bool:
        delay = moment - time.monotonic()
        if delay > 0:
            try:
                await asyncio.wait_for(self.stopping.wait(), delay)
            except TimeoutError:
                pass
        return not self.stopping.is_set()


class OutboxWorker:
    """Claims, paces, sends and records; `stats` counts outcomes by status, and 429s."""

    def __init__(
        self, bot: Bot, sessions: async_sessionmaker, settings: Settings, clock: Clock
    ) -> None:
        self.bot = bot
        self.sessions = sessions
        self.settings = settings
        self.clock = clock
        self.id = f"{socket.gethostname()[:40]}:{os.getpid()}:{secrets.token_hex(4)}"
        self.stats: Counter[str] = Counter()
        self._stopping = asyncio.Event()
        self._pacer = Pacer(settings.outbox_rate, settings.outbox_chat_interval, self._stopping)
        self._wake = asyncio.Event()
        self._in_flight: dict[int, asyncio.Task[None]] = {}
        self._outcomes: list[dict[str, Any]] = []
        self._blocked: list[outbox.Claimed] = []
        self._reached: list[outbox.Claimed] = []
        self._renew_at = clock.now() + self.lease / 3
        self._task: asyncio.Task[None] | None = None

    @property
    def lease(self) -> timedelta:
        return timedelta(seconds=self.settings.outbox_lease)

    def start(self) -> None:
        self._task = asyncio.create_task(self.run(), name=f"outbox {self.id}")

    async def stop(self) -> None:
        """Claim nothing more; send or hand back what is in flight; write every outcome."""
        self._stopping.set()
        self._wake.set()
        if self._task is not None:
            await self._task

    async def run(self) -> None:
        """Until stopped and settled: write outcomes and claim more in one short transaction,
        then wait for a send to finish or the next poll. Cancelling it is a hard kill: nothing
        more is sent or written."""
        try:
            while self._in_flight or self._outcomes or not self._stopping.is_set():
                self._wake.clear()
                if not await self._exchange() and self._stopping.is_set():
                    break  # the store is gone: leases run out, only in-flight ones resend
                try:
                    await asyncio.wait_for(self._wake.wait(), self.settings.outbox_poll)
                except TimeoutError:
                    pass
        finally:
            for task in self._in_flight.values():
                task.cancel()

    async def _exchange(self) -> bool:
        """Record what was sent; claim due messages while there is room; keep leases alive."""
        now = self.clock.now()
        concurrency = self.settings.outbox_concurrency
        room = 0 if self._stopping.is_set() else concurrency - len(self._in_flight)
        if room < max(1, concurrency // 4) and self._in_flight:
            room = 0
        renew = bool(self._in_flight) and now >= self._renew_at
        outcomes, self._outcomes = self._outcomes, []
        blocked, self._blocked = self._blocked, []
        reached, self._reached = self._reached, []
        if not (room or renew or outcomes):
            return True
        try:
            async with unit_of_work(self.sessions) as session:
                await outbox.finish(session, outcomes)
                await outbox.set_reachable(session, blocked, False)
                await outbox.set_reachable(session, reached, True)
                if renew:
                    await outbox.renew(
                        session, worker=self.id, ids=self._in_flight, lease_until=now + self.lease
                    )
                rows = (
                    await outbox.claim(
                        session, worker=self.id, now=now, lease=self.lease, limit=room
                    )
                    if room
                    else []
                )
        except Exception:
            log.exception("outbox: store unavailable; %d outcomes kept", len(outcomes))
            self._outcomes[:0], self._blocked[:0], self._reached[:0] = outcomes, blocked, reached
            return False
        if renew:
            self._renew_at = now + self.lease / 3
        for row in rows:
            if row.id not in self._in_flight:  # the clock jumped past a live lease
                self._in_flight[row.id] = asyncio.create_task(self._deliver(row))
        return True

    async def _deliver(self, row: outbox.Claimed) -> None:
        try:
            result = await self._send(row)
        except Exception as error:
            log.exception("outbox message %s to chat %s failed", row.id, row.chat_id)
            result = outbox.outcome(row, outbox.FAILED, error=repr(error))
        self.stats[result["status"]] += 1
        self._outcomes.append(result)
        self._in_flight.pop(row.id, None)
        self._wake.set()

    async def _send(self, row: outbox.Claimed) -> dict[str, Any]:
        method = _method(row)
        while True:
            if not await self._pacer.acquire(row.chat_id):
                return outbox.outcome(row, outbox.PENDING)
            if row.expires_at is not None and row.expires_at <= self.clock.now():
                return outbox.outcome(row, outbox.EXPIRED)
            try:
                message = await self.bot(method)
            except TelegramRetryAfter as error:
                self.stats["retry_after"] += 1
                self._pacer.pause(error.retry_after)
                log.warning("outbox: 429, all sending paused for %ss", error.retry_after)
                continue
            except TelegramForbiddenError as error:
                self._blocked.append(row)
                return self._failed(row, outbox.BLOCKED, error)
            except TelegramBadRequest as error:
                if "message is not modified" not in str(error):
                    return self._failed(row, outbox.FAILED, error)
                message = None  # an edit the chat already shows (e.g. the decider's own card)
            except (TelegramServerError, TelegramNetworkError) as error:
                return self._retry(row, error)
            except TelegramAPIError as error:
                return self._failed(row, outbox.FAILED, error)
            finally:
                self._pacer.sent(row.chat_id)
            self._reached.append(row)
            return outbox.outcome(
                row,
                outbox.SENT,
                message_id=getattr(message, "message_id", None),
                sent_at=self.clock.now(),
            )

    def _failed(self, row: outbox.Claimed, status: str, error: TelegramAPIError) -> dict[str, Any]:
        log.warning("outbox message %s to chat %s %s: %s", row.id, row.chat_id, status, error)
        return outbox.outcome(row, status, error=str(error), attempts=row.attempts + 1)

    def _retry(self, row: outbox.Claimed, error: TelegramAPIError) -> dict[str, Any]:
        attempts = row.attempts + 1
        if attempts >= self.settings.outbox_max_attempts:
            return self._failed(row, outbox.FAILED, error)
        delay = self.settings.outbox_backoff * 2 ** (attempts - 1)
        log.warning(
            "outbox message %s to chat %s: %s; retry %d in %.0fs",
            row.id,
            row.chat_id,
            error,
            attempts,
            delay,
        )
        return outbox.outcome(
            row,
            outbox.PENDING,
            error=str(error),
            attempts=attempts,
            not_before=self.clock.now() + timedelta(seconds=delay),
        )
