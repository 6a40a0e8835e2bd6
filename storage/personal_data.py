"""Personal data in the store (S-53, PIPL): what `/mydata` exports, what an erasure changes.

Two registries, one entry per table, so a new table is one line here:

- `EXPORTERS`: table name → the rows of that table about a person (a select on its person
  columns, or through the row it belongs to). tests/storage/test_personal_data_registry.py
  walks the metadata and fails on a table that refers to a person and has no exporter.
- `ERASERS`: table name → a function that blanks or replaces the person's personal fields in
  that table and returns how many rows it changed. Rows are kept so aggregates keep counting;
  what is kept of an answer is decided by the caller (`Erasure.keep`, bot/domain). Erasers run
  in order: those of the person's own rows first, collecting the texts they withdraw
  (`Erasure.found`), then the sweeps (`SWEEPS`) that replace those texts where others' rows
  quote them (a reviewer's card naming the person, an audit note).
  tests/fast/test_personal_data.py seeds a person through the real flows, erases, and scans
  every text, JSON and binary column of every table for what they gave.

Storage only reads and writes here: which answers stay and what to search for come in the
`Erasure`.
"""

from __future__ import annotations

import json
from collections.abc import Awaitable, Callable, Iterable
from dataclasses import dataclass, field
from datetime import date, datetime
from typing import Any

from sqlalchemy import Select, String, Table, cast, delete, or_, select, update
from sqlmodel import col
from sqlmodel.ext.asyncio.session import AsyncSession

from bot.domain.personal_data import (
    WITHDRAWN,
    naming_strings,
    quoted_strings,
    scrub,
    texts_in,
)
from storage import issuing
from storage.models import (
    AssessmentResult,
    AttendanceMark,
    AuditEntry,
    Campaign,
    CampaignRecipient,
    Certificate,
    CertificateApplicant,
    CertificateApplication,
    ClassSession,
    ClassTeacher,
    CoachingSession,
    ConsoleLink,
    ConsoleSession,
    CustomForm,
    CycleTransition,
    Enrollment,
    FeedbackRequest,
    FollowupSchedule,
    FollowupStop,
    FollowupSurvey,
    FormAnswer,
    FormDraft,
    FormSubmission,
    FsmRecord,
    Institution,
    Invitation,
    InvitationRedemption,
    IssuedCertificate,
    LeaveRequest,
    MediaBlob,
    OutboxMessage,
    Person,
    PersonalDataRequest,
    RoleGrant,
    ScorerConflict,
    ScorerDraw,
    ScoringAssignment,
    ScreeningCase,
    SubmissionExtension,
    SupportContact,
    SupportFollowup,
    SupportRequest,
    SupportService,
    TraineeAssessment,
    TraineeCycle,
    TrainingClass,
    UpdateInbox,
)
from storage.outbox import FORGOTTEN
from storage.people import PROFILE_FORM, REGISTRATION_FORM

NAMING_FORMS = (REGISTRATION_FORM, PROFILE_FORM)
NAME_KEY = "name"
"""The answer that names the person on these forms (as storage.people reads it)."""

# ---------------------------------------------------------------------------------------------
# Export

Query = Callable[[int], Select[Any]]
"""The rows of one table about person `id`."""


def _table(model: Any) -> Table:
    return model.__table__


def about(model: Any, *columns: str) -> Query:
    """Rows of `model` where any of `columns` is the person (their own rows, and rows that name
    them as the one who acted: a class they created, a decision they took)."""
    table = _table(model)
    return lambda person_id: select(table).where(
        or_(*(table.c[name] == person_id for name in columns))
    )


def _through(model: Any, column: str, parent: Any, parent_columns: tuple[str, ...]) -> Query:
    """Rows of `model` whose `column` points at a row of `parent` about the person."""
    table, owner = _table(model), _table(parent)

    def query(person_id: int) -> Select[Any]:
        owned = select(owner.c.id).where(
            or_(*(owner.c[name] == person_id for name in parent_columns))
        )
        return select(table).where(table.c[column].in_(owned))

    return query


def _fsm(person_id: int) -> Select[Any]:
    table = _table(FsmRecord)
    chat = select(Person.tg_user_id).where(Person.id == person_id).scalar_subquery()
    return select(table).where(table.c.key.contains(":" + cast(chat, String) + ":"))


