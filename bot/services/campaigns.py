"""Campaign use cases (issue 14): institution staff and supervisors push a questionnaire to a
selection of trainees, follow the replies, remind once, cancel what is not sent, read the
aggregate and export the answers; a recipient answers or stops; a supervisor adds a
questionnaire by sending its YAML definition.

/campaign walks: form → selection → preview of the count → time → confirm. The campaign is a
draft row from the first step (its `token` drawn then), so every step is a button on it and
confirming twice confirms one campaign. The pushes themselves are the scan's
(scheduler/campaigns.py). tests/services/test_campaigns.py calls these with no bot.
"""

from __future__ import annotations

import logging
import secrets
from collections.abc import Sequence
from dataclasses import dataclass
from datetime import date, datetime, time, timedelta, tzinfo
from typing import Any

from sqlalchemy.ext.asyncio import async_sessionmaker
from sqlmodel.ext.asyncio.session import AsyncSession

from bot import charts
from bot.domain.campaigns import (
    WAITING,
    Counts,
    Export,
    Reply,
    Selection,
    Status,
    Tally,
    TraineeState,
    cell,
    ended_range,
    exported_questions,
    header,
    may_remind,
    option_label,
    selection_complete,
    tallies,
)
from bot.forms import registry
from bot.forms import service as form_store
from bot.forms.schema import FormDefinition, FormDefinitionError, parse_definition
from bot.i18n import I18n
from bot.policy import Action, Target, institutions, regions, require
from bot.services.actor import Actor
from bot.services.errors import NotAllowed, NotFound, Stale, found
from bot.views.pages import PAGE_SIZE, Page, page_window
from bot.xlsx import write_rows
from storage import campaigns as store
from storage import followup, people, repo
from storage.campaigns import Chosen
from storage.db import unit_of_work
from storage.models import Campaign, FormDraft, FormSubmission, Institution, TrainingClass

log = logging.getLogger(__name__)

MAX_FORM_BYTES = 64 * 1024
"""A questionnaire's YAML file at most (the shipped ones are under 20 KB)."""


# --- forms: shipped and added ------------------------------------------------------------------


def _definition(text: str, key: str) -> FormDefinition:
    return parse_definition(text, key)


async def ensure_form(session: AsyncSession, key: str) -> bool:
    """Make a stored questionnaire findable by the one lookup (`registry.form`); False when
    there is no form of that key at all."""
    if registry.known(key):
        return True
    row = await store.custom_form(session, key)
    if row is None:
        return False
    try:
        registry.remember(_definition(row.yaml, key))
    except FormDefinitionError as error:
        log.warning("stored questionnaire %s does not load: %s", key, error)
        return False
    return True


async def load_stored_forms(sessions: async_sessionmaker) -> int:
    """At start-up: every questionnaire supervisors added, findable by `registry.form`. One
    that no longer loads (a shipped form took its id, the schema changed) is logged and left
    out: it was accepted once, so it must not stop the product."""
    async with unit_of_work(sessions) as session:
        rows = await store.custom_forms(session)
    loaded = 0
    for row in rows:
        try:
            registry.remember(_definition(row.yaml, row.key))
            loaded += 1
        except FormDefinitionError as error:
            log.warning("stored questionnaire %s left out: %s", row.key, error)
    return loaded


@dataclass(frozen=True)
class FormAdded:
    key: str
    title: str
    replaced: bool


@dataclass(frozen=True)
class FormRefused:
    problems: list[str]


async def add_form(
    session: AsyncSession, actor: Actor, text: str, filename: str
) -> FormAdded | FormRefused:
    """A supervisor's questionnaire: checked as the files are at start-up, refused with every
    reason; else stored for their region (replacing their earlier version of the same id)
    and usable for campaigns at once."""
    region_ids = regions(actor, Action.FORM_ADD)
    if not region_ids:
        raise NotAllowed
    try:
        definition = _definition(text, filename)
    except FormDefinitionError as error:
        return FormRefused(error.problems)
    if definition.id in registry.forms():
        return FormRefused([f"form id {definition.id!r} is used by a shipped form"])
    earlier = await store.custom_form(session, definition.id)
    if earlier is not None and earlier.region_id not in region_ids:
        return FormRefused([f"form id {definition.id!r} is used by another region's form"])
    await store.save_custom_form(
        session, definition.id, text, region_ids[0], actor.person_id, actor.now
    )
    await repo.audit(
        session,
        "campaign.form_added",
        actor_id=actor.person_id,
        object_type="custom_form",
        form=definition.id,
        replaced=earlier is not None,
    )
    registry.remember(definition)
    return FormAdded(definition.id, definition.title(actor.locale), earlier is not None)


