"""The access policy, walked whole: every role, inside and outside its scope, against every action.

The expected table is written out here by hand, not derived from bot/policy.py, so a change to
the policy's table shows up as a failing cell.
"""

from __future__ import annotations

from datetime import UTC, datetime

import pytest

from bot.config import LOCALES
from bot.domain.roles import Grant, Role
from bot.i18n import text
from bot.policy import Action, Target, allowed, institutions, may, regions, require
from bot.services.actor import Actor
from bot.services.errors import Conflict, NotAllowed, NotFound, Stale

ME, OTHER = 1, 2
NOW = datetime(2026, 12, 1, tzinfo=UTC)

GRANTS = {
    Role.TRAINEE: Grant(Role.TRAINEE, 1, 10),
    Role.LECTURER: Grant(Role.LECTURER, 1, 10),
    Role.TRAINER: Grant(Role.TRAINER),
    Role.INSTITUTION: Grant(Role.INSTITUTION, 1, 10),
    Role.SUPERVISOR: Grant(Role.SUPERVISOR, 1),
    Role.ADMIN: Grant(Role.ADMIN),
}
"""Each role held in region 1 (and institution 10 where the role has one)."""

VARIANTS = {
    "self": Target.at(owner=ME),
    "other person": Target.at(owner=OTHER),
    "enrolled": Target.at(learners=[ME]),
    "not enrolled": Target.at(learners=[OTHER]),
    "taught": Target.at(teachers=[ME]),
    "not taught": Target.at(teachers=[OTHER]),
    "own institution": Target.at(10, 1),
    "other institution, own region": Target.at(11, 1),
    "other region": Target.at(20, 2),
}

EVERYWHERE = set(VARIANTS)
OWN = {"own institution"}
REGION = {"own institution", "other institution, own region"}
STAFF_ONLY = {Role.INSTITUTION: OWN}
TEACHERS_TAUGHT = {Role.LECTURER: {"taught"}, Role.TRAINER: {"taught"}}

KIND = {
    Action.CERTIFICATE_VERIFY: "lecturer",
    Action.INVITE: Role.LECTURER,
    Action.CLASS_DISPATCH: "trainee",
}
"""The kind the matrix's targets carry for the actions that care (see the kind tests below)."""