def _transitions(person_id: int) -> Select[Any]:
    table, cycles = _table(CycleTransition), _table(TraineeCycle)
    owned = select(cycles.c.id).where(cycles.c.person_id == person_id)
    return select(table).where(or_(table.c.cycle_id.in_(owned), table.c.actor_id == person_id))


def _sessions(person_id: int) -> Select[Any]:
    """Sessions whose check-in the person opened, and the sessions of their marks."""
    table, marks = _table(ClassSession), _table(AttendanceMark)
    marked = select(marks.c.session_id).where(marks.c.person_id == person_id)
    return (
        select(table)
        .where(or_(table.c.checkin_opened_by == person_id, table.c.id.in_(marked)))
        .with_only_columns(*(c for c in table.c if c.name != "checkin_secret"))
    )


EXPORTERS: dict[str, Query] = {
    "person": about(Person, "id"),
    "rolegrant": about(RoleGrant, "person_id", "granted_by"),
    "invitation": about(Invitation, "created_by"),
    "invitationredemption": about(InvitationRedemption, "person_id"),
    "audit_log": about(AuditEntry, "subject_id", "actor_id"),
    "fsm_record": _fsm,
    "form_draft": about(FormDraft, "person_id"),
    "form_submission": about(FormSubmission, "person_id", "submitted_by"),
    "form_answer": _through(FormAnswer, "submission_id", FormSubmission, ("person_id",)),
    "trainee_cycle": about(TraineeCycle, "person_id"),
    "cycle_transition": _transitions,
    "screening_case": about(ScreeningCase, "person_id", "decided_by"),
    "certificate": about(Certificate, "person_id", "decided_by"),
    "training_class": about(TrainingClass, "created_by", "decided_by", "equipment_confirmed_by"),
    "class_teacher": about(ClassTeacher, "person_id", "assigned_by"),
    "class_session": _sessions,
    "enrollment": about(Enrollment, "person_id", "enrolled_by"),
    "attendance_mark": about(AttendanceMark, "person_id", "marked_by"),
    "leave_request": about(LeaveRequest, "person_id", "decided_by"),
    "outbox": about(OutboxMessage, "person_id"),
    "feedback_request": about(FeedbackRequest, "person_id"),
    "scorer_draw": about(ScorerDraw, "drawn_by"),
    "trainee_assessment": about(TraineeAssessment, "person_id"),
    "scoring_assignment": about(ScoringAssignment, "trainee_id", "scorer_id"),
    "scorer_conflict": about(ScorerConflict, "scorer_id", "trainee_id"),
    "assessment_result": about(AssessmentResult, "trainee_id"),
    "coaching_session": about(CoachingSession, "trainee_id", "teacher_id"),
    "submission_extension": about(SubmissionExtension, "person_id", "granted_by"),
    "personal_data_request": about(PersonalDataRequest, "person_id", "decided_by"),
    "support_request": about(SupportRequest, "person_id"),
    "custom_form": about(CustomForm, "added_by"),
    "certificate_application": about(
        CertificateApplication, "created_by", "submitted_by", "decided_by"
    ),
    "certificate_applicant": about(CertificateApplicant, "person_id"),
    "issued_certificate": about(IssuedCertificate, "person_id", "issued_by", "revoked_by"),
    "console_link": about(ConsoleLink, "person_id"),
    "console_session": about(ConsoleSession, "person_id"),
    "followup_schedule": about(FollowupSchedule, "updated_by"),
    "followup_survey": about(FollowupSurvey, "person_id", "called_by"),
    "followup_stop": about(FollowupStop, "person_id"),
    "campaign": about(Campaign, "created_by"),
    "campaign_recipient": about(CampaignRecipient, "person_id"),
    "support_service": about(SupportService, "created_by", "updated_by"),
    "support_followup": about(SupportFollowup, "person_id", "done_by"),
    "support_contact": lambda person_id: select(_table(SupportContact)).where(
        or_(
            _table(SupportContact).c.recorded_by == person_id,
            _table(SupportContact).c.followup_id.in_(
                select(_table(SupportFollowup).c.id).where(
                    _table(SupportFollowup).c.person_id == person_id
                )
            ),
        )
    ),
}
"""What `/mydata` exports, table by table. A scoring sheet the person wrote about someone else
is theirs to see; whom it was about is a number, as in the store."""

