"""Who may do what: the one table of actions × roles × scopes (SPEC section 2).

"Who may approve a class" is `RULES[Action.CLASS_DECIDE]`. Handlers and use cases ask
`allowed`/`require` with an `Actor` and a `Target`, the scope facts of the object loaded from the
store (bot/services/targets.py). Pure: no aiogram, no database.
"""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass, field
from enum import StrEnum

from bot.domain.roles import INVITES, Grant, Role
from bot.services.actor import Actor
from bot.services.errors import NotAllowed


class Action(StrEnum):
    SCREENING_DECIDE = "screening.decide"
    TRAINEE_LIST = "trainee.list"
    TRAINEE_VIEW = "trainee.view"
    TEACHER_PROFILE = "teacher.profile"
    CERTIFICATE_VERIFY = "certificate.verify"
    CLASS_CREATE = "class.create"
    CLASS_VIEW = "class.view"
    CLASS_EDIT = "class.edit"
    CLASS_TIMETABLE = "class.timetable"
    CLASS_TEACHERS = "class.teachers"
    CLASS_EQUIPMENT = "class.equipment"
    CLASS_SUBMIT = "class.submit"
    CLASS_DECIDE = "class.decide"
    CLASS_DISPATCH = "class.dispatch"
    ENROLMENT_MANAGE = "enrolment.manage"
    ROSTER_VIEW = "roster.view"
    ATTENDANCE_MARK = "attendance.mark"
    CHECKIN_OPEN = "checkin.open"
    LEAVE_REQUEST = "leave.request"
    LEAVE_DECIDE = "leave.decide"
    FEEDBACK_GIVE = "feedback.give"
    FEEDBACK_DAILY = "feedback.daily"
    FEEDBACK_EVALUATIONS = "feedback.evaluations"
    SUBMISSION_HAND_IN = "submission.hand_in"
    SUBMISSION_EXTEND = "submission.extend"
    PLAN_PRINT = "plan.print"
    INVITE = "invite"
    ASSESSMENT_SCORE = "assessment.score"
    ASSESSMENT_MANAGE = "assessment.manage"
    ASSESSMENT_PROGRESS = "assessment.progress"
    ASSESSMENT_RESULT = "assessment.result"
    COACHING_RECORD = "coaching.record"
    ACTIVITY_COMMENT = "activity.comment"
    ACTIVITY_REPORT = "activity.report"
    REPORT_BUNDLE = "report.bundle"
    PERSONAL_DATA_FULL = "personal.full"
    SUPPORT_NEEDS_GIVE = "support.needs_give"
    SUPPORT_NEEDS_VIEW = "support.needs_view"
    SUPPORT_NEEDS_COMPLETE = "support.needs_complete"
    SUPPORT_SERVICES = "support.services"
    SUPPORT_FOLLOWUP = "support.followup"
    PERSONAL_DATA_ERASE = "personal_data.erase"
    CAMPAIGN_PUSH = "campaign.push"
    CAMPAIGN_REPLY = "campaign.reply"
    FORM_ADD = "form.add"
    FOLLOWUP_ANSWER = "followup.answer"
    FOLLOWUP_SCHEDULE = "followup.schedule"
    FOLLOWUP_CALL = "followup.call"
    FOLLOWUP_MOBILE = "followup.mobile"
    CONSOLE_USE = "console.use"
    CERTIFICATE_APPLY = "certificate.apply"
    CERTIFICATE_ISSUE = "certificate.issue"
    CERTIFICATE_REVOKE = "certificate.revoke"
    CERTIFICATE_FETCH = "certificate.fetch"
    STATS_VIEW = "stats.view"


class Reach(StrEnum):
    """How far a grant reaches for one action."""

    SELF = "self"
    """The object belongs to the actor (their feedback request, their profile)."""
    OWN_CLASS = "own_class"
    """The actor is enrolled in the object's class."""
    TAUGHT = "taught"
    """The actor teaches the object's class."""
    INSTITUTION = "institution"
    """The object is in the grant's institution."""
    REGION = "region"
    """The object is in the grant's region."""
    ALL = "all"


@dataclass(frozen=True)
class Rule:
    reaches: frozenset[Reach]
    kinds: frozenset[str] | None = None
    """When set, the target's kind must be one of these (a certificate's kind, an invited role)."""


def _rule(*reaches: Reach, kinds: Iterable[str] | None = None) -> Rule:
    return Rule(frozenset(reaches), None if kinds is None else frozenset(kinds))


