"""The generic form runner: one flow that walks any form definition, one question at a time.

The active draft in the store is the whole state: every accepted answer is saved in the
update's unit of work, so a restart or a pause loses nothing and resumes at the same question.
"""

from __future__ import annotations

from contextlib import suppress
from datetime import date, datetime, timedelta
from typing import Any

from aiogram import Bot, F, Router
from aiogram.exceptions import TelegramBadRequest, TelegramForbiddenError
from aiogram.filters import Command, Filter
from aiogram.types import CallbackQuery, Message, ReplyKeyboardRemove, TelegramObject
from aiogram.utils.keyboard import InlineKeyboardBuilder
from sqlmodel.ext.asyncio.session import AsyncSession

from bot.clock import Clock
from bot.config import Settings
from bot.forms import regions, service
from bot.forms.answers import FileRef, Input, Rejected, check_required, derived, parse
from bot.forms.callbacks import FormEdit, FormMonth, FormNav, FormPick, Nav
from bot.forms.registry import form
from bot.forms.render import SEARCH, display, question_view, reply_keyboard, review_view
from bot.forms.runner import FormRun, Slot
from bot.forms.schema import QuestionType
from bot.forms.service import FormHooks
from bot.i18n import I18n
from bot.views import edit_in_place
from storage import repo
from storage.models import FormDraft, Person

IDLE_BEFORE_OFFER = timedelta(hours=1)
"""A message this long after the last answer is greeted with the question, not taken as an
answer: days later, "你好" is not the answer to whatever was asked."""

CHOICE_TYPES = {
    QuestionType.SINGLE,
    QuestionType.YES_NO,
    QuestionType.RATING,
    QuestionType.SCALE,
    QuestionType.ACKNOWLEDGEMENT,
    QuestionType.DATE,
}
FILE_TYPES = {QuestionType.PHOTO, QuestionType.FILE}


class FillingForm(Filter):
    """Passes when the person has an active draft, and injects it as `draft`."""

    async def __call__(
        self, event: TelegramObject, session: AsyncSession, person: Person | None = None
    ) -> bool | dict[str, Any]:
        if person is None:
            return False
        found = await service.active_draft(session, person.id)
        return {"draft": found} if found is not None else False


class NotCommand(Filter):
    """Passes unless the message is a /command. A coroutine on purpose: aiogram runs a plain
    callable filter (an `F` expression too) on a worker thread, a round trip per message."""

    async def __call__(self, message: Message) -> bool:
        return not (message.text or "").startswith("/")


def today_in(settings: Settings, now: datetime) -> date:
    """The programme's local date at `now` (the product's clock, never the machine's)."""
    return now.astimezone(settings.tz).date()


