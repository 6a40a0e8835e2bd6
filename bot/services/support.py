"""Follow-up support (S-16, S-42, T12): asking an assessed class's trainees what support they
need, their lecturers reading and completing the answers, matching them with the region's
catalogue of services, and the institution following each need up with recorded contacts.

Each use case takes an `Actor` and asks `bot.policy`; the rules are bot/domain/support.py, the
store storage/support.py, the screens bot/views/support.py.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field
from datetime import date, datetime
from typing import Any

from sqlmodel.ext.asyncio.session import AsyncSession

from bot import notifier
from bot.domain.forms import FOR_PERSON
from bot.domain.support import (
    ASK_WITHIN,
    NEEDS_FORM,
    REQUIRED_COLUMNS,
    Column,
    FollowupStatus,
    Need,
    Service,
    ServiceRow,
    ancestry,
    check_rows,
    match,
    needs_of,
)
from bot.forms.registry import form
from bot.i18n import I18n
from bot.policy import RULES, Action, Reach, Target, allowed, institutions, regions, require
from bot.services import people, recipients
from bot.services.actor import Actor
from bot.services.errors import NotAllowed, NotFound, Stale, found
from bot.services.targets import class_and_target
from bot.views.pages import PAGE_SIZE, Page, page_window
from storage import repo
from storage import support as store
from storage.models import (
    FormSubmission,
    Region,
    SupportContact,
    SupportFollowup,
    SupportService,
    TrainingClass,
)

BATCH = 500
"""Trainees asked per unit of work by the scan."""

# --- asking: the scan, and the trainee opening the survey ------------------------------------


async def anyone_to_ask(session: AsyncSession, now: datetime) -> bool:
    """Whether `ask_assessed` has anyone to ask: read first, so an idle scan takes no write
    lock (SQLite) and opens no transaction (PostgreSQL)."""
    return bool(await store.unasked(session, now - ASK_WITHIN, 1))


async def ask_assessed(session: AsyncSession, now: datetime, keyboard: Any) -> tuple[int, int]:
    """Ask up to `BATCH` trainees of classes assessed within `ASK_WITHIN` not asked yet (a
    `support_request` row claimed with the keyed push, so nobody is asked twice).
    `keyboard(class_id)` builds the push's button. Returns (trainees claimed, pushes queued)."""
    pairs = await store.unasked(session, now - ASK_WITHIN, BATCH)
    claimed = await store.claim(session, pairs, now)
    if not claimed:
        return 0, 0
    classes = {c: await session.get(TrainingClass, c) for c in {c for c, _ in claimed}}
    readers = await notifier.readers(session, [p for _, p in claimed])
    notices = [
        notifier.notice(
            readers[person_id],
            "support.asked",
            key=f"needs:ask:{class_id}:{person_id}",
            keyboard=keyboard(class_id),
            name=classes[class_id].name,
        )
        for class_id, person_id in claimed
        if person_id in readers
    ]
    return len(claimed), await notifier.tell_many(session, notices)


@dataclass(frozen=True)
class Opening:
    """The trainee's survey for a class: their unfinished draft, or the context to start one."""

    context: dict[str, Any]
    draft_id: int | None = None


async def open_needs(
    session: AsyncSession, actor: Actor, class_id: int, draft_ids: Sequence[tuple[int, dict]]
) -> Opening:
    """The trainee asked about their needs in this class opens the survey; `draft_ids` are
    their open drafts of it (id, context). Stale once they answered (their lecturers may
    still complete it)."""
    request = found(await store.request_of(session, class_id, actor.person_id))
    require(actor, Action.SUPPORT_NEEDS_GIVE, Target.at(owner=request.person_id))
    answered = await store.answers_in(session, class_id, [actor.person_id])
    if actor.person_id in answered:
        raise Stale("support.already_answered")
    context = {"class_id": class_id}
    for draft_id, draft_context in draft_ids:
        if draft_context == context:
            return Opening(context, draft_id)
    return Opening(context)


# --- the lecturers' and institution's view of the answers ------------------------------------


