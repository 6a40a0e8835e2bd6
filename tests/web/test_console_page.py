"""The web console in Chromium (issue 15), at 390x844 and 1280x800: a supervisor signs in from
the link /console sends and sees the statistics on the dashboard (S-17), a reused and an
expired link are refused, the classes list filters by stage, a class page shows and its
application is approved (after a forged CSRF token was refused), the XLSX export opens with
openpyxl, another region's class is not found by URL, and sign-out ends the session. Run on
SQLite only: the store's side has its tests on both (tests/services/test_console.py)."""

from __future__ import annotations

import re
from datetime import UTC, date, datetime, timedelta
from pathlib import Path

import pytest
from openpyxl import load_workbook
from playwright.async_api import expect

from bot.clock import ManualClock
from bot.domain.roles import Role
from storage import repo
from storage.models import Institution, Region, TrainingClass
from tests.bot.attendance_people import member
from tests.chat import body
from tests.factories import make_class

ARTIFACTS = Path(__file__).resolve().parents[2] / "test-artifacts"
NOW = datetime(2026, 6, 1, 1, 0, tzinfo=UTC)
DESKTOP = {"viewport": {"width": 1280, "height": 800}, "is_mobile": False, "has_touch": False}


async def link_path(user) -> str:
    reply = await user.reply_to("/console")
    return re.search(r"/console/signin/[A-Za-z0-9_-]{43}", body(reply))[0]


@pytest.mark.parametrize("database_url", ["sqlite"], indirect=True)
async def test_console_sign_in_filters_class_page_export_and_refusals(
    app_factory, http, phone, tmp_path
) -> None:
    clock = ManualClock(NOW)
    app = await app_factory(clock=clock)
    supervisor, _ = await member(app, http, "周主管", Role.SUPERVISOR)
    async with app.store() as session:
        region = (await repo.regions(session))[0]
        institution = (await repo.institutions_in(session, region.id))[0]
        submitted = await make_class(
            session,
            institution_id=institution.id,
            region_id=region.id,
            start=date(2026, 7, 1),
            status="submitted",
        )
        await make_class(
            session, institution_id=institution.id, region_id=region.id, start=date(2026, 5, 1)
        )
        elsewhere = Region(name="别的区")
        session.add(elsewhere)
        await session.flush()
        there = Institution(name="别的机构", region_id=elsewhere.id)
        session.add(there)
        await session.flush()
        foreign = await make_class(
            session, institution_id=there.id, region_id=elsewhere.id, start=date(2026, 7, 1)
        )
        submitted_id, submitted_name, foreign_id = submitted.id, submitted.name, foreign.id

    path = await link_path(supervisor)
    page = await phone()
    await page.goto(app.base_url + path)
    await page.click("#sign-in-button")
    await expect(page.locator("#classes-total")).to_have_text("2")
    await expect(page.locator("#stats-table tr")).to_have_count(3)  # header, one place, total
    await expect(page.locator("#stats-total th >> nth=1")).to_have_text("1")  # approved only
    ARTIFACTS.mkdir(parents=True, exist_ok=True)
    await page.screenshot(path=str(ARTIFACTS / "console-dashboard-390x844.png"), full_page=True)
    assert await page.evaluate("document.documentElement.scrollWidth") <= 390

    reused = await (await phone()).goto(app.base_url + path)
    assert reused.status == 410 and "已经用过" in await reused.text()
    late = await link_path(supervisor)
    clock.advance(timedelta(minutes=11))
    expired = await (await phone()).goto(app.base_url + late)
    assert expired.status == 410 and "已过期" in await expired.text()

    await page.click("nav >> text=班级")
    await expect(page.locator("#classes tr")).to_have_count(3)  # the header and two classes
    await page.select_option("select[name=phase]", "submitted")
    await page.click("#class-filters button")
    await expect(page.locator("#classes tr")).to_have_count(2)
    assert "phase=submitted" in page.url
    async with page.expect_download() as download:
        await page.click(".exports >> text=XLSX >> nth=0")
    saved = await download.value
    assert saved.suggested_filename.startswith("classes-") and saved.suggested_filename.endswith(
        ".xlsx"
    )
    await saved.save_as(tmp_path / saved.suggested_filename)
    sheet = load_workbook(tmp_path / saved.suggested_filename).active
    rows = list(sheet.iter_rows(values_only=True))
    assert rows[0][:2] == ("编号", "名称") and [r[1] for r in rows[1:]] == [submitted_name]
    assert rows[1][5] == "待审批"

    await page.click(f"#classes >> text={submitted_name}")
    await expect(page.locator("#class-name")).to_have_text(submitted_name)
    await page.screenshot(path=str(ARTIFACTS / "console-class-390x844.png"), full_page=True)
    assert await page.evaluate("document.documentElement.scrollWidth") <= 390

    await page.eval_on_selector("#decide input[name=csrf]", "input => input.value = 'forged'")
    await page.click("#approve")
    await expect(page.locator("#message")).to_contain_text("表单已过期或来源不明")
    await page.go_back()
    await page.reload()
    await page.click("#approve")
    await expect(page.locator("#message")).to_contain_text("已批准开班")
    async with app.store() as session:
        assert (await session.get(TrainingClass, submitted_id)).status == "approved"

    refused = await page.goto(f"{app.base_url}/console/classes/{foreign_id}")
    assert refused.status == 404
    await expect(page.locator("#message")).to_contain_text("不在您的管辖范围内")
    bad = await page.goto(f"{app.base_url}/console/classes?from=2026-13-01&page=-1")
    assert bad.status == 400

    await page.set_viewport_size(DESKTOP["viewport"])
    await page.goto(f"{app.base_url}/console/classes")
    await expect(page.locator("#classes tr")).to_have_count(3)
    await page.screenshot(path=str(ARTIFACTS / "console-classes-1280x800.png"), full_page=True)

    await page.click("#sign-out")
    await expect(page.locator("#message")).to_contain_text("已退出登录")
    after = await page.goto(f"{app.base_url}/console")
    assert after.status == 401
