"""Feature routers, in the order they are tried: specific first, catch-alls last."""

from aiogram import Router

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
