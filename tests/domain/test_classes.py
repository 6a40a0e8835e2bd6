"""Every rule a class must meet before it opens (S-7 to S-10, S-23, S-31), with the numbers
each message shows."""

from __future__ import annotations

from dataclasses import replace
from datetime import date

import pytest
from hypothesis import given
from hypothesis import strategies as st

from bot.domain.classes import (
    EQUIPMENT_FORMS,
    MAX_CAPACITY,
    REQUIREMENTS,
    CertificateKind,
    ClassDetails,
    ClassFacts,
    Finding,
    Found,
    Programme,
    Teacher,
    TeacherStanding,
    capacity_findings,
    check_class,
    equipment_ready,
    may_teach,
    problems,
    standing,
    teacher_findings,
    timetable_findings,
)

LECTURER = frozenset({CertificateKind.LECTURER})
TRAINER = frozenset({CertificateKind.TRAINER})
BOTH = LECTURER | TRAINER
NONE: frozenset[CertificateKind] = frozenset()
TODAY = date(2025, 6, 1)


def good(programme: Programme = Programme.TRAINEE) -> ClassFacts:
    need = REQUIREMENTS[programme]
    kinds = frozenset({need.teacher_kind})
    return ClassFacts(
        programme=programme,
        capacity=25,
        teachers=(Teacher("李老师", kinds), Teacher("王老师", kinds)),
        days=need.days,
        hours=need.hours,
        equipment_confirmed=True,
        venue_located=True,
        start_date=TODAY,
    )


@pytest.mark.parametrize("programme", list(Programme))
def test_a_class_that_meets_every_rule_has_no_findings(programme):
    assert check_class(good(programme), TODAY) == []


@pytest.mark.parametrize(
    ("capacity", "expected"),
    [
        (-1, [Found(Finding.CAPACITY_TOO_SMALL)]),
        (0, [Found(Finding.CAPACITY_TOO_SMALL)]),
        (1, []),
        (25, []),
        (26, [Found(Finding.CAPACITY_ABOVE_IDEAL, {"capacity": 26, "ideal": 25})]),
        (30, [Found(Finding.CAPACITY_ABOVE_IDEAL, {"capacity": 30, "ideal": 25})]),
        (31, [Found(Finding.CAPACITY_TOO_LARGE, {"capacity": 31, "max": 30})]),
        (100, [Found(Finding.CAPACITY_TOO_LARGE, {"capacity": 100, "max": 30})]),
    ],
)
def test_capacity_is_thirty_at_most_and_above_twenty_five_is_a_warning(capacity, expected):
    assert capacity_findings(capacity) == expected


def test_a_warning_does_not_block_submitting_but_a_problem_does():
    assert not Finding.CAPACITY_ABOVE_IDEAL.blocks
    assert all(code.blocks for code in Finding if code is not Finding.CAPACITY_ABOVE_IDEAL)
    facts = replace(good(), capacity=28)
    found = check_class(facts, TODAY)
    assert [item.code for item in found] == [Finding.CAPACITY_ABOVE_IDEAL]
    assert problems(found) == []
    assert problems(check_class(replace(good(), capacity=31), TODAY)) == [
        Found(Finding.CAPACITY_TOO_LARGE, {"capacity": 31, "max": 30})
    ]


@pytest.mark.parametrize(
    ("programme", "kinds", "allowed"),
    [
        (Programme.TRAINEE, LECTURER, True),
        (Programme.TRAINEE, TRAINER, False),
        (Programme.TRAINEE, BOTH, True),
        (Programme.TRAINEE, NONE, False),
        (Programme.LECTURER, LECTURER, False),
        (Programme.LECTURER, TRAINER, True),
        (Programme.LECTURER, BOTH, True),
        (Programme.LECTURER, NONE, False),
        (Programme.TRAINER, LECTURER, False),
        (Programme.TRAINER, TRAINER, True),
        (Programme.TRAINER, NONE, False),
    ],
)
def test_who_may_teach_which_class(programme, kinds, allowed):
    assert may_teach(programme, kinds) is allowed


@pytest.mark.parametrize("count", [0, 1])
def test_fewer_than_two_teachers(count):
    teachers = [Teacher("李老师", LECTURER)] * count
    assert teacher_findings(Programme.TRAINEE, teachers) == [
        Found(Finding.TEACHERS_MISSING, {"count": count, "needed": 2})
    ]


