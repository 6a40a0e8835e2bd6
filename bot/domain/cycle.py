"""The trainee cycle (SPEC S-1): the states a trainee passes through and the allowed moves.

Later steps (training, follow-up) add their states here; a move not listed is refused.
"""

from __future__ import annotations

from enum import StrEnum


class TraineeState(StrEnum):
    REGISTERED = "registered"
    SCREENED = "screened"
    SUITABLE_ONLINE = "suitable_online"
    REFERRED_SIYB = "referred_siyb"
    NOT_SUITABLE_NOW = "not_suitable_now"
    NEEDS_ANALYSED = "needs_analysed"
    ENROLLED = "enrolled"


class Step(StrEnum):
    """The six steps of the cycle; each state belongs to one."""

    PROMOTION = "promotion"
    SELECTION = "selection"
    NEEDS_ANALYSIS = "needs_analysis"
    TRAINING = "training"
    FOLLOW_UP = "follow_up"


STEP_OF = {
    TraineeState.REGISTERED: Step.SELECTION,
    TraineeState.SCREENED: Step.SELECTION,
    TraineeState.SUITABLE_ONLINE: Step.SELECTION,
    TraineeState.REFERRED_SIYB: Step.SELECTION,
    TraineeState.NOT_SUITABLE_NOW: Step.SELECTION,
    TraineeState.NEEDS_ANALYSED: Step.NEEDS_ANALYSIS,
    TraineeState.ENROLLED: Step.TRAINING,
}

DECIDED = (TraineeState.SUITABLE_ONLINE, TraineeState.REFERRED_SIYB, TraineeState.NOT_SUITABLE_NOW)

MOVES: dict[TraineeState | None, frozenset[TraineeState]] = {
    None: frozenset({TraineeState.REGISTERED}),
    TraineeState.REGISTERED: frozenset({TraineeState.SCREENED}),
    # A trainee who revises the registration is screened again, before or after a decision;
    # a lecturer may revise a decision (with a reason). Once enrolled, intake is closed; a
    # trainee taken out of their only class goes back to where they were.
    TraineeState.SCREENED: frozenset({*DECIDED, TraineeState.REGISTERED}),
    TraineeState.SUITABLE_ONLINE: frozenset(
        {*DECIDED, TraineeState.NEEDS_ANALYSED, TraineeState.ENROLLED, TraineeState.REGISTERED}
    ),
    TraineeState.REFERRED_SIYB: frozenset({*DECIDED, TraineeState.REGISTERED}),
    TraineeState.NOT_SUITABLE_NOW: frozenset({*DECIDED, TraineeState.REGISTERED}),
    TraineeState.NEEDS_ANALYSED: frozenset(
        {TraineeState.ENROLLED, *DECIDED, TraineeState.REGISTERED}
    ),
    TraineeState.ENROLLED: frozenset({TraineeState.SUITABLE_ONLINE, TraineeState.NEEDS_ANALYSED}),
}


class TransitionRefused(ValueError):
    """A move the cycle does not allow, e.g. enrolling someone not yet screened."""


def check_move(current: TraineeState | None, target: TraineeState) -> None:
    if target == current or target not in MOVES[current]:
        raise TransitionRefused(f"{current or 'nothing'} -> {target} is not allowed")
