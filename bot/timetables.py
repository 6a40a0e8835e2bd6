"""The standard timetables shipped in templates/timetables/, one per programme, checked once."""

from __future__ import annotations

from functools import cache

from bot.domain.classes import Programme
from bot.domain.timetable import TimetableError, TimetableTemplate, load_template
from bot.i18n import TEMPLATES_DIR

TIMETABLES_DIR = TEMPLATES_DIR / "timetables"


@cache
def standard_timetables() -> dict[Programme, TimetableTemplate]:
    """Every programme's template; raises TimetableError naming the file and the problem."""
    found: dict[Programme, TimetableTemplate] = {}
    for programme in Programme:
        path = TIMETABLES_DIR / f"{programme}.yaml"
        if not path.exists():
            raise TimetableError(f"{path}: missing (every programme needs a standard timetable)")
        template = load_template(path)
        if template.programme is not programme:
            raise TimetableError(f"{path}: says programme {template.programme!r}")
        found[programme] = template
    return found


def standard(programme: Programme) -> TimetableTemplate:
    return standard_timetables()[programme]
