"""The check-in cards as pure functions: built from rows in memory, no bot and no database."""

from __future__ import annotations

from datetime import UTC, date, datetime

from bot.domain.checkin import current_code
from bot.i18n import I18n
from bot.views.pages import Page
from handlers.checkin.callbacks import (
    MarkMenu,
    Panel,
    PanelAction,
    RosterClasses,
    RosterDay,
    Summary,
)
from handlers.checkin.views import classes_view, panel_view, roster_day_view, shown_day
from storage.checkin import RosterLine
from storage.models import ClassSession, TrainingClass

ZH = I18n("zh-CN")
NOW = datetime(2026, 5, 12, 1, 5, tzinfo=UTC)  # 09:05 in Beijing, day 2
SECRET = "s" * 32


def a_class() -> TrainingClass:
    return TrainingClass(
        id=7, programme="trainee", name="网创一班", institution_id=1, region_id=1,
        start_date=date(2026, 5, 11), status="approved", late_after_min=10,
    )  # fmt: skip


def a_session(id: int, day: int, slot: str, hour: int, **fields) -> ClassSession:
    return ClassSession(
        id=id, class_id=7, day=day, slot=slot, hours=3, topic=f"第 {id} 讲",
        starts_at=datetime(2026, 5, 10 + day, hour, 0, tzinfo=UTC),
        ends_at=datetime(2026, 5, 10 + day, hour + 3, 0, tzinfo=UTC), **fields,
    )  # fmt: skip


def line(person_id: int, name: str, status: str | None, **fields) -> RosterLine:
    values = {"on_leave": False, "time": None, "outside": False, "distance_m": None} | fields
    return RosterLine(person_id=person_id, name=name, status=status, **values)


def callbacks(markup) -> list[str]:
    return [button.callback_data for row in markup.inline_keyboard for button in row]


def test_the_teacher_panel_shows_the_code_of_now_the_count_and_the_screen_link():
    """S-11: the panel's code is the one valid at `now`, with the time it changes."""
    opened = a_session(3, 2, "morning", 1, checkin_secret=SECRET, checkin_opened_at=NOW)
    text, markup = panel_view(opened, a_class(), ZH, "https://bot.example", NOW, 12, 25)
    assert f"签到码：<b>{current_code(SECRET, NOW)}</b>" in text
    assert "已签到 <b>12/25</b> 人" in text and "开课 10 分钟后签到记为迟到" in text
    assert '<a href="https://bot.example/screen/' in text and "下次更换 09:05:30" in text
    assert callbacks(markup) == [
        Panel(s=3, a=PanelAction.REFRESH).pack(),
        RosterDay(c=7, d=2, n=True).pack(),
        Panel(s=3, a=PanelAction.CLOSE).pack(),
    ]
    assert all(len(data.encode()) <= 64 for data in callbacks(markup))


def test_the_roster_day_lists_marks_and_offers_marking_only_sessions_that_have_begun():
    timetable = [
        a_session(1, 1, "morning", 1, checkin_closed_at=NOW),
        a_session(3, 2, "morning", 1, checkin_secret=SECRET, checkin_opened_at=NOW),
        a_session(4, 2, "afternoon", 6),
        a_session(5, 3, "morning", 1),
    ]
    day = shown_day(timetable, a_class(), 0, NOW)
    assert day == 2, "day 0 means today's class day"
    rosters = {
        3: [line(11, "王小明", "present", time="09:01"), line(12, "李小红", None, on_leave=True)],
        4: [line(11, "王小明", None), line(12, "李小红", None)],
    }
    text, markup = roster_day_view(a_class(), timetable, day, rosters, True, NOW, ZH)
    assert "📋 <b>网创一班</b> · 第 2 天" in text
    assert "✅ 王小明 09:01" in text and "📝 李小红" in text
    assert "✅ 1 · ⏰ 0 · ❌ 0 · 📝 1 · — 0" in text and "签到中" in text
    assert callbacks(markup) == [
        MarkMenu(s=3).pack(),  # the afternoon has not begun: no button to mark it
        RosterDay(c=7, d=1).pack(),
        RosterDay(c=7, d=2).pack(),
        RosterDay(c=7, d=3).pack(),
        Summary(c=7).pack(),
    ]
    _, read_only = roster_day_view(a_class(), timetable, day, rosters, False, NOW, ZH)
    assert MarkMenu(s=3).pack() not in callbacks(read_only)


def test_a_class_without_a_timetable_says_so():
    text, markup = roster_day_view(a_class(), [], 0, {}, True, NOW, ZH)
    assert "网创一班" in text and callbacks(markup) == []


def test_the_roster_class_list_pages_twenty_at_a_time():
    classes = [
        TrainingClass(
            id=n,
            programme="trainee",
            name=f"班{n:02d}",
            institution_id=1,
            region_id=1,
            start_date=date(2026, 5, 11),
            status="closed",
        )  # fmt: skip
        for n in range(1, 23)
    ]
    text, markup = classes_view(Page.of(classes, 0), ZH)
    data = [button.callback_data for row in markup.inline_keyboard for button in row]
    assert "选择班级（共 22 个，第 1/2 页）" in text
    assert data[:20] == [RosterDay(c=n, d=0).pack() for n in range(1, 21)]
    assert data[20:] == [RosterClasses(p=1).pack()]
    text, markup = classes_view(Page.of(classes, 1), I18n("en"))
    labels = [button.text for row in markup.inline_keyboard for button in row]
    assert "page 2/2" in text and labels == ["班21", "班22", "◀ Previous"]
    assert classes_view(Page.of(classes[:2], 0), ZH)[0] == "选择班级："
