"""Filling forms: start, resume, pause or start over a draft, answer, go back, skip, change an
answer from the review screen, submit, and revise a submitted form.

Every use case takes the `Actor` (whose `now` is the product's clock) and the time zone their
"today" is read in, loads the draft or raises, changes it in the unit of work and returns a
`Screen`: what the person should see next (the question or the review screen, with an accepted
answer to echo, a problem to explain, or a short notice for the button pressed). The adapter
renders it (handlers/forms/, views in bot/views/forms.py); tests/services/test_forms.py calls
these with no bot.

A draft is its person's own, whatever their roles (a newcomer fills the registration before any
role is granted), so the rule is ownership: another person's draft is refused as stale, exactly
like a draft that is gone.
"""

from __future__ import annotations

import re
from dataclasses import dataclass, field
from datetime import date, datetime, timedelta, tzinfo
from typing import Any

from sqlmodel.ext.asyncio.session import AsyncSession

from bot.domain.forms import DraftStatus, month_shown
from bot.forms import regions
from bot.forms import service as store
from bot.forms.answers import (
    SEARCH,
    FileRef,
    Input,
    Problem,
    Rejected,
    check_required,
    derived,
    parse,
)
from bot.forms.registry import form
from bot.forms.runner import FormRun, Slot
from bot.forms.schema import Question, QuestionType
from bot.services.actor import Actor
from bot.services.errors import Stale
from storage import repo
from storage.models import FormDraft, FormSubmission, Person

IDLE_BEFORE_OFFER = timedelta(hours=1)
"""A message this long after the last answer is greeted with the question, not taken as an
answer: days later, "你好" is not the answer to whatever was asked."""

CHOICE_TYPES = frozenset(
    {
        QuestionType.SINGLE,
        QuestionType.YES_NO,
        QuestionType.RATING,
        QuestionType.SCALE,
        QuestionType.ACKNOWLEDGEMENT,
    }
)
"""Answered with buttons only (a date may be typed as well)."""
FILE_TYPES = frozenset({QuestionType.PHOTO, QuestionType.FILE})


def today_in(tz: tzinfo, now: datetime) -> date:
    """The programme's local date at `now` (the product's clock, never the machine's)."""
    return now.astimezone(tz).date()


class Filling:
    """One draft with its run at the actor's today: where the person is and what applies."""

    def __init__(self, draft: FormDraft, now: datetime, tz: tzinfo) -> None:
        self.draft, self.now = draft, now
        self.today = today_in(tz, now)
        self.run = self._run()

    def _run(self) -> FormRun:
        return FormRun(form(self.draft.form_id), self.draft.answers, self.today, self.draft.context)

    @property
    def title(self) -> Any:
        return form(self.draft.form_id).title

    @property
    def slot(self) -> Slot | None:
        """The question being asked; None on the review screen."""
        return None if self.draft.reviewing else self.run.slot(self.draft.position)

    def index_of(self, slot: Slot | None) -> int:
        keys = [candidate.key for candidate in self.run.asked]
        return keys.index(slot.key) if slot is not None and slot.key in keys else -1

    def settle(self) -> Slot | None:
        """The question to ask now, or None for the review screen when nothing is left."""
        slot = self.slot
        if slot is None and not self.draft.reviewing:
            slot = self.run.next_open()
            if slot is None:
                self.draft.reviewing = True
            else:
                self.draft.position = slot.key
        store.touch(self.draft, self.now)
        return slot

    def advance(self, after: str) -> None:
        self.run = self._run()
        following = self.run.next_open(after=after)
        self.draft.position = following.key if following else None
        self.draft.reviewing = following is None

    def accept(self, slot: Slot, given: Input) -> Screen:
        """Parse and store an answer, then move on; a wrong answer is explained, asked again."""
        try:
            value = parse(slot.question, given, answers=self.run.answers, today=self.today)
            check_required(slot.question, value)
        except Rejected as rejected:
            if rejected.problem.key == "region_ambiguous" and given.text:
                self.draft.pending = [SEARCH + given.text.strip()]
            return Screen(self, problem=rejected.problem)
        answers = dict(self.draft.answers)
        answers[slot.key] = value
        prefix = f"{slot.group}.{slot.index}." if slot.group else ""
        for name, extra in derived(slot.question, value, self.today).items():
            answers[prefix + name] = extra
        self.draft.answers = answers
        self.draft.pending = []
        self.advance(slot.key)
        return Screen(self, saved=(slot.question, value))


