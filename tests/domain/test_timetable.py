"""The standard timetables, the sessions they give, and the checks on every adjustment (T5)."""

from __future__ import annotations

from datetime import UTC, date, datetime, time
from pathlib import Path

import pytest
import yaml

from bot.domain.classes import REQUIREMENTS, Finding, Programme, timetable_findings
from bot.domain.timetable import (
    Change,
    Existing,
    Placement,
    Refused,
    Slot,
    TimetableError,
    When,
    build,
    check_change,
    distinct_days,
    load_template,
    max_hours,
    parse_hours,
    parse_topic,
    parse_when,
    place,
    placement_for,
    shifted,
    slot_of,
    total_hours,
)
from bot.timetables import TIMETABLES_DIR, standard, standard_timetables

START = date(2025, 6, 2)  # a Monday
ZONE = "Asia/Shanghai"


def code_of(call, *args):
    with pytest.raises(Refused) as caught:
        call(*args)
    return caught.value.refusal.code


@pytest.mark.parametrize("programme", list(Programme))
def test_each_standard_timetable_meets_its_programme(programme):
    template = standard(programme)
    sessions = build(template, START, ZONE, "zh-CN")
    need = REQUIREMENTS[programme]
    assert distinct_days([s.placement for s in sessions], ZONE) == need.days
    assert sum(s.hours for s in sessions) == need.hours
    assert timetable_findings(programme, need.days, total_hours(sessions)) == []
    assert all(s.topic for s in sessions)
    assert set(standard_timetables()) == set(Programme)


MIDTERM_DAY = 5


@pytest.mark.parametrize("programme", list(Programme))
def test_each_standard_timetable_groups_its_sessions_into_5_to_8_modules(programme):
    """S-27, T7: evaluations ask per module; every session belongs to one, in order; the
    mid-term (5th class day) asks those begun by then, the final all of them."""
    template = standard(programme)
    everything = template.module_titles("zh-CN")
    assert 5 <= len(everything) <= 8 and len(set(everything)) == len(everything)
    assert len(template.module_titles("en")) == len(everything)
    begun = {s.module for plan in template.days[:MIDTERM_DAY] for s in plan.sessions}
    assert template.module_titles("zh-CN", MIDTERM_DAY) == everything[: max(begun)]
    assert template.module_titles("zh-CN", 0) == []
    assert template.module_titles("zh-CN", len(template.days)) == everything


def test_the_lecturer_class_final_evaluation_asks_8_modules_not_20_topics():
    template = standard(Programme.LECTURER)
    assert len(template.sessions()) == 20 and len(template.module_titles("zh-CN")) == 8
    assert template.module_titles("en", 5)[-1] == "Teaching promotion and live-stream selling"


def test_sessions_are_placed_from_the_start_date_in_the_class_time_zone():
    sessions = build(standard(Programme.TRAINEE), START, ZONE, "en")
    first, second, last = sessions[0], sessions[1], sessions[-1]
    assert first.placement == Placement(
        1,
        Slot.MORNING,
        datetime(2025, 6, 2, 1, 0, tzinfo=UTC),
        datetime(2025, 6, 2, 4, 30, tzinfo=UTC),
    )
    assert second.placement.slot is Slot.AFTERNOON and second.placement.day == 1
    assert last.placement.day == 7 and last.placement.starts_at.date() == date(2025, 6, 8)
    assert first.hours == 4 and first.topic.startswith("Opening")
    assert build(standard(Programme.TRAINEE), START, ZONE, "zh-CN")[0].topic.startswith("开班")
    berlin = build(standard(Programme.TRAINEE), START, "Europe/Berlin", "en")[0]
    assert berlin.placement.starts_at == datetime(2025, 6, 2, 7, 0, tzinfo=UTC)


def test_removing_a_session_leaves_the_timetable_short_of_hours():
    sessions = build(standard(Programme.TRAINEE), START, ZONE, "zh-CN")
    fewer = sessions[:-1]
    days = distinct_days([s.placement for s in fewer], ZONE)
    assert days == 7 and total_hours(fewer) == 52
    assert [f.code for f in timetable_findings(Programme.TRAINEE, days, 52)] == [
        Finding.TOO_FEW_HOURS
    ]
    without_last_day = sessions[:-2]
    days = distinct_days([s.placement for s in without_last_day], ZONE)
    assert [f.code for f in timetable_findings(Programme.TRAINEE, days, 48)] == [
        Finding.TOO_FEW_DAYS,
        Finding.TOO_FEW_HOURS,
    ]


