"""What a class needs before it may open (S-7 to S-10, S-23, S-31).

The checks return findings (a code and the numbers its message needs), never text: templates
turn them into words, and the same findings drive the class card, Submit and the tests.
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping
from dataclasses import dataclass, field
from datetime import date
from enum import StrEnum
from typing import Any


class Programme(StrEnum):
    TRAINEE = "trainee"
    LECTURER = "lecturer"
    TRAINER = "trainer"


class CertificateKind(StrEnum):
    """LECTURER: 网络创业培训讲师培训合格证书; TRAINER: 网络创业培训师证书."""

    LECTURER = "lecturer"
    TRAINER = "trainer"


class CertificateStatus(StrEnum):
    PENDING = "pending"
    VERIFIED = "verified"
    REJECTED = "rejected"


class ClassStatus(StrEnum):
    DRAFT = "draft"
    SUBMITTED = "submitted"
    APPROVED = "approved"
    RETURNED = "returned"
    CLOSED = "closed"


EDITABLE = frozenset({ClassStatus.DRAFT, ClassStatus.RETURNED})
"""A class can be changed while it is being prepared or after the supervisor returned it."""


class ClassEvent(StrEnum):
    """What the audit log records about a class (the stored `action` values)."""

    CREATED = "class.created"
    EDITED = "class.edited"
    EQUIPMENT_CONFIRMED = "class.equipment_confirmed"
    TEACHER_ASSIGNED = "class.teacher_assigned"
    TEACHER_REMOVED = "class.teacher_removed"
    TIMETABLE_GENERATED = "class.timetable_generated"
    SESSION_ADDED = "class.session_added"
    SESSION_REMOVED = "class.session_removed"
    SESSION_TIME = "class.session_time"
    SESSION_HOURS = "class.session_hours"
    SESSION_TOPIC = "class.session_topic"
    SUBMITTED = "class.submitted"
    APPROVED = "class.approved"
    RETURNED = "class.returned"


class CertificateEvent(StrEnum):
    """What the audit log records about a teaching certificate."""

    DECLARED = "certificate.declared"
    NUMBER_TAKEN = "certificate.number_taken"
    VERIFIED = "certificate.verified"
    REJECTED = "certificate.rejected"


DECIDED = {
    ClassStatus.APPROVED: ClassEvent.APPROVED,
    ClassStatus.RETURNED: ClassEvent.RETURNED,
    CertificateStatus.VERIFIED: CertificateEvent.VERIFIED,
    CertificateStatus.REJECTED: CertificateEvent.REJECTED,
}
"""The audit event of each decision on a class application or a certificate."""


class TeacherStanding(StrEnum):
    """How a candidate stands for teaching a class, as the teachers view lists them."""

    CHOSEN = "chosen"
    VERIFIED = "verified"
    PENDING = "pending"
    NONE = "none"


def standing(chosen: bool, statuses: Iterable[str]) -> TeacherStanding:
    """Assigned; else the best of their certificates of the kind the class needs."""
    held = set(statuses)
    if chosen:
        return TeacherStanding.CHOSEN
    if CertificateStatus.VERIFIED in held:
        return TeacherStanding.VERIFIED
    if CertificateStatus.PENDING in held:
        return TeacherStanding.PENDING
    return TeacherStanding.NONE


@dataclass(frozen=True)
class ClassDetails:
    """A class's basic data, as the class form asks it (T4's header): one explicit mapping
    between the form's answers and the class's fields, both ways."""

    programme: Programme
    name: str
    start_date: date
    capacity: int
    venue_address: str
    venue_lat: float | None
    venue_lon: float | None

    @classmethod
    def from_answers(cls, answers: Mapping[str, Any]) -> ClassDetails:
        """The class form's answers (a skipped capacity is the most a class takes)."""
        location = answers.get("venue_location") or {}
        return cls(
            programme=Programme(answers["programme"]),
            name=answers["name"],
            start_date=date.fromisoformat(answers["start_date"]),
            capacity=answers.get("capacity") or MAX_CAPACITY,
            venue_address=answers["venue_address"],
            venue_lat=location.get("latitude"),
            venue_lon=location.get("longitude"),
        )

    @classmethod
    def of(cls, found: Any) -> ClassDetails:
        """The details a stored class has now."""
        return cls(
            programme=Programme(found.programme),
            name=found.name,
            start_date=found.start_date,
            capacity=found.capacity,
            venue_address=found.venue_address,
            venue_lat=found.venue_lat,
            venue_lon=found.venue_lon,
        )

    def answers(self) -> dict[str, Any]:
        """The class form's answers that show these details (to edit them)."""
        return {
            "programme": str(self.programme),
            "name": self.name,
            "start_date": self.start_date.isoformat(),
            "capacity": self.capacity,
            "venue_address": self.venue_address,
            "venue_location": {"latitude": self.venue_lat, "longitude": self.venue_lon},
        }


@dataclass(frozen=True)
class Requirement:
    days: int
    hours: int
    teacher_kind: CertificateKind


REQUIREMENTS = {
    Programme.TRAINEE: Requirement(7, 56, CertificateKind.LECTURER),
    Programme.LECTURER: Requirement(10, 80, CertificateKind.TRAINER),
    Programme.TRAINER: Requirement(10, 80, CertificateKind.TRAINER),
}
"""Trainee classes: 7 days, 56 class hours, two certified lecturers (S-8, S-9). Lecturer
classes: 10 days, 80 hours, two trainers (S-23). Trainer classes: 10 days, 80 hours, two
experts, who hold the trainer certificate (S-31)."""


