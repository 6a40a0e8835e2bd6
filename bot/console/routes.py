"""The web console's pages on the product's web server (every run mode: `bot/app.py` adds
`Console.routes()` to the web chat's application and to the polling / webhook one).

Sign-in is a one-time link the bot sends on /console: opening it shows a page whose button
posts it back (a link preview fetching the URL does not spend it), which sets the session
cookie (HttpOnly, SameSite=Strict, Secure under https) and goes to the dashboard. Every page
asks `bot/services/console.py` for the signed-in Actor; every POST carries the session's CSRF
token. Query parameters are parsed strictly: anything malformed is a 400 page, a class or
trainee outside the actor's scope a 404 page, never a 5xx. Pages have the web chat's strict CSP
with a per-response nonce (`bot/webchat/security.py`).
"""

from __future__ import annotations

from collections.abc import Awaitable, Callable
from datetime import date, timedelta
from typing import Any
from urllib.parse import quote, urlencode

from aiohttp import web
from multidict import MultiMapping
from sqlalchemy.ext.asyncio import async_sessionmaker
from sqlmodel.ext.asyncio.session import AsyncSession

from bot.clock import Clock
from bot.config import LOCALES, Settings
from bot.console.views import (
    Format,
    Table,
    Values,
    classes_table,
    encoded,
    recipients_table,
    roster_table,
    stats_table,
    todo_table,
    trainees_table,
)
from bot.domain.assessment import ClassStage
from bot.domain.campaigns import SHOWN, Export
from bot.domain.classes import ClassStatus
from bot.domain.console import ABSOLUTE, LinkState, csrf_ok, csrf_token
from bot.domain.stats import Dimension, Period
from bot.i18n import environment, locale_for, text
from bot.services import console
from bot.services.actor import Actor
from bot.services.errors import NotAllowed, NotFound, Refusal
from bot.services.stats import Filters
from bot.views.stats import shown
from bot.webchat.security import new_nonce, page_headers
from bot.xlsx import XLSX_MIME
from storage.console import ClassFilter
from storage.db import unit_of_work

PDF_MIME, ZIP_MIME = "application/pdf", "application/zip"
COOKIE = "console_session"
HEADERS = {"Cache-Control": "no-store", "Referrer-Policy": "no-referrer", "X-Robots-Tag": "noindex"}
MAX_ID = 2**31 - 1
MAX_PAGE = 100_000
MAX_SEARCH = 32
MAX_REASON = 500
PHASES = tuple(
    dict.fromkeys(
        s.value
        for s in (ClassStatus.DRAFT, ClassStatus.SUBMITTED, ClassStatus.RETURNED, *ClassStatus)
        if s is not ClassStatus.CLOSED
    )
) + tuple(s.value for s in ClassStage)
"""The stages a class filter offers: its status (draft, submitted, returned, approved), and an
approved class's stage (open, in progress, ended, assessed, closed)."""


class BadRequest(Exception):
    """A query or form value that is not one the console makes."""


def _clean_text(value: str, limit: int) -> str:
    if len(value) > limit or any(ord(ch) < 32 and ch not in "\n\r\t" for ch in value):
        raise BadRequest
    if any(0xD800 <= ord(ch) <= 0xDFFF for ch in value):
        raise BadRequest
    return value.strip()


def _int(query: MultiMapping[str], name: str, low: int, high: int) -> int | None:
    raw = query.get(name, "")
    if raw == "":
        return None
    if not (raw.isascii() and raw.isdigit()) or len(raw) > 10 or not low <= int(raw) <= high:
        raise BadRequest
    return int(raw)


def _date(query: MultiMapping[str], name: str) -> date | None:
    raw = query.get(name, "")
    if raw == "":
        return None
    if len(raw) != 10 or not raw.isascii():
        raise BadRequest
    try:
        return date.fromisoformat(raw)
    except ValueError as error:
        raise BadRequest from error


def _choice(query: MultiMapping[str], name: str, choices: tuple[str, ...]) -> str | None:
    raw = query.get(name, "")
    if raw == "":
        return None
    if raw not in choices:
        raise BadRequest
    return raw


def _path_id(request: web.Request, name: str = "id") -> int:
    raw = request.match_info[name]
    if not (raw.isascii() and raw.isdigit()) or len(raw) > 10 or not 1 <= int(raw) <= MAX_ID:
        raise NotFound
    return int(raw)