class Runner:
    """What one update needs to move a draft on: the draft, its run, and how to talk."""

    def __init__(
        self,
        bot: Bot,
        chat_id: int,
        draft: FormDraft,
        i18n: I18n,
        settings: Settings,
        clock: Clock,
    ) -> None:
        self.bot, self.chat_id, self.draft, self.i18n = bot, chat_id, draft, i18n
        self.now = clock.now()
        self.today = today_in(settings, self.now)
        self.run = FormRun(form(draft.form_id), draft.answers, self.today, draft.context)

    @property
    def slot(self) -> Slot | None:
        return None if self.draft.reviewing else self.run.slot(self.draft.position)

    def index_of(self, slot: Slot | None) -> int:
        keys = [candidate.key for candidate in self.run.asked]
        return keys.index(slot.key) if slot is not None and slot.key in keys else -1

    async def show(self) -> None:
        """Ask the current question, or show the review screen when nothing is left."""
        slot = self.slot
        if slot is None and not self.draft.reviewing:
            slot = self.run.next_open()
            if slot is None:
                self.draft.reviewing = True
            else:
                self.draft.position = slot.key
        service.touch(self.draft, self.now)
        if slot is None:
            text, markup = review_view(self.run, self.draft, self.i18n)
            await self.bot.send_message(self.chat_id, text, reply_markup=markup)
            return
        text, markup = question_view(self.run, slot, self.draft, self.i18n, self.today)
        await self.bot.send_message(self.chat_id, text, reply_markup=markup)
        keyboard = reply_keyboard(slot.question, self.i18n)
        if keyboard is not None:
            await self.bot.send_message(
                self.chat_id,
                self.i18n("forms.use_keyboard", kind=slot.question.type),
                reply_markup=keyboard,
            )

    async def refresh(self, message: Message | None) -> None:
        """Redraw the current question's buttons in place (toggles, calendar, region level)."""
        slot = self.slot
        if message is None or slot is None:
            await self.show()
            return
        text, markup = question_view(self.run, slot, self.draft, self.i18n, self.today)
        service.touch(self.draft, self.now)
        await edit_in_place(self.bot, message, text, markup)

    async def accept(self, slot: Slot, given: Input) -> bool:
        """Parse and store an answer, then move on; on a wrong answer explain and ask again."""
        try:
            value = parse(slot.question, given, answers=self.run.answers, today=self.today)
            check_required(slot.question, value)
        except Rejected as rejected:
            if rejected.problem.key == "region_ambiguous" and given.text:
                self.draft.pending = [SEARCH + given.text.strip()]
            await self.complain(rejected)
            return False
        answers = dict(self.draft.answers)
        answers[slot.key] = value
        prefix = f"{slot.group}.{slot.index}." if slot.group else ""
        for name, extra in derived(slot.question, value, self.today).items():
            answers[prefix + name] = extra
        self.draft.answers = answers
        self.draft.pending = []
        if slot.question.personal or reply_keyboard(slot.question, self.i18n) is not None:
            await self.bot.send_message(
                self.chat_id,
                self.i18n("forms.saved", value=display(slot.question, value, self.i18n)),
                reply_markup=ReplyKeyboardRemove(),
            )
        await self.advance(slot.key)
        return True

    async def advance(self, after: str) -> None:
        self.run = FormRun(
            form(self.draft.form_id), self.draft.answers, self.today, self.draft.context
        )
        following = self.run.next_open(after=after)
        self.draft.position = following.key if following else None
        self.draft.reviewing = following is None
        await self.show()

    async def complain(self, rejected: Rejected) -> None:
        problem = rejected.problem
        if problem.custom is not None:
            text = problem.custom(self.i18n.locale)
        else:
            text = self.i18n("forms.problem", key=problem.key, params=problem.params)
        await self.bot.send_message(self.chat_id, text)
        await self.show()


async def begin(
    bot: Bot,
    chat_id: int,
    session: AsyncSession,
    person: Person,
    i18n: I18n,
    settings: Settings,
    form_id: str,
    context: dict[str, Any],
    *,
    clock: Clock,
) -> FormDraft:
    """Start a form for the person (pausing any other) and ask its first question."""
    paused = await service.active_draft(session, person.id)
    draft = await service.start(session, person.id, form_id, context, now=clock.now())
    if paused is not None:
        await bot.send_message(
            chat_id, i18n("forms.paused_other", title=form(paused.form_id).title(i18n.locale))
        )
    definition = form(form_id)
    intro = definition.intro(i18n.locale) if definition.intro else None
    await bot.send_message(
        chat_id, i18n("forms.intro", title=definition.title(i18n.locale), text=intro)
    )
    await Runner(bot, chat_id, draft, i18n, settings, clock).show()
    return draft


async def pause(bot: Bot, chat_id: int, draft: FormDraft, i18n: I18n, now: datetime) -> None:
    """Stop filling for now; every answer stays in the draft for later."""
    draft.status = service.PAUSED
    service.touch(draft, now)
    title = form(draft.form_id).title(i18n.locale)
    await bot.send_message(
        chat_id, i18n("forms.cancelled", title=title), reply_markup=ReplyKeyboardRemove()
    )


