"""What a reason is asked for: each decision that needs one, and how long its reason may be.
The one flow that asks, checks and hands the reason on is handlers/reasons.py."""

from __future__ import annotations

from enum import StrEnum

from bot.domain.reasons import REASON_LENGTH
from bot.services.assessment import COMMENT_LENGTH, DECLINE_REASON_LENGTH
from bot.services.leave import LEAVE_REASON_LENGTH


class Purpose(StrEnum):
    """Which decision a reason being typed is for (kept in the FSM data)."""

    SCREENING_OVERRIDE = "screening.override"
    CERTIFICATE_REJECT = "certificate.reject"
    CLASS_RETURN = "class.return"
    LEAVE_REQUEST = "leave.request"
    SCORE_DECLINE = "assessment.decline"
    SCORE_COMMENT = "assessment.comment"
    COACHING_NOTES = "assessment.coaching"
    LEAVE_REFUSE = "leave.refuse"
    ERASURE_REFUSE = "personal_data.refuse"
    ISSUE_REJECT = "issuing.reject"
    CERTIFICATE_REVOKE = "issuing.revoke"


LENGTHS: dict[Purpose, tuple[int, int]] = {
    Purpose.SCREENING_OVERRIDE: REASON_LENGTH,
    Purpose.CERTIFICATE_REJECT: REASON_LENGTH,
    Purpose.CLASS_RETURN: REASON_LENGTH,
    Purpose.LEAVE_REQUEST: LEAVE_REASON_LENGTH,
    Purpose.SCORE_DECLINE: DECLINE_REASON_LENGTH,
    Purpose.SCORE_COMMENT: COMMENT_LENGTH,
    Purpose.COACHING_NOTES: COMMENT_LENGTH,
    Purpose.LEAVE_REFUSE: LEAVE_REASON_LENGTH,
    Purpose.ERASURE_REFUSE: REASON_LENGTH,
    Purpose.ISSUE_REJECT: REASON_LENGTH,
    Purpose.CERTIFICATE_REVOKE: REASON_LENGTH,
}
