from datetime import UTC, datetime, timedelta

from bot.domain.wake import next_after

NOW = datetime(2026, 6, 4, 2, 0, tzinfo=UTC)


def test_the_next_wake_is_the_earliest_time_strictly_after_now():
    hour = timedelta(hours=1)
    assert next_after([NOW + 2 * hour, None, NOW + hour, NOW - hour], NOW) == NOW + hour
    assert next_after([NOW], NOW) is None  # due now: this pass worked on it
    assert next_after([NOW - hour, None], NOW) is None
    assert next_after([], NOW) is None
