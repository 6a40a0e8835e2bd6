"""The outbox (S-52): every push is a row here before anything is sent.

The notifier (`bot/notifier.py`) `enqueue`s in its caller's unit of work; the worker
(`bot/outbox.py`) `claim`s due rows under a lease, sends them, and writes what happened with
`finish`. Times passed in come from the product's clock, so tests decide what is due, leased
or expired.
"""

from __future__ import annotations

import hashlib
from collections.abc import Iterable, Sequence
from datetime import UTC, datetime, timedelta
from functools import cache
from types import ModuleType
from typing import Any, NamedTuple

from sqlalchemy import (
    String,
    and_,
    bindparam,
    case,
    cast,
    exists,
    func,
    literal,
    literal_column,
    or_,
    true,
    update,
)
from sqlalchemy.dialects import postgresql, sqlite
from sqlalchemy.sql.base import Executable
from sqlmodel import select
from sqlmodel.ext.asyncio.session import AsyncSession

from storage.models import MediaBlob, OutboxMessage, Person
from storage.repo import insert_ignore
from storage.types import utcnow

ASAP = datetime(2000, 1, 1, tzinfo=UTC)
"""`not_before` of a push with no lower bound: due whatever the clock says (tests move it)."""

PENDING, SENDING, SENT = "pending", "sending", "sent"
BLOCKED, FAILED, EXPIRED = "blocked", "failed", "expired"
FINISHED = (SENT, BLOCKED, FAILED, EXPIRED)
"""Statuses a row never leaves: kept `OUTBOX_KEEP_DAYS`, then pruned (storage.maintenance)."""
FORGOTTEN = "forgotten"
"""A pruned keyed push that may never happen again: only its key is kept, so it stays once."""


def key_of(prefix: str, *parts: Any) -> Any:
    """SQL for the outbox key `f"{prefix}:{part}:{part}..."` built from columns, so a scan can
    ask in its query which of its pushes are not queued yet (`not_queued`)."""
    key: Any = literal(prefix, String)
    for part in parts:
        key = key + ":" + cast(part, String)
    return key


def not_queued(key: Any) -> Any:
    """No outbox row has this key: one lookup in the unique key's index per candidate row.

    The `OFFSET 0` keeps PostgreSQL from turning the NOT EXISTS into an anti-join, which it
    may plan as a hash of the whole outbox when it guesses many candidates."""
    return ~exists(select(OutboxMessage.id).where(OutboxMessage.key == key).offset(0))


def status_is(status: str) -> Any:
    """`status = '<status>'` with the value written into the SQL: the partial indexes on
    pending and sending rows apply only when the planner sees the literal (SQLite decides at
    prepare time, PostgreSQL's generic plans too)."""
    assert status in (PENDING, SENDING, *FINISHED, FORGOTTEN)
    return _OUTBOX.c.status == literal_column(f"'{status}'")


MEDIA = "media"
"""The key of a `message` row holding a picture's bytes: `enqueue_many` stores them once in
`media_blob` and leaves the row only their sha256."""


def message(
    *,
    chat_id: int,
    text: str,
    photo: bytes | None = None,
    document: tuple[str, bytes] | None = None,
    person_id: int | None = None,
    key: str | None = None,
    reply_markup: dict[str, Any] | None = None,
    not_before: datetime | None = None,
    expires_at: datetime | None = None,
) -> dict[str, Any]:
    """The outbox row of one push (what `enqueue` and `enqueue_many` insert).

    `reply_markup` is the Bot API JSON of the keyboard (`markup.model_dump(exclude_none=True)`).
    It is sent from `not_before` on (by default at once), and dropped instead of sent late if
    still unsent at `expires_at`; both are compared with the product's clock. With `photo`
    (PNG bytes, e.g. a chart) the push is that picture with `text` as its caption; the picture
    is stored once however many rows send it. With `document` (file name, bytes: a report's
    PDF or XLSX) it is that file, stored the same way, with `text` as its caption.
    """
    payload: dict[str, Any] = {"text": text}
    method, media = "sendMessage", None
    if photo is not None:
        payload, method, media = {"caption": text}, "sendPhoto", photo
    elif document is not None:
        payload = {"caption": text, "filename": document[0]}
        method, media = "sendDocument", document[1]
    if reply_markup is not None:
        payload["reply_markup"] = reply_markup
    return {
        "key": key,
        "chat_id": chat_id,
        "person_id": person_id,
        "method": method,
        "payload": payload,
        "status": PENDING,
        "not_before": not_before or ASAP,
        "expires_at": expires_at,
        "attempts": 0,
        "created_at": utcnow(),
        "media_sha256": hashlib.sha256(media).hexdigest() if media is not None else None,
        MEDIA: media,
    }


