"""The selection rule (SPEC S-2 to S-5, T3): a recommendation with its reasons.

A person confirms or overrides it; this function only recommends.
"""

from __future__ import annotations

from collections.abc import Mapping
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


@dataclass(frozen=True)
class Recommendation:
    outcome: Outcome
    reasons: tuple[Reason, ...]


def screen(registration: Mapping[str, Any], appendix3: Mapping[str, Any] | None) -> Recommendation:
    """Recommend one of the three outcomes of S-5 from the main form and appendix 3.

    Any unmet basic condition (literacy, computer skill, full attendance, motivation) means
    not now, with every failing condition listed; otherwise a concrete online project or an
    existing business going online means the online course; otherwise SIYB.
    """
    if registration.get("direction") != "online" or appendix3 is None:
        return Recommendation(Outcome.SIYB, (Reason.DIRECTION_NOT_ONLINE,))
    unmet = tuple(
        reason
        for reason, failed in (
            (Reason.LITERACY, appendix3.get("literacy") is not True),
            (Reason.NO_COMPUTER_SKILL, appendix3.get("computer_skill") == "none"),
            (Reason.NO_FULL_ATTENDANCE, appendix3.get("full_attendance") is not True),
            (Reason.NO_MOTIVATION, appendix3.get("motivation") == "none"),
        )
        if failed
    )
    if unmet:
        return Recommendation(Outcome.NOT_NOW, unmet)
    project = appendix3.get("project_type")
    if project == "new_online":
        return Recommendation(Outcome.ONLINE, (Reason.HAS_ONLINE_PROJECT,))
    if project == "existing_online":
        return Recommendation(Outcome.ONLINE, (Reason.BRINGS_BUSINESS_ONLINE,))
    return Recommendation(Outcome.SIYB, (Reason.NO_CONCRETE_PROJECT,))
