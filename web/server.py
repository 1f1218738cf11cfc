"""The web dashboard: read-only pages, rendered on the server, for managers (their team),
admins (everyone) and reps (their own customers), signed in by a one-time link from the
bot. Pages work without JavaScript; `static/app.js` only improves them (filters apply on
change, tables sort by a click on their heading)."""

from __future__ import annotations

import asyncio
import gc
import logging
from collections.abc import Awaitable, Callable, Mapping
from dataclasses import dataclass
from datetime import date, datetime, timedelta
from pathlib import Path
from typing import Any
from zoneinfo import ZoneInfo

from aiohttp import web
from jinja2 import Environment, FileSystemLoader, select_autoescape
from sqlalchemy.ext.asyncio import AsyncSession, async_sessionmaker

from chat.clock import Clock
from conversation import labels
from conversation.permissions import can_see
from conversation.texts import say as chat_say
from flows.card_fields import stage_label
from flows.model import Flow
from flows.quality import STAGES
from services import dashboard
from services.chart import figures, render_svg
from services.interviewing import InterviewService
from services.reports import build_report
from storage import audit, reporting, web_access
from storage.models import Customer, User
from web.metrics import METRICS_PATH, metrics_handler
from web.runner import SERVER_NAME
from web.texts import say

log = logging.getLogger(__name__)
HERE = Path(__file__).resolve().parent
COOKIE = "ib_session"
LANG_COOKIE = "ib_lang"
# no inline script or style anywhere: the policy forbids them, so injected markup cannot run
CSP = ("default-src 'none'; script-src 'self'; style-src 'self'; img-src 'self'; "
       "form-action 'self'; frame-ancestors 'none'; base-uri 'none'")
Handler = Callable[[web.Request], Awaitable[web.StreamResponse]]


@dataclass(frozen=True)
class Dashboard:
    sessions: async_sessionmaker[AsyncSession]
    flows: Mapping[str, Flow]
    clock: Clock
    timezone: str
    secure_cookies: bool = False  # served over HTTPS: the cookie says Secure
    interviews: InterviewService | None = None  # for the customers' web questionnaire


USER = web.RequestKey("user", User)
CONFIG = web.AppKey("dashboard", Dashboard)
TEMPLATES = Environment(loader=FileSystemLoader(HERE / "templates"),
                        autoescape=select_autoescape(["html"]), trim_blocks=True,
                        lstrip_blocks=True)


def make_app(config: Dashboard) -> web.Application:
    app = web.Application(middlewares=[_headers, _signed_in])
    app[CONFIG] = config
    app[CHARTS] = {}
    app.router.add_get("/", home)
    app.router.add_get("/login", login_page)
    app.router.add_post("/login", login)
    app.router.add_post("/logout", logout)
    app.router.add_get("/team", team)
    app.router.add_get("/customers", customers)
    app.router.add_get("/customers/{id:[0-9]+}", customer)
    app.router.add_get("/reps", reps)
    app.router.add_get("/report", report)
    app.router.add_get("/report.svg", report_svg)
    app.router.add_get("/healthz", healthz)
    app.router.add_get("/favicon.ico", favicon)
    app.router.add_get(METRICS_PATH, metrics_handler(config.sessions, config.clock))
    app.router.add_static("/static", HERE / "static", append_version=True)
    app.on_startup.append(_settled)
    from web import funnel_page

    funnel_page.add_routes(app)
    if config.interviews is not None:  # the customers' questionnaire, on the same server
        from web import questionnaire

        questionnaire.add_routes(app)
    return app


async def _settled(_app: web.Application) -> None:
    """Everything loaded by now lives as long as the process: out of the collector's sight,
    a full collection no longer walks it (bench M10: such pauses were the p99, as in M2)."""
    gc.collect()
    gc.freeze()


async def healthz(_request: web.Request) -> web.Response:
    return web.Response(text="ok")


async def favicon(_request: web.Request) -> web.FileResponse:
    """Asked for by every browser before anyone signs in: served to all."""
    return web.FileResponse(HERE / "static" / "favicon.svg",
                            headers={"Content-Type": "image/svg+xml",
                                     "Cache-Control": "public, max-age=86400"})


async def home(_request: web.Request) -> web.Response:
    raise web.HTTPSeeOther("/team")


# ------------------------------------------------------------------ middleware
@web.middleware
async def _headers(request: web.Request, handler: Handler) -> web.StreamResponse:
    """Every answer carries the security headers, an error page too; a failure is a plain
    500 page, never a traceback or the server's default page."""
    try:
        response = await handler(request)
    except web.HTTPException as exc:
        _secured(exc, request)
        raise
    except Exception:
        log.exception("%s %s failed", request.method, request.path)
        response = _page(request, "message.html", 500, None,
                         message=say("server_error", _lang(request, None)))
    return _secured(response, request)


