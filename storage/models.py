"""Tables of the bot's store. Names follow the domain; every timestamp is aware UTC."""

from __future__ import annotations

from datetime import date, datetime
from typing import Any

from sqlalchemy import (
    BigInteger,
    Column,
    ForeignKey,
    Index,
    LargeBinary,
    Text,
    UniqueConstraint,
    text,
)
from sqlmodel import Field, SQLModel

from bot.domain.forms import DraftStatus
from storage.types import JsonDoc, UtcDateTime, utcnow


def _ts(**kw: Any) -> Any:
    return Field(default_factory=utcnow, sa_type=UtcDateTime, **kw)


class Region(SQLModel, table=True):
    """An administrative area (province, city or district); statistics group by it."""

    id: int | None = Field(default=None, primary_key=True)
    name: str = Field(max_length=100)
    parent_id: int | None = Field(default=None, foreign_key="region.id")
    created_at: datetime = _ts()


class Institution(SQLModel, table=True):
    """A training institution (培训机构) in one region."""

    id: int | None = Field(default=None, primary_key=True)
    name: str = Field(max_length=200)
    region_id: int = Field(foreign_key="region.id", index=True)
    created_at: datetime = _ts()


class Person(SQLModel, table=True):
    """Anyone who has talked to the bot, on Telegram or in the web chat."""

    id: int | None = Field(default=None, primary_key=True)
    tg_user_id: int = Field(sa_column=Column(BigInteger, unique=True, nullable=False))
    first_name: str = Field(default="", max_length=255)
    last_name: str | None = Field(default=None, max_length=255)
    username: str | None = Field(default=None, max_length=64)
    locale: str = Field(default="zh-CN", max_length=8)
    unreachable: bool = False
    created_at: datetime = _ts()
    last_seen_at: datetime = _ts()


class RoleGrant(SQLModel, table=True):
    """A role a person holds, with its scope: a region, an institution, or none (national)."""

    __table_args__ = (
        Index("ix_rolegrant_person_role", "person_id", "role"),
        Index("ix_rolegrant_institution_role", "institution_id", "role"),
    )

    id: int | None = Field(default=None, primary_key=True)
    person_id: int = Field(foreign_key="person.id")
    role: str = Field(max_length=20)
    region_id: int | None = Field(default=None, foreign_key="region.id")
    institution_id: int | None = Field(default=None, foreign_key="institution.id")
    invitation_id: int | None = Field(default=None, foreign_key="invitation.id")
    granted_by: int | None = Field(default=None, foreign_key="person.id")
    created_at: datetime = _ts()


class Invitation(SQLModel, table=True):
    """A code that grants one role and scope to whoever redeems it, within its limits."""

    id: int | None = Field(default=None, primary_key=True)
    code: str = Field(max_length=64, unique=True)
    role: str = Field(max_length=20)
    region_id: int | None = Field(default=None, foreign_key="region.id")
    institution_id: int | None = Field(default=None, foreign_key="institution.id")
    created_by: int | None = Field(default=None, foreign_key="person.id")
    class_id: int | None = Field(default=None, foreign_key="training_class.id")
    label: str | None = Field(default=None, max_length=100)
    max_uses: int | None = None
    uses: int = 0
    expires_at: datetime | None = Field(default=None, sa_type=UtcDateTime)
    revoked_at: datetime | None = Field(default=None, sa_type=UtcDateTime)
    demo: bool = False
    created_at: datetime = _ts()


class InvitationRedemption(SQLModel, table=True):
    """Who redeemed which invitation; one row each, so re-delivery cannot count a use twice."""

    invitation_id: int = Field(foreign_key="invitation.id", primary_key=True)
    person_id: int = Field(foreign_key="person.id", primary_key=True)
    redeemed_at: datetime = _ts()


class ProcessedUpdate(SQLModel, table=True):
    """Updates already handled, so a re-delivered update changes nothing."""

    bot_id: int = Field(sa_column=Column(BigInteger, primary_key=True, autoincrement=False))
    update_id: int = Field(sa_column=Column(BigInteger, primary_key=True, autoincrement=False))
    processed_at: datetime = _ts(index=True)


class ButtonPress(SQLModel, table=True):
    """Presses already handled: one row per (chat, message, the message's version, person and
    button), claimed in the press's unit of work, so a double tap has one effect."""

    __tablename__ = "button_press"

    chat_id: int = Field(sa_column=Column(BigInteger, primary_key=True, autoincrement=False))
    message_id: int = Field(sa_column=Column(BigInteger, primary_key=True, autoincrement=False))
    fingerprint: str = Field(primary_key=True, max_length=64)
    pressed_at: datetime = _ts(index=True)


class UpdateInbox(SQLModel, table=True):
    """Updates fetched by polling and not yet handled: stored before the offset confirms them,
    deleted in the unit of work that handles them, so a crash loses none."""

    __tablename__ = "update_inbox"

    bot_id: int = Field(sa_column=Column(BigInteger, primary_key=True, autoincrement=False))
    update_id: int = Field(sa_column=Column(BigInteger, primary_key=True, autoincrement=False))
    payload: str = Field(sa_type=Text)
    attempts: int = 0
    received_at: datetime = _ts()


class AuditEntry(SQLModel, table=True):
    """Who did what to whom, when and why. Written by every decision a person makes."""

    __tablename__ = "audit_log"

    id: int | None = Field(default=None, primary_key=True)
    at: datetime = _ts(index=True)
    actor_id: int | None = Field(default=None, foreign_key="person.id")
    action: str = Field(max_length=64, index=True)
    subject_id: int | None = Field(
        default=None, sa_column=Column(ForeignKey("person.id"), index=True, nullable=True)
    )
    object_type: str | None = Field(default=None, max_length=40)
    object_id: int | None = None
    reason: str | None = None
    details: dict[str, Any] = Field(default_factory=dict, sa_type=JsonDoc)


