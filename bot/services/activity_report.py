"""The class activity report (T11): read from the store, built by bot/domain/activity_report.py,
printed by bot/views/activity_report.py; sent on demand to teachers, staff and supervisors
(`Action.ACTIVITY_REPORT`) and pushed once, as PDF and XLSX, to the institution's staff when
the class is assessed (`due`, `printed`, `push`: a set-based query for the pushes not queued
yet). The teaching lecturers are asked once for their comments when the class ends
(`ask_comments`)."""

from __future__ import annotations

import asyncio
from dataclasses import dataclass
from datetime import datetime, timedelta

from sqlmodel.ext.asyncio.session import AsyncSession

from bot import notifier
from bot.domain import activity_report as domain
from bot.domain.assessment import ClassStage
from bot.domain.attendance import local_day
from bot.domain.roles import Role
from bot.i18n import I18n
from bot.policy import RULES, Action, Reach
from bot.services.actor import Actor
from bot.services.targets import class_for
from bot.views import activity_report as views
from bot.views.activity_report import comment_button
from bot.views.pages import PAGE_SIZE, Page, page_window
from storage import assessment as assessment_store
from storage import attendance, feedback_views, reporting
from storage import classes as class_store
from storage.models import FormSubmission, Institution, Region, TrainingClass
from storage.people import names

COMMENTS_FORM = "activity_comments"
REGISTRATION, APPENDIX3, PRACTICE = "registration", "appendix3", "practice_results"

PUSH_WINDOW = timedelta(days=7)
"""A class assessed longer ago than this is no longer pushed (staff who join later fetch the
report from the class card); it also keeps the scan's candidates few."""


async def comments_of(session: AsyncSession, training_class: TrainingClass) -> list[FormSubmission]:
    """The teaching lecturers' current comments on the class, in teacher order."""
    teachers = await class_store.teacher_ids(session, training_class.id)
    found = await assessment_store.latest_submissions(
        session, COMMENTS_FORM, teachers, training_class.id
    )
    return [found[t] for t in teachers if t in found]


async def comments_opening(
    session: AsyncSession, actor: Actor, class_id: int
) -> FormSubmission | None:
    """A teaching lecturer opens their comments on the class (`ACTIVITY_COMMENT`): the last
    version they wrote, if any."""
    training_class = await class_for(session, actor, Action.ACTIVITY_COMMENT, class_id)
    found = await assessment_store.latest_submissions(
        session, COMMENTS_FORM, [actor.person_id], training_class.id
    )
    return found.get(actor.person_id)


async def facts(session: AsyncSession, training_class: TrainingClass) -> domain.Facts:
    """Everything the report says about the class, as plain data."""
    class_id = training_class.id
    zone = training_class.timezone
    sessions = await class_store.sessions_of(session, class_id)
    marks: dict[int, dict[int, str]] = {}
    for session_id, person_id, status in await reporting.marks_of_class(session, class_id):
        marks.setdefault(session_id, {})[person_id] = status
    trainee_ids = await attendance.enrolled_ids(session, class_id)
    teacher_ids = await class_store.teacher_ids(session, class_id)
    named = await names(session, [*trainee_ids, *teacher_ids])
    registrations = await assessment_store.latest_submissions(session, REGISTRATION, trainee_ids)
    appendices = await assessment_store.latest_submissions(session, APPENDIX3, trainee_ids)
    practice = await assessment_store.latest_submissions(session, PRACTICE, trainee_ids, class_id)
    results = {}
    for result in await assessment_store.results_of(session, class_id):  # latest round wins
        if result.trainee_id not in results or result.round >= results[result.trainee_id].round:
            results[result.trainee_id] = result
    rounds = []
    for found in await feedback_views.rounds(session, class_id):
        got = await feedback_views.answers_of(session, class_id, found.kind, found.day)
        rounds.append(
            domain.FeedbackRound(found.kind, found.day, got.asked, got.answers, got.context)
        )
    comments = [
        domain.Comment(named.get(c.person_id, ""), dict(c.answers))
        for c in await comments_of(session, training_class)
    ]
    institution = await session.get(Institution, training_class.institution_id)
    region = await session.get(Region, training_class.region_id)
    days = [local_day(item.starts_at, zone) for item in sessions]
    return domain.Facts(
        class_name=training_class.name,
        programme=training_class.programme,
        institution=institution.name if institution else "",
        region=region.name if region else "",
        first=min(days, default=None),
        last=max(days, default=None),
        teachers=[named.get(t, "") for t in teacher_ids],
        sessions=[
            domain.HeldSession(
                day=item.day,
                slot=item.slot,
                on=local_day(item.starts_at, zone),
                topic=item.topic,
                hours=item.hours,
                held=item.checkin_closed_at is not None or item.id in marks,
                marks=marks.get(item.id, {}),
            )
            for item in sessions
        ],
        trainees=[
            domain.Trainee(
                person_id=t,
                name=named.get(t, ""),
                registration=registrations[t].answers if t in registrations else {},
                appendix3=appendices[t].answers if t in appendices else {},
                practice=practice[t].answers if t in practice else None,
                passed=results[t].passed if t in results else None,
                final=results[t].final if t in results else None,
            )
            for t in trainee_ids
        ],
        rounds=rounds,
        comments=comments,
    )


async def report(session: AsyncSession, training_class: TrainingClass) -> domain.Report:
    return domain.build(await facts(session, training_class))


@dataclass(frozen=True)
class Files:
    """The report printed: PDF and XLSX, with their file names."""

    class_name: str
    pdf: tuple[str, bytes]
    xlsx: tuple[str, bytes]


