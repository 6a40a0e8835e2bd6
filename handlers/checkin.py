"""Check-in (S-11, S-24, S-44): teachers open it and show a rotating code, trainees send the
code (and optionally their location), teachers see the roster, mark by hand and sum up.

Which message is a code: exactly four digits from a person enrolled in a class. While check-in
is open for them and they have not checked in yet, the code wins even over a form being
filled; once they have checked in (or with nothing open) a form being filled gets it.
"""

from __future__ import annotations

from dataclasses import replace
from datetime import datetime, timedelta
from enum import StrEnum
from typing import Any
from zoneinfo import ZoneInfo

from aiogram import Bot, F, Router
from aiogram.filters import Command, CommandObject, Filter
from aiogram.filters.callback_data import CallbackData
from aiogram.types import (
    CallbackQuery,
    InlineKeyboardButton,
    InlineKeyboardMarkup,
    KeyboardButton,
    Message,
    ReplyKeyboardMarkup,
    ReplyKeyboardRemove,
    TelegramObject,
)
from aiogram.utils.keyboard import InlineKeyboardBuilder
from sqlmodel.ext.asyncio.session import AsyncSession

from bot import policy
from bot.clock import Clock
from bot.config import Settings
from bot.domain.attendance import local_day
from bot.domain.checkin import (
    ATTENDED,
    DEEP_LINK_PREFIX,
    MAX_WRONG_CODES,
    Mark,
    Phase,
    code_accepted,
    current_code,
    normalise_code,
    screen_expiry,
    screen_token,
    seconds_left,
)
from bot.filters import Can
from bot.forms import service
from bot.i18n import I18n
from bot.policy import Action, allowed
from bot.services.actor import Actor
from bot.services.targets import class_and_target, class_session_for
from bot.views import edit_in_place
from storage import checkin as store
from storage.attendance import after_marks_changed, close_checkin, enrolled_ids, view
from storage.classes import sessions_of
from storage.enrolment import names
from storage.models import AttendanceMark, ClassSession, Person, TrainingClass

NAME_LIMIT = 16


class OpenCheckin(CallbackData, prefix="cio"):
    s: int


class PanelAction(StrEnum):
    REFRESH = "refresh"
    CLOSE = "close"


class Panel(CallbackData, prefix="cip"):
    s: int
    a: PanelAction


class RosterDay(CallbackData, prefix="cir"):
    """Class `c`, class day `d` (0: today's); `n`: as a new message (else redraw this one)."""

    c: int
    d: int
    n: bool = False


class Summary(CallbackData, prefix="cis"):
    c: int


class MarkMenu(CallbackData, prefix="cim"):
    """The session's trainees to mark (p=0), or the marks offered for person `p`."""

    s: int
    p: int = 0


class MarkSet(CallbackData, prefix="cix"):
    s: int
    p: int
    m: Mark


def _short(name: str) -> str:
    return name if len(name) <= NAME_LIMIT else name[: NAME_LIMIT - 1] + "…"


def _local(moment: datetime, training_class: TrainingClass, pattern: str = "%H:%M") -> str:
    return moment.astimezone(ZoneInfo(training_class.timezone)).strftime(pattern)


# --- teachers: open, show the code, close ---------------------------------------------------


async def choose_session(
    message: Message, session: AsyncSession, person: Person, i18n: I18n, clock: Clock
) -> None:
    today = await store.todays_sessions_taught(session, person.id, clock.now())
    if not today:
        await message.answer(i18n("checkin.no_sessions_today"))
        return
    builder = InlineKeyboardBuilder()
    for class_session, training_class in today:
        builder.button(
            text=i18n(
                "checkin.session_button",
                name=_short(training_class.name),
                s=view(class_session, training_class),
                state=_state(class_session),
            ),
            callback_data=OpenCheckin(s=class_session.id),
        )
    builder.adjust(1)
    await message.answer(i18n("checkin.choose_session"), reply_markup=builder.as_markup())


