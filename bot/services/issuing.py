"""Issued certificates (S-14, S-41): institution staff apply for the certificates of an
assessed class, the region's supervisor approves all or some (the rest rejected with a reason),
numbers are taken from the region's yearly counter in the same transaction, the holders get
their PDF; anyone verifies a certificate by number and check, the supervisor revokes one.

Programme-agnostic: what differs per programme (template, who qualifies) is
`bot.domain.issuing.DESIGNS`.
"""

from __future__ import annotations

import asyncio
from dataclasses import dataclass
from datetime import date, datetime
from zoneinfo import ZoneInfo

from sqlalchemy.ext.asyncio import async_sessionmaker
from sqlmodel.ext.asyncio.session import AsyncSession

from bot import notifier
from bot.certificate_pdf import certificate_pdf
from bot.config import Settings
from bot.domain.assessment import ClassStage
from bot.domain.issuing import (
    ApplicantStatus,
    ApplicationStatus,
    Standing,
    certificate_number,
    check_matches,
    check_of,
    may_apply,
    selectable,
    serials,
    standing,
    verify_path,
)
from bot.i18n import I18n
from bot.policy import Action, Target, allowed, require
from bot.privacy import mask_name
from bot.services import people, recipients
from bot.services.actor import Actor
from bot.services.assessment.draw import move_class
from bot.services.errors import NotFound, Stale, found
from bot.services.targets import class_for
from bot.views.issuing import Line, Sheet, review_card
from storage import issuing as store
from storage import repo
from storage.assessment import class_span
from storage.db import unit_of_work
from storage.models import (
    CertificateApplicant,
    CertificateApplication,
    Institution,
    IssuedCertificate,
    TrainingClass,
)

SECRET_NAME = "certificate-check"
PRINTED_IN = "zh-CN"
"""The language certificates are printed in (an official document), whoever reads the chat."""
CARD = "capp"
"""Outbox key prefix of an application's pushed cards (`capp:{id}:...`)."""


# --- keys and links ---------------------------------------------------------------------------


async def check_key(session: AsyncSession, settings: Settings) -> bytes:
    """CERTIFICATE_SECRET, else a key generated once and kept in the store."""
    if settings.certificate_secret is not None:
        return settings.certificate_secret.get_secret_value().encode()
    return (await store.secret(session, SECRET_NAME)).encode()


async def check(session: AsyncSession, settings: Settings, number: str) -> str:
    return check_of(await check_key(session, settings), number)


async def verify_url(session: AsyncSession, settings: Settings, number: str) -> str:
    """The public verification page of a certificate (its QR code and link)."""
    return settings.base_url.rstrip("/") + verify_path(
        number, await check(session, settings, number)
    )


# --- the application --------------------------------------------------------------------------


def application_target(found_: CertificateApplication) -> Target:
    return Target.at(found_.institution_id, found_.region_id, kind=found_.programme)


async def sheet(session: AsyncSession, application: CertificateApplication) -> Sheet:
    training_class = await session.get(TrainingClass, application.class_id)
    rows = await store.applicants(session, application.id)
    named = await people.names(session, [row.person_id for row in rows])
    institution = await _institution_name(session, application.institution_id)
    lines = [
        Line(
            row.person_id,
            named.get(row.person_id, ""),
            row.stage,
            row.final,
            selectable(application.programme, row.stage),
            row.selected,
            row.chosen,
            row.status,
        )
        for row in rows
    ]
    return Sheet(application, training_class, institution, lines)


async def _institution_name(session: AsyncSession, institution_id: int) -> str:
    institution = await session.get(Institution, institution_id)
    return institution.name if institution else ""


