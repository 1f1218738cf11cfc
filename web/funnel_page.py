"""/questionnaires: how far invited customers get, per flow and channel (counts only)."""

from __future__ import annotations

from datetime import timedelta

from aiohttp import web

from services import page_views, questionnaire_funnel
from storage import funnel as funnel_rows
from storage import reporting
from web.pages import CONFIG, USER, render_page, request_lang

PERIODS = (7, 30, 90, 0)  # days; 0: since the first invite


def add_routes(app: web.Application) -> None:
    app.router.add_get("/questionnaires", questionnaires)


async def questionnaires(request: web.Request) -> web.Response:
    config, user = request.app[CONFIG], request[USER]
    lang = request_lang(request, user)
    query = request.query
    days = int(query["days"]) if query.get("days", "").isdecimal() and int(
        query["days"]) in PERIODS else 30
    channel = query.get("channel") if query.get("channel") in questionnaire_funnel.CHANNELS \
        else None
    source = query.get("source") if query.get("source") in questionnaire_funnel.SOURCES \
        else None
    now = config.clock()
    async with config.sessions.begin() as session:
        owners = await reporting.visible_owner_ids(session, user)
        rows = await funnel_rows.invites_since(session, owners,
                                               now - timedelta(days=days) if days else None)
        await page_views.viewed(session, user, now, "questionnaires")
    offered = sorted({f.id for f in config.flows.values() if f.audience == "customer"}
                     | {r.flow_id for r in rows if r.flow_id in config.flows})
    flow_id = query.get("flow") if query.get("flow") in offered else (
        "pre_meeting" if "pre_meeting" in offered else (offered[0] if offered else None))
    if flow_id is None:
        return render_page(request, "questionnaires.html", 200, user, f=None, flows=[],
                     days=days, periods=PERIODS, channel=channel, source=source)
    result = questionnaire_funnel.funnel(rows, config.flows[flow_id], lang, channel, source)
    return render_page(request, "questionnaires.html", 200, user, f=result, days=days,
                 periods=PERIODS, channel=channel, source=source,
                 flows=[(f, config.flows[f].title) for f in offered],
                 channels=questionnaire_funnel.CHANNELS, sources=questionnaire_funnel.SOURCES,
                 steps=questionnaire_funnel.STEPS)