def _reaches(actor: Actor, action: Action, reach: Reach) -> bool:
    """Whether one of the actor's grants reaches objects of `action` by `reach`."""
    return any(reach in getattr(RULES[action].get(g.role), "reaches", ()) for g in actor.grants)


async def classes_with_needs(session: AsyncSession, actor: Actor) -> list[TrainingClass]:
    """Classes whose trainees were asked, that the actor may read the answers of: the ones
    they teach, and their institution's."""
    teaches = _reaches(actor, Action.SUPPORT_NEEDS_VIEW, Reach.TAUGHT)
    return await store.classes_asked(
        session,
        teacher_id=actor.person_id if teaches else None,
        institution_ids=institutions(actor, Action.SUPPORT_NEEDS_VIEW),
    )


@dataclass(frozen=True)
class TraineeNeeds:
    person_id: int
    name: str
    submission: FormSubmission | None


@dataclass(frozen=True)
class ClassNeeds:
    training_class: TrainingClass
    trainees: Page[TraineeNeeds]
    may_complete: bool


async def class_needs(
    session: AsyncSession, actor: Actor, class_id: int, page: int = 0
) -> ClassNeeds:
    """The class's trainees asked about their needs, with their answers, a page at a time."""
    training_class, target = await class_and_target(
        session, actor, Action.SUPPORT_NEEDS_VIEW, class_id
    )
    asked = await store.asked_in(session, class_id)
    shown = Page.of(asked, page)
    named = await people.names(session, shown.items)
    answers = await store.answers_in(session, class_id, shown.items)
    rows = [TraineeNeeds(p, named.get(p, ""), answers.get(p)) for p in shown.items]
    return ClassNeeds(
        training_class,
        Page(rows, shown.page, shown.pages, shown.total),
        allowed(actor, Action.SUPPORT_NEEDS_COMPLETE, target),
    )


async def trainee_needs(
    session: AsyncSession, actor: Actor, class_id: int, person_id: int
) -> tuple[TrainingClass, TraineeNeeds, bool]:
    """One trainee's answers (None before they answer), and whether the actor may complete
    them (a teaching lecturer)."""
    training_class, target = await class_and_target(
        session, actor, Action.SUPPORT_NEEDS_VIEW, class_id
    )
    found(await store.request_of(session, class_id, person_id))
    answers = await store.answers_in(session, class_id, [person_id])
    name = await people.name_of(session, person_id)
    may = allowed(actor, Action.SUPPORT_NEEDS_COMPLETE, target)
    return training_class, TraineeNeeds(person_id, name, answers.get(person_id)), may


async def complete_for(
    session: AsyncSession, actor: Actor, class_id: int, person_id: int
) -> tuple[dict[str, Any], dict[str, Any] | None]:
    """A teaching lecturer completes or corrects a trainee's answers after talking to them:
    the context of the draft (the trainee named as `FOR_PERSON`, so the submission is theirs,
    marked as submitted by the lecturer) and the answers to start from."""
    await class_and_target(session, actor, Action.SUPPORT_NEEDS_COMPLETE, class_id)
    found(await store.request_of(session, class_id, person_id))
    current = (await store.answers_in(session, class_id, [person_id])).get(person_id)
    return {"class_id": class_id, FOR_PERSON: person_id}, current.answers if current else None


# --- after a submission: follow-up items and the matching services ---------------------------


def _service(row: SupportService) -> Service:
    return Service(
        row.id,
        row.kind,
        row.name,
        row.offer,
        row.conditions,
        row.contact,
        row.region_id,
        row.active,
    )


async def matching(
    session: AsyncSession, region_id: int | None, needs: Sequence[Need]
) -> dict[Need, list[Service]]:
    """The active services of the region (and the regions above it) for each need."""
    chain = ancestry(region_id, await store.ancestry(session, region_id))
    rows = await store.services_serving(session, chain, [str(n) for n in needs])
    return match(needs, [_service(row) for row in rows], chain)


@dataclass(frozen=True)
class Settled:
    trainee_id: int
    trainee_name: str
    needs: list[Need]
    matched: dict[Need, list[Service]]
    new_items: int


