"""The outbox worker against a fake Bot API server: retries, expiry, pacing, kills, two workers."""

from __future__ import annotations

import asyncio
from collections import Counter
from datetime import timedelta

import pytest

from storage import outbox, repo
from storage.db import create_engine, create_sessionmaker, unit_of_work
from storage.models import Person
from tests.outbox.conftest import START, add, rows, settled, until


async def quiet(api, seconds: float = 0.15) -> int:
    """Requests the server got in `seconds` (the worker polls every 0.02 s meanwhile)."""
    before = sum(len(times) for times in api.arrivals.values())
    await asyncio.sleep(seconds)
    return sum(len(times) for times in api.arrivals.values()) - before


async def test_each_queued_message_is_sent_once_and_recorded(sessions, api, workers):
    await add(sessions, 5)
    workers()
    done = await settled(sessions, 5)
    assert [row.status for row in done] == ["sent"] * 5
    assert all(row.message_id and row.sent_at == START and row.lease_until is None for row in done)
    assert api.deliveries == Counter({(n + 1, f"m{n}"): 1 for n in range(5)})


async def test_a_keyed_push_is_queued_once(sessions):
    for text in ("first", "second"):
        async with unit_of_work(sessions) as session:
            queued = await outbox.enqueue(session, chat_id=1, text=text, key="remind:1:1")
            assert queued is (text == "first")
    assert [row.payload["text"] for row in await rows(sessions)] == ["first"]


async def test_server_errors_are_retried_with_backoff_until_sent_or_given_up(
    sessions, api, workers, clock
):
    api.script = {1: [502, 500], 2: [502, 502, 502]}
    await add(sessions, 2)
    workers(outbox_max_attempts=3)

    async def attempts(count: int) -> bool:
        return all(
            row.attempts == count and row.status == "pending" for row in await rows(sessions)
        )

    await until(lambda: attempts(1))
    assert {row.not_before for row in await rows(sessions)} == {START + timedelta(seconds=10)}
    assert "Bad Gateway" in (await rows(sessions))[0].last_error
    assert await quiet(api) == 0, "retried before its backoff"

    clock.advance(timedelta(seconds=10))
    await until(lambda: attempts(2))
    assert {row.not_before for row in await rows(sessions)} == {START + timedelta(seconds=30)}
    assert await quiet(api) == 0

    clock.advance(timedelta(seconds=20))
    sent, failed = await settled(sessions, 2)
    assert (sent.status, sent.attempts, failed.status, failed.attempts) == ("sent", 2, "failed", 3)
    assert api.deliveries == Counter({(1, "m0"): 1})
    clock.advance(timedelta(days=1))
    assert await quiet(api) == 0


async def test_a_blocked_bot_marks_the_person_unreachable_and_a_bad_request_fails(
    sessions, api, workers, clock
):
    async with unit_of_work(sessions) as session:
        person, _ = await repo.upsert_person(
            session, tg_user_id=7, first_name="李四", last_name=None, username=None, locale="zh-CN"
        )
        await outbox.enqueue(session, chat_id=7, text="hello", person_id=person.id)
        await outbox.enqueue(session, chat_id=9, text="nobody")
        await outbox.enqueue(session, chat_id=8, text="fine")
    api.script = {7: [403], 9: [400]}
    workers()
    blocked, failed, sent = await settled(sessions, 3)
    assert (blocked.status, blocked.attempts) == ("blocked", 1)
    assert "blocked by the user" in blocked.last_error
    assert (failed.status, failed.attempts) == ("failed", 1)
    assert "chat not found" in failed.last_error
    assert sent.status == "sent"
    async with unit_of_work(sessions) as session:
        assert (await session.get(Person, person.id)).unreachable
    clock.advance(timedelta(days=1))
    assert await quiet(api) == 0