@dataclass(frozen=True)
class Scope:
    """Whose trainees a person pushes to: their institution's, or (a supervisor) their region's."""

    institution_id: int | None
    region_id: int | None


async def scope_of(session: AsyncSession, actor: Actor) -> Scope:
    own = institutions(actor, Action.CAMPAIGN_PUSH)
    if own:
        institution = found(await session.get(Institution, own[0]))
        return Scope(institution.id, institution.region_id)
    region_ids = regions(actor, Action.CAMPAIGN_PUSH)
    if region_ids:
        return Scope(None, region_ids[0])
    raise NotAllowed


async def pushable_forms(session: AsyncSession, actor: Actor) -> list[tuple[str, str]]:
    """(key, title) of the forms the actor may push: the shipped pushable ones, then those
    added for their region."""
    scope = await scope_of(session, actor)
    shipped = [
        (key, definition.title(actor.locale))
        for key, definition in registry.forms().items()
        if definition.pushable
    ]
    added = []
    for row in await store.custom_forms(session, [scope.region_id] if scope.region_id else []):
        if await ensure_form(session, row.key):
            added.append((row.key, registry.form(row.key).title(actor.locale)))
    return shipped + added


async def _pushable(session: AsyncSession, actor: Actor, key: str) -> FormDefinition:
    if key not in {k for k, _ in await pushable_forms(session, actor)}:
        raise NotFound
    return registry.form(key)


# --- setting a campaign up ---------------------------------------------------------------------


def _target(campaign: Campaign) -> Target:
    return Target.at(campaign.institution_id, campaign.region_id)


async def campaign_for(session: AsyncSession, actor: Actor, campaign_id: int) -> Campaign:
    """A campaign the actor may follow; a draft only its maker sets up."""
    campaign = found(await store.campaign(session, campaign_id))
    require(actor, Action.CAMPAIGN_PUSH, _target(campaign))
    if campaign.status == Status.DRAFT and campaign.created_by != actor.person_id:
        raise NotFound
    return campaign


async def draft_for(session: AsyncSession, actor: Actor, campaign_id: int) -> Campaign:
    """The actor's own campaign while it is still being set up (Stale once confirmed or
    cancelled)."""
    campaign = await campaign_for(session, actor, campaign_id)
    if campaign.status == Status.CONFIRMED:
        raise Stale("campaigns.confirmed_already")
    if campaign.status == Status.CANCELLED:
        raise Stale("campaigns.cancelled_already")
    return campaign


async def begin(session: AsyncSession, actor: Actor, form_key: str) -> Campaign:
    """A draft campaign of a form the actor may push."""
    await _pushable(session, actor, form_key)
    scope = await scope_of(session, actor)
    return await store.new_draft(
        session,
        token=secrets.token_hex(16),
        form_key=form_key,
        created_by=actor.person_id,
        institution_id=scope.institution_id,
        region_id=scope.region_id,
        now=actor.now,
    )


def chosen(campaign: Campaign, tz: tzinfo) -> Chosen:
    """The campaign's selection as the store reads it (an end-date range in local days)."""
    selection = campaign.selection
    kind = Selection(selection["kind"])
    scope = {"institution_id": campaign.institution_id, "region_id": campaign.region_id}
    match kind:
        case Selection.CLASS:
            return Chosen(kind, **scope, class_id=selection["class_id"])
        case Selection.ENDED:
            first, last = ended_range(selection)
            return Chosen(
                kind,
                **scope,
                ended_from=_local_midnight(first, tz),
                ended_before=_local_midnight(last + timedelta(days=1), tz),
            )
        case Selection.STATE:
            return Chosen(kind, **scope, state=TraineeState(selection["state"]))
    return Chosen(kind, **scope)


def _local_midnight(day: date, tz: tzinfo) -> datetime:
    return datetime.combine(day, time(0), tz)


