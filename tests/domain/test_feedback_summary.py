"""Feedback aggregates: figures, the small-class rule, anonymity of comments, morning timing."""

from __future__ import annotations

import random
from datetime import UTC, date, datetime, time, timedelta

import pytest

from bot.domain import feedback_summary as fs


def daily_answer(overall, usefulness=4, teachers=5, pace="right", **texts):
    return {
        "overall": overall,
        "usefulness": usefulness,
        "teachers": teachers,
        "pace": pace,
        **texts,
    }


def test_averages_and_distributions_of_every_rating():
    answers = [daily_answer(5), daily_answer(4), daily_answer(4), daily_answer(2, usefulness=1)]
    summary = fs.daily(answers, 6)
    assert (summary.asked, summary.responses, summary.rate, summary.detailed) == (6, 4, 67, True)
    overall, usefulness, teachers = summary.ratings
    assert overall == fs.Rating("overall", 4, 3.75, (0, 1, 0, 2, 1))
    assert usefulness.average == 3.25 and usefulness.distribution == (1, 0, 0, 3, 0)
    assert teachers.average == 5 and teachers.distribution == (0, 0, 0, 0, 4)


def test_pace_votes_in_a_fixed_order_with_zeroes():
    answers = [daily_answer(3, pace=p) for p in ("too_fast", "too_fast", "right", "bogus")]
    assert fs.daily(answers, 4).pace == (("too_fast", 2), ("right", 1), ("too_slow", 0))


@pytest.mark.parametrize("responses", [0, 1, 2])
def test_fewer_than_three_responses_show_only_the_count(responses):
    answers = [daily_answer(1, suggestions="太快了") for _ in range(responses)]
    summary = fs.daily(answers, 25)
    assert summary.responses == responses and summary.asked == 25
    assert not summary.detailed
    assert summary.ratings == () and summary.pace == () and summary.texts == ()
    assert fs.trend_point(answers) is None


def test_three_responses_are_enough_for_the_breakdown():
    summary = fs.daily([daily_answer(n) for n in (3, 4, 5)], 3)
    assert summary.detailed and summary.ratings[0].average == 4.0
    assert fs.trend_point([daily_answer(n) for n in (3, 4, 5)]) == 4.0


def test_comments_are_trimmed_without_blanks_and_their_order_does_not_follow_the_answers():
    answers = [
        daily_answer(4, suggestions="  多一些实操  ", most_useful="开店流程"),
        daily_answer(4, suggestions=""),
        daily_answer(4, suggestions="   "),
        daily_answer(4, suggestions="案例讲解"),
        daily_answer(4, most_useful="直播带货", suggestions=None),
    ]
    summary = fs.daily(answers, 5)
    texts = dict(summary.texts)
    assert texts["suggestions"] == tuple(sorted(("多一些实操", "案例讲解")))
    assert texts["most_useful"] == tuple(sorted(("开店流程", "直播带货")))
    shuffled = answers[:]
    random.Random(7).shuffle(shuffled)
    assert fs.daily(shuffled, 5) == summary


def test_values_the_store_may_hold_are_read_and_nonsense_is_skipped():
    answers = [
        daily_answer("5"),
        daily_answer(4.0),
        daily_answer(True),
        daily_answer(6),
        daily_answer("x"),
        daily_answer(None),
        daily_answer(2.5),
    ]
    overall = fs.daily(answers, 7).ratings[0]
    assert overall.count == 2 and overall.average == 4.5 and overall.distribution == (0, 0, 0, 1, 1)


def test_a_rating_nobody_answered_has_no_average():
    answers = [{"pace": "right"}] * 3
    overall = fs.daily(answers, 3).ratings[0]
    assert overall.count == 0 and overall.average is None and overall.distribution == (0,) * 5


def test_asked_is_never_below_the_responses_and_nobody_asked_is_zero_percent():
    assert fs.daily([daily_answer(4)] * 4, 2).asked == 4
    assert fs.daily([], 0).rate == 0


def test_evaluation_ratings_per_module_and_teacher_with_names_from_the_context():
    context = {"modules": ["网店开设", "网店运营"], "teachers": ["李老师", "周老师"]}
    answers = [
        {
            "module.1": m1,
            "module.2": 4,
            "teacher.1": 5,
            "teacher.2": 3,
            "organisation": 4,
            "venue": 3,
            "platform": 5,
            "recommend": rec,
            "comments": comment,
        }
        for m1, rec, comment in ((5, 10, "很好"), (4, 8, ""), (3, 9, "希望延长"))
    ]
    summary = fs.evaluation(answers, 4, context)
    questions = [r.question for r in summary.ratings]
    assert questions == [
        "module.1",
        "module.2",
        "teacher.1",
        "teacher.2",
        "organisation",
        "venue",
        "platform",
    ]
    assert summary.ratings[0].average == 4.0
    assert summary.scale == fs.Scale(3, 9.0)
    assert dict(summary.texts)["comments"] == ("希望延长", "很好")
    assert fs.names(context) == {
        "module.1": "网店开设",
        "module.2": "网店运营",
        "teacher.1": "李老师",
        "teacher.2": "周老师",
    }


def test_an_evaluation_without_context_still_counts_its_numbered_questions():
    answers = [{"module.3": 4, "teacher.1": 5, "recommend": 11}] * 3
    summary = fs.evaluation(answers, 3, {})
    assert [r.question for r in summary.ratings][:4] == [
        "module.1",
        "module.2",
        "module.3",
        "teacher.1",
    ]
    assert summary.scale == fs.Scale(0, None)


def test_text_bars_are_proportional_and_never_empty_for_a_vote():
    assert fs.bar(0, 10) == "" and fs.bar(3, 0) == ""
    assert fs.bar(10, 10) == "▇" * 10 and fs.bar(5, 10) == "▇" * 5 and fs.bar(1, 100) == "▇"
    rating = fs.Rating("overall", 4, 4.0, (0, 0, 1, 2, 1))
    assert rating.lines() == [
        (5, 1, "▇" * 5),
        (4, 2, "▇" * 10),
        (3, 1, "▇" * 5),
        (2, 0, ""),
        (1, 0, ""),
    ]


def test_the_summary_is_due_the_next_morning_in_the_class_time_zone():
    due = fs.summary_due(date(2026, 5, 11), "Asia/Shanghai", time(7, 30))
    assert due == datetime(2026, 5, 11, 23, 30, tzinfo=UTC)
    assert fs.summary_due(date(2026, 5, 11), "Europe/Berlin", time(8)) == datetime(
        2026, 5, 12, 6, 0, tzinfo=UTC
    )
    useful = timedelta(hours=12)
    assert not fs.summary_sendable(due, due - timedelta(seconds=1), useful)
    assert fs.summary_sendable(due, due, useful)
    assert fs.summary_sendable(due, due + useful - timedelta(seconds=1), useful)
    assert not fs.summary_sendable(due, due + useful, useful)
