"""Personal-data requests (S-53, PIPL): a person's export of everything stored about them, and
their erasure, asked by them and confirmed or refused by their region's supervisor (or an
admin) in /todo.

The export and the erasure walk the store's registries (storage/personal_data.py: one entry per
table); what an erasure keeps of an answer is `bot.domain.personal_data.keeps`. The web chat
(it stands in for Telegram's servers) is the `ChatHistory`, when the product runs it: its
history is exported and erased with the rest.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any, Protocol

from sqlmodel.ext.asyncio.session import AsyncSession

from bot import notifier
from bot.config import Settings
from bot.domain.personal_data import RequestEvent, RequestStatus, keeps
from bot.forms.registry import form
from bot.forms.schema import DERIVED, FormDefinition, Question, QuestionType
from bot.i18n import I18n
from bot.policy import Action, Target, require
from bot.services import recipients
from bot.services.actor import Actor
from bot.services.errors import NotFound, Stale
from bot.services.outcomes import Decided
from bot.views.forms import display
from bot.views.personal_data import request_card
from storage import personal_data as store
from storage import repo
from storage.models import Person, PersonalDataRequest

CARD = "erase"
"""Key prefix of a request's cards (`erase:{id}:...`), closed once decided."""


class ChatHistory(Protocol):
    """The web chat's history of a chat (bot/webchat/store.py)."""

    async def chat_history(self, chat_id: int) -> list[dict[str, Any]]: ...

    async def erase_chat(self, chat_id: int, strings: list[str]) -> dict[str, int]: ...


@dataclass(frozen=True)
class Answer:
    form_id: str
    form_title: str
    submission_id: int
    submitted_at: str
    current: bool
    question: str
    value: str


@dataclass(frozen=True)
class Export:
    """Everything stored about one person: table → rows, their form answers under their
    questions' labels, and their web chat history."""

    tables: dict[str, list[dict[str, Any]]]
    answers: list[Answer] = field(default_factory=list)
    chat: list[dict[str, Any]] = field(default_factory=list)


def _definition(form_id: str) -> FormDefinition | None:
    try:
        return form(form_id)
    except KeyError:
        return None


def _questions(definition: FormDefinition | None) -> dict[str, Question]:
    if definition is None:
        return {}
    found = {}
    for question in definition.questions():
        found[question.id] = question
        for child in question.questions:
            found[child.id] = child
    return found


def _question(key: str, questions: dict[str, Question]) -> tuple[Question | None, str | None]:
    """The question an answer key belongs to, and the derived suffix when it is one
    (`id_number_birth_date`), or the item of a repeat (`products.0`)."""
    head, _, name = key.rpartition(".")
    if name in questions:
        return questions[name], None
    if name.isdigit() and head in questions:
        return questions[head], None
    for question in questions.values():
        for suffix in DERIVED.get(question.type, ()):
            if name == f"{question.id}_{suffix}":
                return question, suffix
    return None, None


DERIVED_TYPES = {
    "birth_date": QuestionType.DATE,
    "age": QuestionType.INTEGER,
    "gender": QuestionType.SINGLE,
    "province": QuestionType.SINGLE,
    "city": QuestionType.SINGLE,
}


def kind_of(form_id: str, key: str) -> QuestionType | None:
    """The type of an answer's question (a derived answer's own type), None when unknown."""
    question, suffix = _question(key, _questions(_definition(form_id)))
    if question is None:
        return None
    return DERIVED_TYPES[suffix] if suffix else question.type


def keep(form_id: str, key: str, value: Any) -> bool:
    """What an erasure keeps of an answer (bot.domain.personal_data.keeps)."""
    if key.startswith("_"):
        return False
    return keeps(kind_of(form_id, key), value)


def _shown(question: Question | None, suffix: str | None, value: Any, i18n: I18n) -> str:
    """An answer as its owner reads it: their own ID and mobile numbers in full."""
    if value is None:
        return ""
    if question is None or suffix or question.type in (QuestionType.ID_CARD, QuestionType.MOBILE):
        return value if isinstance(value, str) else str(value)
    try:
        return display(question, value, i18n)
    except (KeyError, TypeError, ValueError):
        return str(value)


def labelled(submissions: list[dict[str, Any]], person_id: int, i18n: I18n) -> list[Answer]:
    """The person's submissions, answer by answer under their questions' labels."""
    answers = []
    for row in submissions:
        if row["person_id"] != person_id:
            continue
        definition = _definition(row["form_id"])
        questions = _questions(definition)
        title = definition.title(i18n.locale) if definition else row["form_id"]
        for key, value in (row["answers"] or {}).items():
            question, suffix = _question(key, questions)
            label = question.label(i18n.locale) if question is not None else key
            if suffix:
                label = f"{label} ({suffix})"
            answers.append(
                Answer(
                    row["form_id"],
                    title,
                    row["id"],
                    row["submitted_at"],
                    bool(row["current"]),
                    label,
                    _shown(question, suffix, value, i18n),
                )
            )
    return answers


