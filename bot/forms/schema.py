"""What a form definition file may say: the useful core of XLSForm, checked at start-up.

A broken definition stops start-up with the file, the question and the reason, so a wording
change by an institution can never break a conversation half-way.
"""

from __future__ import annotations

import re
from enum import StrEnum
from pathlib import Path
from typing import Any

import yaml
from pydantic import BaseModel, ConfigDict, Field, ValidationError, field_validator, model_validator

from bot.forms.expr import Expression, ExpressionError, compile_expression

IDENTIFIER = re.compile(r"^[a-z][a-z0-9_]{0,39}$")


class QuestionType(StrEnum):
    TEXT = "text"
    INTEGER = "integer"
    DECIMAL = "decimal"
    DATE = "date"
    SINGLE = "single"
    MULTIPLE = "multiple"
    YES_NO = "yes_no"
    RATING = "rating"
    SCALE = "scale"
    MOBILE = "mobile"
    ID_CARD = "id_card"
    REGION = "region"
    LOCATION = "location"
    PHOTO = "photo"
    FILE = "file"
    NOTE = "note"
    ACKNOWLEDGEMENT = "acknowledgement"
    COMPUTED = "computed"
    REPEAT = "repeat"


ASKED_WITHOUT_ANSWER = {QuestionType.NOTE, QuestionType.COMPUTED, QuestionType.REPEAT}
NOT_PER_ITEM = {QuestionType.COMPUTED, QuestionType.REPEAT}
WITH_CHOICES = {QuestionType.SINGLE, QuestionType.MULTIPLE}
PERSONAL = {QuestionType.ID_CARD, QuestionType.MOBILE}
DERIVED = {
    QuestionType.ID_CARD: ("birth_date", "age", "gender"),
    QuestionType.REGION: ("province", "city"),
}


class LocalText(BaseModel):
    """A label in every locale we speak; a definition missing one is refused."""

    model_config = ConfigDict(extra="forbid", populate_by_name=True)

    zh_cn: str = Field(alias="zh-CN", min_length=1)
    en: str = Field(min_length=1)

    def __call__(self, locale: str) -> str:
        return self.zh_cn if locale == "zh-CN" else self.en


class Choice(BaseModel):
    model_config = ConfigDict(extra="forbid")

    value: str
    label: LocalText

    @field_validator("value")
    @classmethod
    def _value(cls, value: str) -> str:
        if not IDENTIFIER.match(value):
            raise ValueError(f"choice value {value!r} must be lower-case letters, digits and _")
        return value


class Question(BaseModel):
    model_config = ConfigDict(extra="forbid", arbitrary_types_allowed=True)

    id: str
    type: QuestionType
    label: LocalText
    hint: LocalText | None = None
    required: bool = False
    required_message: LocalText | None = None
    constraint: Expression | None = None
    constraint_message: LocalText | None = None
    relevant: Expression | None = None
    calculation: Expression | None = None
    choices: list[Choice] = []
    min_selected: int | None = None
    max_selected: int | None = None
    minimum: float | None = None
    maximum: float | None = None
    max_length: int = 500
    max_files: int = 1
    max_size_mb: float = 20
    accept: list[str] = []
    count: Expression | None = None
    max_count: int = 10
    questions: list[Question] = []
    for_each: str | None = None

    @field_validator("id")
    @classmethod
    def _id(cls, value: str) -> str:
        if not IDENTIFIER.match(value):
            raise ValueError(f"question id {value!r} must be lower-case letters, digits and _")
        return value

    @field_validator("constraint", "relevant", "calculation", "count", mode="before")
    @classmethod
    def _expression(cls, value: Any) -> Any:
        if value is None or isinstance(value, Expression):
            return value
        try:
            return compile_expression(str(value))
        except ExpressionError as error:
            raise ValueError(f"expression {value!r}: {error}") from error

    @model_validator(mode="after")
    def _shape(self) -> Question:
        kind = self.type
        if kind in WITH_CHOICES and len(self.choices) < 2:
            raise ValueError("a single or multiple choice question needs at least two choices")
        if kind not in WITH_CHOICES and self.choices:
            raise ValueError(f"a {kind} question has no choices")
        if len({choice.value for choice in self.choices}) != len(self.choices):
            raise ValueError("choice values must be unique")
        if kind is QuestionType.MULTIPLE:
            low, high = self.min_selected or 0, self.max_selected or len(self.choices)
            if not 0 <= low <= high <= len(self.choices):
                raise ValueError("min_selected/max_selected do not fit the choices")
        if kind is QuestionType.COMPUTED and self.calculation is None:
            raise ValueError("a computed question needs a calculation")
        if kind is QuestionType.REPEAT and (not self.questions or self.count is None):
            raise ValueError("a repeat group needs questions and a count")
        if kind is not QuestionType.REPEAT and self.questions:
            raise ValueError("only a repeat group contains questions")
        if any(child.type is QuestionType.REPEAT for child in self.questions):
            raise ValueError("repeat groups cannot be nested")
        if any(child.for_each for child in self.questions):
            raise ValueError("a question inside a repeat group cannot have for_each")
        if self.for_each is not None and (
            not IDENTIFIER.match(self.for_each) or kind in NOT_PER_ITEM or kind in DERIVED
        ):
            raise ValueError(f"for_each {self.for_each!r} does not fit a {kind} question")
        if kind in ASKED_WITHOUT_ANSWER and self.required:
            raise ValueError(f"a {kind} is never answered, so it cannot be required")
        return self

    def for_item(self, item: str) -> Question:
        """This question about one item of its `for_each` list: `{item}` in the label and
        hint becomes the item's name (a teacher's, a module's)."""

        def named(text: LocalText | None) -> LocalText | None:
            if text is None:
                return None
            return LocalText(
                zh_cn=text.zh_cn.replace("{item}", item), en=text.en.replace("{item}", item)
            )

        return self.model_copy(update={"label": named(self.label), "hint": named(self.hint)})

    @property
    def personal(self) -> bool:
        return self.type in PERSONAL

    @property
    def derived_names(self) -> tuple[str, ...]:
        """Answers computed from this one (see bot.forms.answers.derived)."""
        suffixes = DERIVED.get(self.type, ())
        return tuple(f"{self.id}_{suffix}" for suffix in suffixes)


