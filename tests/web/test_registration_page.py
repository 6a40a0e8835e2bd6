"""A trainee fills the registration form and appendix 3 in the web chat on a phone (390x844).

Everything goes through the page's own UI: inline buttons, the composer, and the reply
keyboard's share-contact dialog; every step waits for the bot's specific reply.
"""

from __future__ import annotations

import re
from collections.abc import Awaitable, Callable
from pathlib import Path
from typing import Any

from playwright.async_api import Locator, Page, expect
from stdnum.cn import ric

ARTIFACTS = Path(__file__).resolve().parents[2] / "test-artifacts"
TIMEOUT = 15_000

FORM = "创业培训学员入学登记表"
APPENDIX = "网络创业登记表"
NAME = "王小明"
ID_BODY = "33010619950615123"  # Hangzhou Xihu district, born 1995-06-15, odd sequence (male)
# calc_check_digit() reads the first 17 digits of an 18-character number.
ID_NUMBER = ID_BODY + ric.calc_check_digit(ID_BODY + "?")
assert ric.is_valid(ID_NUMBER), ID_NUMBER
WRONG_ID = ID_BODY + next(d for d in "0123456789X" if d != ID_NUMBER[-1])
MOBILE = "13812345678"


def bot_messages(page: Page, text: str | re.Pattern[str]) -> Locator:
    return page.locator(".msg.bot", has_text=text)


async def step(page: Page, action: Callable[[], Awaitable[Any]], expected: str) -> Locator:
    """Does `action`, then waits for one more bot message containing `expected`; returns it
    (pinned by its message id, so it stays this message when more arrive)."""
    replies = bot_messages(page, expected)
    before = await replies.count()
    await action()
    try:
        await expect(replies).to_have_count(before + 1, timeout=TIMEOUT)
    except AssertionError as error:
        latest = await page.locator(".msg").all_inner_texts()
        raise AssertionError(
            f"no new reply with {expected!r}; last messages: {latest[-4:]}"
        ) from error
    return await pinned(page, replies.last)


async def send(page: Page, text: str) -> None:
    await page.fill("#composer-input", text)
    await page.click("#send-button")


async def message_id(message: Locator) -> int:
    return int(await message.get_attribute("data-message-id"))


async def pinned(page: Page, message: Locator) -> Locator:
    return page.locator(f'.msg.bot[data-message-id="{await message_id(message)}"]')


def button(message: Locator, text: str) -> Locator:
    return message.get_by_role("button", name=text, exact=True)


async def press(page: Page, message: Locator, text: str, expected: str) -> Locator:
    """Presses the inline button `text` under `message`; returns the bot's next message."""
    return await step(page, lambda: button(message, text).click(), expected)


async def type_answer(page: Page, text: str, expected: str) -> Locator:
    return await step(page, lambda: send(page, text), expected)


async def toggle(message: Locator, *labels: str) -> None:
    """Ticks choices of a multiple-choice question; the bot redraws its buttons in place."""
    for label in labels:
        await button(message, label).click()
        await expect(button(message, f"✓ {label}")).to_be_visible(timeout=TIMEOUT)
        await expect(message.locator(".inline-btn.pending")).to_have_count(0, timeout=TIMEOUT)


async def assert_nowhere_in_clear(page: Page, *numbers: str) -> None:
    """None of `numbers` appears anywhere in the page's text, the person's own messages too."""
    text = await page.locator("body").inner_text()
    for number in numbers:
        where = await page.locator(".msg", has_text=number).evaluate_all(
            "nodes => nodes.map(n => `${n.className}: ${n.innerText.replace(/\\s+/g, ' ')}`)"
        )
        assert number not in text, f"{number} is shown in clear on the page, in {where}"


async def open_trainee_chat(page: Page, base_url: str) -> Page:
    await page.goto(f"{base_url}/")
    card = page.locator('.invite-card[data-role="trainee"]')
    async with page.context.expect_page() as new_tab:
        await card.get_by_role("link").click()
    return await new_tab.value