async def draft(session: AsyncSession, actor: Actor, class_id: int) -> Sheet:
    """The class's application: drafted on first open with every enrolled learner and their
    result, those who qualify (passed) selected; once submitted it is shown as it stands."""
    training_class = await class_for(session, actor, Action.CERTIFICATE_APPLY, class_id)
    existing = await store.application_of_class(session, class_id)
    if existing is None:
        if not may_apply(training_class.programme, training_class.stage):
            raise Stale("issuing.not_assessed")
        existing = await store.create_application(
            session,
            class_id=training_class.id,
            institution_id=training_class.institution_id,
            region_id=training_class.region_id,
            programme=training_class.programme,
            status=ApplicationStatus.DRAFT,
            created_by=actor.person_id,
        )
        results = await store.class_results(session, class_id)
        await store.add_applicants(
            session,
            [
                {
                    "application_id": existing.id,
                    "person_id": person_id,
                    "stage": stage,
                    "final": final,
                    "selected": selectable(training_class.programme, stage),
                    "chosen": True,
                    "status": ApplicantStatus.PENDING,
                }
                for person_id, stage, final in results
            ],
        )
    return await sheet(session, existing)


async def _own_draft(
    session: AsyncSession, actor: Actor, application_id: int
) -> CertificateApplication:
    application = found(await store.application(session, application_id, lock=True))
    require(actor, Action.CERTIFICATE_APPLY, application_target(application))
    if application.status != ApplicationStatus.DRAFT:
        raise Stale("issuing.already_submitted")
    return application


async def select(
    session: AsyncSession, actor: Actor, application_id: int, person_id: int, on: bool
) -> Sheet:
    """Put a qualifying learner on the draft application, or take them off."""
    application = await _own_draft(session, actor, application_id)
    row = await session.get(CertificateApplicant, (application.id, person_id))
    if row is None or not selectable(application.programme, row.stage):
        raise NotFound
    await store.set_applicant(session, application.id, person_id, selected=on)
    return await sheet(session, application)


@dataclass(frozen=True)
class Submitted:
    sheet: Sheet
    reviewers: int


async def submit(
    session: AsyncSession, actor: Actor, application_id: int, settings: Settings
) -> Submitted:
    """Send the application to the region's supervisors (the admins while there are none);
    it waits in their /todo."""
    application = await _own_draft(session, actor, application_id)
    shown = await sheet(session, application)
    if not shown.selected:
        raise Stale("issuing.nobody_selected")
    moved = await store.move_application(
        session,
        application,
        ApplicationStatus.DRAFT,
        ApplicationStatus.PENDING,
        submitted_at=actor.now,
        submitted_by=actor.person_id,
    )
    if not moved:
        raise Stale("issuing.already_submitted")
    await repo.audit(
        session,
        "certificate_application.submitted",
        actor_id=actor.person_id,
        object_type="certificate_application",
        object_id=application.id,
        class_id=application.class_id,
        learners=[line.person_id for line in shown.selected],
    )
    shown = await sheet(session, application)
    reviewers = await recipients.supervisors(session, application.region_id)
    if not reviewers:
        reviewers = await recipients.admins(session, settings)
    for reader in reviewers:
        await notifier.tell(
            session,
            reader,
            lambda i18n: review_card(i18n, shown),
            key=f"{CARD}:{application.id}:{reader.chat_id}",
        )
    return Submitted(shown, len(reviewers))


# --- the supervisor's decision ----------------------------------------------------------------


async def pending(session: AsyncSession, actor: Actor, application_id: int) -> Sheet:
    """The application, when the actor may decide it and it still waits."""
    application = found(await store.application(session, application_id, lock=True))
    require(actor, Action.CERTIFICATE_ISSUE, application_target(application))
    if application.status != ApplicationStatus.PENDING:
        raise Stale("issuing.already_decided")
    return await sheet(session, application)


async def choose(
    session: AsyncSession, actor: Actor, application_id: int, person_id: int, on: bool
) -> Sheet:
    """Mark a learner on the application to approve (on) or to reject (off)."""
    shown = await pending(session, actor, application_id)
    if person_id not in {line.person_id for line in shown.selected}:
        raise NotFound
    await store.set_applicant(session, application_id, person_id, chosen=on)
    return await sheet(session, shown.application)