@dataclass
class Screen:
    """What the person sees next: the current question (or the review screen) unless `show` is
    False; before it, the accepted answer (`saved`) or why the input was not one (`problem`).
    `notice` answers the button pressed (a message key, shown as a toast or, with `alert`, a
    pop-up); `redraw` edits the pressed message in place instead of sending a new one."""

    filling: Filling
    show: bool = True
    redraw: bool = False
    saved: tuple[Question, Any] | None = None
    problem: Problem | None = None
    notice: str | None = None
    notice_params: dict[str, Any] = field(default_factory=dict)
    alert: bool = False
    hide_input: bool = False
    """The message answered with an ID or mobile number, to delete from the chat (S-53)."""
    typed: bool = False
    """The answer was typed (a district name, say): echo what it was read as."""

    def __post_init__(self) -> None:
        if self.show:  # the draft says what is asked now, whether or not it is rendered
            self.filling.settle()

    @property
    def draft(self) -> FormDraft:
        return self.filling.draft


@dataclass(frozen=True)
class Started:
    """A draft begun (or begun again): its first screen, and the form it paused, if any."""

    screen: Screen
    paused: FormDraft | None = None


@dataclass(frozen=True)
class Offer:
    """An unfinished draft to offer: how many of the questions that apply are answered."""

    draft: FormDraft
    answered: int
    total: int


@dataclass(frozen=True)
class Done:
    """A draft submitted: the submission, and whether this press recorded it (a second press or
    a re-delivered update finds the first)."""

    draft: FormDraft
    submission: FormSubmission
    first_time: bool


# --- loading -----------------------------------------------------------------------------------


async def _own(session: AsyncSession, actor: Actor, draft_id: int) -> FormDraft:
    """The actor's draft; Stale when it is gone or another person's."""
    found = await store.draft(session, draft_id, actor.person_id)
    if found is None:
        raise Stale("forms.stale")
    return found


async def _open(session: AsyncSession, actor: Actor, draft_id: int) -> FormDraft:
    """A draft that may still be filled (active or paused); Stale naming the form when it was
    submitted meanwhile."""
    found = await _own(session, actor, draft_id)
    if found.status == DraftStatus.CANCELLED:
        raise Stale("forms.stale")
    if found.status == DraftStatus.SUBMITTED:
        raise Stale("forms.already_submitted", title=form(found.form_id).title(actor.locale))
    return found


async def _active(session: AsyncSession, actor: Actor, draft_id: int) -> FormDraft:
    found = await _open(session, actor, draft_id)
    if found.status != DraftStatus.ACTIVE:
        raise Stale("forms.stale")
    return found


async def _asked(
    session: AsyncSession, actor: Actor, draft_id: int, index: int, tz: tzinfo
) -> tuple[Filling, Screen | None]:
    """The active draft when the button belongs to the question asked now; otherwise the
    current screen again, with a "stale" notice, for the adapter to show."""
    filling = Filling(await _active(session, actor, draft_id), actor.now, tz)
    if filling.slot is None or filling.index_of(filling.slot) != index:
        return filling, Screen(filling, notice="forms.stale")
    return filling, None


# --- starting, pausing, resuming ---------------------------------------------------------------


