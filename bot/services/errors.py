"""The few ways a use case refuses. One mechanism (handlers/refusals.py) turns each into one
polite alert wording; the exception rolls the unit of work back on its way out."""

from __future__ import annotations

from typing import TypeVar

T = TypeVar("T")


class Refusal(Exception):
    """Base of the refusals; `key` names the macro that words it. A refusal may name a more
    precise message with its context (Stale: what was decided, and by whom)."""

    key = "errors.generic"

    def __init__(self, key: str | None = None, **context: object) -> None:
        super().__init__(key or type(self).key)
        if key is not None:
            self.key = key
        self.context = context


class NotAllowed(Refusal):
    """The actor's grants do not reach this object (forged or foreign button)."""

    key = "errors.not_allowed"


class NotFound(Refusal):
    """The object does not exist (any more)."""

    key = "errors.not_found"


class Stale(Refusal):
    """The object moved on since the button was drawn."""

    key = "errors.stale"


class Conflict(Refusal):
    """Someone else changed the object at the same time."""

    key = "errors.conflict"


def found(value: T | None) -> T:
    """The value, or NotFound when there is none."""
    if value is None:
        raise NotFound
    return value
