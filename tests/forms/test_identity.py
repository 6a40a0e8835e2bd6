"""ID-card and mobile parsing: what people type on phones, and nothing but ValueError back.

Every ID number here is synthetic, built with ``make_id`` below.
"""

from __future__ import annotations

from datetime import date

import pytest
from hypothesis import given
from hypothesis import strategies as st

from bot.forms.identity import age_on, parse_id_card, parse_mobile

TODAY = date(2025, 6, 1)
FULL_WIDTH = str.maketrans("0123456789X+ ", "０１２３４５６７８９Ｘ＋\u3000")


def make_id(body: str) -> str:
    """Append the GB 11643 check digit, computed independently of python-stdnum."""
    assert len(body) == 17
    total = sum(int(d) * pow(2, 17 - i, 11) for i, d in enumerate(body))
    return body + "10X98765432"[total % 11]


def with_wrong_check(number: str) -> str:
    return number[:-1] + ("0" if number[-1] != "0" else "1")


@pytest.mark.parametrize(
    ("body", "birth", "gender"),
    [
        ("33010619900307123", date(1990, 3, 7), "male"),
        ("33010620000229456", date(2000, 2, 29), "female"),
        ("44190019851111001", date(1985, 11, 11), "male"),
        ("11010519491231002", date(1949, 12, 31), "female"),
    ],
)
def test_valid_numbers(body: str, birth: date, gender: str) -> None:
    number = make_id(body)
    card = parse_id_card(number, today=TODAY)
    assert card.number == number
    assert card.birth_date == birth
    assert card.gender == gender
    assert card.region_code == body[:6]


def test_check_digit_x_is_normalised_to_upper_case() -> None:
    number = make_id("11010519491231002")
    assert number.endswith("X")
    assert parse_id_card(number.lower(), today=TODAY).number == number


@pytest.mark.parametrize("body", ["33010619900307123", "11010519491231002"])
def test_full_width_and_spaced_input(body: str) -> None:
    number = make_id(body)
    spaced = f"{number[:6]} {number[6:14]} {number[14:]}"
    full_width = spaced.translate(FULL_WIDTH)
    assert parse_id_card(full_width, today=TODAY).number == number


def test_gender_comes_from_the_seventeenth_digit() -> None:
    for digit in "0123456789":
        card = parse_id_card(make_id(f"3301061990030712{digit}"), today=TODAY)
        assert card.gender == ("male" if int(digit) % 2 else "female")


def test_wrong_check_digit() -> None:
    with pytest.raises(ValueError) as caught:
        parse_id_card(with_wrong_check(make_id("33010619900307123")), today=TODAY)
    assert caught.value.args[0] == "checksum"


@pytest.mark.parametrize(
    "text",
    [
        "330106900307123",  # first-generation 15-digit number
        "3301061990030712",
        "3301061990030712345",
        "33010619900307123Y",
        "3301061990030712X4",
        "330106-19900307-1236",
        "",
    ],
)
def test_format(text: str) -> None:
    with pytest.raises(ValueError) as caught:
        parse_id_card(text, today=TODAY)
    assert caught.value.args[0] == "format"


@pytest.mark.parametrize(
    "body",
    [
        "33010619900230123",  # 30 February
        "33010620010229123",  # 29 February in a common year
        "33010619901301123",  # month 13
        "33010600000101123",  # year 0
        "33010620250602123",  # tomorrow
        "33010619040601123",  # 121 today
    ],
)
def test_birth_date(body: str) -> None:
    with pytest.raises(ValueError) as caught:
        parse_id_card(make_id(body), today=TODAY)
    assert caught.value.args[0] == "birth_date"


def test_birth_date_limits_are_inclusive() -> None:
    assert parse_id_card(make_id("33010620250601123"), today=TODAY).birth_date == TODAY
    oldest = parse_id_card(make_id("33010619040602123"), today=TODAY)
    assert age_on(oldest.birth_date, TODAY) == 120


def test_a_birth_date_after_the_given_today_is_refused() -> None:
    with pytest.raises(ValueError, match="birth_date"):
        parse_id_card(make_id("33010620250602123"), today=TODAY)


def test_age_on() -> None:
    assert age_on(date(1990, 3, 7), date(2025, 3, 6)) == 34
    assert age_on(date(1990, 3, 7), date(2025, 3, 7)) == 35
    assert age_on(date(2000, 2, 29), date(2025, 2, 28)) == 24
    assert age_on(date(2000, 2, 29), date(2025, 3, 1)) == 25


@pytest.mark.parametrize(
    "text",
    [
        "13812345678",
        "138 1234 5678",
        "138-1234-5678",
        "+86 13812345678",
        "+86-138-1234-5678",
        "8613812345678",
        "008613812345678",
        "(+86) 138 1234 5678",
        "１３８１２３４５６７８",
        "＋８６　１３８　１２３４　５６７８",
        " 13812345678\n",
    ],
)
def test_mobile_variants(text: str) -> None:
    assert parse_mobile(text) == "13812345678"


@pytest.mark.parametrize("prefix", ["13", "14", "15", "16", "17", "18", "19"])
def test_mobile_prefixes(prefix: str) -> None:
    assert parse_mobile(f"{prefix}012345678") == f"{prefix}012345678"


@pytest.mark.parametrize(
    "text",
    [
        "010-12345678",  # Beijing landline
        "0571 8888 8888",  # Hangzhou landline
        "12345678901",  # 1 then 2: not a mobile block
        "11812345678",
        "1381234567",  # ten digits
        "138123456789",  # twelve digits
        "+1 13812345678",
        "8513812345678",
        "12110",
        "138 1234 567a",
        "",
    ],
)
def test_mobile_refused(text: str) -> None:
    with pytest.raises(ValueError) as caught:
        parse_mobile(text)
    assert caught.value.args[0] == "format"


@given(st.text())
def test_id_card_raises_only_value_error(text: str) -> None:
    try:
        card = parse_id_card(text, today=TODAY)
    except ValueError as error:
        assert error.args[0] in {"format", "checksum", "birth_date"}
    else:
        assert len(card.number) == 18


@given(st.from_regex(r"[0-9０-９ ]{15,20}[0-9Xx]?", fullmatch=True))
def test_id_card_near_misses_raise_only_value_error(text: str) -> None:
    try:
        parse_id_card(text, today=TODAY)
    except ValueError as error:
        assert error.args[0] in {"format", "checksum", "birth_date"}


@given(st.dates(date(1904, 6, 2), TODAY), st.integers(0, 999))
def test_every_well_formed_number_round_trips(birth: date, sequence: int) -> None:
    number = make_id(f"330106{birth:%Y%m%d}{sequence:03d}")
    card = parse_id_card(number, today=TODAY)
    assert (card.number, card.birth_date) == (number, birth)
    assert card.gender == ("male" if sequence % 2 else "female")
    with pytest.raises(ValueError, match="checksum"):
        parse_id_card(with_wrong_check(number), today=TODAY)


@given(st.text())
def test_mobile_raises_only_value_error(text: str) -> None:
    try:
        digits = parse_mobile(text)
    except ValueError as error:
        assert error.args == ("format",)
    else:
        assert len(digits) == 11 and digits.isascii() and digits.isdigit()


@given(st.from_regex(r"(\+86|86|0086)?[ \-]?1[3-9][0-9 \-]{9,12}", fullmatch=True))
def test_mobile_near_misses_raise_only_value_error(text: str) -> None:
    try:
        parse_mobile(text)
    except ValueError as error:
        assert error.args == ("format",)