def _state(class_session: ClassSession) -> str:
    if class_session.checkin_closed_at is not None:
        return "closed"
    return "open" if class_session.checkin_opened_at is not None else "new"


async def open_pressed(
    query: CallbackQuery,
    callback_data: OpenCheckin,
    session: AsyncSession,
    person: Person,
    actor: Actor,
    i18n: I18n,
    settings: Settings,
    clock: Clock,
) -> None:
    class_session, training_class = await class_session_for(
        session, actor, Action.CHECKIN_OPEN, callback_data.s
    )
    now = clock.now()
    if class_session.checkin_closed_at is not None:
        await query.answer()
        text, markup = await _roster_view(
            session, training_class, class_session.day, True, now, i18n
        )
        await query.message.answer(text, reply_markup=markup)
        return
    if training_class.status not in store.RUNNING or local_day(
        class_session.starts_at, training_class.timezone
    ) != local_day(now, training_class.timezone):
        await query.answer(i18n("checkin.not_today"), show_alert=True)
        return
    await store.open_checkin(session, class_session, person.id, now)
    await query.answer()
    text, markup = await _panel(session, class_session, training_class, i18n, settings, now)
    await query.message.answer(text, reply_markup=markup)


async def _panel(
    session: AsyncSession,
    class_session: ClassSession,
    training_class: TrainingClass,
    i18n: I18n,
    settings: Settings,
    now: datetime,
) -> tuple[str, InlineKeyboardMarkup]:
    expires = screen_expiry(class_session.ends_at)
    token = screen_token(class_session.checkin_secret, class_session.id, expires)
    changes = now + timedelta(seconds=seconds_left(now))
    text = i18n(
        "checkin.panel",
        name=training_class.name,
        s=view(class_session, training_class),
        code=current_code(class_session.checkin_secret, now),
        changes=_local(changes, training_class, "%H:%M:%S"),
        checked_in=await store.checked_in_count(session, class_session.id),
        enrolled=len(await enrolled_ids(session, training_class.id)),
        screen_url=f"{settings.base_url}/screen/{token}",
        screen_until=_local(expires, training_class),
        late_after=training_class.late_after_min,
    )
    builder = InlineKeyboardBuilder()
    builder.button(
        text=i18n("checkin.refresh"), callback_data=Panel(s=class_session.id, a=PanelAction.REFRESH)
    )
    builder.button(
        text=i18n("checkin.roster_button"),
        callback_data=RosterDay(c=training_class.id, d=class_session.day, n=True),
    )
    builder.button(
        text=i18n("checkin.close"), callback_data=Panel(s=class_session.id, a=PanelAction.CLOSE)
    )
    builder.adjust(2, 1)
    return text, builder.as_markup()


async def panel_pressed(
    query: CallbackQuery,
    callback_data: Panel,
    session: AsyncSession,
    person: Person,
    actor: Actor,
    i18n: I18n,
    settings: Settings,
    clock: Clock,
    bot: Bot,
) -> None:
    class_session, training_class = await class_session_for(
        session, actor, Action.CHECKIN_OPEN, callback_data.s
    )
    now = clock.now()
    if class_session.checkin_closed_at is not None:
        await query.answer(i18n("checkin.already_closed"), show_alert=True)
        text, markup = await _closed(session, class_session, training_class, i18n)
        await edit_in_place(bot, query.message, text, markup)
        return
    if class_session.checkin_opened_at is None:
        await query.answer(i18n("checkin.not_yours"), show_alert=True)
        return
    if callback_data.a is PanelAction.CLOSE:
        await close_checkin(session, class_session, now, actor_id=person.id)
        await query.answer(i18n("checkin.closed_toast"))
        text, markup = await _closed(session, class_session, training_class, i18n)
    else:
        await query.answer()
        text, markup = await _panel(session, class_session, training_class, i18n, settings, now)
    await edit_in_place(bot, query.message, text, markup)


