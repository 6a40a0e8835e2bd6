"""Check-in cards as plain functions of what the store holds: text and keyboard, no bot and
no database, so tests build them directly."""

from __future__ import annotations

from dataclasses import replace
from datetime import datetime, timedelta
from zoneinfo import ZoneInfo

from aiogram.filters.callback_data import CallbackData
from aiogram.types import InlineKeyboardButton, InlineKeyboardMarkup
from aiogram.utils.keyboard import InlineKeyboardBuilder

from bot.domain.attendance import local_day
from bot.domain.checkin import (
    CheckinState,
    Mark,
    checkin_state,
    current_code,
    markable,
    screen_expiry,
    screen_token,
    seconds_left,
)
from bot.i18n import I18n
from bot.services.checkin import RosterLine
from bot.views.pages import Page, turns, with_turns
from bot.views.timetable import session_shown
from handlers.checkin.callbacks import (
    MarkMenu,
    Panel,
    PanelAction,
    RosterClasses,
    RosterDay,
    Summary,
)
from storage.models import ClassSession, TrainingClass

NAME_LIMIT = 16


def _short(name: str) -> str:
    return name if len(name) <= NAME_LIMIT else name[: NAME_LIMIT - 1] + "…"


def _local(moment: datetime, training_class: TrainingClass, pattern: str = "%H:%M") -> str:
    return moment.astimezone(ZoneInfo(training_class.timezone)).strftime(pattern)


def _state(class_session: ClassSession) -> CheckinState:
    return checkin_state(class_session.checkin_opened_at, class_session.checkin_closed_at)


def _counts(lines: list[RosterLine]) -> dict[str, int]:
    counts = dict.fromkeys([*Mark, "unmarked", "outside"], 0)
    for line in lines:
        counts[line.status or ("excused" if line.on_leave else "unmarked")] += 1
        counts["outside"] += line.outside
    return counts


def _markable(class_session: ClassSession, now: datetime) -> bool:
    return markable(class_session.checkin_opened_at is not None, class_session.starts_at, now)


def _default_day(
    timetable: list[ClassSession], training_class: TrainingClass, now: datetime
) -> int:
    """Today's class day; else the last one that has begun; else the first."""
    today = local_day(now, training_class.timezone)
    begun = [s.day for s in timetable if local_day(s.starts_at, training_class.timezone) <= today]
    return begun[-1] if begun else timetable[0].day


def _button(text: str, data: CallbackData) -> InlineKeyboardButton:
    return InlineKeyboardButton(text=text, callback_data=data.pack())


def panel_view(
    class_session: ClassSession,
    training_class: TrainingClass,
    i18n: I18n,
    base_url: str,
    now: datetime,
    checked_in: int,
    enrolled: int,
) -> tuple[str, InlineKeyboardMarkup]:
    """The teacher's panel of an open check-in: the code now and when it changes, how many have
    checked in, the classroom screen's link; refresh, roster and close."""
    expires = screen_expiry(class_session.ends_at)
    token = screen_token(class_session.checkin_secret, class_session.id, expires)
    changes = now + timedelta(seconds=seconds_left(now))
    text = i18n(
        "checkin.panel",
        name=training_class.name,
        s=session_shown(class_session, training_class),
        code=current_code(class_session.checkin_secret, now),
        changes=_local(changes, training_class, "%H:%M:%S"),
        checked_in=checked_in,
        enrolled=enrolled,
        screen_url=f"{base_url}/screen/{token}",
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


def shown_day(
    timetable: list[ClassSession], training_class: TrainingClass, day: int, now: datetime
) -> int:
    """The class day asked for when it exists; else the default one."""
    days = {s.day for s in timetable}
    return day if day in days else _default_day(timetable, training_class, now)


def roster_day_view(
    training_class: TrainingClass,
    timetable: list[ClassSession],
    day: int,
    rosters: dict[int, list[RosterLine]],
    can_mark: bool,
    now: datetime,
    i18n: I18n,
) -> tuple[str, InlineKeyboardMarkup]:
    """One class day's sessions with everyone's mark (`rosters` by session id, for the
    sessions of `day`, a day from shown_day); buttons to mark (teachers), to move between
    days and to the class summary."""
    builder = InlineKeyboardBuilder()
    if not timetable:
        return i18n("checkin.no_timetable", name=training_class.name), builder.as_markup()
    days = sorted({s.day for s in timetable})
    blocks, mark_buttons = [], []
    for class_session in (s for s in timetable if s.day == day):
        lines = rosters[class_session.id]
        shown = session_shown(class_session, training_class)
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


def classes_view(classes: Page[TrainingClass], i18n: I18n) -> tuple[str, InlineKeyboardMarkup]:
    """/roster with several classes: which one, a page of 20."""
    rows = [
        [_button(_short(training_class.name), RosterDay(c=training_class.id, d=0))]
        for training_class in classes.items
    ]
    rows = with_turns(rows, turns(i18n, classes.page, classes.pages, lambda p: RosterClasses(p=p)))
    text = i18n(
        "checkin.choose_class", count=classes.total, page=classes.page + 1, pages=classes.pages
    )
    return text, InlineKeyboardMarkup(inline_keyboard=rows)