def _write(tmp_path: Path, data: dict) -> Path:
    path = tmp_path / "t.yaml"
    path.write_text(yaml.safe_dump(data, allow_unicode=True), encoding="utf-8")
    return path


def _template() -> dict:
    return yaml.safe_load((TIMETABLES_DIR / "trainee.yaml").read_text(encoding="utf-8"))


@pytest.mark.parametrize(
    ("change", "message"),
    [
        (lambda t: t["days"].pop(), "needs 7 days and 56 class hours"),
        (lambda t: t["days"][0]["sessions"][0].update(hours=2), "has 7 days and 54 hours"),
        (lambda t: t["days"][0]["sessions"][0].update(end="08:00"), "ends before it starts"),
        (lambda t: t["days"][0]["sessions"][0].update(hours=6), "cannot hold 6 class hours"),
        (lambda t: t["days"][0]["sessions"][1].update(start="10:00"), "one per half day"),
        (lambda t: t["days"][0]["sessions"][1].update(start="12:00"), "overlap"),
        (lambda t: t["days"][2].update(day=9), "numbered 1, 2, 3"),
        (lambda t: t["days"][0]["sessions"][0]["topic"].pop("en"), "topic.en"),
        (lambda t: t.update(programme="teacher"), "programme"),
        (lambda t: t.update(extra=1), "extra"),
        (lambda t: t.update(modules=t["modules"][:4]), "modules: 5 to 8"),
        (lambda t: t["modules"].extend(t["modules"][:3]), "modules: 5 to 8"),
        (lambda t: t["days"][0]["sessions"][0].update(module=9), "module must be 1 to 6"),
        (lambda t: t["days"][0]["sessions"][0].pop("module"), "module"),
        (lambda t: t["days"][6]["sessions"][1].update(module=1), "in order"),
        (lambda t: t["modules"].append(t["modules"][0]), "every module must have sessions"),
    ],
)
def test_a_broken_template_is_refused_with_the_file_and_the_reason(tmp_path, change, message):
    data = _template()
    change(data)
    path = _write(tmp_path, data)
    with pytest.raises(TimetableError) as caught:
        load_template(path)
    assert str(path) in str(caught.value) and message in str(caught.value)


def test_a_template_that_is_not_yaml(tmp_path):
    path = tmp_path / "bad.yaml"
    path.write_text("days: [", encoding="utf-8")
    with pytest.raises(TimetableError, match="not valid YAML"):
        load_template(path)


@pytest.mark.parametrize(
    ("typed", "expected"),
    [
        ("14:00-17:30", When(None, None, time(14), time(17, 30))),
        ("１４：００～１７：３０", When(None, None, time(14), time(17, 30))),
        ("9-12", When(None, None, time(9), time(12))),
        ("9点-12点", When(None, None, time(9), time(12))),
        ("9:30 至 11:45", When(None, None, time(9, 30), time(11, 45))),
        ("6月5日 14:00-17:30", When(date(2025, 6, 5), None, time(14), time(17, 30))),
        ("2025-06-05 9:00-12:00", When(date(2025, 6, 5), None, time(9), time(12))),
        ("2025年6月5日 9:00-12:00", When(date(2025, 6, 5), None, time(9), time(12))),
        ("第5天 19:00-21:00", When(None, 5, time(19), time(21))),
        ("Day 5 19:00-21:00", When(None, 5, time(19), time(21))),
    ],
)
def test_typed_session_times(typed, expected):
    assert parse_when(typed, START) == expected


def test_a_month_and_day_near_new_year_falls_in_the_next_year():
    assert parse_when("1月2日 9-12", date(2025, 12, 29)).on == date(2026, 1, 2)
    assert parse_when("12月30日 9-12", date(2025, 12, 29)).on == date(2025, 12, 30)


