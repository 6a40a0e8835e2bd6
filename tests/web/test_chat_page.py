"""The web chat page in a real browser against the real bot and web-chat server."""

from __future__ import annotations

import io
from pathlib import Path
from typing import Any

from PIL import Image
from playwright.async_api import Page, expect

ARTIFACTS = Path(__file__).resolve().parents[2] / "test-artifacts"
TIMEOUT = 15_000
# What the bot controls in a message (not the page's own marks such as the `pressed` class).
SNAPSHOT = """(id) => {
    const node = document.querySelector(`.msg[data-message-id="${id}"]`);
    if (!node) return null;
    const buttons = [...node.querySelectorAll(".inline-btn")].map((b) => b.textContent);
    return node.querySelector(".bubble").innerHTML + "|" + buttons.join("|");
}"""


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
    page = phone_page
    await open_started_chat(page, live_app.base_url, "t1")
    await page.wait_for_timeout(500)  # let the bot finish its reply to /start
    if not await page.locator(".msg.bot button.inline-btn").count():
        await send(page, "/lang")  # /start without an invitation has no buttons; /lang has

    with_buttons = page.locator(".msg.bot:has(button.inline-btn)").last
    await expect(with_buttons).to_be_visible(timeout=TIMEOUT)
    message_id = await with_buttons.get_attribute("data-message-id")
    bot_count = await page.locator(".msg.bot").count()
    before = await page.evaluate(SNAPSHOT, message_id)

    await with_buttons.locator("button.inline-btn").first.click()

    # The bot reacts to the press: a new message, or an edit (or deletion) of the pressed one.
    await page.wait_for_function(
        f"""([id, count, before]) => document.querySelectorAll(".msg.bot").length > count
            || ({SNAPSHOT})(id) !== before""",
        arg=[message_id, bot_count, before],
        timeout=TIMEOUT,
    )
    await expect(page.locator(".inline-btn.pending")).to_have_count(0, timeout=TIMEOUT)
    pressed = page.locator(f'.msg[data-message-id="{message_id}"] .inline-btn.pressed')
    assert await pressed.count() == 1 or await page.evaluate(SNAPSHOT, message_id) != before
    await expect(page.locator("#offline-banner")).to_be_hidden()

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
    await expect(page.locator("#offline-banner")).to_be_hidden(timeout=30_000)

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
