"""Outbox retention (issue 11): finished pushes are kept `OUTBOX_KEEP_DAYS` and then pruned in
batches; a decision card's sent copies stay while the decision is open; a picture is stored
once however many pushes send it, and removed when none does."""

from __future__ import annotations

import base64
import hashlib
from collections import Counter
from datetime import timedelta

from sqlmodel import func, select, update

from bot import notifier
from bot.config import Settings
from scheduler.maintenance import prune_outbox
from storage import maintenance, outbox
from storage.db import unit_of_work
from storage.models import MediaBlob, OutboxMessage
from tests.outbox.conftest import START, rows, settled

PNG = b"\x89PNG\r\n\x1a\n" + b"chart" * 200
DAY = timedelta(days=1)


async def queue(sessions, *pushes: dict) -> None:
    async with unit_of_work(sessions) as session:
        await outbox.enqueue_many(session, [outbox.message(**push) for push in pushes])


async def mark(sessions, status: str, *, created, message_id: int | None = None, **where) -> None:
    """Give matching rows a final status and a creation time (as if sent long ago)."""
    async with unit_of_work(sessions) as session:
        found = (await session.exec(select(OutboxMessage).filter_by(**where))).all()
        for row in found:
            row.status, row.created_at, row.message_id = status, created, message_id
            session.add(row)
            if row.media_sha256:  # its picture was queued then too
                blob = await session.get(MediaBlob, row.media_sha256)
                blob.created_at = created
                session.add(blob)


async def blobs(sessions) -> int:
    async with unit_of_work(sessions) as session:
        return (await session.exec(select(func.count()).select_from(MediaBlob))).one()


async def prune(sessions, now, **settings) -> tuple[int, int]:
    done = await prune_outbox(sessions, now, Settings(_env_file=None, **settings))
    return done.outbox, done.media


async def test_a_picture_pushed_to_many_is_stored_once_and_sent_to_each(sessions, api, workers):
    await queue(
        sessions,
        *({"chat_id": chat, "text": f"chart {chat}", "photo": PNG} for chat in (1, 2, 3)),
        {"chat_id": 4, "text": "just text"},
    )
    assert await blobs(sessions) == 1
    stored = await rows(sessions)
    assert all("photo" not in row.payload for row in stored), "no picture inside a row"
    workers()
    await settled(sessions, 4)
    assert sorted(api.photos) == [(1, PNG), (2, PNG), (3, PNG)]
    assert api.deliveries == Counter(
        {(1, "chart 1"): 1, (2, "chart 2"): 1, (3, "chart 3"): 1, (4, "just text"): 1}
    )


async def test_finished_pushes_are_kept_the_configured_days_then_pruned(sessions):
    await queue(
        sessions,
        {"chat_id": 1, "text": "old sent"},
        {"chat_id": 2, "text": "old failed"},
        {"chat_id": 3, "text": "recent sent"},
        {"chat_id": 4, "text": "old but still pending", "key": "d"},
        {"chat_id": 5, "text": "old, could be made again", "key": "e", "expires_at": START},
        {"chat_id": 6, "text": "once, for ever", "key": "elig_warn:1:6"},
    )
    await mark(sessions, outbox.SENT, created=START - 8 * DAY, chat_id=1)
    await mark(sessions, outbox.FAILED, created=START - 8 * DAY, chat_id=2)
    await mark(sessions, outbox.SENT, created=START - 6 * DAY, chat_id=3)
    await mark(sessions, outbox.PENDING, created=START - 30 * DAY, chat_id=4)
    await mark(sessions, outbox.EXPIRED, created=START - 30 * DAY, chat_id=5)
    await mark(sessions, outbox.SENT, created=START - 30 * DAY, chat_id=6)

    assert await prune(sessions, START) == (3, 0)
    left = {row.chat_id: row for row in await rows(sessions)}
    assert set(left) == {3, 4, 5, 6}
    assert left[6].status == outbox.FORGOTTEN and left[6].payload == {}, "only its key is kept"
    async with unit_of_work(sessions) as session:
        again = await outbox.enqueue(session, chat_id=6, text="again", key="elig_warn:1:6")
    assert not again, "a keyed push still happens once, however long ago it was pruned"

    assert await prune(sessions, START + 5 * DAY, outbox_keep_days=3) == (2, 0)
    assert {row.chat_id for row in await rows(sessions)} == {4, 6}, "kept past expiry, then gone"


