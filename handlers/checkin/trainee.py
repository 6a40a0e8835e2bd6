"""Check-in for trainees: the code (typed, or from the screen's QR code), then optionally
the location. See the package docstring for when four digits are a code."""

from __future__ import annotations

from datetime import datetime
from typing import Any

from aiogram.filters import CommandObject, Filter
from aiogram.types import (
    KeyboardButton,
    Message,
    ReplyKeyboardMarkup,
    ReplyKeyboardRemove,
    TelegramObject,
)
from sqlmodel.ext.asyncio.session import AsyncSession

from bot.clock import Clock
from bot.domain.checkin import (
    ATTENDED,
    DEEP_LINK_PREFIX,
    MAX_WRONG_CODES,
    Mark,
    code_accepted,
    normalise_code,
)
from bot.forms import service
from bot.i18n import I18n
from handlers.checkin.views import _local
from storage import checkin as store
from storage.attendance import view
from storage.models import AttendanceMark, ClassSession, Person, TrainingClass


class CodeMessage(Filter):
    """Four digits from an enrolled person (see the module docstring for when they win over
    a form being filled); injects `code` and `opened` (their sessions open for check-in)."""

    async def __call__(
        self, message: Message, session: AsyncSession, person: Person | None = None
    ) -> bool | dict[str, Any]:
        code = normalise_code(message.text or "")
        if code is None or person is None:
            return False
        opened = await store.open_sessions_of(session, person.id)
        filling = await service.active_draft(session, person.id) is not None
        if filling:
            pending = [
                s for s, _ in opened if await store.mark_of(session, s.id, person.id) is None
            ]
            return {"code": code, "opened": opened} if pending else False
        if opened or await store.is_enrolled(session, person.id):
            return {"code": code, "opened": opened}
        return False


class AwaitingLocation(Filter):
    """Passes when the person checked in a moment ago without a location; injects `pending`."""

    async def __call__(
        self,
        event: TelegramObject,
        session: AsyncSession,
        clock: Clock,
        person: Person | None = None,
    ) -> bool | dict[str, Any]:
        if person is None:
            return False
        pending = await store.awaiting_location(session, person.id, clock.now())
        return {"pending": pending} if pending else False


def _location_keyboard(i18n: I18n) -> ReplyKeyboardMarkup:
    return ReplyKeyboardMarkup(
        keyboard=[
            [KeyboardButton(text=i18n("checkin.share_location"), request_location=True)],
            [KeyboardButton(text=i18n("checkin.skip_location"))],
        ],
        resize_keyboard=True,
        one_time_keyboard=True,
    )


async def check_in(
    message: Message,
    code: str,
    opened: list[tuple[ClassSession, TrainingClass]],
    session: AsyncSession,
    person: Person,
    i18n: I18n,
    now: datetime,
) -> None:
    """Check the person in with `code`, or say clearly why not and what to do."""
    if not opened:
        await message.answer(i18n("checkin.none_open"))
        return
    matched = next(((s, c) for s, c in opened if code_accepted(s.checkin_secret, code, now)), None)
    if matched is None:
        tries = [await store.record_wrong_code(session, s.id, person.id) for s, _ in opened]
        left = MAX_WRONG_CODES - max(tries)
        if left > 0:
            await message.answer(i18n("checkin.wrong_code", left=left))
        else:
            await message.answer(i18n("checkin.too_many"))
        return
    class_session, training_class = matched
    if await store.wrong_codes(session, class_session.id, person.id) >= MAX_WRONG_CODES:
        await message.answer(i18n("checkin.too_many"))
        return
    result = await store.self_check_in(session, class_session, training_class, person.id, now)
    mark = result.mark
    if not result.new:
        checked = mark.checked_in_at if mark.status in ATTENDED else None
        await message.answer(
            i18n(
                "checkin.already",
                time=checked and _local(checked, training_class),
                mark=mark.status,
            )
        )
        return
    ask_location = training_class.venue_lat is not None
    await message.answer(
        i18n(
            "checkin.checked_in",
            name=training_class.name,
            s=view(class_session, training_class),
            time=_local(now, training_class),
            late=mark.status == Mark.LATE,
            late_after=training_class.late_after_min,
            ask_location=ask_location,
        ),
        reply_markup=_location_keyboard(i18n) if ask_location else None,
    )


async def code_sent(
    message: Message,
    code: str,
    opened: list[tuple[ClassSession, TrainingClass]],
    session: AsyncSession,
    person: Person,
    i18n: I18n,
    clock: Clock,
) -> None:
    await check_in(message, code, opened, session, person, i18n, clock.now())


async def start_with_code(
    message: Message,
    command: CommandObject,
    session: AsyncSession,
    person: Person,
    i18n: I18n,
    clock: Clock,
) -> None:
    """/start ci_<code>: a trainee scanned the classroom screen's QR code."""
    code = normalise_code((command.args or "")[len(DEEP_LINK_PREFIX) :])
    opened = await store.open_sessions_of(session, person.id)
    if code is None:
        await message.answer(i18n("checkin.none_open"))
        return
    await check_in(message, code, opened, session, person, i18n, clock.now())


async def location_sent(
    message: Message,
    pending: tuple[AttendanceMark, TrainingClass],
    session: AsyncSession,
    i18n: I18n,
    clock: Clock,
) -> None:
    mark, training_class = pending
    location = message.location
    mark = await store.record_location(
        session, mark, training_class, location.latitude, location.longitude, clock.now()
    )
    await message.answer(
        i18n(
            "checkin.location_recorded",
            distance=mark.distance_m,
            outside=mark.outside_radius,
            radius=training_class.checkin_radius_m,
        ),
        reply_markup=ReplyKeyboardRemove(),
    )


async def location_skipped(message: Message, i18n: I18n) -> None:
    await message.answer(i18n("checkin.location_skipped"), reply_markup=ReplyKeyboardRemove())


class SkipLocation(AwaitingLocation):
    async def __call__(
        self,
        event: TelegramObject,
        session: AsyncSession,
        clock: Clock,
        person: Person | None = None,
    ) -> bool | dict[str, Any]:
        if not isinstance(event, Message) or person is None:
            return False
        if event.text != I18n(person.locale)("checkin.skip_location"):
            return False
        return await super().__call__(event, session, clock, person)