async def choose(
    session: AsyncSession, actor: Actor, campaign_id: int, selection: dict[str, Any]
) -> Campaign:
    """Set the draft's selection (a class must be one of the scope's)."""
    campaign = await draft_for(session, actor, campaign_id)
    if selection.get("kind") == Selection.CLASS:
        training_class = found(await session.get(TrainingClass, selection.get("class_id")))
        in_scope = (
            training_class.institution_id == campaign.institution_id
            if campaign.institution_id is not None
            else training_class.region_id == campaign.region_id
        )
        if not in_scope:
            raise NotAllowed
    campaign.selection = selection
    session.add(campaign)
    return campaign


async def classes_page(
    session: AsyncSession, actor: Actor, campaign_id: int, page: int
) -> Page[TrainingClass]:
    campaign = await draft_for(session, actor, campaign_id)
    scope = Chosen(Selection.CLASS, campaign.institution_id, campaign.region_id)
    total = await store.classes_count(session, scope)
    page, pages, offset = page_window(total, page)
    shown = await store.classes_page(session, scope, offset, PAGE_SIZE)
    return Page(shown, page, pages, total)


@dataclass(frozen=True)
class Preview:
    campaign: Campaign
    title: str
    count: int
    class_name: str | None = None


async def preview(session: AsyncSession, actor: Actor, campaign_id: int, tz: tzinfo) -> Preview:
    """How many the draft's selection reaches now."""
    campaign = await draft_for(session, actor, campaign_id)
    if not selection_complete(campaign.selection):
        raise Stale("campaigns.no_selection")
    return await _preview(session, campaign, actor.locale, tz)


async def _preview(session: AsyncSession, campaign: Campaign, locale: str, tz: tzinfo) -> Preview:
    await ensure_form(session, campaign.form_key)
    count = await store.count_selected(session, chosen(campaign, tz))
    return Preview(
        campaign,
        registry.form(campaign.form_key).title(locale),
        count,
        await _class_name(session, campaign),
    )


async def _class_name(session: AsyncSession, campaign: Campaign) -> str | None:
    class_id = campaign.selection.get("class_id")
    if class_id is None:
        return None
    training_class = await session.get(TrainingClass, class_id)
    return training_class.name if training_class is not None else None


async def schedule(
    session: AsyncSession, actor: Actor, campaign_id: int, send_at: datetime | None, tz: tzinfo
) -> Preview:
    """Push now (None) or from `send_at`; the confirmation comes next."""
    campaign = await draft_for(session, actor, campaign_id)
    if not selection_complete(campaign.selection):
        raise Stale("campaigns.no_selection")
    campaign.send_at = send_at
    session.add(campaign)
    return await _preview(session, campaign, actor.locale, tz)


def send_time(send_on: str, hour_choice: str, tz: tzinfo) -> datetime:
    """The campaign_when form's answers as a moment: the day at the chosen local hour."""
    return datetime.combine(date.fromisoformat(send_on), time(int(hour_choice[1:])), tz)


def ended_selection(ended_from: str, ended_to: str) -> dict[str, Any]:
    return {"kind": Selection.ENDED.value, "from": ended_from, "to": ended_to}


@dataclass(frozen=True)
class Confirmed:
    campaign: Campaign
    recipients: int
    already: bool


async def confirm(session: AsyncSession, actor: Actor, campaign_id: int, tz: tzinfo) -> Confirmed:
    """The draft becomes a campaign: its recipients chosen in one INSERT ... SELECT, queued
    for the scan. Confirming again (a double tap, a second chat) changes nothing."""
    campaign = await campaign_for(session, actor, campaign_id)
    if campaign.status == Status.CONFIRMED:
        total = (await counts(session, actor, campaign_id)).total
        return Confirmed(campaign, total, already=True)
    if campaign.status == Status.CANCELLED:
        raise Stale("campaigns.cancelled_already")
    if not selection_complete(campaign.selection):
        raise Stale("campaigns.no_selection")
    added = await store.add_recipients(session, campaign.id, chosen(campaign, tz), actor.now)
    campaign.status = Status.CONFIRMED
    campaign.confirmed_at = actor.now
    session.add(campaign)
    await repo.audit(
        session,
        "campaign.confirmed",
        actor_id=actor.person_id,
        object_type="campaign",
        object_id=campaign.id,
        form=campaign.form_key,
        selection=campaign.selection,
        recipients=added,
    )
    return Confirmed(campaign, added, already=False)


# --- following a campaign ----------------------------------------------------------------------


async def counts(session: AsyncSession, actor: Actor, campaign_id: int) -> Counts:
    await campaign_for(session, actor, campaign_id)
    return Counts.of(await store.counts(session, campaign_id))


