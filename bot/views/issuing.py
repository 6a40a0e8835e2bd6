"""Issued certificates in chat: the application staff draft from the class card, the card the
supervisor decides on, the holder's /certificate list, a verification and a lookup with its
Revoke button. Pure builders: text and keyboard from plain data (tests call them with no bot).
"""

from __future__ import annotations

from dataclasses import dataclass
from enum import StrEnum
from typing import TYPE_CHECKING

from aiogram.filters.callback_data import CallbackData
from aiogram.types import InlineKeyboardButton, InlineKeyboardMarkup

from bot.i18n import I18n
from bot.views.pages import Page, turns, with_turns

if TYPE_CHECKING:
    from bot.services.issuing import Verification
    from storage.models import CertificateApplication, IssuedCertificate, TrainingClass


class CertApply(CallbackData, prefix="cap"):
    """Open the certificate application of class `c` (from the class card)."""

    c: int


class Drafting(StrEnum):
    TOGGLE = "t"
    PAGE = "g"
    SUBMIT = "s"


class ApplyCb(CallbackData, prefix="cas"):
    """Staff on draft application `i`: toggle learner `p`, turn to page `g`, submit."""

    a: Drafting
    i: int
    p: int = 0
    g: int = 0


class Reviewing(StrEnum):
    TOGGLE = "t"
    PAGE = "g"
    APPROVE = "ok"
    REJECT_ALL = "no"


class ReviewCb(CallbackData, prefix="crv"):
    """The supervisor on application `i`: approve or not learner `p`, page `g`, decide."""

    a: Reviewing
    i: int
    p: int = 0
    g: int = 0


class Held(StrEnum):
    FETCH = "pdf"
    REVOKE = "rv"


class CertCb(CallbackData, prefix="cer"):
    """Certificate `i`: send its PDF again (its holder), revoke it (the supervisor)."""

    a: Held
    i: int


@dataclass(frozen=True)
class Line:
    """One learner on an application, as its cards list them."""

    person_id: int
    name: str
    stage: str | None
    final: float | None
    selectable: bool
    selected: bool
    chosen: bool
    status: str


@dataclass(frozen=True)
class Sheet:
    """An application as its cards show it."""

    application: CertificateApplication
    training_class: TrainingClass
    institution: str
    lines: list[Line]

    @property
    def selected(self) -> list[Line]:
        return [line for line in self.lines if line.selected]

    @property
    def chosen(self) -> list[Line]:
        return [line for line in self.selected if line.chosen]


def _button(text: str, data: CallbackData) -> list[InlineKeyboardButton]:
    return [InlineKeyboardButton(text=text, callback_data=data.pack())]


def draft_view(i18n: I18n, sheet: Sheet, page: int = 0) -> tuple[str, InlineKeyboardMarkup]:
    """Staff's application: every learner with their result, 20 a page; those who passed can
    be ticked on or off; Submit sends it to the supervisor."""
    application = sheet.application
    shown = Page.of(sheet.lines, page)
    text = i18n(
        "issuing.draft",
        name=sheet.training_class.name,
        status=application.status,
        lines=shown.items,
        selected=len(sheet.selected),
        total=len(sheet.lines),
        page=shown.page + 1,
        pages=shown.pages,
    )
    rows: list[list[InlineKeyboardButton]] = []
    editable = application.status == "draft"
    if editable:
        for line in shown.items:
            if line.selectable:
                label = i18n("issuing.b_line", on=line.selected, name=line.name)
                data = ApplyCb(a=Drafting.TOGGLE, i=application.id, p=line.person_id, g=shown.page)
                rows.append(_button(label, data))
    rows = with_turns(
        rows,
        turns(
            i18n, shown.page, shown.pages, lambda g: ApplyCb(a=Drafting.PAGE, i=application.id, g=g)
        ),
    )
    if editable:
        rows.append(
            _button(
                i18n("issuing.b_submit", count=len(sheet.selected)),
                ApplyCb(a=Drafting.SUBMIT, i=application.id),
            )
        )
    return text, InlineKeyboardMarkup(inline_keyboard=rows)


def review_card(i18n: I18n, sheet: Sheet, page: int = 0) -> tuple[str, InlineKeyboardMarkup | None]:
    """The supervisor's card: the learners applied for with their results, 20 a page, each
    ticked to approve or not; Approve issues the ticked ones (asking the reason for the rest),
    Reject all asks the reason. Decided: the outcome, no buttons."""
    application = sheet.application
    shown = Page.of(sheet.selected, page)
    text = i18n(
        "issuing.review",
        name=sheet.training_class.name,
        institution=sheet.institution,
        status=application.status,
        lines=shown.items,
        chosen=len(sheet.chosen),
        total=len(sheet.selected),
        reason=application.reason,
        page=shown.page + 1,
        pages=shown.pages,
    )
    if application.status != "pending":
        return text, None
    rows = [
        _button(
            i18n("issuing.b_choose", on=line.chosen, name=line.name),
            ReviewCb(a=Reviewing.TOGGLE, i=application.id, p=line.person_id, g=shown.page),
        )
        for line in shown.items
    ]
    rows = with_turns(
        rows,
        turns(
            i18n,
            shown.page,
            shown.pages,
            lambda g: ReviewCb(a=Reviewing.PAGE, i=application.id, g=g),
        ),
    )
    rows.append(
        [
            InlineKeyboardButton(
                text=i18n("issuing.b_approve", count=len(sheet.chosen)),
                callback_data=ReviewCb(a=Reviewing.APPROVE, i=application.id).pack(),
            ),
            InlineKeyboardButton(
                text=i18n("issuing.b_reject_all"),
                callback_data=ReviewCb(a=Reviewing.REJECT_ALL, i=application.id).pack(),
            ),
        ]
    )
    return text, InlineKeyboardMarkup(inline_keyboard=rows)


def mine_view(
    i18n: I18n, certificates: list[IssuedCertificate]
) -> tuple[str, InlineKeyboardMarkup | None]:
    """The holder's certificates, each with a button that sends its PDF again."""
    text = i18n("issuing.mine", certificates=certificates)
    rows = [
        _button(i18n("issuing.b_fetch", number=cert.number), CertCb(a=Held.FETCH, i=cert.id))
        for cert in certificates
        if cert.revoked_at is None
    ]
    return text, InlineKeyboardMarkup(inline_keyboard=rows) if rows else None


def verification_view(
    i18n: I18n, verification: Verification | None, *, revocable: bool = False
) -> tuple[str, InlineKeyboardMarkup | None]:
    """A check's answer: the certificate's masked holder and standing, or not found; with a
    Revoke button for a supervisor who may revoke it."""
    if verification is None:
        return i18n("issuing.not_found"), None
    text = i18n("issuing.verification", v=verification)
    if not revocable or verification.standing != "valid":
        return text, None
    data = CertCb(a=Held.REVOKE, i=verification.certificate_id)
    return text, InlineKeyboardMarkup(inline_keyboard=[_button(i18n("issuing.b_revoke"), data)])


def apply_button(i18n: I18n, class_id: int) -> InlineKeyboardButton:
    """The class card's button to the certificate application (an assessed class)."""
    return InlineKeyboardButton(
        text=i18n("issuing.b_apply"), callback_data=CertApply(c=class_id).pack()
    )