def one_button_payload(dialect: str, text: Any, button: Any, callback_data: Any) -> Any:
    """SQL for the `payload` of a text message with one callback button (what `message`
    writes for `notifier.one_button`), built by the database from columns and parameters:
    a push made for thousands of people at once is then one INSERT ... SELECT."""
    obj, arr = (
        (func.jsonb_build_object, func.jsonb_build_array)
        if dialect == "postgresql"
        else (func.json_object, func.json_array)
    )
    button = obj("text", button, "callback_data", callback_data)
    return obj("text", text, "reply_markup", obj("inline_keyboard", arr(arr(button))))


def in_locale(locale: Any, locales: tuple[str, ...], texts: Sequence[Any]) -> Any:
    """SQL choosing, by a reader's `locale` column, their text of `texts` (one per `locales`,
    in order; the first for a reader of any other language)."""
    chosen = zip(locales[1:], texts[1:], strict=True)
    return case(*((locale == name, text) for name, text in chosen), else_=texts[0])


def text_payload(dialect: str, text: Any) -> Any:
    """SQL for the `payload` of a plain text message (what `message` writes for a text alone)."""
    return (func.jsonb_build_object if dialect == "postgresql" else func.json_object)("text", text)


def insert_from(dialect: str, rows: Any) -> Executable:
    """INSERT INTO outbox the rows `rows` selects (columns: key, chat_id, person_id, payload,
    expires_at; the rest as `message` sets them for a text message sent as soon as can be);
    a key queued before is skipped."""
    module = postgresql if dialect == "postgresql" else sqlite
    table = OutboxMessage.__table__
    rows = rows.subquery()
    query = select(
        rows.c.key,
        rows.c.chat_id,
        rows.c.person_id,
        literal("sendMessage", String),
        rows.c.payload,
        literal(PENDING, String),
        literal(ASAP, table.c.not_before.type),
        rows.c.expires_at,
        literal(0),
        bindparam("created_at", type_=table.c.created_at.type),
    ).where(true())  # SQLite reads INSERT ... SELECT ... ON CONFLICT only after a WHERE
    columns = [
        "key", "chat_id", "person_id", "method", "payload", "status", "not_before",
        "expires_at", "attempts", "created_at",
    ]  # fmt: skip
    return module.insert(table).from_select(columns, query).on_conflict_do_nothing()


async def enqueue(session: AsyncSession, **push: Any) -> bool:
    """Queue one message (`message`'s arguments) in the caller's unit of work; False when
    its `key` was queued before."""
    return await enqueue_many(session, [message(**push)]) == 1


BATCH = 500
"""Rows per round trip in `enqueue_many`: far below either database's limit on bound values."""


@cache
def _enqueue(dialect: ModuleType) -> Executable:
    """The outbox insert, built once per dialect: executed with a list of rows it is sent as
    multi-row INSERTs of the dialect's batch size (SQLAlchemy's "insertmanyvalues"), compiled
    once, where building `insert().values(rows)` compiled a new statement for every batch."""
    table = OutboxMessage.__table__
    return dialect.insert(table).on_conflict_do_nothing().returning(table.c.id)


async def enqueue_many(session: AsyncSession, rows: Sequence[dict[str, Any]]) -> int:
    """Queue many `message` rows with multi-row INSERT ... ON CONFLICT DO NOTHING, in order;
    returns how many were new (a row whose `key` was queued before, by this call or another,
    is skipped). A scan that queues thousands pays a few round trips.
    Pictures (`MEDIA`) are stored once each, by content, before the rows that send them."""
    if not rows:
        return 0
    dialect = postgresql if session.bind.dialect.name == "postgresql" else sqlite
    media = {row["media_sha256"]: row[MEDIA] for row in rows if row.get(MEDIA) is not None}
    if media:
        await store_media(session, media)
    rows = [_without_media(row) for row in rows]
    result = await session.exec(
        _enqueue(dialect), params=rows, execution_options={"insertmanyvalues_page_size": BATCH}
    )
    return len(result.all())


def _without_media(row: dict[str, Any]) -> dict[str, Any]:
    if MEDIA not in row:
        return row
    row = dict(row)
    del row[MEDIA]
    return row


