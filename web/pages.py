"""What every page of the web server shares: its configuration, the viewer's language, and
rendering a template in it (the dashboard and the customers' questionnaire alike)."""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from aiohttp import web
from jinja2 import Environment, FileSystemLoader, select_autoescape
from sqlalchemy.ext.asyncio import AsyncSession, async_sessionmaker

from chat.clock import Clock
from conversation import labels
from conversation.texts import say as chat_say
from flows.card_fields import stage_label
from flows.deal_warnings import KINDS, kind_label
from flows.model import Flow
from services.interview_service import InterviewService
from storage.models import User
from web.page_texts import say

HERE = Path(__file__).resolve().parent
LANG_COOKIE = "ib_lang"


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


def request_lang(request: web.Request, user: User | None) -> str:
    """The language asked for (?lang=, remembered), else the viewer's own, else the
    browser's (someone not signed in), else Chinese."""
    chosen = request.query.get("lang") or request.cookies.get(LANG_COOKIE)
    if chosen in ("zh", "en"):
        return chosen
    if user is not None:
        return user.language if user.language in ("zh", "en") else "zh"
    first = request.headers.get("Accept-Language", "").split(",")[0].strip().lower()
    return "en" if first.startswith("en") else "zh"


def render_page(request: web.Request, template: str, status: int, user: User | None,
          **context: Any) -> web.Response:
    lang = request_lang(request, user)
    html = TEMPLATES.get_template(template).render(
        t=lambda key, **p: say(key, lang, **p), lang=lang, user=user, path=request.path,
        stage_label=stage_label, kind=lambda k: reminder_kind(k, lang),
        role=lambda r: labels.role(r, lang), warning=lambda k: kind_label(k, lang),
        warning_kinds=KINDS, **context)
    response = web.Response(text=html, status=status, content_type="text/html")
    if request.query.get("lang") in ("zh", "en"):
        response.set_cookie(LANG_COOKIE, request.query["lang"], httponly=True,
                            samesite="Strict", max_age=365 * 86400,
                            secure=request.app[CONFIG].secure_cookies)
    return response


def reminder_kind(kind: str, lang: str) -> str:
    """A reminder's kind as /today names it (the same words in chat and on the web)."""
    if kind == "overdue":  # /today's "agenda_overdue" is the word "overdue" after an item
        return say("overdue", lang)
    try:
        return chat_say(f"agenda_{kind}", lang)
    except KeyError:
        return kind