def _secured(response: web.StreamResponse, request: web.Request) -> web.StreamResponse:
    response.headers["Server"] = SERVER_NAME  # no versions for a scanner to look up
    response.headers["Content-Security-Policy"] = CSP
    response.headers["X-Frame-Options"] = "DENY"
    response.headers["X-Content-Type-Options"] = "nosniff"
    response.headers["Referrer-Policy"] = "no-referrer"
    if not request.path.startswith("/static/") and request.path != "/favicon.ico":
        response.headers["Cache-Control"] = "no-store"  # personal data: never cached
    return response


# /q/: the invite is the key; /metrics: counts only (the proxy keeps it inside, deploy/)
OPEN = ("/login", "/logout", "/healthz", "/favicon.ico", METRICS_PATH, "/static/", "/q/")


@web.middleware
async def _signed_in(request: web.Request, handler: Handler) -> web.StreamResponse:
    if request.path.startswith(OPEN):
        return await handler(request)
    config = request.app[CONFIG]
    async with config.sessions() as session:
        user = await web_access.user_of(session, request.cookies.get(COOKIE), config.clock())
    if user is None:
        return _page(request, "message.html", 401, None, message=say("need_sign_in",
                                                                      _lang(request, None)))
    request[USER] = user
    return await handler(request)


def _lang(request: web.Request, user: User | None) -> str:
    """The language asked for (?lang=, remembered), else the viewer's own, else the
    browser's (someone not signed in), else Chinese."""
    chosen = request.query.get("lang") or request.cookies.get(LANG_COOKIE)
    if chosen in ("zh", "en"):
        return chosen
    if user is not None:
        return user.language if user.language in ("zh", "en") else "zh"
    first = request.headers.get("Accept-Language", "").split(",")[0].strip().lower()
    return "en" if first.startswith("en") else "zh"


def _page(request: web.Request, template: str, status: int, user: User | None,
          **context: Any) -> web.Response:
    lang = _lang(request, user)
    html = TEMPLATES.get_template(template).render(
        t=lambda key, **p: say(key, lang, **p), lang=lang, user=user, path=request.path,
        stage_label=stage_label, kind=lambda k: _kind(k, lang),
        role=lambda r: labels.role(r, lang), **context)
    response = web.Response(text=html, status=status, content_type="text/html")
    if request.query.get("lang") in ("zh", "en"):
        response.set_cookie(LANG_COOKIE, request.query["lang"], httponly=True,
                            samesite="Strict", max_age=365 * 86400,
                            secure=request.app[CONFIG].secure_cookies)
    return response


def _kind(kind: str, lang: str) -> str:
    """A reminder's kind as /today names it (the same words in chat and on the web)."""
    if kind == "overdue":  # /today's "agenda_overdue" is the word "overdue" after an item
        return say("overdue", lang)
    try:
        return chat_say(f"agenda_{kind}", lang)
    except KeyError:
        return kind


def _today(config: Dashboard) -> date:
    return config.clock().astimezone(ZoneInfo(config.timezone)).date()


# ------------------------------------------------------------------ signing in
async def login_page(request: web.Request) -> web.Response:
    """A link opened (by a person or a link preview) only shows a button: the token is
    spent by the POST, so a preview cannot use it up."""
    token = request.query.get("token", "")
    return _page(request, "login.html", 200, None, token=token)


def cross_site(request: web.Request) -> bool:
    """A form posted from another site (login CSRF: an attacker's page signing the victim
    in as the attacker). Browsers say where a POST comes from: Sec-Fetch-Site, Origin."""
    fetch_site = request.headers.get("Sec-Fetch-Site")
    if fetch_site is not None and fetch_site not in ("same-origin", "none"):
        return True
    origin = request.headers.get("Origin")
    return origin is not None and origin != "null" and origin.split("://", 1)[-1] != request.host


async def login(request: web.Request) -> web.StreamResponse:
    config = request.app[CONFIG]
    if cross_site(request):
        return _page(request, "message.html", 403, None,
                     message=say("cross_site", _lang(request, None)))
    form = await request.post()
    token = str(form.get("token", ""))
    now = config.clock()
    async with config.sessions.begin() as session:
        user = await web_access.redeem(session, token, now)
        if user is None:
            await audit.append(session, at=now, actor="web", action="web.sign_in",
                               entity="user", entity_id=None, channel="web", outcome="refused")
            sid = None
        else:
            sid = await web_access.open_session(session, user.id, now)
            await audit.append(session, at=now, actor=_actor(user),
                               action="web.sign_in", entity="user", entity_id=user.id,
                               channel="web")
    if user is None or sid is None:
        return _page(request, "message.html", 403, None, message=say("bad_link",
                                                                      _lang(request, None)))
    redirect = web.HTTPSeeOther("/team")
    redirect.set_cookie(COOKIE, sid, httponly=True, samesite="Strict",
                        secure=config.secure_cookies,
                        max_age=int(web_access.SESSION_VALID.total_seconds()))
    raise redirect