NOT_PERSONAL = frozenset(
    {
        "region",
        "institution",
        "processedupdate",  # an update id and when: nothing about anyone
        "button_press",  # a fingerprint of a press: nothing that reads back
        "media_blob",  # charts of aggregates; a person's own pictures go with their outbox rows
        "update_inbox",  # updates not handled yet (seconds); an erasure deletes a person's
        "alembic_version",
        "followup_class",  # a class in follow-up: its end, time zone and waves sent
        "certificate_counter",  # the last serial of a region's year
        "product_secret",  # keys the product generated for itself
        "stats_class",  # a closed class's counts
        "scan_wake",  # when a scan next looks at a class
    }
)
"""Tables with no row about a person to export (the registry test accepts only these)."""


def _plain(value: Any) -> Any:
    if isinstance(value, datetime | date):
        return value.isoformat()
    if isinstance(value, bytes):
        return f"<{len(value)} bytes>"
    return value


async def export(session: AsyncSession, person_id: int) -> dict[str, list[dict[str, Any]]]:
    """Every exporter's rows about the person, as plain JSON values, table by table (tables
    with no row left out)."""
    found: dict[str, list[dict[str, Any]]] = {}
    for name, query in EXPORTERS.items():
        rows = (await session.exec(query(person_id))).mappings().all()
        if rows:
            found[name] = [{key: _plain(value) for key, value in row.items()} for row in rows]
    return found


# ---------------------------------------------------------------------------------------------
# Erasure

Keep = Callable[[str, str, Any], bool]
"""Whether an erasure keeps an answer: (form id, answer key, value) → keep."""


@dataclass
class Erasure:
    """One erasure: whose, what to keep of an answer, and the texts withdrawn so far."""

    person_id: int
    chat_id: int
    keep: Keep
    found: list[str] = field(default_factory=list)
    """Every text withdrawn: looked for in messages that may have quoted it to others."""
    names: list[str] = field(default_factory=list)
    """What names the person (their names, ID, mobile and certificate numbers): looked for in
    others' own texts too (a feedback comment or a leave reason naming them)."""

    def withdraw(self, *values: Any, names: bool = False) -> None:
        """Remember texts taken out of the person's rows, to sweep from others' rows."""
        for value in values:
            self.found.extend(texts_in(value))
            if names:
                self.names.extend(texts_in(value))

    def quoted(self) -> list[str]:
        return quoted_strings(self.found, self.names)

    def naming(self) -> list[str]:
        return naming_strings(self.found, self.names)


Eraser = Callable[[AsyncSession, Erasure], Awaitable[int]]


async def _person(session: AsyncSession, erasure: Erasure) -> int:
    person = await session.get(Person, erasure.person_id)
    erasure.withdraw(person.first_name, person.last_name, person.username, names=True)
    person.first_name, person.last_name, person.username = "", None, None
    return 1


def _kept_answers(erasure: Erasure, form_id: str, answers: dict[str, Any]) -> dict[str, Any]:
    kept = {}
    for key, value in answers.items():
        if erasure.keep(form_id, key, value):
            kept[key] = value
        else:
            erasure.withdraw(value, names=key == NAME_KEY and form_id in NAMING_FORMS)
    return kept


async def _submissions(session: AsyncSession, erasure: Erasure) -> int:
    rows = await session.exec(
        select(FormSubmission).where(FormSubmission.person_id == erasure.person_id)
    )
    changed = 0
    for row in rows.scalars().all():
        row.answers = _kept_answers(erasure, row.form_id, dict(row.answers))
        changed += 1
    return changed


async def _drafts(session: AsyncSession, erasure: Erasure) -> int:
    rows = await session.exec(select(FormDraft).where(FormDraft.person_id == erasure.person_id))
    changed = 0
    for row in rows.scalars().all():
        row.answers = _kept_answers(erasure, row.form_id, dict(row.answers))
        erasure.withdraw(row.pending)
        row.pending = []
        changed += 1
    return changed


