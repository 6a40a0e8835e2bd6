"""The reporting bundle (S-15 「资料报送」): one ZIP of a class's papers for the institution's
staff and the region's supervisor (`Action.REPORT_BUNDLE`).

The bundle is a list of named parts (`PARTS`): each is a function of the class that returns
its files (or none), so adding a part is one line. Spreadsheets are XLSX with headers in the
reader's language (bot/xlsx.py); ID and mobile numbers are masked (bot/privacy.py) unless the
reader may see them in full (`Action.PERSONAL_DATA_FULL`). The heavy parts (XLSX, the report's
PDF, the ZIP) are built off the event loop; the archives fit Telegram's upload limit or are
split into numbered ones (bot/zips.py).
"""

from __future__ import annotations

import asyncio
from collections.abc import Awaitable, Callable, Sequence
from dataclasses import dataclass
from functools import partial
from typing import Any

from sqlmodel.ext.asyncio.session import AsyncSession

from bot import zips
from bot.domain.activity_report import Report
from bot.domain.attendance import local_day
from bot.domain.checkin import ATTENDED
from bot.forms.registry import form
from bot.i18n import I18n
from bot.policy import Action, allowed
from bot.privacy import mask_id_number, mask_phone
from bot.services import activity_report
from bot.services.actor import Actor
from bot.services.targets import class_and_target
from bot.views.activity_report import answer, feedback_rows, headers
from bot.views.classes import local_time
from bot.xlsx import write_sheets
from storage import assessment as assessment_store
from storage import classes as class_store
from storage import issuing as issuing_store
from storage import reporting
from storage.models import ClassSession, Institution, Region, TrainingClass
from storage.people import names

File = tuple[str, bytes]


@dataclass
class Papers:
    """What every part reads: the class, its timetable, the built report, the reader."""

    session: AsyncSession
    training_class: TrainingClass
    sessions: list[ClassSession]
    report: Report
    i18n: I18n
    full: bool
    """The reader may see ID and mobile numbers in full."""

    def sheet(self, part: str, rows: Sequence[Sequence[Any]]) -> Awaitable[File]:
        """One XLSX file of this part: its file name, sheet title and headers from i18n."""
        return _sheet(self.i18n, part, rows)

    def personal(self, value: Any, mask: Callable[[str], str]) -> str:
        if value in (None, ""):
            return ""
        return str(value) if self.full else mask(str(value))

    def slot(self, item: ClassSession) -> str:
        day = local_day(item.starts_at, self.training_class.timezone).isoformat()
        return f"{day} {self.i18n('attendance.slot_name', slot=item.slot)}"


async def _sheet(i18n: I18n, part: str, rows: Sequence[Sequence[Any]]) -> File:
    data = await asyncio.to_thread(
        write_sheets, [(i18n(f"reports.s_{part}"), headers(i18n, part), rows)]
    )
    return i18n(f"reports.file_{part}"), data


async def application(p: Papers) -> list[File]:
    """The class as applied for and approved (开班申请)."""
    c, i18n = p.training_class, p.i18n
    institution = await p.session.get(Institution, c.institution_id)
    region = await p.session.get(Region, c.region_id)
    deciders = await names(p.session, [x for x in (c.decided_by,) if x])
    rows = [
        ("class", c.name),
        ("programme", i18n("classes.programme_name", programme=c.programme)),
        ("institution", institution.name if institution else ""),
        ("region", region.name if region else ""),
        ("venue", c.venue_address),
        ("start", c.start_date.isoformat()),
        ("capacity", c.capacity),
        ("teachers", "、".join(p.report.facts.teachers)),
        ("hours", sum(item.hours for item in p.sessions)),
        ("submitted", local_time(c.submitted_at, c)),
        ("decided", local_time(c.decided_at, c)),
        ("decided_by", deciders.get(c.decided_by, "") if c.decided_by else ""),
        ("status", i18n("classes.status_name", status=c.status)),
    ]
    return [await p.sheet("application", [(i18n("reports.field", name=k), v) for k, v in rows])]


async def timetable(p: Papers) -> list[File]:
    c = p.training_class
    zone = c.timezone
    rows = [
        [
            item.day,
            local_day(item.starts_at, zone).isoformat(),
            p.i18n("attendance.slot_name", slot=item.slot),
            local_time(item.starts_at, c)[-5:],
            local_time(item.ends_at, c)[-5:],
            item.hours,
            item.topic,
        ]
        for item in p.sessions
    ]
    return [await p.sheet("timetable", rows)]


async def equipment(p: Papers) -> list[File]:
    """The checklist as confirmed (T4, the last version by whoever confirmed it): each item
    and its answer."""
    c = p.training_class
    found = []
    if c.equipment_confirmed_by is not None:
        for form_id in ("equipment", "equipment_trainer"):
            done = await reporting.class_forms(p.session, form_id, c.id, c.equipment_confirmed_by)
            found += [(form_id, done[-1])] if done else []
    rows = [
        [question.label(p.i18n.locale), answer(form_id, question.id, value, p.i18n)]
        for form_id, done in found[-1:]
        for question in form(form_id).questions()
        if (value := done.answers.get(question.id)) is not None
    ]
    return [await p.sheet("equipment", rows)]


