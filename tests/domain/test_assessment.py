"""Assessment's pure rules (S-12, S-13, S-25, T9): the class's life, the draw of non-teaching
scorers, the rubric and the final-score rule."""

from __future__ import annotations

import itertools
from pathlib import Path

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from bot.domain.assessment import (
    CLASS_MOVES,
    TRAINEE_MOVES,
    ClassStage,
    Review,
    RubricError,
    ScoreError,
    Scorer,
    StageRefused,
    Submission,
    TraineeStage,
    check_sheet,
    draw,
    eligible,
    load_rubric,
    parse_rubric,
    score_problem,
    total,
    transition,
    verdict,
)

# --- the class's life and the trainee's cycle ------------------------------------------------


def test_class_life_goes_one_way_open_to_closed() -> None:
    stage = ClassStage.OPEN
    for target in (ClassStage.IN_PROGRESS, ClassStage.ENDED, ClassStage.ASSESSED):
        stage = transition(CLASS_MOVES, stage, target)
    assert transition(CLASS_MOVES, stage, ClassStage.CLOSED) == ClassStage.CLOSED


@pytest.mark.parametrize("current", list(ClassStage))
@pytest.mark.parametrize("target", list(ClassStage))
def test_every_class_move_outside_the_table_is_refused(
    current: ClassStage, target: ClassStage
) -> None:
    order = list(ClassStage)
    if order.index(target) == order.index(current) + 1:
        assert transition(CLASS_MOVES, current, target) == target
    else:
        with pytest.raises(StageRefused):
            transition(CLASS_MOVES, current, target)


@pytest.mark.parametrize("current", list(TraineeStage))
@pytest.mark.parametrize("target", list(TraineeStage))
def test_trainee_cycle_s13_fail_goes_to_coaching_and_back(
    current: TraineeStage, target: TraineeStage
) -> None:
    allowed = {
        (TraineeStage.TRAINING, TraineeStage.ASSESSMENT),
        (TraineeStage.ASSESSMENT, TraineeStage.PASSED),
        (TraineeStage.ASSESSMENT, TraineeStage.COACHING),
        (TraineeStage.COACHING, TraineeStage.ASSESSMENT),
    }
    if (current, target) in allowed:
        assert transition(TRAINEE_MOVES, current, target) == target
    else:
        with pytest.raises(StageRefused):
            transition(TRAINEE_MOVES, current, target)


# --- the draw ----------------------------------------------------------------------------------


def test_eligibility_s12_non_teaching_lecturer_of_the_region_from_another_institution() -> None:
    sub = Submission(1, region_id=1, institution_id=10, teachers=frozenset({5}))
    assert eligible(sub, Scorer(1, 1, frozenset({11})))
    assert not eligible(sub, Scorer(5, 1, frozenset({11})))  # teaches the class
    assert not eligible(sub, Scorer(2, 1, frozenset({10})))  # same institution
    assert not eligible(sub, Scorer(3, 2, frozenset({11})))  # another region
    assert not eligible(sub, Scorer(4, 1, frozenset({11}), verified=False))
    conflicted = Submission(1, 1, 10, conflicts=frozenset({1}))
    assert not eligible(conflicted, Scorer(1, 1, frozenset({11})))
    widened = Submission(1, 1, 10, regions=frozenset({2}))
    assert eligible(widened, Scorer(3, 2, frozenset({11})))


def test_lecturer_class_s25_the_trainers_score() -> None:
    sub = Submission(1, 1, 10, teachers=frozenset({7, 8}), pool=frozenset({7, 8}))
    scorers = [Scorer(7, None), Scorer(8, None), Scorer(9, 1)]
    result = draw([sub], scorers, k=2, seed=1)
    assert set(result.assignments[1]) == {7, 8}


def test_shortfall_counts_submissions_without_enough_scorers() -> None:
    subs = [Submission(i, 1, 10) for i in range(3)]
    result = draw(subs, [Scorer(1, 1, frozenset({11}))], k=2, seed=3)
    assert result.shortfall == 3
    assert result.missing == {0: 1, 1: 1, 2: 1}
    assert draw(subs, [], seed=3).shortfall == 3


