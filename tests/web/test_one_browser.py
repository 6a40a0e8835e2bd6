"""One browser, one person (issue 10, "Identity and names"): a link without a profile goes on
as the browser's current person; the menu lists the browser's people; the header names the
role in the page's language."""

from __future__ import annotations

from typing import Any

from playwright.async_api import Page, expect

from tests.web.test_chat_page import TIMEOUT, open_started_chat


async def test_a_link_without_profile_continues_as_the_current_person(
    live_app: Any, phone_page: Page
) -> None:
    page = phone_page
    await open_started_chat(page, live_app.base_url, "trainee")
    await expect(page.locator(".header-subtitle")).to_have_text("身份：学员")
    first = await page.evaluate("JSON.parse(localStorage.getItem('webchat:identity:trainee'))")

    await page.goto(f"{live_app.base_url}/chat?start=nothing-here")  # a class link, say
    await expect(page.locator(".msg.user", has_text="/start")).to_have_count(2, timeout=TIMEOUT)
    await expect(page.locator(".header-subtitle")).to_have_text("身份：学员")
    assert await page.evaluate("localStorage.getItem('webchat:identity:default')") is None
    again = await page.evaluate("JSON.parse(localStorage.getItem('webchat:identity:trainee'))")
    assert again["userId"] == first["userId"], "the same person, not a new 访客"
    greeting = page.locator(".msg.bot", has_text="访客（学员）")
    await expect(greeting.first).to_be_visible(timeout=TIMEOUT)
    assert "访客 trainee" not in await page.locator("#messages").inner_text()

    await page.click("#menu-button")
    people = page.locator("#command-list a.person")
    await expect(people).to_have_count(2, timeout=TIMEOUT)  # this person, and "new person"
    await expect(people.first).to_have_text("✓ 学员")
    await people.last.click()
    await expect(page.locator("#start-hint")).to_be_visible(timeout=TIMEOUT)
    await page.click("#menu-button")
    await expect(page.locator("#command-list a.person")).to_have_count(3, timeout=TIMEOUT)
    await page.locator("#command-list a.person", has_text="学员").click()
    await expect(page.locator(".msg.user", has_text="/start")).to_have_count(2, timeout=TIMEOUT)