async def _closed(
    session: AsyncSession, class_session: ClassSession, training_class: TrainingClass, i18n: I18n
) -> tuple[str, InlineKeyboardMarkup]:
    lines = await store.roster(session, training_class, class_session)
    text = i18n(
        "checkin.closed",
        name=training_class.name,
        s=view(class_session, training_class),
        counts=_counts(lines),
    )
    builder = InlineKeyboardBuilder()
    builder.button(
        text=i18n("checkin.roster_button"),
        callback_data=RosterDay(c=training_class.id, d=class_session.day, n=True),
    )
    return text, builder.as_markup()


def _counts(lines: list[store.RosterLine]) -> dict[str, int]:
    counts = {"present": 0, "late": 0, "absent": 0, "excused": 0, "unmarked": 0, "outside": 0}
    for line in lines:
        counts[line.status or ("excused" if line.on_leave else "unmarked")] += 1
        counts["outside"] += line.outside
    return counts


# --- rosters, summaries and hand marks ------------------------------------------------------


def _markable(class_session: ClassSession, now: datetime) -> bool:
    """Sessions that have begun (or whose check-in is open) can be marked, not future ones."""
    return class_session.checkin_opened_at is not None or class_session.starts_at <= now


def _default_day(
    timetable: list[ClassSession], training_class: TrainingClass, now: datetime
) -> int:
    """Today's class day; else the last one that has begun; else the first."""
    today = local_day(now, training_class.timezone)
    begun = [s.day for s in timetable if local_day(s.starts_at, training_class.timezone) <= today]
    return begun[-1] if begun else timetable[0].day


def _button(text: str, data: CallbackData) -> InlineKeyboardButton:
    return InlineKeyboardButton(text=text, callback_data=data.pack())


async def _roster_view(
    session: AsyncSession,
    training_class: TrainingClass,
    day: int,
    can_mark: bool,
    now: datetime,
    i18n: I18n,
) -> tuple[str, InlineKeyboardMarkup]:
    """One class day's sessions with everyone's mark; buttons to mark (teachers), to move
    between days and to the class summary."""
    timetable = list(await sessions_of(session, training_class.id))
    builder = InlineKeyboardBuilder()
    if not timetable:
        return i18n("checkin.no_timetable", name=training_class.name), builder.as_markup()
    days = sorted({s.day for s in timetable})
    if day not in days:
        day = _default_day(timetable, training_class, now)
    blocks, mark_buttons = [], []
    for class_session in (s for s in timetable if s.day == day):
        lines = await store.roster(session, training_class, class_session)
        shown = view(class_session, training_class)
        blocks.append(
            {
                "s": shown,
                "state": _state(class_session),
                "counts": _counts(lines),
                "lines": [replace(line, name=_short(line.name)) for line in lines],
            }
        )
        if can_mark and _markable(class_session, now):
            mark_buttons.append(
                _button(i18n("checkin.mark_button", s=shown), MarkMenu(s=class_session.id))
            )
    index = days.index(day)
    navigation = [_button(i18n("checkin.refresh"), RosterDay(c=training_class.id, d=day))]
    if index > 0:
        previous = RosterDay(c=training_class.id, d=days[index - 1])
        navigation.insert(0, _button(i18n("checkin.prev_day"), previous))
    if index < len(days) - 1:
        following = RosterDay(c=training_class.id, d=days[index + 1])
        navigation.append(_button(i18n("checkin.next_day"), following))
    if mark_buttons:
        builder.row(*mark_buttons)
    builder.row(*navigation)
    builder.row(_button(i18n("checkin.summary_button"), Summary(c=training_class.id)))
    text = i18n("checkin.roster", name=training_class.name, day=day, blocks=blocks)
    return text, builder.as_markup()


