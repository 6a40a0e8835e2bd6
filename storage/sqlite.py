"""aiosqlite connections that cost one thread hop per statement instead of three or four.

aiosqlite runs every call on the connection's own thread and wakes the event loop for each
result: SQLAlchemy's adapter opens a cursor, executes, fetches and closes it, four hops for a
SELECT. Here a statement is executed, fully fetched and closed in a single call on that
thread; BEGIN travels with the transaction's first statement; and a rollback is skipped when
nothing can be open since the last commit or rollback (what sqlite3 itself checks on the
thread before sending ROLLBACK), so the pool's reset-on-return costs nothing after a commit.
Same statements, same order, same thread.

Writers take turns in order: every transaction is BEGIN IMMEDIATE (storage.db), and SQLite
makes a writer that finds the lock taken poll for it with growing sleeps, so a scan committing
batch after batch could retake the lock before an update waiting since the first batch woke up.
The connections of one engine share an asyncio lock taken before BEGIN and released at commit
or rollback: waiting transactions of the process start first come, first served (SQLite's
polling still arbitrates between processes).
"""

from __future__ import annotations

import asyncio
import sqlite3
from collections.abc import AsyncIterator, Callable, Iterable, Sequence
from functools import partial
from threading import Thread
from typing import Any

import aiosqlite

Outcome = tuple[Any, int, int | None, list[Any]]
TURN_TIMEOUT = 30.0
"""Seconds a transaction waits for its turn: as long as SQLite's own busy timeout, and it
fails the same way ("database is locked") rather than waiting forever."""


def _run(
    connection: sqlite3.Connection, sql: str, parameters: Any, many: bool, begin: str | None
) -> Outcome:
    """On the connection's thread: begin if asked, execute, fetch every row, close the cursor."""
    cursor = connection.cursor()
    try:
        if begin is not None:
            cursor.execute(begin)
        if many:
            cursor.executemany(sql, parameters)
        else:
            cursor.execute(sql, parameters)
        rows = cursor.fetchall() if cursor.description else []
        return cursor.description, cursor.rowcount, cursor.lastrowid, rows
    finally:
        cursor.close()


class Cursor:
    """The part of aiosqlite's cursor SQLAlchemy uses; results arrive with `execute`."""

    arraysize = 1

    def __init__(self, connection: Connection) -> None:
        self._connection = connection
        self.description: Any = None
        self.rowcount = -1
        self.lastrowid: int | None = None
        self._rows: list[Any] = []

    async def __aenter__(self) -> Cursor:
        return self

    async def __aexit__(self, *_: object) -> None:
        self._rows = []

    async def _call(self, sql: str, parameters: Any, many: bool) -> Cursor:
        outcome = await self._connection.run(sql, parameters, many)
        self.description, self.rowcount, self.lastrowid, self._rows = outcome
        return self

    async def execute(self, sql: str, parameters: Iterable[Any] | None = None) -> Cursor:
        return await self._call(sql, () if parameters is None else parameters, False)

    async def executemany(self, sql: str, parameters: Iterable[Iterable[Any]]) -> Cursor:
        return await self._call(sql, parameters, True)

    async def fetchone(self) -> Any:
        return self._rows.pop(0) if self._rows else None

    async def fetchmany(self, size: int | None = None) -> Sequence[Any]:
        count = self.arraysize if size is None else size
        taken, self._rows = self._rows[:count], self._rows[count:]
        return taken

    async def fetchall(self) -> Sequence[Any]:
        taken, self._rows = self._rows, []
        return taken

    async def close(self) -> None:
        self._rows = []

    async def __aiter__(self) -> AsyncIterator[Any]:
        while self._rows:
            yield self._rows.pop(0)


class Connection(aiosqlite.Connection):
    """aiosqlite's connection with one-hop cursors and rollbacks skipped when idle."""

    def __init__(
        self, connector: Callable[[], sqlite3.Connection], turns: asyncio.Lock | None = None
    ) -> None:
        super().__init__(connector, iter_chunk_size=64)
        self._turns = turns
        self._holding = False
        self._timeout = TURN_TIMEOUT
        # a daemon thread, as SQLAlchemy's dialect makes it (aiosqlite < 0.22 is the thread)
        (self if isinstance(self, Thread) else self._thread).daemon = True
        self._idle = True
        self._begin: str | None = None
        self._take_turn = True

    def cursor(self) -> Cursor:  # type: ignore[override]
        return Cursor(self)

    def begin_with_next(self, statement: str, take_turn: bool = True) -> None:
        """Send `statement` (e.g. BEGIN IMMEDIATE) in the same call as the next statement: a
        transaction takes its locks at its first statement either way. A reader (a deferred
        BEGIN) takes no writer's turn."""
        self._begin = statement
        self._take_turn = take_turn

    async def _execute(self, fn: Callable[..., Any], *args: Any, **kwargs: Any) -> Any:
        """Every call to the thread goes through here and marks the connection busy first."""
        self._idle = False
        return await super()._execute(fn, *args, **kwargs)

    async def run(self, sql: str, parameters: Any, many: bool) -> Outcome:
        begin, self._begin = self._begin, None
        if begin is not None and self._take_turn and self._turns is not None and not self._holding:
            try:
                await asyncio.wait_for(self._turns.acquire(), self._timeout)
            except TimeoutError:
                raise sqlite3.OperationalError("database is locked") from None
            self._holding = True
        try:
            return await self._execute(_run, self._conn, sql, parameters, many, begin)
        except BaseException:
            if begin is not None:
                self._release()
            raise

    def _release(self) -> None:
        if self._holding:
            self._holding = False
            self._turns.release()

    async def commit(self) -> None:
        self._begin = None
        try:
            await super().commit()
        finally:
            self._release()
        self._idle = True

    async def rollback(self) -> None:
        """Only a finished commit or rollback marks the connection idle, and any later call
        marks it busy before it is queued, so an idle connection has no transaction open."""
        self._begin = None
        if self._idle:
            self._release()
            return
        try:
            await super().rollback()
        finally:
            self._release()
        self._idle = True

    async def close(self) -> None:
        self._release()
        await super().close()


async def connect(*args: Any, turns: asyncio.Lock | None = None, **kwargs: Any) -> Connection:
    """Open a connection with `sqlite3.connect`'s arguments; `turns` is the lock its engine's
    connections share to take the write lock in order."""
    return await Connection(partial(sqlite3.connect, *args, **kwargs), turns)