def test_more_than_two_teachers():
    teachers = [Teacher(name, LECTURER) for name in ("甲", "乙", "丙")]
    assert teacher_findings(Programme.TRAINEE, teachers) == [
        Found(Finding.TEACHERS_TOO_MANY, {"count": 3, "needed": 2})
    ]


def test_each_teacher_without_the_right_verified_certificate_is_named():
    teachers = [Teacher("李老师", LECTURER), Teacher("王老师", NONE)]
    assert teacher_findings(Programme.TRAINEE, teachers) == [
        Found(Finding.TEACHER_NOT_CERTIFIED, {"name": "王老师", "kind": CertificateKind.LECTURER})
    ]
    assert teacher_findings(Programme.LECTURER, teachers) == [
        Found(Finding.TEACHER_NOT_CERTIFIED, {"name": "李老师", "kind": CertificateKind.TRAINER}),
        Found(Finding.TEACHER_NOT_CERTIFIED, {"name": "王老师", "kind": CertificateKind.TRAINER}),
    ]


def test_one_uncertified_teacher_alone_gives_both_findings():
    assert teacher_findings(Programme.TRAINER, [Teacher("专家", LECTURER)]) == [
        Found(Finding.TEACHERS_MISSING, {"count": 1, "needed": 2}),
        Found(Finding.TEACHER_NOT_CERTIFIED, {"name": "专家", "kind": CertificateKind.TRAINER}),
    ]


@pytest.mark.parametrize(
    ("programme", "days", "hours", "expected"),
    [
        (Programme.TRAINEE, 0, 0, [Found(Finding.NO_TIMETABLE, {"days": 7, "hours": 56})]),
        (Programme.TRAINEE, 7, 56, []),
        (Programme.TRAINEE, 8, 60, []),
        (Programme.TRAINEE, 6, 56, [Found(Finding.TOO_FEW_DAYS, {"days": 6, "needed": 7})]),
        (Programme.TRAINEE, 7, 52, [Found(Finding.TOO_FEW_HOURS, {"hours": 52, "needed": 56})]),
        (
            Programme.TRAINEE,
            6,
            48,
            [
                Found(Finding.TOO_FEW_DAYS, {"days": 6, "needed": 7}),
                Found(Finding.TOO_FEW_HOURS, {"hours": 48, "needed": 56}),
            ],
        ),
        (Programme.LECTURER, 0, 0, [Found(Finding.NO_TIMETABLE, {"days": 10, "hours": 80})]),
        (Programme.LECTURER, 10, 80, []),
        (Programme.LECTURER, 9, 80, [Found(Finding.TOO_FEW_DAYS, {"days": 9, "needed": 10})]),
        (Programme.LECTURER, 10, 76, [Found(Finding.TOO_FEW_HOURS, {"hours": 76, "needed": 80})]),
        (Programme.LECTURER, 7, 56, [
            Found(Finding.TOO_FEW_DAYS, {"days": 7, "needed": 10}),
            Found(Finding.TOO_FEW_HOURS, {"hours": 56, "needed": 80}),
        ]),
        (Programme.TRAINER, 10, 80, []),
        (Programme.TRAINER, 10, 79, [Found(Finding.TOO_FEW_HOURS, {"hours": 79, "needed": 80})]),
        (Programme.TRAINER, 9, 90, [Found(Finding.TOO_FEW_DAYS, {"days": 9, "needed": 10})]),
    ],
)  # fmt: skip
def test_days_and_class_hours_per_programme(programme, days, hours, expected):
    assert timetable_findings(programme, days, hours) == expected


def test_equipment_venue_and_start_date():
    assert check_class(replace(good(), equipment_confirmed=False), TODAY) == [
        Found(Finding.EQUIPMENT_NOT_CONFIRMED)
    ]
    assert check_class(replace(good(), venue_located=False), TODAY) == [
        Found(Finding.NO_VENUE_LOCATION)
    ]
    assert check_class(good(), TODAY) == []
    assert check_class(good(), date(2025, 6, 2)) == [
        Found(Finding.START_PASSED, {"start": "2025-06-01"})
    ]


