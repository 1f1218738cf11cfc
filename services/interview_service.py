"""Running interviews against the database: one transaction per respondent input.

Each call locks the interview row, restores the engine state, applies one engine step and
writes the answer, the card fields it fills and the new state together. The caller owns the
session and commits before it shows the next question, so an answer and whatever else the
same input caused (an inbox row, a reply to send) commit together. Every door goes through it.
"""

from __future__ import annotations

from collections.abc import Callable, Mapping, Sequence
from dataclasses import asdict, dataclass
from datetime import date, datetime, timedelta
from zoneinfo import ZoneInfo

from sqlalchemy.ext.asyncio import AsyncSession

from chat.clock import Clock
from flows import briefing, deal_warnings, engine
from flows.answer_checks import InvalidAnswer, display
from flows.card_fields import DATE_WORDS, RULE_SETTABLE
from flows.messages import message
from flows.model import Flow
from flows.outcome import question_text as fill_text
from flows.pool_rules import PoolRules
from flows.resume import FlowMismatch, resume
from flows.state import InterviewState
from flows.steps import Step, Transition
from services import events
from services.follow_up_planner import FollowUpPlanner, Scheduled
from services.known_facts import read_known
from services.respondents import Respondent as Respondent
from services.respondents import actor_of as actor_of
from services.respondents import answerer as answerer
from storage import answers, audit, card, customers, interviews, invites, reminders
from storage.models import Customer, Interview

EngineOp = Callable[[Flow, InterviewState, date], Transition]
RESUMABLE_FOR = timedelta(days=14)  # a stopped interview is offered again this long
CORRECTION_WINDOW = timedelta(hours=24)  # a finished questionnaire's answers stay correctable


class InterviewError(Exception):
    """A request that cannot be carried out; the message says why."""


@dataclass(frozen=True, slots=True)
class Turn:
    interview_id: int
    flow_id: str
    step: Step
    status: str = "active"
    resumed: bool = False
    notice: str | None = None
    scheduled: Scheduled | None = None  # on completion: what was planned
    resumable: tuple[int, int] | None = None  # a stopped interview (id, answers) to go on with


@dataclass(frozen=True, slots=True)
class Correction:
    """One answer of a finished interview, changed by its respondent."""

    interview_id: int
    question_id: str
    question: str  # as the respondent read it
    before: str
    after: str


