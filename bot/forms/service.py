"""Drafts and submissions in the store, for the generic runner and the features that use it.

One form is active per person; starting another pauses it. Submitting is idempotent: a draft
becomes one submission, whatever is pressed twice or delivered again.
"""

from __future__ import annotations

import json
from collections.abc import Awaitable, Callable
from dataclasses import dataclass, field
from datetime import date, datetime
from typing import Any

from aiogram import Bot
from sqlalchemy import bindparam
from sqlmodel import col, select, update
from sqlmodel.ext.asyncio.session import AsyncSession

from bot.config import Settings
from bot.domain.forms import DraftStatus, subject_of
from bot.forms.registry import form, known
from bot.forms.runner import FormRun
from bot.forms.schema import Question, QuestionType
from bot.i18n import I18n
from bot.services.actor import Actor, grants_of
from storage.models import FormAnswer, FormDraft, FormSubmission, Person

ACTIVE, PAUSED = DraftStatus.ACTIVE, DraftStatus.PAUSED
SUBMITTED, CANCELLED = DraftStatus.SUBMITTED, DraftStatus.CANCELLED
"""Kept for callers that name them from here; new code uses `DraftStatus`."""


@dataclass
class Submitted:
    """What a feature hook gets when one of its forms is submitted."""

    session: AsyncSession
    person: Person
    submission: FormSubmission
    first_time: bool
    bot: Bot
    i18n: I18n
    settings: Settings
    now: datetime
    """The product's clock at submitting (tests move it)."""

    async def actor(self) -> Actor:
        """The person who submitted, as the use cases take them (their grants read now)."""
        grants = await grants_of(self.session, self.person.id)
        return Actor.of(self.person.id, grants, self.person.locale, self.now)


SubmitHook = Callable[[Submitted], Awaitable[list["FormStart"] | None]]


@dataclass
class FormHooks:
    """What happens after each form is submitted (e.g. screening after registration). Built
    with the Dispatcher from each feature's `form_hooks` and injected as `form_hooks`, so two
    Dispatchers in one process share nothing and a test can build one with a subset."""

    hooks: dict[str, SubmitHook] = field(default_factory=dict)
    announced: set[str] = field(default_factory=set)
    """Forms whose hook tells the person the outcome itself (e.g. "counted" or "too late"), so
    the runner's generic "submitted" would only contradict it."""
    by_context: dict[str, SubmitHook] = field(default_factory=dict)
    """Hooks for any form started with a value in its context (a campaign's `campaign_id`):
    they run instead of the form's own hook."""

    def add_for_context(self, name: str, hook: SubmitHook) -> None:
        self.by_context[name] = hook

    def add(self, form_id: str, hook: SubmitHook, *, announces: bool = False) -> None:
        """`announces`: the hook, not the runner, tells the person their submission's outcome."""
        if form_id in self.hooks:
            raise ValueError(f"form {form_id!r} already has a submit hook")
        self.hooks[form_id] = hook
        if announces:
            self.announced.add(form_id)

    def of(self, form_id: str, context: dict[str, Any] | None = None) -> SubmitHook | None:
        for name, hook in self.by_context.items():
            if context and name in context:
                return hook
        return self.hooks.get(form_id)

    def announces(self, form_id: str) -> bool:
        return form_id in self.announced


@dataclass(frozen=True)
class FormStart:
    """A form a hook wants the person to fill next."""

    form_id: str
    context: dict[str, Any]


_ACTIVE_DRAFT = select(FormDraft).where(
    FormDraft.person_id == bindparam("person_id"), FormDraft.status == DraftStatus.ACTIVE
)


async def active_draft(session: AsyncSession, person_id: int) -> FormDraft | None:
    """Asked on every message while a form is open, so the query is built once."""
    return (await session.exec(_ACTIVE_DRAFT, params={"person_id": person_id})).first()


async def paused_drafts(session: AsyncSession, person_id: int) -> list[FormDraft]:
    query = (
        select(FormDraft)
        .where(FormDraft.person_id == person_id, FormDraft.status == DraftStatus.PAUSED)
        .order_by(col(FormDraft.updated_at).desc())
    )
    return list((await session.exec(query)).all())


async def draft(session: AsyncSession, draft_id: int, person_id: int) -> FormDraft | None:
    found = await session.get(FormDraft, draft_id)
    return found if found is not None and found.person_id == person_id else None


async def start(
    session: AsyncSession,
    person_id: int,
    form_id: str,
    context: dict[str, Any],
    answers: dict[str, Any] | None = None,
    revises_id: int | None = None,
    *,
    now: datetime,
) -> FormDraft:
    """A new active draft; any other active draft of the person is paused (kept). `now` is
    the product's clock: the runner's idle check compares it with `updated_at`."""
    await session.exec(
        update(FormDraft)
        .where(col(FormDraft.person_id) == person_id, col(FormDraft.status) == DraftStatus.ACTIVE)
        .values(status=DraftStatus.PAUSED, updated_at=now)
    )
    definition = form(form_id)
    created = FormDraft(
        person_id=person_id,
        form_id=form_id,
        form_version=definition.version,
        context=context,
        answers=answers or {},
        revises_id=revises_id,
        reviewing=bool(answers),
        created_at=now,
        updated_at=now,
    )
    session.add(created)
    await session.flush()
    return created