def test_every_finding_at_once_in_the_order_the_card_lists_them():
    facts = ClassFacts(
        programme=Programme.LECTURER,
        capacity=31,
        teachers=(Teacher("李老师", LECTURER),),
        days=0,
        hours=0,
        equipment_confirmed=False,
        venue_located=False,
        start_date=date(2025, 5, 1),
    )
    assert [item.code for item in check_class(facts, TODAY)] == [
        Finding.CAPACITY_TOO_LARGE,
        Finding.TEACHERS_MISSING,
        Finding.TEACHER_NOT_CERTIFIED,
        Finding.NO_TIMETABLE,
        Finding.EQUIPMENT_NOT_CONFIRMED,
        Finding.NO_VENUE_LOCATION,
        Finding.START_PASSED,
    ]


def test_every_finding_has_a_message_in_both_languages():
    from bot.i18n import text

    params = {
        "capacity": 31, "max": 30, "ideal": 25, "count": 1, "needed": 2, "name": "李老师",
        "kind": "lecturer", "days": 6, "hours": 48, "start": "2025-06-01",
    }  # fmt: skip
    for locale in ("zh-CN", "en"):
        messages = {text(locale, "classes.finding", code=code, params=params) for code in Finding}
        assert "" not in messages and len(messages) == len(Finding)
    assert text("zh-CN", "classes.finding", code="too_few_hours", params=params) == (
        "课程表共 48 课时，至少需要 2 课时。"
    )


# --- the class form's answers and the teachers view ----------------------------------------


@pytest.mark.parametrize("chosen", [True, False])
@pytest.mark.parametrize(
    "statuses",
    [
        (),
        ("pending",),
        ("rejected",),
        ("verified",),
        ("pending", "verified"),
        ("rejected", "pending"),
    ],
)
def test_a_candidate_stands_by_their_best_certificate(chosen, statuses):
    """S-8: assigned first; else verified beats pending beats none (a rejection counts as none)."""
    expected = (
        TeacherStanding.CHOSEN
        if chosen
        else TeacherStanding.VERIFIED
        if "verified" in statuses
        else TeacherStanding.PENDING
        if "pending" in statuses
        else TeacherStanding.NONE
    )
    assert standing(chosen, statuses) is expected


details = st.builds(
    ClassDetails,
    programme=st.sampled_from(Programme),
    name=st.text(min_size=2, max_size=60),
    start_date=st.dates(),
    capacity=st.integers(1, 30),
    venue_address=st.text(min_size=5, max_size=200),
    venue_lat=st.floats(-90, 90),
    venue_lon=st.floats(-180, 180),
)


@given(details)
def test_the_class_form_answers_map_onto_the_class_and_back(given_details):
    """Editing a class opens the form with exactly its details; submitting it unchanged gives
    the same details."""
    assert ClassDetails.from_answers(given_details.answers()) == given_details


def test_a_skipped_capacity_is_the_most_a_class_takes():
    """S-7: 30 at most; the form's skip means the maximum."""
    answers = {
        "programme": "lecturer",
        "name": "讲师班",
        "start_date": "2026-06-01",
        "venue_address": "杭州市西湖区文三路 90 号",
        "venue_location": {"latitude": 30.0, "longitude": 120.0},
    }
    assert ClassDetails.from_answers(answers).capacity == MAX_CAPACITY == 30
    assert ClassDetails.from_answers(answers).programme is Programme.LECTURER


@given(st.dictionaries(st.sampled_from(["a", "b", "net"]), st.sampled_from([True, False, None])))
def test_equipment_is_ready_when_every_required_item_is_yes(answers):
    """T4: advisory items (the ≥100 Mbit/s network, 建议) never keep the checklist open."""
    ready = equipment_ready(answers, ["a", "b"])
    assert ready == (answers.get("a") is True and answers.get("b") is True)


def test_each_programme_has_its_checklist():
    """S-10: trainee and lecturer classes check computers, platform and network; a trainer
    class only the room and the books (article 19); the network speed is never required."""
    from bot.forms.registry import form

    for programme, form_id in EQUIPMENT_FORMS.items():
        questions = {q.id: q for q in form(form_id).questions()}
        required = {qid for qid, q in questions.items() if q.constraint}
        assert "bandwidth" not in required
        if programme is Programme.TRAINER:
            assert set(questions) == {"layout", "textbooks", "handbooks", "guides"}
        else:
            assert {"layout", "computers", "platform", "tested", "textbooks"} <= required
            assert "bandwidth" in questions