async def start(
    session: AsyncSession,
    actor: Actor,
    form_id: str,
    context: dict[str, Any],
    tz: tzinfo,
    *,
    answers: dict[str, Any] | None = None,
    revises_id: int | None = None,
) -> Started:
    """Start a form for the actor; the form they were filling is paused (kept)."""
    paused = await store.active_draft(session, actor.person_id)
    draft = await store.start(
        session,
        actor.person_id,
        form_id,
        context,
        answers=answers,
        revises_id=revises_id,
        now=actor.now,
    )
    return Started(Screen(Filling(draft, actor.now, tz)), paused)


async def current(session: AsyncSession, actor: Actor, tz: tzinfo) -> Screen | None:
    """The actor's active draft at its current question, if they are filling one."""
    draft = await store.active_draft(session, actor.person_id)
    return Screen(Filling(draft, actor.now, tz)) if draft is not None else None


async def offer(session: AsyncSession, actor: Actor, tz: tzinfo) -> Offer | None:
    """The actor's unfinished form (the active one, else the latest paused), if any."""
    draft = await store.active_draft(session, actor.person_id)
    if draft is None:
        paused = await store.paused_drafts(session, actor.person_id)
        draft = paused[0] if paused else None
    if draft is None:
        return None
    run = Filling(draft, actor.now, tz).run
    answered = sum(1 for slot in run.asked if slot.key in run.answers)
    return Offer(draft, answered, len(run.asked))


def pause(draft: FormDraft, actor: Actor) -> FormDraft:
    """Stop filling for now; every answer stays in the draft for later."""
    draft.status = DraftStatus.PAUSED
    store.touch(draft, actor.now)
    return draft


async def pause_draft(session: AsyncSession, actor: Actor, draft_id: int) -> FormDraft:
    return pause(await _open(session, actor, draft_id), actor)


async def resume(session: AsyncSession, actor: Actor, draft_id: int, tz: tzinfo) -> Screen:
    """Make a paused (or the active) draft the one being filled, at the same question."""
    draft = await _open(session, actor, draft_id)
    await store.resume(session, draft, actor.now)
    return Screen(Filling(draft, actor.now, tz))


async def restart(session: AsyncSession, actor: Actor, draft_id: int, tz: tzinfo) -> Started:
    """Start over: the draft is cancelled and a fresh one of the same form begins."""
    draft = await _open(session, actor, draft_id)
    draft.status = DraftStatus.CANCELLED
    store.touch(draft, actor.now)
    return await start(session, actor, draft.form_id, draft.context, tz)


# --- answering ---------------------------------------------------------------------------------


async def answer(
    session: AsyncSession, actor: Actor, draft: FormDraft, given: Input, tz: tzinfo
) -> Screen:
    """A message sent while the draft is active: the answer to the current question."""
    filling = Filling(draft, actor.now, tz)
    slot = filling.slot
    if slot is None or draft.updated_at < actor.now - IDLE_BEFORE_OFFER:
        return Screen(filling)
    kind = slot.question.type
    hide = slot.question.personal and bool(given.text or given.contact_phone)
    if kind in FILE_TYPES and given.files:
        screen = _collect_files(filling, slot, given)
    elif kind in CHOICE_TYPES and given.text is None:
        screen = Screen(filling, problem=Problem("choice_buttons"))
    elif kind is QuestionType.NOTE:
        screen = Screen(filling, problem=Problem("press_next"))
    else:
        screen = filling.accept(slot, given)
    screen.hide_input = hide
    screen.typed = given.text is not None
    return screen


def _collect_files(filling: Filling, slot: Slot, given: Input) -> Screen:
    """Files count as one answer (an album too): collect them until the limit or Done."""
    pending = [*filling.draft.pending, *(file.as_dict() for file in given.files)]
    question = slot.question
    if len(pending) >= question.max_files:
        files = tuple(FileRef(**item) for item in pending[: question.max_files])
        return filling.accept(slot, Input(files=files))
    try:
        parse(
            question,
            Input(files=tuple(FileRef(**item) for item in pending)),
            answers=filling.run.answers,
            today=filling.today,
        )
    except Rejected as rejected:
        return Screen(filling, problem=rejected.problem)
    filling.draft.pending = pending
    return Screen(filling)


