"""Storage keeps queries and writes only (issue 9): it renders no message, queues no push and
makes no access decision. Those live in the notifier, the use cases and the policy; this scan
keeps it so."""

from __future__ import annotations

import re
from pathlib import Path

import pytest

STORAGE = Path(__file__).resolve().parents[2] / "storage"

RULES = {
    "renders messages (I18n)": re.compile(r"\bI18n\b|\bbot\.i18n\b"),
    "queues pushes (enqueue, outside storage/outbox.py)": re.compile(r"\benqueue\w*\s*\("),
    "decides access (Grant)": re.compile(r"\bGrant\b"),
}
QUEUE = "queues pushes (enqueue, outside storage/outbox.py)"


def violations(name: str, source: str) -> list[str]:
    """`file:line: rule` for every line of `source` that breaks a rule."""
    found = []
    for number, line in enumerate(source.splitlines(), 1):
        for rule, pattern in RULES.items():
            if rule == QUEUE and name == "outbox.py":
                continue
            if pattern.search(line):
                found.append(f"storage/{name}:{number}: {rule}: {line.strip()}")
    return found


@pytest.mark.parametrize(
    "line",
    [
        "from bot.i18n import I18n",
        "    text = I18n(person.locale)(message)",
        "    await enqueue(session, chat_id=1, text='x')",
        "    await outbox.enqueue_many(session, rows)",
        "from bot.domain.roles import Grant, Role",
        "    Grant,",
    ],
)
def test_the_scan_catches_each_kind_of_breach(line):
    assert violations("attendance.py", line)


def test_the_scan_lets_queries_and_the_outbox_itself_be():
    assert not violations("outbox.py", "async def enqueue_many(session, rows):")
    assert not violations("repo.py", "from storage.models import RoleGrant")
    assert not violations("classes.py", "    query = select(RoleGrant.person_id)")


def test_storage_renders_queues_and_decides_nothing():
    sources = sorted(STORAGE.rglob("*.py"))
    assert len(sources) > 10, "the scan must see the storage package"
    found = [
        breach
        for path in sources
        for breach in violations(
            path.relative_to(STORAGE).as_posix(), path.read_text(encoding="utf-8")
        )
    ]
    assert found == [], "storage keeps queries and writes only:\n" + "\n".join(found)


HANDLERS = STORAGE.parent / "handlers"
STORAGE_IMPORT = re.compile(r"^\s*(from\s+storage(\.\w+)*\s+import\b|import\s+storage\b)")
TYPES = re.compile(r"^\s*from\s+storage\.models\s+import\b")


def handler_breaches(name: str, source: str) -> list[str]:
    """`file:line: line` for every import of storage other than its types (storage.models)."""
    return [
        f"handlers/{name}:{number}: {line.strip()}"
        for number, line in enumerate(source.splitlines(), 1)
        if STORAGE_IMPORT.match(line) and not TYPES.match(line)
    ]


@pytest.mark.parametrize(
    "line",
    [
        "from storage import repo",
        "from storage import checkin as store",
        "from storage.attendance import view",
        "    from storage.todo import Item, Kind",
        "import storage.people",
    ],
)
def test_the_handler_scan_catches_storage_imports(line):
    assert handler_breaches("todo.py", line)


def test_the_handler_scan_lets_model_types_be():
    assert not handler_breaches("todo.py", "from storage.models import Person")
    assert not handler_breaches("errors.py", "def is_storage_error(error) -> bool:")


def test_handlers_reach_storage_only_through_the_use_cases():
    """Handlers are thin adapters (issue 9): they read and write through bot/services/, and
    may name storage's model types, nothing else of it."""
    sources = sorted(HANDLERS.rglob("*.py"))
    assert len(sources) > 10, "the scan must see the handlers package"
    found = [
        breach
        for path in sources
        for breach in handler_breaches(
            path.relative_to(HANDLERS).as_posix(), path.read_text(encoding="utf-8")
        )
    ]
    assert found == [], "handlers import storage directly:\n" + "\n".join(found)
