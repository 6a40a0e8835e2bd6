"""People with roles in the web chat and a class for them, for the attendance tests."""

from __future__ import annotations

from datetime import date

from sqlmodel import select

from bot.domain.roles import Grant, Role
from storage import repo
from storage.models import ClassSession, Person, TrainingClass
from tests.chat import ChatUser
from tests.factories import make_class


async def member(app, http, name: str, role: Role, locale: str = "zh-CN") -> tuple[ChatUser, int]:
    """A web-chat user who said /start and holds `role` at the demo institution."""
    user = await ChatUser.create(http, app.base_url, name, language_code=locale)
    await user.reply_to("/start")
    async with app.store() as session:
        person = (await session.exec(select(Person).where(Person.tg_user_id == user.user_id))).one()
        region = (await repo.regions(session))[0]
        institution = (await repo.institutions_in(session, region.id))[0]
        scope = Grant(role, region.id, institution.id)
        await repo.add_grant(session, person.id, scope, granted_by=None, invitation_id=None)
    return user, person.id


async def open_class(
    app, start: date, teachers: tuple[int, ...], trainees: tuple[int, ...], **kw
) -> tuple[TrainingClass, list[ClassSession]]:
    async with app.store() as session:
        region = (await repo.regions(session))[0]
        institution = (await repo.institutions_in(session, region.id))[0]
        made = await make_class(
            session,
            institution_id=institution.id,
            region_id=region.id,
            start=start,
            teacher_ids=teachers,
            trainee_ids=trainees,
            **kw,
        )
        query = select(ClassSession).where(ClassSession.class_id == made.id)
        timetable = list((await session.exec(query.order_by(ClassSession.starts_at))).all())
    return made, timetable