async def pick(
    session: AsyncSession, actor: Actor, draft_id: int, index: int, value: str, tz: tzinfo
) -> Screen:
    """A choice button: the answer, or a step inside the question (a multiple-choice toggle,
    a province or city on the way to a district), redrawn in place."""
    filling, stale = await _asked(session, actor, draft_id, index, tz)
    if stale is not None:
        return stale
    slot, draft = filling.slot, filling.draft
    kind = slot.question.type
    if kind is QuestionType.MULTIPLE:
        chosen = list(draft.pending)
        most = slot.question.max_selected
        if value not in chosen and most is not None and len(chosen) >= most:
            return Screen(
                filling,
                show=False,
                notice="forms.problem",
                notice_params={"key": "select_at_most", "params": {"max": most}},
                alert=True,
            )
        chosen.remove(value) if value in chosen else chosen.append(value)
        draft.pending = [c.value for c in slot.question.choices if c.value in chosen]
        return Screen(filling, redraw=True)
    if kind is QuestionType.REGION and (value == "root" or _not_district(value)):
        draft.pending = [] if value == "root" else [value]
        return Screen(filling, redraw=True)
    return filling.accept(slot, Input(choice=value))


_MONTH = re.compile(r"[0-9]{4}-(0[1-9]|1[0-2])")


def _not_district(code: str) -> bool:
    found = regions.region(code)
    return found is not None and found.level != "district"


async def turn_month(
    session: AsyncSession, actor: Actor, draft_id: int, index: int, month: str, tz: tzinfo
) -> Screen:
    """The calendar turned to `month` (YYYY-MM); nothing to redraw when it is shown already
    (the month label, the weekday header and blank days press that)."""
    if not _MONTH.fullmatch(month) or month.startswith("0000"):
        raise Stale("forms.stale")
    filling, stale = await _asked(session, actor, draft_id, index, tz)
    if stale is not None:
        return stale
    current = filling.run.answers.get(filling.slot.key)
    if month == month_shown(filling.draft.pending, current, filling.today.isoformat()):
        return Screen(filling, show=False)
    filling.draft.pending = [month]
    return Screen(filling, redraw=True)


async def back(
    session: AsyncSession, actor: Actor, draft_id: int, index: int, tz: tzinfo
) -> Screen:
    filling, stale = await _asked(session, actor, draft_id, index, tz)
    if stale is not None:
        return stale
    previous = filling.run.previous(filling.slot.key)
    if previous is not None:
        filling.draft.position = previous.key
        filling.draft.pending = _ticked(previous, filling.run.answers)
    return Screen(filling)


def _ticked(slot: Slot, answers: dict[str, Any]) -> list[Any]:
    """Asked again, a multiple choice starts from the choices made (Done keeps them)."""
    value = answers.get(slot.key)
    multiple = slot.question.type is QuestionType.MULTIPLE
    return list(value) if multiple and isinstance(value, list) else []


async def skip(
    session: AsyncSession, actor: Actor, draft_id: int, index: int, tz: tzinfo
) -> Screen:
    """Leave an optional question unanswered; a required one says so and stays."""
    filling, stale = await _asked(session, actor, draft_id, index, tz)
    if stale is not None:
        return stale
    slot = filling.slot
    if slot.question.required:
        return Screen(
            filling,
            show=False,
            notice="forms.problem",
            notice_params={"key": "required", "params": {}},
            alert=True,
        )
    filling.draft.answers = {**filling.draft.answers, slot.key: None}
    filling.draft.pending = []
    filling.advance(slot.key)
    return Screen(filling)


async def keep(
    session: AsyncSession, actor: Actor, draft_id: int, index: int, tz: tzinfo
) -> Screen:
    """Asked again (Back, or ✏️ on the review screen): the current answer stays, move on."""
    filling, stale = await _asked(session, actor, draft_id, index, tz)
    if stale is not None:
        return stale
    slot = filling.slot
    if slot.key not in filling.draft.answers:
        return Screen(filling, show=False, notice="forms.stale")
    filling.draft.pending = []
    filling.advance(slot.key)
    return Screen(filling)


