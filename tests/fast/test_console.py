"""/console in chat, and the console's pages under fire (issue 15): staff get a one-time link in
their language, a trainee is told the console is not theirs; then arbitrary query parameters,
path segments and posted forms (raw percent-escapes, NUL, huge numbers, forged CSRF tokens) are
thrown at every console route. Nothing is a 5xx, nothing logs a traceback."""

from __future__ import annotations

import logging
import re
from datetime import date
from urllib.parse import quote

import aiohttp
import pytest
from aiohttp import web
from aiohttp.test_utils import TestServer
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st
from sqlmodel import select
from yarl import URL

from bot.app import Product
from bot.console.routes import COOKIE, Console
from bot.domain.console import csrf_token
from bot.domain.roles import Grant, Role
from storage import repo
from storage.models import (
    Campaign,
    CampaignRecipient,
    ConsoleLink,
    Institution,
    IssuedCertificate,
    Person,
    Region,
)
from tests.chat import ChatUser, body
from tests.conftest import make_settings
from tests.factories import make_class
from tests.fast.conftest import fast_factory  # noqa: F401  (the fast tier's fixture)

FUZZ = settings(
    max_examples=80,
    deadline=None,
    database=None,
    suppress_health_check=[HealthCheck.function_scoped_fixture, HealthCheck.too_slow],
)
EDGE = ["", "0", "-1", "1", "2147483647", "2147483648", "9" * 30, "１２", "\x00", "2026-02-30",
        "2026-06-01", "submitted", "approved", "codes", "labels", "xlsx", "csv", "%", "_",
        "' OR 1=1"]  # fmt: skip
TEXT = st.text(st.characters(exclude_categories=("Cs",)), max_size=20) | st.sampled_from(EDGE)
RAW = st.text(alphabet="%0123456789ABCDEFaz=&+;/?#", max_size=24)
"""A raw (already encoded) query or path: bad percent-escapes, invalid UTF-8, separators."""


async def staff_member(fast, http, name: str, role: Role, locale: str = "zh-CN") -> ChatUser:
    user = await ChatUser.create(http, fast.base_url, name, language_code=locale)
    await user.reply_to("/start")
    async with fast.store() as session:
        person = (await session.exec(select(Person).where(Person.tg_user_id == user.user_id))).one()
        region = (await repo.regions(session))[0]
        institution = (await repo.institutions_in(session, region.id))[0]
        grant = Grant(role, region.id, None if role is Role.SUPERVISOR else institution.id)
        await repo.add_grant(session, person.id, grant, granted_by=None, invitation_id=None)
    return user


async def test_console_sends_a_one_time_link_to_staff_only(fast, http) -> None:
    staff = await staff_member(fast, http, "Ann", Role.INSTITUTION, "en")
    reply = await staff.reply_to("/console")
    assert "within 10 minutes" in body(reply)
    assert re.search(r"/console/signin/[A-Za-z0-9_-]{43}\b", body(reply))
    trainee = await staff_member(fast, http, "小明", Role.TRAINEE)
    assert "只对培训机构、主管部门和管理员开放" in body(await trainee.reply_to("/console"))
    async with fast.store() as session:
        links = (await session.exec(select(ConsoleLink))).all()
    assert len(links) == 1 and len(links[0].token_hash) == 64  # stored hashed, one per request


@pytest.fixture
async def target(fast, http):
    """The console on the harness's store, served on its own port, and a supervisor signed in
    (the cookie and its CSRF token), in English (the browser test reads the Chinese pages)."""
    app = web.Application()
    app.add_routes(Console(fast.settings, fast.sessions, fast.clock).routes())
    server = TestServer(app)
    await server.start_server()
    supervisor = await staff_member(fast, http, "Zhou", Role.SUPERVISOR, "en")  # zh: the browser
    path = re.search(r"/console/signin/[A-Za-z0-9_-]+", body(await supervisor.reply_to("/console")))
    base = str(server.make_url(""))
    async with http.post(base + path[0], allow_redirects=False) as signed:
        assert signed.status == 303
        secret = signed.cookies[COOKIE].value
    yield base, {"Cookie": f"{COOKIE}={secret}"}, csrf_token(secret)
    await server.close()