EQUIPMENT_FORMS = {
    Programme.TRAINEE: "equipment",
    Programme.LECTURER: "equipment",
    Programme.TRAINER: "equipment_trainer",
}
"""The checklist (T4) each programme confirms: trainee and lecturer classes need computers, the
platform, its manual and a tested network (articles 7, 13); a trainer class only the room and
the books (学员教材、讲师手册、培训师指南, article 19)."""


def equipment_ready(answers: Mapping[str, Any], required: Iterable[str]) -> bool:
    """The checklist is confirmed when every required item is answered yes; an advisory item
    (the ≥100 Mbit/s network, 建议) may be no."""
    return all(answers.get(item) is True for item in required)


MAX_CAPACITY = 30
IDEAL_CAPACITY = 25
TEACHERS = 2


class Finding(StrEnum):
    """Problems block Submit; warnings are shown but do not."""

    CAPACITY_TOO_SMALL = "capacity_too_small"
    CAPACITY_TOO_LARGE = "capacity_too_large"
    TEACHERS_MISSING = "teachers_missing"
    TEACHERS_TOO_MANY = "teachers_too_many"
    TEACHER_NOT_CERTIFIED = "teacher_not_certified"
    NO_TIMETABLE = "no_timetable"
    TOO_FEW_DAYS = "too_few_days"
    TOO_FEW_HOURS = "too_few_hours"
    EQUIPMENT_NOT_CONFIRMED = "equipment_not_confirmed"
    NO_VENUE_LOCATION = "no_venue_location"
    START_PASSED = "start_passed"
    CAPACITY_ABOVE_IDEAL = "capacity_above_ideal"

    @property
    def blocks(self) -> bool:
        return self is not Finding.CAPACITY_ABOVE_IDEAL


@dataclass(frozen=True)
class Found:
    """One finding with what its message shows (e.g. hours planned and needed)."""

    code: Finding
    params: Mapping[str, Any] = field(default_factory=dict)


@dataclass(frozen=True)
class Teacher:
    """An assigned teacher: a name for messages and the kinds of certificate verified."""

    name: str
    verified: frozenset[CertificateKind]


@dataclass(frozen=True)
class ClassFacts:
    """What the checks look at, read from the store by the caller."""

    programme: Programme
    capacity: int
    teachers: tuple[Teacher, ...]
    days: int
    hours: int
    equipment_confirmed: bool
    venue_located: bool
    start_date: date


def capacity_findings(capacity: int) -> list[Found]:
    """At most 30 in a class, 25 is ideal (S-7, S-23, S-31)."""
    if capacity < 1:
        return [Found(Finding.CAPACITY_TOO_SMALL)]
    if capacity > MAX_CAPACITY:
        return [Found(Finding.CAPACITY_TOO_LARGE, {"capacity": capacity, "max": MAX_CAPACITY})]
    if capacity > IDEAL_CAPACITY:
        return [
            Found(Finding.CAPACITY_ABOVE_IDEAL, {"capacity": capacity, "ideal": IDEAL_CAPACITY})
        ]
    return []


def may_teach(programme: Programme, verified: Iterable[CertificateKind]) -> bool:
    """Whether someone with these verified certificates may teach a class of the programme."""
    return REQUIREMENTS[programme].teacher_kind in set(verified)


def teacher_findings(programme: Programme, teachers: Iterable[Teacher]) -> list[Found]:
    """Exactly two teachers, each with a verified certificate of the kind the class needs."""
    teachers = list(teachers)
    kind = REQUIREMENTS[programme].teacher_kind
    found = []
    if len(teachers) < TEACHERS:
        found.append(Found(Finding.TEACHERS_MISSING, {"count": len(teachers), "needed": TEACHERS}))
    elif len(teachers) > TEACHERS:
        found.append(Found(Finding.TEACHERS_TOO_MANY, {"count": len(teachers), "needed": TEACHERS}))
    for teacher in teachers:
        if not may_teach(programme, teacher.verified):
            found.append(Found(Finding.TEACHER_NOT_CERTIFIED, {"name": teacher.name, "kind": kind}))
    return found


def timetable_findings(programme: Programme, days: int, hours: int) -> list[Found]:
    """At least the programme's days and class hours (S-9, S-23, S-31)."""
    need = REQUIREMENTS[programme]
    if days == 0:
        return [Found(Finding.NO_TIMETABLE, {"days": need.days, "hours": need.hours})]
    found = []
    if days < need.days:
        found.append(Found(Finding.TOO_FEW_DAYS, {"days": days, "needed": need.days}))
    if hours < need.hours:
        found.append(Found(Finding.TOO_FEW_HOURS, {"hours": hours, "needed": need.hours}))
    return found


def check_class(facts: ClassFacts, today: date) -> list[Found]:
    """Every finding about the class, problems and warnings, in the order the card shows."""
    found = [
        *capacity_findings(facts.capacity),
        *teacher_findings(facts.programme, facts.teachers),
        *timetable_findings(facts.programme, facts.days, facts.hours),
    ]
    if not facts.equipment_confirmed:
        found.append(Found(Finding.EQUIPMENT_NOT_CONFIRMED))
    if not facts.venue_located:
        found.append(Found(Finding.NO_VENUE_LOCATION))
    if facts.start_date < today:
        found.append(Found(Finding.START_PASSED, {"start": facts.start_date.isoformat()}))
    return found


def problems(found: Iterable[Found]) -> list[Found]:
    """The findings that keep a class from being submitted."""
    return [item for item in found if item.code.blocks]
