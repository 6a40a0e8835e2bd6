"""Who may invite whom, and when an invitation may be redeemed: every case."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

import pytest

from bot.domain.invitations import (
    InviteLimits,
    InviteProblem,
    invite_problem,
    looks_like_code,
    new_code,
    validity,
)
from bot.domain.roles import INVITES, Grant, Role, Scope, invite_options, missing_scope
from bot.policy import may_invite

ADMIN = Grant(Role.ADMIN)
SUPERVISOR = Grant(Role.SUPERVISOR, region_id=1)
STAFF = Grant(Role.INSTITUTION, region_id=1, institution_id=10)
NOW = datetime(2026, 11, 24, tzinfo=UTC)


def test_invite_options_per_role():
    assert invite_options([ADMIN]) == [Grant(Role.SUPERVISOR), Grant(Role.TRAINER)]
    assert invite_options([SUPERVISOR]) == [Grant(Role.INSTITUTION, 1), Grant(Role.LECTURER, 1)]
    assert invite_options([STAFF]) == [Grant(Role.LECTURER, 1, 10), Grant(Role.TRAINEE, 1, 10)]
    for role in (Role.TRAINEE, Role.LECTURER, Role.TRAINER):
        assert invite_options([Grant(role, 1, 10)]) == []
    assert invite_options([STAFF, STAFF]) == invite_options([STAFF])


def test_missing_scope():
    assert missing_scope(Grant(Role.SUPERVISOR)) is Scope.REGION
    assert missing_scope(Grant(Role.SUPERVISOR, 1)) is Scope.NONE
    assert missing_scope(Grant(Role.INSTITUTION, 1)) is Scope.INSTITUTION
    assert missing_scope(Grant(Role.INSTITUTION, 1, 10)) is Scope.NONE
    assert missing_scope(Grant(Role.TRAINEE, 1, 10)) is Scope.NONE
    assert missing_scope(Grant(Role.TRAINER)) is Scope.NONE


TARGETS = [
    Grant(role, region, institution)
    for role in Role
    for region, institution in [(None, None), (1, None), (2, None), (1, 10), (1, 11), (2, 20)]
]


def _expected(inviter: Grant, target: Grant) -> bool:
    if target.role not in INVITES.get(inviter.role, ()):
        return False
    if inviter.role is Role.ADMIN:
        return True
    if inviter.role is Role.SUPERVISOR:
        return target.region_id == inviter.region_id
    return target.institution_id == inviter.institution_id


@pytest.mark.parametrize(
    "inviter",
    [
        ADMIN,
        SUPERVISOR,
        STAFF,
        Grant(Role.LECTURER, 1, 10),
        Grant(Role.TRAINEE, 1, 10),
        Grant(Role.TRAINER),
    ],
)
def test_may_invite_every_role_and_scope(inviter):
    for target in TARGETS:
        assert may_invite([inviter], target) is _expected(inviter, target), target


def test_may_invite_with_several_grants_uses_any():
    other_staff = Grant(Role.INSTITUTION, 2, 20)
    target = Grant(Role.TRAINEE, 2, 20)
    assert not may_invite([STAFF], target)
    assert may_invite([STAFF, other_staff], target)
    assert not may_invite([], target)


def _limits(**kw) -> InviteLimits:
    return InviteLimits(
        **{"max_uses": None, "uses": 0, "expires_at": None, "revoked_at": None, **kw}
    )


@pytest.mark.parametrize(
    ("limits", "problem"),
    [
        (None, InviteProblem.UNKNOWN),
        (_limits(), None),
        (_limits(max_uses=1, uses=0), None),
        (_limits(max_uses=1, uses=1), InviteProblem.USED_UP),
        (_limits(max_uses=3, uses=5), InviteProblem.USED_UP),
        (_limits(expires_at=NOW + timedelta(seconds=1)), None),
        (_limits(expires_at=NOW), InviteProblem.EXPIRED),
        (_limits(revoked_at=NOW - timedelta(days=1)), InviteProblem.REVOKED),
        (_limits(revoked_at=NOW + timedelta(days=1)), None),
        (_limits(revoked_at=NOW, expires_at=NOW, max_uses=1, uses=1), InviteProblem.REVOKED),
        (_limits(expires_at=NOW, max_uses=1, uses=1), InviteProblem.EXPIRED),
    ],
)
def test_invite_problem(limits, problem):
    assert invite_problem(limits, NOW) is problem


def test_codes_and_validity():
    codes = {new_code() for _ in range(200)}
    assert len(codes) == 200 and all(len(c) == 12 and looks_like_code(c) for c in codes)
    for bad in ("", "a b", "x" * 65, "<script>", "中文"):
        assert not looks_like_code(bad)
    assert validity(True, NOW) == (1, NOW + timedelta(days=7))
    assert validity(False, NOW) == (None, NOW + timedelta(days=30))