class FsmRecord(SQLModel, table=True):
    """aiogram FSM state and data for one storage key, written in the update's unit of work."""

    __tablename__ = "fsm_record"
    __table_args__ = (UniqueConstraint("key"),)

    id: int | None = Field(default=None, primary_key=True)
    key: str = Field(max_length=200)
    state: str | None = Field(default=None, max_length=200)
    data: dict[str, Any] = Field(default_factory=dict, sa_type=JsonDoc)
    updated_at: datetime = _ts()


class FormDraft(SQLModel, table=True):
    """A form being filled: every accepted answer is saved here at once (S-50).

    `position` is the key of the question being asked; `status` is active (the one form this
    person is filling now), paused, submitted or cancelled.
    """

    __tablename__ = "form_draft"
    __table_args__ = (Index("ix_form_draft_person_status", "person_id", "status"),)

    id: int | None = Field(default=None, primary_key=True)
    person_id: int = Field(foreign_key="person.id")
    form_id: str = Field(max_length=40)
    form_version: int
    context: dict[str, Any] = Field(default_factory=dict, sa_type=JsonDoc)
    status: str = Field(default=DraftStatus.ACTIVE, max_length=12)
    position: str | None = Field(default=None, max_length=120)
    reviewing: bool = False
    answers: dict[str, Any] = Field(default_factory=dict, sa_type=JsonDoc)
    pending: list[Any] = Field(default_factory=list, sa_type=JsonDoc)
    revises_id: int | None = None
    created_at: datetime = _ts()
    updated_at: datetime = _ts()


class FormSubmission(SQLModel, table=True):
    """A submitted form. One per draft (so a double submit records one); an edit after
    submitting is a new submission that supersedes the earlier, which is kept."""

    __tablename__ = "form_submission"
    __table_args__ = (
        UniqueConstraint("draft_id"),
        Index("ix_form_submission_person_form", "person_id", "form_id"),
    )

    id: int | None = Field(default=None, primary_key=True)
    draft_id: int = Field(foreign_key="form_draft.id")
    person_id: int = Field(foreign_key="person.id")
    form_id: str = Field(max_length=40)
    form_version: int
    context: dict[str, Any] = Field(default_factory=dict, sa_type=JsonDoc)
    answers: dict[str, Any] = Field(default_factory=dict, sa_type=JsonDoc)
    supersedes_id: int | None = Field(default=None, foreign_key="form_submission.id")
    current: bool = True
    submitted_by: int = Field(foreign_key="person.id")
    submitted_at: datetime = _ts()


class FormAnswer(SQLModel, table=True):
    """One answer of a submission, typed, so statistics filter and count without parsing.

    A multiple-choice answer is one row per chosen value.
    """

    __tablename__ = "form_answer"
    __table_args__ = (Index("ix_form_answer_question", "form_id", "question_id", "choice"),)

    id: int | None = Field(default=None, primary_key=True)
    submission_id: int = Field(foreign_key="form_submission.id", index=True)
    form_id: str = Field(max_length=40)
    question_id: str = Field(max_length=120)
    choice: str | None = Field(default=None, max_length=40)
    number: float | None = None
    text: str | None = None
    day: date | None = None
    flag: bool | None = None


class TraineeCycle(SQLModel, table=True):
    """Where a trainee stands in one programme's cycle (S-1)."""

    __tablename__ = "trainee_cycle"
    __table_args__ = (
        UniqueConstraint("person_id", "programme", "institution_id"),
        Index("ix_trainee_cycle_institution", "institution_id", "id"),
    )

    id: int | None = Field(default=None, primary_key=True)
    person_id: int = Field(foreign_key="person.id")
    programme: str = Field(max_length=20)
    institution_id: int | None = Field(default=None, foreign_key="institution.id")
    state: str = Field(max_length=30)
    step: str = Field(max_length=20)
    updated_at: datetime = _ts()


class CycleTransition(SQLModel, table=True):
    __tablename__ = "cycle_transition"

    id: int | None = Field(default=None, primary_key=True)
    cycle_id: int = Field(foreign_key="trainee_cycle.id", index=True)
    from_state: str | None = Field(default=None, max_length=30)
    to_state: str = Field(max_length=30)
    actor_id: int | None = Field(default=None, foreign_key="person.id")
    reason: str | None = None
    at: datetime = _ts()


class ScreeningCase(SQLModel, table=True):
    """A trainee's screening: the computed recommendation and the person's final decision."""

    __tablename__ = "screening_case"

    id: int | None = Field(default=None, primary_key=True)
    person_id: int = Field(foreign_key="person.id", index=True)
    institution_id: int | None = Field(default=None, foreign_key="institution.id")
    registration_id: int = Field(foreign_key="form_submission.id")
    appendix_id: int | None = Field(default=None, foreign_key="form_submission.id")
    recommended: str = Field(max_length=12)
    reasons: list[str] = Field(default_factory=list, sa_type=JsonDoc)
    decided: str | None = Field(default=None, max_length=12)
    decided_by: int | None = Field(default=None, foreign_key="person.id")
    decided_at: datetime | None = Field(default=None, sa_type=UtcDateTime)
    override_reason: str | None = None
    created_at: datetime = _ts()


class Certificate(SQLModel, table=True):
    """A teaching certificate a lecturer or trainer declared in their profile.

    `kind` says what it allows: "lecturer" (网络创业培训讲师培训合格证书, teaches trainee
    classes) or "trainer" (网络创业培训师证书, teaches lecturer and trainer classes). Only a
    verified certificate counts (S-8); the supervisor of `region_id`, or an admin, decides.
    """

    __table_args__ = (UniqueConstraint("kind", "number"),)

    id: int | None = Field(default=None, primary_key=True)
    person_id: int = Field(foreign_key="person.id", index=True)
    kind: str = Field(max_length=12)
    number: str = Field(max_length=64)
    course: str = Field(max_length=200)
    issued_on: date
    region_id: int | None = Field(default=None, foreign_key="region.id")
    submission_id: int | None = Field(default=None, foreign_key="form_submission.id")
    status: str = Field(default="pending", max_length=10)
    decided_by: int | None = Field(default=None, foreign_key="person.id")
    decided_at: datetime | None = Field(default=None, sa_type=UtcDateTime)
    reason: str | None = None
    created_at: datetime = _ts()


