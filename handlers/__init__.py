"""Feature routers, in the order they are tried: specific first, catch-alls last."""

from aiogram import Router

from bot.forms.service import FormHooks
from handlers import (
    assessment,
    basics,
    campaign_replies,
    campaigns,
    checkin,
    classes,
    console,
    enrolment,
    errors,
    fallback,
    feedback,
    feedback_views,
    finding,
    followup,
    forms,
    intake,
    invites,
    issuing,
    language,
    leave,
    personal_data,
    reasons,
    refusals,
    reports,
    services,
    start,
    stats,
    submissions,
    support,
    teachers,
    todo,
)

FEATURES = (
    refusals,
    errors,
    reasons,
    issuing,
    start,
    finding,
    basics,
    language,
    invites,
    intake,
    teachers,
    classes,
    leave,
    todo,
    personal_data,
    console,
    assessment,
    enrolment,
    checkin,
    feedback,
    feedback_views,
    stats,
    submissions,
    reports,
    support,
    services,
    campaigns,
    campaign_replies,
    followup,
    forms,
    fallback,
)


DECIDING = (intake, teachers, classes, leave, assessment, personal_data, issuing)
"""Features whose decisions ask a reason: each names what to call with it (`REASONS`)."""


def routers() -> list[Router]:
    """Fresh routers for one Dispatcher (a router can belong to one Dispatcher only)."""
    finishers = {purpose: finish for f in DECIDING for purpose, finish in f.REASONS.items()}
    return [
        reasons.create_router(finishers) if feature is reasons else feature.create_router()
        for feature in FEATURES
    ]


def form_hooks() -> FormHooks:
    """Fresh submit hooks for one Dispatcher, from every feature that has forms."""
    hooks = FormHooks()
    for feature in FEATURES:
        register = getattr(feature, "form_hooks", None)
        if register is not None:
            register(hooks)
    return hooks
