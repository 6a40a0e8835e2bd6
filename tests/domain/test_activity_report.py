"""The activity report's figures (T11), pure: who counts as attending, which sessions count,
pass rates with nobody to divide by, businesses and stores, feedback anonymity."""

from __future__ import annotations

from datetime import date

from bot.domain import activity_report as report

ON = date(2026, 5, 11)


def facts(sessions=(), trainees=(), rounds=()) -> report.Facts:
    return report.Facts("班", "trainee", "机构", "区", ON, ON, [], sessions, trainees, rounds, [])


def held(marks: dict[int, str], was_held: bool = True) -> report.HeldSession:
    return report.HeldSession(1, "morning", ON, "", 4, was_held, marks)


def test_present_late_and_left_early_attend_absent_and_excused_do_not_T11():
    trainees = [report.Trainee(n, str(n)) for n in range(1, 6)]
    marks = {1: "present", 2: "late", 3: "left_early", 4: "absent", 5: "excused"}
    built = report.build(facts([held(marks), held({}, was_held=False)], trainees))
    line, later = built.sessions
    assert (line.attended, line.late, line.absent, line.excused, line.rate) == (3, 1, 1, 1, 60)
    assert later.rate is None  # not held yet: no rate, and not in the overall figure
    assert (built.overall_rate, built.hours_held) == (60, 4)


def test_an_empty_class_has_no_rates_rather_than_a_division_by_zero_T11():
    built = report.build(facts([held({})]))
    assert built.sessions[0].rate is None and built.overall_rate is None
    assert built.pass_rate is None and built.pass_rate_enrolled is None


def test_pass_rate_over_those_with_a_result_and_over_all_enrolled_S13():
    trainees = [
        report.Trainee(1, "a", passed=True),
        report.Trainee(2, "b", passed=False),
        report.Trainee(3, "c"),
        report.Trainee(4, "d", passed=True),
    ]
    built = report.build(facts(trainees=trainees))
    assert (built.scored, built.passed, built.pass_rate, built.pass_rate_enrolled) == (3, 2, 67, 50)


def test_businesses_and_stores_are_counted_from_each_form_T11():
    trainees = [
        report.Trainee(
            1,
            "a",
            {"has_business": True},
            {"store_status": "operating"},
            {"has_real_store": True, "real_orders": 3, "real_sales": "10.5"},
        ),
        report.Trainee(
            2,
            "b",
            {"has_business": False},
            {"store_status": "idle"},
            {"has_real_store": False, "real_orders": 99},
        ),
        report.Trainee(3, "c", {}, {"store_status": "none"}, None),
    ]
    b = report.build(facts(trainees=trainees)).businesses
    assert (b.running_business, b.store_opened, b.store_operating) == (1, 2, 1)
    assert (b.simulated, b.real, b.real_orders, b.real_sales) == (2, 1, 3, 10.5)


def test_a_feedback_round_under_three_answers_shows_only_its_count_T11():
    few = report.FeedbackRound("daily", 1, 5, [{"overall": 5}, {"overall": 1}])
    enough = report.FeedbackRound("daily", 2, 5, [{"overall": n} for n in (5, 4, 3)])
    small, big = report.build(facts(rounds=[few, enough])).rounds
    assert (small.summary.responses, small.summary.detailed, small.summary.ratings) == (
        2,
        False,
        (),
    )
    assert big.summary.ratings[0].average == 4.0 and big.summary.rate == 60