class TrainingClass(SQLModel, table=True):
    """A class of one programme (trainee, lecturer or trainer class) run by an institution.

    `status`: draft (being prepared) → submitted (to the region's supervisor) → approved (open:
    enrolment and check-in) or returned (with `return_reason`, editable again) → closed.
    Times of its sessions are in `timezone`.
    """

    __tablename__ = "training_class"
    __table_args__ = (
        # The scans after a class moves on (reports, comments, support needs) ask for the
        # classes that reached a stage since a time: a range in this index, not every class.
        Index("ix_training_class_stage", "stage", "stage_at"),
    )

    id: int | None = Field(default=None, primary_key=True)
    programme: str = Field(max_length=12)
    name: str = Field(max_length=200)
    institution_id: int = Field(foreign_key="institution.id", index=True)
    region_id: int = Field(foreign_key="region.id")
    venue_address: str = Field(default="", max_length=300)
    venue_lat: float | None = None
    venue_lon: float | None = None
    checkin_radius_m: int = 300
    late_after_min: int = 10
    timezone: str = Field(default="Asia/Shanghai", max_length=40)
    start_date: date
    capacity: int = 30
    status: str = Field(default="draft", max_length=10)
    invite_code: str | None = Field(default=None, max_length=64, unique=True)
    equipment_confirmed_at: datetime | None = Field(default=None, sa_type=UtcDateTime)
    equipment_confirmed_by: int | None = Field(default=None, foreign_key="person.id")
    submitted_at: datetime | None = Field(default=None, sa_type=UtcDateTime)
    decided_by: int | None = Field(default=None, foreign_key="person.id")
    decided_at: datetime | None = Field(default=None, sa_type=UtcDateTime)
    return_reason: str | None = None
    created_by: int | None = Field(default=None, foreign_key="person.id")
    created_at: datetime = _ts()
    updated_at: datetime = _ts()
    stage: str | None = Field(default=None, max_length=12)
    """The life of an approved class (bot/domain/assessment.ClassStage): open → in_progress →
    ended → assessed → closed; empty before approval."""
    stage_at: datetime | None = Field(default=None, sa_type=UtcDateTime)


class ClassTeacher(SQLModel, table=True):
    """One of the (exactly two) teachers of a class."""

    __tablename__ = "class_teacher"

    class_id: int = Field(foreign_key="training_class.id", primary_key=True)
    person_id: int = Field(foreign_key="person.id", primary_key=True)
    assigned_by: int | None = Field(default=None, foreign_key="person.id")
    assigned_at: datetime = _ts()


_CHECKIN_OPEN = text("checkin_opened_at IS NOT NULL AND checkin_closed_at IS NULL")
"""Sessions whose check-in is open: the few the close scan looks at (a partial index)."""


class ClassSession(SQLModel, table=True):
    """One timetable session (a morning, afternoon or evening of a training day, T5).

    Check-in: `checkin_secret` is set when a teacher opens it (the rotating code is derived
    from it), `checkin_closed_at` when it closes; whoever is unmarked then is absent.
    """

    __tablename__ = "class_session"
    __table_args__ = (
        UniqueConstraint("class_id", "day", "slot"),
        Index(
            "ix_class_session_checkin_open",
            "starts_at",
            sqlite_where=_CHECKIN_OPEN,
            postgresql_where=_CHECKIN_OPEN,
        ),
    )

    id: int | None = Field(default=None, primary_key=True)
    class_id: int = Field(foreign_key="training_class.id", index=True)
    day: int
    slot: str = Field(max_length=10)
    starts_at: datetime = Field(sa_type=UtcDateTime, index=True)
    ends_at: datetime = Field(sa_type=UtcDateTime, index=True)
    hours: int
    topic: str = Field(default="", max_length=200)
    checkin_secret: str | None = Field(default=None, max_length=64)
    checkin_opened_at: datetime | None = Field(default=None, sa_type=UtcDateTime)
    checkin_opened_by: int | None = Field(default=None, foreign_key="person.id")
    checkin_closed_at: datetime | None = Field(default=None, sa_type=UtcDateTime)


class Enrollment(SQLModel, table=True):
    """A trainee's place in a class. `status`: pending (joined by the class link, waiting
    for screening), enrolled, or withdrawn."""

    __table_args__ = (UniqueConstraint("class_id", "person_id"),)

    id: int | None = Field(default=None, primary_key=True)
    class_id: int = Field(foreign_key="training_class.id", index=True)
    person_id: int = Field(foreign_key="person.id", index=True)
    status: str = Field(default="enrolled", max_length=10)
    source: str = Field(default="staff", max_length=10)
    enrolled_by: int | None = Field(default=None, foreign_key="person.id")
    created_at: datetime = _ts()


class AttendanceMark(SQLModel, table=True):
    """A person's attendance at one session: present, late, absent or excused.

    `marked_by` is empty for a self check-in (or the absence recorded when check-in closes);
    `outside_radius` flags a check-in whose location was farther than the class's radius.
    """

    __tablename__ = "attendance_mark"

    session_id: int = Field(foreign_key="class_session.id", primary_key=True)
    person_id: int = Field(foreign_key="person.id", primary_key=True)
    status: str = Field(max_length=10)
    checked_in_at: datetime | None = Field(default=None, sa_type=UtcDateTime)
    lat: float | None = None
    lon: float | None = None
    distance_m: float | None = None
    outside_radius: bool = False
    marked_by: int | None = Field(default=None, foreign_key="person.id")
    updated_at: datetime = _ts()