QUERIES = st.tuples(
    st.just("query"),
    st.sampled_from(
        ["/console/classes", "/console/trainees", "/console/todo", "/console", "/console/campaigns"]
    ),
    st.dictionaries(
        st.sampled_from(["phase", "institution", "from", "to", "page", "q", "values", "d", "p"]),
        TEXT,
    ),
)
PATHS = st.tuples(
    st.just("path"),
    st.sampled_from(
        [
            "/console/classes/{}",
            "/console/trainees/{}",
            "/console/classes.{}",
            "/console/trainees.{}",
            "/console/classes/{}/roster.xlsx",
            "/console/stats.{}",
            "/console/campaigns/{}",
            "/console/campaigns/{}/recipients.csv",
            "/console/signin/{}",
            "/console?{}",
            "/console/classes?{}",
            "/console/trainees?q={}",
        ]  # fmt: skip
    ),
    TEXT.map(lambda s: quote(s, safe="")) | RAW,
)
POSTS = st.tuples(
    st.just("post"),
    st.sampled_from(
        ["/console/todo/class/1", "/console/todo/class/99", "/console/signout", "/console/signin/x"]
    ),
    st.dictionaries(st.sampled_from(["decision", "reason", "csrf", "other"]), TEXT),
    st.booleans(),
    st.none() | st.binary(max_size=48),
)


@FUZZ
@given(case=st.one_of(QUERIES, PATHS, POSTS))
async def test_console_routes_never_fail(target, caplog, case) -> None:
    """Queries are answered 200 or 400; paths and posts never 5xx; a post without the
    session's CSRF token changes nothing (400 or 403)."""
    base, cookie, csrf = target
    async with aiohttp.ClientSession(headers=cookie) as client:
        if case[0] == "query":
            _, route, query = case
            async with client.get(base + route, params=query) as answer:
                assert answer.status in (200, 400), await answer.text()
        elif case[0] == "path":
            _, route, segment = case
            try:
                answer = await client.get(URL(base + route.format(segment), encoded=True))
            except (ValueError, aiohttp.InvalidURL):
                return  # not a URL a client can send
            async with answer:
                assert answer.status < 500, await answer.text()
        else:
            _, route, fields, real_csrf, raw = case
            if real_csrf:
                fields = {**fields, "csrf": csrf}
            if route == "/console/signout":
                fields = {k: v for k, v in fields.items() if k != "csrf"}  # stay signed in
            if raw is None:
                answer = await client.post(base + route, data=fields)
            else:
                content_type = {"Content-Type": "application/x-www-form-urlencoded"}
                answer = await client.post(base + route, data=raw, headers=content_type)
            async with answer:
                assert answer.status < 500, await answer.text()
                if route.startswith("/console/todo") and (raw is not None or not real_csrf):
                    assert answer.status in (400, 403)
    assert not [r for r in caplog.records if r.levelno >= logging.ERROR], caplog.text