async def _roster_class(
    session: AsyncSession, actor: Actor, class_id: int
) -> tuple[TrainingClass, bool]:
    """A class whose roster the actor may read (open or closed), and whether they may mark it."""
    training_class, target = await class_and_target(
        session, actor, Action.ROSTER_VIEW, class_id, statuses=store.VISIBLE
    )
    return training_class, allowed(actor, Action.ATTENDANCE_MARK, target)


async def roster_command(
    message: Message,
    session: AsyncSession,
    person: Person,
    actor: Actor,
    i18n: I18n,
    clock: Clock,
) -> None:
    institutions = policy.institutions(actor, Action.ROSTER_VIEW)
    classes = await store.visible_classes(session, person.id, institutions)
    if not classes:
        await message.answer(i18n("checkin.no_classes"))
        return
    if len(classes) == 1:
        training_class, marks = await _roster_class(session, actor, classes[0].id)
        text, markup = await _roster_view(session, training_class, 0, marks, clock.now(), i18n)
        await message.answer(text, reply_markup=markup)
        return
    builder = InlineKeyboardBuilder()
    for training_class in classes:
        builder.button(
            text=_short(training_class.name), callback_data=RosterDay(c=training_class.id, d=0)
        )
    builder.adjust(1)
    await message.answer(i18n("checkin.choose_class"), reply_markup=builder.as_markup())


async def roster_pressed(
    query: CallbackQuery,
    callback_data: RosterDay,
    session: AsyncSession,
    person: Person,
    actor: Actor,
    i18n: I18n,
    clock: Clock,
    bot: Bot,
) -> None:
    training_class, marks = await _roster_class(session, actor, callback_data.c)
    await query.answer()
    text, markup = await _roster_view(
        session, training_class, callback_data.d, marks, clock.now(), i18n
    )
    if callback_data.n:
        await query.message.answer(text, reply_markup=markup)
    else:
        await edit_in_place(bot, query.message, text, markup)


async def summary_pressed(
    query: CallbackQuery,
    callback_data: Summary,
    session: AsyncSession,
    person: Person,
    actor: Actor,
    i18n: I18n,
    clock: Clock,
    bot: Bot,
) -> None:
    training_class, _ = await _roster_class(session, actor, callback_data.c)
    await query.answer()
    summary = await store.class_summary(session, training_class, clock.now())
    text = i18n(
        "checkin.summary",
        name=training_class.name,
        sessions=[
            (view(s, training_class), row)
            for s, row in summary.sessions
            if row.phase != Phase.UPCOMING
        ],
        upcoming=sum(row.phase == Phase.UPCOMING for _, row in summary.sessions),
        people=[(_short(name), row) for name, row in summary.people],
    )
    builder = InlineKeyboardBuilder()
    builder.button(text=i18n("checkin.back"), callback_data=RosterDay(c=training_class.id, d=0))
    await edit_in_place(bot, query.message, text, builder.as_markup())


async def _markable_session(
    query: CallbackQuery,
    session: AsyncSession,
    actor: Actor,
    i18n: I18n,
    session_id: int,
    now: datetime,
) -> tuple[ClassSession, TrainingClass] | None:
    found = await class_session_for(session, actor, Action.ATTENDANCE_MARK, session_id)
    if not _markable(found[0], now):
        await query.answer(i18n("checkin.not_started"), show_alert=True)
        return None
    return found


async def _people_view(
    session: AsyncSession, class_session: ClassSession, training_class: TrainingClass, i18n: I18n
) -> tuple[str, InlineKeyboardMarkup]:
    builder = InlineKeyboardBuilder()
    for line in await store.roster(session, training_class, class_session):
        builder.button(
            text=i18n("checkin.person_button", name=_short(line.name), line=line),
            callback_data=MarkMenu(s=class_session.id, p=line.person_id),
        )
    builder.adjust(2)
    back = RosterDay(c=training_class.id, d=class_session.day)
    builder.row(_button(i18n("checkin.back"), back))
    text = i18n(
        "checkin.pick_person", name=training_class.name, s=view(class_session, training_class)
    )
    return text, builder.as_markup()


