"""The class card, the class list, the teachers view, the application and the timetable as pure
functions: built from rows in memory, no bot and no database (S-7 to S-10)."""

from __future__ import annotations

from datetime import UTC, date, datetime
from types import SimpleNamespace

from bot.class_callbacks import (
    AddSession,
    ApplicationAction,
    Change,
    ClassDo,
    ClassNew,
    ClassView,
    DayView,
    Decide,
    Do,
    SessionDo,
    TeacherPage,
    TeacherToggle,
    View,
)
from bot.domain.classes import ClassFacts, Programme, Teacher, TeacherStanding
from bot.i18n import I18n
from bot.i18n import text as message_text
from bot.services.classes import Candidate
from bot.views.classes import (
    Snapshot,
    application_view,
    board_view,
    class_list_view,
    teachers_view,
)
from bot.views.timetable import day_view, delete_view, regenerate_view, timetable_view
from storage.models import ClassSession, Institution, Person, TrainingClass

ZH, EN = I18n("zh-CN"), I18n("en")
NOW = datetime(2026, 5, 1, 2, 0, tzinfo=UTC)


def a_class(status: str = "draft", **fields) -> TrainingClass:
    values = {"id": 7, "name": "网创一班"} | fields
    return TrainingClass(
        programme="trainee", institution_id=1, region_id=1, start_date=date(2026, 5, 11),
        status=status, capacity=28, venue_address="文三路 90 号", venue_lat=30.27,
        venue_lon=120.15, **values,
    )  # fmt: skip


def a_session(id: int, day: int, slot: str, hour: int) -> ClassSession:
    return ClassSession(
        id=id, class_id=7, day=day, slot=slot, hours=4, topic=f"第 {id} 讲",
        starts_at=datetime(2026, 5, 10 + day, hour, 0, tzinfo=UTC),
        ends_at=datetime(2026, 5, 10 + day, hour + 3, 30, tzinfo=UTC),
    )  # fmt: skip


def a_snapshot(found: TrainingClass, teachers: int = 0, sessions=()) -> Snapshot:
    names = ["张老师", "赵老师"][:teachers]
    assigned = [
        (Person(id=i + 1, tg_user_id=i + 1, first_name=n), n, Teacher(n, frozenset({"lecturer"})))
        for i, n in enumerate(names)
    ]
    facts = ClassFacts(
        programme=Programme(found.programme),
        capacity=found.capacity,
        teachers=tuple(t for _, _, t in assigned),
        days=len({s.day for s in sessions}),
        hours=sum(s.hours for s in sessions),
        equipment_confirmed=found.equipment_confirmed_at is not None,
        venue_located=True,
        start_date=found.start_date,
    )
    return Snapshot(found, "示范网创培训学校", assigned, list(sessions), facts)


def callbacks(markup) -> list[str]:
    return [button.callback_data for row in markup.inline_keyboard for button in row]


def test_the_card_of_a_class_being_prepared_lists_what_blocks_and_every_action():
    """S-7, S-8, S-9: what still keeps the class from opening is listed on its card."""
    text, markup = board_view(ZH, a_snapshot(a_class()), NOW)
    for needed in (
        "学员培训班｜筹备中",
        "计划人数：28 人",
        "⚠️ 计划招收 28 人，超过 25 人的建议规模",
        "授课老师需要 2 名，目前安排了 0 名。",
        "还没有课程表（至少 7 天、56 课时）。",
        "教材设备教具清单还没有确认。",
    ):
        assert needed in text, needed
    assert callbacks(markup) == [
        ClassView(c=7, v=View.TEACHERS).pack(),
        ClassView(c=7, v=View.TIMETABLE).pack(),
        ClassDo(c=7, a=Do.EQUIPMENT).pack(),
        ClassDo(c=7, a=Do.EDIT).pack(),
        ClassDo(c=7, a=Do.SUBMIT).pack(),
        ClassView(c=0, v=View.LIST).pack(),
    ]


def test_a_submitted_class_card_offers_no_change():
    text, markup = board_view(EN, a_snapshot(a_class("submitted")), NOW)
    assert "waiting for approval" in text
    assert callbacks(markup) == [
        ClassView(c=7, v=View.TIMETABLE).pack(),
        ClassView(c=0, v=View.LIST).pack(),
    ]


def test_the_list_names_institutions_only_when_there_are_several():
    one = [(Institution(id=1, name="甲校", region_id=1), [a_class()])]
    text, markup = class_list_view(ZH, one)
    assert "网创一班" in text and "甲校" not in markup.inline_keyboard[-1][0].text
    two = one + [(Institution(id=2, name="乙校", region_id=1), [])]
    _, markup = class_list_view(ZH, two)
    assert "乙校" in markup.inline_keyboard[-1][0].text


def test_the_teachers_view_marks_who_is_chosen_and_toggles_them():
    """S-8: each candidate with how their certificate stands; pressing one assigns or removes."""
    offered = [
        Candidate(1, "张老师", TeacherStanding.CHOSEN),
        Candidate(2, "钱老师", TeacherStanding.PENDING),
    ]
    text, markup = teachers_view(ZH, a_class(), offered)
    assert "每班由 2 名老师共同授课" in text
    assert "张老师：✓ 已安排" in text and "钱老师：⏳ 证书审核中" in text
    assert callbacks(markup) == [
        TeacherToggle(c=7, p=1, on=False).pack(),
        TeacherToggle(c=7, p=2, on=True).pack(),
        ClassView(c=7, v=View.BOARD).pack(),
    ]
    _, markup = teachers_view(ZH, a_class("approved"), offered)
    assert callbacks(markup) == [ClassView(c=7, v=View.BOARD).pack()]