def class_filter(query: MultiMapping[str]) -> ClassFilter:
    return ClassFilter(
        phase=_choice(query, "phase", PHASES),
        institution_id=_int(query, "institution", 1, MAX_ID),
        start_from=_date(query, "from"),
        start_to=_date(query, "to"),
    )


def _filter_query(chosen: ClassFilter) -> dict[str, str]:
    shown = {
        "phase": chosen.phase or "",
        "institution": str(chosen.institution_id or ""),
        "from": chosen.start_from.isoformat() if chosen.start_from else "",
        "to": chosen.start_to.isoformat() if chosen.start_to else "",
    }
    return {key: value for key, value in shown.items() if value}


def stats_choice(query: MultiMapping[str], actor: Actor) -> tuple[Dimension, Period, Filters]:
    """The dashboard's grouping, period and institution (defaults: by role, this year)."""
    dimension = _choice(query, "d", tuple(Dimension))
    period = _choice(query, "p", tuple(Period))
    return (
        Dimension(dimension) if dimension else console.stats_dimension(actor),
        Period(period) if period else console.STATS_PERIOD,
        Filters(institution_id=_int(query, "institution", 1, MAX_ID)),
    )


def _stats_query(dimension: Dimension, period: Period, filters: Filters) -> dict[str, str]:
    kept = {"d": dimension.value, "p": period.value}
    if filters.institution_id:
        kept["institution"] = str(filters.institution_id)
    return kept


def _search(query: MultiMapping[str]) -> str | None:
    return _clean_text(query.get("q", ""), MAX_SEARCH) or None


def _page(query: MultiMapping[str]) -> int:
    return _int(query, "page", 0, MAX_PAGE) or 0


Page = Callable[..., Awaitable[web.StreamResponse]]
"""A console page: (request, session, actor, csrf token[, posted form]) -> response."""


