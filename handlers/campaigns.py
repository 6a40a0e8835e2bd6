"""Campaigns (issue 14): /campaign for institution staff and supervisors — form → selection →
preview of the count → time → confirm, then the live counts, who has not answered, remind
once, cancel what is not sent, the aggregate with its chart and the .xlsx of the answers; a
supervisor's questionnaire sent as a YAML document. The recipients' buttons are
handlers/campaign_replies.py.

Thin adapters over bot/services/campaigns.py; the cards are bot/views/campaigns.py. A date (a
chosen push time, an end-date range) is asked by the form runner's calendar: the small forms
`campaign_when` and `campaign_range`, whose hooks come back here.
"""

from __future__ import annotations

from aiogram import Bot, F, Router
from aiogram.filters import Command
from aiogram.types import BufferedInputFile, CallbackQuery, Message
from sqlmodel.ext.asyncio.session import AsyncSession

from bot.campaign_callbacks import CampaignDo, CampaignForm, Do
from bot.config import Settings
from bot.domain.campaigns import Export, Selection
from bot.filters import Can
from bot.forms.registry import form
from bot.forms.service import FormHooks, Submitted
from bot.i18n import I18n
from bot.policy import Action, may
from bot.services import campaigns, forms
from bot.services.actor import Actor
from bot.views import campaigns as views
from bot.views import edit_in_place
from handlers.forms.screens import started

WHEN_FORM, RANGE_FORM = "campaign_when", "campaign_range"
DRAFT = "draft_campaign"
"""The context value naming the draft campaign a date form is for."""


# --- staff: the list and a new campaign --------------------------------------------------------


async def list_campaigns(message: Message, session: AsyncSession, actor: Actor, i18n: I18n) -> None:
    page = await campaigns.campaigns_page(session, actor, 0)
    text, markup = views.campaigns_list(page, may(actor, Action.FORM_ADD), i18n)
    await message.answer(text, reply_markup=markup)


async def list_pressed(
    query: CallbackQuery,
    callback_data: CampaignDo,
    session: AsyncSession,
    actor: Actor,
    i18n: I18n,
    bot: Bot,
) -> None:
    page = await campaigns.campaigns_page(session, actor, callback_data.v)
    await query.answer()
    text, markup = views.campaigns_list(page, may(actor, Action.FORM_ADD), i18n)
    await edit_in_place(bot, query.message, text, markup)


async def new_pressed(
    query: CallbackQuery, session: AsyncSession, actor: Actor, i18n: I18n, bot: Bot
) -> None:
    found = await campaigns.pushable_forms(session, actor)
    await query.answer()
    text, markup = views.forms_menu(found, i18n)
    await edit_in_place(bot, query.message, text, markup)


async def form_pressed(
    query: CallbackQuery,
    callback_data: CampaignForm,
    session: AsyncSession,
    actor: Actor,
    i18n: I18n,
    bot: Bot,
) -> None:
    draft = await campaigns.begin(session, actor, callback_data.k)
    await query.answer()
    title = form(draft.form_key).title(i18n.locale)
    text, markup = views.kind_menu(draft.id, title, i18n)
    await edit_in_place(bot, query.message, text, markup)


# --- staff: the selection ----------------------------------------------------------------------


async def kind_pressed(
    query: CallbackQuery,
    callback_data: CampaignDo,
    session: AsyncSession,
    actor: Actor,
    i18n: I18n,
    settings: Settings,
    bot: Bot,
) -> None:
    if not 0 <= callback_data.v < len(views.SELECTIONS):
        await query.answer(i18n("errors.stale"), show_alert=True)
        return
    kind = views.SELECTIONS[callback_data.v]
    match kind:
        case Selection.CLASS:
            page = await campaigns.classes_page(session, actor, callback_data.c, 0)
            await query.answer()
            text, markup = views.classes_menu(callback_data.c, page, i18n)
            await edit_in_place(bot, query.message, text, markup)
        case Selection.STATE:
            await campaigns.draft_for(session, actor, callback_data.c)
            await query.answer()
            text, markup = views.states_menu(callback_data.c, i18n)
            await edit_in_place(bot, query.message, text, markup)
        case Selection.ENDED:
            await campaigns.draft_for(session, actor, callback_data.c)
            await query.answer()
            outcome = await forms.start(
                session, actor, RANGE_FORM, {DRAFT: callback_data.c}, settings.tz
            )
            await started(bot, query.from_user.id, outcome, i18n)
        case Selection.ALL:
            await campaigns.choose(session, actor, callback_data.c, {"kind": kind.value})
            await _preview(query, session, actor, i18n, settings, bot, callback_data.c)


async def classes_pressed(
    query: CallbackQuery,
    callback_data: CampaignDo,
    session: AsyncSession,
    actor: Actor,
    i18n: I18n,
    bot: Bot,
) -> None:
    page = await campaigns.classes_page(session, actor, callback_data.c, callback_data.v)
    await query.answer()
    text, markup = views.classes_menu(callback_data.c, page, i18n)
    await edit_in_place(bot, query.message, text, markup)


