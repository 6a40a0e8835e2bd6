"""The tracking survey scan (T13): push each class's next wave when its day has come, remind
who has not answered, close what has run its time, and put refused pushes on the phone list.

Nothing is stored per person before it is due: a wave's day is computed here, at each run,
from the class's last day (`followup_class.ended_at`) and the schedule in force, so a schedule
change moves every survey not yet sent. A push is claimed by the survey row (unique per class,
wave and person) made in the same unit of work as its keyed outbox row and the class's
`waves_sent`: a rerun, a restart or a second process sends nothing twice. Pushes and reminders
go out only between 10:00 and 20:00 in the class's time zone.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime
from functools import partial
from typing import Any
from zoneinfo import ZoneInfo

from sqlalchemy.ext.asyncio import async_sessionmaker
from sqlmodel.ext.asyncio.session import AsyncSession

from bot import notifier
from bot.config import Settings
from bot.domain.followup import closes_at, due_at, schedule_for, sending_hours, wave_due
from bot.domain.wake import next_after
from bot.followup_callbacks import FollowupFill
from bot.i18n import I18n
from bot.notifier import Keyboard, one_button
from scheduler.jobs import BATCH, Step, run_batched
from storage import attendance, followup, wake
from storage.db import unit_of_work
from storage.followup import Active

SCAN = "followup"
"""The registration of ended classes' name in `storage.wake`: a class is woken when it ends."""


def _fill(survey_id: int) -> Keyboard:
    def keyboard(i18n: I18n) -> dict[str, Any]:
        return one_button(i18n("followup.fill"), FollowupFill(s=survey_id).pack())

    return keyboard


@dataclass(frozen=True)
class Wave:
    """One class's wave due now, the trainees owed it, and when the next is due (None: last)."""

    active: Active
    wave: int
    months: int
    waves: int
    people: list[int]
    next_at: datetime | None


async def _push(session: AsyncSession, due: list[Wave], now: datetime, settings: Settings) -> int:
    """Make the waves' survey rows for the trainees owed them (those who stopped get a row
    marked stopped and no push: respected and counted), queue the pushes, and record each
    wave as sent to its class. One multi-row insert for the rows, one for the pushes."""
    everyone = [person_id for item in due for person_id in item.people]
    stopped = await followup.followup_stopped(session, everyone)
    rows = [
        {
            "person_id": person_id,
            "class_id": item.active.class_id,
            "institution_id": item.active.institution_id,
            "wave": item.wave,
            "months": item.months,
            "sent_at": None if person_id in stopped else now,
            "stopped": person_id in stopped,
        }
        for item in due
        for person_id in item.people
    ]
    made = await followup.add_surveys(session, rows)
    readers = await notifier.readers(session, (p for p in everyone if p not in stopped))
    names = await followup.class_names(session, [item.active.class_id for item in due])
    pushes = []
    for item in due:
        zone = ZoneInfo(item.active.timezone)
        closes = closes_at(now, settings.followup_close_days).astimezone(zone)
        pushes += [
            notifier.notice(
                readers[person_id],
                "followup.push",
                key=f"{followup.PUSH}:{made[item.active.class_id, person_id]}",
                keyboard=_fill(made[item.active.class_id, person_id]),
                name=names.get(item.active.class_id, ""),
                months=item.months,
                closes=closes,
            )
            for person_id in item.people
            if person_id in readers and (item.active.class_id, person_id) in made
        ]
    await notifier.tell_many(session, pushes)
    for item in due:
        await followup.advance(session, item.active.class_id, item.wave, item.waves, item.next_at)
    return len(pushes)


async def _remind(
    session: AsyncSession, due: list[tuple[Any, str]], now: datetime, settings: Settings
) -> int:
    readers = await notifier.readers(session, (survey.person_id for survey, _ in due))
    reminders = [
        notifier.notice(
            readers[survey.person_id],
            "followup.reminder",
            key=f"fur:{survey.id}:{survey.reminders + 1}",
            keyboard=_fill(survey.id),
            months=survey.months,
            closes=closes_at(survey.sent_at, settings.followup_close_days).astimezone(
                ZoneInfo(zone)
            ),
        )
        for survey, zone in due
        if survey.person_id in readers
    ]
    queued = await notifier.tell_many(session, reminders)
    await followup.reminded(session, [survey.id for survey, _ in due])
    return queued


async def scan_followup(sessions: async_sessionmaker, now: datetime, settings: Settings) -> int:
    """Queue the tracking surveys and reminders due at `now`; returns how many were queued.

    One unit of work registers the classes that ended (those woken for this scan, `storage.
    wake`: each wakes when it ends), closes the surveys past their time, marks refused pushes,
    and finds the due work: the classes in follow-up whose next wave's day has come are read
    through a partial index, and those outside the sending hours wait; a class whose wave is
    not due yet sleeps until its day. Only the classes with a wave due are joined to their
    trainees (anti-joined to the surveys of that wave). The pushes
    are then made for groups of classes, one multi-row insert each, in units of work of at
    most `BATCH` pushes."""
    async with unit_of_work(sessions) as session:
        woken = await wake.due(session, SCAN, now)
        if woken:
            await followup.register_ended(session, now, sorted(woken))
            ends = await attendance.day_ends(session, sorted(woken))
            last = {class_id: max(ends[class_id]) for class_id in woken if ends.get(class_id)}
            await wake.settle(
                session, SCAN, woken, {c: next_after([end], now) for c, end in last.items()}
            )
        await followup.close_due(session, now, settings.followup_close_days)
        await followup.mark_undelivered(session)
        active = await followup.active_classes(session, now)
        plans = await followup.schedules(session, {item.institution_id for item in active})
        due: dict[int, tuple[Active, int, tuple[int, ...]]] = {}
        later: dict[int, datetime] = {}
        for item in active:
            months = schedule_for(
                plans.get((item.institution_id, item.class_id)),
                plans.get((item.institution_id, None)),
            ).months
            wave = wave_due(item.ended_at, item.timezone, months, item.waves_sent, now)
            if wave is not None:
                due[item.class_id] = (item, wave, months)
            elif item.waves_sent >= len(months):
                await followup.finish(session, item.class_id)
            elif (when := due_at(item.ended_at, item.timezone, months[item.waves_sent])) > now:
                later[item.class_id] = when
        await followup.next_waves(session, later)
        owed = await followup.owed(session, sorted(due))
        reminders = [
            (survey, zone)
            for survey, zone in await followup.to_remind(
                session, now, settings.followup_reminder_days
            )
            if sending_hours(now, zone)
        ]
    steps: list[Step] = []
    group: list[Wave] = []
    for class_id, (item, wave, months) in due.items():
        people = owed.get(class_id, [])
        if group and sum(len(g.people) for g in group) + len(people) > BATCH:
            steps.append(partial(_push, due=group, now=now, settings=settings))
            group = []
        following = (
            due_at(item.ended_at, item.timezone, months[wave]) if wave < len(months) else None
        )
        group.append(Wave(item, wave, months[wave - 1], len(months), people, following))
    if group:
        steps.append(partial(_push, due=group, now=now, settings=settings))
    for start in range(0, len(reminders), BATCH):
        steps.append(
            partial(_remind, due=reminders[start : start + BATCH], now=now, settings=settings)
        )
    return await run_batched(sessions, steps, BATCH)