class LeaveRequest(SQLModel, table=True):
    """A trainee's request for leave from some sessions of a class; a teacher decides."""

    __tablename__ = "leave_request"

    id: int | None = Field(default=None, primary_key=True)
    class_id: int = Field(foreign_key="training_class.id", index=True)
    person_id: int = Field(foreign_key="person.id", index=True)
    session_ids: list[int] = Field(default_factory=list, sa_type=JsonDoc)
    hours: int
    reason: str
    status: str = Field(default="pending", max_length=10)
    decided_by: int | None = Field(default=None, foreign_key="person.id")
    decided_at: datetime | None = Field(default=None, sa_type=UtcDateTime)
    created_at: datetime = _ts()


_PENDING = text("status = 'pending'")
_SENDING = text("status = 'sending'")
_MEDIA = text("media_sha256 IS NOT NULL")
_FINISHED = text("status IN ('sent', 'blocked', 'failed', 'expired')")
"""The outbox's claim reads only pending and sending rows: partial indexes keep it flat
however many sent rows are kept (queries must spell these statuses as literals, so SQLite
sees that the index applies)."""


class OutboxMessage(SQLModel, table=True):
    """A push waiting to be sent, or its result (S-52). Written in the unit of work that
    decided to send it; a worker sends it later.

    `key` makes a push happen once (e.g. the reminder of one session to one person);
    `status`: pending → sending (leased until `lease_until`) → sent, or blocked (403), failed
    (gave up) or expired (`expires_at` passed before it could be sent); after
    OUTBOX_KEEP_DAYS a finished row is deleted, or, when its key must stay taken for ever
    (a keyed push with no `expires_at`), kept as `forgotten` with its content dropped.
    """

    __tablename__ = "outbox"
    __table_args__ = (
        Index(
            "ix_outbox_pending",
            "not_before",
            "id",
            sqlite_where=_PENDING,
            postgresql_where=_PENDING,
        ),
        Index(
            "ix_outbox_sending",
            "lease_until",
            sqlite_where=_SENDING,
            postgresql_where=_SENDING,
        ),
        Index(
            "ix_outbox_finished",
            "created_at",
            "id",
            sqlite_where=_FINISHED,
            postgresql_where=_FINISHED,
        ),
        # close_copies finds a card's copies by key prefix: LIKE 'case:1:%' on PostgreSQL needs
        # pattern ops whatever the collation (SQLite's GLOB uses the unique index instead).
        Index("ix_outbox_key_prefix", "key", postgresql_ops={"key": "varchar_pattern_ops"}),
        Index(
            "ix_outbox_media",
            "media_sha256",
            sqlite_where=_MEDIA,
            postgresql_where=_MEDIA,
        ),
    )

    id: int | None = Field(default=None, primary_key=True)
    key: str | None = Field(default=None, max_length=200, unique=True)
    chat_id: int = Field(sa_column=Column(BigInteger, nullable=False))
    person_id: int | None = Field(default=None, foreign_key="person.id", index=True)
    method: str = Field(default="sendMessage", max_length=32)
    payload: dict[str, Any] = Field(default_factory=dict, sa_type=JsonDoc)
    status: str = Field(default="pending", max_length=10)
    not_before: datetime = _ts()
    expires_at: datetime | None = Field(default=None, sa_type=UtcDateTime)
    attempts: int = 0
    lease_until: datetime | None = Field(default=None, sa_type=UtcDateTime)
    leased_by: str | None = Field(default=None, max_length=64)
    last_error: str | None = None
    message_id: int | None = None
    media_sha256: str | None = Field(default=None, max_length=64)
    created_at: datetime = _ts()
    sent_at: datetime | None = Field(default=None, sa_type=UtcDateTime)


class MediaBlob(SQLModel, table=True):
    """A picture pushed by the outbox (e.g. a chart PNG), stored once by its content's sha256
    and referenced by `OutboxMessage.media_sha256`; removed once no row references it and it
    has not been queued (`created_at`, renewed each time) for OUTBOX_KEEP_DAYS."""

    __tablename__ = "media_blob"

    sha256: str = Field(primary_key=True, max_length=64)
    data: bytes = Field(sa_column=Column(LargeBinary, nullable=False))
    created_at: datetime = _ts()


class FeedbackRequest(SQLModel, table=True):
    """An evaluation one person owes for one class day: the daily feedback (T6), the mid-term or
    the final evaluation. Made when the form is pushed (so its count is the attendees); answered
    once, by the submission recorded in `submission_id`, between `opens_at` and `closes_at`."""

    __tablename__ = "feedback_request"
    __table_args__ = (
        UniqueConstraint("class_id", "kind", "day", "person_id"),
        Index("ix_feedback_request_due", "kind", "opens_at"),
    )

    id: int | None = Field(default=None, primary_key=True)
    class_id: int = Field(foreign_key="training_class.id")
    """Looked up through the unique (class_id, kind, day, person_id) index, whose prefix it is."""
    kind: str = Field(max_length=10)
    day: int
    person_id: int = Field(foreign_key="person.id", index=True)
    form_id: str = Field(max_length=40)
    opens_at: datetime = Field(sa_type=UtcDateTime)
    closes_at: datetime = Field(sa_type=UtcDateTime)
    submission_id: int | None = Field(default=None, foreign_key="form_submission.id")
    answered_at: datetime | None = Field(default=None, sa_type=UtcDateTime)
    created_at: datetime = _ts()


class ScorerDraw(SQLModel, table=True):
    """One draw of scorers for a class (S-12): its seed, so it can be reproduced and audited,
    the neighbouring regions the pool was widened to, and how many submissions lacked scorers."""

    __tablename__ = "scorer_draw"

    id: int | None = Field(default=None, primary_key=True)
    class_id: int = Field(foreign_key="training_class.id", index=True)
    seed: int = Field(sa_column=Column(BigInteger, nullable=False))
    k: int = 1
    regions: list[int] = Field(default_factory=list, sa_type=JsonDoc)
    shortfall: int = 0
    drawn_by: int | None = Field(default=None, foreign_key="person.id")
    created_at: datetime = _ts()