@dataclass(frozen=True)
class Outcome:
    """A decided application: the numbers issued and how many learners were rejected."""

    application_id: int
    numbers: list[str]
    rejected: int


def _local(moment: datetime, timezone: str) -> date:
    return moment.astimezone(ZoneInfo(timezone)).date()


async def decide(
    session: AsyncSession,
    actor: Actor,
    application_id: int,
    settings: Settings,
    *,
    reason: str | None = None,
    reject_all: bool = False,
) -> Outcome:
    """Issue the certificates of the learners chosen, reject the others with `reason` (needed
    whenever anyone is rejected), once. Numbers come from the region's counter for the year
    of issue in this transaction. Holders get the PDF, rejected learners the reason, the
    institution's staff the outcome; pushed cards close; the class is closed."""
    shown = await pending(session, actor, application_id)
    application, training_class = shown.application, shown.training_class
    chosen = [] if reject_all else shown.chosen
    rejected = [line for line in shown.selected if line not in chosen]
    if rejected and not reason:
        raise Stale  # a rejection is only ever recorded with its reason
    moved = await store.move_application(
        session,
        application,
        ApplicationStatus.PENDING,
        ApplicationStatus.DECIDED,
        decided_at=actor.now,
        decided_by=actor.person_id,
        reason=reason if rejected else None,
    )
    if not moved:
        raise Stale("issuing.already_decided")
    await store.settle_applicants(session, application.id, [line.person_id for line in chosen])
    issued_on = _local(actor.now, training_class.timezone)
    span = await class_span(session, training_class.id)
    made: list[IssuedCertificate] = []
    if chosen:
        last = await store.advance_counter(
            session, application.region_id, issued_on.year, len(chosen)
        )
        numbers = [
            certificate_number(application.region_id, issued_on.year, serial)
            for serial in serials(last, len(chosen))
        ]
        made = await store.add_certificates(
            session,
            [
                {
                    "number": number,
                    "programme": application.programme,
                    "person_id": line.person_id,
                    "holder_name": line.name,
                    "class_id": training_class.id,
                    "class_name": training_class.name,
                    "institution_id": application.institution_id,
                    "institution_name": shown.institution,
                    "region_id": application.region_id,
                    "first_day": _local(span[0], training_class.timezone) if span else None,
                    "last_day": _local(span[1], training_class.timezone) if span else None,
                    "issued_on": issued_on,
                    "issued_at": actor.now,
                    "issued_by": actor.person_id,
                    "application_id": application.id,
                }
                for line, number in zip(chosen, numbers, strict=True)
            ],
        )
    await repo.audit(
        session,
        "certificate_application.decided",
        actor_id=actor.person_id,
        object_type="certificate_application",
        object_id=application.id,
        reason=reason if rejected else None,
        issued=[cert.number for cert in made],
        rejected=[line.person_id for line in rejected],
    )
    for cert in made:
        await repo.audit(
            session,
            "certificate.issued",
            actor_id=actor.person_id,
            subject_id=cert.person_id,
            object_type="issued_certificate",
            object_id=cert.id,
            number=cert.number,
        )
    await _tell_decision(session, settings, shown, made, rejected, reason)
    if training_class.stage == ClassStage.ASSESSED:
        await move_class(
            session,
            training_class,
            ClassStage.ASSESSED,
            ClassStage.CLOSED,
            actor.now,
            actor_id=actor.person_id,
        )
    return Outcome(application.id, [cert.number for cert in made], len(rejected))


