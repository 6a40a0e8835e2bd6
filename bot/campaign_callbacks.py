"""Buttons of campaigns (handled by handlers/campaigns; the scan's pushes carry `CampaignReply`)."""

from __future__ import annotations

from enum import StrEnum

from aiogram.filters.callback_data import CallbackData


class Do(StrEnum):
    """What a staff button on a campaign does; `v` is its number where it needs one."""

    LIST = "list"
    """Page `v` of the campaigns."""
    NEW = "new"
    """The forms that may be pushed (starts a new campaign)."""
    OPEN = "open"
    """The campaign's live counts."""
    KIND = "kind"
    """Choose the selection's kind: `v` is its index in `Selection`."""
    CLASSES = "classes"
    """Page `v` of the classes to choose from."""
    CLASS = "class"
    """Class `v` is the selection."""
    STATE = "state"
    """Trainees in state `v` (index in `TraineeState`) are the selection."""
    NOW = "now"
    LATER = "later"
    CONFIRM = "confirm"
    WAITING = "waiting"
    """Page `v` of who has not answered."""
    REMIND = "remind"
    CANCEL = "cancel"
    RESULTS = "results"
    XLSX = "xlsx"
    """The answers as .xlsx: `v` 0 labels, 1 codes."""


class CampaignDo(CallbackData, prefix="cpn"):
    a: Do
    c: int
    v: int = 0


class CampaignForm(CallbackData, prefix="cpf"):
    """Push form `k` (a new draft campaign)."""

    k: str


class Answer(StrEnum):
    FILL = "fill"
    STOP = "stop"


class CampaignReply(CallbackData, prefix="cpr"):
    """A recipient's button on the push: fill campaign `c`'s form in, or stop receiving."""

    a: Answer
    c: int
