"""How a form question looks on a phone (390x844): the class form's hint (not slanted), its
calendar (weekday header, Monday first, the month label on one line, past days not offered),
the keyboard as wide as the chat, the progress bar. Screenshots go to test-artifacts/."""

from __future__ import annotations

from typing import Any

from playwright.async_api import Page, expect

from tests.web.test_registration_page import (
    ARTIFACTS,
    TIMEOUT,
    bot_messages,
    button,
    press,
    send,
    step,
)


async def test_class_form_hint_and_calendar_on_a_phone(live_app: Any, phone_page: Page) -> None:
    page = phone_page
    await page.goto(f"{live_app.base_url}/")
    card = page.locator('.invite-card[data-role="institution"]')
    async with page.context.expect_page() as new_tab:
        await card.get_by_role("link").click()
    page = await new_tab.value
    await expect(bot_messages(page, "你现在是培训机构")).to_be_visible(timeout=TIMEOUT)
    listing = await step(page, lambda: send(page, "/classes"), "新建班级")
    programme_q = await step(
        page, lambda: button(listing, "➕ 新建班级").first.click(), "培训班类别"
    )
    name_q = await press(page, programme_q, "学员培训班（7 天，56 课时）", "班级名称")
    await expect(name_q).to_contain_text("💡 例如：福田区第 3 期网络创业培训班")
    slanted = await name_q.locator(".text i, .text em").count()
    assert slanted == 0, "the Chinese hint is not set in italics"
    date_q = await step(page, lambda: send(page, "福田区第3期网络创业培训班"), "开班日期")
    for weekday in "一二三四五六日":
        await expect(button(date_q, weekday)).to_be_visible()
    label = date_q.locator(".kb-row").first.locator(".inline-btn").nth(1)
    height = await label.evaluate("b => b.getBoundingClientRect().height")
    assert height < 45, "the month label fits on one line"
    bubble = await date_q.locator(".bubble").bounding_box()
    keyboard = await date_q.locator(".inline-keyboard").bounding_box()
    assert keyboard["width"] >= 390 - 40 and abs(bubble["width"] - keyboard["width"]) < 2
    assert await page.evaluate("document.documentElement.scrollWidth") <= 390
    ARTIFACTS.mkdir(parents=True, exist_ok=True)
    await page.screenshot(path=str(ARTIFACTS / "form-calendar-390x844.png"))
