"""Assessment use cases (S-12, S-13, S-25): a class's life, drawing non-teaching scorers,
scoring in chat, the final result, coaching, resubmissions and the supervisor's hand.

Scheduler scans (`scan`) and people (through handlers) call the same functions. Each loads or
raises, asks bot/policy.py, applies bot/domain/assessment.py, writes through
storage/assessment.py, audits and tells others through bot/notifier.py.

The package splits them by who acts: `draw` (the class's life and the draw), `scoring` (the
scorer), `scans` (the scheduler), `staff` (supervisors, teachers, staff); `common` holds what
they share.
"""

from __future__ import annotations

from bot.services.assessment.common import (
    COMMENT_LENGTH,
    DECLINE_REASON_LENGTH,
    DEFAULT,
    Config,
    assignment_card,
    class_zone,
    question_labels,
    rubric_of,
    window_closes,
)
from bot.services.assessment.draw import (
    DrawOutcome,
    ScanResult,
    Slot,
    advance_classes,
    draw_class,
)
from bot.services.assessment.scans import (
    remind_and_expire,
    rescore_resubmissions,
    scan,
)
from bot.services.assessment.scoring import (
    accept,
    assignment_for,
    decline,
    files,
    finish,
    open_assignment,
    restart,
    score,
    set_comment,
    set_plan,
    settle,
)
from bot.services.assessment.staff import (
    Candidate,
    Coached,
    Managed,
    Standing,
    candidates,
    coached,
    coaching_list,
    coaching_lists,
    followed_classes,
    manage,
    progress,
    reassign,
    record_coaching,
    standing,
    supervisor_draw,
)

__all__ = [
    "COMMENT_LENGTH",
    "Candidate",
    "Coached",
    "Config",
    "DECLINE_REASON_LENGTH",
    "DEFAULT",
    "DrawOutcome",
    "Managed",
    "ScanResult",
    "Slot",
    "Standing",
    "accept",
    "advance_classes",
    "assignment_card",
    "assignment_for",
    "candidates",
    "class_zone",
    "coached",
    "coaching_list",
    "coaching_lists",
    "decline",
    "draw_class",
    "files",
    "finish",
    "followed_classes",
    "manage",
    "open_assignment",
    "progress",
    "question_labels",
    "reassign",
    "record_coaching",
    "remind_and_expire",
    "rescore_resubmissions",
    "restart",
    "rubric_of",
    "scan",
    "score",
    "set_comment",
    "set_plan",
    "settle",
    "standing",
    "supervisor_draw",
    "window_closes",
]
