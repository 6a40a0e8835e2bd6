"""What a submitted class form and equipment checklist do: the form hooks call the use cases
(bot/services/classes.py) and show the class card. A form is answered over many updates, so
a class that can no longer be changed is told in words here, and the submission is kept."""

from __future__ import annotations

from bot.domain.classes import ClassDetails, ClassStatus, equipment_ready
from bot.forms.registry import form
from bot.forms.service import Submitted
from bot.policy import Action
from bot.services import classes as prepare
from bot.services.errors import Refusal, Stale
from bot.views.classes import board
from handlers.refusals import wording
from storage.models import TrainingClass


async def _show(done: Submitted, found: TrainingClass) -> None:
    text, markup = await board(done.session, found, done.i18n, done.now)
    await done.bot.send_message(done.person.tg_user_id, text, reply_markup=markup)


async def _tell(done: Submitted, text: str) -> None:
    await done.bot.send_message(done.person.tg_user_id, text)


async def class_submitted(done: Submitted) -> None:
    """A new class, or new basic data for one being prepared. Moving the start date moves the
    timetable with it."""
    if not done.first_time:
        return
    actor = await done.actor()
    context = done.submission.context
    details = ClassDetails.from_answers(done.submission.answers)
    class_id = context.get("class_id")
    if class_id is None:
        try:
            found = await prepare.create_class(
                done.session,
                actor,
                context["institution_id"],
                details,
                timezone=done.settings.timezone,
            )
        except Refusal:
            await _tell(done, done.i18n("classes.not_found"))
            return
    else:
        try:
            found = await prepare.edit_class(done.session, actor, class_id, details)
        except Stale as refusal:
            await _tell(done, wording(done.i18n, refusal))
            return
        except Refusal:
            await _tell(done, done.i18n("classes.not_editable", status=ClassStatus.CLOSED))
            return
    await _show(done, found)


async def equipment_submitted(done: Submitted) -> None:
    """Every required item answered yes (the form refuses a no there; the advisory network
    speed may be no, with a warning): the checklist is confirmed (T4)."""
    if not done.first_time:
        return
    actor = await done.actor()
    class_id = done.submission.context["class_id"]
    found = await prepare.preparing_or_none(done.session, actor, Action.CLASS_EQUIPMENT, class_id)
    if found is None:
        await _tell(done, done.i18n("classes.not_found"))
        return
    required = [q.id for q in form(done.submission.form_id).questions() if q.constraint]
    if not equipment_ready(done.submission.answers, required):
        return
    found = await prepare.confirm_equipment(done.session, actor, class_id, done.submission.id)
    await _show(done, found)
