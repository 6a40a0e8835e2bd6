"""The scans ask the store which of their pushes are not queued yet by building each push's
outbox key in SQL (`storage.outbox.key_of`): it must spell the key exactly as the notice does
in Python, on both databases, or an idle scan would redo every day's work (issue 11)."""

from __future__ import annotations

from sqlalchemy import Integer, String, literal
from sqlmodel import select

from bot.domain.feedback import Kind
from storage.outbox import key_of


async def test_a_key_built_in_sql_is_the_key_built_in_python(sessions):
    async with sessions() as session:
        built = key_of(
            "fbr",
            literal(1234567, Integer),
            literal(Kind.MIDTERM.value, String),
            literal(5, Integer),
            literal(98765, Integer),
        )
        found = (await session.exec(select(built))).one()
    assert found == f"fbr:1234567:{Kind.MIDTERM}:5:98765"