async def settle_needs(session: AsyncSession, submission: FormSubmission, now: datetime) -> Settled:
    """A needs survey was submitted (by the trainee, or a lecturer for them): one follow-up
    item per need for the institution (a need followed up already stays as it is), and the
    trainee is told the services of their class's region that match (S-42)."""
    training_class = found(await session.get(TrainingClass, submission.context.get("class_id")))
    needs = needs_of(submission.answers)
    rows = [
        {
            "institution_id": training_class.institution_id,
            "class_id": training_class.id,
            "person_id": submission.person_id,
            "need": str(need),
            "submission_id": submission.id,
            "status": str(FollowupStatus.OPEN),
            "created_at": now,
        }
        for need in needs
    ]
    new_items = await store.add_followups(session, rows)
    matched = await matching(session, training_class.region_id, needs)
    await notifier.tell_person(
        session,
        submission.person_id,
        "support.matched",
        key=f"needs:match:{submission.id}",
        matched=list(matched.items()),
    )
    name = await people.name_of(session, submission.person_id)
    if new_items:  # the items wait in /todo; the push only announces them
        await notifier.tell_many(
            session,
            [
                notifier.notice(
                    reader,
                    "support.announce",
                    key=f"needs:new:{submission.id}:{reader.chat_id}",
                    name=name,
                    count=new_items,
                )
                for reader in await recipients.staff(session, training_class.institution_id)
            ],
        )
    return Settled(submission.person_id, name, needs, matched, new_items)


# --- the institution's follow-up items -------------------------------------------------------


@dataclass(frozen=True)
class FollowupCard:
    item: SupportFollowup
    trainee: str
    class_name: str
    answers: dict[str, Any]
    services: list[Service]
    contacts: list[tuple[SupportContact, str]] = field(default_factory=list)


async def followup_card(session: AsyncSession, item: SupportFollowup) -> FollowupCard:
    """What staff see of one need: the trainee, the answers, the matching services and the
    contacts so far (each with the service involved)."""
    training_class = await session.get(TrainingClass, item.class_id)
    submission = await session.get(FormSubmission, item.submission_id)
    current = (await store.answers_in(session, item.class_id, [item.person_id])).get(
        item.person_id, submission
    )
    matched = await matching(session, training_class.region_id, [Need(item.need)])
    contacts = []
    for contact in await store.contacts_of(session, item.id):
        used = await store.service(session, contact.service_id) if contact.service_id else None
        contacts.append((contact, used.name if used else ""))
    return FollowupCard(
        item,
        await people.name_of(session, item.person_id),
        training_class.name,
        current.answers if current else {},
        matched[Need(item.need)],
        contacts,
    )


async def followup_for(session: AsyncSession, actor: Actor, followup_id: int) -> SupportFollowup:
    item = found(await store.followup(session, followup_id))
    require(actor, Action.SUPPORT_FOLLOWUP, Target.at(item.institution_id))
    return item


async def open_followup(session: AsyncSession, actor: Actor, followup_id: int) -> SupportFollowup:
    item = await followup_for(session, actor, followup_id)
    if item.status != FollowupStatus.OPEN:
        raise Stale("support.followup_done")
    return item


async def contact_context(
    session: AsyncSession, actor: Actor, followup_id: int, service_id: int
) -> dict[str, Any]:
    """Staff start recording a contact about an open item, naming the service involved (one
    of its matching services, or 0 for none)."""
    item = await open_followup(session, actor, followup_id)
    if service_id:
        card = await followup_card(session, item)
        if service_id not in {s.id for s in card.services}:
            raise NotFound
    return {"followup_id": item.id, "service_id": service_id or None}


def _day(value: Any) -> date:
    return value if isinstance(value, date) else date.fromisoformat(str(value))


async def record_contact(
    session: AsyncSession, actor: Actor, submission: FormSubmission
) -> SupportContact:
    """The contact form was submitted: one countable row (date, channel, outcome, service)."""
    item = await open_followup(session, actor, submission.context.get("followup_id") or 0)
    answers = submission.answers
    contact = SupportContact(
        followup_id=item.id,
        service_id=submission.context.get("service_id"),
        contacted_on=_day(answers["contacted_on"]),
        channel=str(answers["channel"]),
        outcome=str(answers["outcome"]),
        recorded_by=actor.person_id,
        created_at=actor.now,
    )
    store.add_contact(session, contact)
    await session.flush()
    await repo.audit(
        session,
        "support.contact",
        actor_id=actor.person_id,
        subject_id=item.person_id,
        object_type="support_followup",
        object_id=item.id,
        channel=contact.channel,
    )
    return contact


