"""Feature routers, in the order they are tried: specific first, catch-alls last."""

from aiogram import Router

from bot.forms.service import FormHooks
from handlers import (
    basics,
    checkin,
    classes,
    enrolment,
    errors,
    fallback,
    feedback,
    feedback_views,
    forms,
    intake,
    invites,
    language,
    leave,
    refusals,
    start,
    teachers,
    todo,
)

FEATURES = (
    refusals,
    errors,
    start,
    basics,
    language,
    invites,
    intake,
    teachers,
    classes,
    leave,
    todo,
    enrolment,
    checkin,
    feedback,
    feedback_views,
    forms,
    fallback,
)


def routers() -> list[Router]:
    """Fresh routers for one Dispatcher (a router can belong to one Dispatcher only)."""
    return [feature.create_router() for feature in FEATURES]


def form_hooks() -> FormHooks:
    """Fresh submit hooks for one Dispatcher, from every feature that has forms."""
    hooks = FormHooks()
    for feature in FEATURES:
        register = getattr(feature, "form_hooks", None)
        if register is not None:
            register(hooks)
    return hooks