async def test_another_regions_campaign_and_bundle_are_not_found_by_url(fast, target) -> None:
    """A supervisor typing another region's campaign, its recipients' export, or that region's
    class bundle or activity report into the address bar gets the 404 page (the same as an
    unknown id); their own dashboard shows the statistics and exports them."""
    base, cookie, _ = target
    async with fast.store() as session:
        elsewhere = Region(name="别的区")
        session.add(elsewhere)
        await session.flush()
        there = Institution(name="别的机构", region_id=elsewhere.id)
        session.add(there)
        await session.flush()
        foreign = await make_class(
            session, institution_id=there.id, region_id=elsewhere.id, start=date(2026, 3, 2)
        )
        maker = (await session.exec(select(Person))).first()
        campaign = Campaign(
            token="w2" * 8,
            form_key="needs",
            created_by=maker.id,
            institution_id=there.id,
            region_id=elsewhere.id,
            status="confirmed",
        )
        session.add(campaign)
        await session.flush()
        region = (await repo.regions(session))[0]
        here = (await repo.institutions_in(session, region.id))[0]
        mine = await make_class(
            session, institution_id=here.id, region_id=region.id, start=date(2026, 3, 2)
        )
        session.add(
            IssuedCertificate(
                number="2026-0009",
                programme="trainee",
                holder_name="Li",
                class_id=mine.id,
                class_name=mine.name,
                institution_id=here.id,
                institution_name=here.name,
                region_id=region.id,
                issued_on=date(2026, 3, 20),
                revoked_at=fast.clock.now(),
            )
        )
        ours = Campaign(
            token="w3" * 8,
            form_key="needs",
            created_by=maker.id,
            institution_id=here.id,
            region_id=region.id,
            status="confirmed",
        )
        session.add(ours)
        await session.flush()
        session.add(CampaignRecipient(campaign_id=ours.id, person_id=maker.id, state="completed"))
        own_class, own_campaign = mine.id, ours.id
        urls = [
            f"/console/campaigns/{campaign.id}",
            f"/console/campaigns/{campaign.id}/recipients.xlsx",
            f"/console/campaigns/{campaign.id}/answers.xlsx",
            f"/console/classes/{foreign.id}/bundle.zip",
            f"/console/classes/{foreign.id}/report.pdf",
        ]
    async with aiohttp.ClientSession(headers=cookie) as client:
        for url in urls:
            async with client.get(base + url) as answer:
                assert answer.status == 404, url
                assert "outside what you may see" in await answer.text()
        async with client.get(base + "/console/campaigns") as answer:
            listed = await answer.text()
            assert answer.status == 200 and f'/console/campaigns/{campaign.id}"' not in listed
            assert f'/console/campaigns/{own_campaign}"' in listed
        async with client.get(base + f"/console/campaigns/{own_campaign}") as answer:
            shown = await answer.text()
            assert answer.status == 200 and "Training needs questionnaire" in shown
            assert "completed" in shown and "100%" in shown
        async with client.get(base + f"/console/campaigns/{own_campaign}/recipients.csv") as got:
            assert got.status == 200 and "completed" in (await got.text())
        async with client.get(base + f"/console/classes/{own_class}") as answer:
            shown = await answer.text()
            assert answer.status == 200 and "2026-0009" in shown and "Revoked" in shown
            assert f"/console/classes/{own_class}/bundle.zip" in shown
        async with client.get(base + f"/console/classes/{own_class}/report.xlsx") as answer:
            assert answer.status == 200 and (await answer.read())[:2] == b"PK"
            assert "filename*=UTF-8''" in answer.headers["Content-Disposition"]
        async with client.get(base + "/console", params={"d": "region", "p": "all"}) as answer:
            page = await answer.text()
            assert answer.status == 200 and 'id="stats-table"' in page and "Total" in page
        async with client.get(base + "/console/stats.csv", params={"values": "codes"}) as answer:
            lines = (await answer.text()).lstrip("\ufeff").splitlines()
            assert answer.status == 200 and lines[0].startswith("institution,classes,enrolled")


def test_the_console_is_served_in_polling_and_webhook_mode_too(tmp_path) -> None:
    """The web chat's server has the console (the browser test signs in there); with a bot
    token the product's own small web server serves it as it serves the classroom screen."""
    settings = make_settings(
        tmp_path,
        f"sqlite+aiosqlite:///{tmp_path / 'unused.db'}",
        bot_token="123:abc",
        webhook_url="https://example.org/hook",
        webhook_secret="s3cret",
    )
    product = Product(settings)
    for app in (product._web_app(), product._webhook_app()):
        paths = {resource.canonical for resource in app.router.resources()}
        assert {"/console", "/console/signin/{token}", "/console/classes/{id}"} <= paths
