"""Every question type the intake forms do not use, driven through the running bot: photos,
an album, files with type and size limits, location, a repeat group with Back across it,
note, acknowledgement, decimal, scale and rating, each with its wrong inputs; then the review
screen and what the submission stores. The form is a test-only definition loaded through
the FORMS_DIR setting. Fast tier (tests/fast/harness.py); the restart test is in
tests/bot/test_question_types.py."""

from __future__ import annotations

import io
import json
from datetime import UTC, datetime
from pathlib import Path

import pytest
from PIL import Image
from sqlmodel import select

from bot.clock import ManualClock
from bot.forms import registry, service
from bot.forms.schema import FormDefinitionError
from storage.models import FormAnswer, FormSubmission, Person
from tests.bot.test_intake import ask, pick
from tests.chat import ChatUser, body, buttons

DEFINITIONS = Path(__file__).parents[1] / "forms" / "definitions"
PDF = b"%PDF-1.4\n%test\n"


def png(colour: str = "red") -> bytes:
    out = io.BytesIO()
    Image.new("RGB", (40, 30), colour).save(out, "PNG")
    return out.getvalue()


async def start_form(app, http, *, locale: str = "zh-CN") -> tuple[ChatUser, int]:
    """A person with the test form active, as a feature's begin() leaves it; their next
    message is answered with its first question."""
    user = await ChatUser.create(http, app.base_url, "李四", language_code=locale)
    await user.send("/start")
    await user.expect()
    async with app.store() as session:
        person = (await session.exec(select(Person).where(Person.tg_user_id == user.user_id))).one()
        clock = getattr(app, "product", app).clock  # a full product, or the fast harness
        await service.start(session, person.id, "all_types", {}, now=clock.now())
    return user, person.id


async def refused(user: ChatUser, message: str) -> None:
    """The bot's next message is exactly the complaint, and the question follows it."""
    assert message in body(await user.expect()), message
    await user.expect(lambda m: "●" in body(m) or "○" in body(m))


def press_number(message: dict, number: int) -> str:
    return next(b["callback_data"] for b in buttons(message) if b["text"] == str(number))