class TraineeAssessment(SQLModel, table=True):
    """A trainee's assessment in one class (bot/domain/assessment.TraineeStage): training →
    assessment → passed, or → coaching → assessment again; `round` counts the scorings;
    a later deadline is a `SubmissionExtension`."""

    __tablename__ = "trainee_assessment"
    __table_args__ = (
        UniqueConstraint("class_id", "person_id"),
        Index("ix_trainee_assessment_stage", "stage", "class_id"),
    )

    id: int | None = Field(default=None, primary_key=True)
    class_id: int = Field(foreign_key="training_class.id")
    person_id: int = Field(foreign_key="person.id", index=True)
    stage: str = Field(default="training", max_length=12)
    round: int = 0
    updated_at: datetime = _ts()


class ScoringAssignment(SQLModel, table=True):
    """One scorer's job on one trainee's practice results (and plan) in one round.

    `status`: offered → accepted → done, or declined / expired (the next drawn scorer gets a
    new assignment) or withdrawn (reassigned by hand). `position` is 1 for the first scorer, 2
    and 3 for the second and third the final-score rule asks for. `scores` fills criterion by
    criterion while scoring."""

    __tablename__ = "scoring_assignment"
    __table_args__ = (
        Index("ix_scoring_assignment_scorer", "scorer_id", "status"),
        Index("ix_scoring_assignment_due", "status", "deadline"),
        Index("ix_scoring_assignment_trainee", "class_id", "trainee_id", "round"),
    )

    id: int | None = Field(default=None, primary_key=True)
    draw_id: int | None = Field(default=None, foreign_key="scorer_draw.id")
    class_id: int = Field(foreign_key="training_class.id")
    trainee_id: int = Field(foreign_key="person.id")
    submission_id: int = Field(foreign_key="form_submission.id")
    plan_submission_id: int | None = Field(default=None, foreign_key="form_submission.id")
    scorer_id: int = Field(foreign_key="person.id")
    round: int = 1
    position: int = 1
    status: str = Field(default="offered", max_length=10)
    deadline: datetime = Field(sa_type=UtcDateTime)
    reminded_at: datetime | None = Field(default=None, sa_type=UtcDateTime)
    seed: int = Field(sa_column=Column(BigInteger, nullable=False))
    scores: dict[str, int] = Field(default_factory=dict, sa_type=JsonDoc)
    total: int | None = None
    comment: str | None = None
    plan_complete: bool | None = None
    plan_comment: str | None = None
    decline_reason: str | None = None
    created_at: datetime = _ts()
    decided_at: datetime | None = Field(default=None, sa_type=UtcDateTime)
    done_at: datetime | None = Field(default=None, sa_type=UtcDateTime)


class ScorerConflict(SQLModel, table=True):
    """A lecturer declared a conflict of interest with a trainee: never drawn for them."""

    __tablename__ = "scorer_conflict"
    __table_args__ = (UniqueConstraint("scorer_id", "trainee_id"),)

    id: int | None = Field(default=None, primary_key=True)
    scorer_id: int = Field(foreign_key="person.id")
    trainee_id: int = Field(foreign_key="person.id", index=True)
    reason: str = ""
    created_at: datetime = _ts()


class AssessmentResult(SQLModel, table=True):
    """The final result of one round (S-13): the final score, the plan, passed or not."""

    __tablename__ = "assessment_result"
    __table_args__ = (UniqueConstraint("class_id", "trainee_id", "round"),)

    id: int | None = Field(default=None, primary_key=True)
    class_id: int = Field(foreign_key="training_class.id", index=True)
    trainee_id: int = Field(foreign_key="person.id", index=True)
    round: int
    submission_id: int = Field(foreign_key="form_submission.id")
    final: float
    plan_complete: bool
    passed: bool
    created_at: datetime = _ts()


class CoachingSession(SQLModel, table=True):
    """A teaching lecturer coached a trainee who did not pass (S-13): when, and notes."""

    __tablename__ = "coaching_session"

    id: int | None = Field(default=None, primary_key=True)
    class_id: int = Field(foreign_key="training_class.id", index=True)
    trainee_id: int = Field(foreign_key="person.id", index=True)
    teacher_id: int = Field(foreign_key="person.id")
    held_on: date
    notes: str
    created_at: datetime = _ts()


class SubmissionExtension(SQLModel, table=True):
    """A later deadline for one learner's assessment submissions (practice results, business
    plan) in one class, granted by the institution's staff. Every grant is kept; the latest
    deadline counts."""

    __tablename__ = "submission_extension"
    __table_args__ = (Index("ix_submission_extension_class_person", "class_id", "person_id"),)

    id: int | None = Field(default=None, primary_key=True)
    class_id: int = Field(foreign_key="training_class.id")
    person_id: int = Field(foreign_key="person.id")
    until: datetime = Field(sa_type=UtcDateTime)
    granted_by: int = Field(foreign_key="person.id")
    granted_at: datetime = _ts()


class SupportRequest(SQLModel, table=True):
    """The follow-up support needs survey (T12) was pushed to a trainee of an assessed class:
    one row each, claimed with the push, so the scan asks nobody twice."""

    __tablename__ = "support_request"
    __table_args__ = (UniqueConstraint("class_id", "person_id"),)

    id: int | None = Field(default=None, primary_key=True)
    class_id: int = Field(foreign_key="training_class.id")
    person_id: int = Field(foreign_key="person.id", index=True)
    created_at: datetime = _ts()


