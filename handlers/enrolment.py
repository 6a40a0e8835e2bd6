"""Enrolment (S-5, S-7): trainees join a class by its link or QR code, staff add suitable
trainees or import a list from Excel, and a class never takes a 31st person.

Entry points for other features: `ClassRoster(c=...)` opens a class's enrolment card
(link and QR, add, import, withdraw); `join_by_link` is called by /start for an invitation
that names a class; `screening_decided` settles pending places after a screening decision.
"""

from __future__ import annotations

import html
import logging
import math
from datetime import date, datetime

from aiogram import Bot, F, Router
from aiogram.exceptions import TelegramAPIError
from aiogram.filters import Command, StateFilter
from aiogram.filters.callback_data import CallbackData
from aiogram.fsm.context import FSMContext
from aiogram.fsm.state import State, StatesGroup
from aiogram.types import BufferedInputFile, CallbackQuery, Message
from aiogram.utils.keyboard import InlineKeyboardBuilder
from aiohttp import ClientError
from sqlmodel.ext.asyncio.session import AsyncSession

from bot import policy
from bot.class_callbacks import ClassRoster
from bot.clock import Clock
from bot.config import Settings
from bot.domain.enrolment import (
    ACTIVE,
    ENROLLED,
    MAX_CLASS_SIZE,
    MAX_IMPORT_BYTES,
    MAX_IMPORT_ROWS,
    PENDING,
    PLACED,
    Admission,
    ImportRow,
    RowResult,
    TableRefused,
    check_rows,
    is_open,
    split_table,
)
from bot.filters import Can
from bot.forms import service
from bot.i18n import I18n
from bot.links import invite_link, qr_png
from bot.policy import Action
from bot.privacy import mask_id_number, mask_phone
from bot.services.actor import Actor
from bot.services.targets import class_for, class_if_allowed
from bot.views import edit_in_place
from bot.xlsx import SheetUnreadable, read_rows, write_rows
from handlers.forms import offer_resume
from storage import enrolment as store
from storage import enrolment_import
from storage.classes import get_class
from storage.models import Invitation, Person, TrainingClass
from storage.outbox import enqueue

log = logging.getLogger(__name__)

PAGE_SIZE = 8
SHOWN_PROBLEMS = 30
TEXT_LIMIT = 4000
"""Bad rows listed in the chat, as many as fit one message; all of them come back as a file
when some do not fit."""
RESULT_COLUMNS = ("row", "name", "mobile", "id_number", "result", "link")
PROBLEM_COLUMNS = ("row", "name", "mobile", "id_number", "problem")


class ClassInvite(CallbackData, prefix="eni"):
    c: int


class EnrolList(CallbackData, prefix="enl"):
    """Page `p` of the trainees staff may add; `e` edits the list in place (paging)."""

    c: int
    p: int = 0
    e: bool = False


class EnrolAdd(CallbackData, prefix="ena"):
    c: int
    t: int


class ClassImport(CallbackData, prefix="enx"):
    c: int


class WithdrawList(CallbackData, prefix="enw"):
    c: int


class Withdraw(CallbackData, prefix="eno"):
    """Take trainee `t` out of class `c`; `ok` is the confirmation."""

    c: int
    t: int
    ok: bool = False


class ImportStates(StatesGroup):
    file = State()


def _capacity(training_class: TrainingClass) -> int:
    return min(training_class.capacity, MAX_CLASS_SIZE)


async def _facts(session: AsyncSession, training_class: TrainingClass) -> dict:
    """What every message about a class names: its name, days and venue."""
    span = await store.span_of(session, training_class)
    return {
        "name": training_class.name,
        "first": span.first.isoformat(),
        "last": span.last.isoformat(),
        "venue": training_class.venue_address,
    }


async def _tell(session: AsyncSession, person_id: int, key: str, **context: object) -> None:
    """A push to a trainee (not the person whose update this is) goes through the outbox."""
    trainee = await session.get(Person, person_id)
    text = I18n(trainee.locale)(key, **context)
    await enqueue(session, chat_id=trainee.tg_user_id, person_id=trainee.id, text=text)


# --- trainees: joining by the class link ---------------------------------------------------


async def _registration_open(session: AsyncSession, person_id: int) -> tuple[bool, bool]:
    """(has submitted the registration form, has an unfinished registration draft)."""
    submitted = await service.latest_submission(session, person_id, "registration") is not None
    drafts = [await service.active_draft(session, person_id)]
    drafts += await service.paused_drafts(session, person_id)
    drafting = any(draft is not None and draft.form_id == "registration" for draft in drafts)
    return submitted, drafting