async def store_media(session: AsyncSession, blobs: dict[str, bytes]) -> None:
    """Store pictures by their sha256, each once; one already stored gets its `created_at`
    renewed (the prune removes only pictures unreferenced and not queued for a while, so it
    never removes one a transaction still open is queuing again)."""
    dialect = postgresql if session.bind.dialect.name == "postgresql" else sqlite
    now = utcnow()
    insert = dialect.insert(MediaBlob.__table__).values(
        [{"sha256": sha, "data": data, "created_at": now} for sha, data in blobs.items()]
    )
    await session.exec(
        insert.on_conflict_do_update(
            index_elements=["sha256"], set_={"created_at": insert.excluded.created_at}
        )
    )


async def enqueue_edit(
    session: AsyncSession,
    *,
    chat_id: int,
    message_id: int,
    text: str,
    key: str,
    person_id: int | None = None,
) -> bool:
    """Queue an edit of a message sent earlier: `text` replaces it and its buttons go (a
    decided card); False when `key` was queued before."""
    return await insert_ignore(
        session,
        OutboxMessage,
        key=key,
        chat_id=chat_id,
        person_id=person_id,
        method="editMessageText",
        payload={"message_id": message_id, "text": text},
        status=PENDING,
        not_before=ASAP,
        attempts=0,
        created_at=utcnow(),
    )


class Claimed(NamedTuple):
    """A leased message: what sending it and recording the outcome need."""

    id: int
    chat_id: int
    person_id: int | None
    method: str
    payload: dict[str, Any]
    not_before: datetime
    expires_at: datetime | None
    attempts: int
    last_error: str | None
    media_sha256: str | None = None
    media: bytes | None = None
    """The picture a sendPhoto row sends (loaded by `claim` from `media_blob`)."""


_OUTBOX = OutboxMessage.__table__
_CLAIMED = [_OUTBOX.c[name] for name in Claimed._fields if name != "media"]


async def claim(
    session: AsyncSession, *, worker: str, now: datetime, lease: timedelta, limit: int
) -> list[Claimed]:
    """Lease up to `limit` due messages to `worker`, earliest due first, at most one per chat
    and none for a chat that already has a message on its way (so no chat gets two at once).
    Messages whose worker's lease ran out (it died mid-send) are due again. Expired ones are
    marked so and not returned.

    On PostgreSQL the rows are locked with SKIP LOCKED, so concurrent workers claim disjoint
    rows; SQLite's BEGIN IMMEDIATE serialises the whole claim. The queries follow the partial
    indexes on pending rows (not_before, id) and sending rows (lease_until), so a claim costs
    the same however long the history and however deep the backlog.
    """
    rows: list[Any] = []
    for query in _claims(session.bind.dialect.name == "postgresql"):
        rows += (await session.exec(query, params={"now": now, "most": limit})).all()
    chats: set[int] = set()
    expired: list[int] = []
    chosen: list[int] = []
    for row_id, chat_id, expires_at in rows:
        if expires_at is not None and expires_at <= now:
            expired.append(row_id)
        elif chat_id not in chats and len(chosen) < limit:
            chats.add(chat_id)
            chosen.append(row_id)
    await _set(session, expired, status=EXPIRED, lease_until=None, leased_by=None)
    if not chosen:
        return []
    # Only the leased rows' contents are read, as the lease is written (RETURNING).
    leased = await session.exec(
        update(_OUTBOX)
        .where(_OUTBOX.c.id.in_(chosen))
        .values(status=SENDING, lease_until=now + lease, leased_by=worker)
        .returning(*_CLAIMED)
    )
    by_id = {row.id: Claimed(*row) for row in leased}
    claimed = [by_id[row_id] for row_id in chosen]
    wanted = {row.media_sha256 for row in claimed if row.media_sha256 is not None}
    if wanted:
        blob = MediaBlob.__table__.c
        found = await session.exec(
            select(blob.sha256, blob.data).where(blob.sha256.in_(sorted(wanted)))
        )
        pictures = dict(found.all())
        claimed = [
            row._replace(media=pictures.get(row.media_sha256)) if row.media_sha256 else row
            for row in claimed
        ]
    return claimed


@cache
def _claims(skip_locked: bool) -> tuple[Any, Any]:
    """The claim's two queries, built once (every worker runs them every tick): the abandoned
    rows, then the due ones (parameters `now` and `most`), each row's id, chat and expiry."""
    t = _OUTBOX.c
    now, most = bindparam("now", type_=t.not_before.type), bindparam("most")
    picked = (t.id, t.chat_id, t.expires_at)
    busy = select(t.chat_id).where(status_is(SENDING), t.lease_until >= now)
    abandoned = select(*picked).where(status_is(SENDING), t.lease_until < now).limit(most)
    due = (
        select(*picked)
        .where(status_is(PENDING), t.not_before <= now, t.chat_id.not_in(busy))
        .order_by(t.not_before, t.id)
        .limit(most * 2)
    )
    if skip_locked:
        return abandoned.with_for_update(skip_locked=True), due.with_for_update(skip_locked=True)
    return abandoned, due