async def offer_resume(
    message: Message,
    session: AsyncSession,
    person: Person,
    i18n: I18n,
    settings: Settings,
    clock: Clock,
) -> bool:
    """Offer the person's unfinished form, if any; True when one was offered."""
    draft = await service.active_draft(session, person.id)
    if draft is None:
        paused = await service.paused_drafts(session, person.id)
        draft = paused[0] if paused else None
    if draft is None:
        return False
    definition = form(draft.form_id)
    run = FormRun(definition, draft.answers, today_in(settings, clock.now()), draft.context)
    answered = sum(1 for slot in run.asked if slot.key in run.answers)
    builder = InlineKeyboardBuilder()
    for label, action in (("forms.resume", Nav.RESUME), ("forms.restart", Nav.RESTART)):
        builder.button(text=i18n(label), callback_data=FormNav(d=draft.id, q=0, a=action))
    await message.answer(
        i18n(
            "forms.resume_offer",
            title=definition.title(i18n.locale),
            number=answered,
            total=len(run.asked),
        ),
        reply_markup=builder.as_markup(),
    )
    return True


def _size(reported: int | None) -> int:
    """Telegram's size of a file, or -1 when it did not say (not 0: that is an empty file)."""
    return -1 if reported is None else reported


def _input(message: Message) -> Input:
    files: list[FileRef] = []
    if message.photo:
        largest = message.photo[-1]
        files.append(
            FileRef(
                largest.file_id,
                largest.file_unique_id,
                "photo.jpg",
                _size(largest.file_size),
                "image/jpeg",
            )
        )
    if message.document:
        document = message.document
        files.append(
            FileRef(
                document.file_id,
                document.file_unique_id,
                document.file_name or "file",
                _size(document.file_size),
                document.mime_type or "application/octet-stream",
            )
        )
    return Input(
        text=message.text or message.caption if not files else None,
        contact_phone=message.contact.phone_number if message.contact else None,
        location=(message.location.latitude, message.location.longitude)
        if message.location
        else None,
        files=tuple(files),
    )


async def answer_message(
    message: Message,
    draft: FormDraft,
    session: AsyncSession,
    person: Person,
    i18n: I18n,
    settings: Settings,
    bot: Bot,
    clock: Clock,
) -> None:
    runner = Runner(bot, message.chat.id, draft, i18n, settings, clock)
    slot = runner.slot
    idle = draft.updated_at < runner.now - IDLE_BEFORE_OFFER
    if slot is None or idle:
        await runner.show()
        return
    given = _input(message)
    kind = slot.question.type
    if slot.question.personal and (given.text or given.contact_phone):
        await _hide(bot, message)
    if kind in FILE_TYPES and given.files:
        await _collect_files(runner, slot, given)
    elif kind in CHOICE_TYPES - {QuestionType.DATE} and given.text is None:
        await runner.complain(Rejected.of("choice_buttons"))
    elif kind is QuestionType.NOTE:
        await runner.complain(Rejected.of("press_next"))
    else:
        await runner.accept(slot, given)


async def _hide(bot: Bot, message: Message) -> None:
    """An ID or mobile number typed or shared stays in clear in the chat unless removed: the
    bot deletes it once read and echoes it masked (PIPL; SPEC S-53)."""
    with suppress(TelegramBadRequest, TelegramForbiddenError):
        await bot.delete_message(message.chat.id, message.message_id)


async def _collect_files(runner: Runner, slot: Slot, given: Input) -> None:
    """Files count as one answer (an album too): collect them until the limit or Done."""
    pending = [*runner.draft.pending, *(file.as_dict() for file in given.files)]
    question = slot.question
    if len(pending) >= question.max_files:
        files = tuple(FileRef(**item) for item in pending[: question.max_files])
        await runner.accept(slot, Input(files=files))
        return
    try:
        parse(
            question,
            Input(files=tuple(FileRef(**item) for item in pending)),
            answers=runner.run.answers,
            today=runner.today,
        )
    except Rejected as rejected:
        await runner.complain(rejected)
        return
    runner.draft.pending = pending
    await runner.show()


async def _current(
    query: CallbackQuery,
    draft_id: int,
    index: int,
    session: AsyncSession,
    person: Person,
    i18n: I18n,
    settings: Settings,
    bot: Bot,
    clock: Clock,
) -> Runner | None:
    """The runner when the button belongs to the question being asked now; else say stale."""
    draft = await service.draft(session, draft_id, person.id)
    if draft is None or draft.status != service.ACTIVE:
        await query.answer(i18n("forms.stale"), show_alert=True)
        return None
    runner = Runner(bot, query.from_user.id, draft, i18n, settings, clock)
    if runner.slot is None or runner.index_of(runner.slot) != index:
        await query.answer(i18n("forms.stale"))
        await runner.show()
        return None
    return runner


