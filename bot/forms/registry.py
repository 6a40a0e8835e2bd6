"""All form definitions shipped in templates/forms/, plus those in the optional FORMS_DIR,
loaded and checked once at start-up."""

from __future__ import annotations

from functools import cache
from pathlib import Path

from bot.forms.schema import FormDefinition, FormDefinitionError, load_definition
from bot.i18n import TEMPLATES_DIR

FORMS_DIR = TEMPLATES_DIR / "forms"
_directories = [FORMS_DIR]


def load(extra: Path | None = None) -> dict[str, FormDefinition]:
    """Use the shipped definitions and those in `extra` (setting FORMS_DIR: an institution's
    own forms), all checked now, so a broken one stops start-up."""
    if extra is not None and not extra.is_dir():
        raise FormDefinitionError(f"{extra}: FORMS_DIR is not a directory")
    _directories[1:] = [extra] if extra is not None else []
    forms.cache_clear()
    return forms()


@cache
def forms() -> dict[str, FormDefinition]:
    """Every definition by id; raises FormDefinitionError naming the file and the question."""
    found: dict[str, FormDefinition] = {}
    for directory in _directories:
        for path in sorted(directory.glob("*.yaml")):
            form = load_definition(path)
            if form.id in found:
                raise FormDefinitionError(f"{path}: form id {form.id!r} is used by two files")
            found[form.id] = form
    return found


_stored: dict[str, FormDefinition] = {}
"""Questionnaires supervisors added (table custom_form), registered by bot.services.campaigns
when one is added or first used, and at start-up."""


def remember(definition: FormDefinition) -> None:
    """Make a questionnaire from the store findable by `form` (a newer version replaces it)."""
    if definition.id in forms():
        raise FormDefinitionError(f"form id {definition.id!r} is a shipped form")
    _stored[definition.id] = definition


def known(form_id: str) -> bool:
    return form_id in forms() or form_id in _stored


def form(form_id: str) -> FormDefinition:
    """The one lookup of a form by id: the files (shipped and FORMS_DIR), then the store's."""
    found = forms().get(form_id)
    return found if found is not None else _stored[form_id]
