"""Check-in rules: codes and their windows, distance and radius, lateness, tallies, screen
tokens. Every boundary is tested on both sides."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

import pytest
from hypothesis import given
from hypothesis import strategies as st

from bot.domain.checkin import (
    LOCATION_WINDOW,
    SCREEN_GRACE,
    WINDOW_SECONDS,
    CheckinState,
    Mark,
    PersonSummary,
    Phase,
    SessionFacts,
    Tally,
    checkin_state,
    code_accepted,
    code_for_window,
    current_code,
    distance_m,
    location_due,
    markable,
    normalise_code,
    outside_radius,
    parse_screen_token,
    rate,
    screen_expiry,
    screen_token,
    seconds_left,
    self_mark,
    summarise,
    tally,
    window_of,
)

SECRET = "5f0c1d2e3a4b5c6d7e8f90a1b2c3d4e5f60718293a4b5c6d7e8f9001a2b3c4d5"
START = datetime(2026, 11, 24, 1, 0, tzinfo=UTC)  # 09:00 in Shanghai, on a window boundary
VENUE = (30.2741, 120.1551)


@pytest.mark.parametrize(
    ("unix", "totp"),
    [
        (59, "46119246"),
        (1111111109, "68084774"),
        (1111111111, "67062674"),
        (1234567890, "91819424"),
        (2000000000, "90698825"),
        (20000000000, "77737706"),
    ],
)
def test_codes_are_rfc6238_sha256_truncated_to_four_digits(unix, totp):
    secret = "12345678901234567890123456789012"
    assert current_code(secret, datetime.fromtimestamp(unix, UTC)) == totp[-4:]


def test_a_code_is_four_digits_and_changes_with_the_window():
    assert START.timestamp() % WINDOW_SECONDS == 0
    codes = [current_code(SECRET, START + timedelta(seconds=30 * n)) for n in range(200)]
    assert all(len(code) == 4 and code.isdigit() for code in codes)
    assert len(set(codes)) > 150, "codes must look random from window to window"
    others = [current_code("another secret", START + timedelta(seconds=30 * n)) for n in range(200)]
    assert sum(a != b for a, b in zip(codes, others, strict=True)) > 190


@pytest.mark.parametrize("offset", range(WINDOW_SECONDS))
def test_the_code_is_stable_within_a_window(offset):
    moment = START + timedelta(seconds=offset, microseconds=999_999 if offset else 0)
    assert window_of(moment) == window_of(START)
    assert current_code(SECRET, moment) == current_code(SECRET, START)
    assert seconds_left(moment) == WINDOW_SECONDS - offset


def test_window_boundaries():
    last_instant = START - timedelta(microseconds=1)
    assert window_of(last_instant) == window_of(START) - 1
    assert seconds_left(last_instant) == 1
    assert seconds_left(START) == WINDOW_SECONDS
    assert current_code(SECRET, START) == code_for_window(SECRET, window_of(START))


def test_neighbouring_windows_have_distinct_codes():
    """A precondition of the boundary tests below (fixed secret, so it always holds)."""
    codes = [code_for_window(SECRET, window_of(START) + n) for n in range(-2, 4)]
    assert len(set(codes)) == len(codes)


@pytest.mark.parametrize("offset", range(-WINDOW_SECONDS, 2 * WINDOW_SECONDS + 1))
def test_current_and_previous_window_are_accepted_and_nothing_else(offset):
    """The code shown at START is accepted from START until the end of the next window."""
    moment = START + timedelta(seconds=offset)
    accepted = 0 <= offset < 2 * WINDOW_SECONDS
    assert code_accepted(SECRET, current_code(SECRET, START), moment) is accepted


def test_expired_wrong_and_other_secrets_codes_are_refused():
    now = START + timedelta(minutes=5)
    expired = current_code(SECRET, now - timedelta(seconds=60))
    valid = {current_code(SECRET, now), current_code(SECRET, now - timedelta(seconds=30))}
    if expired not in valid:
        assert not code_accepted(SECRET, expired, now)
    wrong = next(f"{n:04d}" for n in range(10_000) if f"{n:04d}" not in valid)
    assert not code_accepted(SECRET, wrong, now)
    assert code_accepted(SECRET, current_code(SECRET, now), now)
    other = current_code("other", now)
    assert code_accepted(SECRET, other, now) is (other in valid)


@given(st.integers(min_value=0, max_value=4_000_000_000))
def test_the_shown_code_is_always_accepted(unix):
    moment = datetime.fromtimestamp(unix, UTC)
    assert code_accepted(SECRET, current_code(SECRET, moment), moment)
    later = moment + timedelta(seconds=seconds_left(moment))
    assert code_accepted(SECRET, current_code(SECRET, moment), later), "one window later"


@pytest.mark.parametrize(
    ("typed", "code"),
    [
        ("1234", "1234"),
        (" 0042 ", "0042"),
        ("１２３４", "1234"),
        ("12 34", "1234"),
        ("123", None),
        ("12345", None),
        ("12a4", None),
        ("١٢٣٤", None),
        ("", None),
        ("/1234", None),
    ],
)
def test_normalise_code(typed, code):
    assert normalise_code(typed) == code


def test_distance_known_values():
    assert distance_m(*VENUE, *VENUE) == 0
    # one degree of latitude is about 111.2 km everywhere
    assert distance_m(30.0, 120.0, 31.0, 120.0) == pytest.approx(111_195, rel=1e-3)
    # Hangzhou West Lake to Shanghai People's Square: about 165 km
    assert distance_m(*VENUE, 31.2304, 121.4737) == pytest.approx(165_000, rel=0.03)
    # antipodes do not fail on rounding
    assert distance_m(0, 0, 0, 180) == pytest.approx(20_015_115, rel=1e-4)
    assert distance_m(*VENUE, 31.2304, 121.4737) == distance_m(31.2304, 121.4737, *VENUE)


def test_radius_boundary():
    nearby = (VENUE[0] + 0.0025, VENUE[1])  # about 278 m north
    far = (VENUE[0] + 0.0030, VENUE[1])  # about 334 m north
    assert 270 < distance_m(*VENUE, *nearby) < 290
    assert not outside_radius(distance_m(*VENUE, *nearby), 300)
    assert outside_radius(distance_m(*VENUE, *far), 300)
    assert not outside_radius(300.0, 300)
    assert outside_radius(300.01, 300)
    assert not outside_radius(0.0, 0)


@pytest.mark.parametrize(
    ("after", "mark"),
    [
        (timedelta(minutes=-30), Mark.PRESENT),
        (timedelta(0), Mark.PRESENT),
        (timedelta(minutes=10), Mark.PRESENT),
        (timedelta(minutes=10, microseconds=1), Mark.LATE),
        (timedelta(minutes=11), Mark.LATE),
        (timedelta(hours=3), Mark.LATE),
    ],
)
def test_late_after_ten_minutes(after, mark):
    assert self_mark(START, START + after, 10) is mark


def test_late_threshold_follows_the_class_setting():
    assert self_mark(START, START + timedelta(minutes=1), 0) is Mark.LATE
    assert self_mark(START, START, 0) is Mark.PRESENT
    assert self_mark(START, START + timedelta(minutes=20), 30) is Mark.PRESENT


def test_tally_and_rate():
    counted = tally(["present", "late", "late", "absent", "excused", None, None])
    assert counted == Tally(present=1, late=2, absent=1, excused=1, unmarked=2)
    assert counted.attended == 3 and counted.total == 7
    assert tally([]) == Tally()
    early = tally(["left_early", "present", None])
    assert early == Tally(present=1, left_early=1, unmarked=1) and early.attended == 2
    assert early.total == 3
    assert rate(3, 7) == 43
    assert rate(1, 8) == 13  # 12.5 rounds half up
    assert rate(0, 5) == 0 and rate(5, 5) == 100
    assert rate(0, 0) is None


def test_location_belongs_to_a_recent_check_in():
    assert location_due(START, START)
    assert location_due(START, START + LOCATION_WINDOW)
    assert not location_due(START, START + LOCATION_WINDOW + timedelta(seconds=1))
    assert not location_due(START, START - timedelta(seconds=1))


HOUR = timedelta(hours=1)


@pytest.mark.parametrize(
    ("now", "opened", "marked", "expected"),
    [
        (START - HOUR, False, False, Phase.UPCOMING),
        (START - HOUR, True, False, Phase.RUNNING),  # check-in opened before the start
        (START - HOUR, False, True, Phase.RUNNING),  # someone marked ahead (by hand)
        (START, False, False, Phase.RUNNING),
        (START + 3 * HOUR - timedelta(seconds=1), False, False, Phase.RUNNING),
        (START + 3 * HOUR, True, False, Phase.DONE),
        (START + 3 * HOUR, False, True, Phase.DONE),
        (START + 3 * HOUR, False, False, Phase.NO_RECORD),
    ],
)
def test_session_phase(now, opened, marked, expected):
    summary, _ = summarise(
        [SessionFacts(1, START, START + 3 * HOUR, opened)],
        [7],
        {(1, 7): "present"} if marked else {},
        now,
    )
    assert summary[0].phase is expected


def test_summary_rates_per_session_and_per_person():
    day = timedelta(days=1)
    sessions = [
        SessionFacts(1, START, START + 3 * HOUR, True),
        SessionFacts(2, START + day, START + day + 3 * HOUR, True),
        SessionFacts(3, START + 2 * day, START + 2 * day + 3 * HOUR, False),  # never recorded
        SessionFacts(4, START + 3 * day, START + 3 * day + 3 * HOUR, True),  # running
        SessionFacts(5, START + 4 * day, START + 4 * day + 3 * HOUR, False),  # upcoming
    ]
    marks = {
        (1, 10): "present",
        (1, 11): "late",
        (1, 12): "absent",
        (1, 13): "excused",
        (2, 10): "present",
        (2, 11): "present",
        (2, 12): "present",
        (4, 10): "present",
        (1, 99): "present",  # withdrawn since: not counted
    }
    now = START + 3 * day + HOUR
    per_session, per_person = summarise(sessions, [10, 11, 12, 13], marks, now)
    assert [row.phase for row in per_session] == [
        Phase.DONE,
        Phase.DONE,
        Phase.NO_RECORD,
        Phase.RUNNING,
        Phase.UPCOMING,
    ]
    assert per_session[0].tally == Tally(present=1, late=1, absent=1, excused=1)
    assert [row.rate for row in per_session] == [50, 75, 0, 25, 0]
    assert per_session[1].tally.unmarked == 1
    by_person = {row.person_id: row for row in per_person}
    assert by_person[10].tally == Tally(present=2) and by_person[10].rate == 100
    assert by_person[11].tally == Tally(present=1, late=1) and by_person[11].rate == 100
    assert by_person[12].tally == Tally(present=1, absent=1) and by_person[12].rate == 50
    assert by_person[13].tally == Tally(excused=1, unmarked=1) and by_person[13].rate == 0
    assert summarise([], [10], {}, now) == ([], [PersonSummary(10, Tally(), None)])


def test_screen_token_round_trip_and_refusals():
    ends = START + timedelta(hours=3, minutes=30)
    expires = screen_expiry(ends)
    assert expires == ends + SCREEN_GRACE
    token = screen_token(SECRET, 42, expires)
    parsed = parse_screen_token(token)
    assert parsed is not None and parsed.session_id == 42 and parsed.expires_at == expires
    assert parsed.valid(SECRET, START)
    assert parsed.valid(SECRET, expires - timedelta(seconds=1))
    assert not parsed.valid(SECRET, expires), "expired at its expiry"
    assert not parsed.valid("another secret", START)
    assert not parsed.valid(None, START), "a session without a secret has no screen"
    session, stamp, signature = token.split("-", 2)
    for forged in (
        f"43-{stamp}-{signature}",
        f"{session}-{int(stamp) + 3600}-{signature}",
        f"{session}-{stamp}-{'A' * 24}",
    ):
        candidate = parse_screen_token(forged)
        assert candidate is not None and not candidate.valid(SECRET, START)


@pytest.mark.parametrize(
    "token",
    ["", "42", "42-1-abc", "x-1-" + "A" * 24, "42-99999999999-" + "A" * 24, "1-2-" + "*" * 24],
)
def test_malformed_screen_tokens(token):
    assert parse_screen_token(token) is None


@given(
    opened=st.booleans(),
    starts=st.datetimes(timezones=st.just(UTC)),
    offset=st.timedeltas(min_value=timedelta(days=-3), max_value=timedelta(days=3)),
)
def test_a_session_is_marked_by_hand_once_begun_or_opened(opened, starts, offset):
    """S-11: teachers mark a session that has begun or whose check-in is open, never a future
    one that nobody opened."""
    assert markable(opened, starts, starts + offset) == (opened or offset >= timedelta(0))


def test_a_checkin_is_new_until_opened_and_closed_once_closed():
    opened, closed = START, START + timedelta(hours=1)
    assert checkin_state(None, None) is CheckinState.NEW
    assert checkin_state(opened, None) is CheckinState.OPEN
    assert checkin_state(opened, closed) is CheckinState.CLOSED
    assert checkin_state(None, closed) is CheckinState.CLOSED, "closed by the clock, unopened"
