"""S-53: the export files drawn without a bot: every table a sheet, answers first under their
labels, texts that Excel refuses (control characters, over-long cells) cleaned, not fatal."""

from __future__ import annotations

import io
import json

from openpyxl import load_workbook

from bot.i18n import I18n
from bot.services.personal_data import Answer, Export
from bot.views.personal_data import CELL_LIMIT, export_json, export_xlsx


def test_s53_the_export_opens_in_excel_whatever_the_texts():
    export = Export(
        tables={
            "person": [{"id": 1, "first_name": "欧阳\x0b锦绣", "last_seen_at": "2026-12-01"}],
            "outbox": [{"id": 7, "payload": {"text": "x" * 40_000}}],
        },
        answers=[Answer("registration", "登记表", 3, "2026-12-01", True, "姓名", "欧阳锦绣")],
        chat=[{"message_id": 1, "text": "/mydata"}],
    )
    book = load_workbook(io.BytesIO(export_xlsx(export, I18n("zh-CN"))), read_only=True)
    assert book.sheetnames == ["表单回答", "person", "outbox", "web_chat"]
    rows = list(book["表单回答"].iter_rows(values_only=True))
    assert rows[0] == ("表单", "提交时间", "当前版本", "问题", "回答")
    assert rows[1][3:] == ("姓名", "欧阳锦绣")
    assert list(book["person"].iter_rows(values_only=True))[1][1] == "欧阳锦绣"
    assert len(list(book["outbox"].iter_rows(values_only=True))[1][1]) == CELL_LIMIT
    document = json.loads(export_json(export))
    assert document["tables"]["outbox"][0]["payload"]["text"] == "x" * 40_000
    assert document["answers"][0]["value"] == "欧阳锦绣"
