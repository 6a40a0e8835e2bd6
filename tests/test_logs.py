"""Log lines: one per event, tagged with update and person, never personal data in clear."""

from __future__ import annotations

import io
import logging

import pytest

from bot.logs import MaskingFormatter, setup_logging
from bot.privacy import mask_id_number, mask_phone, redact
from tests.chat import ChatUser


@pytest.mark.parametrize(
    ("raw", "masked"),
    [
        ("身份证11010119900307123X。", "身份证110101********123X。"),
        ("phone 13812345678,", "phone 138****5678,"),
        ("+86 13912345678", "+86 139****5678"),
        ("+86-13912345678", "+86-139****5678"),
        ("order 123456789012345678901 stays", "order 123456789012345678901 stays"),
        ("update=12345678 person=3", "update=12345678 person=3"),
    ],
)
def test_redact_masks_id_numbers_and_mobiles_only(raw, masked):
    assert redact(raw) == masked


def test_masks_for_display():
    assert mask_id_number("11010119900307123X") == "110101********123X"
    assert mask_phone("138 1234 5678") == "138****5678"
    assert mask_phone("123") == "***"


@pytest.fixture
def captured_log():
    stream = io.StringIO()
    setup_logging("INFO")
    logging.getLogger().handlers[0].stream = stream
    yield stream
    logging.getLogger().handlers[:] = []


async def test_a_conversation_logs_no_personal_data_and_tags_every_line(
    captured_log, live_app, http
):
    user = await ChatUser.create(http, live_app.base_url, "13812345678")
    await user.reply_to("/start 11010119900307123X")
    await user.send_json({"contact": {"phone_number": "13912345678"}})
    await user.expect()
    logging.getLogger("test").error(
        "boom %s", "11010119900307123X", exc_info=ValueError("13812345678")
    )
    log = captured_log.getvalue()
    assert "13812345678" not in log and "13912345678" not in log
    assert "11010119900307123X" not in log
    assert "110101********123X" in log
    handled = [line for line in log.splitlines() if "is handled" in line]
    assert handled and all("update=" in line and "person=" in line for line in handled)
    assert any("person=1 " in line for line in handled)


def test_formatter_keeps_tracebacks_on_one_indented_event():
    formatter = MaskingFormatter("%(message)s")
    try:
        raise ValueError("13812345678")
    except ValueError as error:
        record = logging.LogRecord(
            "x", logging.ERROR, "f", 1, "failed", (), (type(error), error, None)
        )
    lines = formatter.format(record).splitlines()
    assert lines[0] == "failed"
    assert all(line.startswith("    ") for line in lines[1:])
    assert "138****5678" in lines[-1]