async def _answers(session: AsyncSession, erasure: Erasure) -> int:
    owned = select(FormSubmission.id).where(FormSubmission.person_id == erasure.person_id)
    rows = await session.exec(select(FormAnswer).where(col(FormAnswer.submission_id).in_(owned)))
    changed = 0
    for row in rows.scalars().all():
        value = next(
            (v for v in (row.choice, row.flag, row.number, row.text, row.day) if v is not None),
            None,
        )
        if isinstance(value, date):
            value = value.isoformat()
        if not erasure.keep(row.form_id, row.question_id, value):
            erasure.withdraw(row.text)
            row.choice = row.number = row.text = row.day = row.flag = None
            changed += 1
    return changed


async def _fsm_records(session: AsyncSession, erasure: Erasure) -> int:
    result = await session.exec(
        delete(FsmRecord).where(col(FsmRecord.key).contains(f":{erasure.chat_id}:"))
    )
    return result.rowcount


async def _blank(
    session: AsyncSession,
    erasure: Erasure,
    model: Any,
    where: Any,
    *,
    names: bool = False,
    **values: Any,
) -> int:
    """Withdraw the columns named in `values` from the rows `where` selects, setting each to
    its value there (None, "" or a placeholder); `names`: what they held names the person."""
    rows = (await session.exec(select(model).where(where))).scalars().all()
    for row in rows:
        for name, value in values.items():
            erasure.withdraw(getattr(row, name), names=names)
            setattr(row, name, value(row) if callable(value) else value)
    return len(rows)


async def _leave(session: AsyncSession, erasure: Erasure) -> int:
    return await _blank(
        session, erasure, LeaveRequest, LeaveRequest.person_id == erasure.person_id, reason=""
    )


async def _coaching(session: AsyncSession, erasure: Erasure) -> int:
    where = CoachingSession.trainee_id == erasure.person_id
    return await _blank(session, erasure, CoachingSession, where, notes="")


async def _scoring(session: AsyncSession, erasure: Erasure) -> int:
    where = ScoringAssignment.trainee_id == erasure.person_id
    return await _blank(session, erasure, ScoringAssignment, where, comment=None, plan_comment=None)


async def _conflicts(session: AsyncSession, erasure: Erasure) -> int:
    where = or_(
        ScorerConflict.trainee_id == erasure.person_id,
        ScorerConflict.scorer_id == erasure.person_id,
    )
    return await _blank(session, erasure, ScorerConflict, where, reason="")


async def _certificates(session: AsyncSession, erasure: Erasure) -> int:
    where = Certificate.person_id == erasure.person_id
    return await _blank(
        session,
        erasure,
        Certificate,
        where,
        names=True,
        number=lambda row: f"{WITHDRAWN}{row.id}",
        course="",
        reason=None,
    )


async def _screening(session: AsyncSession, erasure: Erasure) -> int:
    where = ScreeningCase.person_id == erasure.person_id
    return await _blank(session, erasure, ScreeningCase, where, override_reason=None)


async def _transitions_erased(session: AsyncSession, erasure: Erasure) -> int:
    owned = select(TraineeCycle.id).where(TraineeCycle.person_id == erasure.person_id)
    where = col(CycleTransition.cycle_id).in_(owned)
    return await _blank(session, erasure, CycleTransition, where, reason=None)


async def _invitations(session: AsyncSession, erasure: Erasure) -> int:
    redeemed = select(InvitationRedemption.invitation_id).where(
        InvitationRedemption.person_id == erasure.person_id
    )
    where = col(Invitation.id).in_(redeemed) & col(Invitation.label).is_not(None)
    return await _blank(session, erasure, Invitation, where, label=None)


async def _attendance(session: AsyncSession, erasure: Erasure) -> int:
    where = (AttendanceMark.person_id == erasure.person_id) & col(AttendanceMark.lat).is_not(None)
    return await _blank(session, erasure, AttendanceMark, where, lat=None, lon=None)


async def _audit_subject(session: AsyncSession, erasure: Erasure) -> int:
    """Audit rows about the person keep who did what and when; reasons written about them
    go (texts of theirs in the details are swept with the others' rows)."""
    where = (AuditEntry.subject_id == erasure.person_id) & col(AuditEntry.reason).is_not(None)
    return await _blank(session, erasure, AuditEntry, where, reason=None)


