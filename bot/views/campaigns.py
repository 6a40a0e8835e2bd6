"""Campaign cards (text + keyboard), pure: the /campaign steps, the live counts, who has not
answered, the aggregate, and a refused questionnaire's reasons. Handlers render them."""

from __future__ import annotations

from datetime import tzinfo

from aiogram.types import InlineKeyboardButton, InlineKeyboardMarkup

from bot.campaign_callbacks import CampaignDo, CampaignForm, Do
from bot.domain.campaigns import SHOWN, Reply, Selection, Status, TraineeState, option_label
from bot.i18n import I18n
from bot.services.campaigns import Dashboard, Preview, Results
from bot.views.pages import Page, turns, with_turns
from storage.models import Campaign, TrainingClass

Card = tuple[str, InlineKeyboardMarkup]

SELECTIONS = list(Selection)
STATES = list(TraineeState)


def _button(text: str, action: Do, campaign_id: int, value: int = 0) -> InlineKeyboardButton:
    return InlineKeyboardButton(
        text=text, callback_data=CampaignDo(a=action, c=campaign_id, v=value).pack()
    )


def _markup(rows: list[list[InlineKeyboardButton]]) -> InlineKeyboardMarkup:
    return InlineKeyboardMarkup(inline_keyboard=rows)


def campaigns_list(page: Page[tuple[Campaign, str]], may_add: bool, i18n: I18n) -> Card:
    rows = [
        [
            _button(
                i18n("campaigns.list_line", title=title, status=campaign.status, id=campaign.id),
                Do.OPEN,
                campaign.id,
            )
        ]
        for campaign, title in page.items
    ]
    rows = with_turns(
        rows, turns(i18n, page.page, page.pages, lambda p: CampaignDo(a=Do.LIST, c=0, v=p))
    )
    rows.append([_button(i18n("campaigns.new"), Do.NEW, 0)])
    text = i18n(
        "campaigns.list", total=page.total, page=page.page + 1, pages=page.pages, may_add=may_add
    )
    return text, _markup(rows)


def forms_menu(forms: list[tuple[str, str]], i18n: I18n) -> Card:
    rows = [
        [InlineKeyboardButton(text=title, callback_data=CampaignForm(k=key).pack())]
        for key, title in forms
    ]
    return i18n("campaigns.pick_form", count=len(forms)), _markup(rows)


def kind_menu(campaign_id: int, title: str, i18n: I18n) -> Card:
    rows = [
        [_button(i18n("campaigns.kind", kind=kind), Do.KIND, campaign_id, index)]
        for index, kind in enumerate(SELECTIONS)
    ]
    return i18n("campaigns.pick_kind", title=title), _markup(rows)


def states_menu(campaign_id: int, i18n: I18n) -> Card:
    rows = [
        [_button(i18n("campaigns.state", state=state), Do.STATE, campaign_id, index)]
        for index, state in enumerate(STATES)
    ]
    return i18n("campaigns.pick_state"), _markup(rows)


def classes_menu(campaign_id: int, page: Page[TrainingClass], i18n: I18n) -> Card:
    rows = [
        [
            _button(
                i18n("campaigns.class_line", name=c.name, start=c.start_date),
                Do.CLASS,
                campaign_id,
                c.id,
            )
        ]
        for c in page.items
    ]
    rows = with_turns(
        rows,
        turns(i18n, page.page, page.pages, lambda p: CampaignDo(a=Do.CLASSES, c=campaign_id, v=p)),
    )
    text = i18n("campaigns.pick_class", total=page.total, page=page.page + 1, pages=page.pages)
    return text, _markup(rows)


def _selection(campaign: Campaign, class_name: str | None, i18n: I18n) -> str:
    selection = campaign.selection
    return i18n(
        "campaigns.selection",
        kind=selection.get("kind"),
        class_name=class_name or "",
        first=selection.get("from", ""),
        last=selection.get("to", ""),
        state=selection.get("state", ""),
    )