class InterviewService:
    def __init__(self, flows: Mapping[str, Flow], clock: Clock, timezone: str,
                 planner: FollowUpPlanner | None = None,
                 vague_rules: Mapping[str, Sequence[str]] | None = None,
                 brief_rules: briefing.BriefRules | None = None,
                 warning_rules: deal_warnings.WarningRules | None = None,
                 pool_rules: PoolRules | None = None) -> None:
        self.flows, self.clock, self.planner = flows, clock, planner
        self.zone = ZoneInfo(timezone)
        self.vague_rules = vague_rules or {}  # the policy's `vague_answers`
        self.brief_rules = brief_rules or briefing.BriefRules()  # the policy's `brief`
        self.warning_rules = warning_rules or deal_warnings.WarningRules()  # and `warnings`
        self.pool_rules = pool_rules or PoolRules()  # and `pool`

    def _flow(self, flow_id: str) -> Flow:
        try:
            return self.flows[flow_id]
        except KeyError:
            known = ", ".join(sorted(self.flows)) or "none"
            raise InterviewError(f"there is no flow `{flow_id}` (flows: {known})") from None

    async def begin(self, session: AsyncSession, *, customer_id: int, flow_id: str,
                    respondent: Respondent, language: str) -> Turn:
        """Resume this respondent's unfinished interview for the customer, or start one."""
        flow = self._flow(flow_id)
        now = self.clock()
        found, stopped = await interviews.active_or_stopped(
            session, respondent.key, customer_id, flow_id, now - RESUMABLE_FOR)
        if found is not None:
            found.updated_at = now  # the interview in front of the respondent now
            return await self._apply(session, found, language, now, _show(language), None,
                                     resumed=bool(found.state.get("answers")))
        state = engine.start(flow)
        contact = await read_known(session, flow, state, customer_id, respondent.key, language,
                                   now.astimezone(self.zone).date(), self.vague_rules)
        engine.arrive(flow, state)
        interview = await interviews.create(
            session, flow_id=flow.id, flow_version=str(flow.version),
            fingerprint=flow.fingerprint, customer_id=customer_id,
            respondent_key=respondent.key, respondent_user_id=respondent.user_id,
            language=language, state=state.to_json(), now=now, contact_id=contact)
        await audit.append(session, at=now, actor=respondent.actor, action="interview.start",
                           entity="interview", entity_id=interview.id,
                           channel=respondent.channel)
        given = len(stopped.state.get("answers") or {}) if stopped is not None else 0
        return Turn(interview.id, flow.id, engine.view(flow, state, language),
                    resumable=(stopped.id, given) if stopped is not None and given else None)

    async def reopen(self, session: AsyncSession, stopped_id: int, instead_of: int,
                     respondent: Respondent, language: str) -> Turn:
        """Go on with an interview stopped with /cancel, in place of the one just begun
        (which is dropped: it has no answer yet)."""
        now = self.clock()
        stopped = await self._lock(session, stopped_id)
        fresh = await self._lock(session, instead_of)
        if (stopped.respondent_key != respondent.key or fresh.respondent_key != respondent.key
                or stopped.status != "cancelled" or fresh.status != "active"
                or fresh.state.get("answers") or stopped.flow_id != fresh.flow_id
                or stopped.customer_id != fresh.customer_id):
            raise InterviewError("that interview cannot be continued any more")
        fresh.status, fresh.updated_at = "cancelled", now
        await session.flush()  # one active interview per respondent, customer and flow
        stopped.status = "active"
        await audit.append(session, at=now, actor=respondent.actor, action="interview.resume",
                           entity="interview", entity_id=stopped.id, channel=respondent.channel)
        return await self._apply(session, stopped, language, now, _show(language), None,
                                 resumed=True)

    async def answer(self, session: AsyncSession, interview_id: int, text: str, language: str,
                     update_id: int | None = None, at: str | None = None) -> Turn:
        """Take one answer. With `update_id`, an update seen before changes nothing; with
        `at` (the `engine.place_of` the respondent saw), an answer typed at a question the
        interview has since left changes nothing and says so."""
        return await self._locked(session, interview_id, language, update_id,
                                  lambda f, s, today: engine.submit(f, s, text, language, today),
                                  at)

    async def skip(self, session: AsyncSession, interview_id: int, language: str,
                   update_id: int | None = None, at: str | None = None) -> Turn:
        return await self._locked(session, interview_id, language, update_id,
                                  lambda f, s, _d: engine.skip(f, s, language), at)

    async def back(self, session: AsyncSession, interview_id: int, language: str,
                   update_id: int | None = None, at: str | None = None) -> Turn:
        return await self._locked(session, interview_id, language, update_id,
                                  lambda f, s, _d: engine.back(f, s, language), at)

    async def toggle(self, session: AsyncSession, interview_id: int, option_id: str,
                     language: str, update_id: int | None = None) -> Turn:
        """Tick or untick a multi-choice option (kept in the interview, not in the button)."""
        return await self._locked(session, interview_id, language, update_id,
                                  lambda f, s, _d: engine.toggle(f, s, option_id, language))

    async def finish_selection(self, session: AsyncSession, interview_id: int, language: str,
                               update_id: int | None = None) -> Turn:
        return await self._locked(session, interview_id, language, update_id,
                                  lambda f, s, _d: engine.finish_selection(f, s, language))

    async def show(self, session: AsyncSession, interview_id: int, language: str) -> Turn:
        return await self._locked(session, interview_id, language, None, _show(language))

    async def correctable(self, session: AsyncSession, interview_id: int, language: str,
                          actor: Respondent) -> list[Correction]:
        """The answers of the respondent's finished interview they may still correct (within
        24 hours of finishing), as they read them (`before` and `after` both the answer);
        raises InterviewError saying why there are none to correct."""
        interview, flow, state = await self._finished(session, interview_id, language, actor)
        found = []
        for question_id in engine.correctable(flow, state):
            question = flow.question(question_id)
            answer = display(question, state.answers[question_id], state.other.get(question_id),
                             language)
            found.append(Correction(interview.id, question_id,
                                    fill_text(flow, state, question, language), answer, answer))
        return found

    async def _finished(self, session: AsyncSession, interview_id: int, language: str,
                        actor: Respondent) -> tuple[Interview, Flow, InterviewState]:
        interview = await self._lock(session, interview_id)
        flow = self._flow(interview.flow_id)
        if interview.respondent_key != actor.key:
            raise InterviewError(message("correct_which", language))
        if interview.status != "completed" or interview.completed_at is None:
            raise InterviewError(message("correct_not_finished", language))
        until = interview.completed_at + CORRECTION_WINDOW
        if self.clock() >= until:
            shown = until.astimezone(self.zone).strftime("%Y-%m-%d %H:%M")
            raise InterviewError(message("correct_closed", language, until=shown))
        return interview, flow, InterviewState.from_json(interview.state)

    async def correct(self, session: AsyncSession, interview_id: int, question_id: str,
                      text: str, language: str, actor: Respondent) -> Correction:
        """Change one answer of the respondent's finished interview, within 24 hours of
        finishing; the card follows, and the inviting rep is told (a reminder due now)."""
        now = self.clock()
        interview, flow, state = await self._finished(session, interview_id, language, actor)
        if question_id not in engine.correctable(flow, state):
            raise InterviewError(message("correct_which", language))
        question = flow.question(question_id)
        before = display(question, state.answers[question_id], state.other.get(question_id),
                         language)
        try:
            transition = engine.correct(flow, state, question_id, text, language,
                                        now.astimezone(self.zone).date())
        except InvalidAnswer as exc:
            raise InterviewError(str(exc)) from None
        await self._save_answer(session, interview, flow, transition, now, replaces=True)
        interview.state, interview.updated_at = transition.state.to_json(), now
        await audit.append(session, at=now, actor=actor.actor, action="interview.correct",
                           entity="interview", entity_id=interview.id, fields=[question_id],
                           channel=actor.channel)
        if question.maps_to:
            events.card_changed(session, await self._customer(session, interview),
                                {question.maps_to: transition.state.answers[question_id]},
                                "correction", now)
        invite = await invites.of_interview(session, interview.id)
        if invite is not None and invite.created_by is not None:
            await reminders.schedule(
                session, kind="questionnaire_corrected", due_at=now, now=now,
                dedupe_key=f"corrected:{interview.id}:{question_id}:{now.timestamp():.0f}",
                customer_id=interview.customer_id, recipient_id=invite.created_by,
                payload={"interview_id": interview.id, "question_id": question_id,
                         "at": now.isoformat()})
        answer = transition.state.answers[question_id]
        after = display(question, answer, transition.state.other.get(question_id), language)
        return Correction(interview.id, question_id, fill_text(flow, state, question, language),
                          before, after)

    async def cancel(self, session: AsyncSession, interview_id: int, actor: Respondent) -> None:
        """Stop the interview; the answers already given are kept."""
        now = self.clock()
        interview = await self._lock(session, interview_id)
        if interview.status != "active":
            return
        interview.status, interview.updated_at = "cancelled", now
        await audit.append(session, at=now, actor=actor.actor, action="interview.cancel",
                           entity="interview", entity_id=interview.id, channel=actor.channel)

    async def _lock(self, session: AsyncSession, interview_id: int) -> Interview:
        interview = await interviews.lock(session, interview_id)
        if interview is None:
            raise InterviewError(f"interview {interview_id} does not exist")
        return interview

    async def _locked(self, session: AsyncSession, interview_id: int, language: str,
                      update_id: int | None, op: EngineOp, at: str | None = None) -> Turn:
        interview = await self._lock(session, interview_id)
        seen = interview.last_update_id
        if update_id is not None and seen is not None and update_id <= seen:
            op = _show(language)  # a redelivered update: show where we are, change nothing
        return await self._apply(session, interview, language, self.clock(), op, update_id,
                                 at=at)

    async def _apply(self, session: AsyncSession, interview: Interview, language: str,
                     now: datetime, op: EngineOp, update_id: int | None,
                     resumed: bool = False, at: str | None = None) -> Turn:
        flow = self._flow(interview.flow_id)
        try:
            state, dropped = resume(flow, InterviewState.from_json(interview.state))
        except (FlowMismatch, ValueError) as exc:
            raise InterviewError(f"interview {interview.id} cannot continue: {exc}") from None
        notice = message("flow_changed", language, dropped=len(dropped)) if dropped else None
        if interview.status != "active":
            return Turn(interview.id, flow.id, engine.view(flow, state, language), interview.status)
        if at is not None and engine.place(flow, state) != at:
            # typed at a question this interview has left (another window answered it)
            return Turn(interview.id, flow.id, engine.view(flow, state, language),
                        interview.status, notice=message("moved_on", language))
        transition = op(flow, state, now.astimezone(self.zone).date())
        withdrawn = [*dropped, *transition.dropped]
        await answers.supersede(session, interview.id, withdrawn, now)
        if transition.saved is not None:
            answered_before = transition.saved.question_id in state.answers
            await self._save_answer(session, interview, flow, transition, now, answered_before)
            if transition.saved.value is None and answered_before:
                withdrawn.append(transition.saved.question_id)  # /back, then /skip
        if withdrawn:  # the answers the card holds are those of the state stored before
            await self._take_back(session, interview, flow,
                                  InterviewState.from_json(interview.state), withdrawn, now)
        interviews.save_step(
            session, interview, state=transition.state.to_json(), fingerprint=flow.fingerprint,
            flow_version=str(flow.version), language=language, now=now,
            last_update_id=interview.last_update_id if update_id is None else max(
                update_id, interview.last_update_id or update_id))
        scheduled = None
        if transition.completed:
            scheduled = await self._complete(session, interview, transition, now)
        return Turn(interview.id, flow.id, transition.step, interview.status, resumed, notice,
                    scheduled)

    async def _save_answer(self, session: AsyncSession, interview: Interview, flow: Flow,
                           transition: Transition, now: datetime, replaces: bool) -> None:
        saved = transition.saved
        assert saved is not None
        question = flow.question(saved.question_id)
        await answers.record(
            session, interview, question_id=question.id, stage=question.stage.value,
            maps_to=question.maps_to, raw_text=saved.raw, value=saved.value,
            other_text=saved.other_text, answered_by=interview.respondent_key, now=now,
            replaces=replaces, source=saved.source)
        if question.maps_to and saved.value is not None:
            customer = await self._customer(session, interview)
            await card.apply(session, interview, customer, question.maps_to, saved.value,
                             saved.other_text, now)
            # an edit of the card: which field, by whom, never the value
            await audit.append(session, at=now, actor=answerer(interview),
                               action="card.update", entity="customer",
                               entity_id=customer.id, fields=[question.maps_to],
                               channel="interview")

    async def _take_back(self, session: AsyncSession, interview: Interview, flow: Flow,
                         before: InterviewState, question_ids: list[str],
                         now: datetime) -> None:
        """Answers skipped or dropped after all take back what they wrote to the card."""
        fields = []
        for question_id in question_ids:
            try:
                question = flow.question(question_id)
            except KeyError:  # the flow changed and the question is gone
                continue
            value = before.answers.get(question_id)
            if question.maps_to is None or value is None:
                continue
            customer = await self._customer(session, interview)
            if await card.take_back(session, interview, customer, question.maps_to, value,
                                    before.other.get(question_id), now):
                fields.append(question.maps_to)
        if fields:
            await audit.append(session, at=now, actor=answerer(interview),
                               action="card.update", entity="customer",
                               entity_id=interview.customer_id, fields=fields,
                               channel="interview")

    async def _customer(self, session: AsyncSession, interview: Interview) -> Customer:
        customer = await customers.get(session, interview.customer_id)
        if customer is None:
            raise InterviewError(f"customer {interview.customer_id} no longer exists")
        return customer

    async def _complete(self, session: AsyncSession, interview: Interview,
                        transition: Transition, now: datetime) -> Scheduled | None:
        step = transition.step
        outcome = getattr(step, "outcome", None)
        customer = await self._customer(session, interview)
        interview.status, interview.completed_at = "completed", now
        set_fields: dict[str, object] = {}
        if outcome is not None:
            interview.outcome = asdict(outcome)
            customer.tags = customers.add_tags(customer.tags, list(outcome.tags))
            for field, value in outcome.set.items():
                if value in DATE_WORDS:  # "today", in the company's time zone
                    value = now.astimezone(self.zone).date().isoformat()
                if field in RULE_SETTABLE:
                    await card.apply(session, interview, customer, field, value, None, now)
                    set_fields[field] = value
        customer.last_contact_at = customer.updated_at = now
        if interview.respondent_user_id is not None:  # a debrief: the team pool's clock
            customer.worked_at = now
        scheduled = None
        if self.planner is not None:  # follow-ups and the next revisit, in this transaction
            scheduled = await self.planner.after_interview(session, interview, customer,
                                                           outcome, now)
        await audit.append(session, at=now, actor=answerer(interview),
                           action="interview.complete", entity="interview",
                           entity_id=interview.id, channel="engine")
        events.interview_completed(session, interview, customer, self._flow(interview.flow_id),
                                   transition.state, set_fields, now)
        return scheduled

    async def create_customer(self, session: AsyncSession, name: str, actor: Respondent,
                              owner_id: int | None = None) -> Customer:
        name = " ".join(name.split())
        if not 1 <= len(name) <= 200:
            raise InterviewError("a customer name must be 1 to 200 characters long")
        now = self.clock()
        customer = await customers.create(session, name, now, owner_id)
        await audit.append(session, at=now, actor=actor.actor, action="customer.create",
                           entity="customer", entity_id=customer.id, channel=actor.channel)
        events.customer_created(session, customer, actor.channel, now)
        return customer


def _show(language: str) -> EngineOp:
    """An engine step that changes nothing and shows where the interview stands."""
    return lambda flow, state, _today: Transition(state, engine.view(flow, state, language))