async def close_followup(session: AsyncSession, actor: Actor, followup_id: int) -> SupportFollowup:
    """Staff mark an item done: it leaves /todo (its contacts stay, countable)."""
    item = await followup_for(session, actor, followup_id)
    if not await store.close_followup(session, item.id, actor.person_id, actor.now):
        raise Stale("support.followup_done")
    await repo.audit(
        session,
        "support.followup_done",
        actor_id=actor.person_id,
        subject_id=item.person_id,
        object_type="support_followup",
        object_id=item.id,
    )
    await session.refresh(item)
    return item


# --- the catalogue ---------------------------------------------------------------------------


async def _maintained(session: AsyncSession, actor: Actor) -> list[int]:
    """The regions whose catalogue the actor keeps (with every region under them; all of
    them for a national role)."""
    if _reaches(actor, Action.SUPPORT_SERVICES, Reach.ALL):
        return [region.id for region in await repo.regions(session)]
    ids: list[int] = []
    for region_id in regions(actor, Action.SUPPORT_SERVICES):
        ids += [r.id for r in await store.subtree(session, region_id) if r.id not in ids]
    return ids


async def _target(session: AsyncSession, region_id: int) -> Target:
    """A service's scope: its region and those above it (a province's supervisor keeps the
    services of its cities)."""
    chain = ancestry(region_id, await store.ancestry(session, region_id))
    return Target(regions=frozenset(chain))


async def catalogue(session: AsyncSession, actor: Actor, page: int) -> Page[SupportService]:
    """The services the actor keeps, 20 a page."""
    region_ids = await _maintained(session, actor)
    total = await store.count_services(session, region_ids)
    page, pages, offset = page_window(total, page)
    rows = await store.services_page(session, region_ids, offset, PAGE_SIZE)
    return Page(rows, page, pages, total)


async def service_for(session: AsyncSession, actor: Actor, service_id: int) -> SupportService:
    service = found(await store.service(session, service_id))
    require(actor, Action.SUPPORT_SERVICES, await _target(session, service.region_id))
    return service


def home_region(actor: Actor) -> int:
    """The region a service added in chat serves: the actor's own (NotAllowed without one)."""
    for region_id in regions(actor, Action.SUPPORT_SERVICES):
        return region_id
    raise NotAllowed


async def service_form(
    session: AsyncSession, actor: Actor, service_id: int | None
) -> tuple[dict[str, Any], dict[str, Any] | None]:
    """The context (and, to edit, the answers) of the service form: a new service of the
    actor's region, or a change to one they keep."""
    if service_id is None:
        return {"region_id": home_region(actor)}, None
    service = await service_for(session, actor, service_id)
    answers = {
        "kind": service.kind,
        "name": service.name,
        "offer": service.offer,
        "conditions": service.conditions or None,
        "contact": service.contact,
    }
    return {"service_id": service.id}, answers


async def save_service(
    session: AsyncSession, actor: Actor, submission: FormSubmission
) -> SupportService:
    """The service form was submitted: the new service, or the edited one."""
    answers, context = submission.answers, submission.context
    if context.get("service_id"):
        service = await service_for(session, actor, context["service_id"])
    else:
        region_id = int(context.get("region_id") or 0)
        require(actor, Action.SUPPORT_SERVICES, await _target(session, region_id))
        service = SupportService(
            region_id=region_id, kind="", name="", created_by=actor.person_id, created_at=actor.now
        )
    service.kind = str(answers["kind"])
    service.name = str(answers["name"])
    service.offer = str(answers["offer"])
    service.conditions = str(answers.get("conditions") or "")
    service.contact = str(answers["contact"])
    service.updated_by, service.updated_at = actor.person_id, actor.now
    session.add(service)
    await session.flush()
    await repo.audit(
        session,
        "support.service_saved",
        actor_id=actor.person_id,
        object_type="support_service",
        object_id=service.id,
    )
    return service