EXPECTED: dict[Action, dict[Role, set[str]]] = {
    Action.SCREENING_DECIDE: {Role.INSTITUTION: OWN, Role.LECTURER: OWN},
    Action.TRAINEE_LIST: {Role.INSTITUTION: OWN, Role.LECTURER: {"own institution", "taught"}},
    Action.TRAINEE_VIEW: {Role.INSTITUTION: OWN, Role.LECTURER: {"own institution", "taught"}},
    Action.TEACHER_PROFILE: {Role.LECTURER: {"self"}, Role.TRAINER: {"self"}},
    Action.CERTIFICATE_VERIFY: {Role.SUPERVISOR: REGION, Role.ADMIN: EVERYWHERE},
    Action.CLASS_CREATE: STAFF_ONLY,
    Action.CLASS_VIEW: STAFF_ONLY,
    Action.CLASS_EDIT: STAFF_ONLY,
    Action.CLASS_TIMETABLE: STAFF_ONLY,
    Action.CLASS_TEACHERS: STAFF_ONLY,
    Action.CLASS_EQUIPMENT: STAFF_ONLY,
    Action.CLASS_SUBMIT: STAFF_ONLY,
    Action.CLASS_DECIDE: {Role.SUPERVISOR: REGION, Role.ADMIN: EVERYWHERE},
    Action.CLASS_DISPATCH: {Role.SUPERVISOR: REGION},
    Action.ENROLMENT_MANAGE: STAFF_ONLY,
    Action.ROSTER_VIEW: {**TEACHERS_TAUGHT, Role.INSTITUTION: OWN},
    Action.ATTENDANCE_MARK: TEACHERS_TAUGHT,
    Action.CHECKIN_OPEN: TEACHERS_TAUGHT,
    Action.LEAVE_REQUEST: {
        Role.TRAINEE: {"enrolled"},
        Role.LECTURER: {"enrolled"},
        Role.TRAINER: {"enrolled"},
    },
    Action.LEAVE_DECIDE: TEACHERS_TAUGHT,
    Action.FEEDBACK_GIVE: {
        Role.TRAINEE: {"self"},
        Role.LECTURER: {"self"},
        Role.TRAINER: {"self"},
    },
    Action.FEEDBACK_DAILY: {**TEACHERS_TAUGHT, Role.INSTITUTION: OWN},
    Action.FEEDBACK_EVALUATIONS: STAFF_ONLY,
    Action.SUBMISSION_HAND_IN: {
        Role.TRAINEE: {"enrolled"},
        Role.LECTURER: {"enrolled"},
        Role.TRAINER: {"enrolled"},
    },
    Action.SUBMISSION_EXTEND: STAFF_ONLY,
    Action.PLAN_PRINT: {
        Role.TRAINEE: {"self"},
        Role.LECTURER: {"self"},
        Role.TRAINER: {"self"},
    },
    Action.INVITE: {Role.SUPERVISOR: REGION, Role.INSTITUTION: OWN},
    Action.ASSESSMENT_SCORE: {Role.LECTURER: {"self"}, Role.TRAINER: {"self"}},
    Action.ASSESSMENT_MANAGE: {Role.SUPERVISOR: REGION, Role.ADMIN: EVERYWHERE},
    Action.PERSONAL_DATA_ERASE: {Role.SUPERVISOR: REGION, Role.ADMIN: EVERYWHERE},
    Action.ASSESSMENT_PROGRESS: {
        **TEACHERS_TAUGHT,
        Role.INSTITUTION: OWN,
        Role.SUPERVISOR: REGION,
        Role.ADMIN: EVERYWHERE,
    },
    Action.ASSESSMENT_RESULT: {
        Role.TRAINEE: {"self"},
        Role.LECTURER: {"self"},
        Role.TRAINER: {"self"},
    },
    Action.COACHING_RECORD: TEACHERS_TAUGHT,
    Action.ACTIVITY_COMMENT: TEACHERS_TAUGHT,
    Action.ACTIVITY_REPORT: {
        **TEACHERS_TAUGHT,
        Role.INSTITUTION: OWN,
        Role.SUPERVISOR: REGION,
        Role.ADMIN: EVERYWHERE,
    },
    Action.REPORT_BUNDLE: {Role.INSTITUTION: OWN, Role.SUPERVISOR: REGION, Role.ADMIN: EVERYWHERE},
    Action.PERSONAL_DATA_FULL: {Role.SUPERVISOR: REGION, Role.ADMIN: EVERYWHERE},
    Action.SUPPORT_NEEDS_GIVE: {Role.TRAINEE: {"self"}},
    Action.SUPPORT_NEEDS_VIEW: {Role.LECTURER: {"taught"}, Role.INSTITUTION: OWN},
    Action.SUPPORT_NEEDS_COMPLETE: {Role.LECTURER: {"taught"}},
    Action.SUPPORT_SERVICES: {
        Role.SUPERVISOR: REGION,
        Role.INSTITUTION: REGION,
        Role.ADMIN: EVERYWHERE,
    },
    Action.SUPPORT_FOLLOWUP: STAFF_ONLY,
    Action.CAMPAIGN_PUSH: {Role.INSTITUTION: OWN, Role.SUPERVISOR: REGION},
    Action.CAMPAIGN_REPLY: {
        Role.TRAINEE: {"self"},
        Role.LECTURER: {"self"},
        Role.TRAINER: {"self"},
    },
    # S-14: staff apply, the region's supervisor issues and revokes, a holder fetches their own.
    Action.CERTIFICATE_APPLY: STAFF_ONLY,
    Action.CERTIFICATE_ISSUE: {Role.SUPERVISOR: REGION, Role.ADMIN: EVERYWHERE},
    Action.CERTIFICATE_REVOKE: {Role.SUPERVISOR: REGION, Role.ADMIN: EVERYWHERE},
    Action.CERTIFICATE_FETCH: {
        Role.TRAINEE: {"self"},
        Role.LECTURER: {"self"},
        Role.TRAINER: {"self"},
    },
    Action.FORM_ADD: {Role.SUPERVISOR: REGION},
    Action.FOLLOWUP_ANSWER: {Role.TRAINEE: {"self"}},
    Action.FOLLOWUP_SCHEDULE: STAFF_ONLY,
    Action.FOLLOWUP_CALL: {Role.INSTITUTION: OWN, Role.LECTURER: OWN},
    Action.FOLLOWUP_MOBILE: STAFF_ONLY,
    Action.CONSOLE_USE: {Role.INSTITUTION: OWN, Role.SUPERVISOR: REGION, Role.ADMIN: EVERYWHERE},
    Action.STATS_VIEW: {Role.INSTITUTION: OWN, Role.SUPERVISOR: REGION, Role.ADMIN: EVERYWHERE},
}


def actor(*grants: Grant) -> Actor:
    return Actor.of(ME, grants, "zh-CN", NOW)


def _kinded(target: Target, action: Action) -> Target:
    return Target(
        target.institutions,
        target.regions,
        target.teachers,
        target.learners,
        target.owner,
        KIND.get(action),
    )


def test_the_expected_table_names_every_action():
    assert set(EXPECTED) == set(Action)


@pytest.mark.parametrize("action", list(Action))
def test_every_role_and_scope(action):
    wrong = []
    for role, grant in GRANTS.items():
        for name, target in VARIANTS.items():
            expected = name in EXPECTED[action].get(role, set())
            if allowed(actor(grant), action, _kinded(target, action)) is not expected:
                wrong.append(f"{role} / {name}: expected {expected}")
    assert not wrong, wrong


def test_nobody_without_grants_may_do_anything():
    nobody = actor()
    for action in Action:
        for target in VARIANTS.values():
            assert not allowed(nobody, action, _kinded(target, action))


def test_several_grants_reach_as_far_as_any_of_them():
    both = actor(Grant(Role.INSTITUTION, 1, 10), Grant(Role.INSTITUTION, 2, 20))
    assert allowed(both, Action.CLASS_EDIT, Target.at(20, 2))
    assert not allowed(both, Action.CLASS_EDIT, Target.at(30, 2))