async def _inbox(session: AsyncSession, erasure: Erasure) -> int:
    """Updates of theirs not handled yet are dropped (their text would be handled after)."""
    rows = (await session.exec(select(UpdateInbox))).scalars().all()
    gone = 0
    for row in rows:
        payload = json.loads(row.payload)
        message = payload.get("message") or payload.get("callback_query") or {}
        if (message.get("from") or {}).get("id") == erasure.chat_id:
            await session.delete(row)
            gone += 1
    return gone


async def _issued(session: AsyncSession, erasure: Erasure) -> int:
    """Issued certificates stay verifiable as "issued, holder details withdrawn": number,
    class and dates kept, the holder's name and the link to them gone."""
    return await issuing.withdraw_holder(session, erasure.person_id)


async def _console(session: AsyncSession, erasure: Erasure) -> int:
    """Their console sign-in links and sessions are deleted: nobody signs in as them again."""
    gone = 0
    for model in (ConsoleLink, ConsoleSession):
        result = await session.exec(delete(model).where(model.person_id == erasure.person_id))
        gone += result.rowcount
    return gone


async def _outbox(session: AsyncSession, erasure: Erasure) -> int:
    """Messages to the person: content gone, keys kept (a push still happens once), never
    sent if not sent yet; their pictures go when nothing else shows them."""
    table = _table(OutboxMessage)
    mine = or_(table.c.person_id == erasure.person_id, table.c.chat_id == erasure.chat_id)
    pictures = (
        (
            await session.exec(
                select(table.c.media_sha256).where(mine, table.c.media_sha256.isnot(None))
            )
        )
        .scalars()
        .all()
    )
    result = await session.exec(
        update(table)
        .where(mine)
        .values(payload={}, media_sha256=None, status=FORGOTTEN, last_error=None)
    )
    if pictures:
        used = select(table.c.media_sha256).where(table.c.media_sha256.in_(set(pictures)))
        await session.exec(
            delete(MediaBlob).where(
                col(MediaBlob.sha256).in_(set(pictures)), col(MediaBlob.sha256).not_in(used)
            )
        )
    return result.rowcount


async def _sweep(
    session: AsyncSession, model: Any, strings: list[str], *columns: str, own: bool = False
) -> int:
    """Replace `strings` wherever `columns` of any row quote them (a search per string and
    column over the whole table: an erasure is rare, so the scan is affordable); `own`: the
    columns are others' own words (`scrub`)."""
    if not strings:
        return 0
    table = _table(model)
    quoted = or_(
        *(
            cast(table.c[name], String).contains(text, autoescape=True)
            for name in columns
            for text in strings
        )
    )
    rows = (await session.exec(select(model).where(quoted))).scalars().all()
    changed = 0
    for row in rows:
        for name in columns:
            value = getattr(row, name)
            cleaned = scrub(value, strings, own=own)
            if cleaned != value:
                setattr(row, name, cleaned)
                changed += 1
    return changed


def quoting(model: Any, *columns: str) -> Eraser:
    """A sweep of messages that may have quoted what the person gave (a card to a reviewer
    showing their answers): what names them and their longer free texts are looked for."""

    async def sweep(session: AsyncSession, erasure: Erasure) -> int:
        return await _sweep(session, model, erasure.quoted(), *columns)

    return sweep


def naming(model: Any, *columns: str, own: bool = True) -> Eraser:
    """A sweep of others' own texts (a feedback comment, a leave reason, a reviewer's note):
    only what names the person is looked for, so others' words stay theirs; an answer that is
    exactly a name is its own writer's (another 王伟), unless `own` is off (audit details)."""

    async def sweep(session: AsyncSession, erasure: Erasure) -> int:
        return await _sweep(session, model, erasure.naming(), *columns, own=own)

    return sweep


ERASERS: dict[str, Eraser] = {
    "person": _person,
    "form_submission": _submissions,
    "form_draft": _drafts,
    "form_answer": _answers,
    "fsm_record": _fsm_records,
    "leave_request": _leave,
    "coaching_session": _coaching,
    "scoring_assignment": _scoring,
    "scorer_conflict": _conflicts,
    "certificate": _certificates,
    "screening_case": _screening,
    "cycle_transition": _transitions_erased,
    "invitation": _invitations,
    "attendance_mark": _attendance,
    "audit_log": _audit_subject,
    "update_inbox": _inbox,
    "outbox": _outbox,
    "console_session": _console,
    "issued_certificate": _issued,
}
"""The person's own rows, in order. An issued certificate's table adds its eraser here: keep
the row (number, class, date, so it still verifies) and blank the holder's name and ID number,
which its verification page then shows as "holder details withdrawn"."""