@pytest.mark.parametrize(
    ("typed", "code"),
    [
        ("下午", Change.BAD_FORMAT),
        ("14:00", Change.BAD_FORMAT),
        ("25:00-26:00", Change.BAD_FORMAT),
        ("9:75-10:00", Change.BAD_FORMAT),
        ("6月31日 9-12", Change.BAD_FORMAT),
        ("第0天 9-12", Change.BAD_FORMAT),
        ("明天 9-12", Change.BAD_FORMAT),
        ("17:00-14:00", Change.ENDS_BEFORE_START),
        ("14:00-14:00", Change.ENDS_BEFORE_START),
    ],
)
def test_times_that_cannot_be_read(typed, code):
    assert code_of(parse_when, typed, START) is code


def test_hours_and_topics():
    assert parse_hours("4") == 4 and parse_hours("４") == 4 and parse_hours(" 3课时 ") == 3
    for wrong in ("0", "9", "四", "2.5", ""):
        assert code_of(parse_hours, wrong) is Change.HOURS_RANGE
    assert parse_topic("  电商  直播 ") == "电商 直播"
    for wrong in ("a", "x" * 101, "/cancel"):
        assert code_of(parse_topic, wrong) is Change.TOPIC_LENGTH


def test_half_days_and_how_many_hours_fit():
    assert slot_of(time(8)) is Slot.MORNING and slot_of(time(11, 59)) is Slot.MORNING
    assert slot_of(time(12)) is Slot.AFTERNOON and slot_of(time(17, 59)) is Slot.AFTERNOON
    assert slot_of(time(18)) is Slot.EVENING
    assert max_hours(time(9), time(12, 30)) == 5
    assert max_hours(time(19), time(19, 39)) == 0
    assert max_hours(time(8), time(20)) == 8


def _existing() -> list[Existing]:
    sessions = build(standard(Programme.TRAINEE), START, ZONE, "zh-CN")
    return [
        Existing(n, s.placement.day, s.placement.slot, s.placement.starts_at, s.placement.ends_at)
        for n, s in enumerate(sessions, start=1)
    ]


def test_checks_on_a_moved_or_added_session():
    others = _existing()
    evening = place(date(2025, 6, 2), time(19), time(21), START, ZONE)
    check_change(evening, 3, others, ZONE)
    assert code_of(check_change, evening, 4, others, ZONE) is Change.HOURS_DO_NOT_FIT
    afternoon = place(date(2025, 6, 2), time(15), time(17), START, ZONE)
    assert code_of(check_change, afternoon, 2, others, ZONE) is Change.SLOT_TAKEN
    noon = place(date(2025, 6, 2), time(12), time(13), START, ZONE)
    assert code_of(check_change, noon, 1, others[:1], ZONE) is Change.OVERLAP
    early = place(date(2025, 6, 1), time(9), time(12), START, ZONE)
    assert early.day == 0
    assert code_of(check_change, early, 4, others, ZONE) is Change.BEFORE_CLASS_START
    day_eight = place(date(2025, 6, 9), time(9), time(12, 30), START, ZONE)
    check_change(day_eight, 4, others, ZONE)
    assert day_eight.day == 8


def test_a_typed_time_keeps_the_session_day_unless_it_names_one():
    when = parse_when("14:00-17:00", START)
    assert placement_for(when, 3, START, ZONE).day == 3
    assert placement_for(parse_when("第5天 9-12", START), 3, START, ZONE).day == 5
    assert placement_for(parse_when("6月4日 9-12", START), 1, START, ZONE).day == 3
    assert code_of(placement_for, when, None, START, ZONE) is Change.DAY_NEEDED


def test_moving_the_start_date_keeps_the_clock_times():
    first = build(standard(Programme.TRAINEE), START, ZONE, "zh-CN")[0].placement
    starts, ends = shifted(first, 7, ZONE)
    assert starts == datetime(2025, 6, 9, 1, 0, tzinfo=UTC)
    assert ends == datetime(2025, 6, 9, 4, 30, tzinfo=UTC)
    across_dst = place(date(2025, 3, 24), time(9), time(12), date(2025, 3, 24), "Europe/Berlin")
    moved, _ = shifted(across_dst, 7, "Europe/Berlin")
    assert moved == datetime(2025, 3, 31, 7, 0, tzinfo=UTC)