async def join_by_link(
    message: Message,
    session: AsyncSession,
    person: Person,
    i18n: I18n,
    settings: Settings,
    invitation: Invitation,
    clock: Clock,
) -> bool:
    """Take a place in the invitation's class, or say why not; True when the person still has
    to register (the caller starts the registration form)."""
    training_class = await get_class(session, invitation.class_id, lock=True)
    submitted, drafting = await _registration_open(session, person.id)
    found = await store.admit(
        session, training_class, person.id, actor_id=person.id, source="link", now=clock.now()
    )
    log.info("class %s joined by link: %s", training_class.id, found.verdict)
    await message.answer(
        i18n(
            "enrolment.joined",
            verdict=found.verdict,
            other=found.other.name if found.other else None,
            outcome=found.outcome,
            capacity=_capacity(training_class),
            registered=submitted,
            **await _facts(session, training_class),
        )
    )
    if drafting:
        await offer_resume(message, session, person, i18n, settings, clock)
    return not submitted and not drafting


async def screening_decided(
    session: AsyncSession, person_id: int, reviewer_id: int, now: datetime
) -> None:
    """A confirmed screening settles the trainee's pending places: enrolled when suitable
    for online training, otherwise given up, and the trainee is told which and why."""
    for training_class, found in await store.settle(
        session, person_id, actor_id=reviewer_id, now=now
    ):
        await _tell(
            session,
            person_id,
            "enrolment.settled",
            verdict=found.verdict,
            other=found.other.name if found.other else None,
            outcome=found.outcome,
            **await _facts(session, training_class),
        )


# --- staff: the class card ----------------------------------------------------------------


async def list_classes(
    message: Message, session: AsyncSession, actor: Actor, i18n: I18n, state: FSMContext
) -> None:
    await state.clear()
    institutions = policy.institutions(actor, Action.ENROLMENT_MANAGE)
    classes = await store.classes_of(session, institutions)
    builder = InlineKeyboardBuilder()
    for training_class in classes:
        span = await store.span_of(session, training_class)
        builder.button(
            text=i18n("enrolment.class_button", name=training_class.name, first=str(span.first)),
            callback_data=ClassRoster(c=training_class.id),
        )
    builder.adjust(1)
    await message.answer(
        i18n("enrolment.classes", count=len(classes)), reply_markup=builder.as_markup()
    )


async def show_card(
    query: CallbackQuery,
    callback_data: ClassRoster,
    session: AsyncSession,
    actor: Actor,
    i18n: I18n,
    clock: Clock,
) -> None:
    training_class = await class_for(session, actor, Action.ENROLMENT_MANAGE, callback_data.c)
    await query.answer()
    now = clock.now()
    span = await store.span_of(session, training_class)
    places = await store.roster(session, training_class.id)
    names = await store.names(session, [place.person_id for place in places])
    taken = await store.taken(session, training_class.id, now)
    open_ = is_open(training_class.status, span, store.today_of(training_class, now))
    builder = InlineKeyboardBuilder()
    if open_:
        builder.button(
            text=i18n("enrolment.invite_button"), callback_data=ClassInvite(c=training_class.id)
        )
        builder.button(
            text=i18n("enrolment.add_button"), callback_data=EnrolList(c=training_class.id)
        )
        builder.button(
            text=i18n("enrolment.import_button"), callback_data=ClassImport(c=training_class.id)
        )
    if places:
        builder.button(
            text=i18n("enrolment.withdraw_button"), callback_data=WithdrawList(c=training_class.id)
        )
    builder.adjust(1)
    await query.message.answer(
        i18n(
            "enrolment.card",
            open_=open_,
            taken=taken,
            capacity=_capacity(training_class),
            enrolled=[names[p.person_id] for p in places if p.status == ENROLLED],
            pending=[names[p.person_id] for p in places if p.status == PENDING],
            reserved=taken - len(places),
            **await _facts(session, training_class),
        ),
        reply_markup=builder.as_markup(),
    )


