"""`python -m bot` runs the product; `python -m bot migrate` only applies migrations."""

from __future__ import annotations

import asyncio
import signal
import sys

from bot.app import Product, freeze_startup_heap
from bot.config import Settings
from bot.i18n import text
from bot.logs import setup_logging
from storage.db import create_engine
from storage.migrate import DatabaseTooNew, upgrade_database

USAGE = "usage: python -m bot [run|migrate]"


async def migrate(settings: Settings) -> None:
    engine = create_engine(settings.database_url)
    try:
        revision = await upgrade_database(engine)
    finally:
        await engine.dispose()
    print(f"database at revision {revision}")


async def run(settings: Settings) -> None:
    product = Product(settings)
    stop = asyncio.Event()
    loop = asyncio.get_running_loop()
    for sig in (signal.SIGINT, signal.SIGTERM):
        loop.add_signal_handler(sig, stop.set)
    try:
        await product.start()
        freeze_startup_heap()
        if settings.demo_data:
            print(
                text(
                    settings.default_locale,
                    "demo.console",
                    home=product.base_url,
                    cards=await product.demo_links(settings.default_locale),
                ),
                flush=True,
            )
        await stop.wait()
    finally:
        await product.stop()


def main(argv: list[str]) -> int:
    command = argv[0] if argv else "run"
    if command not in ("run", "migrate"):
        print(USAGE, file=sys.stderr)
        return 2
    settings = Settings()
    setup_logging(settings.log_level)
    try:
        asyncio.run(migrate(settings) if command == "migrate" else run(settings))
    except DatabaseTooNew as error:
        print(error, file=sys.stderr)
        return 3
    return 0


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
