"""The conversation core: one stored update in, the actions to perform out.

Handling runs in one transaction with the update's inbox row: the answer, every
other change it causes, and the reply to send commit together (the row becomes
`replying`). A crash before the commit leaves the row `pending` and it is handled
again; after it, the stored reply is sent again. Either way nothing is applied twice.
"""

from __future__ import annotations

from collections.abc import Mapping

from sqlalchemy.ext.asyncio import AsyncSession, async_sessionmaker

from chat.actions import Action, Button, Edit, Send, fit, from_json, to_json
from chat.clock import Clock
from chat.incoming import Incoming
from conversation import (
    callback_data,
    customer_entry,
    manager_commands,
    reminder_buttons,
    staff_commands,
    team_commands,
)
from conversation.context import BotConfig, Ctx
from conversation.interview_replies import (
    after_turn,
    answer_text,
    current,
    mark_pressed,
    status_line,
)
from conversation.permissions import allowed, known, refusal
from conversation.render import keyboard, prompt_text
from conversation.texts import say
from flows import engine
from flows.i18n import normalise_language
from flows.model import Flow, QuestionType
from flows.resume import resume
from flows.state import InterviewState
from flows.steps import Prompt
from services.interviewing import InterviewService
from storage import accounts, inbox
from storage.models import Interview, TelegramAccount


class Deferred(Exception):
    """An earlier update of the same chat has not been handled yet; try this one later."""