class SupportService(SQLModel, table=True):
    """A service of the region's catalogue (S-42: loans, premises and incubation, policy
    consulting, mentors, skills, platforms): it serves its region and every region under it."""

    __tablename__ = "support_service"
    __table_args__ = (Index("ix_support_service_region_kind", "region_id", "kind"),)

    id: int | None = Field(default=None, primary_key=True)
    kind: str = Field(max_length=12)
    name: str = Field(max_length=100)
    offer: str = Field(default="", max_length=500)
    conditions: str = Field(default="", max_length=500)
    contact: str = Field(default="", max_length=200)
    region_id: int = Field(foreign_key="region.id")
    active: bool = True
    created_by: int | None = Field(default=None, foreign_key="person.id")
    updated_by: int | None = Field(default=None, foreign_key="person.id")
    created_at: datetime = _ts()
    updated_at: datetime = _ts()


class SupportFollowup(SQLModel, table=True):
    """One need of one trainee of a class, for the institution to follow up (`/todo`) until
    staff mark it done."""

    __tablename__ = "support_followup"
    __table_args__ = (
        UniqueConstraint("class_id", "person_id", "need"),
        Index("ix_support_followup_institution_status", "institution_id", "status"),
    )

    id: int | None = Field(default=None, primary_key=True)
    institution_id: int = Field(foreign_key="institution.id")
    class_id: int = Field(foreign_key="training_class.id")
    person_id: int = Field(foreign_key="person.id")
    need: str = Field(max_length=12)
    submission_id: int = Field(foreign_key="form_submission.id")
    status: str = Field(default="open", max_length=8)
    created_at: datetime = _ts()
    done_at: datetime | None = Field(default=None, sa_type=UtcDateTime)
    done_by: int | None = Field(default=None, foreign_key="person.id")


class SupportContact(SQLModel, table=True):
    """One contact with the trainee about a follow-up: when, how, what came of it, and the
    service involved (S-42: the follow-up recorded and countable)."""

    __tablename__ = "support_contact"

    id: int | None = Field(default=None, primary_key=True)
    followup_id: int = Field(foreign_key="support_followup.id", index=True)
    service_id: int | None = Field(default=None, foreign_key="support_service.id")
    contacted_on: date
    channel: str = Field(max_length=8)
    outcome: str
    recorded_by: int = Field(foreign_key="person.id")
    created_at: datetime = _ts()


class PersonalDataRequest(SQLModel, table=True):
    """A person's request to erase their personal data (S-53, PIPL; bot/domain/personal_data).

    `region_id` is the region whose supervisor decides it (the person's institution's or
    grant's; none: only admins); `status`: pending → erased or refused (with `reason`).
    `tables` holds what the erasure changed: table name → rows, never the data."""

    __tablename__ = "personal_data_request"
    __table_args__ = (Index("ix_personal_data_request_status", "status", "region_id"),)

    id: int | None = Field(default=None, primary_key=True)
    person_id: int = Field(foreign_key="person.id", index=True)
    region_id: int | None = Field(default=None, foreign_key="region.id")
    status: str = Field(default="pending", max_length=10)
    reason: str | None = None
    tables: dict[str, int] = Field(default_factory=dict, sa_type=JsonDoc)
    decided_by: int | None = Field(default=None, foreign_key="person.id")
    decided_at: datetime | None = Field(default=None, sa_type=UtcDateTime)
    created_at: datetime = _ts()


class CustomForm(SQLModel, table=True):
    """A questionnaire a supervisor added by sending its YAML definition (checked as the files
    are at start-up); pushable in campaigns at once. `key` is the definition's id."""

    __tablename__ = "custom_form"

    id: int | None = Field(default=None, primary_key=True)
    key: str = Field(max_length=40, unique=True)
    yaml: str = Field(sa_type=Text)
    region_id: int | None = Field(default=None, foreign_key="region.id")
    added_by: int = Field(foreign_key="person.id")
    created_at: datetime = _ts()
    updated_at: datetime = _ts()


class Campaign(SQLModel, table=True):
    """A questionnaire pushed by an institution or a supervisor to a selection of trainees.

    `status`: draft (being set up in /campaign) → confirmed (recipients chosen, pushed from
    `send_at` by the scan) or cancelled. `token` is drawn when the draft is made: confirming
    twice confirms one campaign. `selection` is what was chosen ({"kind": ..., ...})."""

    __tablename__ = "campaign"
    __table_args__ = (UniqueConstraint("token"),)

    id: int | None = Field(default=None, primary_key=True)
    token: str = Field(max_length=32)
    form_key: str = Field(max_length=40)
    created_by: int = Field(foreign_key="person.id")
    institution_id: int | None = Field(default=None, foreign_key="institution.id")
    region_id: int | None = Field(default=None, foreign_key="region.id")
    selection: dict[str, Any] = Field(default_factory=dict, sa_type=JsonDoc)
    status: str = Field(default="draft", max_length=12)
    send_at: datetime | None = Field(default=None, sa_type=UtcDateTime)
    confirmed_at: datetime | None = Field(default=None, sa_type=UtcDateTime)
    reminded_at: datetime | None = Field(default=None, sa_type=UtcDateTime)
    cancelled_at: datetime | None = Field(default=None, sa_type=UtcDateTime)
    created_at: datetime = _ts()


class CampaignRecipient(SQLModel, table=True):
    """One person a campaign goes to, and where they stand (bot/domain/campaigns.Reply)."""

    __tablename__ = "campaign_recipient"
    __table_args__ = (
        Index("ix_campaign_recipient_state", "campaign_id", "state"),
        Index("ix_campaign_recipient_person", "person_id"),
    )

    campaign_id: int = Field(foreign_key="campaign.id", primary_key=True)
    person_id: int = Field(foreign_key="person.id", primary_key=True)
    state: str = Field(default="queued", max_length=12)
    submission_id: int | None = Field(default=None, foreign_key="form_submission.id")
    reminded_at: datetime | None = Field(default=None, sa_type=UtcDateTime)
    updated_at: datetime | None = Field(default=None, sa_type=UtcDateTime)