async def test_every_question_type_and_its_wrong_inputs(fast_factory, http):
    app = await fast_factory(forms_dir=DEFINITIONS)
    user, person_id = await start_form(app, http)
    await user.send("你好")
    note = await ask(user, "下面是几个关于店铺的问题")
    assert "1/" in body(note)
    await user.send("好的")
    await refused(user, "看完请点「继续 ▶」。")
    await pick(user, note, "继续")

    consent = await ask(user, "同意我们保存")
    await user.send("好的")
    await refused(user, "请点「我同意」继续。")
    await pick(user, consent, "我同意")

    await ask(user, "店铺门头照片")
    await user.send("门头还没拍")
    await refused(user, "请发送照片。")
    await user.send_file(PDF, "门头.pdf", kind="document", content_type="application/pdf")
    await refused(user, "「门头.pdf」不是图片，请发送照片。")
    storefront = await user.send_file(png(), "front.png")

    products = await ask(user, "商品照片")
    assert "最多 3 张" in body(products)
    album = [await user.send_file(png(colour), "p.png") for colour in ("green", "blue")]
    collected = await user.expect(lambda m: "已收到 2 张" in str(m.get("reply_markup")))
    await pick(user, collected, "已收到 2 张")

    await ask(user, "营业执照扫描件")
    await user.send_file(b"hello", "licence.txt", kind="document", content_type="text/plain")
    await refused(user, "不支持「licence.txt」这种文件类型，可以发送：.pdf, image/*。")
    big = PDF + b"0" * (1024 * 1024)
    await user.send_file(big, "big.pdf", kind="document", content_type="application/pdf")
    await refused(user, "「big.pdf」太大了，每个文件最多 1 MB。")
    licence = await user.send_file(PDF, "执照.pdf", kind="document")

    await ask(user, "店铺位置")
    keyboard = await user.expect(lambda m: "请点下方按钮发送位置" in body(m))
    assert keyboard["reply_markup"]["keyboard"][0][0]["request_location"] is True
    await user.send("杭州市西湖区文三路")
    # one message: what is wrong, with the location button again (the question is not repeated)
    complaint = await user.expect()
    assert body(complaint) == "请点下方「发送位置」按钮分享位置。"
    assert complaint["reply_markup"]["keyboard"][0][0]["request_location"] is True
    await user.send_location(30.27415, 120.15515)
    saved = await user.expect(lambda m: body(m).startswith("已记录"))
    assert body(saved) == "已记录：📍 30.27415, 120.15515"
    assert saved["reply_markup"] == {"remove_keyboard": True}

    await ask(user, "上月营业额")
    for wrong, message in [
        ("1,5", "请输入数字，例如 3.5。"),
        ("很多", "请输入数字，例如 3.5。"),
        ("-2", "不能小于 0。"),
    ]:
        await user.send(wrong)
        await refused(user, message)
    await user.send("１２")

    await ask(user, "你有几家网店")
    await user.send("4")
    await refused(user, "不能大于 3。")
    await user.send("2")
    first = await ask(user, "网店名称")
    assert "（第 1 项）" in body(first)
    await user.send("淘宝小店")
    await ask(user, "月订单数")
    await user.send("30")
    await ask(user, "（第 2 项）")
    await user.send("抖音小店")
    orders_2 = await ask(user, "月订单数")
    assert "（第 2 项）" in body(orders_2)
    await pick(user, orders_2, "上一题")
    name_2 = await ask(user, "网店名称")
    assert "（第 2 项）" in body(name_2) and "当前答案：抖音小店" in body(name_2)
    await pick(user, name_2, "上一题")
    orders_1 = await ask(user, "月订单数")
    assert "（第 1 项）" in body(orders_1) and "当前答案：30" in body(orders_1)
    await user.send("40")
    orders_2 = await ask(user, "月订单数")
    assert "（第 2 项）" in body(orders_2)
    await user.send("55")

    scale = await ask(user, "推荐本培训")
    assert [b["text"] for b in buttons(scale)][:11] == [str(n) for n in range(11)]
    for wrong, message in [("11", "不能大于 10。"), ("八", "请点上面的按钮选择。")]:
        await user.send(wrong)
        await refused(user, message)
    await user.press(scale["message_id"], press_number(scale, 0))

    rating = await ask(user, "总体满意度")
    assert [b["text"] for b in buttons(rating)][:5] == ["1", "2", "3", "4", "5"]
    await user.send("0")
    await refused(user, "不能小于 1。")
    await user.send("５")

    review = await user.expect(lambda m: "请核对你的回答" in body(m))
    text = body(review)
    for line in [
        "店铺门头照片：1 张照片",
        "商品照片：2 张照片",
        "营业执照扫描件：1 个文件",
        "店铺位置：📍 30.27415, 120.15515",
        "上月营业额（万元）：12\n",
        "网店名称（第 1 项）：淘宝小店",
        "月订单数（第 1 项）：40",
        "网店名称（第 2 项）：抖音小店",
        "月订单数（第 2 项）：55",
        "你有多大可能向朋友推荐本培训：0",
        "总体满意度：5",
    ]:
        assert line in text, line
    assert "下面是几个关于店铺的问题" not in text
    await pick(user, review, "提交")
    assert body(await user.expect()) == "已提交《题型测试》，谢谢！"

    sent = {key: user.messages[key] for key in (storefront, *album, licence)}
    async with app.store() as session:
        submission = (
            await session.exec(select(FormSubmission).where(FormSubmission.person_id == person_id))
        ).one()
        rows = (
            await session.exec(select(FormAnswer).where(FormAnswer.submission_id == submission.id))
        ).all()
    answers = submission.answers
    assert [f["file_id"] for f in answers["storefront"]] == [
        sent[storefront]["photo"][-1]["file_id"]
    ]
    assert [f["file_id"] for f in answers["products"]] == [
        sent[key]["photo"][-1]["file_id"] for key in album
    ]
    assert answers["licence"][0]["file_id"] == sent[licence]["document"]["file_id"]
    assert answers["licence"][0]["name"] == "执照.pdf"
    assert answers["shop_location"] == {"latitude": 30.27415, "longitude": 120.15515}
    assert answers["stores.1.store_orders"] == 40 and answers["stores.2.store_name"] == "抖音小店"
    by_question = {row.question_id: row for row in rows}
    assert by_question["revenue"].number == 12.0
    assert by_question["store_count"].number == 2.0
    assert by_question["stores.1.store_orders"].number == 40.0
    assert by_question["stores.2.store_name"].text == "抖音小店"
    assert by_question["recommend"].number == 0.0
    assert by_question["satisfaction"].number == 5.0
    assert by_question["consent"].flag is True
    stored_photos = json.loads(by_question["products"].text)
    assert [f["file_id"] for f in stored_photos] == [f["file_id"] for f in answers["products"]]
    assert json.loads(by_question["shop_location"].text) == answers["shop_location"]


async def test_album_fills_a_photo_question_to_its_limit_in_english(fast_factory, http):
    """An album as big as the limit is one answer, with no Done to press; a photo question
    skipped shows as skipped; labels and messages are in the person's language."""
    app = await fast_factory(forms_dir=DEFINITIONS)
    user, _ = await start_form(app, http, locale="en")
    await user.send("hi")
    await pick(user, await ask(user, "A few questions"), "Continue")
    await pick(user, await ask(user, "You agree"), "I agree")
    await ask(user, "shop front")
    await user.send_file(PDF, "front.pdf", kind="document", content_type="application/pdf")
    await refused(user, '"front.pdf" is not an image: please send a photo.')
    await user.send_file(png(), "front.png")
    await ask(user, "Photos of your products")
    for colour in ("red", "green", "blue"):
        await user.send_file(png(colour), "p.png")
    licence = await ask(user, "business licence")
    await pick(user, licence, "Skip")
    await ask(user, "Where the shop is")
    assert "send your location" in body(await user.expect())
    await user.send_location(31.2304, 121.4737)
    await ask(user, "turnover")
    await user.send("0.5")
    await ask(user, "How many online stores")
    await user.send("1")
    await ask(user, "Store name")
    await user.send("Tea shop")
    await pick(user, await ask(user, "Orders per month"), "Skip")
    scale = await ask(user, "recommend")
    await user.press(scale["message_id"], press_number(scale, 10))
    rating = await ask(user, "Overall satisfaction")
    await user.press(rating["message_id"], press_number(rating, 4))
    text = body(await user.expect(lambda m: "Submit" in str(m.get("reply_markup"))))
    for line in [
        "A photo of the shop front: 1 photo",
        "Photos of your products: 3 photos",
        "Last month's turnover (10k yuan): 0.5",
        "How likely are you to recommend this training: 10",
        "Overall satisfaction: 4",
        "Scan of the business licence: (not answered)",
        "Orders per month (item 1): (not answered)",
    ]:
        assert line in text, line