async def _set(session: AsyncSession, ids: list[int], **values: Any) -> None:
    if ids:
        await session.exec(update(_OUTBOX).where(_OUTBOX.c.id.in_(ids)).values(**values))


async def renew(
    session: AsyncSession, *, worker: str, ids: Iterable[int], lease_until: datetime
) -> None:
    """Extend the lease of messages still with `worker` (a long 429 pause must not hand them
    to another worker)."""
    t = _OUTBOX.c
    await session.exec(
        update(_OUTBOX)
        .where(t.id.in_(list(ids)), t.status == SENDING, t.leased_by == worker)
        .values(lease_until=lease_until)
    )


_FINISH = update(_OUTBOX).where(_OUTBOX.c.id == bindparam("row_id"))


def outcome(
    row: Claimed,
    status: str,
    *,
    error: str | None = None,
    message_id: int | None = None,
    sent_at: datetime | None = None,
    not_before: datetime | None = None,
    attempts: int | None = None,
) -> dict[str, Any]:
    """What `finish` writes for one message; the lease is always cleared."""
    return {
        "row_id": row.id,
        "status": status,
        "lease_until": None,
        "leased_by": None,
        "not_before": not_before or row.not_before,
        "attempts": row.attempts if attempts is None else attempts,
        "last_error": error[:500] if error else row.last_error,
        "message_id": message_id,
        "sent_at": sent_at,
    }


async def finish(session: AsyncSession, outcomes: Sequence[dict[str, Any]]) -> None:
    """Write the outcomes of many sends in one statement (an executemany)."""
    if outcomes:
        await session.exec(_FINISH, params=list(outcomes))


async def set_reachable(session: AsyncSession, rows: Sequence[Claimed], reachable: bool) -> None:
    """Whether the people behind these chats get messages: a 403 says they blocked the bot
    (institution views show it), a later delivery that they unblocked it."""
    if not rows:
        return
    person = Person.__table__.c
    await session.exec(
        update(Person.__table__)
        .where(
            or_(
                person.id.in_([row.person_id for row in rows if row.person_id is not None]),
                person.tg_user_id.in_([row.chat_id for row in rows]),
            ),
            person.unreachable == reachable,
        )
        .values(unreachable=not reachable)
    )


async def unsettled(session: AsyncSession, *, now: datetime, worker: str) -> int:
    """How many messages are due now or on their way through `worker` (or a worker whose lease
    ran out): zero means the outbox has nothing to do until the clock moves."""
    t = _OUTBOX.c
    due = select(func.count()).where(status_is(PENDING), t.not_before <= now)
    on_its_way = select(func.count()).where(
        status_is(SENDING), or_(t.leased_by == worker, t.lease_until < now)
    )
    query = select(due.scalar_subquery() + on_its_way.scalar_subquery())  # each on its index
    return (await session.exec(query)).one()


class Copy(NamedTuple):
    """A pushed copy of a card: where it went, and its message once sent."""

    id: int
    chat_id: int
    person_id: int | None
    key: str
    message_id: int | None


async def close_copies(session: AsyncSession, key_prefix: str) -> Sequence[Copy]:
    """The sent copies of the card pushed under keys starting with `key_prefix`; copies not yet
    sent are expired here so they never go out with live buttons."""
    t = OutboxMessage.__table__.c
    if session.bind.dialect.name == "sqlite":  # GLOB is case-sensitive: it can use the key index
        escaped = "".join(f"[{c}]" if c in "*?[" else c for c in key_prefix)
        keyed = t.key.op("GLOB")(escaped + "*")
    else:
        pattern = key_prefix.replace("\\", "\\\\").replace("%", "\\%").replace("_", "\\_")
        keyed = t.key.like(pattern + "%", escape="\\")
    sends = and_(keyed, t.method == "sendMessage")
    await session.exec(
        update(OutboxMessage.__table__).where(sends, status_is(PENDING)).values(status=EXPIRED)
    )
    query = (
        select(t.id, t.chat_id, t.person_id, t.key, t.message_id)
        .where(sends, status_is(SENT), t.message_id.is_not(None))
        .order_by(t.id)
    )
    return [Copy(*row) for row in (await session.exec(query)).all()]
