"""The generic form runner: one flow that walks any form definition, one question at a time.

The active draft in the store is the whole state: every accepted answer is saved in the
update's unit of work, so a restart or a pause loses nothing and resumes at the same question.
The use cases are in bot/services/forms.py, the views in bot/views/forms.py; this package is
their chat adapter, split by concern: `screens` (showing a screen; the entry points other
features call), `answer` (answers: messages, choices, the calendar; the message catch-all),
`navigation` (Back, Skip, Next, Done, Pause, Continue, Start over), `review` (change an answer,
submit, `/forms`).
"""

from aiogram import Router

from handlers.forms import answer, navigation, review
from handlers.forms.screens import Runner, begin, offer_resume, pause, today_in

__all__ = ["Runner", "begin", "create_router", "offer_resume", "pause", "today_in"]


def create_router() -> Router:
    """The runner's routers; `answer` last, as its messages are whatever else is typed."""
    router = Router(name=__name__)
    router.include_routers(
        navigation.create_router(), review.create_router(), answer.create_router()
    )
    return router