SWEEPS: dict[str, Eraser] = {
    "outbox": quoting(OutboxMessage, "payload"),
    "audit_log": naming(AuditEntry, "reason", "details", own=False),
    "form_submission": naming(FormSubmission, "answers"),
    "form_draft": naming(FormDraft, "answers"),
    "form_answer": naming(FormAnswer, "text"),
    "leave_request": naming(LeaveRequest, "reason"),
    "coaching_session": naming(CoachingSession, "notes"),
    "scoring_assignment": naming(ScoringAssignment, "comment", "plan_comment", "decline_reason"),
    "screening_case": naming(ScreeningCase, "override_reason"),
    "cycle_transition": naming(CycleTransition, "reason"),
    "certificate": naming(Certificate, "reason"),
    "training_class": naming(TrainingClass, "return_reason"),
    "scorer_conflict": naming(ScorerConflict, "reason"),
    "support_contact": naming(SupportContact, "outcome"),
    "issued_certificate": naming(IssuedCertificate, "revoke_reason"),
    "certificate_application": naming(CertificateApplication, "reason"),
}
"""Others' rows that may quote what the person gave (run after ERASERS)."""


async def erase(session: AsyncSession, erasure: Erasure) -> dict[str, int]:
    """Run every eraser, then every sweep; table name → rows changed (tables with none left
    out). The caller audits the counts, never the data."""
    counts: dict[str, int] = {}
    for registry in (ERASERS, SWEEPS):
        for name, eraser in registry.items():
            changed = await eraser(session, erasure)
            if changed:
                counts[name] = counts.get(name, 0) + changed
        await session.flush()
    return counts


# ---------------------------------------------------------------------------------------------
# Requests


async def regions_of(session: AsyncSession, person_id: int) -> list[int]:
    """The regions a person belongs to: their grants' regions and institutions', and their
    training cycles' institutions'."""
    grants = _table(RoleGrant)
    institutions = _table(Institution)
    cycles = _table(TraineeCycle)
    direct = select(grants.c.region_id).where(
        grants.c.person_id == person_id, grants.c.region_id.isnot(None)
    )
    via_grant = (
        select(institutions.c.region_id)
        .join(grants, grants.c.institution_id == institutions.c.id)
        .where(grants.c.person_id == person_id)
    )
    via_cycle = (
        select(institutions.c.region_id)
        .join(cycles, cycles.c.institution_id == institutions.c.id)
        .where(cycles.c.person_id == person_id)
    )
    found: set[int] = set()
    for query in (direct, via_grant, via_cycle):
        found.update((await session.exec(query)).scalars().all())
    return sorted(found)


async def pending_request(session: AsyncSession, person_id: int) -> PersonalDataRequest | None:
    query = select(PersonalDataRequest).where(
        PersonalDataRequest.person_id == person_id, PersonalDataRequest.status == "pending"
    )
    return (await session.exec(query)).scalars().first()


async def add_request(
    session: AsyncSession, person_id: int, region_id: int | None, now: datetime
) -> PersonalDataRequest:
    request = PersonalDataRequest(person_id=person_id, region_id=region_id, created_at=now)
    session.add(request)
    await session.flush()
    return request


async def decide(
    session: AsyncSession,
    request_id: int,
    status: str,
    decided_by: int,
    now: datetime,
    *,
    reason: str | None = None,
    tables: dict[str, int] | None = None,
) -> bool:
    """Close a pending request once; False when it was decided before."""
    result = await session.exec(
        update(PersonalDataRequest)
        .where(PersonalDataRequest.id == request_id, PersonalDataRequest.status == "pending")
        .values(
            status=status, decided_by=decided_by, decided_at=now, reason=reason, tables=tables or {}
        )
    )
    return result.rowcount == 1


def pending_for(region_ids: Iterable[int], everywhere: bool) -> Any:
    """The condition on `personal_data_request` of the requests a scope decides (/todo)."""
    table = _table(PersonalDataRequest)
    pending = table.c.status == "pending"
    if everywhere:
        return pending
    return pending & table.c.region_id.in_(sorted(region_ids))
