"""One line per event on stderr, tagged with the update and person, with personal data masked."""

from __future__ import annotations

import logging
import sys
from contextvars import ContextVar

from bot.privacy import redact

update_id_var: ContextVar[int | None] = ContextVar("update_id", default=None)
person_id_var: ContextVar[int | None] = ContextVar("person_id", default=None)


class _ContextFilter(logging.Filter):
    def filter(self, record: logging.LogRecord) -> bool:
        record.update_id = update_id_var.get()
        record.person_id = person_id_var.get()
        return True


class MaskingFormatter(logging.Formatter):
    """Formats, then masks ID-card and mobile numbers anywhere in the line, traceback included."""

    def format(self, record: logging.LogRecord) -> str:
        line = super().format(record)
        return redact(line).replace("\n", "\n    ")


def setup_logging(level: str = "INFO") -> None:
    handler = logging.StreamHandler(sys.stderr)
    handler.addFilter(_ContextFilter())
    handler.setFormatter(
        MaskingFormatter(
            "%(asctime)s %(levelname)s %(name)s update=%(update_id)s person=%(person_id)s "
            "%(message)s"
        )
    )
    root = logging.getLogger()
    root.handlers[:] = [handler]
    root.setLevel(level.upper())
    for noisy in ("aiohttp.access", "alembic", "apscheduler"):
        logging.getLogger(noisy).setLevel(logging.WARNING)
