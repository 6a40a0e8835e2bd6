"""Every branch of the selection rule and of the trainee cycle."""

from __future__ import annotations

import itertools

import pytest
from hypothesis import given
from hypothesis import strategies as st

from bot.domain.cycle import MOVES, TraineeState, TransitionRefused, check_move
from bot.domain.screening import Flag, Outcome, Reason, screen, split

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


MISSING = object()
CONDITIONS = {
    "literacy": (Reason.LITERACY, [True], [False, None, "yes", MISSING]),
    "computer_skill": (Reason.NO_COMPUTER_SKILL, ["skilled", "basic"], ["none", None, MISSING]),
    "full_attendance": (Reason.NO_FULL_ATTENDANCE, [True], [False, None, MISSING]),
    "motivation": (Reason.NO_MOTIVATION, ["strong", "moderate"], ["none", None, MISSING]),
}


@given(
    st.fixed_dictionaries(
        {key: st.sampled_from(met + unmet) for key, (_reason, met, unmet) in CONDITIONS.items()}
    ),
    st.sampled_from(["new_online", "existing_online", "none", None]),
)
def test_unanswered_is_unmet_for_every_condition(values, project):
    """S-3: each basic condition is met only by a positive answer; unanswered, unknown or
    negative counts as unmet, and every unmet condition is a reason for not now."""
    answers = {key: value for key, value in values.items() if value is not MISSING}
    answers["project_type"] = project
    result = screen({"direction": "online", "has_business": True}, answers)
    unmet = {CONDITIONS[key][0] for key, value in values.items() if value not in CONDITIONS[key][1]}
    if unmet:
        assert result.outcome is Outcome.NOT_NOW
        assert set(result.reasons) == unmet
    else:
        assert result.outcome is not Outcome.NOT_NOW


@pytest.mark.parametrize("missing", ["computer_skill", "motivation"])
def test_missing_skill_or_motivation_is_unmet(missing):
    """Issue 10: a missing computer skill or motivation used to count as met."""
    answers = {key: value for key, value in GOOD.items() if key != missing}
    result = screen({"direction": "online"}, answers)
    assert result.outcome is Outcome.NOT_NOW
    assert result.reasons == (CONDITIONS[missing][0],)


@pytest.mark.parametrize(
    ("has_business", "project", "flagged"),
    [
        (False, "existing_online", True),
        (None, "existing_online", True),
        (True, "existing_online", False),
        (False, "new_online", False),
        (False, "none", False),
    ],
)
def test_business_online_without_business_is_flagged(has_business, project, flagged):
    """S-4: "an existing business goes online" while the main form says there is no business
    is shown to the reviewer as an inconsistency; it does not change the recommendation."""
    registration = {"direction": "online", "has_business": has_business}
    result = screen(registration, {**GOOD, "project_type": project})
    assert result.flags == ((Flag.BUSINESS_WITHOUT_BUSINESS,) if flagged else ())
    assert split([*result.reasons, *result.flags]) == (list(result.reasons), list(result.flags))


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