async def mark_menu(
    query: CallbackQuery,
    callback_data: MarkMenu,
    session: AsyncSession,
    person: Person,
    actor: Actor,
    i18n: I18n,
    clock: Clock,
    bot: Bot,
) -> None:
    found = await _markable_session(query, session, actor, i18n, callback_data.s, clock.now())
    if found is None:
        return
    class_session, training_class = found
    if not callback_data.p:
        await query.answer()
        await edit_in_place(
            bot, query.message, *await _people_view(session, class_session, training_class, i18n)
        )
        return
    lines = await store.roster(session, training_class, class_session)
    line = next((line for line in lines if line.person_id == callback_data.p), None)
    if line is None:
        await query.answer(i18n("checkin.not_enrolled"), show_alert=True)
        return
    await query.answer()
    builder = InlineKeyboardBuilder()
    for mark in Mark:
        builder.button(
            text=i18n("checkin.mark_choice", mark=mark, current=line.status == mark),
            callback_data=MarkSet(s=class_session.id, p=line.person_id, m=mark),
        )
    builder.button(text=i18n("checkin.back"), callback_data=MarkMenu(s=class_session.id))
    builder.adjust(2, 2, 1)
    text = i18n(
        "checkin.pick_mark",
        person=line.name,
        name=training_class.name,
        s=view(class_session, training_class),
        line=line,
    )
    await edit_in_place(bot, query.message, text, builder.as_markup())


async def mark_set(
    query: CallbackQuery,
    callback_data: MarkSet,
    session: AsyncSession,
    person: Person,
    actor: Actor,
    i18n: I18n,
    clock: Clock,
    bot: Bot,
) -> None:
    now = clock.now()
    found = await _markable_session(query, session, actor, i18n, callback_data.s, now)
    if found is None:
        return
    class_session, training_class = found
    if not await store.markable(session, class_session, callback_data.p):
        await query.answer(i18n("checkin.not_enrolled"), show_alert=True)
        return
    changed = await store.hand_mark(
        session, class_session, callback_data.p, callback_data.m, person.id, now
    )
    if changed:
        await after_marks_changed(session, training_class, [callback_data.p], now)
    named = await names(session, [callback_data.p])
    await query.answer(
        i18n(
            "checkin.marked",
            person=named[callback_data.p],
            mark=callback_data.m,
            changed=changed,
        )
    )
    await edit_in_place(
        bot, query.message, *await _people_view(session, class_session, training_class, i18n)
    )


# --- trainees: send the code, then (optionally) the location --------------------------------


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


def create_router() -> Router:
    router = Router(name=__name__)
    router.message.register(code_sent, CodeMessage())
    router.message.register(location_sent, F.location, AwaitingLocation())
    router.message.register(location_skipped, F.text, SkipLocation())

    teachers = Router(name=f"{__name__}.teachers")
    teachers.message.filter(Can(Action.CHECKIN_OPEN, Action.ATTENDANCE_MARK))
    teachers.callback_query.filter(Can(Action.CHECKIN_OPEN, Action.ATTENDANCE_MARK))
    teachers.message.register(choose_session, Command("checkin"))
    teachers.callback_query.register(open_pressed, OpenCheckin.filter())
    teachers.callback_query.register(panel_pressed, Panel.filter())
    teachers.callback_query.register(mark_menu, MarkMenu.filter())
    teachers.callback_query.register(mark_set, MarkSet.filter())

    staff = Router(name=f"{__name__}.staff")
    staff.message.filter(Can(Action.ROSTER_VIEW))
    staff.callback_query.filter(Can(Action.ROSTER_VIEW))
    staff.message.register(roster_command, Command("roster"))
    staff.callback_query.register(roster_pressed, RosterDay.filter())
    staff.callback_query.register(summary_pressed, Summary.filter())

    router.include_routers(teachers, staff)
    return router