async def export(
    session: AsyncSession, actor: Actor, chat: ChatHistory | None, chat_id: int
) -> Export:
    """Everything the product stores about the actor (theirs to see: no role needed, ID and
    mobile numbers in full), audited as exported."""
    tables = await store.export(session, actor.person_id)
    answers = labelled(tables.get("form_submission", []), actor.person_id, I18n(actor.locale))
    history = await chat.chat_history(chat_id) if chat is not None else []
    await repo.audit(
        session,
        RequestEvent.EXPORTED,
        actor_id=actor.person_id,
        subject_id=actor.person_id,
        tables={name: len(rows) for name, rows in tables.items()},
    )
    return Export(tables, answers, history)


# ---------------------------------------------------------------------------------------------
# Erasure requests


async def pending(session: AsyncSession, actor: Actor) -> PersonalDataRequest | None:
    """The actor's own erasure request still waiting, if any."""
    return await store.pending_request(session, actor.person_id)


def request_target(request: PersonalDataRequest) -> Target:
    """Who decides a request: the supervisors of its region, admins everywhere."""
    return Target.at(region=request.region_id, owner=request.person_id)


async def request_erasure(
    session: AsyncSession, actor: Actor, settings: Settings
) -> PersonalDataRequest:
    """Ask for erasure once (a second ask while one waits is that one): it lands in the /todo
    of the region's supervisors and of admins, who are told."""
    waiting = await store.pending_request(session, actor.person_id)
    if waiting is not None:
        return waiting
    regions = await store.regions_of(session, actor.person_id)
    request = await store.add_request(
        session, actor.person_id, regions[0] if regions else None, actor.now
    )
    await repo.audit(
        session,
        RequestEvent.ASKED,
        actor_id=actor.person_id,
        subject_id=actor.person_id,
        object_type="personal_data_request",
        object_id=request.id,
    )
    deciders = await recipients.supervisors(session, request.region_id)
    deciders = deciders or await recipients.admins(session, settings)
    await notifier.tell_many(
        session,
        [
            notifier.notice(
                reader,
                lambda i18n: request_card(session, request, i18n),
                key=f"{CARD}:{request.id}:{reader.chat_id}",
            )
            for reader in deciders
        ],
    )
    return request


async def request_for(session: AsyncSession, actor: Actor, request_id: int) -> PersonalDataRequest:
    """A request the actor may decide, still pending (Stale naming the decision otherwise)."""
    request = await session.get(PersonalDataRequest, request_id)
    if request is None:
        raise NotFound
    require(actor, Action.PERSONAL_DATA_ERASE, request_target(request))
    if request.status != RequestStatus.PENDING:
        raise Stale("personal_data.already_decided", status=request.status)
    return request


async def _close(session: AsyncSession, request: PersonalDataRequest) -> None:
    status = request.status

    def closed(reader: I18n) -> str:
        return reader("personal_data.card_closed", request=request.id, status=status)

    await notifier.close_copies(session, f"{CARD}:{request.id}:", closed)


async def erase(
    session: AsyncSession, actor: Actor, request_id: int, chat: ChatHistory | None
) -> Decided:
    """Confirm: erase the person's personal data everywhere (storage.personal_data's
    registries, then the web chat's history), audit who asked, who confirmed and how many rows
    of which tables changed (no data), close the cards and tell the person."""
    request = await request_for(session, actor, request_id)
    subject = await session.get(Person, request.person_id)
    erasure = store.Erasure(subject.id, subject.tg_user_id, keep)
    counts = await store.erase(session, erasure)
    if not await store.decide(
        session, request.id, RequestStatus.ERASED, actor.person_id, actor.now, tables=counts
    ):
        raise Stale("personal_data.already_decided", status=RequestStatus.ERASED)
    if chat is not None:  # its own store: only once this erasure is the one that counts
        counts = {**counts, **await chat.erase_chat(subject.tg_user_id, erasure.quoted())}
    request.status, request.tables = RequestStatus.ERASED, counts
    await repo.audit(
        session,
        RequestEvent.ERASED,
        actor_id=actor.person_id,
        subject_id=subject.id,
        object_type="personal_data_request",
        object_id=request.id,
        asked_at=request.created_at.isoformat(),
        tables=counts,
    )
    await _close(session, request)
    await notifier.tell(session, subject, "personal_data.erased", key=f"erased:{request.id}")
    return Decided(request.id, RequestStatus.ERASED)


async def refuse(session: AsyncSession, actor: Actor, request_id: int, reason: str) -> Decided:
    """Refuse with a reason the person is told; nothing is erased."""
    request = await request_for(session, actor, request_id)
    if not await store.decide(
        session, request.id, RequestStatus.REFUSED, actor.person_id, actor.now, reason=reason
    ):
        raise Stale("personal_data.already_decided", status=RequestStatus.REFUSED)
    request.status = RequestStatus.REFUSED
    await repo.audit(
        session,
        RequestEvent.REFUSED,
        actor_id=actor.person_id,
        subject_id=request.person_id,
        object_type="personal_data_request",
        object_id=request.id,
        reason=reason,
    )
    await _close(session, request)
    await notifier.tell_person(
        session,
        request.person_id,
        "personal_data.refused",
        key=f"erase_refused:{request.id}",
        reason=reason,
    )
    return Decided(request.id, RequestStatus.REFUSED)