async def _tell_decision(
    session: AsyncSession,
    settings: Settings,
    shown: Sheet,
    made: list[IssuedCertificate],
    rejected: list[Line],
    reason: str | None,
) -> None:
    application = shown.application
    decided = await sheet(session, application)
    await notifier.close_copies(
        session, f"{CARD}:{application.id}:", lambda i18n: review_card(i18n, decided)[0]
    )
    for reader in await recipients.staff(session, application.institution_id):
        await notifier.tell(
            session,
            reader,
            "issuing.decision_notice",
            key=f"capp-decided:{application.id}:{reader.chat_id}",
            name=shown.training_class.name,
            issued=len(made),
            rejected=len(rejected),
            reason=reason,
        )
    for line in rejected:
        await notifier.tell_person(
            session,
            line.person_id,
            "issuing.rejected_notice",
            key=f"cert-rejected:{application.id}:{line.person_id}",
            name=shown.training_class.name,
            reason=reason,
        )


SEND_BATCH = 20
"""Certificates whose PDF one scan draws (about 2 s each, off the event loop)."""


async def send_pending(sessions: async_sessionmaker, now: datetime, settings: Settings) -> int:
    """Send each newly issued certificate's PDF to its holder (at most SEND_BATCH a run). The
    PDF is drawn outside any transaction (seconds per certificate: never inside the approval,
    never holding SQLite's write lock); a short unit of work then claims the certificate and
    queues the document, so two processes never send one twice. Returns how many were queued."""
    async with unit_of_work(sessions) as session:
        due = await store.unsent(session, SEND_BATCH)
        urls = {cert.id: await verify_url(session, settings, cert.number) for cert in due}
        readers = await notifier.readers(session, [cert.person_id for cert in due])
    sent = 0
    for cert in due:
        reader = readers.get(cert.person_id)
        pdf = await asyncio.to_thread(certificate_pdf, cert, urls[cert.id], I18n(PRINTED_IN))
        async with unit_of_work(sessions) as session:
            if not await store.mark_sent(session, cert.id, now) or reader is None:
                continue
            await notifier.tell(
                session,
                reader,
                "issuing.issued_notice",
                key=f"cert-issued:{cert.id}",
                document=(I18n(reader.locale)("issuing.file_name", number=cert.number), pdf),
                number=cert.number,
                name=cert.class_name,
            )
            sent += 1
    return sent


async def document(
    session: AsyncSession, settings: Settings, cert: IssuedCertificate, i18n: I18n
) -> tuple[str, bytes]:
    """The certificate's PDF (file name, bytes), drawn off the event loop."""
    url = await verify_url(session, settings, cert.number)
    pdf = await asyncio.to_thread(certificate_pdf, cert, url, I18n(PRINTED_IN))
    return i18n("issuing.file_name", number=cert.number), pdf


async def of_class(session: AsyncSession, actor: Actor, class_id: int) -> list[IssuedCertificate]:
    """The certificates issued to a class's trainees (revoked ones too, and those whose holder's
    details were withdrawn), for whoever reads the class's papers (REPORT_BUNDLE)."""
    await class_for(session, actor, Action.REPORT_BUNDLE, class_id)
    return await store.of_class(session, class_id)


# --- the holder -------------------------------------------------------------------------------


def certificate_target(cert: IssuedCertificate) -> Target:
    return Target.at(cert.institution_id, cert.region_id, owner=cert.person_id, kind=cert.programme)


async def mine(session: AsyncSession, actor: Actor) -> list[IssuedCertificate]:
    """The actor's own certificates (revoked ones too, marked)."""
    return [
        cert
        for cert in await store.of_person(session, actor.person_id)
        if allowed(actor, Action.CERTIFICATE_FETCH, certificate_target(cert))
    ]


async def fetch(
    session: AsyncSession, actor: Actor, certificate_id: int, settings: Settings, i18n: I18n
) -> tuple[IssuedCertificate, tuple[str, bytes]]:
    """One's own certificate's PDF again."""
    cert = found(await store.certificate(session, certificate_id))
    require(actor, Action.CERTIFICATE_FETCH, certificate_target(cert))
    if cert.revoked_at is not None:
        raise Stale("issuing.is_revoked")
    return cert, await document(session, settings, cert, i18n)


