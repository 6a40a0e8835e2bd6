"""Statistics (S-17, S-41; article 24(三)): the one source of figures for /stats in chat, its
XLSX export and the web console's dashboard.

`figures(session, actor, dimension, period, filters)` reads the classes the actor reaches
(supervisor: their region and every region under it; institution staff: their institution;
admin: everything) whose first day falls in the period, runs one grouped query per figure
(`queries()`, each per class), adds the classes up by the dimension (class, region, institution,
month or quarter of their first day) and applies the small-count rule
(`bot.domain.stats.figure`: "<3"). No query is per person. A closed class's tallies are kept
(`keep_closed`, run by the scheduler: table `stats_class`, renewed daily), so only running
classes and closed ones not yet kept are read live.

A new figure is one query function of storage/stats.py's shape added to `queries()`; while its
table is being built it may be listed in `PENDING` (shown as "—").
"""

from __future__ import annotations

from collections.abc import Awaitable, Callable, Iterable
from dataclasses import dataclass, field
from datetime import datetime, timedelta
from functools import cache, partial
from typing import Any

from sqlalchemy import Select
from sqlmodel.ext.asyncio.session import AsyncSession

from bot import policy
from bot.domain.feedback import Kind
from bot.domain.stats import (
    COLUMNS,
    MEASURES,
    TURNOVER_BANDS,
    Dimension,
    Period,
    Shown,
    Span,
    Tally,
    descendants,
    figure,
    month_key,
    quarter_key,
    roll_up,
    span,
)
from bot.forms.registry import form
from bot.forms.schema import QuestionType
from bot.policy import Action, Reach
from bot.services.actor import Actor
from bot.services.errors import NotAllowed
from storage import stats as store
from storage.models import Institution, Region

PENDING: tuple[str, ...] = ()
"""Figures whose tables are being built: shown as "—" until their query joins queries()."""


DAILY_QUESTIONS = ("overall",)
"""The daily feedback's figure: the day's overall satisfaction (what its chart shows too)."""


@cache
def rating_questions(*form_ids: str) -> tuple[str, ...]:
    """The rating questions of these forms (their averages are the satisfaction figures)."""
    found: set[str] = set()
    for form_id in form_ids:
        for question in form(form_id).questions():
            for each in (question, *question.questions):
                if each.type == QuestionType.RATING:
                    found.add(each.id)
    return tuple(sorted(found))


Query = Callable[[AsyncSession, Select[Any]], Awaitable[list[store.Part]]]


def queries() -> tuple[Query, ...]:
    return (
        store.enrolled,
        store.screened,
        store.attendance,
        partial(
            store.ratings,
            column="feedback",
            kinds=(Kind.DAILY,),
            questions=DAILY_QUESTIONS,
        ),
        partial(
            store.ratings,
            column="evaluation",
            kinds=(Kind.MIDTERM, Kind.FINAL),
            questions=rating_questions("midterm_eval", "final_eval"),
        ),
        store.assessment,
        store.certificates,
        store.followup,
        store.businesses,
        store.jobs,
        partial(store.turnover, bands=TURNOVER_BANDS),
    )


async def _count(session: AsyncSession, ids: Select[Any]) -> dict[str, dict[int, Tally]]:
    """Every figure of these classes, live: column → class → tally."""
    parts: dict[str, dict[int, Tally]] = {}
    for query in queries():
        for part in await query(session, ids):
            parts.setdefault(part.column, {})[part.class_id] = Tally(
                part.people, part.num, part.den
            )
    return parts


KEEP_FOR = timedelta(days=1)
"""A closed class's kept tallies are counted again after this (a learner may still edit their
registration, say); a running class is always counted live."""
KEEP_BATCH = 200
"""Closed classes counted in one unit of work."""


async def keep_closed(session: AsyncSession, now: datetime, limit: int = KEEP_BATCH) -> int:
    """Count closed classes whose kept tallies are missing or older than KEEP_FOR and keep
    them (the scheduler's statistics job); returns how many were counted."""
    ids = await store.to_keep(session, now - KEEP_FOR, limit)
    if not ids:
        return 0
    tallies: dict[int, dict[str, list[float]]] = {class_id: {} for class_id in ids}
    for column, by_class in (await _count(session, store.only(ids))).items():
        for class_id, tally in by_class.items():
            tallies[class_id][column] = [tally.people, tally.num, tally.den]
    await store.keep(session, tallies, now)
    return len(ids)


