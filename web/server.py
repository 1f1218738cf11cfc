"""The web dashboard: read-only pages, rendered on the server, for managers (their team),
admins (everyone) and reps (their own customers), signed in by a one-time link from the
bot. Pages work without JavaScript; `static/app.js` only improves them (filters apply on
change, tables sort by a click on their heading)."""

from __future__ import annotations

import asyncio
import gc
import logging
from collections.abc import Awaitable, Callable
from datetime import date, datetime, timedelta
from zoneinfo import ZoneInfo

from aiohttp import web

from conversation.brief_lines import brief_lines
from flows.pool_rules import PoolRules
from flows.quality import STAGES
from services import dashboard, page_views, team_pool
from services.access import can_see
from services.briefing import read_brief
from services.chart import figures, render_svg
from services.reports import build_report
from services.sign_in_links import sign_in
from storage import customers as customer_rows
from storage import reporting, web_access
from web import api, funnel_page, questionnaire
from web.metrics import METRICS_PATH, metrics_handler
from web.page_texts import say
from web.pages import (
    CONFIG,
    HERE,
    USER,
    Dashboard,
    render_page,
    request_lang,
)
from web.runner import SERVER_NAME

log = logging.getLogger(__name__)
COOKIE = "ib_session"
# no inline script or style anywhere: the policy forbids them, so injected markup cannot run
CSP = ("default-src 'none'; script-src 'self'; style-src 'self'; img-src 'self'; "
       "form-action 'self'; frame-ancestors 'none'; base-uri 'none'")
Handler = Callable[[web.Request], Awaitable[web.StreamResponse]]


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
    app.router.add_get("/pool", pool)
    app.router.add_get("/report", report)
    app.router.add_get("/report.svg", report_svg)
    app.router.add_get("/healthz", healthz)
    app.router.add_get("/favicon.ico", favicon)
    app.router.add_get(METRICS_PATH, metrics_handler(config.sessions, config.clock))
    app.router.add_static("/static", HERE / "static", append_version=True)
    app.on_startup.append(_settled)
    funnel_page.add_routes(app)
    api.add_routes(app)
    if config.interviews is not None:  # the customers' questionnaire, on the same server
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
        response = render_page(request, "message.html", 500, None,
                         message=say("server_error", request_lang(request, None)))
    return _secured(response, request)


def _secured(response: web.StreamResponse, request: web.Request) -> web.StreamResponse:
    response.headers["Server"] = SERVER_NAME  # no versions for a scanner to look up
    response.headers["Content-Security-Policy"] = CSP
    response.headers["X-Frame-Options"] = "DENY"
    response.headers["X-Content-Type-Options"] = "nosniff"
    response.headers["Referrer-Policy"] = "no-referrer"
    if request.path.startswith("/api/"):  # kept by its client only, checked by its ETag
        response.headers["Cache-Control"] = "private, no-cache"
    elif not request.path.startswith("/static/") and request.path != "/favicon.ico":
        response.headers["Cache-Control"] = "no-store"  # personal data: never cached
    return response


# /q/: the invite is the key; /metrics: counts only (the proxy keeps it inside, deploy/)
# /api/: a token per call (web.api)
OPEN = ("/login", "/logout", "/healthz", "/favicon.ico", METRICS_PATH, "/static/", "/q/",
        "/api/")


@web.middleware
async def _signed_in(request: web.Request, handler: Handler) -> web.StreamResponse:
    if request.path.startswith(OPEN):
        return await handler(request)
    config = request.app[CONFIG]
    async with config.sessions() as session:
        user = await web_access.user_of(session, request.cookies.get(COOKIE), config.clock())
    if user is None:
        return render_page(request, "message.html", 401, None, message=say("need_sign_in",
                                                                      request_lang(request, None)))
    request[USER] = user
    return await handler(request)


def _today(config: Dashboard) -> date:
    return config.clock().astimezone(ZoneInfo(config.timezone)).date()


# ------------------------------------------------------------------ signing in
async def login_page(request: web.Request) -> web.Response:
    """A link opened (by a person or a link preview) only shows a button: the token is
    spent by the POST, so a preview cannot use it up."""
    token = request.query.get("token", "")
    return render_page(request, "login.html", 200, None, token=token)


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
        return render_page(request, "message.html", 403, None,
                     message=say("cross_site", request_lang(request, None)))
    form = await request.post()
    token = str(form.get("token", ""))
    now = config.clock()
    async with config.sessions.begin() as session:
        sid = await sign_in(session, token, actor_of=page_views.actor, now=now)
    if sid is None:
        return render_page(request, "message.html", 403, None, message=say("bad_link",
                                                                      request_lang(request, None)))
    redirect = web.HTTPSeeOther("/team")
    redirect.set_cookie(COOKIE, sid, httponly=True, samesite="Strict",
                        secure=config.secure_cookies,
                        max_age=int(web_access.SESSION_VALID.total_seconds()))
    raise redirect


