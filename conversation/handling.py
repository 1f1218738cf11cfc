"""The conversation core: a batch of incoming messages in, the actions to send out.

The caller owns the transaction: every answer, every other change a message causes and the
reply to send commit together, once for the whole batch. A batch reads what it needs of
its senders up front (`Known`), so a typed answer costs no query of its own; the writes go
out together at the commit. `careful=True` puts each message in its own savepoint, so one
that fails leaves the others standing (the caller retries that way after a failure).
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field

from sqlalchemy.ext.asyncio import AsyncSession

from chat.actions import Action, Send, fit
from chat.clock import Clock
from chat.incoming import Incoming
from conversation import button_presses, callback_data, customer_entry, duplicate_choices
from conversation.commands import BY_NAME, help_text
from conversation.context import BotConfig, Ctx, Known
from conversation.interview_replies import after_turn, current
from conversation.permissions import allowed, refusal
from conversation.texts import CONSENT_VERSION, say
from flows.i18n import normalise_language
from flows.model import Flow
from services.interview_service import InterviewService
from storage import accounts, consents, customers, interviews

ANSWERS = ("text", "contact")


@dataclass
class Handled:
    actions: dict[int, list[Action]] = field(default_factory=dict)  # by update id
    failed: dict[int, str] = field(default_factory=dict)  # update id -> what went wrong
    skipped: list[int] = field(default_factory=list)  # after a failure in their chat: wait


def may_switch_interview(incoming: Incoming) -> bool:
    """Whether this message may start, end or switch someone's interview or consent (a
    typed answer, a question's button or /skip only move the interview they belong to)."""
    if incoming.kind in ANSWERS:
        return False
    if incoming.kind == "command":
        command = BY_NAME.get(incoming.command or "")
        return command is None or not command.steady
    if incoming.kind == "callback":
        pressed = callback_data.parse(incoming.callback_data or "")
        return not isinstance(pressed, callback_data.QuestionButton)
    return True


class Conversation:
    def __init__(self, interviews: InterviewService, flows: Mapping[str, Flow], clock: Clock,
                 config: BotConfig) -> None:
        self.interviews, self.flows, self.clock, self.config = interviews, flows, clock, config

    async def handle_batch(self, session: AsyncSession, batch: Sequence[Incoming], *,
                           careful: bool = False) -> Handled:
        """Handle messages in order (a chat's in the order it sent them)."""
        known = await self._known(session, batch)
        handled, failed_chats = Handled(), set()
        for incoming in batch:
            if not careful:
                handled.actions[incoming.update_id] = await self._one(session, incoming, known)
            elif incoming.chat_id in failed_chats:
                handled.skipped.append(incoming.update_id)  # its chat keeps its order
            else:
                try:
                    async with session.begin_nested():
                        handled.actions[incoming.update_id] = await self._one(
                            session, incoming, known)
                except Exception as exc:  # one message's fault stays its own
                    handled.failed[incoming.update_id] = f"{type(exc).__name__}: {exc}"
                    failed_chats.add(incoming.chat_id)
                    known.forget(incoming.user_id)
        return handled

    async def _known(self, session: AsyncSession, batch: Sequence[Incoming]) -> Known:
        people = {i.user_id for i in batch}
        found, users = await accounts.load(session, people)
        locked = await interviews.lock_active(session, (f"tg:{p}" for p in people))
        active = {i.respondent_key: i for i in locked}  # oldest first: the latest wins
        decisions = await consents.latest_of(session, people, CONSENT_VERSION)
        # the records an answer writes to, into the session: later reads are no queries
        records = await customers.load(session, {i.customer_id for i in active.values()},
                                       {i.contact_id for i in active.values() if i.contact_id})
        return Known(found, users, active, decisions, held=[*records, *locked])

    async def _one(self, session: AsyncSession, incoming: Incoming, known: Known) -> list[Action]:
        switches = may_switch_interview(incoming)
        if switches:
            known.forget(incoming.user_id)
        ctx = await self._context(session, incoming, known)
        await self._route(ctx)
        if switches:
            known.forget(incoming.user_id)
        return [fit(a) for a in ctx.actions]  # never more than Telegram takes

    async def _context(self, session: AsyncSession, incoming: Incoming, known: Known) -> Ctx:
        now = self.clock()
        language = normalise_language(incoming.language_code)
        account = accounts.touch(session, known.accounts.get(incoming.user_id),
                                 incoming.user_id, language, now)
        known.accounts[incoming.user_id] = account
        user = (await accounts.user_at(session, incoming.user_id)
                if known.users_stale else known.users.get(incoming.user_id))
        if user is None and incoming.user_id in self.config.admin_ids:
            user = await accounts.add_user(session, telegram_id=incoming.user_id,
                                           name=incoming.first_name or "admin", role="admin",
                                           now=now, language=language)
            known.users[incoming.user_id] = user
        return Ctx(session, incoming, account, user, now, self.config, self.interviews,
                   self.flows, known)

    async def _route(self, ctx: Ctx) -> None:
        kind = ctx.incoming.kind
        if kind == "blocked":
            await accounts.mark_unreachable(ctx.session, ctx.incoming.user_id, ctx.now)
            return
        # reachable again; left untouched when it was (a touched row is the flush's work)
        if ctx.account.unreachable_at is not None:
            ctx.account.unreachable_at = None
        if kind == "command":
            await self._command(ctx)
        elif kind == "callback":
            await button_presses.press(ctx)
        elif await duplicate_choices.reason_given(ctx):
            return  # why a customer that looks like another's is a different company
        else:
            interview = await current(ctx)
            if interview is None:
                if not await customer_entry.ask_again(ctx):
                    help_text(ctx)
            elif kind == "other":  # a photo, a sticker, a voice message
                ctx.actions.append(Send(ctx.chat_id, say("text_expected", ctx.lang)))
            else:
                await after_turn(ctx, await ctx.interviews.answer(
                    ctx.session, interview.id, ctx.incoming.text, ctx.lang,
                    ctx.incoming.update_id))

    async def _command(self, ctx: Ctx) -> None:
        name = ctx.incoming.command or ""
        command = BY_NAME.get(name)
        if command is None:
            help_text(ctx)
        elif not allowed(command.roles, ctx.user):
            ctx.actions.append(Send(ctx.chat_id, refusal(name, command.roles, ctx.user,
                                                         ctx.lang, ctx.channel,
                                                         ctx.incoming.account)))
        else:
            await command.handler(ctx, ctx.incoming.args)
            ctx.known.users_stale |= command.changes_staff
