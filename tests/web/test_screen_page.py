"""The classroom screen in a real browser: the same code as the bot, refreshed as the code
changes and as trainees check in; forged and expired links refused; projector and phone sizes.
Also served in polling and webhook mode."""

from __future__ import annotations

import re
from datetime import UTC, datetime, timedelta
from pathlib import Path
from urllib.parse import urlsplit

import pytest
from playwright.async_api import Page, expect
from sqlmodel import select

from bot.clock import ManualClock
from bot.domain.checkin import current_code, screen_expiry, screen_token
from bot.domain.roles import Role
from bot.links import qr_svg
from storage import checkin as store
from storage import repo
from storage.models import ClassSession
from tests.bot.attendance_people import member, open_class
from tests.bot.test_reliability import telegram  # noqa: F401 - a fixture: Telegram stand-in
from tests.chat import body, button
from tests.factories import make_class

ARTIFACTS = Path(__file__).resolve().parents[2] / "test-artifacts"
TIMEOUT = 15_000
NINE = datetime(2026, 6, 1, 1, 0, tzinfo=UTC)  # 09:00 in Shanghai
PROJECTOR = {"viewport": {"width": 1280, "height": 720}, "is_mobile": False, "has_touch": False}


def screen_path(panel: dict) -> str:
    links = [entity["url"] for entity in panel.get("entities", []) if entity.get("url")]
    path = next(urlsplit(link).path for link in links if "/screen/" in link)
    assert re.fullmatch(r"/screen/\d+-\d+-[A-Za-z0-9_-]{24}", path), path
    return path


async def fits(page: Page, width: int, height: int | None = None) -> None:
    assert await page.evaluate("document.documentElement.scrollWidth") <= width
    if height is not None:
        assert await page.evaluate("document.documentElement.scrollHeight") <= height


async def test_screen_shows_the_bots_code_and_follows_it(app_factory, http, phone) -> None:
    clock = ManualClock(NINE - timedelta(minutes=5))
    app = await app_factory(clock=clock)
    teacher, teacher_id = await member(app, http, "李老师", Role.LECTURER)
    trainee, trainee_id = await member(app, http, "王小明", Role.TRAINEE)
    _, other_id = await member(app, http, "李小红", Role.TRAINEE)
    _, timetable = await open_class(app, NINE.date(), (teacher_id,), (trainee_id, other_id))

    choose = await teacher.reply_to("/checkin")
    await teacher.press(choose["message_id"], button(choose, "上午"))
    panel = await teacher.expect(lambda m: "签到进行中" in body(m))
    code = re.search(r"签到码：(\d{4})", body(panel))[1]
    url = f"{app.base_url}{screen_path(panel)}"

    projector = await phone(**PROJECTOR)
    response = await projector.goto(url)
    assert response.status == 200
    await expect(projector.locator("#code")).to_have_text(code)
    await expect(projector.locator("#session")).to_contain_text("6月1日上午 09:00–12:30")
    await expect(projector.locator("#checked-in")).to_have_text("0")
    await expect(projector.locator("#enrolled")).to_have_text("2")
    await expect(projector.locator("#qr svg")).to_be_visible()
    async with http.get(f"{url}/code.json") as answer:
        state = await answer.json()
    assert state["code"] == code and state["open"] is True
    assert state["qr"] == qr_svg(f"{app.base_url}/chat?start=ci_{code}"), "QR: the deep link"

    await trainee.reply_to(code)
    await expect(projector.locator("#checked-in")).to_have_text("1", timeout=TIMEOUT)
    await fits(projector, 1280, 720)
    ARTIFACTS.mkdir(parents=True, exist_ok=True)
    await projector.screenshot(path=str(ARTIFACTS / "screen-1280x720.png"))

    clock.advance(timedelta(seconds=30))
    async with app.store() as session:
        secret = (await session.get(ClassSession, timetable[0].id)).checkin_secret
    following = current_code(secret, clock.now())
    assert following != code
    await expect(projector.locator("#code")).to_have_text(following, timeout=TIMEOUT)

    mobile = await phone()
    await mobile.goto(url)
    await expect(mobile.locator("#code")).to_have_text(following)
    await fits(mobile, 390)
    await mobile.screenshot(path=str(ARTIFACTS / "screen-390x844.png"), full_page=True)

    english = await phone(locale="en-US")
    await english.goto(url)
    await expect(english.locator(".code-label")).to_have_text("Check-in code")

    await teacher.press(panel["message_id"], button(panel, "结束签到"))
    await teacher.expect(lambda m: "签到已结束" in body(m))
    await expect(projector.locator("#closed")).to_be_visible(timeout=TIMEOUT)
    await expect(projector.locator("#code")).to_be_hidden()
    await projector.screenshot(path=str(ARTIFACTS / "screen-closed-1280x720.png"))

    session_id, stamp, signature = screen_path(panel).rsplit("/", 1)[1].split("-", 2)
    forged = f"{app.base_url}/screen/{session_id}-{int(stamp) + 86400}-{signature}"
    refused = await mobile.goto(forged)
    assert refused.status == 403
    await expect(mobile.locator(".forbidden")).to_have_text("链接无效或已过期")
    await mobile.screenshot(path=str(ARTIFACTS / "screen-forbidden-390x844.png"))
    async with http.get(f"{forged}/code.json") as answer:
        assert answer.status == 403

    clock.set(timetable[0].ends_at + timedelta(hours=1))
    expired = await projector.goto(url)
    assert expired.status == 403
    await expect(projector.locator(".forbidden")).to_be_visible()


@pytest.mark.parametrize("mode", ["polling", "webhook"])
async def test_screen_is_served_without_the_web_chat(app_factory, http, telegram, mode) -> None:  # noqa: F811
    base_url, token = telegram
    clock = ManualClock(NINE)
    hook = {"webhook_url": "https://bot.example.org/hook", "webhook_secret": "s3cret"}
    app = await app_factory(
        clock=clock, bot_token=token, bot_api_base=base_url, **(hook if mode == "webhook" else {})
    )
    async with app.store() as session:
        region = (await repo.regions(session))[0]
        institution = (await repo.institutions_in(session, region.id))[0]
        made = await make_class(
            session, institution_id=institution.id, region_id=region.id, start=NINE.date()
        )
        first = (
            await session.exec(
                select(ClassSession)
                .where(ClassSession.class_id == made.id)
                .order_by(ClassSession.starts_at)
            )
        ).first()
        await store.open_checkin(session, first, None, NINE)
        secret, session_id, ends = first.checkin_secret, first.id, first.ends_at
    path = f"/screen/{screen_token(secret, session_id, screen_expiry(ends))}"
    async with http.get(f"{app.base_url}{path}/code.json") as answer:
        assert answer.status == 200
        state = await answer.json()
    code = current_code(secret, NINE)
    assert state["code"] == code
    assert state["qr"] == qr_svg(f"https://t.me/wangchuang_bot?start=ci_{code}")
    async with http.get(f"{app.base_url}{path}") as page:
        assert page.status == 200 and code in await page.text()
    async with http.get(f"{app.base_url}/screen/{session_id}-1-{'A' * 24}") as page:
        assert page.status == 403