def test_the_application_has_buttons_only_while_it_waits():
    """S-10: the supervisor decides a submitted application; a decided one has no buttons."""
    teachers = [("张老师", ["LC-1"]), ("赵老师", ["LC-2"])]
    text, markup = application_view(ZH, a_snapshot(a_class("submitted"), 2), teachers)
    assert "开班申请" in text and "张老师（证书 LC-1" in text
    assert callbacks(markup) == [
        Decide(c=7, a=ApplicationAction.APPROVE).pack(),
        Decide(c=7, a=ApplicationAction.RETURN).pack(),
        Decide(c=7, a=ApplicationAction.TIMETABLE).pack(),
    ]
    _, markup = application_view(ZH, a_snapshot(a_class("approved"), 2), teachers)
    assert markup is None


def test_the_timetable_opens_days_and_each_day_changes_its_sessions():
    """S-9: the timetable counts days and class hours against the programme's minimum."""
    sessions = [a_session(1, 1, "morning", 1), a_session(2, 1, "afternoon", 6)]
    text, markup = timetable_view(ZH, a_class(), sessions)
    assert "共 1 天 / 8 课时" in text and "⚠️ 还不够" in text
    assert DayView(c=7, d=1).pack() in callbacks(markup)
    assert AddSession(c=7).pack() in callbacks(markup)
    detailed, none = timetable_view(ZH, a_class(), sessions, detailed=True)
    assert none is None and "第 1 讲" in detailed
    text, markup = day_view(ZH, a_class(), 1, sessions)
    assert "第 1 讲" in text and "第 2 讲" in text
    assert SessionDo(s=2, a=Change.DELETE).pack() in callbacks(markup)
    assert AddSession(c=7, d=1).pack() in callbacks(markup)
    _, markup = day_view(ZH, a_class("submitted"), 1, sessions)
    assert callbacks(markup) == [ClassView(c=7, v=View.TIMETABLE).pack()]
    text, markup = delete_view(ZH, a_class(), sessions[0])
    assert "确定删除第1天上午这节课吗" in text
    assert callbacks(markup)[0] == SessionDo(s=1, a=Change.DELETE_CONFIRMED).pack()
    text, _ = regenerate_view(EN, a_class(), 2)
    assert "2 sessions" in text


def test_many_candidates_are_paged_twenty_at_a_time():
    """A region may have many lecturers: 20 a page with ◀ ▶ and the count, never a keyboard
    over Telegram's limits; the chosen count is over every page."""
    offered = [Candidate(1, "张老师", TeacherStanding.CHOSEN)] + [
        Candidate(n, f"老师{n}", TeacherStanding.VERIFIED) for n in range(2, 46)
    ]
    text, markup = teachers_view(ZH, a_class(), offered)
    assert "已安排 1/2 名" in text and "第 1/3 页，共 45 人" in text
    assert "老师20" in text and "老师21" not in text
    assert callbacks(markup)[20:] == [
        TeacherPage(c=7, g=1).pack(),
        ClassView(c=7, v=View.BOARD).pack(),
    ]
    text, markup = teachers_view(ZH, a_class(), offered, 9)
    assert "第 3/3 页，共 45 人" in text and "老师45" in text and "老师40" not in text
    assert callbacks(markup)[5:] == [
        TeacherPage(c=7, g=1).pack(),
        ClassView(c=7, v=View.BOARD).pack(),
    ]
    text, _ = teachers_view(ZH, a_class(), offered[:20])
    assert "页" not in text


def test_many_classes_are_paged_and_a_new_one_can_be_made_on_every_page():
    school = Institution(id=1, name="甲校", region_id=1)
    listed = [a_class(id=n, name=f"班{n}") for n in range(1, 26)]
    text, markup = class_list_view(ZH, [(school, listed)])
    assert "班20" in text and "班21" not in text and "第 1/2 页，共 25 个班级" in text
    assert callbacks(markup)[20:] == [ClassView(c=1, v=View.LIST).pack(), ClassNew(i=1).pack()]
    text, markup = class_list_view(ZH, [(school, listed)], 1)
    assert "班21" in text and "班20" not in text
    assert callbacks(markup)[5:] == [ClassView(c=0, v=View.LIST).pack(), ClassNew(i=1).pack()]


def test_a_class_name_in_a_chinese_sentence_is_set_in_book_title_marks():
    """ "主管部门已批准2026年…开班" ran the name into the sentence: it reads 已批准《…》开班."""
    cls = SimpleNamespace(
        name="2026年第3期网络创业培训班",
        status="approved",
        programme="trainee",
        start_date=None,
        venue_address="深圳",
        return_reason=None,
    )
    common = dict(cls=cls, institution="示范学校", teachers=[], first=None, last=None)
    common |= dict(days=7, hours=56, need_days=7, need_hours=56, equipment_at=None)
    approved = message_text("zh-CN", "classes.decision_notice", **common)
    assert "已批准<b>《2026年第3期网络创业培训班》</b>开班" in approved
    removed = message_text("zh-CN", "classes.teacher_removed_notice", **common)
    assert "你在<b>《2026年第3期网络创业培训班》</b>的授课安排" in removed
