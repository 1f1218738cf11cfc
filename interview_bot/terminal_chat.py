"""The interview in a terminal: one line in, one prompt out. Works with piped stdin."""

from __future__ import annotations

import re
import sys
from collections.abc import Awaitable, Callable, Coroutine
from typing import Any, TextIO

from sqlalchemy.ext.asyncio import AsyncSession, async_sessionmaker

from conversation import texts
from conversation.interview_replies import scheduled_lines
from flows import engine
from flows.i18n import SUPPORTED_LANGUAGES, from_catalog
from flows.messages import progress
from flows.model import QuestionType, Stage
from flows.steps import Completed, Prompt, Step
from services.interview_service import InterviewService, Respondent, Turn

TERMINAL = Respondent("terminal", "terminal")
Runner = Callable[[Coroutine[Any, Any, Any]], Any]  # asyncio.Runner.run

STAGE_NAMES = {
    Stage.BACKGROUND: {"zh": "背景", "en": "Situation"},
    Stage.PAIN_POINT: {"zh": "难点", "en": "Problems"},
    Stage.IMPLICATION: {"zh": "影响", "en": "Implications"},
    Stage.NEED_PAYOFF: {"zh": "需求效益", "en": "Need-payoff"},
}
TEXTS = {
    "help": {"zh": "命令：/back 上一题  /skip 跳过  /cancel 结束  /lang en|zh 切换语言",
             "en": "Commands: /back previous  /skip skip  /cancel stop  /lang en|zh language"},
    "resumed": {"zh": "继续上次未完成的问卷。", "en": "Picking up where you left off."},
    "done": {"zh": "谢谢！问卷已完成，回答已保存。", "en": "Thank you! All answers are saved."},
    "paused": {"zh": "回答已保存。再次运行同一命令即可继续。",
               "en": "Your answers are saved. Run the same command again to continue."},
    "cancelled": {"zh": "已结束。已给出的回答仍然保存。",
                  "en": "Stopped. The answers you gave are kept."},
    "optional": {"zh": "（可跳过：/skip）", "en": "(optional: /skip)"},
    "current": {"zh": "当前回答", "en": "Current answer"},
    "summary": {"zh": "您的回答：", "en": "Your answers:"},
    "interrupted": {"zh": "已中断。之前的回答都已保存，再次运行同一命令即可继续。",
                    "en": "Interrupted. Every answer given so far is saved; run the same "
                    "command again to continue."},
    "ended_elsewhere": {"zh": "这份问卷已在另一个窗口结束。已给出的回答仍然保存。",
                        "en": "This interview was ended in another window. The answers "
                        "given are kept."},
    "languages": {"zh": "可选语言：zh（中文）、en（English）。例如：/lang en",
                  "en": "Languages: zh (中文), en (English). For example: /lang zh"},
    "rep_hint": {"zh": "在终端里复盘时，加上 --rep 您的 Telegram id，跟进就会提醒您。",
                 "en": "In the terminal, add --rep with your Telegram id and the follow-ups "
                 "will remind you."},
    "offer_continue": {"zh": "您上次停下的这份问卷已答 {count} 题：输入 /continue 接着答，"
                             "或直接回答下面的问题重新开始。",
                       "en": "You stopped this interview before, with {count} answered: type "
                             "/continue to go on with it, or answer below to start afresh."},
    "unknown_command": {"zh": "不认识这个命令。", "en": "Unknown command."},
}


SAYS_SKIP = re.compile(r"跳过|可选|skip|optional", re.IGNORECASE)


def say(key: str, lang: str) -> str:
    return from_catalog(TEXTS, key, lang)


def render(step: Step, lang: str, notice: str | None = None) -> str:
    lines = [notice] if notice else []
    if isinstance(step, Completed):
        lines.append(say("summary", lang))
        lines += [f"  • {line.question}\n    {line.answer}" for line in step.summary]
        return "\n".join(lines)
    if step.error:
        lines.append(f"⚠ {step.error}")
    lines.append(_heading(step, lang))
    if step.why:
        lines.append(f"  ({step.why})")
    lines.append(step.text)
    if step.kind == QuestionType.SCALE and step.mode == "answer" and step.options:
        low, high = step.options[0][1], step.options[-1][1]
        legend = (f"（{low} = {step.min_label} … {high} = {step.max_label}）"
                  if step.min_label or step.max_label else "")
        lines.append(f"  {low}–{high}{legend}")  # one line: the range and what its ends mean
    elif step.options and step.mode != "confirm":
        lines += [f"  {i}) {label}" for i, (_id, label) in enumerate(step.options, start=1)]
    if step.current:
        lines.append(f"  [{say('current', lang)}: {step.current}]")
    if not step.required and step.mode == "answer" and not SAYS_SKIP.search(step.text):
        lines.append(say("optional", lang))  # unless the question says so itself
    return "\n".join(lines)