# --- verification and revocation ----------------------------------------------------------------


@dataclass(frozen=True)
class Verification:
    """What anyone may learn of a certificate: never the full name."""

    number: str
    standing: Standing
    holder: str
    programme: str
    class_name: str
    institution: str
    issued_on: date
    revoked_on: date | None
    certificate_id: int
    region_id: int


def verification_of(cert: IssuedCertificate, timezone: str) -> Verification:
    return Verification(
        cert.number,
        standing(cert.revoked_at is not None, cert.holder_name is not None),
        mask_name(cert.holder_name),
        cert.programme,
        cert.class_name,
        cert.institution_name,
        cert.issued_on,
        _local(cert.revoked_at, timezone) if cert.revoked_at else None,
        cert.id,
        cert.region_id,
    )


async def lookup(session: AsyncSession, number: str, settings: Settings) -> Verification | None:
    """The certificate with this number, as a verification shows it (None: no such number)."""
    cert = await store.by_number(session, number)
    return None if cert is None else verification_of(cert, settings.timezone)


async def verify(
    session: AsyncSession, settings: Settings, number: str, check_text: str
) -> Verification | None:
    """`lookup` when the check matches the number; None for a wrong check or unknown number
    alike, so numbers cannot be tried one by one."""
    if not check_matches(await check_key(session, settings), number, check_text):
        return None
    return await lookup(session, number, settings)


async def revocable(session: AsyncSession, actor: Actor, number: str) -> IssuedCertificate:
    """The certificate, when the actor may revoke it and it is still valid."""
    cert = await store.by_number(session, number)
    if cert is None:
        raise NotFound("issuing.unknown_number", number=number)
    require(actor, Action.CERTIFICATE_REVOKE, certificate_target(cert))
    if cert.revoked_at is not None:
        raise Stale("issuing.is_revoked")
    return cert


async def may_revoke(session: AsyncSession, actor: Actor, cert_id: int) -> bool:
    cert = await store.certificate(session, cert_id)
    return cert is not None and allowed(actor, Action.CERTIFICATE_REVOKE, certificate_target(cert))


async def revoke(
    session: AsyncSession, actor: Actor, number: str, reason: str, settings: Settings
) -> Verification:
    """Revoke with a reason, once, audited; the holder is told; verification shows it at once."""
    cert = await revocable(session, actor, number)
    if not await store.revoke(session, cert, by=actor.person_id, at=actor.now, reason=reason):
        raise Stale("issuing.is_revoked")
    await repo.audit(
        session,
        "certificate.revoked",
        actor_id=actor.person_id,
        subject_id=cert.person_id,
        object_type="issued_certificate",
        object_id=cert.id,
        reason=reason,
        number=cert.number,
    )
    if cert.person_id is not None:
        await notifier.tell_person(
            session,
            cert.person_id,
            "issuing.revoked_notice",
            key=f"cert-revoked:{cert.id}",
            number=cert.number,
            reason=reason,
        )
    return verification_of(cert, settings.timezone)


async def withdraw_holder(session: AsyncSession, person_id: int) -> int:
    """For the erasure of a person's data: their certificates stay verifiable as issued, with
    the holder's details withdrawn."""
    return await store.withdraw_holder(session, person_id)


async def staff_sheet(session: AsyncSession, actor: Actor, application_id: int) -> Sheet:
    """An application as its staff see it (any status)."""
    application = found(await store.application(session, application_id))
    require(actor, Action.CERTIFICATE_APPLY, application_target(application))
    return await sheet(session, application)


async def sheet_of(session: AsyncSession, application_id: int) -> Sheet:
    """An application as it stands (to redraw its card after a decision)."""
    return await sheet(session, found(await store.application(session, application_id)))


async def revocable_by_id(
    session: AsyncSession, actor: Actor, certificate_id: int
) -> IssuedCertificate:
    cert = found(await store.certificate(session, certificate_id))
    return await revocable(session, actor, cert.number)