async def roster(p: Papers) -> list[File]:
    """The trainees, their personal data (masked unless allowed) and a column per session."""
    trainees = p.report.facts.trainees
    by_session: dict[int, dict[int, str]] = {}
    for session_id, person_id, status in await reporting.marks_of_class(
        p.session, p.training_class.id
    ):
        by_session.setdefault(session_id, {})[person_id] = status
    rows = []
    for t in trainees:
        reg = t.registration
        marks = [by_session.get(item.id, {}).get(t.person_id) for item in p.sessions]
        attended = sum(mark in ATTENDED for mark in marks)
        held = sum(mark is not None for mark in marks)
        rows.append(
            [
                t.name,
                answer("registration", "gender", reg.get("gender"), p.i18n),
                p.personal(reg.get("id_number"), mask_id_number),
                p.personal(reg.get("mobile"), mask_phone),
                *(p.i18n("reports.mark", mark=mark) for mark in marks),
                attended,
                f"{round(100 * attended / held)}%" if held else "—",
            ]
        )
    header = [
        *headers(p.i18n, "roster")[:4],
        *(p.slot(item) for item in p.sessions),
        *headers(p.i18n, "roster")[4:],
    ]
    data = await asyncio.to_thread(write_sheets, [(p.i18n("reports.s_roster"), header, rows)])
    return [(p.i18n("reports.file_roster"), data)]


async def leave(p: Papers) -> list[File]:
    requests = await reporting.leaves_of_class(p.session, p.training_class.id)
    named = await names(
        p.session,
        {r.person_id for r in requests} | {r.decided_by for r in requests if r.decided_by},
    )
    sessions = {item.id: item for item in p.sessions}
    c = p.training_class
    rows = [
        [
            named.get(r.person_id, ""),
            "、".join(p.slot(sessions[s]) for s in r.session_ids if s in sessions),
            r.hours,
            r.reason,
            p.i18n("reports.leave_status", status=r.status),
            named.get(r.decided_by, "") if r.decided_by else "",
            local_time(r.created_at, c),
            local_time(r.decided_at, c),
        ]
        for r in requests
    ]
    return [await p.sheet("leave", rows)]


async def feedback(p: Papers) -> list[File]:
    return [await p.sheet("feedback", feedback_rows(p.report, p.i18n))]


async def scores(p: Papers) -> list[File]:
    """Each round's final result and every sheet's total, scorers numbered, never named."""
    class_id = p.training_class.id
    named = {t.person_id: t.name for t in p.report.facts.trainees}
    sheets: dict[tuple[int, int], list[str]] = {}
    for done in await reporting.done_assignments(p.session, class_id):
        sheets.setdefault((done.trainee_id, done.round), []).append(
            f"#{done.position}: {done.total}"
        )
    rows = [
        [
            named.get(r.trainee_id, ""),
            r.round,
            "；".join(sheets.get((r.trainee_id, r.round), [])),
            r.final,
            p.i18n("reports.result", passed=r.plan_complete),
            p.i18n("reports.result", passed=r.passed),
        ]
        for r in await assessment_store.results_of(p.session, class_id)
    ]
    return [await p.sheet("scores", rows)]


async def certificates_issued(p: Papers) -> list[Sequence[Any]]:
    """(holder, number, issued on, status) of the certificates issued to the class's trainees,
    by number: valid, or revoked with its day. The holder's name as printed (not an ID or
    mobile number: shown as is), or a note once their personal data was erased."""
    zone = p.training_class.timezone
    return [
        [
            cert.holder_name or p.i18n("reports.cert_withdrawn"),
            cert.number,
            cert.issued_on.isoformat(),
            p.i18n(
                "reports.cert_status",
                revoked_on=local_day(cert.revoked_at, zone).isoformat() if cert.revoked_at else "",
            ),
        ]
        for cert in await issuing_store.of_class(p.session, p.training_class.id)
    ]


async def certificates(p: Papers) -> list[File]:
    return [await p.sheet("certificates", await certificates_issued(p))]


async def report(p: Papers) -> list[File]:
    files = await activity_report.files(p.report, p.i18n)
    return [files.pdf, files.xlsx]


Part = Callable[[Papers], Awaitable[list[File]]]

PARTS: tuple[Part, ...] = (
    application,
    timetable,
    equipment,
    roster,
    leave,
    feedback,
    scores,
    certificates,
    report,
)
"""The bundle's parts in their order in the archive; adding a part is one line."""


@dataclass(frozen=True)
class Bundle:
    class_name: str
    archives: list[File]
    files: list[str]


async def build(
    session: AsyncSession,
    actor: Actor,
    class_id: int,
    limit: int = zips.LIMIT,
    parts: Sequence[Part] = PARTS,
) -> Bundle:
    """The class's bundle for the actor (`REPORT_BUNDLE`), in their language, as archives of at
    most `limit` bytes each (`parts`: all of them but in tests)."""
    training_class, target = await class_and_target(session, actor, Action.REPORT_BUNDLE, class_id)
    i18n = I18n(actor.locale)
    papers = Papers(
        session=session,
        training_class=training_class,
        sessions=await class_store.sessions_of(session, class_id),
        report=await activity_report.report(session, training_class),
        i18n=i18n,
        full=allowed(actor, Action.PERSONAL_DATA_FULL, target),
    )
    files: list[File] = []
    for part in parts:
        files += await part(papers)
    stem = i18n("reports.bundle_stem", name=training_class.name)
    archives = await asyncio.to_thread(
        partial(zips.pack, stem, files, limit, stamp=actor.now.replace(tzinfo=None))
    )
    return Bundle(training_class.name, archives, [name for name, _ in files])
