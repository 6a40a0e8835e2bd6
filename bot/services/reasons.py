"""What a reason is asked for: each decision that needs one, and how long its reason may be.
The one flow that asks, checks and hands the reason on is handlers/reasons.py."""

from __future__ import annotations

from enum import StrEnum

from bot.domain.reasons import REASON_LENGTH
from bot.services.leave import LEAVE_REASON_LENGTH


class Purpose(StrEnum):
    """Which decision a reason being typed is for (kept in the FSM data)."""

    SCREENING_OVERRIDE = "screening.override"
    CERTIFICATE_REJECT = "certificate.reject"
    CLASS_RETURN = "class.return"
    LEAVE_REQUEST = "leave.request"
    LEAVE_REFUSE = "leave.refuse"


LENGTHS: dict[Purpose, tuple[int, int]] = {
    Purpose.SCREENING_OVERRIDE: REASON_LENGTH,
    Purpose.CERTIFICATE_REJECT: REASON_LENGTH,
    Purpose.CLASS_RETURN: REASON_LENGTH,
    Purpose.LEAVE_REQUEST: LEAVE_REASON_LENGTH,
    Purpose.LEAVE_REFUSE: LEAVE_REASON_LENGTH,
}