async def picked(
    query: CallbackQuery,
    callback_data: FormPick,
    session: AsyncSession,
    person: Person,
    i18n: I18n,
    settings: Settings,
    bot: Bot,
    clock: Clock,
) -> None:
    runner = await _current(
        query, callback_data.d, callback_data.q, session, person, i18n, settings, bot, clock
    )
    if runner is None:
        return
    await query.answer()
    slot, value = runner.slot, callback_data.v
    kind = slot.question.type
    if kind is QuestionType.MULTIPLE:
        chosen = list(runner.draft.pending)
        chosen.remove(value) if value in chosen else chosen.append(value)
        runner.draft.pending = [c.value for c in slot.question.choices if c.value in chosen]
        await runner.refresh(query.message)
    elif kind is QuestionType.REGION and (value == "root" or _not_district(value)):
        runner.draft.pending = [] if value == "root" else [value]
        await runner.refresh(query.message)
    else:
        await runner.accept(slot, Input(choice=value))


def _not_district(code: str) -> bool:
    found = regions.region(code)
    return found is not None and found.level != "district"


async def turned_month(
    query: CallbackQuery,
    callback_data: FormMonth,
    session: AsyncSession,
    person: Person,
    i18n: I18n,
    settings: Settings,
    bot: Bot,
    clock: Clock,
) -> None:
    runner = await _current(
        query, callback_data.d, callback_data.q, session, person, i18n, settings, bot, clock
    )
    if runner is None:
        return
    await query.answer()
    if runner.draft.pending != [callback_data.m]:
        runner.draft.pending = [callback_data.m]
        await runner.refresh(query.message)


# --- the runner's buttons: one handler per Nav action ------------------------------------------


async def _asked(
    query: CallbackQuery,
    callback_data: FormNav,
    session: AsyncSession,
    person: Person,
    i18n: I18n,
    settings: Settings,
    bot: Bot,
    clock: Clock,
) -> Runner | None:
    return await _current(
        query, callback_data.d, callback_data.q, session, person, i18n, settings, bot, clock
    )


async def went_back(
    query: CallbackQuery,
    callback_data: FormNav,
    session: AsyncSession,
    person: Person,
    i18n: I18n,
    settings: Settings,
    bot: Bot,
    clock: Clock,
) -> None:
    runner = await _asked(query, callback_data, session, person, i18n, settings, bot, clock)
    if runner is None:
        return
    await query.answer()
    previous = runner.run.previous(runner.slot.key)
    if previous is not None:
        runner.draft.position, runner.draft.pending = previous.key, []
    await runner.show()


async def skipped(
    query: CallbackQuery,
    callback_data: FormNav,
    session: AsyncSession,
    person: Person,
    i18n: I18n,
    settings: Settings,
    bot: Bot,
    clock: Clock,
) -> None:
    runner = await _asked(query, callback_data, session, person, i18n, settings, bot, clock)
    if runner is None:
        return
    slot = runner.slot
    if slot.question.required:
        await query.answer(i18n("forms.problem", key="required", params={}), show_alert=True)
        return
    await query.answer()
    runner.draft.answers = {**runner.draft.answers, slot.key: None}
    runner.draft.pending = []
    await runner.advance(slot.key)


async def note_read(
    query: CallbackQuery,
    callback_data: FormNav,
    session: AsyncSession,
    person: Person,
    i18n: I18n,
    settings: Settings,
    bot: Bot,
    clock: Clock,
) -> None:
    runner = await _asked(query, callback_data, session, person, i18n, settings, bot, clock)
    if runner is None:
        return
    slot = runner.slot
    if slot.question.type is not QuestionType.NOTE:
        await query.answer(i18n("forms.stale"))
        return
    await query.answer()
    runner.draft.answers = {**runner.draft.answers, slot.key: True}
    await runner.advance(slot.key)


