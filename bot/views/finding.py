"""Finding training without an invitation: the offer on /start, the regions, an region's
institutions (20 a page, ◀ ▶ with the count). Pure builders."""

from __future__ import annotations

from collections.abc import Sequence
from enum import StrEnum

from aiogram.filters.callback_data import CallbackData
from aiogram.types import InlineKeyboardButton, InlineKeyboardMarkup

from bot.i18n import I18n
from bot.views.pages import paged, turns
from storage.models import Institution, Region


class Step(StrEnum):
    REGIONS = "r"  # the regions, page p
    REGION = "g"  # region i's institutions, page p
    INSTITUTION = "i"  # register with institution i


class Find(CallbackData, prefix="fnd"):
    """A step of finding training: `i` the region or institution, `p` the page (from 0)."""

    a: Step
    i: int = 0
    p: int = 0


Rendered = tuple[str, InlineKeyboardMarkup]


def offer_markup(i18n: I18n) -> InlineKeyboardMarkup:
    """The /start button of someone with no role yet."""
    button = InlineKeyboardButton(
        text=i18n("start.b_find"), callback_data=Find(a=Step.REGIONS).pack()
    )
    return InlineKeyboardMarkup(inline_keyboard=[[button]])


def regions_view(i18n: I18n, regions: Sequence[Region], page: int) -> Rendered:
    shown, page, pages = paged(regions, page)
    rows = [
        [InlineKeyboardButton(text=r.name, callback_data=Find(a=Step.REGION, i=r.id).pack())]
        for r in shown
    ]
    moves = turns(i18n, page, pages, lambda number: Find(a=Step.REGIONS, p=number))
    if moves:
        rows.append(moves)
    text = i18n("start.find_regions", count=len(regions), page=page + 1, pages=pages)
    return text, InlineKeyboardMarkup(inline_keyboard=rows)


def institutions_view(
    i18n: I18n, region: Region, institutions: Sequence[Institution], page: int
) -> Rendered:
    shown, page, pages = paged(institutions, page)
    rows = [
        [
            InlineKeyboardButton(
                text=item.name, callback_data=Find(a=Step.INSTITUTION, i=item.id).pack()
            )
        ]
        for item in shown
    ]
    moves = turns(i18n, page, pages, lambda number: Find(a=Step.REGION, i=region.id, p=number))
    if moves:
        rows.append(moves)
    rows.append(
        [
            InlineKeyboardButton(
                text=i18n("start.b_find_regions"), callback_data=Find(a=Step.REGIONS).pack()
            )
        ]
    )
    text = i18n(
        "start.find_institutions",
        region=region.name,
        count=len(institutions),
        page=page + 1,
        pages=pages,
    )
    return text, InlineKeyboardMarkup(inline_keyboard=rows)