async def logout(request: web.Request) -> web.StreamResponse:
    config = request.app[CONFIG]
    async with config.sessions.begin() as session:
        await web_access.close_session(session, request.cookies.get(COOKIE))
    response = render_page(request, "message.html", 200, None,
                     message=say("signed_out", request_lang(request, None)))
    response.del_cookie(COOKIE)
    return response


# ------------------------------------------------------------------ pages



async def team(request: web.Request) -> web.Response:
    config, user = request.app[CONFIG], request[USER]
    lang = request_lang(request, user)
    now = config.clock()
    async with config.sessions.begin() as session:
        owners = await reporting.visible_owner_ids(session, user)
        today = await dashboard.team_today(session, owners, now, _today(config),
                                           dict(config.flows), lang)
        await page_views.viewed(session, user, now, "team")
    return render_page(request, "team.html", 200, user, today=today)


async def customers(request: web.Request) -> web.Response:
    config, user = request.app[CONFIG], request[USER]
    query = request.query
    owner = query.get("owner", "")
    async with config.sessions.begin() as session:
        owners = await reporting.visible_owner_ids(session, user)
        found = await dashboard.customer_list(
            session, owners, _today(config), query=query.get("q", "")[:100],
            grade=query.get("grade", ""), priority=query.get("priority", ""),
            owner=int(owner) if owner.isdecimal() else None, overdue=query.get("overdue") == "1",
            warning=query.get("warning", ""))
        await page_views.viewed(session, user, config.clock(), "customers")
    return render_page(request, "customers.html", 200, user, found=found, q=query.get("q", ""),
                 grade=query.get("grade", ""), priority=query.get("priority", ""),
                 owner=owner, overdue=query.get("overdue") == "1",
                 warning_filter=query.get("warning", ""))


async def customer(request: web.Request) -> web.Response:
    config, user = request.app[CONFIG], request[USER]
    lang = request_lang(request, user)
    now = config.clock()
    number = int(request.match_info["id"])
    async with config.sessions.begin() as session:
        found = await customer_rows.get(session, number) if number < 2**63 else None
        if found is None:
            return render_page(request, "message.html", 404, user, message=say("not_found", lang))
        if not await can_see(session, user, found):
            await page_views.viewed(session, user, now, "customer", found.id, outcome="refused")
            return render_page(request, "message.html", 403, user, message=say("not_yours", lang))
        view = await dashboard.customer_view(session, found, dict(config.flows), lang)
        await page_views.viewed(session, user, now, "customer", found.id)
        brief = brief_lines(await read_brief(
            session, config.interviews, found, lang, reader=f"user:{user.id}", channel="web",
            now=now), config.flows, lang, ZoneInfo(config.timezone)) \
            if config.interviews is not None else []
    return render_page(request, "customer.html", 200, user, view=view,
                 zone=ZoneInfo(config.timezone), brief=brief[1:])


async def reps(request: web.Request) -> web.Response:
    config, user = request.app[CONFIG], request[USER]
    now = config.clock()
    async with config.sessions.begin() as session:
        owners = await reporting.visible_owner_ids(session, user)
        views = await dashboard.reps_view(session, owners, now, _today(config))
        await page_views.viewed(session, user, now, "reps")
    return render_page(request, "reps.html", 200, user, reps=views, stages=STAGES,
                 weeks=dashboard.week_starts(now, config.timezone))


async def pool(request: web.Request) -> web.Response:
    """The team pool: its size and age, releases and claims a week, holding per rep."""
    config, user = request.app[CONFIG], request[USER]
    now = config.clock()
    rules = config.interviews.pool_rules if config.interviews is not None else PoolRules()
    weeks = dashboard.week_starts(now, config.timezone)
    async with config.sessions.begin() as session:
        view = await team_pool.pool_view(session, user, rules, now, weeks)
        await page_views.viewed(session, user, now, "pool")
    return render_page(request, "pool.html", 200, user, view=view, enabled=rules.enabled)


async def report(request: web.Request) -> web.Response:
    user = request[USER]
    lang = request_lang(request, user)
    return render_page(request, "report.html", 200, user, chart=f"/report.svg?lang={lang}")


CHART_FRESH = timedelta(minutes=15)
Charts = dict[tuple[frozenset[int] | None, str], tuple[datetime, bytes]]
CHARTS = web.AppKey("charts", Charts)  # per app: one app, one database


async def report_svg(request: web.Request) -> web.Response:
    """The weekly report's chart for the viewer's scope. Building it reads every card in
    scope (about 2 s for 20,000 customers), so one drawing serves the same scope and
    language for 15 minutes; the audit still records each view."""
    config, user = request.app[CONFIG], request[USER]
    lang = request_lang(request, user)
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
        await page_views.viewed(session, user, now, "report")
    return web.Response(body=cached[1], content_type="image/svg+xml")