async def done_pressed(
    query: CallbackQuery,
    callback_data: FormNav,
    session: AsyncSession,
    person: Person,
    i18n: I18n,
    settings: Settings,
    bot: Bot,
    clock: Clock,
) -> None:
    """The choices toggled, or the files sent so far, are the answer."""
    runner = await _asked(query, callback_data, session, person, i18n, settings, bot, clock)
    if runner is None:
        return
    slot = runner.slot
    if slot.question.type is QuestionType.MULTIPLE:
        given = Input(choice=",".join(runner.draft.pending))
    elif slot.question.type in FILE_TYPES:
        given = Input(files=tuple(FileRef(**item) for item in runner.draft.pending))
    else:
        await query.answer(i18n("forms.stale"))
        return
    await query.answer()
    await runner.accept(slot, given)


async def _open_draft(
    query: CallbackQuery, callback_data: FormNav, session: AsyncSession, person: Person, i18n: I18n
) -> FormDraft | None:
    """For buttons about the draft as a whole: the draft unless it is gone, submitted or
    cancelled (then say so). The press is answered either way."""
    draft = await service.draft(session, callback_data.d, person.id)
    if draft is None or draft.status == service.CANCELLED:
        await query.answer(i18n("forms.stale"), show_alert=True)
        return None
    if draft.status == service.SUBMITTED:
        title = form(draft.form_id).title(i18n.locale)
        await query.answer(i18n("forms.already_submitted", title=title), show_alert=True)
        return None
    await query.answer()
    return draft


async def _active_draft(
    query: CallbackQuery,
    callback_data: FormNav,
    session: AsyncSession,
    person: Person,
    i18n: I18n,
    bot: Bot,
) -> FormDraft | None:
    """Edit and submit act on the draft being filled only, not on a paused one."""
    draft = await _open_draft(query, callback_data, session, person, i18n)
    if draft is not None and draft.status != service.ACTIVE:
        await bot.send_message(query.from_user.id, i18n("forms.stale"))
        return None
    return draft


async def resumed(
    query: CallbackQuery,
    callback_data: FormNav,
    session: AsyncSession,
    person: Person,
    i18n: I18n,
    settings: Settings,
    bot: Bot,
    clock: Clock,
) -> None:
    draft = await _open_draft(query, callback_data, session, person, i18n)
    if draft is None:
        return
    await service.resume(session, draft, clock.now())
    await Runner(bot, query.from_user.id, draft, i18n, settings, clock).show()


async def restarted(
    query: CallbackQuery,
    callback_data: FormNav,
    session: AsyncSession,
    person: Person,
    i18n: I18n,
    settings: Settings,
    bot: Bot,
    clock: Clock,
) -> None:
    """Start over: the draft is cancelled and a fresh one begins."""
    draft = await _open_draft(query, callback_data, session, person, i18n)
    if draft is None:
        return
    draft.status = service.CANCELLED
    service.touch(draft, clock.now())
    await begin(
        bot,
        query.from_user.id,
        session,
        person,
        i18n,
        settings,
        draft.form_id,
        draft.context,
        clock=clock,
    )


async def cancelled(
    query: CallbackQuery,
    callback_data: FormNav,
    session: AsyncSession,
    person: Person,
    i18n: I18n,
    bot: Bot,
    clock: Clock,
) -> None:
    draft = await _open_draft(query, callback_data, session, person, i18n)
    if draft is not None:
        await pause(bot, query.from_user.id, draft, i18n, clock.now())


async def edit_answer(
    query: CallbackQuery,
    callback_data: FormNav,
    session: AsyncSession,
    person: Person,
    i18n: I18n,
    settings: Settings,
    bot: Bot,
    clock: Clock,
) -> None:
    """From the review screen, ask question `q` again."""
    draft = await _active_draft(query, callback_data, session, person, i18n, bot)
    if draft is None:
        return
    runner = Runner(bot, query.from_user.id, draft, i18n, settings, clock)
    if draft.reviewing and 0 <= callback_data.q < len(runner.run.asked):
        draft.reviewing, draft.pending = False, []
        draft.position = runner.run.asked[callback_data.q].key
    await runner.show()