async def logout(request: web.Request) -> web.StreamResponse:
    config = request.app[CONFIG]
    async with config.sessions.begin() as session:
        await web_access.close_session(session, request.cookies.get(COOKIE))
    response = _page(request, "message.html", 200, None,
                     message=say("signed_out", _lang(request, None)))
    response.del_cookie(COOKIE)
    return response


# ------------------------------------------------------------------ pages
def _actor(user: User) -> str:
    """The signed-in person as the audit log names them (as the bot does)."""
    return f"tg:{user.telegram_id}"


async def _viewed(session: AsyncSession, user: User, now: datetime, page: str,
                  customer_id: int | None = None, outcome: str = "ok") -> None:
    """Every page view of personal data is in the audit log, as /card is (a refused one
    too)."""
    await audit.append(session, at=now, actor=_actor(user),
                       action="card.read" if customer_id else "web.read",
                       entity="customer" if customer_id else "page",
                       entity_id=customer_id if customer_id else page, channel="web",
                       outcome=outcome)


async def team(request: web.Request) -> web.Response:
    config, user = request.app[CONFIG], request[USER]
    lang = _lang(request, user)
    now = config.clock()
    async with config.sessions.begin() as session:
        owners = await reporting.visible_owner_ids(session, user)
        today = await dashboard.team_today(session, owners, now, _today(config),
                                           dict(config.flows), lang)
        await _viewed(session, user, now, "team")
    return _page(request, "team.html", 200, user, today=today)


async def customers(request: web.Request) -> web.Response:
    config, user = request.app[CONFIG], request[USER]
    query = request.query
    owner = query.get("owner", "")
    async with config.sessions.begin() as session:
        owners = await reporting.visible_owner_ids(session, user)
        found = await dashboard.customer_list(
            session, owners, _today(config), query=query.get("q", "")[:100],
            grade=query.get("grade", ""), priority=query.get("priority", ""),
            owner=int(owner) if owner.isdecimal() else None, overdue=query.get("overdue") == "1")
        await _viewed(session, user, config.clock(), "customers")
    return _page(request, "customers.html", 200, user, found=found, q=query.get("q", ""),
                 grade=query.get("grade", ""), priority=query.get("priority", ""),
                 owner=owner, overdue=query.get("overdue") == "1")


async def customer(request: web.Request) -> web.Response:
    config, user = request.app[CONFIG], request[USER]
    lang = _lang(request, user)
    now = config.clock()
    number = int(request.match_info["id"])
    async with config.sessions.begin() as session:
        found = await session.get(Customer, number) if number < 2**63 else None
        if found is None:
            return _page(request, "message.html", 404, user, message=say("not_found", lang))
        if not await can_see(session, user, found):
            await _viewed(session, user, now, "customer", found.id, outcome="refused")
            return _page(request, "message.html", 403, user, message=say("not_yours", lang))
        view = await dashboard.customer_view(session, found, dict(config.flows), lang)
        await _viewed(session, user, now, "customer", found.id)
    return _page(request, "customer.html", 200, user, view=view,
                 zone=ZoneInfo(config.timezone))


async def reps(request: web.Request) -> web.Response:
    config, user = request.app[CONFIG], request[USER]
    now = config.clock()
    async with config.sessions.begin() as session:
        owners = await reporting.visible_owner_ids(session, user)
        views = await dashboard.reps_view(session, owners, now, _today(config))
        await _viewed(session, user, now, "reps")
    return _page(request, "reps.html", 200, user, reps=views, stages=STAGES,
                 weeks=dashboard.week_starts(now, config.timezone))


async def report(request: web.Request) -> web.Response:
    user = request[USER]
    lang = _lang(request, user)
    return _page(request, "report.html", 200, user, chart=f"/report.svg?lang={lang}")


CHART_FRESH = timedelta(minutes=15)
Charts = dict[tuple[frozenset[int] | None, str], tuple[datetime, bytes]]
CHARTS = web.AppKey("charts", Charts)  # per app: one app, one database


async def report_svg(request: web.Request) -> web.Response:
    """The weekly report's chart for the viewer's scope. Building it reads every card in
    scope (about 2 s for 20,000 customers), so one drawing serves the same scope and
    language for 15 minutes; the audit still records each view."""
    config, user = request.app[CONFIG], request[USER]
    lang = _lang(request, user)
    now = config.clock()
    async with config.sessions.begin() as session:
        owners = await reporting.visible_owner_ids(session, user)
        key = (frozenset(owners) if owners is not None else None, lang)
        charts = request.app[CHARTS]
        cached = charts.get(key)
        if cached is None or now - cached[0] > CHART_FRESH:
            built = await build_report(session, dict(config.flows), owners, now,
                                       config.timezone, lang)
            svg = await asyncio.to_thread(render_svg, figures(built.data()), lang)
            charts[key] = cached = (now, svg)
            if len(charts) > 200:  # scopes come and go: keep the newest
                del charts[min(charts, key=lambda k: charts[k][0])]
        await _viewed(session, user, now, "report")
    return web.Response(body=cached[1], content_type="image/svg+xml")
