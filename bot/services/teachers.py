"""A teacher's profile (S-8, S-23): the certificates a lecturer or trainer declares are recorded
once and sent to their verifiers — the region's supervisors for a lecturer certificate (admins
while the region has none), the admins for a trainer certificate. Deciding them is
bot/services/certificates.py."""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from datetime import date
from typing import Any

from sqlmodel.ext.asyncio.session import AsyncSession

from bot import notifier
from bot.config import Settings
from bot.domain.classes import CertificateEvent, CertificateKind
from bot.domain.roles import Grant, Role
from bot.policy import Action, Target, require
from bot.services import recipients
from bot.services.actor import Actor
from bot.views.certificates import certificate_card
from storage import classes, repo
from storage.models import Certificate

TEACHING = (Role.LECTURER, Role.TRAINER)
NUMBER_TAKEN = "taken"
PROFILE_FORM = classes.PROFILE_FORM
"""A declared number someone else already holds: refused, never taken over."""


def profile_context(grants: Sequence[Grant]) -> dict[str, Any]:
    """Where the teacher's lecturer certificates are checked: their teaching grant's region."""
    grant = next((g for g in grants if g.role is Role.LECTURER), None) or next(
        (g for g in grants if g.role in TEACHING), Grant(Role.TRAINER)
    )
    return {"region_id": grant.region_id, "institution_id": grant.institution_id}


async def my_certificates(session: AsyncSession, actor: Actor) -> Sequence[Certificate]:
    """The certificates the actor declared so far, with how each stands."""
    require(actor, Action.TEACHER_PROFILE, Target.at(owner=actor.person_id))
    return await classes.certificates_of(session, actor.person_id)


def declared(answers: Mapping[str, Any]) -> list[dict[str, Any]]:
    """The certificates a profile's answers declare (kind, number, course, issued_on)."""
    items = []
    for index in range(1, int(answers.get("certificate_count") or 0) + 1):
        prefix = f"certificates.{index}."
        if f"{prefix}number" in answers:
            items.append({key: answers.get(prefix + key) for key in ("kind", "number", "course")})
            items[-1]["issued_on"] = date.fromisoformat(answers[f"{prefix}issued_on"])
    return items


@dataclass(frozen=True)
class Declared:
    """How one declared certificate stands: its status, or NUMBER_TAKEN."""

    kind: CertificateKind
    number: str
    outcome: str


async def _record(
    session: AsyncSession,
    person_id: int,
    kind: CertificateKind,
    number: str,
    values: dict[str, Any],
) -> tuple[Certificate | None, bool]:
    """The person's certificate with this number, and whether it (again) awaits verification;
    None when someone else holds the number."""
    found = await classes.certificate_by_number(session, kind, number)
    if found is None:
        found = await classes.add_certificate(
            session, person_id=person_id, kind=kind, number=number, **values
        )
        return found, found is not None
    if found.person_id != person_id:
        return None, False
    return found, await classes.reopen_certificate(session, found, **values)


async def declare_certificates(
    session: AsyncSession,
    actor: Actor,
    answers: Mapping[str, Any],
    *,
    region_id: int | None,
    submission_id: int | None,
    settings: Settings,
) -> list[Declared]:
    """Record each certificate the profile declares once (a rejected one declared again is
    pending again) and ask its verifiers; a number someone else holds is refused."""
    require(actor, Action.TEACHER_PROFILE, Target.at(owner=actor.person_id))
    outcomes = []
    for item in declared(answers):
        kind, number = CertificateKind(item["kind"]), item["number"].upper()
        values = {
            "course": item["course"],
            "issued_on": item["issued_on"],
            "region_id": region_id,
            "submission_id": submission_id,
        }
        found, sent = await _record(session, actor.person_id, kind, number, values)
        if found is None:
            outcomes.append(Declared(kind, number, NUMBER_TAKEN))
            await repo.audit(
                session,
                CertificateEvent.NUMBER_TAKEN,
                actor_id=actor.person_id,
                subject_id=actor.person_id,
                kind=kind,
                number=number,
            )
            continue
        outcomes.append(Declared(kind, number, found.status))
        if sent:
            await repo.audit(
                session,
                CertificateEvent.DECLARED,
                actor_id=actor.person_id,
                subject_id=actor.person_id,
                object_type="certificate",
                object_id=found.id,
                kind=kind,
            )
            await _ask_verifiers(session, settings, found)
    return outcomes


async def _ask_verifiers(session: AsyncSession, settings: Settings, found: Certificate) -> None:
    verifiers = await recipients.certificate_verifiers(session, settings, found)
    await notifier.tell_many(
        session,
        [
            notifier.notice(
                verifier,
                lambda reader: certificate_card(session, found, reader),
                key=f"cert:{found.id}:{found.submission_id}:{verifier.chat_id}",
            )
            for verifier in verifiers
        ],
    )