class FollowupSchedule(SQLModel, table=True):
    """When tracking surveys (T13) go out, in months after a class's last day: one row for an
    institution (all its classes) and at most one per class, which overrides it; none means
    the default 6, 12, 18 and 24 (bot/domain/followup.py)."""

    __tablename__ = "followup_schedule"
    __table_args__ = (Index("ix_followup_schedule_institution", "institution_id", "class_id"),)

    id: int | None = Field(default=None, primary_key=True)
    institution_id: int = Field(foreign_key="institution.id")
    class_id: int | None = Field(default=None, foreign_key="training_class.id")
    months: list[int] = Field(default_factory=list, sa_type=JsonDoc)
    updated_by: int | None = Field(default=None, foreign_key="person.id")
    updated_at: datetime = _ts()


_FOLLOWUP_ACTIVE = text("done = false")


class FollowupClass(SQLModel, table=True):
    """A finished trainee class in follow-up: its last session's end, from which the scan
    computes each wave's due day with the schedule in force, and how many waves went to all
    its trainees. `done` once the schedule has no wave left (a longer schedule reopens it)."""

    __tablename__ = "followup_class"
    __table_args__ = (
        Index(
            "ix_followup_class_active",
            "class_id",
            sqlite_where=_FOLLOWUP_ACTIVE,
            postgresql_where=_FOLLOWUP_ACTIVE,
        ),
        Index("ix_followup_class_institution", "institution_id"),
        Index(
            "ix_followup_class_next_wave",
            "next_wave_at",
            sqlite_where=_FOLLOWUP_ACTIVE,
            postgresql_where=_FOLLOWUP_ACTIVE,
        ),
    )

    class_id: int = Field(foreign_key="training_class.id", primary_key=True)
    institution_id: int = Field(foreign_key="institution.id")
    ended_at: datetime = Field(sa_type=UtcDateTime)
    timezone: str = Field(default="Asia/Shanghai", max_length=40)
    waves_sent: int = 0
    done: bool = False
    next_wave_at: datetime | None = Field(default=None, sa_type=UtcDateTime)
    """When the scan next looks at the class: its next wave's day, or (after it registered or
    its schedule changed) its end, so that the scan works that day out. Read through a partial
    index, so a pass reads only the classes with a wave due."""


_SURVEY_OPEN = text(
    "answered_at IS NULL AND closed_at IS NULL AND stopped = false AND sent_at IS NOT NULL"
)
_SURVEY_TO_CALL = text("answered_at IS NULL AND stopped = false AND call_outcome IS NULL")


class FollowupSurvey(SQLModel, table=True):
    """One trainee's tracking survey of one wave: sent (or not, `stopped`: they had stopped
    follow-ups), reminded, closed, answered once (`submission_id`; `late` after closing,
    `via_phone` when staff took it by phone), and the phone follow-up's outcome."""

    __tablename__ = "followup_survey"
    __table_args__ = (
        UniqueConstraint("class_id", "wave", "person_id"),
        Index("ix_followup_survey_institution", "institution_id", "wave"),
        Index(
            "ix_followup_survey_open",
            "sent_at",
            sqlite_where=_SURVEY_OPEN,
            postgresql_where=_SURVEY_OPEN,
        ),
        Index(
            "ix_followup_survey_to_call",
            "institution_id",
            "sent_at",
            sqlite_where=_SURVEY_TO_CALL,
            postgresql_where=_SURVEY_TO_CALL,
        ),
    )

    id: int | None = Field(default=None, primary_key=True)
    person_id: int = Field(foreign_key="person.id", index=True)
    class_id: int = Field(foreign_key="training_class.id")
    institution_id: int = Field(foreign_key="institution.id")
    wave: int
    months: int
    sent_at: datetime | None = Field(default=None, sa_type=UtcDateTime)
    stopped: bool = False
    reminders: int = 0
    closed_at: datetime | None = Field(default=None, sa_type=UtcDateTime)
    answered_at: datetime | None = Field(default=None, sa_type=UtcDateTime)
    submission_id: int | None = Field(default=None, foreign_key="form_submission.id")
    late: bool = False
    via_phone: bool = False
    undelivered: bool = False
    """Its push was refused (blocked, chat not found): on the phone list at once."""
    call_outcome: str | None = Field(default=None, max_length=12)
    called_at: datetime | None = Field(default=None, sa_type=UtcDateTime)
    called_by: int | None = Field(default=None, foreign_key="person.id")


class FollowupStop(SQLModel, table=True):
    """A trainee who stopped follow-ups (/stop): no tracking survey or other follow-up push
    reaches them until they resume (`storage.followup.stopped`)."""

    __tablename__ = "followup_stop"

    person_id: int = Field(foreign_key="person.id", primary_key=True)
    stopped_at: datetime = _ts()


class ConsoleLink(SQLModel, table=True):
    """A one-time sign-in link to the web console that `/console` sent: only the sha256 of its
    token is kept; it opens one session, within `expires_at`."""

    __tablename__ = "console_link"

    id: int | None = Field(default=None, primary_key=True)
    token_hash: str = Field(max_length=64, unique=True)
    person_id: int = Field(foreign_key="person.id", index=True)
    created_at: datetime = _ts()
    expires_at: datetime = Field(sa_type=UtcDateTime)
    used_at: datetime | None = Field(default=None, sa_type=UtcDateTime)


class ConsoleSession(SQLModel, table=True):
    """A signed-in web console: the cookie holds the session id, the store only its sha256.
    It lapses after a while idle (`last_seen_at`) and at `expires_at`; sign-out sets
    `ended_at`."""

    __tablename__ = "console_session"

    id: int | None = Field(default=None, primary_key=True)
    id_hash: str = Field(max_length=64, unique=True)
    person_id: int = Field(foreign_key="person.id", index=True)
    created_at: datetime = _ts()
    last_seen_at: datetime = _ts()
    expires_at: datetime = Field(sa_type=UtcDateTime)
    ended_at: datetime | None = Field(default=None, sa_type=UtcDateTime)


