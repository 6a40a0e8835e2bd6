"""The certificate check page (S-14, S-41) in a real browser at 390x844: valid, revoked, wrong
check and unknown number; the QR code printed on the PDF leads to it; the PDF's text carries the
holder's name and the number. Also served in polling and webhook mode."""

from __future__ import annotations

import io
import socket
from datetime import UTC, date, datetime
from pathlib import Path

import pypdf
import pytest
import zxingcpp
from playwright.async_api import expect

from bot.domain.issuing import check_of
from bot.domain.roles import Grant, Role
from bot.i18n import I18n
from bot.services import issuing
from bot.services.actor import Actor
from storage import repo
from storage.models import IssuedCertificate, Person
from tests.bot.test_reliability import telegram  # noqa: F401 - a fixture: Telegram stand-in
from tests.factories import make_class

ARTIFACTS = Path(__file__).resolve().parents[2] / "test-artifacts"
KEY = "web-test-key"
NOW = datetime(2026, 5, 20, 2, 0, tzinfo=UTC)
SQLITE_ONLY = pytest.mark.parametrize("database_url", ["sqlite"], indirect=True)
"""What these tests show does not depend on the store (both: tests/services/test_issuing.py)."""


def free_port() -> int:
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        return probe.getsockname()[1]


async def issue(app, name: str = "张晓燕") -> IssuedCertificate:
    """A certificate as an approval leaves it (the approval itself: tests/services)."""
    async with app.store() as session:
        region = (await repo.regions(session))[0]
        institution = (await repo.institutions_in(session, region.id))[0]
        made = await make_class(
            session, institution_id=institution.id, region_id=region.id, start=date(2026, 5, 11)
        )
        cert = IssuedCertificate(
            number=f"{region.id:04d}2026000001",
            programme="trainee",
            holder_name=name,
            class_id=made.id,
            class_name=made.name,
            institution_id=institution.id,
            institution_name=institution.name,
            region_id=region.id,
            first_day=date(2026, 5, 11),
            last_day=date(2026, 5, 17),
            issued_on=date(2026, 5, 20),
        )
        session.add(cert)
        await session.flush()
        return cert


@SQLITE_ONLY
async def test_s14_check_page_valid_revoked_wrong_and_unknown_on_a_phone(app_factory, phone):
    port = free_port()
    app = await app_factory(certificate_secret=KEY, web_port=port)
    cert = await issue(app)
    number, check = cert.number, check_of(KEY.encode(), cert.number)

    # The PDF: the name and number are text; its QR code is the check page's address.
    async with app.store() as session:
        _, pdf = await issuing.document(session, app.settings, cert, I18n("zh-CN"))
    page_one = pypdf.PdfReader(io.BytesIO(pdf)).pages[0]
    text = page_one.extract_text()
    assert "张晓燕" in text and number in text and "网络创业培训合格证书" in text
    decoded = [
        code.text for image in page_one.images for code in zxingcpp.read_barcodes(image.image)
    ]
    url = f"http://127.0.0.1:{port}/verify/{number}/{check}"
    assert decoded == [url]

    page = await phone()
    response = await page.goto(url)
    assert response.status == 200
    await expect(page.locator("#status")).to_contain_text("有效证书")
    await expect(page.locator("#holder")).to_have_text("张*燕")
    assert "张晓燕" not in await page.content()
    link = await page.locator("#bot-link").get_attribute("href")
    assert link == f"http://127.0.0.1:{port}/chat?start=verify_{number}_{check}"
    assert await page.evaluate("document.documentElement.scrollWidth") <= 390
    ARTIFACTS.mkdir(parents=True, exist_ok=True)
    await page.screenshot(path=str(ARTIFACTS / "verify-valid-390x844.png"))

    for wrong in (f"/verify/{number}/{'a' * 10}", f"/verify/{number[:-1]}9/{check}", "/verify/x/y"):
        response = await page.goto(f"http://127.0.0.1:{port}{wrong}")
        assert response.status == 404
        await expect(page.locator("#status")).to_contain_text("未找到这个证书")
    await page.screenshot(path=str(ARTIFACTS / "verify-not-found-390x844.png"))

    async with app.store() as session:
        person = Person(tg_user_id=990_001, first_name="主管")
        session.add(person)
        await session.flush()
        boss = Actor.of(person.id, (Grant(Role.SUPERVISOR, cert.region_id),), "zh-CN", NOW)
        await issuing.revoke(session, boss, number, "考核材料造假", app.settings)
    response = await page.goto(url)
    assert response.status == 200
    await expect(page.locator("#status")).to_contain_text("已撤销（2026-05-20）")
    await page.screenshot(path=str(ARTIFACTS / "verify-revoked-390x844.png"))

    english = await phone(locale="en-US")
    await english.goto(url)
    await expect(english.locator("#status")).to_contain_text("Revoked (2026-05-20)")


@SQLITE_ONLY
@pytest.mark.parametrize("mode", ["polling", "webhook"])
async def test_s14_check_page_is_served_without_the_web_chat(
    app_factory,
    http,
    telegram,  # noqa: F811
    mode,
) -> None:
    base_url, token = telegram
    hook = {"webhook_url": "https://bot.example.org/hook", "webhook_secret": "s3cret"}
    app = await app_factory(
        certificate_secret=KEY,
        bot_token=token,
        bot_api_base=base_url,
        **(hook if mode == "webhook" else {}),
    )
    cert = await issue(app)
    check = check_of(KEY.encode(), cert.number)
    async with http.get(f"{app.base_url}/verify/{cert.number}/{check}") as page:
        html = await page.text()
        assert page.status == 200 and "张*燕" in html
        assert f"https://t.me/wangchuang_bot?start=verify_{cert.number}_{check}" in html
    async with http.get(f"{app.base_url}/verify/{cert.number}/{'b' * 10}") as page:
        assert page.status == 404
