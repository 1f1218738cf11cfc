"""The customer's questionnaire as web pages (the invite link's web form, for customers
without Telegram, e.g. in WeChat's browser): consent first, then one question per page,
each answer saved as it is given, through the same interview service as the bot.

The link is bound to the first browser that opens it (an HttpOnly cookie; another device
gets the "link used" message). Works without JavaScript: one form per question.
"""

from __future__ import annotations

from aiohttp import web
from sqlalchemy.ext.asyncio import AsyncSession

from conversation.texts import CONSENT_VERSION, consent_notice
from conversation.texts import say as chat_say
from flows import engine
from flows.answer_checks import options
from flows.i18n import pick
from flows.messages import message, progress
from flows.model import QuestionType
from flows.steps import Completed, Prompt, Step
from services import questionnaire_journey as journey
from services.interview_service import (
    Correction,
    InterviewError,
    Turn,
)
from storage import consents
from storage.models import Interview, Invite
from web.page_texts import say
from web.pages import CONFIG, render_page, request_lang

BROWSER_COOKIE = "ib_q"  # one random key per browser, kept as a hash on the invite
Q = "/q/{token:[A-Za-z0-9_-]{20,64}}"


def add_routes(app: web.Application) -> None:
    app.router.add_get(Q, show)
    app.router.add_post(Q, answer)
    app.router.add_post(Q + "/consent", consent)
    app.router.add_get(Q + "/fix/{question:[a-z][a-z0-9_]{0,31}}", fix_form)
    app.router.add_post(Q + "/fix/{question:[a-z][a-z0-9_]{0,31}}", fix)


async def _invite(request: web.Request, session: AsyncSession) -> tuple[Invite | None, str | None]:
    """The invite of the link, if this browser may use it; and the browser's key (new when
    this is the first browser)."""
    opened = await journey.open_in_browser(session, request.match_info["token"],
                                           request.cookies.get(BROWSER_COOKIE),
                                           request.app[CONFIG].clock())
    return (None, None) if opened is None else (opened.invite, opened.browser_key)


def _with_cookie(response: web.Response, request: web.Request, key: str | None) -> web.Response:
    if key is not None and request.cookies.get(BROWSER_COOKIE) != key:
        # Lax, not Strict: the customer arrives from a link in another app (WeChat, mail)
        response.set_cookie(BROWSER_COOKIE, key, httponly=True, samesite="Lax",
                            secure=request.app[CONFIG].secure_cookies, max_age=30 * 86400)
    return response


def _refused(request: web.Request) -> web.Response:
    """In the questionnaire's own page (a customer, not the staff's dashboard header)."""
    return render_page(request, "q_message.html", 403, None,
                 message=chat_say("invalid_link", request_lang(request, None)))


async def show(request: web.Request) -> web.Response:
    config = request.app[CONFIG]
    lang = request_lang(request, None)
    async with config.sessions.begin() as session:
        invite, key = await _invite(request, session)
        if invite is None:
            return _refused(request)
        decision = await consents.latest_for_invite(session, invite.id, CONSENT_VERSION)
        if decision != "accepted":
            flow = config.flows[invite.flow_id]
            notice = consent_notice(lang, await journey.inviter_name(session, invite),
                                    pick(flow.title, lang), decision == "outdated")
            notice = notice.replace(chat_say("withdraw_sentence", lang),
                                    say("q_withdraw", lang))
            page = render_page(request, "q_consent.html", 200, None, notice=notice,
                         declined=decision in ("declined", "withdrawn"),
                         token=request.match_info["token"])
            return _with_cookie(page, request, key)
        turn = await _begin(request, session, invite, lang)
        fixable = await _correctable(request, session, invite,
                                     await journey.finished(session, invite))
    return _with_cookie(_step_page(request, turn, correctable=fixable), request, key)


async def consent(request: web.Request) -> web.StreamResponse:
    config = request.app[CONFIG]
    form = await request.post()
    async with config.sessions.begin() as session:
        invite, key = await _invite(request, session)
        if invite is None:
            return _refused(request)
        agreed = form.get("choice") == "agree"
        await journey.decide_consent(session, invite, journey.web_respondent(invite), agreed=agreed,
                                     now=config.clock(), version=CONSENT_VERSION)
    # the link is bound to the browser that decides: it keeps the key (a form posted
    # without the cookie must not bind the link to nobody and lock the customer out)
    if not agreed:
        return _with_cookie(render_page(request, "q_message.html", 200, None,
                                  message=chat_say("declined", request_lang(request, None))),
                            request, key)
    onwards = web.HTTPSeeOther(request.path.rsplit("/", 1)[0])
    _with_cookie(onwards, request, key)
    raise onwards


async def _begin(request: web.Request, session: AsyncSession, invite: Invite, lang: str) -> Turn:
    service = request.app[CONFIG].interviews
    assert service is not None
    return await journey.begin(service, session, invite, journey.web_respondent(invite), lang)