@dataclass(frozen=True)
class Filters:
    """Narrow the figures (the console's filters); never widen the actor's reach."""

    region_id: int | None = None
    institution_id: int | None = None
    programme: str | None = None


@dataclass(frozen=True)
class Row:
    key: str
    label: str
    figures: dict[str, Shown]
    classes: int = 0


@dataclass(frozen=True)
class Table:
    dimension: Dimension
    period: Span
    rows: list[Row]
    total: Row
    pending: tuple[str, ...] = PENDING
    columns: tuple[str, ...] = field(default=tuple(c.key for c in COLUMNS))


def _reach(actor: Actor, parents: dict[int, int | None]) -> tuple[bool, set[int], set[int]]:
    rules = policy.RULES[Action.STATS_VIEW]
    everything = any(Reach.ALL in getattr(rules.get(g.role), "reaches", ()) for g in actor.grants)
    regions = descendants(parents, policy.regions(actor, Action.STATS_VIEW))
    institutions = set(policy.institutions(actor, Action.STATS_VIEW))
    return everything, regions, institutions


def may_view(actor: Actor) -> bool:
    return policy.may(actor, Action.STATS_VIEW)


def _shown(tallies: dict[str, Tally]) -> dict[str, Shown]:
    return {
        key: None if key in PENDING else figure(MEASURES[key], tallies.get(key, Tally()))
        for key in MEASURES
    }


def _group_of(dimension: Dimension, row: store.ClassRow) -> str:
    match dimension:
        case Dimension.CLASS:
            return str(row.id)
        case Dimension.REGION:
            return str(row.region_id)
        case Dimension.INSTITUTION:
            return str(row.institution_id)
        case Dimension.MONTH:
            return month_key(row.start_date)
        case Dimension.QUARTER:
            return quarter_key(row.start_date)


async def _labels(
    session: AsyncSession, dimension: Dimension, classes: Iterable[store.ClassRow]
) -> dict[str, str]:
    classes = list(classes)
    if dimension is Dimension.CLASS:
        return {str(c.id): c.name for c in classes}
    if dimension is Dimension.REGION:
        named = await store.names(session, Region, {c.region_id for c in classes})
    elif dimension is Dimension.INSTITUTION:
        named = await store.names(session, Institution, {c.institution_id for c in classes})
    else:
        return {}
    return {str(k): v for k, v in named.items()}


def _order(dimension: Dimension, classes: list[store.ClassRow]) -> dict[str, Any]:
    """How rows sort: classes by first day (latest first), periods in time, places by name."""
    if dimension is Dimension.CLASS:
        return {str(c.id): (-c.start_date.toordinal(), c.id) for c in classes}
    return {}


async def figures(
    session: AsyncSession,
    actor: Actor,
    dimension: Dimension,
    period: Period | Span,
    filters: Filters = Filters(),
) -> Table:
    """The statistics table the actor may see: one row per group of the dimension, and the
    total; NotAllowed for someone who may see no statistics."""
    if not may_view(actor):
        raise NotAllowed
    when = span(period, actor.now.date()) if isinstance(period, Period) else period
    everything, regions, institutions = _reach(actor, await store.region_parents(session))
    ids = store.scope(
        everything=everything,
        region_ids=regions,
        institution_ids=institutions,
        start=when.start,
        end=when.end,
        region_id=filters.region_id,
        institution_id=filters.institution_id,
        programme=filters.programme,
    )
    classes = await store.classes(session, ids)
    parts = await _count(session, store.not_kept(ids))
    for class_id, kept in (await store.kept(session, ids)).items():
        for column, (people, num, den) in kept.items():
            parts.setdefault(column, {})[class_id] = Tally(int(people), num, den)
    groups = {c.id: _group_of(dimension, c) for c in classes}
    rolled = roll_up(parts, groups)
    everything_row = roll_up(parts, dict.fromkeys(groups, "total")).get("total", {})
    counts: dict[str, int] = {}
    for group in groups.values():
        counts[group] = counts.get(group, 0) + 1
    labels = await _labels(session, dimension, classes)
    order = _order(dimension, classes)
    keys = sorted(counts, key=lambda k: order.get(k, (labels.get(k, k), k)))
    rows = [Row(k, labels.get(k, k), _shown(rolled.get(k, {})), counts[k]) for k in keys]
    total = Row("total", "", _shown(everything_row), len(classes))
    return Table(dimension, when, rows, total)
