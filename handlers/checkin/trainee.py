"""Check-in for trainees: the code (typed, or from the screen's QR code), then optionally
the location. See the package docstring for when four digits are a code."""

from __future__ import annotations

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

from bot.domain.checkin import DEEP_LINK_PREFIX, normalise_code
from bot.i18n import I18n
from bot.services import checkin
from bot.services.actor import Actor
from bot.services.checkin import CheckInResult
from bot.views.timetable import session_shown
from handlers.checkin.views import _local
from storage.models import ClassSession, TrainingClass


class CodeMessage(Filter):
    """Four digits from an enrolled person (see the module docstring for when they win over
    a form being filled); injects `code` and `opened` (their sessions open for check-in)."""

    async def __call__(
        self, message: Message, session: AsyncSession, actor: Actor | None = None
    ) -> bool | dict[str, Any]:
        code = normalise_code(message.text or "")
        if code is None or actor is None:
            return False
        opened = await checkin.code_sessions(session, actor)
        return False if opened is None else {"code": code, "opened": opened}


class AwaitingLocation(Filter):
    """Passes when the person checked in a moment ago without a location; injects `pending`."""

    async def __call__(
        self,
        event: TelegramObject,
        session: AsyncSession,
        actor: Actor | None = None,
    ) -> bool | dict[str, Any]:
        if actor is None:
            return False
        pending = await checkin.awaiting_location(session, actor)
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
    actor: Actor,
    i18n: I18n,
) -> None:
    """Check the person in with `code`, or say clearly why not and what to do."""
    done = await checkin.check_in(session, actor, code, opened)
    match done.result:
        case CheckInResult.NONE_OPEN:
            await message.answer(i18n("checkin.none_open"))
        case CheckInResult.WRONG_CODE:
            await message.answer(i18n("checkin.wrong_code", left=done.left))
        case CheckInResult.TOO_MANY:
            await message.answer(i18n("checkin.too_many"))
        case CheckInResult.ALREADY:
            checked = checkin.checked_in_at(done)
            await message.answer(
                i18n(
                    "checkin.already",
                    time=checked and _local(checked, done.training_class),
                    mark=done.mark.status,
                )
            )
        case CheckInResult.CHECKED_IN:
            training_class = done.training_class
            await message.answer(
                i18n(
                    "checkin.checked_in",
                    name=training_class.name,
                    s=session_shown(done.class_session, training_class),
                    time=_local(actor.now, training_class),
                    late=done.late,
                    late_after=training_class.late_after_min,
                    ask_location=done.asks_location,
                ),
                reply_markup=_location_keyboard(i18n) if done.asks_location else None,
            )


async def code_sent(
    message: Message,
    code: str,
    opened: list[tuple[ClassSession, TrainingClass]],
    session: AsyncSession,
    actor: Actor,
    i18n: I18n,
) -> None:
    await check_in(message, code, opened, session, actor, i18n)


async def start_with_code(
    message: Message,
    command: CommandObject,
    session: AsyncSession,
    actor: Actor,
    i18n: I18n,
) -> None:
    """/start ci_<code>: a trainee scanned the classroom screen's QR code."""
    code = normalise_code((command.args or "")[len(DEEP_LINK_PREFIX) :])
    if code is None:
        await message.answer(i18n("checkin.none_open"))
        return
    await check_in(message, code, await checkin.open_sessions(session, actor), session, actor, i18n)


async def location_sent(message: Message, session: AsyncSession, actor: Actor, i18n: I18n) -> None:
    location = message.location
    recorded = await checkin.record_location(session, actor, location.latitude, location.longitude)
    if recorded is None:  # the check-in's few minutes ran out since the filter passed
        await message.answer(i18n("checkin.location_skipped"), reply_markup=ReplyKeyboardRemove())
        return
    mark, training_class = recorded
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
        actor: Actor | None = None,
    ) -> bool | dict[str, Any]:
        if not isinstance(event, Message) or actor is None:
            return False
        if event.text != I18n(actor.locale)("checkin.skip_location"):
            return False
        return await super().__call__(event, session, actor)