async def answer(request: web.Request) -> web.Response:
    """One form sent: an answer to the question it showed (`at`), /back or /skip."""
    config = request.app[CONFIG]
    lang = request_lang(request, None)
    form = await request.post()
    async with config.sessions.begin() as session:
        invite, key = await _invite(request, session)
        if invite is None:
            return _refused(request)
        if await consents.latest_for_invite(session, invite.id, CONSENT_VERSION) != "accepted":
            raise web.HTTPSeeOther(request.path)
        service = config.interviews
        assert service is not None
        interview_id = await journey.under_way(service, session, invite,
                                               journey.web_respondent(invite), lang)
        at = str(form.get("at", ""))
        action = str(form.get("action", "answer"))
        if action == "back":
            turn = await service.back(session, interview_id, lang, at=at)
        elif action == "skip":
            turn = await service.skip(session, interview_id, lang, at=at)
        else:
            values = [str(v) for v in form.getall("value", []) if str(v).strip()]
            typed = ",".join(values) if len(values) > 1 else (values[0] if values else "")
            turn = await service.answer(session, interview_id, typed, lang, at=at)
        if isinstance(turn.step, Completed) and turn.status == "completed":
            await journey.tell_inviter(session, invite, turn, config.clock())
        fixable = await _correctable(request, session, invite,
                                     await journey.finished(session, invite))
    return _with_cookie(_step_page(request, turn, correctable=fixable), request, key)


async def _correctable(request: web.Request, session: AsyncSession, invite: Invite,
                       interview: Interview | None) -> list[Correction]:
    """What the customer may still correct (none once the 24 hours are over)."""
    service = request.app[CONFIG].interviews
    if interview is None or service is None:
        return []
    try:
        return await service.correctable(session, interview.id, request_lang(request, None),
                                         journey.web_respondent(invite))
    except InterviewError:
        return []


async def fix_form(request: web.Request) -> web.Response:
    """One answer of the finished questionnaire, to correct (within 24 hours)."""
    config = request.app[CONFIG]
    async with config.sessions.begin() as session:
        invite, key = await _invite(request, session)
        interview = None if invite is None else await journey.finished(session, invite)
        if invite is None or interview is None or config.interviews is None:
            return _refused(request)
        try:
            answers = await config.interviews.correctable(
                session, interview.id, request_lang(request, None), journey.web_respondent(invite))
        except InterviewError as exc:
            return render_page(request, "q_message.html", 410, None, message=str(exc))
    return _with_cookie(_fix_page(request, interview, answers), request, key)


async def fix(request: web.Request) -> web.Response:
    config = request.app[CONFIG]
    lang = request_lang(request, None)
    form = await request.post()
    values = [str(v) for v in form.getall("value", []) if str(v).strip()]
    typed = ",".join(values) if len(values) > 1 else (values[0] if values else "")
    async with config.sessions.begin() as session:
        invite, key = await _invite(request, session)
        interview = None if invite is None else await journey.finished(session, invite)
        if invite is None or interview is None or config.interviews is None:
            return _refused(request)
        service = config.interviews
        try:
            corrected = await service.correct(session, interview.id,
                                              request.match_info["question"], typed, lang,
                                              journey.web_respondent(invite))
        except InterviewError as exc:  # the form again, saying why; or the time is up
            try:
                answers = await service.correctable(session, interview.id, lang,
                                                    journey.web_respondent(invite))
            except InterviewError as closed:  # the 24 hours are over: nothing changed
                return render_page(request, "q_message.html", 410, None, message=str(closed))
            return _with_cookie(_fix_page(request, interview, answers, str(exc)), request, key)
        turn = await service.show(session, interview.id, lang)
        left = await _correctable(request, session, invite, interview)
    notice = say("q_corrected", lang, question=corrected.question, answer=corrected.after)
    return _with_cookie(_step_page(request, turn, notice, left), request, key)


def _fix_page(request: web.Request, interview: Interview, answers: list[Correction],
              error: str | None = None) -> web.Response:
    lang = request_lang(request, None)
    found = [a for a in answers if a.question_id == request.match_info["question"]]
    if not found:
        return render_page(request, "q_message.html", 404, None,
                     message=message("correct_which", lang))
    question = request.app[CONFIG].flows[interview.flow_id].question(found[0].question_id)
    return render_page(request, "q_fix.html", 200, None,
                 question=found[0].question, current=found[0].before, error=error,
                 options=options(question, lang),
                 multi=question.type == QuestionType.MULTI_CHOICE,
                 input_type="tel" if question.type == QuestionType.PHONE else "text",
                 back=request.path.split("/fix/")[0])


def _step_page(request: web.Request, turn: Turn, notice: str | None = None,
               correctable: list[Correction] | None = None) -> web.Response:
    step: Step = turn.step
    lang = request_lang(request, None)
    if isinstance(step, Completed):
        return render_page(request, "q_done.html", 200, None, notice=notice,
                     thanks=chat_say("thanks_customer", lang), summary=step.summary,
                     fixable={a.question_id for a in correctable or []},
                     fix_base=request.path.split("/fix/")[0] + "/fix/")
    assert isinstance(step, Prompt)
    multi = step.kind == QuestionType.MULTI_CHOICE and step.mode == "answer"
    numeric = step.kind in (QuestionType.INTEGER, QuestionType.NUMBER)
    return render_page(request, "q_step.html", 200, None, step=step, at=engine.place_of(step),
                 multi=multi, buttons=bool(step.options) and not multi,
                 input_type="tel" if step.kind == QuestionType.PHONE else "text",
                 inputmode="decimal" if numeric else "text", notice=turn.notice,
                 progress=progress(step.number, step.total, step.exact, lang))