@st.composite
def instances(draw_: st.DrawFn, max_subs: int = 12, max_scorers: int = 8):
    n_scorers = draw_(st.integers(1, max_scorers))
    scorers = [
        Scorer(
            p,
            draw_(st.integers(1, 2)),
            frozenset({draw_(st.integers(10, 12))}),
            verified=draw_(st.booleans()) or p % 3 != 0,
        )
        for p in range(1, n_scorers + 1)
    ]
    subs = []
    for sid in range(draw_(st.integers(0, max_subs))):
        teachers = draw_(st.frozensets(st.integers(1, n_scorers), max_size=2))
        conflicts = draw_(st.frozensets(st.integers(1, n_scorers), max_size=1))
        subs.append(
            Submission(
                sid, draw_(st.integers(1, 2)), draw_(st.integers(10, 12)), teachers, conflicts
            )
        )
    loads = {s.person_id: draw_(st.integers(0, 2)) for s in scorers}
    return subs, scorers, loads


@settings(max_examples=300, deadline=None)
@given(instances(), st.integers(1, 2), st.integers(0, 2**32))
def test_draw_never_picks_an_ineligible_scorer_s12(instance, k: int, seed: int) -> None:
    subs, scorers, loads = instance
    result = draw(subs, scorers, k=k, seed=seed, loads=loads)
    by_id = {s.person_id: s for s in scorers}
    for sub in subs:
        got = result.assignments[sub.id]
        assert len(got) == len(set(got)) <= k
        for person in got:
            scorer = by_id[person]
            assert person not in sub.teachers, "a teacher of the class"
            assert sub.institution_id not in scorer.institutions, "the same institution"
            assert person not in sub.conflicts
            assert eligible(sub, scorer)
        wanted = min(k, sum(eligible(sub, s) for s in scorers))
        assert len(got) == wanted
    assert result.shortfall == sum(1 for sub in subs if len(result.assignments[sub.id]) < k)
    assert sum(result.loads.values()) == sum(loads.values()) + sum(
        len(v) for v in result.assignments.values()
    )


@settings(max_examples=200, deadline=None)
@given(instances(), st.integers(1, 2), st.integers(0, 2**32))
def test_same_seed_same_draw(instance, k: int, seed: int) -> None:
    subs, scorers, loads = instance
    first = draw(subs, scorers, k=k, seed=seed, loads=loads)
    again = draw(list(reversed(subs)), list(reversed(scorers)), k=k, seed=seed, loads=loads)
    assert first == again


@settings(max_examples=200, deadline=None)
@given(
    st.integers(1, 40),
    st.integers(1, 12),
    st.integers(1, 3),
    st.dictionaries(st.integers(1, 12), st.integers(0, 1)),
    st.integers(0, 2**32),
)
def test_spread_at_most_one_when_everyone_may_score_everything(
    n_subs: int, n_scorers: int, k: int, loads: dict[int, int], seed: int
) -> None:
    scorers = [Scorer(p, 1, frozenset({99})) for p in range(1, n_scorers + 1)]
    subs = [Submission(i, 1, 10) for i in range(n_subs)]
    result = draw(subs, scorers, k=k, seed=seed, loads=loads)
    assert result.spread() <= 1


def _best_spread(subs, scorers, loads) -> int:
    """The smallest max − min reachable by any k=1 assignment (brute force)."""
    options = [[s.person_id for s in scorers if eligible(sub, s)] for sub in subs]
    best = None
    for combo in itertools.product(*[o or [None] for o in options]):
        load = {s.person_id: loads.get(s.person_id, 0) for s in scorers}
        for p in combo:
            if p is not None:
                load[p] += 1
        spread = max(load.values()) - min(load.values())
        best = spread if best is None else min(best, spread)
    return best


@settings(max_examples=300, deadline=None)
@given(instances(max_subs=6, max_scorers=4), st.integers(0, 2**32))
def test_spread_is_the_best_possible_when_it_can_be_one(instance, seed: int) -> None:
    """Spread ≤ 1 wherever eligibility and earlier loads allow it (brute-forced on small cases)."""
    subs, scorers, loads = instance
    result = draw(subs, scorers, k=1, seed=seed, loads=loads)
    best = _best_spread(subs, scorers, loads)
    if best <= 1:
        assert result.spread() <= 1


def test_different_seeds_can_draw_differently() -> None:
    scorers = [Scorer(p, 1, frozenset({99})) for p in range(1, 6)]
    subs = [Submission(1, 1, 10)]
    assert len({draw(subs, scorers, seed=s).assignments[1] for s in range(30)}) > 1


# --- the rubric --------------------------------------------------------------------------------


def test_default_rubric_is_t9() -> None:
    rubric = load_rubric()
    assert [c.maximum for c in rubric.criteria] == [15, 25, 10, 20, 15, 10, 5]
    assert rubric.maximum == 100 and rubric.pass_mark == 60
    for c in rubric.criteria:
        assert c.name["zh-CN"] and c.name["en"] and c.description["en"]