async def class_pressed(
    query: CallbackQuery,
    callback_data: CampaignDo,
    session: AsyncSession,
    actor: Actor,
    i18n: I18n,
    settings: Settings,
    bot: Bot,
) -> None:
    selection = {"kind": Selection.CLASS.value, "class_id": callback_data.v}
    await campaigns.choose(session, actor, callback_data.c, selection)
    await _preview(query, session, actor, i18n, settings, bot, callback_data.c)


async def state_pressed(
    query: CallbackQuery,
    callback_data: CampaignDo,
    session: AsyncSession,
    actor: Actor,
    i18n: I18n,
    settings: Settings,
    bot: Bot,
) -> None:
    if not 0 <= callback_data.v < len(views.STATES):
        await query.answer(i18n("errors.stale"), show_alert=True)
        return
    selection = {"kind": Selection.STATE.value, "state": views.STATES[callback_data.v].value}
    await campaigns.choose(session, actor, callback_data.c, selection)
    await _preview(query, session, actor, i18n, settings, bot, callback_data.c)


async def _preview(
    query: CallbackQuery,
    session: AsyncSession,
    actor: Actor,
    i18n: I18n,
    settings: Settings,
    bot: Bot,
    campaign_id: int,
) -> None:
    shown = await campaigns.preview(session, actor, campaign_id, settings.tz)
    await query.answer()
    text, markup = views.preview_card(shown, settings.tz, i18n)
    await edit_in_place(bot, query.message, text, markup)


# --- staff: when, and confirm ------------------------------------------------------------------


async def now_pressed(
    query: CallbackQuery,
    callback_data: CampaignDo,
    session: AsyncSession,
    actor: Actor,
    i18n: I18n,
    settings: Settings,
    bot: Bot,
) -> None:
    shown = await campaigns.schedule(session, actor, callback_data.c, None, settings.tz)
    await query.answer()
    text, markup = views.confirm_card(shown, settings.tz, i18n)
    await edit_in_place(bot, query.message, text, markup)


async def later_pressed(
    query: CallbackQuery,
    callback_data: CampaignDo,
    session: AsyncSession,
    actor: Actor,
    i18n: I18n,
    settings: Settings,
    bot: Bot,
) -> None:
    await campaigns.preview(session, actor, callback_data.c, settings.tz)  # a draft, chosen
    await query.answer()
    outcome = await forms.start(session, actor, WHEN_FORM, {DRAFT: callback_data.c}, settings.tz)
    await started(bot, query.from_user.id, outcome, i18n)


async def confirm_pressed(
    query: CallbackQuery,
    callback_data: CampaignDo,
    session: AsyncSession,
    actor: Actor,
    i18n: I18n,
    settings: Settings,
    bot: Bot,
) -> None:
    done = await campaigns.confirm(session, actor, callback_data.c, settings.tz)
    await query.answer(i18n("campaigns.confirmed", count=done.recipients, already=done.already))
    shown = await campaigns.dashboard(session, actor, callback_data.c)
    text, markup = views.dashboard_card(shown, settings.tz, i18n)
    await edit_in_place(bot, query.message, text, markup)


async def when_submitted(done: Submitted) -> None:
    """The chosen push time: the confirmation card comes next."""
    actor = await done.actor()
    answers, tz = done.submission.answers, done.settings.tz
    send_at = campaigns.send_time(answers["send_on"], answers["send_hour"], tz)
    shown = await campaigns.schedule(
        done.session, actor, done.submission.context[DRAFT], send_at, tz
    )
    text, markup = views.confirm_card(shown, tz, done.i18n)
    await done.bot.send_message(done.person.tg_user_id, text, reply_markup=markup)


async def range_submitted(done: Submitted) -> None:
    """The end-date range: the preview of the count comes next."""
    actor = await done.actor()
    answers, tz = done.submission.answers, done.settings.tz
    campaign_id = done.submission.context[DRAFT]
    selection = campaigns.ended_selection(answers["ended_from"], answers["ended_to"])
    await campaigns.choose(done.session, actor, campaign_id, selection)
    shown = await campaigns.preview(done.session, actor, campaign_id, tz)
    text, markup = views.preview_card(shown, tz, done.i18n)
    await done.bot.send_message(done.person.tg_user_id, text, reply_markup=markup)


# --- staff: following a campaign ---------------------------------------------------------------


async def open_pressed(
    query: CallbackQuery,
    callback_data: CampaignDo,
    session: AsyncSession,
    actor: Actor,
    i18n: I18n,
    settings: Settings,
    bot: Bot,
) -> None:
    shown = await campaigns.dashboard(session, actor, callback_data.c)
    await query.answer()
    text, markup = views.dashboard_card(shown, settings.tz, i18n)
    await edit_in_place(bot, query.message, text, markup)


async def waiting_pressed(
    query: CallbackQuery,
    callback_data: CampaignDo,
    session: AsyncSession,
    actor: Actor,
    i18n: I18n,
    bot: Bot,
) -> None:
    page = await campaigns.waiting_page(session, actor, callback_data.c, callback_data.v)
    await query.answer()
    text, markup = views.waiting_card(callback_data.c, page, i18n)
    await edit_in_place(bot, query.message, text, markup)