async def resume(session: AsyncSession, chosen: FormDraft, now: datetime) -> None:
    await session.exec(
        update(FormDraft)
        .where(
            col(FormDraft.person_id) == chosen.person_id,
            col(FormDraft.status) == DraftStatus.ACTIVE,
        )
        .values(status=DraftStatus.PAUSED, updated_at=now)
    )
    chosen.status = DraftStatus.ACTIVE
    touch(chosen, now)


def touch(changed: FormDraft, now: datetime) -> None:
    """Mark JSON fields as changed (they are replaced, never mutated in place) and the time
    on the product's clock."""
    changed.answers = dict(changed.answers)
    changed.pending = list(changed.pending)
    changed.updated_at = now


async def latest_submission(
    session: AsyncSession, person_id: int, form_id: str
) -> FormSubmission | None:
    query = select(FormSubmission).where(
        FormSubmission.person_id == person_id,
        FormSubmission.form_id == form_id,
        col(FormSubmission.current),
    )
    return (await session.exec(query)).first()


async def editable_submissions(session: AsyncSession, person_id: int) -> list[FormSubmission]:
    """The person's current submissions of forms that allow editing after submitting."""
    query = (
        select(FormSubmission)
        .where(FormSubmission.person_id == person_id, col(FormSubmission.current))
        .order_by(FormSubmission.id)
    )
    rows = (await session.exec(query)).all()
    return [row for row in rows if known(row.form_id) and form(row.form_id).editable]


async def submission(session: AsyncSession, submission_id: int) -> FormSubmission | None:
    return await session.get(FormSubmission, submission_id)


async def submission_of(session: AsyncSession, draft_id: int) -> FormSubmission | None:
    query = select(FormSubmission).where(FormSubmission.draft_id == draft_id)
    return (await session.exec(query)).first()


async def submit(
    session: AsyncSession, filled: FormDraft, person: Person, now: datetime, today: date
) -> tuple[FormSubmission, bool]:
    """Record the draft as a submission once; (submission, True) only the first time. A draft
    filled for someone else (`FOR_PERSON`) is their submission, superseding theirs."""
    existing = await submission_of(session, filled.id)
    if existing is not None:
        return existing, False
    definition = form(filled.form_id)
    answers = FormRun(definition, filled.answers, today, filled.context).final_answers()
    subject = subject_of(filled.context, person.id)
    previous = await latest_submission(session, subject, filled.form_id)
    if previous is not None:
        previous.current = False
    submission = FormSubmission(
        draft_id=filled.id,
        person_id=subject,
        form_id=filled.form_id,
        form_version=filled.form_version,
        context=filled.context,
        answers=answers,
        supersedes_id=previous.id if previous else None,
        submitted_by=person.id,
        submitted_at=now,
    )
    session.add(submission)
    filled.status = DraftStatus.SUBMITTED
    touch(filled, now)
    await session.flush()
    types = {question.id: question.type for question in _all_questions(filled.form_id)}
    for key, value in answers.items():
        for row in _typed_rows(key, _kind(key, types), value):
            session.add(FormAnswer(submission_id=submission.id, form_id=filled.form_id, **row))
    return submission, True


def _all_questions(form_id: str) -> list[Question]:
    questions = []
    for question in form(form_id).questions():
        questions.append(question)
        questions.extend(question.questions)
    return questions


DERIVED_KINDS = {
    "birth_date": QuestionType.DATE,
    "age": QuestionType.INTEGER,
    "gender": QuestionType.SINGLE,
    "province": QuestionType.SINGLE,
    "city": QuestionType.SINGLE,
}
CHOICE_KINDS = {QuestionType.SINGLE, QuestionType.REGION}
FLAG_KINDS = {QuestionType.YES_NO, QuestionType.ACKNOWLEDGEMENT}
NUMBER_KINDS = {QuestionType.INTEGER, QuestionType.DECIMAL, QuestionType.RATING, QuestionType.SCALE}


def _kind(key: str, types: dict[str, QuestionType]) -> QuestionType | None:
    head, _, name = key.rpartition(".")
    if name.isdigit() and head in types:
        return types[head]
    if name in types:
        return types[name]
    for suffix, kind in DERIVED_KINDS.items():
        if name.removesuffix(f"_{suffix}") in types and name.endswith(f"_{suffix}"):
            return kind
    return None


def _typed_rows(key: str, kind: QuestionType | None, value: Any) -> list[dict[str, Any]]:
    """Answer rows that statistics can count by question and choice without parsing text."""
    if value is None:
        return []
    base: dict[str, Any] = {"question_id": key}
    if kind is QuestionType.MULTIPLE:
        return [{**base, "choice": choice} for choice in value]
    if kind in CHOICE_KINDS:
        return [{**base, "choice": str(value)}]
    if kind in FLAG_KINDS or isinstance(value, bool):
        return [{**base, "flag": bool(value)}]
    if kind in NUMBER_KINDS or isinstance(value, int | float):
        return [{**base, "number": float(value)}]
    if kind is QuestionType.DATE:
        return [{**base, "day": date.fromisoformat(value)}]
    if isinstance(value, str):
        return [{**base, "text": value}]
    return [{**base, "text": json.dumps(value, ensure_ascii=False, sort_keys=True)}]