async def _open_class(
    query: CallbackQuery,
    session: AsyncSession,
    actor: Actor,
    i18n: I18n,
    clock: Clock,
    class_id: int,
    *,
    lock: bool = False,
) -> TrainingClass | None:
    """The staff's class when it takes trainees now; otherwise the press is answered."""
    training_class = await class_for(session, actor, Action.ENROLMENT_MANAGE, class_id, lock=lock)
    span = await store.span_of(session, training_class)
    if not is_open(training_class.status, span, store.today_of(training_class, clock.now())):
        await query.answer(i18n("enrolment.not_open", name=training_class.name), show_alert=True)
        return None
    return training_class


async def send_invite(
    query: CallbackQuery,
    callback_data: ClassInvite,
    session: AsyncSession,
    person: Person,
    actor: Actor,
    i18n: I18n,
    settings: Settings,
    bot: Bot,
    clock: Clock,
) -> None:
    """The class's link and QR code: one multi-use link per class, made on first request."""
    training_class = await _open_class(query, session, actor, i18n, clock, callback_data.c)
    if training_class is None:
        return
    span = await store.span_of(session, training_class)
    invitation = await store.class_link(session, training_class, span, created_by=person.id)
    link = invite_link(settings, (await bot.me()).username, invitation.code)
    await query.answer()
    await query.message.answer_photo(
        BufferedInputFile(qr_png(link), filename=f"class-{training_class.id}.png"),
        caption=i18n(
            "enrolment.invite",
            link=link,
            code=invitation.code,
            capacity=_capacity(training_class),
            **await _facts(session, training_class),
        ),
    )


# --- staff: adding and withdrawing trainees ------------------------------------------------