def preview_card(shown: Preview, tz: tzinfo, i18n: I18n) -> Card:
    """The count the selection reaches; then when: now, or a chosen time; then confirm."""
    campaign = shown.campaign
    when = campaign.send_at.astimezone(tz) if campaign.send_at is not None else None
    text = i18n(
        "campaigns.preview",
        title=shown.title,
        selection=_selection(campaign, shown.class_name, i18n),
        count=shown.count,
        when=when,
        chosen="send_at" in campaign.selection or when is not None,
    )
    rows = [
        [
            _button(i18n("campaigns.now"), Do.NOW, campaign.id),
            _button(i18n("campaigns.later"), Do.LATER, campaign.id),
        ]
    ]
    return text, _markup(rows)


def confirm_card(shown: Preview, tz: tzinfo, i18n: I18n) -> Card:
    campaign = shown.campaign
    when = campaign.send_at.astimezone(tz) if campaign.send_at is not None else None
    text = i18n(
        "campaigns.confirm_text",
        title=shown.title,
        selection=_selection(campaign, shown.class_name, i18n),
        count=shown.count,
        when=when,
    )
    rows = [
        [_button(i18n("campaigns.confirm", count=shown.count), Do.CONFIRM, campaign.id)],
        [_button(i18n("campaigns.later"), Do.LATER, campaign.id)],
    ]
    return text, _markup(rows)


def dashboard_card(shown: Dashboard, tz: tzinfo, i18n: I18n) -> Card:
    """Live counts and percentages per state, and what may be done now."""
    campaign, counts = shown.campaign, shown.counts
    lines = [
        (state, counts.by_state[state], counts.percent(state))
        for state in SHOWN
        if counts.by_state[state] or state in (Reply.SENT, Reply.COMPLETED)
    ]
    text = i18n(
        "campaigns.dashboard",
        title=shown.title,
        id=campaign.id,
        status=campaign.status,
        selection=_selection(campaign, shown.class_name, i18n),
        when=campaign.send_at.astimezone(tz) if campaign.send_at is not None else None,
        total=counts.total,
        lines=lines,
        rate=counts.answer_rate,
        reminded=campaign.reminded_at.astimezone(tz) if campaign.reminded_at else None,
    )
    rows = [
        [_button(i18n("campaigns.refresh"), Do.OPEN, campaign.id)],
        [_button(i18n("campaigns.waiting", count=counts.waiting), Do.WAITING, campaign.id)],
    ]
    if shown.may_remind:
        rows.append(
            [_button(i18n("campaigns.remind", count=counts.waiting), Do.REMIND, campaign.id)]
        )
    if campaign.status == Status.CONFIRMED and counts.by_state[Reply.QUEUED]:
        rows.append(
            [
                _button(
                    i18n("campaigns.cancel", count=counts.by_state[Reply.QUEUED]),
                    Do.CANCEL,
                    campaign.id,
                )
            ]
        )
    rows.append(
        [
            _button(i18n("campaigns.results"), Do.RESULTS, campaign.id),
            _button(i18n("campaigns.xlsx_labels"), Do.XLSX, campaign.id, 0),
            _button(i18n("campaigns.xlsx_codes"), Do.XLSX, campaign.id, 1),
        ]
    )
    rows.append([_button(i18n("campaigns.back"), Do.LIST, 0)])
    return text, _markup(rows)


def waiting_card(campaign_id: int, page: Page[tuple[str, Reply]], i18n: I18n) -> Card:
    text = i18n(
        "campaigns.waiting_list",
        names=page.items,
        total=page.total,
        page=page.page + 1,
        pages=page.pages,
    )
    rows = with_turns(
        [],
        turns(i18n, page.page, page.pages, lambda p: CampaignDo(a=Do.WAITING, c=campaign_id, v=p)),
    )
    rows.append([_button(i18n("campaigns.back"), Do.OPEN, campaign_id)])
    return text, _markup(rows)


def results_text(shown: Results, i18n: I18n) -> str:
    yes_no = (i18n("campaigns.yes"), i18n("campaigns.no"))
    questions = [
        (
            tally.question.label(i18n.locale),
            tally.answered,
            [
                (
                    option_label(tally.question, option, i18n.locale, yes_no),
                    count,
                    round(100 * count / tally.answered) if tally.answered else 0,
                )
                for option, count in tally.options
            ],
        )
        for tally in shown.tallies
    ]
    return i18n(
        "campaigns.results_text", title=shown.title, answered=shown.answered, questions=questions
    )


def refused_text(problems: list[str], i18n: I18n) -> str:
    return i18n("campaigns.form_refused", problems=problems)
