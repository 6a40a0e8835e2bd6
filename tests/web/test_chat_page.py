"""The web chat page in a real browser against the real bot and web-chat server."""

from __future__ import annotations

import io
import json
import re
from pathlib import Path
from typing import Any

from PIL import Image
from playwright.async_api import Page, expect

ARTIFACTS = Path(__file__).resolve().parents[2] / "test-artifacts"
TIMEOUT = 15_000


async def send(page: Page, text: str) -> None:
    await page.fill("#composer-input", text)
    await page.click("#send-button")


async def open_started_chat(page: Page, base_url: str, profile: str) -> None:
    """Opens the chat of a new user for `profile`, sends /start and waits for the bot's reply."""
    await page.goto(f"{base_url}/chat?profile={profile}")
    await expect(page.locator("#start-hint")).to_be_visible(timeout=TIMEOUT)
    await send(page, "/start")
    await expect(page.locator(".msg.user", has_text="/start")).to_have_count(1, timeout=TIMEOUT)
    await expect(page.locator(".msg.bot").first).to_be_visible(timeout=TIMEOUT)


async def message_ids(page: Page) -> list[str]:
    return await page.eval_on_selector_all(".msg", "nodes => nodes.map(n => n.dataset.messageId)")


async def test_chat_page_start_and_button(live_app: Any, phone_page: Page) -> None:
    """From the home page into the chat by an invitation, then a button and its reply."""
    await phone_page.goto(f"{live_app.base_url}/")
    card = phone_page.locator('.invite-card[data-role="institution"]')
    async with phone_page.context.expect_page() as new_tab:
        await card.get_by_role("link").click()
    page = await new_tab.value
    welcome = page.locator(".msg.bot", has_text="你现在是培训机构（示范网创培训学校）")
    await expect(welcome).to_be_visible(timeout=TIMEOUT)

    await send(page, "/invite")
    choose = page.locator(".msg.bot", has_text="要邀请谁")
    await expect(choose).to_be_visible(timeout=TIMEOUT)
    trainee_button = choose.locator("button.inline-btn", has_text="学员")
    await trainee_button.click()

    await expect(page.locator(".msg.bot", has_text="这个邀请给几个人用")).to_be_visible(
        timeout=TIMEOUT
    )
    await expect(trainee_button).to_have_class(re.compile(r"\bpressed\b"))
    await expect(page.locator(".inline-btn.pending")).to_have_count(0)
    await expect(page.locator("#offline-banner")).to_be_hidden()
    assert await page.evaluate("document.documentElement.scrollWidth") <= 390

    ARTIFACTS.mkdir(parents=True, exist_ok=True)
    await page.screenshot(path=str(ARTIFACTS / "webchat-390x844.png"))


async def test_chat_page_fits_small_phone(live_app: Any, phone: Any) -> None:
    page = await phone(viewport={"width": 360, "height": 640})
    await open_started_chat(page, live_app.base_url, "t2")
    await page.click("#menu-button")
    await expect(page.locator("#command-menu")).to_be_visible()
    assert await page.evaluate("document.documentElement.scrollWidth") <= 360
    await page.click("#menu-button")
    await expect(page.locator("#command-menu")).to_be_hidden()
    assert await page.evaluate("document.documentElement.scrollWidth") <= 360
    ARTIFACTS.mkdir(parents=True, exist_ok=True)
    await page.screenshot(path=str(ARTIFACTS / "webchat-360x640.png"))


async def test_enter_while_composing_chinese_does_not_send(live_app: Any, phone_page: Page) -> None:
    page = phone_page
    await page.goto(f"{live_app.base_url}/chat?profile=t9")
    await expect(page.locator("#start-hint")).to_be_visible(timeout=TIMEOUT)
    await page.fill("#composer-input", "你好")

    # Enter that confirms an IME candidate must not send the message.
    await page.eval_on_selector(
        "#composer-input",
        """input => input.dispatchEvent(new KeyboardEvent("keydown",
            {key: "Enter", isComposing: true, bubbles: true, cancelable: true}))""",
    )
    await page.wait_for_timeout(300)
    await expect(page.locator(".msg")).to_have_count(0)
    await expect(page.locator("#composer-input")).to_have_value("你好")

    await page.press("#composer-input", "Enter")
    await expect(page.locator(".msg.user", has_text="你好")).to_have_count(1, timeout=TIMEOUT)
    await expect(page.locator("#composer-input")).to_have_value("")