def _heading(step: Prompt, lang: str) -> str:
    stage = STAGE_NAMES[step.stage].get(lang, step.stage.value)
    return f"\n[{progress(step.number, step.total, step.exact, lang, short=True)} · {stage}]"


def chat(run: Runner, sessions: async_sessionmaker[AsyncSession], service: InterviewService,
         interview: Turn, lang: str, read_line: Callable[[], str] | None = None,
         out: TextIO | None = None, respondent: Respondent = TERMINAL,
         staff: bool = False) -> str:
    """Run the interview until it completes, is cancelled or input ends. Returns the status.

    Lines are read on this thread (so Ctrl-C stops at once, never waiting for Enter) and
    each is one transaction run by `run`, committed before the reply is printed. Every
    input carries the place it was typed at: if another window moved the interview on
    meanwhile, the input is refused and the current place shown."""
    write = (out or sys.stdout).write
    reader = read_line or sys.stdin.readline
    talk = _Talk(run, sessions, service, respondent, write, interview, lang)
    talk.greet()
    while not isinstance(talk.turn.step, Completed):
        if talk.turn.status != "active":
            write(say("ended_elsewhere", talk.lang) + "\n")
            return talk.turn.status
        try:
            line = reader()
        except KeyboardInterrupt:
            write("\n" + say("interrupted", talk.lang) + "\n")
            return "interrupted"
        if not line:
            write("\n" + say("paused", talk.lang) + "\n")
            return "paused"
        ended = talk.take(line.rstrip("\r\n"))
        if ended is not None:
            return ended
    write(say("done", talk.lang) + "\n")
    scheduled = talk.turn.scheduled
    if staff and scheduled is not None:  # what the debrief scheduled, or why nothing
        write("\n".join(scheduled_lines(scheduled, talk.lang)) + "\n")
        if scheduled.no_owner:
            write(say("rep_hint", talk.lang) + "\n")
    return "completed"


class _Talk:
    """One terminal interview: the turn in front of the respondent, their language, and
    the stopped interview offered to go on with (/continue)."""

    def __init__(self, run: Runner, sessions: async_sessionmaker[AsyncSession],
                 service: InterviewService, respondent: Respondent,
                 write: Callable[[str], Any], turn: Turn, lang: str) -> None:
        self.run, self.sessions, self.service = run, sessions, service
        self.respondent, self.write, self.turn, self.lang = respondent, write, turn, lang
        self.offer = turn.resumable

    def greet(self) -> None:
        if self.turn.resumed:
            self.write(say("resumed", self.lang) + "\n")
        if self.offer is not None:
            self.write(say("offer_continue", self.lang).format(count=self.offer[1]) + "\n")
        self.write(say("help", self.lang) + "\n")
        self.write(render(self.turn.step, self.lang, self.turn.notice) + "\n")

    def _step(self, op: Callable[..., Awaitable[Any]], *args: Any, **kwargs: Any) -> Any:
        async def one() -> Any:
            async with self.sessions.begin() as session:  # one input, one transaction
                return await op(session, *args, **kwargs)
        return self.run(one())

    def take(self, text: str) -> str | None:
        """One line typed: an answer or a command. Returns a status when it ends the talk."""
        iid, at = self.turn.interview_id, engine.place_of(self.turn.step)
        command = text.strip().split(maxsplit=1)
        if not command or not command[0].startswith("/"):
            self.turn = self._step(self.service.answer, iid, text, self.lang, at=at)
        else:
            name, arg = command[0].lower(), (command[1] if len(command) > 1 else "")
            if name == "/cancel":
                self._step(self.service.cancel, iid, self.respondent)
                self.write(say("cancelled", self.lang) + "\n")
                return "cancelled"
            if not self._command(name, arg, iid, at):
                return None
        self.write(render(self.turn.step, self.lang, self.turn.notice) + "\n")
        return None

    def _command(self, name: str, arg: str, iid: int, at: str) -> bool:
        """Carry out a command; False when it has nothing new to show."""
        if name == "/lang":
            chosen = arg.strip().lower()
            if chosen not in SUPPORTED_LANGUAGES:
                self.write(say("languages", self.lang) + "\n")
                return False
            self.lang = chosen
            self.write(texts.say("language_set", self.lang) + "\n")  # as the bot says it
            self.turn = self._step(self.service.show, iid, self.lang)
        elif name == "/back":
            self.turn = self._step(self.service.back, iid, self.lang, at=at)
        elif name == "/skip":
            self.turn = self._step(self.service.skip, iid, self.lang, at=at)
        elif name == "/continue" and self.offer is not None:
            self.turn = self._step(self.service.reopen, self.offer[0], iid, self.respondent,
                                   self.lang)
            self.offer = None
        elif name == "/help":
            self.write(say("help", self.lang) + "\n")
            return False
        else:
            self.write(say("unknown_command", self.lang) + " " + say("help", self.lang) + "\n")
            return False
        return True

