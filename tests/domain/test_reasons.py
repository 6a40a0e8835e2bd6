from bot.domain.reasons import REASON_LENGTH, reason_from


def test_whitespace_is_collapsed():
    assert reason_from("  地址  写到\n门牌号 ") == "地址 写到 门牌号"


def test_too_short_too_long_empty_and_commands_are_refused():
    low, high = REASON_LENGTH
    assert reason_from("x" * (low - 1)) is None
    assert reason_from("x" * low) == "x" * low
    assert reason_from("x" * high) == "x" * high
    assert reason_from("x" * (high + 1)) is None
    assert reason_from(None) is None
    assert reason_from("   ") is None
    assert reason_from("/start again") is None


def test_a_shorter_minimum_can_be_asked_for():
    assert reason_from("生病", (2, 200)) == "生病"
    assert reason_from("生病") is None
