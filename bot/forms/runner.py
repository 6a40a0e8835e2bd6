"""Where a person is in a form: which questions apply now, which comes next, what to submit.

Pure logic over a definition and the answers so far, so the same rules drive the first pass,
Back, Skip, resuming days later, and editing an answer on the review screen (after an edit
the next question is the first one that now applies and has no answer yet).
Answers are a flat mapping: `name`, or `group.2.child` inside the second repeat, or `name.2`
for the second item of a question asked `for_each` item of a list in the draft's context
(e.g. once per teacher of the class).
"""

from __future__ import annotations

import re
from collections.abc import Mapping
from dataclasses import dataclass
from datetime import date
from typing import Any

from bot.forms.expr import ExpressionError
from bot.forms.schema import FormDefinition, Question, QuestionType

ISO_DAY = re.compile(r"^\d{4}-\d{2}-\d{2}$")
NOT_ASKED = {QuestionType.COMPUTED, QuestionType.REPEAT}


@dataclass(frozen=True)
class Slot:
    """One question at one place: top level, or inside repeat `index` (1-based) of `group`."""

    key: str
    question: Question
    group: str | None = None
    index: int | None = None

    @property
    def asked(self) -> bool:
        return self.question.type not in NOT_ASKED


def scope(answers: Mapping[str, Any], slot: Slot | None = None) -> dict[str, Any]:
    """Answers as expressions see them: ISO dates as dates, and inside a repeat group the
    siblings of the same repetition under their plain names."""
    view = {key: _typed(value) for key, value in answers.items()}
    if slot is not None and slot.group is not None:
        prefix = f"{slot.group}.{slot.index}."
        for key, value in answers.items():
            if key.startswith(prefix):
                view[key.removeprefix(prefix)] = _typed(value)
    return view


def _typed(value: Any) -> Any:
    if isinstance(value, str) and ISO_DAY.match(value):
        try:
            return date.fromisoformat(value)
        except ValueError:
            return value
    return value


class FormRun:
    """A definition with the answers given so far; computed values are filled in on the way."""

    def __init__(
        self,
        form: FormDefinition,
        answers: Mapping[str, Any],
        today: date,
        context: Mapping[str, Any] | None = None,
    ) -> None:
        self.form = form
        self.today = today
        self.context = context or {}
        self.answers = dict(answers)
        self._visible: dict[str, Any] = {name: self.context.get(name) for name in form.context}
        self.slots = self._expand()
        self.asked = [slot for slot in self.slots if slot.asked]

    def _applies(self, slot: Slot) -> bool:
        """Relevance sees only answers to questions that apply, so an answer made irrelevant
        by an edit stops steering the rest of the form (it stays in the draft)."""
        relevant = slot.question.relevant
        if relevant is None:
            return True
        try:
            return relevant.truthy(scope(self._visible, slot), today=self.today)
        except ExpressionError:
            return False

    def _include(self, slot: Slot) -> None:
        if slot.question.type is QuestionType.COMPUTED:
            self.answers[slot.key] = self._compute(slot)
        prefix = slot.key.removesuffix(slot.question.id)
        for key in (slot.key, *(prefix + name for name in slot.question.derived_names)):
            if key in self.answers:
                self._visible[key] = self.answers[key]

    def _expand(self) -> list[Slot]:
        slots: list[Slot] = []
        for question in self.form.questions():
            if question.for_each is not None:
                slots.extend(self._per_item(question))
                continue
            slot = Slot(question.id, question)
            if not self._applies(slot):
                continue
            self._include(slot)
            slots.append(slot)
            if question.type is QuestionType.REPEAT:
                slots.extend(self._repeat(question))
        return slots

    def _per_item(self, question: Question) -> list[Slot]:
        items = self.context.get(question.for_each) or []
        slots = []
        for number, item in enumerate(items, start=1):
            slot = Slot(f"{question.id}.{number}", question.for_item(str(item)))
            if self._applies(slot):
                self._include(slot)
                slots.append(slot)
        return slots

    def _repeat(self, group: Question) -> list[Slot]:
        try:
            count = group.count.evaluate(scope(self._visible), today=self.today)
            count = max(0, min(int(count or 0), group.max_count))
        except (ExpressionError, TypeError, ValueError):
            count = 0
        slots = []
        for index in range(1, count + 1):
            for child in group.questions:
                slot = Slot(f"{group.id}.{index}.{child.id}", child, group.id, index)
                if self._applies(slot):
                    self._include(slot)
                    slots.append(slot)
        return slots

    def _compute(self, slot: Slot) -> Any:
        try:
            value = slot.question.calculation.evaluate(scope(self._visible, slot), today=self.today)
        except ExpressionError:
            return None
        return value.isoformat() if isinstance(value, date) else value

    def slot(self, key: str | None) -> Slot | None:
        return next((slot for slot in self.asked if slot.key == key), None)

    def next_open(self, after: str | None = None) -> Slot | None:
        """The first question after `after` (or from the start) that applies and is unanswered.

        A skipped optional question counts as answered (its answer is None)."""
        keys = [slot.key for slot in self.asked]
        start = keys.index(after) + 1 if after in keys else 0
        for slot in self.asked[start:]:
            if slot.key not in self.answers:
                return slot
        if after is not None and start:
            return next((slot for slot in self.asked[:start] if slot.key not in self.answers), None)
        return None

    def previous(self, key: str) -> Slot | None:
        keys = [slot.key for slot in self.asked]
        if key not in keys:
            return self.asked[-1] if self.asked else None
        index = keys.index(key)
        return self.asked[index - 1] if index > 0 else None

    def progress(self, key: str) -> tuple[int, int]:
        """(number of this question, how many apply now), both counting from 1."""
        keys = [slot.key for slot in self.asked]
        return (keys.index(key) + 1 if key in keys else len(keys), len(keys))

    def final_answers(self) -> dict[str, Any]:
        """What is submitted: answers to questions that apply, computed and derived values;
        answers to questions an edit made irrelevant are dropped."""
        kept: dict[str, Any] = {}
        for slot in self.slots:
            if slot.key in self.answers:
                kept[slot.key] = self.answers[slot.key]
            for name in slot.question.derived_names:
                derived = name if slot.group is None else f"{slot.group}.{slot.index}.{name}"
                if derived in self.answers:
                    kept[derived] = self.answers[derived]
        return kept