class Conversation:
    def __init__(self, sessions: async_sessionmaker[AsyncSession], interviews: InterviewService,
                 flows: Mapping[str, Flow], clock: Clock, config: BotConfig) -> None:
        self.sessions, self.interviews, self.flows = sessions, interviews, flows
        self.clock, self.config = clock, config

    async def handle(self, incoming: Incoming) -> list[Action]:
        async with self.sessions.begin() as session:
            row = await inbox.lock(session, incoming.update_id)
            if row is None or row.status == "done":
                return []
            if row.status == "replying":
                return from_json(row.reply or [])
            if row.earlier_open:
                raise Deferred(incoming.update_id)
            ctx = await self._context(session, incoming)
            await self._route(ctx)
            ctx.actions = [fit(a) for a in ctx.actions]  # never more than Telegram takes
            await inbox.replying(session, incoming.update_id, to_json(ctx.actions))
        return ctx.actions

    async def button_notice(self, incoming: Incoming) -> str | None:
        """For a pressed button, before any slow work: a short notice if it is stale."""
        async with self.sessions() as session:
            ctx = await self._context(session, incoming, read_only=True)
            parsed = callback_data.parse(incoming.callback_data or "")
            if parsed is None:
                return say("stale_button", ctx.lang)
            if isinstance(parsed, callback_data.QuestionButton):
                live = await self._live_question(ctx, parsed)
                return None if live is not None else say("stale_button", ctx.lang)
            return None

    async def _context(self, session: AsyncSession, incoming: Incoming,
                       read_only: bool = False) -> Ctx:
        now = self.clock()
        language = normalise_language(incoming.language_code)
        if read_only:
            found = await session.get(TelegramAccount, incoming.user_id)
            account = found or TelegramAccount(telegram_id=incoming.user_id, language=language)
        else:
            account = await accounts.touch(session, incoming.user_id, language, now)
        user = await accounts.user_by_telegram(session, incoming.user_id)
        if user is None and incoming.user_id in self.config.admin_ids and not read_only:
            user = await accounts.add_user(session, telegram_id=incoming.user_id,
                                           name=incoming.first_name or "admin", role="admin",
                                           now=now, language=language)
        return Ctx(session, incoming, account, user, now, self.config, self.interviews,
                   self.flows)

    async def _route(self, ctx: Ctx) -> None:
        kind = ctx.incoming.kind
        if kind == "blocked":
            await accounts.mark_unreachable(ctx.session, ctx.incoming.user_id, ctx.now)
            return
        ctx.account.unreachable_at = None
        if kind == "command":
            await self._command(ctx)
        elif kind == "callback":
            await self._callback(ctx)
        elif kind in ("text", "contact"):
            interview = await current(ctx)
            if interview is not None:
                await answer_text(ctx, interview, ctx.incoming.text)
            else:
                self._help(ctx)

    def _help(self, ctx: Ctx) -> None:
        if ctx.user is None:
            ctx.actions.append(Send(ctx.chat_id, say("refuse", ctx.lang)))
            return
        text = say("help_staff", ctx.lang)
        if ctx.user.role in ("manager", "admin"):
            text += "\n\n" + say("help_manager", ctx.lang)
        if ctx.user.role == "admin":
            text += "\n\n" + say("help_admin", ctx.lang)
        ctx.actions.append(Send(ctx.chat_id, text))

    async def _command(self, ctx: Ctx) -> None:
        command, args = ctx.incoming.command or "", ctx.incoming.args
        if not known(command):
            self._help(ctx)
            return
        if not allowed(command, ctx.user):
            ctx.actions.append(Send(ctx.chat_id, refusal(command, ctx.user, ctx.lang)))
            return
        if command == "start" and args:
            await customer_entry.open_invite(ctx, args)
        elif command in ("start", "help"):
            interview = await current(ctx)
            if interview is not None and ctx.user is None:
                ctx.actions.append(Send(ctx.chat_id, say("help_customer", ctx.lang)))
                await after_turn(ctx, await self.interviews.show(ctx.session, interview.id,
                                                                 ctx.lang))
            else:
                self._help(ctx)
        elif command == "lang":
            await self._language(ctx, args)
        elif command in ("back", "skip", "status", "cancel"):
            await self._interview_command(ctx, command)
        elif command == "forget":
            await customer_entry.forget(ctx)
        elif command in staff_commands.NEEDS_CUSTOMER:
            await staff_commands.with_customer(ctx, command, args)
        elif command == "customers":
            await staff_commands.list_customers(ctx)
        elif command == "adduser":
            await staff_commands.add_user(ctx, args)
        elif command == "setrole":
            await team_commands.set_role(ctx, args)
        elif command == "deactivate":
            await team_commands.deactivate(ctx, args)
        elif command == "reassign":
            await team_commands.reassign(ctx, args)
        elif command == "export":
            await manager_commands.export(ctx, args)
        elif command == "report":
            await manager_commands.report(ctx, args)
        else:
            self._help(ctx)

    async def _language(self, ctx: Ctx, code: str) -> None:
        if code.strip().lower() not in ("zh", "en"):
            buttons = ((Button("中文", "lang:zh"), Button("English", "lang:en")),)
            ctx.actions.append(Send(ctx.chat_id, say("choose_language", ctx.lang), buttons))
            return
        ctx.account.language, ctx.account.language_chosen = code.strip().lower(), True
        lead = say("language_set", ctx.lang)
        interview = await current(ctx)
        if interview is None:
            ctx.actions.append(Send(ctx.chat_id, lead))
            return
        await after_turn(ctx, await self.interviews.show(ctx.session, interview.id, ctx.lang),
                         lead)

    async def _interview_command(self, ctx: Ctx, command: str) -> None:
        interview = await current(ctx)
        if interview is None:
            if ctx.user is None:
                ctx.actions.append(Send(ctx.chat_id, say("refuse", ctx.lang)))
            else:
                ctx.actions.append(Send(ctx.chat_id, say("no_interview", ctx.lang)))
            return
        update_id = ctx.incoming.update_id
        if command == "cancel":
            await self.interviews.cancel(ctx.session, interview.id, ctx.respondent)
            ctx.actions.append(Send(ctx.chat_id, say("cancelled", ctx.lang)))
        elif command == "status":
            turn = await self.interviews.show(ctx.session, interview.id, ctx.lang)
            ctx.actions.append(Send(ctx.chat_id, status_line(ctx, interview, turn.step)))
        elif command == "back":
            await after_turn(ctx, await self.interviews.back(ctx.session, interview.id, ctx.lang,
                                                             update_id))
        else:
            await after_turn(ctx, await self.interviews.skip(ctx.session, interview.id, ctx.lang,
                                                             update_id))

    async def _callback(self, ctx: Ctx) -> None:
        parsed = callback_data.parse(ctx.incoming.callback_data or "")
        if isinstance(parsed, callback_data.QuestionButton):
            await self._question_button(ctx, parsed)
        elif parsed is not None and parsed[0] == "consent":
            await customer_entry.answer_consent(ctx, parsed[1])
        elif parsed is not None and parsed[0] in ("pick", "new"):
            await staff_commands.picked(ctx, parsed[0], parsed[1])
        elif parsed is not None and parsed[0] == "rem":
            await reminder_buttons.press(ctx, parsed[1])
        elif parsed is not None and parsed[0] == "lang":
            mark_pressed(ctx, None)
            await self._language(ctx, parsed[1])

    async def _live_question(self, ctx: Ctx, button: callback_data.QuestionButton
                             ) -> tuple[Interview, Flow, Prompt] | None:
        """The interview and prompt a button belongs to, if it is still the current one."""
        interview = await ctx.session.get(Interview, button.interview_id)
        if (interview is None or interview.status != "active"
                or interview.respondent_key != ctx.respondent.key):
            return None
        flow = self.flows.get(interview.flow_id)
        if flow is None or not flow.fingerprint.startswith(button.fingerprint):
            return None
        state, _ = resume(flow, InterviewState.from_json(interview.state))
        step = engine.view(flow, state, ctx.lang)
        if not isinstance(step, Prompt) or flow.index_of(step.question_id) != (
                button.question_index):
            return None
        if button.option >= len(step.options):
            return None
        return interview, flow, step

    async def _question_button(self, ctx: Ctx, button: callback_data.QuestionButton) -> None:
        live = await self._live_question(ctx, button)
        if live is None:
            return  # the press was already answered with a notice
        interview, flow, step = live
        service, update_id, iid = self.interviews, ctx.incoming.update_id, interview.id
        if button.action == "t":
            option_id = step.options[button.option][0]
            turn = await service.toggle(ctx.session, iid, option_id, ctx.lang, update_id)
            if isinstance(turn.step, Prompt) and ctx.incoming.message_id is not None:
                ctx.actions.append(Edit(ctx.chat_id, ctx.incoming.message_id,
                                        prompt_text(flow, turn.step, ctx.lang),
                                        keyboard(flow, iid, turn.step, ctx.lang,
                                                 list(turn.step.selected))))
            return
        if button.action == "a":
            option_id, label = step.options[button.option]
            raw = option_id if step.kind == QuestionType.SCALE and step.mode == "answer" \
                else str(button.option + 1)
            turn = await service.answer(ctx.session, iid, raw, ctx.lang, update_id)
            chosen: str | None = label
        elif button.action == "d":
            turn = await service.finish_selection(ctx.session, iid, ctx.lang, update_id)
            labels = dict(step.options)
            chosen = "、".join(labels[i] for i in step.selected) or None
        elif button.action == "s":
            turn = await service.skip(ctx.session, iid, ctx.lang, update_id)
            chosen = say("skip_button", ctx.lang)
        else:
            turn = await service.back(ctx.session, iid, ctx.lang, update_id)
            chosen = None
        mark_pressed(ctx, chosen)
        await after_turn(ctx, turn)