@dataclass(frozen=True)
class Dashboard:
    campaign: Campaign
    title: str
    counts: Counts
    class_name: str | None
    may_remind: bool


async def dashboard(session: AsyncSession, actor: Actor, campaign_id: int) -> Dashboard:
    """The live counts and percentages per state, and what may be done now."""
    campaign = await campaign_for(session, actor, campaign_id)
    await ensure_form(session, campaign.form_key)
    live = Counts.of(await store.counts(session, campaign_id))
    return Dashboard(
        campaign,
        registry.form(campaign.form_key).title(actor.locale),
        live,
        await _class_name(session, campaign),
        may_remind(campaign.status, campaign.reminded_at, live),
    )


async def campaigns_page(
    session: AsyncSession, actor: Actor, page: int
) -> Page[tuple[Campaign, str]]:
    """The campaigns the actor follows (their institution's, their region's), newest first."""
    institution_ids = institutions(actor, Action.CAMPAIGN_PUSH)
    region_ids = regions(actor, Action.CAMPAIGN_PUSH)
    total = await store.campaign_count(session, institution_ids, region_ids)
    page, pages, offset = page_window(total, page)
    shown = []
    for campaign in await store.campaigns_page(
        session, institution_ids, region_ids, offset, PAGE_SIZE
    ):
        title = campaign.form_key
        if await ensure_form(session, campaign.form_key):
            title = registry.form(campaign.form_key).title(actor.locale)
        shown.append((campaign, title))
    return Page(shown, page, pages, total)


async def waiting_page(
    session: AsyncSession,
    actor: Actor,
    campaign_id: int,
    page: int,
    shown: Sequence[Reply] = WAITING,
) -> Page[tuple[str, Reply]]:
    """Who was pushed and has not answered (name and state), a page at a time; with `shown`,
    the recipients in those states (the console lists every recipient: SHOWN)."""
    await campaign_for(session, actor, campaign_id)
    states = [state.value for state in shown]
    total = await store.waiting_count(session, campaign_id, states)
    page, pages, offset = page_window(total, page)
    rows = await store.waiting_page(session, campaign_id, states, offset, PAGE_SIZE)
    named = await people.names(session, [person_id for person_id, _ in rows])
    return Page([(named.get(p, "?"), Reply(state)) for p, state in rows], page, pages, total)


async def remind(session: AsyncSession, actor: Actor, campaign_id: int) -> int:
    """Remind, once, everyone pushed who has not answered (the scan sends it); returns how
    many are waiting."""
    campaign = await campaign_for(session, actor, campaign_id)
    live = Counts.of(await store.counts(session, campaign_id))
    if campaign.reminded_at is not None:
        raise Stale("campaigns.reminded_already")
    if not may_remind(campaign.status, campaign.reminded_at, live):
        raise Stale("campaigns.nobody_waiting")
    campaign.reminded_at = actor.now
    session.add(campaign)
    await repo.audit(
        session,
        "campaign.reminded",
        actor_id=actor.person_id,
        object_type="campaign",
        object_id=campaign.id,
    )
    return live.waiting


async def cancel(session: AsyncSession, actor: Actor, campaign_id: int) -> int:
    """Cancel what has not been sent: queued recipients are never pushed (those pushed may
    still answer). Returns how many were cancelled."""
    campaign = await campaign_for(session, actor, campaign_id)
    if campaign.status == Status.CANCELLED:
        raise Stale("campaigns.cancelled_already")
    cancelled = await store.cancel_queued(session, campaign.id, actor.now)
    campaign.status = Status.CANCELLED
    campaign.cancelled_at = actor.now
    session.add(campaign)
    await repo.audit(
        session,
        "campaign.cancelled",
        actor_id=actor.person_id,
        object_type="campaign",
        object_id=campaign.id,
        unsent=cancelled,
    )
    return cancelled


@dataclass(frozen=True)
class Results:
    title: str
    answered: int
    tallies: list[Tally]
    chart: bytes | None