class Console:
    def __init__(self, settings: Settings, sessions: async_sessionmaker, clock: Clock) -> None:
        self.settings = settings
        self.sessions = sessions
        self.clock = clock

    def routes(self) -> list[web.AbstractRouteDef]:
        signed_in = self._signed_in
        return [
            web.get("/console", signed_in(self.dashboard)),
            web.get("/console/signin/{token}", self.sign_in_page),
            web.post("/console/signin/{token}", self.sign_in),
            web.post("/console/signout", self.sign_out),
            web.get("/console/classes", signed_in(self.classes)),
            web.get("/console/classes.{fmt}", signed_in(self.classes_export)),
            web.get("/console/classes/{id}", signed_in(self.class_page)),
            web.get("/console/stats.{fmt}", signed_in(self.stats_export)),
            web.get("/console/classes/{id}/roster.{fmt}", signed_in(self.roster_export)),
            web.get("/console/classes/{id}/report.{kind}", signed_in(self.report_download)),
            web.get("/console/classes/{id}/bundle.zip", signed_in(self.bundle_download)),
            web.get("/console/campaigns", signed_in(self.campaigns)),
            web.get("/console/campaigns/{id}", signed_in(self.campaign)),
            web.get("/console/campaigns/{id}/recipients.{fmt}", signed_in(self.recipients_export)),
            web.get("/console/campaigns/{id}/answers.xlsx", signed_in(self.answers_export)),
            web.get("/console/trainees", signed_in(self.trainees)),
            web.get("/console/trainees.{fmt}", signed_in(self.trainees_export)),
            web.get("/console/trainees/{id}", signed_in(self.trainee)),
            web.get("/console/todo", signed_in(self.todo)),
            web.get("/console/todo.{fmt}", signed_in(self.todo_export)),
            web.post("/console/todo/class/{id}", signed_in(self.decide_class, post=True)),
        ]

    # --- rendering --------------------------------------------------------------------------

    def _locale(self, request: web.Request) -> str:
        asked = request.query.get("lang")
        if asked in LOCALES:
            return asked
        header = request.headers.get("Accept-Language", "")
        return locale_for(header.split(",")[0].strip() or None, self.settings.default_locale)

    def _render(
        self, name: str, locale: str, *, status: int = 200, csrf: str | None = None, **context: Any
    ) -> web.Response:
        nonce = new_nonce()
        html = (
            environment()
            .get_template(f"console/{name}")
            .render(
                locale=locale,
                nonce=nonce,
                csrf=csrf,
                bot_name=text(locale, "common.bot_name"),
                current=context.pop("current", None),
                notice=context.pop("notice", None),
                tz=self.settings.tz,
                **context,
            )
        )
        return web.Response(
            text=html,
            content_type="text/html",
            charset="utf-8",
            status=status,
            headers={**page_headers(nonce), **HEADERS},
        )

    def _message(
        self,
        locale: str,
        status: int,
        message: str,
        *,
        hint: str | None = None,
        back: str | None = None,
        csrf: str | None = None,
    ) -> web.Response:
        return self._render(
            "message.html",
            locale,
            status=status,
            csrf=csrf,
            message=message,
            hint=hint,
            back=back,
            problem=status >= 400,
        )

    def _file(self, table: Table, form: Format) -> web.Response:
        data, mime = encoded(table, form)
        stamp = self.clock.now().astimezone(self.settings.tz).strftime("%Y%m%d-%H%M")
        return _download(f"{table.name}-{stamp}.{form}", data, mime)

    def _secure(self, request: web.Request) -> bool:
        return request.secure or (self.settings.public_url or "").startswith("https://")

    # --- sessions ---------------------------------------------------------------------------

    def _signed_in(self, page: Page, *, post: bool = False) -> Callable[..., Any]:
        """Runs `page` with the signed-in actor in one unit of work; without a session, the
        sign-in hint (401). A POST must carry the session's CSRF token. A refusal is a 404
        page (another region's class looks like no class), bad parameters a 400 page."""

        async def handler(request: web.Request) -> web.StreamResponse:
            locale = self._locale(request)
            secret = request.cookies.get(COOKIE)
            form: MultiMapping[str] | None = None
            if post:
                try:
                    form = await request.post()
                except web.HTTPException:
                    raise
                except Exception:  # a malformed body of any kind
                    return self._message(locale, 400, text(locale, "console.bad_request"))
            try:
                async with unit_of_work(self.sessions) as session:
                    actor = await console.actor_for(session, secret, self.clock.now())
                    if actor is None:
                        return self._message(locale, 401, text(locale, "console.need_sign_in"))
                    locale = actor.locale
                    csrf = csrf_token(secret)
                    if post and not csrf_ok(secret, _field(form, "csrf")):
                        return self._message(
                            locale, 403, text(locale, "console.csrf_failed"), csrf=csrf
                        )
                    if post:
                        return await page(request, session, actor, csrf, form)
                    return await page(request, session, actor, csrf)
            except BadRequest:
                return self._message(
                    locale, 400, text(locale, "console.bad_request"), back="/console"
                )
            except (NotFound, NotAllowed):
                return self._message(
                    locale, 404, text(locale, "console.not_found"), back="/console"
                )
            except Refusal as refusal:
                return self._message(
                    locale, 409, text(locale, refusal.key, **refusal.context), back="/console/todo"
                )

        return handler

    async def sign_in_page(self, request: web.Request) -> web.Response:
        locale = self._locale(request)
        async with unit_of_work(self.sessions) as session:
            state = await console.peek_link(session, request.match_info["token"], self.clock.now())
        if state is not LinkState.VALID:
            return self._link_refused(locale, state)
        return self._render("signin.html", locale, action=request.path)

    async def sign_in(self, request: web.Request) -> web.Response:
        locale = self._locale(request)
        async with unit_of_work(self.sessions) as session:
            state, secret = await console.sign_in(
                session, request.match_info["token"], self.clock.now()
            )
        if secret is None:
            return self._link_refused(locale, state)
        response = web.Response(status=303, headers={**HEADERS, "Location": "/console"})
        response.set_cookie(
            COOKIE,
            secret,
            path="/console",
            max_age=int(ABSOLUTE.total_seconds()),
            httponly=True,
            samesite="Strict",
            secure=self._secure(request),
        )
        return response

    def _link_refused(self, locale: str, state: LinkState) -> web.Response:
        status = 404 if state is LinkState.UNKNOWN else 410
        return self._message(
            locale,
            status,
            text(locale, "console.link_state", state=state.value),
            hint=text(locale, "console.link_again"),
        )

    async def sign_out(self, request: web.Request) -> web.Response:
        locale = self._locale(request)
        secret = request.cookies.get(COOKIE)
        try:
            form = await request.post()
        except web.HTTPException:
            raise
        except Exception:
            return self._message(locale, 400, text(locale, "console.bad_request"))
        if secret is None or not csrf_ok(secret, _field(form, "csrf")):
            return self._message(locale, 403, text(locale, "console.csrf_failed"))
        async with unit_of_work(self.sessions) as session:
            await console.sign_out(session, secret, self.clock.now())
        response = self._message(locale, 200, text(locale, "console.signed_out"))
        response.del_cookie(COOKIE, path="/console")
        return response

    # --- pages ------------------------------------------------------------------------------

    async def dashboard(
        self, request: web.Request, session: AsyncSession, actor: Actor, csrf: str
    ) -> web.Response:
        dimension, period, filters = stats_choice(request.query, actor)
        table = await console.figures(session, actor, dimension, period, filters)
        end = table.period.end if table else None
        return self._render(
            "dashboard.html",
            actor.locale,
            csrf=csrf,
            current="dashboard",
            board=await console.dashboard(session, actor),
            phases=PHASES,
            stats=table,
            last=end - timedelta(days=1) if end else None,
            dimension=dimension,
            period=period,
            dimensions=tuple(Dimension),
            periods=tuple(Period),
            chosen_institution=filters.institution_id,
            institutions=await console.institution_choices(session, actor),
            query=urlencode(_stats_query(dimension, period, filters)),
            figure=shown,
        )

    async def stats_export(
        self, request: web.Request, session: AsyncSession, actor: Actor, csrf: str
    ) -> web.Response:
        form, values = _export_kind(request)
        dimension, period, filters = stats_choice(request.query, actor)
        table = await console.figures(session, actor, dimension, period, filters)
        if table is None:
            raise NotAllowed
        return self._file(stats_table(actor.locale, table, dimension, values), form)

    async def classes(
        self, request: web.Request, session: AsyncSession, actor: Actor, csrf: str
    ) -> web.Response:
        chosen = class_filter(request.query)
        shown = await console.classes(session, actor, chosen, _page(request.query))
        kept = _filter_query(chosen)
        return self._render(
            "classes.html",
            actor.locale,
            csrf=csrf,
            current="classes",
            chosen=chosen,
            phases=PHASES,
            institutions=await console.institution_choices(session, actor),
            shown=shown,
            query=urlencode(kept),
            page_url=lambda page: "/console/classes?" + urlencode({**kept, "page": page}),
        )

    async def classes_export(
        self, request: web.Request, session: AsyncSession, actor: Actor, csrf: str
    ) -> web.Response:
        form, values = _export_kind(request)
        rows = await console.all_classes(session, actor, class_filter(request.query))
        return self._file(classes_table(actor.locale, rows, values), form)

    async def class_page(
        self, request: web.Request, session: AsyncSession, actor: Actor, csrf: str
    ) -> web.Response:
        view = await console.class_page(session, actor, _path_id(request))
        return self._render("class.html", actor.locale, csrf=csrf, current="classes", view=view)

    async def roster_export(
        self, request: web.Request, session: AsyncSession, actor: Actor, csrf: str
    ) -> web.Response:
        form, values = _export_kind(request)
        view = await console.class_page(session, actor, _path_id(request))
        return self._file(roster_table(actor.locale, view.people, values), form)

    async def report_download(
        self, request: web.Request, session: AsyncSession, actor: Actor, csrf: str
    ) -> web.Response:
        """The activity report (ACTIVITY_REPORT) as /report prints it, off the event loop."""
        kind = request.match_info["kind"]
        if kind not in ("pdf", "xlsx"):
            raise NotFound
        files = await console.report_files(session, actor, _path_id(request))
        name, data = files.pdf if kind == "pdf" else files.xlsx
        return _download(name, data, PDF_MIME if kind == "pdf" else XLSX_MIME)

    async def bundle_download(
        self, request: web.Request, session: AsyncSession, actor: Actor, csrf: str
    ) -> web.Response:
        """The reporting bundle (REPORT_BUNDLE) as one ZIP, as /bundle builds it."""
        name, data = await console.bundle_archive(session, actor, _path_id(request))
        return _download(name, data, ZIP_MIME)

    async def campaigns(
        self, request: web.Request, session: AsyncSession, actor: Actor, csrf: str
    ) -> web.Response:
        shown = await console.campaign_list(session, actor, _page(request.query))
        return self._render(
            "campaigns.html",
            actor.locale,
            csrf=csrf,
            current="campaigns",
            shown=shown,
            page_url=lambda page: "/console/campaigns?" + urlencode({"page": page}),
        )

    async def campaign(
        self, request: web.Request, session: AsyncSession, actor: Actor, csrf: str
    ) -> web.Response:
        campaign_id = _path_id(request)
        view = await console.campaign(session, actor, campaign_id, _page(request.query))
        return self._render(
            "campaign.html",
            actor.locale,
            csrf=csrf,
            current="campaigns",
            view=view,
            states=SHOWN,
            page_url=lambda page: f"/console/campaigns/{campaign_id}?" + urlencode({"page": page}),
        )

    async def recipients_export(
        self, request: web.Request, session: AsyncSession, actor: Actor, csrf: str
    ) -> web.Response:
        form, values = _export_kind(request)
        campaign_id = _path_id(request)
        rows = await console.all_recipients(session, actor, campaign_id)
        return self._file(recipients_table(actor.locale, campaign_id, rows, values), form)

    async def answers_export(
        self, request: web.Request, session: AsyncSession, actor: Actor, csrf: str
    ) -> web.Response:
        how = _choice(request.query, "values", tuple(Export)) or Export.LABELS
        name, data = await console.campaign_answers(
            session, actor, _path_id(request), Export(how), self.settings.tz
        )
        return _download(name, data, XLSX_MIME)

    async def trainees(
        self, request: web.Request, session: AsyncSession, actor: Actor, csrf: str
    ) -> web.Response:
        search = _search(request.query)
        shown = await console.trainees(session, actor, search, _page(request.query))
        kept = {"q": search} if search else {}
        return self._render(
            "trainees.html",
            actor.locale,
            csrf=csrf,
            current="trainees",
            search=search,
            shown=shown,
            query=urlencode(kept),
            page_url=lambda page: "/console/trainees?" + urlencode({**kept, "page": page}),
        )

    async def trainees_export(
        self, request: web.Request, session: AsyncSession, actor: Actor, csrf: str
    ) -> web.Response:
        form, values = _export_kind(request)
        lines = await console.all_trainees(session, actor, _search(request.query))
        return self._file(trainees_table(actor.locale, lines, values, self.settings.tz), form)

    async def trainee(
        self, request: web.Request, session: AsyncSession, actor: Actor, csrf: str
    ) -> web.Response:
        view = await console.trainee(session, actor, _path_id(request))
        return self._render("trainee.html", actor.locale, csrf=csrf, current="trainees", view=view)

    async def todo(
        self, request: web.Request, session: AsyncSession, actor: Actor, csrf: str
    ) -> web.Response:
        inbox = await console.inbox(session, actor, _page(request.query))
        return self._render("todo.html", actor.locale, csrf=csrf, current="todo", inbox=inbox)

    async def todo_export(
        self, request: web.Request, session: AsyncSession, actor: Actor, csrf: str
    ) -> web.Response:
        form, values = _export_kind(request)
        items = await console.all_todo(session, actor)
        return self._file(todo_table(actor.locale, items, values, self.settings.tz), form)

    async def decide_class(
        self,
        request: web.Request,
        session: AsyncSession,
        actor: Actor,
        csrf: str,
        form: MultiMapping[Any],
    ) -> web.Response:
        class_id = _path_id(request)
        decision = _field(form, "decision")
        if decision not in ("approve", "return"):
            raise BadRequest
        reason = _clean_text(_field(form, "reason") or "", MAX_REASON) or None
        back = f"/console/classes/{class_id}"
        if decision == "return" and reason is None:
            return self._message(
                actor.locale, 400, text(actor.locale, "console.reason_needed"), back=back, csrf=csrf
            )
        decided = await console.decide_class(
            session,
            actor,
            class_id,
            decision == "approve",
            reason if decision == "return" else None,
        )
        return self._message(
            actor.locale,
            200,
            text(actor.locale, "console.decided", status=decided.status),
            back=back,
            csrf=csrf,
        )


def _field(form: MultiMapping[Any] | None, name: str) -> str | None:
    value = form.get(name) if form is not None else None
    return value if isinstance(value, str) else None


def _download(name: str, data: bytes, mime: str) -> web.Response:
    """A file to save: its name in ASCII for old clients and in full (RFC 6266) for the rest."""
    plain = name.encode("ascii", "replace").decode().replace("?", "_").replace('"', "_")
    disposition = f"attachment; filename=\"{plain}\"; filename*=UTF-8''{quote(name, safe='')}"
    return web.Response(
        body=data,
        content_type=mime,
        headers={
            **HEADERS,
            "Content-Disposition": disposition,
            "X-Content-Type-Options": "nosniff",
        },
    )


def _export_kind(request: web.Request) -> tuple[Format, Values]:
    try:
        form = Format(request.match_info["fmt"])
        values = Values(request.query.get("values", Values.LABELS.value))
    except ValueError as error:
        raise BadRequest from error
    return form, values
