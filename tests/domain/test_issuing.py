"""Certificate numbers, checks, deep links and masked names (S-14): pure rules."""

from __future__ import annotations

import pytest
from hypothesis import given
from hypothesis import strategies as st

from bot.domain.issuing import (
    CHECK_LENGTH,
    SerialExhausted,
    Standing,
    certificate_number,
    check_matches,
    check_of,
    deep_link_payload,
    may_apply,
    normalise_number,
    parse_deep_link,
    selectable,
    serials,
    standing,
)
from bot.privacy import mask_name

regions = st.integers(1, 9999)
years = st.integers(2000, 2099)
serial_numbers = st.integers(1, 999_999)


@given(regions, years, serial_numbers)
def test_s14_numbers_are_14_digits_and_distinct_for_distinct_inputs(region, year, serial):
    number = certificate_number(region, year, serial)
    assert len(number) == 14 and number.isdigit()
    assert (int(number[:4]), int(number[4:8]), int(number[8:])) == (region, year, serial)
    assert normalise_number(f" {number[:4]}-{number[4:8]} {number[8:]} ") == number


def test_s14_a_year_has_room_for_999999_certificates_per_region():
    assert certificate_number(3, 2026, 17) == "00032026000017"
    with pytest.raises(SerialExhausted):
        certificate_number(3, 2026, 1_000_000)
    assert normalise_number("123") is None and normalise_number("0003202600001x") is None


def test_s14_a_counter_advanced_by_n_hands_out_the_n_serials_before_it():
    assert list(serials(10, 3)) == [8, 9, 10]
    assert list(serials(3, 3)) == [1, 2, 3]


@given(st.binary(min_size=1, max_size=64), regions, years, serial_numbers)
def test_s14_the_check_is_keyed_short_and_only_its_own_number_matches(key, region, year, serial):
    number = certificate_number(region, year, serial)
    check = check_of(key, number)
    assert len(check) == CHECK_LENGTH and check.isalnum()
    assert check_matches(key, number, check) and check_matches(key, number, check.upper())
    assert not check_matches(key + b"x", number, check)
    other = certificate_number(region, year, serial % 999_999 + 1)
    assert not check_matches(key, other, check) or check_of(key, other) == check


def test_s14_deep_links_carry_number_and_check_within_telegrams_limits():
    payload = deep_link_payload("00032026000017", "abcdefghij")
    assert payload == "verify_00032026000017_abcdefghij" and len(payload) <= 64
    assert parse_deep_link(payload) == ("00032026000017", "abcdefghij")
    assert parse_deep_link("verify_123_abc") is None
    assert parse_deep_link("verify_00032026000017_") is None
    assert parse_deep_link("ci_1234") is None


@pytest.mark.parametrize(
    ("name", "masked"),
    [
        ("张晓燕", "张*燕"),
        ("李雷", "李*"),
        ("欧阳娜娜", "欧**娜"),
        ("王", "王"),
        ("", ""),
        (None, ""),
    ],
)
def test_s14_names_are_masked_keeping_first_and_last(name, masked):
    assert mask_name(name) == masked


def test_s14_standing_and_who_qualifies():
    assert standing(revoked=False, holder_known=True) is Standing.VALID
    assert standing(revoked=True, holder_known=False) is Standing.REVOKED
    assert standing(revoked=False, holder_known=False) is Standing.WITHDRAWN
    assert selectable("trainee", "passed")
    assert not any(selectable("trainee", s) for s in ("coaching", "assessment", "training", None))
    assert may_apply("trainee", "assessed")
    assert not may_apply("trainee", "ended") and not may_apply("trainee", "closed")
    assert not may_apply("lecturer", "assessed"), "no lecturer certificate design yet"
