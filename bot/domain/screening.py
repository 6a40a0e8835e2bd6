"""The selection rule (SPEC S-2 to S-5, T3): a recommendation with its reasons.

A person confirms or overrides it; this function only recommends.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from enum import StrEnum
from typing import Any


class Outcome(StrEnum):
    ONLINE = "online"
    SIYB = "siyb"
    NOT_NOW = "not_now"


class Reason(StrEnum):
    DIRECTION_NOT_ONLINE = "direction_not_online"
    LITERACY = "literacy"
    NO_COMPUTER_SKILL = "no_computer_skill"
    NO_FULL_ATTENDANCE = "no_full_attendance"
    NO_MOTIVATION = "no_motivation"
    HAS_ONLINE_PROJECT = "has_online_project"
    BRINGS_BUSINESS_ONLINE = "brings_business_online"
    NO_CONCRETE_PROJECT = "no_concrete_project"


class Flag(StrEnum):
    """Something the reviewer should check before deciding; never told to the trainee."""

    BUSINESS_WITHOUT_BUSINESS = "business_without_business"
    """Appendix 3 says an existing business goes online; the main form says no business."""


FLAGS = frozenset(Flag)


MEETS_SKILL = frozenset({"skilled", "basic"})
"""Appendix 3 computer_skill answers that meet the condition; anything else (none, unanswered)
does not."""
MEETS_MOTIVATION = frozenset({"strong", "moderate"})


@dataclass(frozen=True)
class Recommendation:
    outcome: Outcome
    reasons: tuple[Reason, ...]
    flags: tuple[Flag, ...] = ()


def split(stored: Sequence[str]) -> tuple[list[str], list[str]]:
    """A case's stored reasons list holds the reasons and then the flags: (reasons, flags)."""
    return [r for r in stored if r not in FLAGS], [r for r in stored if r in FLAGS]


def flags(registration: Mapping[str, Any], appendix3: Mapping[str, Any] | None) -> tuple[Flag, ...]:
    """Inconsistencies between the main form and appendix 3 the reviewer is shown."""
    if (
        appendix3 is not None
        and appendix3.get("project_type") == "existing_online"
        and registration.get("has_business") is not True
    ):
        return (Flag.BUSINESS_WITHOUT_BUSINESS,)
    return ()


def screen(registration: Mapping[str, Any], appendix3: Mapping[str, Any] | None) -> Recommendation:
    """Recommend one of the three outcomes of S-5 from the main form and appendix 3.

    Any unmet basic condition (literacy, computer skill, full attendance, motivation) means
    not now, with every failing condition listed; a condition left unanswered is unmet (only a
    positive answer meets it); otherwise a concrete online project or an existing business
    going online means the online course; otherwise SIYB. An existing business going online
    while the main form says there is no business is flagged for the reviewer (`flags`).
    """
    if registration.get("direction") != "online" or appendix3 is None:
        return Recommendation(Outcome.SIYB, (Reason.DIRECTION_NOT_ONLINE,))
    noted = flags(registration, appendix3)
    unmet = tuple(
        reason
        for reason, failed in (
            (Reason.LITERACY, appendix3.get("literacy") is not True),
            (Reason.NO_COMPUTER_SKILL, appendix3.get("computer_skill") not in MEETS_SKILL),
            (Reason.NO_FULL_ATTENDANCE, appendix3.get("full_attendance") is not True),
            (Reason.NO_MOTIVATION, appendix3.get("motivation") not in MEETS_MOTIVATION),
        )
        if failed
    )
    if unmet:
        return Recommendation(Outcome.NOT_NOW, unmet, noted)
    project = appendix3.get("project_type")
    if project == "new_online":
        return Recommendation(Outcome.ONLINE, (Reason.HAS_ONLINE_PROJECT,), noted)
    if project == "existing_online":
        return Recommendation(Outcome.ONLINE, (Reason.BRINGS_BUSINESS_ONLINE,), noted)
    return Recommendation(Outcome.SIYB, (Reason.NO_CONCRETE_PROJECT,), noted)
