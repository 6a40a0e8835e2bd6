"""Matching a trainee's needs with the region's services (S-16, S-42, T12), walked exhaustively
over a small region tree, and the catalogue import's row checks."""

from __future__ import annotations

from itertools import combinations, product

import pytest

from bot.domain.support import (
    Column,
    Need,
    Service,
    ancestry,
    check_rows,
    match,
    needs_of,
)

PROVINCE, CITY, DISTRICT, SIBLING, ELSEWHERE = 1, 2, 3, 4, 5
PARENTS = {PROVINCE: None, CITY: PROVINCE, DISTRICT: CITY, SIBLING: CITY, ELSEWHERE: None}
"""浙江省 → 杭州市 → 西湖区 and 上城区; another province."""


def test_s42_ancestry_is_the_region_and_those_above_it_nearest_first():
    assert ancestry(DISTRICT, PARENTS) == [DISTRICT, CITY, PROVINCE]
    assert ancestry(SIBLING, PARENTS) == [SIBLING, CITY, PROVINCE]
    assert ancestry(PROVINCE, PARENTS) == [PROVINCE]
    assert ancestry(None, PARENTS) == []
    assert ancestry(9, PARENTS) == [9], "a region the map does not know is itself"
    assert ancestry(1, {1: 2, 2: 1}) == [1, 2], "a loop in the data stops the walk"


def test_t12_needs_are_read_in_the_catalogue_order_and_unknown_values_dropped():
    assert needs_of({"needs": ["other", "loan", "spaceship", "mentor"]}) == [
        Need.LOAN,
        Need.MENTOR,
        Need.OTHER,
    ]
    assert needs_of({"needs": "policy"}) == [Need.POLICY]
    assert needs_of({}) == []
    assert needs_of({"needs": None}) == []


def _catalogue() -> list[Service]:
    """One service of every kind in every region, active and withdrawn."""
    services = []
    for number, (kind, region, active) in enumerate(product(Need, PARENTS, (True, False)), start=1):
        services.append(
            Service(number, kind, f"{kind}-{region}-{active}", "o", "", "c", region, active)
        )
    return services


def _expected(needs, services, trainee_region):
    chain = ancestry(trainee_region, PARENTS)
    wanted = {}
    for need in needs:
        if need in wanted:
            continue
        wanted[need] = sorted(
            (s for s in services if s.kind == need and s.active and s.region_id in chain),
            key=lambda s: (chain.index(s.region_id), s.name, s.id),
        )
    return wanted


@pytest.mark.parametrize("trainee_region", list(PARENTS))
def test_s42_every_set_of_needs_gets_exactly_the_active_services_of_its_kinds_up_the_tree(
    trainee_region,
):
    """All 128 sets of needs × every region of the tree, against the rule written plainly: a
    need gets the active services of its kind in the trainee's region or above it, nearest
    region first; nothing of another kind, a sibling or another province, nothing withdrawn."""
    services = _catalogue()
    chain = ancestry(trainee_region, PARENTS)
    for size in range(len(Need) + 1):
        for needs in combinations(Need, size):
            got = match(needs, services, chain)
            assert got == _expected(needs, services, trainee_region)
            assert list(got) == list(needs)
            for need, found in got.items():
                assert {s.region_id for s in found} == set(chain)
                assert all(s.kind == need and s.active for s in found)


def test_s42_a_need_nobody_offers_is_listed_empty_and_a_repeated_need_once():
    only_loans = [Service(1, "loan", "担保贷款", "o", "", "c", CITY)]
    got = match([Need.LOAN, Need.MENTOR, Need.LOAN], only_loans, ancestry(DISTRICT, PARENTS))
    assert got == {Need.LOAN: only_loans, Need.MENTOR: []}
    assert match([Need.LOAN], only_loans, ancestry(ELSEWHERE, PARENTS)) == {Need.LOAN: []}


KINDS = {"loan": Need.LOAN, "创业担保贷款": Need.LOAN, "mentor": Need.MENTOR}
REGIONS = {"西湖区": DISTRICT, "杭州市": CITY}


def _row(**cells):
    base = {
        Column.KIND: "创业担保贷款",
        Column.NAME: "西湖区创业担保贷款",
        Column.OFFER: "最高 30 万元",
        Column.CONTACT: "0571-1234567",
    }
    return {**base, **cells}


def test_s42_import_rows_are_checked_one_by_one_with_their_reasons():
    """Each row's reasons, as the trainee import reports them; a row repeating an earlier one
    (even one that is wrong for another reason) is named a duplicate, so one round fixes all."""
    rows = [
        (2, _row()),
        (3, _row(**{Column.KIND: "火箭", Column.NAME: ""})),
        (4, _row(**{Column.REGION: "上城区"})),
        (5, _row()),
        (6, _row(**{Column.KIND: "LOAN", Column.REGION: "杭州市", Column.OFFER: "x" * 501})),
        (7, _row(**{Column.KIND: "mentor", Column.CONTACT: "  ", Column.CONDITIONS: None})),
        (8, _row(**{Column.REGION: "杭州市"})),
    ]
    checked = check_rows(rows, KINDS, REGIONS, DISTRICT)
    problems = {row.number: row.problems for row in checked}
    assert problems == {
        2: (),
        3: ("kind", "name"),
        4: ("region",),
        5: ("duplicate",),
        6: ("too_long",),
        7: ("contact",),
        8: ("duplicate",),
    }
    first = checked[0]
    assert (first.kind, first.region_id, first.conditions) == ("loan", DISTRICT, "")
    assert checked[-1].region_id == CITY
