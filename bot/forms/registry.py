"""All form definitions shipped in templates/forms/, loaded and checked once at start-up."""

from __future__ import annotations

from functools import cache

from bot.forms.schema import FormDefinition, FormDefinitionError, load_definition
from bot.i18n import TEMPLATES_DIR

FORMS_DIR = TEMPLATES_DIR / "forms"


@cache
def forms() -> dict[str, FormDefinition]:
    """Every definition by id; raises FormDefinitionError naming the file and the question."""
    found: dict[str, FormDefinition] = {}
    for path in sorted(FORMS_DIR.glob("*.yaml")):
        form = load_definition(path)
        if form.id in found:
            raise FormDefinitionError(f"{path}: form id {form.id!r} is used by two files")
        found[form.id] = form
    return found


def form(form_id: str) -> FormDefinition:
    return forms()[form_id]