async def set_active(
    session: AsyncSession, actor: Actor, service_id: int, active: bool
) -> SupportService:
    """Withdraw a service from matching (or offer it again); it stays in the catalogue."""
    service = await service_for(session, actor, service_id)
    if service.active != active:
        service.active = active
        service.updated_by, service.updated_at = actor.person_id, actor.now
        await repo.audit(
            session,
            "support.service_active" if active else "support.service_inactive",
            actor_id=actor.person_id,
            object_type="support_service",
            object_id=service.id,
        )
    return service


# --- importing the catalogue from Excel ------------------------------------------------------


def kind_names() -> dict[str, Need]:
    """Every spelling of a kind an import accepts: its code and its labels in the needs
    survey (the form is the one place they are written), lower-case."""
    question = next(
        q for section in form(NEEDS_FORM).sections for q in section.questions if q.id == "needs"
    )
    names: dict[str, Need] = {}
    for choice in question.choices:
        need = Need(choice.value)
        names[choice.value] = need
        for locale in ("zh-CN", "en"):
            names[choice.label(locale).lower()] = need
    return names


def header_names(locales: Sequence[I18n]) -> dict[str, Column]:
    """Every accepted header of each column: its code and its names in each language."""
    names: dict[str, Column] = {}
    for column in Column:
        names[column.value] = column
        for i18n in locales:
            names[i18n("support.column", name=column).strip().lower()] = column
    return names


class SheetRefused(ValueError):
    """The sheet as a whole cannot be imported: `code` says why."""

    def __init__(self, code: str, **params: Any) -> None:
        super().__init__(code)
        self.code, self.params = code, params


def read_sheet(
    rows: Sequence[tuple[int, tuple[Any, ...]]], headers: Mapping[str, Column], most: int
) -> list[tuple[int, dict[Column, Any]]]:
    """The data rows under the header, by column (the header row must name the required
    columns; at most `most` rows)."""
    if len(rows) < 2:
        raise SheetRefused("empty")
    found_at: dict[Column, int] = {}
    for position, value in enumerate(rows[0][1]):
        column = headers.get(str(value or "").strip().lower())
        if column is not None and column not in found_at:
            found_at[column] = position
    missing = [c for c in REQUIRED_COLUMNS if c not in found_at]
    if missing:
        raise SheetRefused("missing_columns", columns=[str(c) for c in missing])
    if len(rows) - 1 > most:
        raise SheetRefused("too_many_rows", max=most, count=len(rows) - 1)
    return [
        (
            number,
            {column: values[at] if at < len(values) else None for column, at in found_at.items()},
        )
        for number, values in rows[1:]
    ]


@dataclass(frozen=True)
class Imported:
    rows: list[ServiceRow]
    added: int

    @property
    def bad(self) -> list[ServiceRow]:
        return [row for row in self.rows if not row.valid]


async def import_services(
    session: AsyncSession, actor: Actor, data: list[tuple[int, dict[Column, Any]]]
) -> Imported:
    """Check every row (kind, name, offer, contact, lengths, the region among those the actor
    keeps, duplicates in the file); add all of them, or nothing when any row is wrong."""
    default = home_region(actor)
    kept = await _maintained(session, actor)
    named: dict[str, int] = {}
    for region_id in kept:
        region = await session.get(Region, region_id)
        named.setdefault(region.name, region.id)
    checked = check_rows(data, kind_names(), named, default)
    if any(not row.valid for row in checked):
        return Imported(checked, 0)
    rows = [
        SupportService(
            kind=row.kind,
            name=row.name,
            offer=row.offer,
            conditions=row.conditions,
            contact=row.contact,
            region_id=row.region_id,
            created_by=actor.person_id,
            updated_by=actor.person_id,
            created_at=actor.now,
            updated_at=actor.now,
        )
        for row in checked
    ]
    store.add_services(session, rows)
    await session.flush()
    await repo.audit(
        session,
        "support.services_imported",
        actor_id=actor.person_id,
        object_type="support_service",
        rows=len(rows),
    )
    return Imported(checked, len(rows))