_PERSON_LOOKUP = text("question_id IN ('name', 'id_number', 'mobile')")
Index(
    "ix_form_answer_person_lookup",
    FormAnswer.question_id,
    FormAnswer.text,
    FormAnswer.form_id,
    FormAnswer.submission_id,
    sqlite_where=_PERSON_LOOKUP,
    postgresql_where=_PERSON_LOOKUP,
)
"""The web console's trainee search (by name, by the last digits of an ID or mobile number)
reads only this index: a few entries per person, never the answers' table."""


class CertificateApplication(SQLModel, table=True):
    """An institution's application for the certificates of an assessed class (S-14): drafted
    by staff (who is on it), then decided once by the region's supervisor
    (bot/domain/issuing.ApplicationStatus). One per class."""

    __tablename__ = "certificate_application"
    __table_args__ = (Index("ix_certificate_application_status_region", "status", "region_id"),)

    id: int | None = Field(default=None, primary_key=True)
    class_id: int = Field(foreign_key="training_class.id", unique=True)
    institution_id: int = Field(foreign_key="institution.id")
    region_id: int = Field(foreign_key="region.id")
    programme: str = Field(max_length=12)
    status: str = Field(default="draft", max_length=10)
    created_by: int | None = Field(default=None, foreign_key="person.id")
    submitted_at: datetime | None = Field(default=None, sa_type=UtcDateTime)
    submitted_by: int | None = Field(default=None, foreign_key="person.id")
    decided_at: datetime | None = Field(default=None, sa_type=UtcDateTime)
    decided_by: int | None = Field(default=None, foreign_key="person.id")
    reason: str | None = None
    """Why the learners not approved were rejected."""
    created_at: datetime = _ts()


class CertificateApplicant(SQLModel, table=True):
    """One learner of a class on its certificate application: `selected` by staff (passed
    learners only), then `chosen` by the supervisor among those; `status` once decided."""

    __tablename__ = "certificate_applicant"

    application_id: int = Field(foreign_key="certificate_application.id", primary_key=True)
    person_id: int = Field(foreign_key="person.id", primary_key=True)
    stage: str | None = Field(default=None, max_length=12)
    final: float | None = None
    selected: bool = False
    chosen: bool = True
    status: str = Field(default="pending", max_length=10)


class IssuedCertificate(SQLModel, table=True):
    """A certificate the product issued (网络创业培训合格证书; lecturer and trainer certificates
    later), as printed: names are copied so the certificate reads the same after a rename.
    `holder_name` is cleared when the holder's personal data is erased; the certificate stays
    verifiable as issued. Not to be confused with `Certificate`, a teacher's declared one."""

    __tablename__ = "issued_certificate"

    id: int | None = Field(default=None, primary_key=True)
    number: str = Field(max_length=20, unique=True)
    programme: str = Field(max_length=12)
    person_id: int | None = Field(default=None, foreign_key="person.id", index=True)
    holder_name: str | None = Field(default=None, max_length=255)
    class_id: int = Field(foreign_key="training_class.id", index=True)
    class_name: str = Field(max_length=200)
    institution_id: int = Field(foreign_key="institution.id")
    institution_name: str = Field(max_length=200)
    region_id: int = Field(foreign_key="region.id")
    first_day: date | None = None
    last_day: date | None = None
    issued_on: date
    issued_at: datetime = _ts()
    issued_by: int | None = Field(default=None, foreign_key="person.id")
    application_id: int | None = Field(default=None, foreign_key="certificate_application.id")
    revoked_at: datetime | None = Field(default=None, sa_type=UtcDateTime)
    revoked_by: int | None = Field(default=None, foreign_key="person.id")
    revoke_reason: str | None = None
    sent_at: datetime | None = Field(default=None, sa_type=UtcDateTime, index=True)
    """When its PDF was queued for the holder (scheduler/issuing.py finds those not yet sent)."""


class CertificateCounter(SQLModel, table=True):
    """The last serial issued per region and year: advanced with UPDATE ... RETURNING in the
    approving transaction (the row lock orders concurrent approvals; a rollback returns it)."""

    __tablename__ = "certificate_counter"

    region_id: int = Field(foreign_key="region.id", primary_key=True)
    year: int = Field(primary_key=True, sa_column_kwargs={"autoincrement": False})
    last: int = 0


class ProductSecret(SQLModel, table=True):
    """A key the product generated for itself on first use and keeps (e.g. the certificate
    check key when CERTIFICATE_SECRET is unset), so links it printed stay valid."""

    __tablename__ = "product_secret"

    name: str = Field(primary_key=True, max_length=40)
    value: str = Field(max_length=200)
    created_at: datetime = _ts()


class StatsClass(SQLModel, table=True):
    """Statistics' tallies of one closed class (bot/services/stats.py): per figure [people,
    numerator, denominator], so a province's figures need not read every past class's marks
    and answers again; the scheduler fills it for classes that close and renews it daily."""

    __tablename__ = "stats_class"

    class_id: int = Field(foreign_key="training_class.id", primary_key=True)
    tallies: dict[str, list[float]] = Field(default_factory=dict, sa_type=JsonDoc)
    computed_at: datetime = _ts(index=True)


class ScanWake(SQLModel, table=True):
    """When a class-day scan (`storage.wake.SCANS`) next has work for a class: the scan looks
    only at classes whose `wake_at` has come, so a pass with nothing due reads no class.

    Database triggers (migration 0018) wake a class (`wake_at` = the epoch, `touched` + 1)
    whenever something the scans compute from changes: its sessions, marks, teachers, status.
    After working on a class a scan sets the next time its clock makes work due, only if
    `touched` is still what it read, so a change made meanwhile is never lost."""

    __tablename__ = "scan_wake"
    __table_args__ = (Index("ix_scan_wake_due", "scan", "wake_at"),)

    scan: str = Field(primary_key=True, max_length=20)
    class_id: int = Field(foreign_key="training_class.id", primary_key=True)
    wake_at: datetime = Field(sa_type=UtcDateTime)
    touched: int = 0
