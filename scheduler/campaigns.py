"""The campaign scan: push queued recipients of due campaigns, and the reminders asked for.

A batch at a time, each in its own unit of work: the keyed outbox rows (`campaign:<id>:<person>`)
and the recipients' new state are committed together, so a restart in the middle of a campaign
of thousands pushes no one twice (the key) and misses no one (whoever is still queued is found
by the next pass). The outbox then sends them at its rate.
"""

from __future__ import annotations

from collections.abc import Sequence
from datetime import datetime

from aiogram.types import InlineKeyboardButton, InlineKeyboardMarkup
from sqlalchemy.ext.asyncio import async_sessionmaker
from sqlmodel.ext.asyncio.session import AsyncSession

from bot import notifier
from bot.campaign_callbacks import Answer, CampaignReply
from bot.config import Settings
from bot.domain.campaigns import Reply
from bot.forms import registry
from bot.i18n import I18n
from bot.notifier import Keyboard, Reader, notice
from bot.services.campaigns import ensure_form
from storage import campaigns as store
from storage.campaigns import Due
from storage.db import unit_of_work

BATCH = 100
"""Recipients pushed per unit of work: about 0.2 s of SQLite's write lock each (queuing an
outbox row costs about 2 ms), so people's updates keep flowing during a push to thousands."""


def keyboard(campaign_id: int) -> Keyboard:
    """The push's buttons: fill it in, or 不再接收."""

    def build(i18n: I18n) -> InlineKeyboardMarkup:
        return InlineKeyboardMarkup(
            inline_keyboard=[
                [
                    InlineKeyboardButton(
                        text=i18n("campaigns.fill"),
                        callback_data=CampaignReply(a=Answer.FILL, c=campaign_id).pack(),
                    )
                ],
                [
                    InlineKeyboardButton(
                        text=i18n("campaigns.stop"),
                        callback_data=CampaignReply(a=Answer.STOP, c=campaign_id).pack(),
                    )
                ],
            ]
        )

    return build


def push_key(campaign_id: int, person_id: int, *, reminder: bool = False) -> str:
    return f"campaign{'r' if reminder else ''}:{campaign_id}:{person_id}"


async def _notices(
    session: AsyncSession, due: Sequence[Due], message: str, reminder: bool
) -> list[notifier.Notice]:
    """One notice per recipient; the text and buttons are the same for everyone of a campaign
    in one language, so each is rendered once (a batch of 500 is rendered in a few ms)."""
    rendered: dict[tuple[int, str], notifier.Rendered] = {}
    found = []
    for row in due:
        if (row.campaign_id, row.locale) not in rendered:
            if not await ensure_form(session, row.form_key):
                continue
            definition = registry.form(row.form_key)
            i18n = I18n(row.locale)
            text = i18n(
                message,
                title=definition.title(row.locale),
                intro=definition.intro(row.locale) if definition.intro else "",
            )
            rendered[row.campaign_id, row.locale] = (text, keyboard(row.campaign_id)(i18n))
        shown = rendered[row.campaign_id, row.locale]
        found.append(
            notice(
                Reader(row.person_id, row.chat_id, row.locale),
                lambda i18n, shown=shown: shown,
                key=push_key(row.campaign_id, row.person_id, reminder=reminder),
            )
        )
    return found


def _by_campaign(rows: Sequence[Due]) -> dict[int, list[int]]:
    grouped: dict[int, list[int]] = {}
    for row in rows:
        grouped.setdefault(row.campaign_id, []).append(row.person_id)
    return grouped


async def push_batch(session: AsyncSession, now: datetime, limit: int = BATCH) -> int:
    """One batch of due pushes in the caller's unit of work; returns how many recipients were
    settled (pushed, unreachable or stopped)."""
    due = await store.due_pushes(session, now, limit)
    if not due:
        return 0
    stopped = await store.stopped_people(session, [row.person_id for row in due])
    blocked = [row for row in due if row.unreachable and row.person_id not in stopped]
    sending = [row for row in due if not row.unreachable and row.person_id not in stopped]
    await notifier.tell_many(session, await _notices(session, sending, "campaigns.push", False))
    for state, rows in (
        (Reply.SENT, sending),
        (Reply.UNREACHABLE, blocked),
        (Reply.STOPPED, [row for row in due if row.person_id in stopped]),
    ):
        for campaign_id, person_ids in _by_campaign(rows).items():
            await store.set_state(
                session, campaign_id, person_ids, state, now, only_from=[Reply.QUEUED]
            )
    return len(due)


async def remind_batch(session: AsyncSession, now: datetime, limit: int = BATCH) -> int:
    due = await store.due_reminders(session, limit)
    if not due:
        return 0
    reachable = [row for row in due if not row.unreachable]
    await notifier.tell_many(
        session, await _notices(session, reachable, "campaigns.reminder", True)
    )
    for campaign_id, person_ids in _by_campaign(due).items():
        await store.mark_reminded(session, campaign_id, person_ids, now)
    return len(due)


async def scan_campaigns(sessions: async_sessionmaker, now: datetime, settings: Settings) -> int:
    """Push every due recipient and every reminder asked for, a batch of each per unit of
    work; returns how many recipients were settled."""
    settled, steps = 0, [push_batch, remind_batch]
    while steps:  # both in one unit of work while both have work: one when nothing is due
        async with unit_of_work(sessions) as session:
            done = [await step(session, now) for step in steps]
        settled += sum(done)
        steps = [step for step, count in zip(steps, done, strict=True) if count]
    return settled