async def test_trainee_registers_and_is_told_it_is_being_reviewed(
    live_app: Any, phone_page: Page
) -> None:
    page = await open_trainee_chat(phone_page, live_app.base_url)
    errors: list[str] = []
    page.on("pageerror", lambda error: errors.append(str(error)))
    await expect(bot_messages(page, "你现在是学员")).to_be_visible(timeout=TIMEOUT)

    # --- main form: consent and the person
    consent = bot_messages(page, "你同意吗")
    await expect(consent).to_have_count(1, timeout=TIMEOUT)
    await expect(consent).to_contain_text(f"{FORM}  1/")
    name_q = await press(page, consent, "我同意", "姓名")
    gender_q = await type_answer(page, NAME, "性别")

    # ◀ 上一题 shows the name question again with its current answer.
    name_again = await press(page, gender_q, "◀ 上一题", "姓名")
    assert await name_again.get_attribute("data-message-id") != await name_q.get_attribute(
        "data-message-id"
    )
    await expect(name_again).to_contain_text(f"当前答案：{NAME}")
    gender_q = await type_answer(page, NAME, "性别")

    id_questions = bot_messages(page, "身份证号码（18 位）")
    await press(page, gender_q, "男", "身份证号码（18 位）")
    # A wrong check digit is explained and the same question asked again after it.
    problem = await type_answer(page, WRONG_ID, "身份证号校验不通过")
    await expect(id_questions).to_have_count(2, timeout=TIMEOUT)
    assert await message_id(id_questions.last) > await message_id(problem)

    await type_answer(page, ID_NUMBER, "手机号码")
    await expect(bot_messages(page, "请用下方按钮分享")).to_have_count(1, timeout=TIMEOUT)
    share = page.locator("#reply-keyboard .reply-btn", has_text="分享手机号")
    await expect(share).to_be_visible(timeout=TIMEOUT)
    # No wrong mobile here: the bot's mobile error message quotes 13812345678 as its example,
    # which would put that full number on the page and defeat the check at the review.

    async def share_contact() -> None:
        await share.click()
        await expect(page.locator("#dialog")).to_be_visible(timeout=TIMEOUT)
        await page.fill("#dialog-field-phone", MOBILE)
        await page.click("#dialog-ok")

    await step(page, share_contact, "已记录：138****5678")
    await expect(page.locator("#dialog")).to_be_hidden()
    education_q = bot_messages(page, "文化程度")
    await expect(education_q).to_have_count(1, timeout=TIMEOUT)
    await expect(page.locator("#reply-keyboard")).to_be_hidden(timeout=TIMEOUT)

    hukou_q = await press(page, education_q, "本科", "户籍类型")
    await press(page, hukou_q, "城镇", "常住地区")
    # 西湖区 is typed; there is one in Hangzhou and one in Nanchang (and 武汉 东西湖区 matches
    # too), so the bot says so and asks again, offering the places it found as buttons.
    region_questions = bot_messages(page, "常住地区")
    await type_answer(page, "西湖区", "叫这个名字")
    await expect(region_questions).to_have_count(2, timeout=TIMEOUT)
    region_q = await pinned(page, region_questions.last)
    categories_q = await press(page, region_q, "杭州市 西湖区", "人员类别")
    await toggle(categories_q, "高校毕业生", "返乡入乡创业人员")
    await expect(categories_q).to_contain_text("9/13")
    await expect(categories_q).to_contain_text("●" * 7 + "○" * 3)
    ARTIFACTS.mkdir(parents=True, exist_ok=True)
    await page.screenshot(path=str(ARTIFACTS / "registration-question-390x844.png"))
    employment_q = await press(page, categories_q, "完成 ✔", "就业状态")
    business_q = await press(page, employment_q, "未就业", "是否已经在经营")
    direction_q = await press(page, business_q, "否", "你的创业方向是")
    heard_q = await press(page, direction_q, "网络创业", "了解到本次培训")
    review = await press(page, heard_q, "培训机构", "请核对你的回答")

    # --- review: masked personal numbers, nothing in clear anywhere on the page
    masked_id = ID_NUMBER[:6] + "*" * 8 + ID_NUMBER[-4:]
    await expect(review).to_contain_text(f"身份证号码（18 位）：{masked_id}")
    await expect(review).to_contain_text("手机号码：138****5678")
    await expect(review).to_contain_text(re.compile(r"330106\*{8}\d{3}[\dX]"))
    for shown in (
        NAME,
        "男",
        "本科",
        "城镇",
        "浙江省 杭州市 西湖区",
        "高校毕业生、返乡入乡创业人员",
    ):
        await expect(review).to_contain_text(shown)
    await expect(review).to_contain_text("你的创业方向是：网络创业")
    await assert_nowhere_in_clear(page, ID_NUMBER, MOBILE)
    assert await page.evaluate("document.documentElement.scrollWidth") <= 390
    ARTIFACTS.mkdir(parents=True, exist_ok=True)
    await page.screenshot(path=str(ARTIFACTS / "registration-review-390x844.png"))

    await press(page, review, "✅ 提交", f"已提交《{FORM}》")

    # --- appendix 3
    literacy_q = bot_messages(page, "读写中文")
    await expect(literacy_q).to_have_count(1, timeout=TIMEOUT)
    await expect(bot_messages(page, APPENDIX).first).to_be_visible()
    await expect(literacy_q).to_contain_text(f"{APPENDIX}（附表 3）  1/")
    skill_q = await press(page, literacy_q, "是", "使用电脑和网络的熟练程度")
    computer_q = await press(page, skill_q, "一般", "能使用一台电脑吗")
    attendance_q = await press(page, computer_q, "是", "全程参加培训")
    motivation_q = await press(page, attendance_q, "是", "通过互联网创业的意愿")
    project_q = await press(page, motivation_q, "强烈", "你的项目属于哪一种")
    await press(page, project_q, "依托互联网的新项目", "请简单介绍你的项目")
    platforms_q = await type_answer(
        page,
        "在抖音上卖家乡的高山茶叶，卖给城里喜欢喝茶的年轻上班族。",
        "你打算使用或正在使用的平台",
    )
    await toggle(platforms_q, "抖音")
    store_q = await press(page, platforms_q, "完成 ✔", "你的网店现状")
    supply_q = await press(page, store_q, "未开店", "货源")
    capital_q = await press(page, supply_q, "批发", "可投入的启动资金")
    expectations_q = await press(page, capital_q, "1–5 万元", "最希望从培训中获得什么")
    await toggle(expectations_q, "直播带货")
    review3 = await press(page, expectations_q, "完成 ✔", "请核对你的回答")
    await expect(review3).to_contain_text(APPENDIX)

    await press(page, review3, "✅ 提交", f"已提交《{APPENDIX}")
    result = bot_messages(page, "已收到你的报名材料")
    await expect(result).to_have_count(1, timeout=TIMEOUT)
    await expect(result).to_contain_text("说明原因")
    await expect(result).not_to_contain_text("适合参加")
    await expect(page.locator(".inline-btn.pending")).to_have_count(0)
    assert await page.evaluate("document.documentElement.scrollWidth") <= 390
    await page.screenshot(path=str(ARTIFACTS / "registration-result-390x844.png"))
    assert not errors, f"JavaScript errors on the chat page: {errors}"