SELF, OWN_CLASS, TAUGHT = _rule(Reach.SELF), _rule(Reach.OWN_CLASS), _rule(Reach.TAUGHT)
INSTITUTION, REGION, ALL = _rule(Reach.INSTITUTION), _rule(Reach.REGION), _rule(Reach.ALL)
TEACHERS = (Role.LECTURER, Role.TRAINER)
LEARNERS = (Role.TRAINEE, Role.LECTURER, Role.TRAINER)
STAFF_PREPARE = {Role.INSTITUTION: INSTITUTION}


def _each(roles: Iterable[Role], rule: Rule) -> dict[Role, Rule]:
    return dict.fromkeys(roles, rule)


RULES: dict[Action, dict[Role, Rule]] = {
    # Screening: the institution's staff and lecturers confirm or override (S-3).
    Action.SCREENING_DECIDE: {Role.INSTITUTION: INSTITUTION, Role.LECTURER: INSTITUTION},
    # Trainees: their institution's staff and lecturers, and whoever teaches their class (S-6).
    Action.TRAINEE_LIST: {
        Role.INSTITUTION: INSTITUTION,
        Role.LECTURER: _rule(Reach.INSTITUTION, Reach.TAUGHT),
    },
    Action.TRAINEE_VIEW: {
        Role.INSTITUTION: INSTITUTION,
        Role.LECTURER: _rule(Reach.INSTITUTION, Reach.TAUGHT),
    },
    # Teachers declare their own certificates; the region's supervisor verifies a lecturer
    # certificate, an admin any certificate.
    Action.TEACHER_PROFILE: _each(TEACHERS, SELF),
    Action.CERTIFICATE_VERIFY: {
        Role.SUPERVISOR: _rule(Reach.REGION, kinds=("lecturer",)),
        Role.ADMIN: ALL,
    },
    # Classes: the institution's staff prepare them; the region's supervisor (or an admin)
    # approves or returns the application.
    Action.CLASS_CREATE: STAFF_PREPARE,
    Action.CLASS_VIEW: STAFF_PREPARE,
    Action.CLASS_EDIT: STAFF_PREPARE,
    Action.CLASS_TIMETABLE: STAFF_PREPARE,
    Action.CLASS_TEACHERS: STAFF_PREPARE,
    Action.CLASS_EQUIPMENT: STAFF_PREPARE,
    Action.CLASS_SUBMIT: STAFF_PREPARE,
    Action.CLASS_DECIDE: {Role.SUPERVISOR: REGION, Role.ADMIN: ALL},
    # S-8 (「由当地创业培训主管部门选派」): the region's supervisor dispatches verified lecturers of
    # the region to a trainee class of the region being prepared; the institution is told.
    Action.CLASS_DISPATCH: {Role.SUPERVISOR: _rule(Reach.REGION, kinds=("trainee",))},
    Action.ENROLMENT_MANAGE: STAFF_PREPARE,
    # Running a class: its teachers check in and mark; the institution's staff read along.
    Action.ROSTER_VIEW: {**_each(TEACHERS, TAUGHT), Role.INSTITUTION: INSTITUTION},
    Action.ATTENDANCE_MARK: _each(TEACHERS, TAUGHT),
    Action.CHECKIN_OPEN: _each(TEACHERS, TAUGHT),
    # Leave (S-11): a learner of the class asks, a teacher of the class decides.
    Action.LEAVE_REQUEST: _each(LEARNERS, OWN_CLASS),
    Action.LEAVE_DECIDE: _each(TEACHERS, TAUGHT),
    # Feedback: learners answer their own requests; teachers read the daily summaries of their
    # classes, institution staff every round including the evaluations.
    Action.FEEDBACK_GIVE: _each(LEARNERS, SELF),
    Action.FEEDBACK_DAILY: {**_each(TEACHERS, TAUGHT), Role.INSTITUTION: INSTITUTION},
    Action.FEEDBACK_EVALUATIONS: {Role.INSTITUTION: INSTITUTION},
    # Assessment (S-12, S-13): a drawn lecturer (or, for a lecturer class, a trainer) scores
    # the assignments made out to them; the region's supervisor draws again, widens the pool
    # and reassigns; teachers, staff and supervisors follow the progress; the trainee reads
    # their own result; the class's teachers coach who did not pass.
    Action.ASSESSMENT_SCORE: _each(TEACHERS, SELF),
    Action.ASSESSMENT_MANAGE: {Role.SUPERVISOR: REGION, Role.ADMIN: ALL},
    Action.ASSESSMENT_PROGRESS: {
        **_each(TEACHERS, TAUGHT),
        Role.INSTITUTION: INSTITUTION,
        Role.SUPERVISOR: REGION,
        Role.ADMIN: ALL,
    },
    Action.ASSESSMENT_RESULT: _each(LEARNERS, SELF),
    Action.COACHING_RECORD: _each(TEACHERS, TAUGHT),
    # Assessment (S-12): a learner of the class hands in practice results and a business plan;
    # the institution's staff extend one learner's deadline; a learner prints their own plan.
    Action.SUBMISSION_HAND_IN: _each(LEARNERS, OWN_CLASS),
    Action.SUBMISSION_EXTEND: {Role.INSTITUTION: INSTITUTION},
    Action.PLAN_PRINT: _each(LEARNERS, SELF),
    # Reporting (T11, S-15 「资料报送」): the teaching lecturers comment on their class; they and
    # the institution's staff read its activity report, the region's supervisor too. The bundle
    # goes to the institution's staff and to the region's supervisor (or an admin). ID and
    # mobile numbers in full only for the supervisor (who issues the certificates) and admins;
    # the institution's staff and teachers read them masked.
    Action.ACTIVITY_COMMENT: _each(TEACHERS, TAUGHT),
    Action.ACTIVITY_REPORT: {
        **_each(TEACHERS, TAUGHT),
        Role.INSTITUTION: INSTITUTION,
        Role.SUPERVISOR: REGION,
        Role.ADMIN: ALL,
    },
    Action.REPORT_BUNDLE: {Role.INSTITUTION: INSTITUTION, Role.SUPERVISOR: REGION, Role.ADMIN: ALL},
    Action.PERSONAL_DATA_FULL: {Role.SUPERVISOR: REGION, Role.ADMIN: ALL},
    # Follow-up support (S-16, S-42, T12): a trainee answers their own needs survey; the
    # class's lecturers read and complete it (the source has the lecturer fill it), the
    # institution's staff read it too and follow each need up; supervisors (their region) and
    # institution staff (their institution's region) keep the region's catalogue of services.
    Action.SUPPORT_NEEDS_GIVE: {Role.TRAINEE: SELF},
    Action.SUPPORT_NEEDS_VIEW: {Role.LECTURER: TAUGHT, Role.INSTITUTION: INSTITUTION},
    Action.SUPPORT_NEEDS_COMPLETE: {Role.LECTURER: TAUGHT},
    Action.SUPPORT_SERVICES: {Role.SUPERVISOR: REGION, Role.INSTITUTION: REGION, Role.ADMIN: ALL},
    Action.SUPPORT_FOLLOWUP: {Role.INSTITUTION: INSTITUTION},
    # Personal data (S-53, PIPL): a person's erasure request is confirmed or refused by the
    # supervisor of their region, or an admin.
    Action.PERSONAL_DATA_ERASE: {Role.SUPERVISOR: REGION, Role.ADMIN: ALL},
    # Campaigns (issue 14): institution staff push questionnaires to their institution's
    # trainees, supervisors to their region's, and follow them; a recipient answers their own;
    # a supervisor adds a questionnaire for their region.
    Action.CAMPAIGN_PUSH: {Role.INSTITUTION: INSTITUTION, Role.SUPERVISOR: REGION},
    Action.CAMPAIGN_REPLY: _each(LEARNERS, SELF),
    Action.FORM_ADD: {Role.SUPERVISOR: REGION},
    # Follow-up (S-16, T13, article 8): a trainee answers (or stops) their own tracking surveys;
    # the institution's staff set the schedule; its staff and lecturers make the phone
    # follow-ups, and only its staff see the mobile number in full.
    Action.FOLLOWUP_ANSWER: {Role.TRAINEE: SELF},
    Action.FOLLOWUP_SCHEDULE: {Role.INSTITUTION: INSTITUTION},
    Action.FOLLOWUP_CALL: {Role.INSTITUTION: INSTITUTION, Role.LECTURER: INSTITUTION},
    Action.FOLLOWUP_MOBILE: {Role.INSTITUTION: INSTITUTION},
    # Issued certificates (S-14): the institution's staff apply for an assessed class; the
    # region's supervisor (or an admin) issues or rejects and revokes; a holder fetches theirs.
    Action.CERTIFICATE_APPLY: {Role.INSTITUTION: INSTITUTION},
    Action.CERTIFICATE_ISSUE: {Role.SUPERVISOR: REGION, Role.ADMIN: ALL},
    Action.CERTIFICATE_REVOKE: {Role.SUPERVISOR: REGION, Role.ADMIN: ALL},
    Action.CERTIFICATE_FETCH: _each(LEARNERS, SELF),
    # Statistics (S-17, S-41): supervisors of their region (and the regions under it),
    # institution staff of their institution, admins of everything.
    Action.STATS_VIEW: {
        Role.SUPERVISOR: REGION,
        Role.INSTITUTION: INSTITUTION,
        Role.ADMIN: ALL,
    },
    # Invitations (SPEC section 2): each role invites the roles below it, within its scope.
    Action.INVITE: {
        Role.ADMIN: _rule(Reach.ALL, kinds=INVITES[Role.ADMIN]),
        Role.SUPERVISOR: _rule(Reach.REGION, kinds=INVITES[Role.SUPERVISOR]),
        Role.INSTITUTION: _rule(Reach.INSTITUTION, kinds=INVITES[Role.INSTITUTION]),
    },
    # Web console (issue 15): institution staff see their institution's classes and trainees,
    # supervisors their region's, admins everything; ID and mobile numbers in full as
    # PERSONAL_DATA_FULL says (the region's supervisor, admins), masked for everyone else.
    Action.CONSOLE_USE: {Role.INSTITUTION: INSTITUTION, Role.SUPERVISOR: REGION, Role.ADMIN: ALL},
}