async def results(session: AsyncSession, actor: Actor, campaign_id: int, i18n: I18n) -> Results:
    """The answers aggregated question by question, with a chart of the first counted one."""
    campaign = await campaign_for(session, actor, campaign_id)
    await ensure_form(session, campaign.form_key)
    definition = registry.form(campaign.form_key)
    given = [answers for _, _, answers in await store.answers(session, campaign_id)]
    counted = tallies(definition, given)
    chart = None
    first = next((t for t in counted if t.answered), None)
    if first is not None:
        yes_no = (i18n("campaigns.yes"), i18n("campaigns.no"))
        rows = [
            (
                option_label(first.question, option, i18n.locale, yes_no),
                100 * count / first.answered,
            )
            for option, count in first.options
        ]
        chart = charts.averages(
            i18n("campaigns.chart_title", question=first.question.label(i18n.locale)), rows, 100
        )
    return Results(definition.title(i18n.locale), len(given), counted, chart)


async def export(
    session: AsyncSession, actor: Actor, campaign_id: int, how: Export, i18n: I18n, tz: tzinfo
) -> tuple[str, bytes]:
    """An .xlsx of every answer, one row a person: choices as labels or as codes."""
    campaign = await campaign_for(session, actor, campaign_id)
    await ensure_form(session, campaign.form_key)
    definition = registry.form(campaign.form_key)
    questions = exported_questions(definition)
    rows = await store.answers(session, campaign_id)
    named = await people.names(session, [person_id for person_id, _, _ in rows])
    yes_no = (i18n("campaigns.yes"), i18n("campaigns.no"))
    head = [i18n("campaigns.column_name"), i18n("campaigns.column_submitted")]
    table = [
        [
            named.get(person_id, ""),
            submitted.astimezone(tz).strftime("%Y-%m-%d %H:%M"),
            *(cell(q, answers.get(q.id), how, i18n.locale, yes_no) for q in questions),
        ]
        for person_id, submitted, answers in rows
    ]
    data = write_rows(
        definition.title(i18n.locale),
        head + [header(q, how, i18n.locale) for q in questions],
        table,
    )
    return f"{campaign.form_key}-{campaign.id}-{how.value}.xlsx", data


# --- answering ---------------------------------------------------------------------------------


@dataclass(frozen=True)
class Opened:
    """The campaign's form to fill: the draft already open for it, or the form and context."""

    form_id: str
    context: dict[str, Any]
    draft: FormDraft | None = None


async def _own(session: AsyncSession, actor: Actor, campaign_id: int) -> Any:
    row = found(await store.recipient(session, campaign_id, actor.person_id))
    require(actor, Action.CAMPAIGN_REPLY, Target.at(owner=row.person_id))
    return row


async def open_reply(session: AsyncSession, actor: Actor, campaign_id: int) -> Opened:
    """The recipient's own questionnaire: Stale once answered, or when it was never sent."""
    row = await _own(session, actor, campaign_id)
    if row.state == Reply.COMPLETED:
        raise Stale("campaigns.answered_already")
    if row.state in (Reply.QUEUED, Reply.CANCELLED):
        raise Stale("campaigns.closed")
    campaign = found(await store.campaign(session, campaign_id))
    if not await ensure_form(session, campaign.form_key):
        raise NotFound
    await store.set_state(session, campaign_id, [actor.person_id], Reply.STARTED, actor.now)
    draft = await form_store.active_draft(session, actor.person_id)
    if draft is not None and draft.context.get("campaign_id") == campaign_id:
        return Opened(campaign.form_key, draft.context, draft)
    return Opened(campaign.form_key, {"campaign_id": campaign_id})


async def stop(session: AsyncSession, actor: Actor, campaign_id: int) -> bool:
    """不再接收: the recipient stops follow-ups, as with /stop (one record, `storage.followup`):
    no campaign or tracking survey is pushed to them any more. False when they had stopped
    this campaign already."""
    row = await _own(session, actor, campaign_id)
    if row.state == Reply.STOPPED:
        return False
    await store.set_state(session, campaign_id, [actor.person_id], Reply.STOPPED, actor.now)
    await followup.stop(session, actor.person_id, actor.now)
    await repo.audit(
        session,
        "campaign.stopped",
        actor_id=actor.person_id,
        object_type="campaign",
        object_id=campaign_id,
    )
    return True


async def answered(session: AsyncSession, submission: FormSubmission, now: datetime) -> bool:
    """A campaign's form was submitted (its draft's context names the campaign): the recipient
    has completed it (a revision later points at the newer submission)."""
    campaign_id = submission.context.get("campaign_id")
    if not isinstance(campaign_id, int):
        return False
    row = await store.recipient(session, campaign_id, submission.person_id)
    if row is None:
        return False
    row.state = Reply.COMPLETED
    row.submission_id = submission.id
    row.updated_at = now
    session.add(row)
    return True