def test_a_class_taught_by_another_in_my_institution_is_mine_as_staff_not_as_teacher():
    lecturer = actor(GRANTS[Role.LECTURER])
    elsewhere_taught_by_other = Target.at(10, 1, teachers=[OTHER])
    assert not allowed(lecturer, Action.ATTENDANCE_MARK, elsewhere_taught_by_other)
    staff = actor(GRANTS[Role.INSTITUTION])
    assert allowed(staff, Action.ROSTER_VIEW, elsewhere_taught_by_other)
    assert not allowed(staff, Action.ATTENDANCE_MARK, Target.at(10, 1, teachers=[ME]))


def test_a_supervisor_verifies_lecturer_certificates_only_and_an_admin_every_kind():
    supervisor, admin = actor(GRANTS[Role.SUPERVISOR]), actor(GRANTS[Role.ADMIN])
    assert allowed(supervisor, Action.CERTIFICATE_VERIFY, Target.at(region=1, kind="lecturer"))
    assert not allowed(supervisor, Action.CERTIFICATE_VERIFY, Target.at(region=1, kind="trainer"))
    assert not allowed(supervisor, Action.CERTIFICATE_VERIFY, Target.at(kind="lecturer"))
    assert allowed(admin, Action.CERTIFICATE_VERIFY, Target.at(kind="trainer"))


@pytest.mark.parametrize(
    ("role", "invites"),
    [
        (Role.ADMIN, {Role.SUPERVISOR, Role.TRAINER}),
        (Role.SUPERVISOR, {Role.INSTITUTION, Role.LECTURER}),
        (Role.INSTITUTION, {Role.LECTURER, Role.TRAINEE}),
        (Role.LECTURER, set()),
        (Role.TRAINER, set()),
        (Role.TRAINEE, set()),
    ],
)
def test_each_role_invites_only_the_roles_below_it_within_its_scope(role, invites):
    inviter = actor(GRANTS[role])
    for invited in Role:
        inside = Target.at(10, 1, kind=invited)
        assert allowed(inviter, Action.INVITE, inside) is (invited in invites), invited
        outside = Target.at(20, 2, kind=invited)
        assert allowed(inviter, Action.INVITE, outside) is (
            role is Role.ADMIN and invited in invites
        ), invited


def test_a_trainee_of_several_institutions_is_seen_by_staff_of_any_of_them():
    trainee = Target(institutions=frozenset({10, 11}))
    assert allowed(actor(GRANTS[Role.INSTITUTION]), Action.TRAINEE_VIEW, trainee)
    assert not allowed(actor(Grant(Role.INSTITUTION, 1, 12)), Action.TRAINEE_VIEW, trainee)


@pytest.mark.parametrize("programme", ["trainee", "lecturer", "trainer"])
def test_a_supervisor_dispatches_lecturers_to_trainee_classes_of_the_region_only(programme):
    """S-8: the region's supervisor dispatches teachers to its trainee classes; the trainers of
    lecturer and trainer classes are sent by the national centre, not by the region."""
    supervisor = actor(GRANTS[Role.SUPERVISOR])
    here = Target.at(10, 1, kind=programme)
    assert allowed(supervisor, Action.CLASS_DISPATCH, here) is (programme == "trainee")
    assert not allowed(supervisor, Action.CLASS_DISPATCH, Target.at(20, 2, kind="trainee"))
    assert regions(supervisor, Action.CLASS_DISPATCH) == [1]
    assert regions(actor(GRANTS[Role.INSTITUTION]), Action.CLASS_DISPATCH) == []


def test_require_raises_not_allowed():
    require(actor(GRANTS[Role.ADMIN]), Action.CLASS_DECIDE, Target.at(20, 2))
    with pytest.raises(NotAllowed):
        require(actor(GRANTS[Role.SUPERVISOR]), Action.CLASS_DECIDE, Target.at(20, 2))


def test_lists_cover_the_institutions_a_grant_reaches_for_the_action():
    both = actor(GRANTS[Role.INSTITUTION], Grant(Role.LECTURER, 2, 20), GRANTS[Role.SUPERVISOR])
    assert institutions(both, Action.CLASS_VIEW) == [10]
    assert institutions(both, Action.TRAINEE_LIST) == [10, 20]
    assert institutions(both, Action.CLASS_DECIDE) == []
    assert may(both, Action.CLASS_DECIDE) and not may(actor(GRANTS[Role.TRAINER]), Action.INVITE)


REFUSALS = (NotAllowed, NotFound, Stale, Conflict)


@pytest.mark.parametrize("refusal", REFUSALS)
def test_each_refusal_has_one_distinct_wording_in_every_locale(refusal):
    for locale in LOCALES:
        wording = text(locale, refusal.key)
        assert wording.strip() and wording != text(locale, "errors.generic")
    others = {
        text("zh-CN", r.key) for r in (NotAllowed, NotFound, Stale, Conflict) if r is not refusal
    }
    assert text("zh-CN", refusal.key) not in others