async def note_read(
    session: AsyncSession, actor: Actor, draft_id: int, index: int, tz: tzinfo
) -> Screen:
    filling, stale = await _asked(session, actor, draft_id, index, tz)
    if stale is not None:
        return stale
    slot = filling.slot
    if slot.question.type is not QuestionType.NOTE:
        return Screen(filling, show=False, notice="forms.stale")
    filling.draft.answers = {**filling.draft.answers, slot.key: True}
    filling.advance(slot.key)
    return Screen(filling)


async def done(
    session: AsyncSession, actor: Actor, draft_id: int, index: int, tz: tzinfo
) -> Screen:
    """The choices toggled, or the files sent so far, are the answer."""
    filling, stale = await _asked(session, actor, draft_id, index, tz)
    if stale is not None:
        return stale
    slot, pending = filling.slot, filling.draft.pending
    if slot.question.type is QuestionType.MULTIPLE:
        given = Input(choice=",".join(pending))
    elif slot.question.type in FILE_TYPES:
        given = Input(files=tuple(FileRef(**item) for item in pending))
    else:
        return Screen(filling, show=False, notice="forms.stale")
    return filling.accept(slot, given)


# --- review, submit, revise --------------------------------------------------------------------


async def edit_answer(
    session: AsyncSession, actor: Actor, draft_id: int, index: int, tz: tzinfo
) -> Screen:
    """From the review screen, ask question number `index` (among those that apply) again."""
    filling = Filling(await _active(session, actor, draft_id), actor.now, tz)
    draft = filling.draft
    if draft.reviewing and 0 <= index < len(filling.run.asked):
        slot = filling.run.asked[index]
        draft.reviewing, draft.pending = False, _ticked(slot, filling.run.answers)
        draft.position = slot.key
    return Screen(filling)


async def submit(session: AsyncSession, actor: Actor, draft_id: int, tz: tzinfo) -> Done | Screen:
    """Record the reviewed draft as one submission (audited); a draft with a question still
    open goes back to it instead."""
    filling = Filling(await _active(session, actor, draft_id), actor.now, tz)
    return await submit_filling(session, actor, filling)


async def submit_filling(session: AsyncSession, actor: Actor, filling: Filling) -> Done | Screen:
    draft = filling.draft
    missing = filling.run.next_open()
    if not draft.reviewing or missing is not None:
        draft.reviewing = False
        draft.position = missing.key if missing else None
        return Screen(filling)
    person = await session.get(Person, actor.person_id)
    submission, first = await store.submit(session, draft, person, actor.now, filling.today)
    await repo.audit(
        session,
        "form.submitted",
        actor_id=actor.person_id,
        subject_id=submission.person_id,
        object_type="form_submission",
        object_id=submission.id,
        form=draft.form_id,
        supersedes=submission.supersedes_id,
    )
    return Done(draft, submission, first)


async def editable(session: AsyncSession, actor: Actor) -> list[FormSubmission]:
    """The actor's submitted forms whose definition lets them be changed (`/forms`)."""
    return await store.editable_submissions(session, actor.person_id)


async def revise(session: AsyncSession, actor: Actor, submission_id: int, tz: tzinfo) -> Started:
    """A new draft holding a submission's answers, at its review screen; submitting it makes a
    new version that supersedes the earlier (which is kept). Stale unless the submission is the
    actor's current one of an editable form."""
    submitted = await store.submission(session, submission_id)
    if (
        submitted is None
        or submitted.person_id != actor.person_id
        or not submitted.current
        or not form(submitted.form_id).editable
    ):
        raise Stale("forms.stale")
    return await start(
        session,
        actor,
        submitted.form_id,
        submitted.context,
        tz,
        answers=submitted.answers,
        revises_id=submitted.id,
    )