async def remind_pressed(
    query: CallbackQuery,
    callback_data: CampaignDo,
    session: AsyncSession,
    actor: Actor,
    i18n: I18n,
    settings: Settings,
    bot: Bot,
) -> None:
    waiting = await campaigns.remind(session, actor, callback_data.c)
    await query.answer(i18n("campaigns.reminding", count=waiting))
    shown = await campaigns.dashboard(session, actor, callback_data.c)
    text, markup = views.dashboard_card(shown, settings.tz, i18n)
    await edit_in_place(bot, query.message, text, markup)


async def cancel_pressed(
    query: CallbackQuery,
    callback_data: CampaignDo,
    session: AsyncSession,
    actor: Actor,
    i18n: I18n,
    settings: Settings,
    bot: Bot,
) -> None:
    cancelled = await campaigns.cancel(session, actor, callback_data.c)
    await query.answer(i18n("campaigns.cancelled", count=cancelled))
    shown = await campaigns.dashboard(session, actor, callback_data.c)
    text, markup = views.dashboard_card(shown, settings.tz, i18n)
    await edit_in_place(bot, query.message, text, markup)


async def results_pressed(
    query: CallbackQuery, callback_data: CampaignDo, session: AsyncSession, actor: Actor, i18n: I18n
) -> None:
    shown = await campaigns.results(session, actor, callback_data.c, i18n)
    await query.answer()
    await query.message.answer(views.results_text(shown, i18n))
    if shown.chart is not None:
        name = f"campaign-{callback_data.c}.png"
        await query.message.answer_photo(BufferedInputFile(shown.chart, filename=name))


async def xlsx_pressed(
    query: CallbackQuery,
    callback_data: CampaignDo,
    session: AsyncSession,
    actor: Actor,
    i18n: I18n,
    settings: Settings,
) -> None:
    how = Export.CODES if callback_data.v == 1 else Export.LABELS
    name, data = await campaigns.export(session, actor, callback_data.c, how, i18n, settings.tz)
    await query.answer()
    await query.message.answer_document(
        BufferedInputFile(data, filename=name), caption=i18n("campaigns.xlsx_caption", how=how)
    )


# --- supervisors: a questionnaire sent as YAML -------------------------------------------------


async def form_sent(
    message: Message, session: AsyncSession, actor: Actor, i18n: I18n, bot: Bot
) -> None:
    document = message.document
    if (document.file_size or 0) > campaigns.MAX_FORM_BYTES:
        await message.answer(i18n("campaigns.form_too_big", kb=campaigns.MAX_FORM_BYTES // 1024))
        return
    content = (await bot.download(document)).read()
    try:
        text = content.decode("utf-8")
    except UnicodeDecodeError:
        await message.answer(views.refused_text([i18n("campaigns.not_utf8")], i18n))
        return
    outcome = await campaigns.add_form(session, actor, text, document.file_name or "form.yaml")
    if isinstance(outcome, campaigns.FormRefused):
        await message.answer(views.refused_text(outcome.problems, i18n))
        return
    await message.answer(
        i18n(
            "campaigns.form_added", title=outcome.title, key=outcome.key, replaced=outcome.replaced
        )
    )


def _yaml_document(message: Message) -> bool:
    return (message.document.file_name or "").lower().endswith((".yaml", ".yml"))


def form_hooks(hooks: FormHooks) -> None:
    hooks.add(WHEN_FORM, when_submitted, announces=True)
    hooks.add(RANGE_FORM, range_submitted, announces=True)


def create_router() -> Router:
    router = Router(name=__name__)
    staff = Router(name=f"{__name__}.staff")
    staff.message.filter(Can(Action.CAMPAIGN_PUSH))
    staff.callback_query.filter(Can(Action.CAMPAIGN_PUSH))
    staff.message.register(list_campaigns, Command("campaign"))
    staff.callback_query.register(form_pressed, CampaignForm.filter())
    for action, handler in (
        (Do.LIST, list_pressed),
        (Do.NEW, new_pressed),
        (Do.KIND, kind_pressed),
        (Do.CLASSES, classes_pressed),
        (Do.CLASS, class_pressed),
        (Do.STATE, state_pressed),
        (Do.NOW, now_pressed),
        (Do.LATER, later_pressed),
        (Do.CONFIRM, confirm_pressed),
        (Do.OPEN, open_pressed),
        (Do.WAITING, waiting_pressed),
        (Do.REMIND, remind_pressed),
        (Do.CANCEL, cancel_pressed),
        (Do.RESULTS, results_pressed),
        (Do.XLSX, xlsx_pressed),
    ):
        staff.callback_query.register(handler, CampaignDo.filter(F.a == action))
    adding = Router(name=f"{__name__}.forms")
    adding.message.filter(Can(Action.FORM_ADD))
    adding.message.register(form_sent, F.document, _yaml_document)
    router.include_routers(staff, adding)
    return router