def test_forms_dir_adds_definitions_and_refuses_a_clash(tmp_path: Path):
    """FORMS_DIR only adds forms: a missing directory or a file reusing a shipped form's id
    stops start-up, naming it."""
    try:
        assert "all_types" in registry.load(DEFINITIONS)
        assert "all_types" not in registry.load()
        with pytest.raises(FormDefinitionError, match="missing: FORMS_DIR is not a directory"):
            registry.load(tmp_path / "missing")
        shipped = registry.FORMS_DIR / "registration.yaml"
        (tmp_path / "mine.yaml").write_text(shipped.read_text(encoding="utf-8"), encoding="utf-8")
        with pytest.raises(FormDefinitionError, match=r"mine\.yaml: form id 'registration'"):
            registry.load(tmp_path)
    finally:
        registry.load()


CLOCK_PROBE = """\
id: clock_probe
title: {zh-CN: 时钟测试, en: Clock probe}
sections:
  - id: only
    title: {zh-CN: 日期, en: Dates}
    questions:
      - id: founded
        type: date
        required: true
        label: {zh-CN: 成立时间, en: Founded on}
        constraint: ". <= today()"
        constraint_message: {zh-CN: 成立时间不能晚于今天。, en: Not in the future.}
      - id: born
        type: date
        required: true
        label: {zh-CN: 出生日期, en: Born on}
        constraint: "age(.) >= 18"
        constraint_message: {zh-CN: 须年满18岁。, en: At least 18.}
"""


async def test_date_questions_use_the_products_clock_not_the_machines(
    fast_factory, http, tmp_path: Path
):
    """With the clock at 2030-06-15 (Beijing), a date question's calendar opens on June 2030,
    "today()" is that day (2029 is not the future) and an age is counted on it (born
    2012-06-15 is 18), whatever the machine's date."""
    (tmp_path / "clock_probe.yaml").write_text(CLOCK_PROBE, encoding="utf-8")
    clock = ManualClock(datetime(2030, 6, 15, 1, 0, tzinfo=UTC))  # 09:00 in Beijing
    app = await fast_factory(forms_dir=tmp_path, clock=clock)
    user = await ChatUser.create(http, app.base_url, "李四")
    await user.send("/start")
    await user.expect()
    async with app.store() as session:
        person = (await session.exec(select(Person).where(Person.tg_user_id == user.user_id))).one()
        await service.start(session, person.id, "clock_probe", {}, now=clock.now())
    await user.send("你好")
    founded = await ask(user, "成立时间")
    assert any(b["text"] == "2030年6月" for b in buttons(founded)), buttons(founded)
    await user.send("2030-06-16")
    await refused(user, "成立时间不能晚于今天。")
    await user.send("2029-01-01")
    await ask(user, "出生日期")
    await user.send("2012-06-16")
    await refused(user, "须年满18岁。")
    await user.send("2012-06-15")
    await user.expect(lambda m: "请核对你的回答" in body(m))
    async with app.store() as session:
        draft = await service.active_draft(session, person.id)
    assert draft.answers == {"founded": "2029-01-01", "born": "2012-06-15"}


async def test_a_forged_form_button_gets_a_polite_alert_and_changes_nothing(fast_factory, http):
    """Each runner button is routed on its action; an action that does not exist fails every
    filter and the catch-all answers it, leaving the draft where it was."""
    app = await fast_factory(forms_dir=DEFINITIONS)
    user, person_id = await start_form(app, http)
    await user.send("你好")
    note = await ask(user, "下面是几个关于店铺的问题")
    skip = next(b["callback_data"] for b in buttons(note) if b["text"].startswith("继续"))
    forged = await user.press(note["message_id"], skip.rsplit(":", 1)[0] + ":approve")
    assert forged["text"] == "这个按钮已失效。请发送 /start 重新开始。" and forged["show_alert"]
    async with app.store() as session:
        draft = await service.active_draft(session, person_id)
    assert draft.answers == {} and draft.position == "welcome"
    await pick(user, note, "继续")
    await ask(user, "同意我们保存")