async def submit_pressed(
    query: CallbackQuery,
    callback_data: FormNav,
    session: AsyncSession,
    person: Person,
    i18n: I18n,
    settings: Settings,
    bot: Bot,
    clock: Clock,
    form_hooks: FormHooks,
) -> None:
    draft = await _active_draft(query, callback_data, session, person, i18n, bot)
    if draft is not None:
        chat_id = query.from_user.id
        await _submit(bot, chat_id, session, person, draft, i18n, settings, clock, form_hooks)


async def _submit(
    bot: Bot,
    chat_id: int,
    session: AsyncSession,
    person: Person,
    draft: FormDraft,
    i18n: I18n,
    settings: Settings,
    clock: Clock,
    form_hooks: FormHooks,
) -> None:
    runner = Runner(bot, chat_id, draft, i18n, settings, clock)
    missing = runner.run.next_open()
    if not draft.reviewing or missing is not None:
        draft.reviewing = False
        draft.position = missing.key if missing else None
        await runner.show()
        return
    submission, first = await service.submit(session, draft, person, runner.now, runner.today)
    title = form(draft.form_id).title(i18n.locale)
    await repo.audit(
        session,
        "form.submitted",
        actor_id=person.id,
        subject_id=person.id,
        object_type="form_submission",
        object_id=submission.id,
        form=draft.form_id,
        supersedes=submission.supersedes_id,
    )
    if not form_hooks.announces(draft.form_id):
        await bot.send_message(chat_id, i18n("forms.submitted", title=title))
    hook = form_hooks.of(draft.form_id)
    if hook is None:
        return
    done = service.Submitted(session, person, submission, first, bot, i18n, settings, runner.now)
    follow_ups = await hook(done) or []
    for follow_up in follow_ups:
        await begin(
            bot,
            chat_id,
            session,
            person,
            i18n,
            settings,
            follow_up.form_id,
            follow_up.context,
            clock=clock,
        )


async def list_forms(
    message: Message, session: AsyncSession, person: Person, i18n: I18n, settings: Settings
) -> None:
    """The person's submitted forms that may still be changed, each with an edit button."""
    rows = await service.editable_submissions(session, person.id)
    builder = InlineKeyboardBuilder()
    items = []
    for row in rows:
        title = form(row.form_id).title(i18n.locale)
        when = row.submitted_at.astimezone(settings.tz).strftime("%Y-%m-%d %H:%M")
        items.append((title, when))
        builder.button(text=i18n("forms.edit_form", title=title), callback_data=FormEdit(s=row.id))
    builder.adjust(1)
    await message.answer(i18n("forms.my_forms", items=items), reply_markup=builder.as_markup())


async def edit_pressed(
    query: CallbackQuery,
    callback_data: FormEdit,
    session: AsyncSession,
    person: Person,
    i18n: I18n,
    settings: Settings,
    bot: Bot,
    clock: Clock,
) -> None:
    """Start a new draft holding the submitted answers, at its review screen."""
    submitted = await service.submission(session, callback_data.s)
    if (
        submitted is None
        or submitted.person_id != person.id
        or not submitted.current
        or not form(submitted.form_id).editable
    ):
        await query.answer(i18n("forms.stale"), show_alert=True)
        return
    await query.answer()
    draft = await service.start(
        session,
        person.id,
        submitted.form_id,
        submitted.context,
        answers=submitted.answers,
        revises_id=submitted.id,
        now=clock.now(),
    )
    await Runner(bot, query.from_user.id, draft, i18n, settings, clock).show()


def create_router() -> Router:
    router = Router(name=__name__)
    router.message.register(list_forms, Command("forms"))
    router.callback_query.register(edit_pressed, FormEdit.filter())
    router.callback_query.register(picked, FormPick.filter())
    router.callback_query.register(turned_month, FormMonth.filter())
    for handler, action in (
        (went_back, Nav.BACK),
        (skipped, Nav.SKIP),
        (note_read, Nav.NEXT),
        (done_pressed, Nav.DONE),
        (cancelled, Nav.CANCEL),
        (edit_answer, Nav.EDIT),
        (submit_pressed, Nav.SUBMIT),
        (resumed, Nav.RESUME),
        (restarted, Nav.RESTART),
    ):
        router.callback_query.register(handler, FormNav.filter(F.a == action))
    router.message.register(answer_message, NotCommand(), FillingForm())
    return router