@dataclass(frozen=True)
class Target:
    """The scope facts of one object: where it is, who teaches and learns in its class, whose
    it is, and its kind. Sets, because a trainee may belong to several institutions."""

    institutions: frozenset[int] = field(default_factory=frozenset)
    regions: frozenset[int] = field(default_factory=frozenset)
    teachers: frozenset[int] = field(default_factory=frozenset)
    learners: frozenset[int] = field(default_factory=frozenset)
    owner: int | None = None
    kind: str | None = None

    @classmethod
    def at(
        cls,
        institution: int | None = None,
        region: int | None = None,
        *,
        teachers: Iterable[int] = (),
        learners: Iterable[int] = (),
        owner: int | None = None,
        kind: str | None = None,
    ) -> Target:
        return cls(
            frozenset(() if institution is None else (institution,)),
            frozenset(() if region is None else (region,)),
            frozenset(teachers),
            frozenset(learners),
            owner,
            kind,
        )


def _reaches(reach: Reach, grant: Grant, person_id: int | None, target: Target) -> bool:
    match reach:
        case Reach.ALL:
            return True
        case Reach.REGION:
            return grant.region_id is not None and grant.region_id in target.regions
        case Reach.INSTITUTION:
            return grant.institution_id is not None and grant.institution_id in target.institutions
        case Reach.TAUGHT:
            return person_id is not None and person_id in target.teachers
        case Reach.OWN_CLASS:
            return person_id is not None and person_id in target.learners
        case Reach.SELF:
            return person_id is not None and target.owner == person_id