async def test_a_sent_card_copy_is_kept_while_its_decision_is_open(sessions):
    """close_copies must still find a pushed card's message to edit it when it is decided,
    however long the decision took."""
    await queue(
        sessions,
        {"chat_id": 7, "text": "case card", "key": "case:5:7"},
        {"chat_id": 8, "text": "leave card", "key": "leave:9:8"},
        {"chat_id": 7, "text": "a reminder", "key": "remind:1:7", "expires_at": START - 39 * DAY},
    )
    await mark(sessions, outbox.SENT, created=START - 40 * DAY, message_id=70)
    assert await prune(sessions, START) == (1, 0)
    assert {row.key for row in await rows(sessions)} == {"case:5:7", "leave:9:8"}

    async with unit_of_work(sessions) as session:
        edits = await notifier.close_copies(session, "case:5:", lambda i18n: "decided")
    assert edits == 1
    await mark(sessions, outbox.SENT, created=START - 9 * DAY, message_id=71, key="case:5:7:closed")
    assert await prune(sessions, START) == (2, 0), "the copy and its closing edit go together"
    statuses = {row.key: row.status for row in await rows(sessions)}
    assert statuses == {
        "case:5:7": outbox.FORGOTTEN,
        "case:5:7:closed": outbox.FORGOTTEN,
        "leave:9:8": outbox.SENT,
    }


async def test_pruning_goes_in_batches_and_removes_pictures_nobody_sends(sessions, monkeypatch):
    """Batches of PRUNE_BATCH rows, each its own transaction; open cards older than everything
    else (more than a batch of them) do not stop the prune from reaching the rest."""
    monkeypatch.setattr(maintenance, "PRUNE_BATCH", 40)
    await queue(
        sessions, *({"chat_id": n, "text": "card", "key": f"leave:{n}:1"} for n in range(50))
    )
    await mark(sessions, outbox.SENT, created=START - 20 * DAY, message_id=5)
    await queue(sessions, *({"chat_id": n, "text": f"m{n}"} for n in range(100)))
    await queue(sessions, {"chat_id": 1, "text": "chart", "photo": PNG})
    await queue(sessions, {"chat_id": 2, "text": "other", "photo": PNG + b"2"})
    await mark(sessions, outbox.SENT, created=START - 10 * DAY, key=None)
    calls = []
    real = maintenance.prune_outbox

    async def counted(*args, **kwargs):
        calls.append(kwargs.get("after"))
        return await real(*args, **kwargs)

    monkeypatch.setattr(maintenance, "prune_outbox", counted)
    assert await prune(sessions, START) == (102, 2)
    assert len(calls) == 4, "152 rows looked at in batches of 40"
    assert len(await rows(sessions)) == 50 and await blobs(sessions) == 0


async def test_a_picture_still_referenced_is_kept(sessions):
    await queue(sessions, {"chat_id": 1, "text": "old", "photo": PNG, "key": "old"})
    await queue(sessions, {"chat_id": 2, "text": "new", "photo": PNG, "key": "new"})
    await mark(sessions, outbox.SENT, created=START - 10 * DAY, key="old")
    assert await prune(sessions, START) == (1, 0)
    assert await blobs(sessions) == 1


async def test_a_picture_queued_inside_its_row_before_the_upgrade_is_still_sent(
    sessions, api, workers
):
    """Rows queued by the previous version carry their picture base64-encoded in the row."""
    row = outbox.message(chat_id=5, text="old chart")
    row.pop(outbox.MEDIA)
    row.update(
        method="sendPhoto",
        payload={"photo": base64.b64encode(PNG).decode(), "caption": "old chart"},
    )
    async with unit_of_work(sessions) as session:
        await outbox.enqueue_many(session, [row])
    workers()
    await settled(sessions, 1)
    assert api.photos == [(5, PNG)]


async def test_a_picture_queued_again_lately_is_kept_even_if_no_row_sends_it_yet(sessions):
    """A transaction still open may be queuing it again (its row not visible yet)."""
    await queue(sessions, {"chat_id": 1, "text": "old", "photo": PNG})
    await mark(sessions, outbox.SENT, created=START - 10 * DAY)
    async with unit_of_work(sessions) as session:
        await outbox.store_media(session, {hashlib.sha256(PNG).hexdigest(): PNG})
        await session.exec(update(MediaBlob).values(created_at=START - DAY))
    assert await prune(sessions, START) == (1, 0)
    assert await blobs(sessions) == 1
    assert await prune(sessions, START + 7 * DAY) == (0, 1)