async def pick_trainee(
    query: CallbackQuery,
    callback_data: EnrolList,
    session: AsyncSession,
    actor: Actor,
    i18n: I18n,
    bot: Bot,
    clock: Clock,
) -> None:
    training_class = await _open_class(query, session, actor, i18n, clock, callback_data.c)
    if training_class is None:
        return
    await query.answer()
    people = await store.candidates(session, training_class.institution_id, training_class.id)
    names = await store.names(session, people)
    people.sort(key=lambda person_id: (names[person_id], person_id))
    pages = max(1, math.ceil(len(people) / PAGE_SIZE))
    page = min(max(callback_data.p, 0), pages - 1)
    shown = people[page * PAGE_SIZE : (page + 1) * PAGE_SIZE]
    builder = InlineKeyboardBuilder()
    for person_id in shown:
        builder.button(
            text=names[person_id], callback_data=EnrolAdd(c=training_class.id, t=person_id)
        )
    sizes = [2] * (len(shown) // 2) + [1] * (len(shown) % 2)
    nav = 0
    for target, label in ((page - 1, "◀"), (page + 1, "▶")):
        if 0 <= target < pages:
            builder.button(
                text=label, callback_data=EnrolList(c=training_class.id, p=target, e=True)
            )
            nav += 1
    builder.adjust(*sizes, nav or 1)
    text = i18n(
        "enrolment.pick", name=training_class.name, count=len(people), page=page + 1, pages=pages
    )
    if callback_data.e:
        await edit_in_place(bot, query.message, text, builder.as_markup())
        return
    await query.message.answer(text, reply_markup=builder.as_markup())


async def add_trainee(
    query: CallbackQuery,
    callback_data: EnrolAdd,
    session: AsyncSession,
    person: Person,
    actor: Actor,
    i18n: I18n,
    clock: Clock,
) -> None:
    training_class = await _open_class(
        query, session, actor, i18n, clock, callback_data.c, lock=True
    )
    if training_class is None:
        return
    if not await store.is_trainee_of(session, callback_data.t, training_class.institution_id):
        await query.answer(i18n("enrolment.not_yours"), show_alert=True)
        return
    now = clock.now()
    found = await store.admit(
        session, training_class, callback_data.t, actor_id=person.id, source="staff", now=now
    )
    name = (await store.names(session, [callback_data.t]))[callback_data.t]
    facts = await _facts(session, training_class)
    verdict = {
        "verdict": found.verdict,
        "other": found.other.name if found.other else None,
        "outcome": found.outcome,
    }
    capacity = _capacity(training_class)
    if found.verdict not in PLACED:
        text = i18n("enrolment.staff_refused", trainee=name, capacity=capacity, **verdict, **facts)
        await query.answer(text, show_alert=True)
        return
    await query.answer()
    await _tell(session, callback_data.t, "enrolment.settled", **verdict, **facts)
    taken = await store.taken(session, training_class.id, now)
    await query.message.answer(
        i18n(
            "enrolment.staff_added",
            trainee=name,
            pending=found.verdict is Admission.PENDING,
            taken=taken,
            capacity=capacity,
            **facts,
        )
    )


async def pick_withdrawal(
    query: CallbackQuery,
    callback_data: WithdrawList,
    session: AsyncSession,
    actor: Actor,
    i18n: I18n,
) -> None:
    training_class = await class_for(session, actor, Action.ENROLMENT_MANAGE, callback_data.c)
    await query.answer()
    places = await store.roster(session, training_class.id)
    names = await store.names(session, [place.person_id for place in places])
    builder = InlineKeyboardBuilder()
    for place in places:
        builder.button(
            text=names[place.person_id],
            callback_data=Withdraw(c=training_class.id, t=place.person_id),
        )
    builder.adjust(2)
    await query.message.answer(
        i18n("enrolment.pick_withdrawal", name=training_class.name, count=len(places)),
        reply_markup=builder.as_markup(),
    )


async def withdraw_trainee(
    query: CallbackQuery,
    callback_data: Withdraw,
    session: AsyncSession,
    person: Person,
    actor: Actor,
    i18n: I18n,
) -> None:
    training_class = await class_for(
        session, actor, Action.ENROLMENT_MANAGE, callback_data.c, lock=True
    )
    place = await store.place_of(session, training_class.id, callback_data.t)
    name = (await store.names(session, [callback_data.t])).get(callback_data.t, "")
    if place is None or place.status not in ACTIVE:
        await query.answer(i18n("enrolment.not_in_class", trainee=name), show_alert=True)
        return
    await query.answer()
    facts = await _facts(session, training_class)
    if not callback_data.ok:
        builder = InlineKeyboardBuilder()
        builder.button(
            text=i18n("enrolment.confirm_withdrawal"),
            callback_data=Withdraw(c=training_class.id, t=callback_data.t, ok=True),
        )
        await query.message.answer(
            i18n("enrolment.ask_withdrawal", trainee=name, **facts),
            reply_markup=builder.as_markup(),
        )
        return
    await store.withdraw(session, place, actor_id=person.id)
    await _tell(session, callback_data.t, "enrolment.withdrawn", **facts)
    await query.message.answer(i18n("enrolment.staff_withdrew", trainee=name, **facts))


# --- staff: importing a list ---------------------------------------------------------------


async def ask_for_file(
    query: CallbackQuery,
    callback_data: ClassImport,
    session: AsyncSession,
    actor: Actor,
    i18n: I18n,
    state: FSMContext,
    clock: Clock,
) -> None:
    training_class = await _open_class(query, session, actor, i18n, clock, callback_data.c)
    if training_class is None:
        return
    await query.answer()
    await state.set_state(ImportStates.file)
    await state.set_data({"c": training_class.id})
    template = write_rows(
        i18n("enrolment.sheet_title"),
        [i18n("enrolment.column", name=name) for name in ("name", "mobile", "id_number")],
        [],
    )
    await query.message.answer_document(
        BufferedInputFile(template, filename=i18n("enrolment.template_file")),
        caption=i18n(
            "enrolment.ask_file",
            name=training_class.name,
            max_rows=MAX_IMPORT_ROWS,
            max_kb=MAX_IMPORT_BYTES // 1024,
        ),
    )


async def _read_list(message: Message, bot: Bot, i18n: I18n, today: date) -> list | None:
    """The checked rows of the list sent, or None once the sender is told what is wrong with
    the file as a whole (type, size, not a workbook, headers, number of rows)."""
    document = message.document
    if not (document.file_name or "").lower().endswith(".xlsx"):
        await message.answer(i18n("enrolment.not_xlsx"))
        return None
    too_big = i18n("enrolment.too_big", max_kb=MAX_IMPORT_BYTES // 1024)
    if (document.file_size or 0) > MAX_IMPORT_BYTES:
        await message.answer(too_big)
        return None
    try:
        content = (await bot.download(document)).read()
    except (TelegramAPIError, ClientError, TimeoutError) as error:
        log.warning("import file download failed: %s", type(error).__name__)
        await message.answer(i18n("enrolment.download_failed"))
        return None
    if len(content) > MAX_IMPORT_BYTES:
        await message.answer(too_big)
        return None
    try:
        columns, body = split_table(read_rows(content))
    except SheetUnreadable:
        await message.answer(i18n("enrolment.unreadable"))
        return None
    except TableRefused as refused:
        await message.answer(i18n(f"enrolment.table_{refused.code}", **refused.params))
        return None
    return check_rows(body, columns, today)


async def file_sent(
    message: Message,
    session: AsyncSession,
    person: Person,
    actor: Actor,
    i18n: I18n,
    state: FSMContext,
    bot: Bot,
    settings: Settings,
    clock: Clock,
) -> None:
    """Check the whole list; import all of it, or nothing and say what to fix row by row."""
    data = await state.get_data()
    training_class = await class_if_allowed(
        session, actor, Action.ENROLMENT_MANAGE, data.get("c"), lock=True
    )
    if training_class is None:
        await state.clear()
        await message.answer(i18n("errors.not_allowed"))
        return
    now = clock.now()
    rows = await _read_list(message, bot, i18n, store.today_of(training_class, now))
    if rows is None:
        return
    rows, planned = await enrolment_import.plan(session, training_class, rows, now)
    bad = [row for row in rows if not row.valid]
    log.info("import into class %s: %d rows, %d bad", training_class.id, len(rows), len(bad))
    if bad:
        await _refuse_import(message, bad, len(rows), i18n)
        return
    await enrolment_import.apply(session, training_class, planned, actor_id=person.id)
    await state.clear()
    facts = await _facts(session, training_class)
    for step in planned:
        if step.changed:
            verdict = {"verdict": step.result, "other": None, "outcome": None}
            await _tell(session, step.person_id, "enrolment.settled", **verdict, **facts)
    username = (await bot.me()).username
    report = write_rows(
        i18n("enrolment.sheet_title"),
        [i18n("enrolment.column", name=n) for n in RESULT_COLUMNS],
        [
            [
                *_masked(step.row),
                i18n("enrolment.row_result", result=step.result),
                invite_link(settings, username, step.invitation.code) if step.invitation else "",
            ]
            for step in planned
        ],
    )
    await message.answer_document(
        BufferedInputFile(report, filename=i18n("enrolment.result_file")),
        caption=i18n(
            "enrolment.imported",
            rows=len(planned),
            counts={result: sum(s.result is result for s in planned) for result in RowResult},
            taken=await store.taken(session, training_class.id, now),
            capacity=_capacity(training_class),
            **facts,
        ),
    )


def _masked(row: ImportRow) -> list:
    """Row number, name and the numbers masked: the staff have the original; the result file
    is the one that gets forwarded around."""
    return [row.number, row.name, mask_phone(row.mobile), mask_id_number(row.id_number)]


async def _refuse_import(message: Message, bad: list[ImportRow], total: int, i18n: I18n) -> None:
    listed = [(row.number, row.name, row.problems) for row in bad[:SHOWN_PROBLEMS]]
    text = i18n("enrolment.import_refused", rows=listed, bad=len(bad), total=total)
    while len(text) > TEXT_LIMIT:
        listed.pop()
        text = i18n("enrolment.import_refused", rows=listed, bad=len(bad), total=total)
    await message.answer(text)
    if len(listed) < len(bad):
        report = write_rows(
            i18n("enrolment.sheet_title"),
            [i18n("enrolment.column", name=n) for n in PROBLEM_COLUMNS],
            [
                [*_masked(row), html.unescape(i18n("enrolment.reasons", problems=row.problems))]
                for row in bad
            ],
        )
        await message.answer_document(
            BufferedInputFile(report, filename=i18n("enrolment.problems_file"))
        )


async def not_a_file(message: Message, i18n: I18n) -> None:
    await message.answer(
        i18n("enrolment.send_file", max_rows=MAX_IMPORT_ROWS, max_kb=MAX_IMPORT_BYTES // 1024)
    )


def create_router() -> Router:
    router = Router(name=__name__)
    router.message.filter(Can(Action.ENROLMENT_MANAGE))
    router.callback_query.filter(Can(Action.ENROLMENT_MANAGE))
    router.message.register(list_classes, Command("enrol"))
    router.message.register(file_sent, StateFilter(ImportStates.file), F.document)
    router.message.register(not_a_file, StateFilter(ImportStates.file))
    router.callback_query.register(show_card, ClassRoster.filter())
    router.callback_query.register(send_invite, ClassInvite.filter())
    router.callback_query.register(pick_trainee, EnrolList.filter())
    router.callback_query.register(add_trainee, EnrolAdd.filter())
    router.callback_query.register(ask_for_file, ClassImport.filter())
    router.callback_query.register(pick_withdrawal, WithdrawList.filter())
    router.callback_query.register(withdraw_trainee, Withdraw.filter())
    return router
