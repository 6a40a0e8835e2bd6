"""JSON columns keep Chinese as itself (issue 11): SQLite stores the serialized text, so with
SQLAlchemy's default (`ensure_ascii`) every Chinese character would take 6 bytes (`\\uXXXX`)
instead of its 3 in UTF-8; the engine's serializer (storage.db.dumps) writes it as is."""

from __future__ import annotations

import pytest
from sqlalchemy import text

from storage.db import create_engine, create_sessionmaker, unit_of_work
from storage.models import FormDraft, Person

NAME = "张三丰" * 100


@pytest.mark.parametrize("database_url", ["sqlite"], indirect=True)
async def test_a_chinese_answer_takes_3_bytes_a_character_in_sqlite(database_url):
    engine = create_engine(database_url)
    try:
        async with unit_of_work(create_sessionmaker(engine)) as session:
            person = Person(tg_user_id=1, first_name="张")
            session.add(person)
            await session.flush()
            draft = FormDraft(
                person_id=person.id, form_id="registration", form_version=1, answers={"n": NAME}
            )
            session.add(draft)
        async with engine.connect() as conn:
            stored = await conn.execute(
                text("SELECT length(CAST(answers AS BLOB)) FROM form_draft WHERE id = :id"),
                {"id": draft.id},
            )
            size = stored.scalar_one()
        assert size == len('{"n": ""}') + 3 * len(NAME)
        async with unit_of_work(create_sessionmaker(engine)) as session:
            assert (await session.get(FormDraft, draft.id)).answers == {"n": NAME}
    finally:
        await engine.dispose()


async def test_chinese_answers_read_back_as_written(database_url):
    """Both databases return what was stored, whatever the serializer."""
    engine = create_engine(database_url)
    try:
        async with unit_of_work(create_sessionmaker(engine)) as session:
            person = Person(tg_user_id=2, first_name="李")
            session.add(person)
            await session.flush()
            draft = FormDraft(
                person_id=person.id,
                form_id="registration",
                form_version=1,
                answers={"姓名": NAME, "list": ["网创", 1, None]},
            )
            session.add(draft)
        async with unit_of_work(create_sessionmaker(engine)) as session:
            found = await session.get(FormDraft, draft.id)
            assert found.answers == {"姓名": NAME, "list": ["网创", 1, None]}
    finally:
        await engine.dispose()
