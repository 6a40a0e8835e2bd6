"""The pure rules of statistics (S-17): the small-count rule exhaustively, periods, region
trees, and adding classes up into rows."""

from __future__ import annotations

from datetime import date

import pytest
from hypothesis import given
from hypothesis import strategies as st

from bot.domain.stats import (
    FEW,
    MIN_PEOPLE,
    Measure,
    Period,
    Span,
    Tally,
    band,
    descendants,
    figure,
    month_key,
    quarter_key,
    roll_up,
    span,
)


@pytest.mark.parametrize("people", range(0, 8))
@pytest.mark.parametrize("measure", [Measure.COUNT, Measure.SUM])
def test_s17_counts_and_sums_of_one_or_two_people_show_few(measure, people):
    shown = figure(measure, Tally(people, people * 2, 0))
    if people == 0:
        assert shown == 0
    elif people < MIN_PEOPLE:
        assert shown == FEW
    else:
        assert shown == (people * 2 if measure is Measure.COUNT else float(people * 2))


@pytest.mark.parametrize("people", range(0, 8))
@pytest.mark.parametrize("den", [0, 1, 5])
@pytest.mark.parametrize("measure", [Measure.RATE, Measure.AVERAGE])
def test_s17_rates_and_averages_over_fewer_than_three_people_are_hidden(measure, den, people):
    shown = figure(measure, Tally(people, 3.0, den))
    if den == 0 or people == 0:
        assert shown is None
    elif people < MIN_PEOPLE:
        assert shown == FEW
    else:
        assert shown == pytest.approx(3.0 / den)


@given(
    st.sampled_from(list(Measure)),
    st.integers(-5, 10_000),
    st.floats(0, 1e9),
    st.floats(0, 1e9),
)
def test_s17_no_figure_behind_one_or_two_people_is_ever_a_number(measure, people, num, den):
    shown = figure(measure, Tally(people, num, den))
    if 0 < people < MIN_PEOPLE:
        assert shown == FEW or shown is None
    if isinstance(shown, int | float):
        assert people >= MIN_PEOPLE or shown == 0


def test_a_figure_not_collected_yet_is_none():
    assert all(figure(m, None) is None for m in Measure)


def test_periods_are_calendar_month_quarter_and_year():
    today = date(2026, 11, 17)
    assert span(Period.ALL, today) == Span()
    assert span(Period.MONTH, today) == Span(date(2026, 11, 1), date(2026, 12, 1))
    assert span(Period.QUARTER, today) == Span(date(2026, 10, 1), date(2027, 1, 1))
    assert span(Period.YEAR, today) == Span(date(2026, 1, 1), date(2027, 1, 1))
    assert span(Period.MONTH, date(2026, 12, 31)) == Span(date(2026, 12, 1), date(2027, 1, 1))
    assert span(Period.QUARTER, date(2026, 2, 1)) == Span(date(2026, 1, 1), date(2026, 4, 1))


@given(st.dates(date(2000, 1, 1), date(2099, 12, 31)), st.sampled_from(list(Period)[1:]))
def test_a_period_always_holds_its_day(today, period):
    found = span(period, today)
    assert found.start <= today < found.end


def test_keys_of_months_and_quarters_sort_in_time():
    assert month_key(date(2026, 3, 9)) == "2026-03" and quarter_key(date(2026, 3, 9)) == "2026-Q1"
    assert quarter_key(date(2026, 12, 1)) == "2026-Q4"


def test_a_region_reaches_every_region_under_it():
    parents = {1: None, 2: 1, 3: 2, 4: 2, 5: None, 6: 5}
    assert descendants(parents, [1]) == {1, 2, 3, 4}
    assert descendants(parents, [2, 6]) == {2, 3, 4, 6}
    assert descendants(parents, [99]) == set()
    assert descendants({1: 2, 2: 1}, [1]) == {1, 2}  # a loop ends


def test_turnover_bands():
    assert [band(v) for v in (0, 999.99, 1000, 9999, 10_000, 1e8)] == [
        "turnover_low",
        "turnover_low",
        "turnover_mid",
        "turnover_mid",
        "turnover_high",
        "turnover_high",
    ]


def test_classes_add_up_into_their_groups():
    parts = {
        "enrolled": {1: Tally(2, 2), 2: Tally(2, 2), 3: Tally(5, 5)},
        "attendance": {1: Tally(2, 9, 10), 2: Tally(2, 7, 10)},
    }
    rows = roll_up(parts, {1: "a", 2: "a", 3: "b", 4: "c"})
    assert rows == {
        "a": {"enrolled": Tally(4, 4), "attendance": Tally(4, 16, 20)},
        "b": {"enrolled": Tally(5, 5)},
    }
    assert figure(Measure.COUNT, rows["a"]["enrolled"]) == 4
    assert figure(Measure.RATE, rows["a"]["attendance"]) == pytest.approx(0.8)