def grant_allows(grant: Grant, person_id: int | None, action: Action, target: Target) -> bool:
    rule = RULES[action].get(grant.role)
    if rule is None or (rule.kinds is not None and target.kind not in rule.kinds):
        return False
    return any(_reaches(reach, grant, person_id, target) for reach in rule.reaches)


def allowed(actor: Actor, action: Action, target: Target) -> bool:
    """Whether any of the actor's grants lets them do `action` to `target`."""
    return any(grant_allows(g, actor.person_id, action, target) for g in actor.grants)


def require(actor: Actor, action: Action, target: Target) -> None:
    """`allowed`, or NotAllowed (answered with one polite alert)."""
    if not allowed(actor, action, target):
        raise NotAllowed


def may(actor: Actor, action: Action) -> bool:
    """Whether any of the actor's roles may do `action` somewhere (menus, role filters)."""
    return any(grant.role in RULES[action] for grant in actor.grants)


def institutions(actor: Actor, action: Action) -> list[int]:
    """The institutions whose objects the actor reaches for `action` by institution scope, for
    listing them (their classes, their trainees)."""
    return sorted(
        {
            g.institution_id
            for g in actor.grants
            if g.institution_id is not None
            and Reach.INSTITUTION in getattr(RULES[action].get(g.role), "reaches", ())
        }
    )


def regions(actor: Actor, action: Action) -> list[int]:
    """The regions whose objects the actor reaches for `action` by region scope, for listing
    them (the classes a supervisor may dispatch teachers to)."""
    return sorted(
        {
            g.region_id
            for g in actor.grants
            if g.region_id is not None
            and Reach.REGION in getattr(RULES[action].get(g.role), "reaches", ())
        }
    )


def invitation_target(invited: Grant) -> Target:
    """An invitation into `invited` (its region being its institution's, when it has one)."""
    return Target.at(invited.institution_id, invited.region_id, kind=invited.role)


def may_invite(grants: Iterable[Grant], invited: Grant) -> bool:
    """Whether any of the inviter's grants allows inviting someone into `invited` (admins
    anywhere, supervisors into their region, institution staff into their institution)."""
    return any(grant_allows(g, None, Action.INVITE, invitation_target(invited)) for g in grants)