async def files(built: domain.Report, i18n: I18n) -> Files:
    """The PDF and XLSX, drawn off the event loop (the PDF is about half a second of CPU)."""
    pdf = await asyncio.to_thread(views.report_pdf, built, i18n)
    xlsx = await asyncio.to_thread(views.report_xlsx, built, i18n)
    return Files(
        built.facts.class_name,
        (i18n("reports.report_pdf_file", name=built.facts.class_name), pdf),
        (i18n("reports.report_xlsx_file", name=built.facts.class_name), xlsx),
    )


async def for_actor(session: AsyncSession, actor: Actor, class_id: int) -> Files:
    """The report of a class the actor may read (`ACTIVITY_REPORT`), in their language."""
    training_class = await class_for(session, actor, Action.ACTIVITY_REPORT, class_id)
    return await files(await report(session, training_class), I18n(actor.locale))


async def classes_for(
    session: AsyncSession, actor: Actor, action: Action, page: int = 0
) -> Page[TrainingClass]:
    """One page of the approved classes the actor reaches for `action` (those they teach, of
    their institution or region, or all), the most recent first."""
    rules = RULES[action]
    reaches = {
        reach: [g for g in actor.grants if reach in getattr(rules.get(g.role), "reaches", ())]
        for reach in Reach
    }

    async def window(offset: int) -> tuple[int, list[TrainingClass]]:
        return await assessment_store.classes_followed(
            session,
            taught_by=actor.person_id if reaches[Reach.TAUGHT] else None,
            institution_ids={
                g.institution_id for g in reaches[Reach.INSTITUTION] if g.institution_id
            },
            region_ids={g.region_id for g in reaches[Reach.REGION] if g.region_id},
            everything=bool(reaches[Reach.ALL]),
            offset=offset,
            limit=PAGE_SIZE,
        )

    asked = max(page, 0) * PAGE_SIZE
    total, shown = await window(asked)
    page, pages, offset = page_window(total, page)
    if offset != asked:  # past the last page: show the last
        total, shown = await window(offset)
    return Page(shown, page, pages, total)


@dataclass(frozen=True)
class Due:
    """Reports to push: each class's built report and the staff who have not been sent it."""

    reports: dict[int, domain.Report]
    readers: list[tuple[int, notifier.Reader]]


async def due(session: AsyncSession, now: datetime) -> Due:
    """The classes assessed within `PUSH_WINDOW` whose institution's staff have not been
    queued their report, with the reports built (one set-based query finds them)."""
    found = await reporting.reports_due(
        session, Role.INSTITUTION, now - PUSH_WINDOW, (ClassStage.ASSESSED,)
    )
    readers = await notifier.readers(session, {person_id for _, person_id in found})
    pairs = [(c, readers[p]) for c, p in found if p in readers]
    built = {}
    for class_id in dict.fromkeys(c for c, _ in pairs):
        built[class_id] = await report(session, await session.get(TrainingClass, class_id))
    return Due(built, pairs)


async def printed(waiting: Due) -> dict[tuple[int, str], Files]:
    """Each due report printed once per language its readers read (outside any transaction:
    a PDF is half a second of CPU)."""
    out: dict[tuple[int, str], Files] = {}
    for class_id, reader in waiting.readers:
        if (class_id, reader.locale) not in out:
            out[class_id, reader.locale] = await files(
                waiting.reports[class_id], I18n(reader.locale)
            )
    return out


async def push(session: AsyncSession, waiting: Due, prints: dict[tuple[int, str], Files]) -> int:
    """Queue the PDF and the XLSX to each reader (outbox keys `report:<class>:<person>`, so a
    rerun or a second process sends nothing twice); returns the pushes queued."""
    notices = []
    for class_id, reader in waiting.readers:
        done = prints[class_id, reader.locale]
        key = f"report:{class_id}:{reader.person_id}"
        for suffix, message, document in (
            ("", "reports.pushed_pdf", done.pdf),
            (":xlsx", "reports.pushed_xlsx", done.xlsx),
        ):
            notices.append(
                notifier.notice(
                    reader, message, key=key + suffix, document=document, name=done.class_name
                )
            )
    return await notifier.tell_many(session, notices)


async def _comments_due(session: AsyncSession, now: datetime) -> list[tuple[int, int, str]]:
    """(class, lecturer, class name) of the teaching lecturers of classes ended (or assessed)
    within `PUSH_WINDOW` not asked for their comments yet."""
    return await reporting.comments_due(
        session, now - PUSH_WINDOW, (ClassStage.ENDED, ClassStage.ASSESSED)
    )


async def anyone_to_ask_for_comments(session: AsyncSession, now: datetime) -> bool:
    """Whether `ask_comments` has anyone to ask: read first, so an idle scan takes no write
    lock."""
    return bool(await _comments_due(session, now))


async def ask_comments(session: AsyncSession, now: datetime) -> int:
    """Ask each teaching lecturer of a class ended (or assessed) within `PUSH_WINDOW` once for
    their comments, with a button that opens the form; returns the pushes queued."""
    found = await _comments_due(session, now)
    readers = await notifier.readers(session, {person_id for _, person_id, _ in found})
    notices = [
        notifier.notice(
            readers[person_id],
            "reports.ask_comments",
            key=f"comments:{class_id}:{person_id}",
            keyboard=lambda i18n, class_id=class_id: comment_button(i18n, class_id),
            name=name,
        )
        for class_id, person_id, name in found
        if person_id in readers
    ]
    return await notifier.tell_many(session, notices)
