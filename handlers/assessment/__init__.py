"""Assessment in chat (issue 12): the drawn scorer's assignment and score sheet (`scorer`),
the teaching lecturers' coaching list (`coaching`), and the progress views of teachers,
institution staff and supervisors (`progress`). Each answer is a use case in
bot/services/assessment/; reasons, comments and notes go through handlers/reasons.py."""

from __future__ import annotations

from aiogram import Router

from handlers.assessment import coaching, progress, scorer

REASONS = {**scorer.REASONS, **coaching.REASONS}


def create_router() -> Router:
    router = Router(name=__name__)
    router.include_routers(
        scorer.create_router(), coaching.create_router(), progress.create_router()
    )
    return router