def test_a_region_override_file_wins(tmp_path: Path) -> None:
    (tmp_path / "default.yaml").write_text(
        (Path(__file__).parents[2] / "templates/rubrics/default.yaml").read_text("utf-8"), "utf-8"
    )
    names = {"zh-CN": "甲", "en": "A"}
    (tmp_path / "440100.yaml").write_text(
        "pass_mark: 60\ncriteria:\n"
        + "".join(
            f"  - {{id: c{i}, max: 50, name: {names}, description: {names}}}\n" for i in range(2)
        ),
        "utf-8",
    )
    assert [c.id for c in load_rubric("440100", tmp_path).criteria] == ["c0", "c1"]
    assert load_rubric("999999", tmp_path).key == "default"


@pytest.mark.parametrize(
    "data",
    [
        {"criteria": []},
        {
            "criteria": [
                {
                    "id": "a",
                    "max": 90,
                    "name": {"zh-CN": "x", "en": "x"},
                    "description": {"zh-CN": "x", "en": "x"},
                }
            ]
        },
        {
            "criteria": [
                {
                    "id": "a",
                    "max": 100,
                    "name": {"zh-CN": "x"},
                    "description": {"zh-CN": "x", "en": "x"},
                }
            ]
        },
    ],
)
def test_a_broken_rubric_is_refused(data) -> None:
    with pytest.raises(RubricError):
        parse_rubric("bad", data)


@given(st.data())
def test_rubric_totals_and_ranges(data) -> None:
    rubric = load_rubric()
    scores = {c.id: data.draw(st.integers(0, c.maximum)) for c in rubric.criteria}
    assert total(rubric, scores) == sum(scores.values())
    assert 0 <= total(rubric, scores) <= 100
    comment = data.draw(st.sampled_from(["", "  ", "needs more products"]))
    if sum(scores.values()) < 60 and not comment.strip():
        with pytest.raises(ScoreError):
            check_sheet(rubric, scores, comment)
    else:
        assert check_sheet(rubric, scores, comment) == sum(scores.values())
    crit = data.draw(st.sampled_from(rubric.criteria))
    value = data.draw(st.integers(-5, 40))
    assert (score_problem(rubric, crit.id, value) is None) == (0 <= value <= crit.maximum)


def test_an_incomplete_sheet_is_not_final() -> None:
    rubric = load_rubric()
    with pytest.raises(ScoreError):
        check_sheet(rubric, {"basics": 15}, "x")


# --- the final-score rule ------------------------------------------------------------------------

scores = st.integers(0, 100)


@given(scores, st.booleans())
def test_second_scorer_when_borderline_or_plan_disagrees(score: int, plan: bool) -> None:
    result = verdict([Review(score, plan)])
    needs = 55 <= score <= 65 or (score >= 60) != plan
    assert result.need_more == needs
    if not needs:
        assert result.final == score and result.passed == (score >= 60 and plan)


@given(scores, scores, st.booleans(), st.booleans())
def test_two_scores_mean_or_a_third_when_far_apart(a: int, b: int, pa: bool, pb: bool) -> None:
    result = verdict([Review(a, pa), Review(b, pb)])
    if abs(a - b) > 15 or pa != pb:
        assert result.need_more
    else:
        assert result.final == (a + b) / 2
        assert result.passed == ((a + b) / 2 >= 60 and pa)


@given(scores, scores, scores, st.booleans(), st.booleans(), st.booleans())
def test_three_scores_mean_of_the_two_closest(a, b, c, pa, pb, pc) -> None:
    result = verdict([Review(a, pa), Review(b, pb), Review(c, pc)])
    assert not result.need_more
    x, y, z = sorted((a, b, c))
    pairs = sorted([(y - x, -(x + y), (x + y) / 2), (z - y, -(y + z), (y + z) / 2)])
    assert result.final == pairs[0][2]
    assert result.plan_complete == (pa + pb + pc >= 2)
    assert result.passed == (result.final >= 60 and result.plan_complete)


def test_s13_pass_needs_score_and_plan() -> None:
    assert verdict([Review(80, True)]).passed is True
    assert verdict([Review(30, False)]).passed is False
    assert verdict([Review(80, False)]).need_more  # disagreement asks a second scorer
    assert verdict([Review(80, False), Review(78, False)]).passed is False
    assert verdict([Review(58, True), Review(62, True)]).final == 60.0
