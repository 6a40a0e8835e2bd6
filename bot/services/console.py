"""The web console's use cases (issue 15): sign-in by a one-time link, and what the pages show
and do, each for an `Actor` and through `bot.policy` (Action.CONSOLE_USE scopes every list and
page, PERSONAL_DATA_FULL decides whether numbers show in full).

A page reuses the chat's use cases for what they already give: the attendance summary
(`checkin.class_summary`), assessment progress (`assessment.staff.progress`), the feedback
trend (`feedback.trend`), the to-do inbox (`todo`) and the class decision
(`applications.decide_application`, the same call as the chat's buttons); the statistics
(`stats.figures`), a class's issued certificates (`issuing.of_class`), its activity report and
bundle (`activity_report.for_actor`, `bundle.build`), the follow-up campaigns
(`campaigns.campaigns_page`, `dashboard`, `waiting_page`) and a phone follow-up's number
(`followup.call`).
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime, tzinfo

from sqlmodel.ext.asyncio.session import AsyncSession

from bot.domain.campaigns import SHOWN, Counts, Export, Reply
from bot.domain.checkin import PersonSummary, SessionSummary
from bot.domain.classes import ClassStatus
from bot.domain.console import (
    ABSOLUTE,
    LINK_TTL,
    LinkFacts,
    LinkState,
    SessionFacts,
    digest,
    link_state,
    new_secret,
    session_live,
    well_formed,
)
from bot.domain.stats import Dimension, Period
from bot.i18n import I18n
from bot.policy import RULES, Action, Reach, Target, allowed, institutions, may, regions, require
from bot.privacy import mask_id_number, mask_phone
from bot.services import (
    activity_report,
    applications,
    bundle,
    campaigns,
    checkin,
    feedback,
    followup,
    issuing,
    stats,
    todo,
)
from bot.services.actor import Actor, grants_of
from bot.services.assessment import staff as assessment_staff
from bot.services.errors import NotAllowed, NotFound, Refusal
from bot.services.outcomes import Decided
from bot.services.targets import class_for
from bot.views.pages import PAGE_SIZE, Page, page_window
from storage import classes as class_store
from storage import console as store
from storage import people, repo
from storage.assessment import Progress
from storage.console import ClassFilter, ClassRow, CycleHistory, Scope
from storage.models import (
    Campaign,
    ClassSession,
    Institution,
    IssuedCertificate,
    Person,
    TrainingClass,
)
from storage.todo import Item, Kind

EXPORT_LIMIT = 50_000
"""Rows an export holds at most (a province's classes; a narrower filter for more trainees)."""


# --- sign-in --------------------------------------------------------------------------------


async def request_link(session: AsyncSession, actor: Actor) -> str:
    """A new one-time sign-in secret for the actor (only its hash is stored)."""
    if not may(actor, Action.CONSOLE_USE):
        raise NotAllowed
    secret = new_secret()
    await store.add_link(session, actor.person_id, digest(secret), actor.now, actor.now + LINK_TTL)
    await repo.audit(session, "console.link", actor_id=actor.person_id)
    return secret


async def peek_link(session: AsyncSession, secret: str, now: datetime) -> LinkState:
    """What opening the link would do, without using it (a link preview must not spend it)."""
    if not well_formed(secret):
        return LinkState.UNKNOWN
    row = await store.link(session, digest(secret))
    return link_state(LinkFacts(row.expires_at, row.used_at) if row else None, now)


async def sign_in(
    session: AsyncSession, secret: str, now: datetime
) -> tuple[LinkState, str | None]:
    """Use the link once: a new session's secret (for the cookie), or why not."""
    if not well_formed(secret):
        return LinkState.UNKNOWN, None
    row = await store.link(session, digest(secret))
    state = link_state(LinkFacts(row.expires_at, row.used_at) if row else None, now)
    if state is not LinkState.VALID:
        return state, None
    if not await store.use_link(session, row.id, now):
        return LinkState.USED, None
    grants = await grants_of(session, row.person_id)
    if not any(grant.role in RULES[Action.CONSOLE_USE] for grant in grants):
        return LinkState.UNKNOWN, None  # the role was taken away since the link was sent
    session_secret = new_secret()
    await store.add_session(session, row.person_id, digest(session_secret), now, now + ABSOLUTE)
    await repo.audit(session, "console.signed_in", actor_id=row.person_id)
    return LinkState.VALID, session_secret


async def actor_for(
    session: AsyncSession, session_secret: str | None, now: datetime
) -> Actor | None:
    """The signed-in person as an Actor, or None (no, expired, ended or unknown session, or no
    role that may use the console any more)."""
    if session_secret is None or not well_formed(session_secret):
        return None
    row = await store.console_session(session, digest(session_secret))
    facts = SessionFacts(row.last_seen_at, row.expires_at, row.ended_at) if row else None
    if not session_live(facts, now):
        return None
    person = await session.get(Person, row.person_id)
    if person is None:
        return None
    actor = Actor.of(row.person_id, await grants_of(session, row.person_id), person.locale, now)
    if not may(actor, Action.CONSOLE_USE):
        return None
    store.touch(row, now)
    return actor


async def sign_out(session: AsyncSession, session_secret: str, now: datetime) -> None:
    if well_formed(session_secret):
        await store.end_session(session, digest(session_secret), now)


# --- scope ----------------------------------------------------------------------------------


def scope_of(actor: Actor) -> Scope:
    """The institutions and regions the actor's console reaches (the policy's CONSOLE_USE)."""
    rules = RULES[Action.CONSOLE_USE]
    return Scope(
        frozenset(institutions(actor, Action.CONSOLE_USE)),
        frozenset(regions(actor, Action.CONSOLE_USE)),
        any(Reach.ALL in getattr(rules.get(g.role), "reaches", ()) for g in actor.grants),
    )


def _numbers_shown(actor: Actor, target: Target, given: dict[str, str]) -> dict[str, str]:
    """ID and mobile numbers, in full only where the actor may see them (S-53)."""
    full = allowed(actor, Action.PERSONAL_DATA_FULL, target)
    id_number, mobile = given.get("id_number", ""), given.get("mobile", "")
    return {
        "id_number": id_number if full or not id_number else mask_id_number(id_number),
        "mobile": mobile if full or not mobile else mask_phone(mobile),
    }


# --- dashboard ------------------------------------------------------------------------------


@dataclass(frozen=True)
class Dashboard:
    phases: dict[str, int]
    classes: int
    trainees: int
    todo: int


async def dashboard(session: AsyncSession, actor: Actor) -> Dashboard:
    scope = scope_of(actor)
    phases = await store.phase_counts(session, scope)
    return Dashboard(
        phases,
        sum(phases.values()),
        await store.trainee_count(session, scope, None),
        await todo.total(session, actor.person_id, actor.grants),
    )


def stats_dimension(actor: Actor) -> Dimension:
    """The dashboard's grouping unless chosen: by region for whoever sees every region (an
    admin), by institution for the others (a supervisor's region, a staff member's own)."""
    rules = RULES[Action.STATS_VIEW]
    everything = any(Reach.ALL in getattr(rules.get(g.role), "reaches", ()) for g in actor.grants)
    return Dimension.REGION if everything else Dimension.INSTITUTION


STATS_PERIOD = Period.YEAR


async def figures(
    session: AsyncSession,
    actor: Actor,
    dimension: Dimension,
    period: Period,
    filters: stats.Filters | None = None,
) -> stats.Table | None:
    """The /stats table for the dashboard (None when the actor's role sees no statistics)."""
    if not stats.may_view(actor):
        return None
    return await stats.figures(session, actor, dimension, period, filters or stats.Filters())


# --- classes --------------------------------------------------------------------------------


async def institution_choices(session: AsyncSession, actor: Actor) -> list[tuple[int, str]]:
    return await store.institutions(session, scope_of(actor))


async def classes(
    session: AsyncSession, actor: Actor, chosen: ClassFilter, page: int, size: int = PAGE_SIZE
) -> Page[ClassRow]:
    scope = scope_of(actor)
    total = await store.class_count(session, scope, chosen)
    page, pages, offset = page_window(total, page, size)
    return Page(await store.class_rows(session, scope, chosen, offset, size), page, pages, total)


async def all_classes(session: AsyncSession, actor: Actor, chosen: ClassFilter) -> list[ClassRow]:
    """Every class of the filter, for an export (at most EXPORT_LIMIT)."""
    return await store.class_rows(session, scope_of(actor), chosen, 0, EXPORT_LIMIT)


@dataclass(frozen=True)
class ClassPage:
    training_class: TrainingClass
    institution: str
    teachers: list[str]
    sessions: list[tuple[ClassSession, SessionSummary]]
    people: list[tuple[str, PersonSummary]]
    progress: Progress | None
    trend: list[tuple[int, float | None]] | None
    may_decide: bool
    may_report: bool = False
    may_bundle: bool = False
    certificates: list[IssuedCertificate] | None = None
    """Issued to the class's trainees; None when the actor does not read its papers."""


async def class_page(session: AsyncSession, actor: Actor, class_id: int) -> ClassPage:
    """A class in the actor's scope (NotFound / NotAllowed otherwise): its roster and
    attendance, assessment progress and daily feedback averages where the actor's role reads
    them, and whether they may decide its application."""
    training_class = await class_for(session, actor, Action.CONSOLE_USE, class_id)
    summary = await checkin.class_summary(session, training_class, actor.now)
    progress = None
    if training_class.status == ClassStatus.APPROVED:
        try:
            ((_, progress),) = await assessment_staff.progress(session, actor, [training_class])
        except Refusal:
            progress = None
    try:
        trend = (await feedback.trend(session, actor, class_id)).points
    except Refusal:
        trend = None
    institution = await session.get(Institution, training_class.institution_id)
    named = await people.names(session, await class_store.teacher_ids(session, class_id))
    may_decide = training_class.status == ClassStatus.SUBMITTED and await _may(
        session, actor, Action.CLASS_DECIDE, class_id
    )
    approved = training_class.status == ClassStatus.APPROVED
    may_bundle = approved and await _may(session, actor, Action.REPORT_BUNDLE, class_id)
    return ClassPage(
        training_class,
        institution.name if institution else "",
        sorted(named.values()),
        summary.sessions,
        summary.people,
        progress,
        trend,
        may_decide,
        may_report=approved and await _may(session, actor, Action.ACTIVITY_REPORT, class_id),
        may_bundle=may_bundle,
        certificates=await issuing.of_class(session, actor, class_id) if may_bundle else None,
    )


async def _may(session: AsyncSession, actor: Actor, action: Action, class_id: int) -> bool:
    try:
        await class_for(session, actor, action, class_id)
    except Refusal:
        return False
    return True


async def report_files(session: AsyncSession, actor: Actor, class_id: int) -> activity_report.Files:
    """The class's activity report (PDF and XLSX), as the chat's /report sends it."""
    return await activity_report.for_actor(session, actor, class_id)


WEB_BUNDLE_LIMIT = 2**31
"""A download has no chat upload limit: the bundle comes as one archive."""


async def bundle_archive(session: AsyncSession, actor: Actor, class_id: int) -> tuple[str, bytes]:
    """The class's reporting bundle as one ZIP (file name, bytes), as /bundle builds it."""
    ((name, data),) = (await bundle.build(session, actor, class_id, WEB_BUNDLE_LIMIT)).archives
    return name, data


# --- trainees -------------------------------------------------------------------------------


@dataclass(frozen=True)
class TraineeLine:
    row: store.TraineeRow
    name: str
    id_number: str
    mobile: str


async def _lines(
    session: AsyncSession, actor: Actor, rows: list[store.TraineeRow]
) -> list[TraineeLine]:
    person_ids = [row.person_id for row in rows]
    named = await people.names(session, person_ids)
    given = await store.numbers(session, person_ids)
    return [
        TraineeLine(
            row,
            named.get(row.person_id, ""),
            **_numbers_shown(
                actor, Target.at(row.institution_id, row.region_id), given.get(row.person_id, {})
            ),
        )
        for row in rows
    ]


async def trainees(
    session: AsyncSession, actor: Actor, search: str | None, page: int, size: int = PAGE_SIZE
) -> Page[TraineeLine]:
    """A page of the trainees in the actor's scope, found by name or the last digits of their
    ID or mobile number."""
    scope = scope_of(actor)
    total = await store.trainee_count(session, scope, search)
    page, pages, offset = page_window(total, page, size)
    rows = await store.trainee_rows(session, scope, search, offset, size)
    return Page(await _lines(session, actor, rows), page, pages, total)


async def all_trainees(
    session: AsyncSession, actor: Actor, search: str | None
) -> list[TraineeLine]:
    rows = await store.trainee_rows(session, scope_of(actor), search, 0, EXPORT_LIMIT)
    return await _lines(session, actor, rows)


@dataclass(frozen=True)
class TraineePage:
    person_id: int
    name: str
    id_number: str
    mobile: str
    cycles: list[CycleHistory]


async def trainee(session: AsyncSession, actor: Actor, person_id: int) -> TraineePage:
    """A trainee with the history of their cycles, when one of their cycles is in the actor's
    scope; numbers in full only for the institution that holds them."""
    history = await store.cycle_history(session, person_id)
    target = Target(
        institutions=frozenset(h.cycle.institution_id for h in history if h.cycle.institution_id),
        regions=frozenset(h.region_id for h in history if h.region_id is not None),
    )
    if not history:
        raise NotFound
    require(actor, Action.CONSOLE_USE, target)
    given = (await store.numbers(session, [person_id])).get(person_id, {})
    shown = _numbers_shown(actor, target, given)
    named = await people.names(session, [person_id])
    return TraineePage(person_id, named.get(person_id, ""), cycles=history, **shown)


# --- follow-up campaigns ---------------------------------------------------------------------


def _campaigner(actor: Actor) -> None:
    if not may(actor, Action.CAMPAIGN_PUSH):
        raise NotAllowed


async def campaign_list(
    session: AsyncSession, actor: Actor, page: int
) -> Page[tuple[Campaign, str]]:
    """The campaigns the actor follows (CAMPAIGN_PUSH: none for a role that pushes none),
    newest first, a page at a time."""
    return await campaigns.campaigns_page(session, actor, page)


@dataclass(frozen=True)
class CampaignPage:
    dashboard: campaigns.Dashboard
    recipients: Page[tuple[str, Reply]]

    @property
    def counts(self) -> Counts:
        return self.dashboard.counts


async def campaign(
    session: AsyncSession, actor: Actor, campaign_id: int, page: int
) -> CampaignPage:
    """A campaign's counts and percentages per state and its recipients with their state (a
    page); another institution's or region's campaign is not found."""
    _campaigner(actor)
    shown = await campaigns.dashboard(session, actor, campaign_id)
    return CampaignPage(
        shown, await campaigns.waiting_page(session, actor, campaign_id, page, SHOWN)
    )


async def all_recipients(
    session: AsyncSession, actor: Actor, campaign_id: int
) -> list[tuple[str, Reply]]:
    """Every recipient of the campaign and their state, for an export (the pages in turn)."""
    _campaigner(actor)
    rows: list[tuple[str, Reply]] = []
    for number in range(EXPORT_LIMIT // PAGE_SIZE):
        shown = await campaigns.waiting_page(session, actor, campaign_id, number, SHOWN)
        rows.extend(shown.items)
        if number + 1 >= shown.pages:
            break
    return rows


async def campaign_answers(
    session: AsyncSession, actor: Actor, campaign_id: int, how: Export, tz: tzinfo
) -> tuple[str, bytes]:
    """Every answer of the campaign as the chat's XLSX (option labels or codes)."""
    _campaigner(actor)
    return await campaigns.export(session, actor, campaign_id, how, I18n(actor.locale), tz)


# --- to-do ----------------------------------------------------------------------------------


@dataclass(frozen=True)
class Phone:
    """A phone follow-up's number as the actor may see it, and `tel` (dialable) only in full."""

    shown: str
    tel: str | None


@dataclass(frozen=True)
class Inbox:
    counts: dict[Kind, int]
    items: list[Item]
    page: int
    pages: int
    phones: dict[int, Phone] | None = None
    """Per phone follow-up (survey id) on the page: its mobile (FOLLOWUP_MOBILE: in full)."""


async def inbox(session: AsyncSession, actor: Actor, page: int) -> Inbox:
    """The actor's to-do inbox, a page at a time (the same queries as /todo)."""
    counts = await todo.counts(session, actor.person_id, actor.grants)
    total = sum(counts.values())
    page, pages, _ = page_window(total, page, todo.PAGE_SIZE)
    items = await todo.page(session, actor.person_id, actor.grants, page) if total else []
    phones = {}
    for item in items:
        if item.kind is Kind.CALL:
            call = await followup.call(session, actor, item.id)
            shown = call.mobile if call.full or not call.mobile else mask_phone(call.mobile)
            phones[item.id] = Phone(shown, call.mobile if call.full and call.mobile else None)
    return Inbox(counts, items, page, pages, phones)


async def all_todo(session: AsyncSession, actor: Actor) -> list[Item]:
    """Every item of the actor's inbox, for an export (the inbox's own pages, read in turn)."""
    items: list[Item] = []
    for number in range(EXPORT_LIMIT // todo.PAGE_SIZE):
        shown = await todo.page(session, actor.person_id, actor.grants, number)
        items.extend(shown)
        if len(shown) < todo.PAGE_SIZE:
            break
    return items


async def decide_class(
    session: AsyncSession, actor: Actor, class_id: int, approve: bool, reason: str | None
) -> Decided:
    """Approve or return a class application: the chat buttons' use case."""
    status = ClassStatus.APPROVED if approve else ClassStatus.RETURNED
    return await applications.decide_application(session, actor, class_id, status, reason)