async def test_expired_messages_are_dropped_instead_of_sent_late(sessions, api, workers, clock):
    hour = timedelta(hours=1)
    async with unit_of_work(sessions) as session:
        await outbox.enqueue(session, chat_id=1, text="too late", expires_at=START)
        await outbox.enqueue(
            session, chat_id=2, text="later", not_before=START + hour, expires_at=START + 2 * hour
        )
        await outbox.enqueue(
            session, chat_id=3, text="stale", not_before=START + hour, expires_at=START + hour / 2
        )
    workers()
    await settled(sessions, 1)
    assert [row.status for row in await rows(sessions)] == ["expired", "pending", "pending"]
    assert await quiet(api) == 0

    clock.advance(hour)
    await settled(sessions, 3)
    assert [row.status for row in await rows(sessions)] == ["expired", "sent", "expired"]
    assert api.deliveries == Counter({(2, "later"): 1})


async def test_pacing_keeps_the_global_rate_and_the_per_chat_interval(sessions, api, workers):
    rate, interval = 40, 0.25
    await add(sessions, 20)
    await add(sessions, 3, chat_id=99)
    workers(outbox_rate=rate, outbox_chat_interval=interval)
    await settled(sessions, 23)
    times = sorted(t for arrivals in api.arrivals.values() for t in arrivals)
    burst = 0.1  # the pacer's allowance for timer jitter
    assert times[-1] - times[0] >= (len(times) - 1) / rate - burst, "faster than the rate"
    same_chat = api.arrivals[99]
    assert all(b - a >= interval for a, b in zip(same_chat, same_chat[1:], strict=False))


async def test_a_graceful_stop_hands_back_what_it_has_not_sent(sessions, api, workers):
    await add(sessions, 10)
    first = workers(outbox_rate=5)
    await settled(sessions, 1)
    await first.stop()
    left = await rows(sessions)
    assert "sending" not in {row.status for row in left}
    assert all(row.leased_by is None for row in left)
    assert 0 < sum(row.status == "sent" for row in left) < 10

    workers()
    await settled(sessions, 10)
    assert sorted(api.deliveries.values()) == [1] * 10, "a restart sent something twice"


async def test_a_killed_worker_leaves_only_its_in_flight_messages_to_be_sent_twice(
    sessions, api, workers, clock
):
    api.hold_after = 5
    await add(sessions, 12)
    first = workers(outbox_concurrency=4)
    await until(lambda: _count(sessions, "sent", 5))
    await until(lambda: api.held == 4)
    first._task.cancel()
    with pytest.raises(asyncio.CancelledError):
        await first._task
    at_kill = await rows(sessions)
    in_flight = {row.chat_id for row in at_kill if row.status == "sending"}
    assert len(in_flight) == 4

    api.release.set()
    api.hold_after = None
    workers()
    await until(lambda: _count(sessions, "sent", 8))
    assert await quiet(api) == 0, "a live lease was taken over"
    clock.advance(timedelta(seconds=31))
    done = await settled(sessions, 12)
    assert {row.status for row in done} == {"sent"}
    assert {chat for (chat, _), count in api.deliveries.items() if count > 1} == in_flight
    assert len(api.deliveries) == 12


async def test_two_workers_never_send_the_same_message(database_url, sessions, api, workers):
    await add(sessions, 200)
    await add(sessions, 100, prefix="again")
    engine = create_engine(database_url)
    pair = [
        workers(outbox_concurrency=8),
        workers(store=create_sessionmaker(engine), outbox_concurrency=8),
    ]
    try:
        await settled(sessions, 300, timeout=30)
    finally:
        for worker in pair:
            await worker.stop()
        await engine.dispose()
    assert len(api.deliveries) == 300
    assert set(api.deliveries.values()) == {1}, "a message was sent twice"
    assert all(worker.stats["sent"] for worker in pair), "one worker did all the work"


async def _count(sessions, status: str, count: int) -> bool:
    return sum(row.status == status for row in await rows(sessions)) >= count