async def test_reload_keeps_user_and_history(live_app: Any, phone_page: Page) -> None:
    page = phone_page
    await open_started_chat(page, live_app.base_url, "t3")
    await page.wait_for_timeout(500)  # let the bot finish its reply to /start
    ids = await message_ids(page)
    identity = await page.evaluate("localStorage.getItem('webchat:identity:t3')")
    # the token is an HttpOnly cookie: nothing a script on the page can read holds it
    assert "token" not in json.loads(identity)
    assert await page.evaluate("document.cookie") == ""
    [cookie] = await page.context.cookies()
    assert (cookie["httpOnly"], cookie["sameSite"], cookie["path"]) == (True, "Strict", "/api/chat")

    await page.reload()

    await expect(page.locator(".msg")).to_have_count(len(ids), timeout=TIMEOUT)
    assert await message_ids(page) == ids
    assert await page.evaluate("localStorage.getItem('webchat:identity:t3')") == identity
    await expect(page.locator("#start-hint")).to_be_hidden()


async def test_start_payload_is_sent_once(live_app: Any, phone_page: Page) -> None:
    page = phone_page
    await page.goto(f"{live_app.base_url}/chat?profile=t4&start=NOSUCHCODE")
    sent = page.locator(".msg.user", has_text="/start NOSUCHCODE")
    await expect(sent).to_have_count(1, timeout=TIMEOUT)
    await expect(page.locator(".msg.bot").first).to_be_visible(timeout=TIMEOUT)

    await page.reload()

    await expect(page.locator(".msg.bot").first).to_be_visible(timeout=TIMEOUT)
    await page.wait_for_timeout(500)
    await expect(sent).to_have_count(1)


async def test_profiles_are_separate_users(live_app: Any, phone_page: Page) -> None:
    page = phone_page
    await open_started_chat(page, live_app.base_url, "t5")
    await page.goto(f"{live_app.base_url}/chat?profile=t6")
    await expect(page.locator("#start-hint")).to_be_visible(timeout=TIMEOUT)
    await expect(page.locator(".msg")).to_have_count(0)
    first = await page.evaluate("JSON.parse(localStorage.getItem('webchat:identity:t5')).userId")
    second = await page.evaluate("JSON.parse(localStorage.getItem('webchat:identity:t6')).userId")
    assert first != second


async def test_send_photo(live_app: Any, phone_page: Page) -> None:
    page = phone_page
    await open_started_chat(page, live_app.base_url, "t7")
    image = io.BytesIO()
    Image.new("RGB", (64, 48), "#1f6f8b").save(image, "PNG")

    upload = {"name": "证书.png", "mimeType": "image/png", "buffer": image.getvalue()}
    await page.set_input_files("#file-input", files=[upload])
    await page.fill("#dialog-field-caption", "结业证书")
    await page.click("#dialog-ok")

    sent = page.locator(".msg.user[data-message-id]", has_text="结业证书")
    await expect(sent.locator(".photo img")).to_be_visible(timeout=TIMEOUT)
    width = await sent.locator(".photo img").evaluate(
        "img => img.decode().then(() => img.naturalWidth)"
    )
    assert width == 64


async def test_reconnects_after_server_restart(live_app: Any, phone_page: Page) -> None:
    page = phone_page
    await open_started_chat(page, live_app.base_url, "t8")
    await page.wait_for_timeout(500)
    bots = await page.locator(".msg.bot").count()

    await live_app.stop()
    await expect(page.locator("#offline-banner")).to_be_visible(timeout=TIMEOUT)
    await live_app.start()
    await expect(page.locator("#offline-banner")).to_be_hidden(timeout=8_000)

    await send(page, "/help")
    await expect(page.locator(".msg.bot")).to_have_count(bots + 1, timeout=TIMEOUT)
    ids = await message_ids(page)
    assert len(ids) == len(set(ids)), f"duplicate messages: {ids}"


async def test_home_page(live_app: Any, phone_page: Page) -> None:
    page = phone_page
    await page.goto(live_app.base_url + "/")
    await expect(page.locator('a[href="/chat"]')).to_be_visible()
    assert await page.evaluate("document.documentElement.lang") == "zh-CN"
    assert await page.evaluate("document.documentElement.scrollWidth") <= 390
    ARTIFACTS.mkdir(parents=True, exist_ok=True)
    await page.screenshot(path=str(ARTIFACTS / "home-390x844.png"), full_page=True)


async def test_a_message_too_long_is_explained_in_the_page_language(
    live_app: Any, phone_page: Page
) -> None:
    page = phone_page
    await open_started_chat(page, live_app.base_url, "t9")
    await send(page, "长" * 4097)
    await expect(page.locator("#toast")).to_contain_text("消息太长了，最多 4096 个字。")