class Section(BaseModel):
    model_config = ConfigDict(extra="forbid")

    id: str
    title: LocalText
    questions: list[Question]


class FormDefinition(BaseModel):
    model_config = ConfigDict(extra="forbid")

    id: str
    version: int = 1
    title: LocalText
    intro: LocalText | None = None
    editable: bool = False
    pushable: bool = False
    """Institutions and supervisors may push it to trainees as a campaign (/campaign)."""
    context: list[str] = []
    """Values of the draft's context (set by whoever starts the form, e.g. `last_day` of a
    daily feedback) that `relevant`, `count` and `calculation` may read as ${name}."""
    sections: list[Section]

    @field_validator("id")
    @classmethod
    def _id(cls, value: str) -> str:
        if not IDENTIFIER.match(value):
            raise ValueError(f"form id {value!r} must be lower-case letters, digits and _")
        return value

    @field_validator("context")
    @classmethod
    def _context(cls, names: list[str]) -> list[str]:
        for name in names:
            if not IDENTIFIER.match(name):
                raise ValueError(f"context name {name!r} must be lower-case letters, digits and _")
        return names

    @model_validator(mode="after")
    def _references(self) -> FormDefinition:
        """Every ${name} refers to a question asked earlier (or a sibling in the same group),
        or, outside constraints, to a declared context value."""
        seen: set[str] = set(self.context)
        for question in self.questions():
            if question.id in seen:
                raise ValueError(f"question id {question.id!r} is used twice")
            _check_refs(question, seen, "", set(self.context))
            seen.add(question.id)
            seen.update(question.derived_names)
            if question.type is QuestionType.REPEAT:
                inner: set[str] = set()
                for child in question.questions:
                    if child.id in inner or child.id in seen:
                        raise ValueError(f"question id {child.id!r} is used twice")
                    _check_refs(child, seen | inner, f"{question.id}.", set(self.context))
                    inner.add(child.id)
        return self

    def questions(self) -> list[Question]:
        return [question for section in self.sections for question in section.questions]


def _check_refs(question: Question, known: set[str], prefix: str, context: set[str]) -> None:
    for name in ("relevant", "constraint", "calculation", "count"):
        expression: Expression | None = getattr(question, name)
        if expression is None:
            continue
        readable = known - context if name == "constraint" else known
        unknown = sorted(expression.names - readable)
        if unknown:
            raise ValueError(
                f"question {prefix}{question.id!r}: {name} refers to {', '.join(unknown)}, "
                "which is not a question asked before it"
            )


class FormDefinitionError(ValueError):
    """A definition file that cannot be used; the message names the file, question and reason.
    `problems` lists the reasons one by one (a supervisor's upload is refused with them)."""

    def __init__(self, message: str, problems: list[str] | None = None) -> None:
        super().__init__(message)
        self.problems = problems if problems is not None else [message]


def load_definition(path: Path) -> FormDefinition:
    return parse_definition(path.read_text(encoding="utf-8"), str(path))


def parse_definition(text: str, source: str) -> FormDefinition:
    """A definition from its YAML text (a file at start-up, or a document a supervisor sent);
    `source` names it in the error."""
    try:
        data = yaml.safe_load(text)
    except yaml.YAMLError as error:
        raise FormDefinitionError(
            f"{source}: not valid YAML: {error}", [f"not valid YAML: {error}"]
        ) from error
    if not isinstance(data, dict):
        raise FormDefinitionError(f"{source}: not a form definition", ["not a form definition"])
    try:
        return FormDefinition.model_validate(data)
    except ValidationError as error:
        problems = [
            f"{_where(data, err['loc'])}{_field(err['loc'])}: {err['msg']}"
            for err in error.errors()
        ]
        raise FormDefinitionError(f"{source}: {'; '.join(problems)}", problems) from error


def _field(loc: tuple[Any, ...]) -> str:
    """The named field an error is about, after the last list index ("title.en")."""
    names: list[str] = []
    for part in reversed(loc):
        if not isinstance(part, str):
            break
        names.insert(0, part)
    return f" {'.'.join(names)}" if names else ""


def _where(data: Any, loc: tuple[Any, ...]) -> str:
    """Turn a pydantic error location into 'question <id>' when it points inside one."""
    node, where = data, "form"
    for part in loc:
        try:
            node = node[part]
        except (KeyError, IndexError, TypeError):
            break
        if isinstance(node, dict) and "id" in node and "type" in node:
            where = f"question {node['id']!r}"
    return where
