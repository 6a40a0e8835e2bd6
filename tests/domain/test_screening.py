"""Every branch of the selection rule and of the trainee cycle."""

from __future__ import annotations

import itertools

import pytest

from bot.domain.cycle import MOVES, TraineeState, TransitionRefused, check_move
from bot.domain.screening import Outcome, Reason, screen

GOOD = {
    "literacy": True,
    "computer_skill": "basic",
    "has_computer": True,
    "full_attendance": True,
    "motivation": "strong",
    "project_type": "new_online",
}


@pytest.mark.parametrize("direction", ["gyb", "syb", "iyb", "other", None])
def test_other_directions_go_to_siyb(direction):
    result = screen({"direction": direction}, GOOD)
    assert result.outcome is Outcome.SIYB
    assert result.reasons == (Reason.DIRECTION_NOT_ONLINE,)


def test_online_direction_without_appendix_goes_to_siyb():
    assert screen({"direction": "online"}, None).outcome is Outcome.SIYB


@pytest.mark.parametrize(
    ("project", "outcome", "reason"),
    [
        ("new_online", Outcome.ONLINE, Reason.HAS_ONLINE_PROJECT),
        ("existing_online", Outcome.ONLINE, Reason.BRINGS_BUSINESS_ONLINE),
        ("none", Outcome.SIYB, Reason.NO_CONCRETE_PROJECT),
        (None, Outcome.SIYB, Reason.NO_CONCRETE_PROJECT),
    ],
)
def test_project_decides_when_conditions_are_met(project, outcome, reason):
    result = screen({"direction": "online"}, {**GOOD, "project_type": project})
    assert (result.outcome, result.reasons) == (outcome, (reason,))


FAILURES = {
    Reason.LITERACY: {"literacy": False},
    Reason.NO_COMPUTER_SKILL: {"computer_skill": "none"},
    Reason.NO_FULL_ATTENDANCE: {"full_attendance": False},
    Reason.NO_MOTIVATION: {"motivation": "none"},
}


@pytest.mark.parametrize("size", [1, 2, 3, 4])
def test_every_combination_of_unmet_conditions_is_not_now_with_all_reasons(size):
    for combination in itertools.combinations(FAILURES, size):
        answers = dict(GOOD)
        for reason in combination:
            answers.update(FAILURES[reason])
        result = screen({"direction": "online"}, answers)
        assert result.outcome is Outcome.NOT_NOW
        assert set(result.reasons) == set(combination)


@pytest.mark.parametrize("skill", ["skilled", "basic"])
@pytest.mark.parametrize("motivation", ["strong", "moderate"])
def test_basic_skill_and_moderate_motivation_are_enough(skill, motivation):
    answers = {**GOOD, "computer_skill": skill, "motivation": motivation}
    assert screen({"direction": "online"}, answers).outcome is Outcome.ONLINE


def test_unanswered_conditions_count_as_unmet():
    result = screen({"direction": "online"}, {"project_type": "new_online"})
    assert result.outcome is Outcome.NOT_NOW
    assert Reason.LITERACY in result.reasons and Reason.NO_FULL_ATTENDANCE in result.reasons


def _reachable(avoid: TraineeState | None = None) -> set[TraineeState]:
    seen: set[TraineeState] = set()
    frontier: list[TraineeState | None] = [None]
    while frontier:
        for target in MOVES[frontier.pop()]:
            if target not in seen and target != avoid:
                seen.add(target)
                frontier.append(target)
    return seen


def test_every_state_is_reachable_and_enrolment_needs_screening():
    assert _reachable() == set(TraineeState)
    assert TraineeState.ENROLLED not in _reachable(avoid=TraineeState.SCREENED)
    assert TraineeState.NEEDS_ANALYSED not in _reachable(avoid=TraineeState.SUITABLE_ONLINE)


def test_cycle_examples():
    check_move(None, TraineeState.REGISTERED)
    check_move(TraineeState.SCREENED, TraineeState.SUITABLE_ONLINE)
    check_move(TraineeState.SUITABLE_ONLINE, TraineeState.REFERRED_SIYB)
    with pytest.raises(TransitionRefused):
        check_move(TraineeState.REGISTERED, TraineeState.ENROLLED)
    with pytest.raises(TransitionRefused):
        check_move(None, TraineeState.SCREENED)
