"""Roles, their scopes, and whom each role invites (SPEC section 2); whether a grant reaches a
given invitation is decided in bot/policy.py."""

from __future__ import annotations

from dataclasses import dataclass
from enum import StrEnum


class Role(StrEnum):
    TRAINEE = "trainee"
    LECTURER = "lecturer"
    TRAINER = "trainer"
    INSTITUTION = "institution"
    SUPERVISOR = "supervisor"
    ADMIN = "admin"


class Scope(StrEnum):
    NONE = "none"
    REGION = "region"
    INSTITUTION = "institution"


INVITES: dict[Role, tuple[Role, ...]] = {
    Role.ADMIN: (Role.SUPERVISOR, Role.TRAINER),
    Role.SUPERVISOR: (Role.INSTITUTION, Role.LECTURER),
    Role.INSTITUTION: (Role.LECTURER, Role.TRAINEE),
}
"""Admins invite supervisors and trainers; supervisors institutions and the lecturers they
dispatch; institutions the lecturers they invite and their trainees."""


@dataclass(frozen=True)
class Grant:
    role: Role
    region_id: int | None = None
    institution_id: int | None = None


def invite_options(grants: list[Grant]) -> list[Grant]:
    """Every grant the holder of these grants may invite people into, once each, in order.

    An admin picks a region for a supervisor invitation later, so its option has no scope yet;
    everyone else invites within their own scope.
    """
    options: list[Grant] = []
    for grant in grants:
        for role in INVITES.get(grant.role, ()):
            institution_id = grant.institution_id if grant.role is Role.INSTITUTION else None
            option = Grant(role, grant.region_id, institution_id)
            if option not in options:
                options.append(option)
    return options


def missing_scope(option: Grant) -> Scope:
    """What the inviter still has to name before the invitation can be made.

    An admin names the region of a new supervisor; a supervisor names the institution of new
    institution staff (an existing one, or a new one in the supervisor's region).
    """
    if option.role is Role.SUPERVISOR and option.region_id is None:
        return Scope.REGION
    if option.role is Role.INSTITUTION and option.institution_id is None:
        return Scope.INSTITUTION
    return Scope.NONE
