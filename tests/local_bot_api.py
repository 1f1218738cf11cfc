"""A local Telegram Bot API server for tests: real HTTP, real long polling.

The real aiogram and python-telegram-bot clients talk to it through their
`base URL` settings. It implements the methods the bot uses, records every call,
feeds updates (with `getUpdates` offset semantics: asking with offset N confirms
everything below N), and injects faults (429 with retry_after, 5xx, 403).
"""

from __future__ import annotations

import asyncio
import contextlib
import itertools
import json
import time
from collections import defaultdict
from collections.abc import Callable
from dataclasses import dataclass, field
from typing import Any

from aiohttp import web

TOKEN = "123456:TEST-token"
BOT_ID = 123456
BOT_USERNAME = "interview_test_bot"


@dataclass
class Call:
    method: str
    params: dict[str, Any]
    at: float = field(default_factory=time.monotonic)
    status: int = 0  # the HTTP status the bot got back


@dataclass(frozen=True)
class Upload:
    """A file the bot uploaded (multipart/form-data), as received."""

    filename: str
    content: bytes


@dataclass
class Fault:
    status: int
    description: str
    retry_after: int | None = None


@dataclass
class LocalBotApi:
    updates: list[dict[str, Any]] = field(default_factory=list)
    calls: list[Call] = field(default_factory=list)
    confirmed: int = 0  # every update_id below this was confirmed by an offset
    blocked: set[int] = field(default_factory=set)
    faults: dict[str, list[Fault]] = field(default_factory=lambda: defaultdict(list))
    webhook: dict[str, Any] = field(default_factory=dict)
    _ids: itertools.count[int] = field(default_factory=lambda: itertools.count(1000))
    _message_ids: dict[int, itertools.count[int]] = field(default_factory=dict)
    _newest: dict[int, int] = field(default_factory=dict)
    _arrived: asyncio.Event = field(default_factory=asyncio.Event)
    _activity: asyncio.Event = field(default_factory=asyncio.Event)  # set on every request
    base_url: str = ""
    _runner: web.AppRunner | None = None
    hook: Callable[[Call], None] | None = None  # sees every call before it is answered

    # ------------------------------------------------------------- lifecycle
    async def start(self) -> None:
        app = web.Application()
        app.router.add_route("*", "/bot{token}/{method}", self._handle)
        self._runner = web.AppRunner(app, access_log=None)
        await self._runner.setup()
        site = web.TCPSite(self._runner, "127.0.0.1", 0)
        await site.start()
        port = site._server.sockets[0].getsockname()[1]  # type: ignore[union-attr]
        self.base_url = f"http://127.0.0.1:{port}"

    async def stop(self) -> None:
        if self._runner is not None:
            await self._runner.cleanup()

    # ------------------------------------------------------------- feeding updates
    def push(self, update: dict[str, Any]) -> int:
        update = {"update_id": next(self._ids), **update}
        self.updates.append(update)
        self._arrived.set()
        return int(update["update_id"])

    def push_text(self, user_id: int, text: str, language: str = "en") -> int:
        message: dict[str, Any] = {
            "message_id": self._next_message_id(user_id), "date": 1_790_000_000,
            "chat": {"id": user_id, "type": "private", "first_name": f"User{user_id}"},
            "from": _user(user_id, language), "text": text,
        }
        if text.startswith("/"):
            command = text.split()[0]
            message["entities"] = [{"type": "bot_command", "offset": 0, "length": len(command)}]
        return self.push({"message": message})

    def push_contact(self, user_id: int, phone: str, language: str = "en") -> int:
        return self.push({"message": {
            "message_id": self._next_message_id(user_id), "date": 1_790_000_000,
            "chat": {"id": user_id, "type": "private", "first_name": f"User{user_id}"},
            "from": _user(user_id, language),
            "contact": {"phone_number": phone, "first_name": f"User{user_id}",
                        "user_id": user_id},
        }})

    def push_tap(self, user_id: int, message_id: int, data: str, language: str = "en") -> int:
        return self.push({"callback_query": {
            "id": f"cb{next(self._ids)}", "from": _user(user_id, language),
            "chat_instance": str(user_id), "data": data,
            "message": {"message_id": message_id, "date": 1_790_000_000,
                        "chat": {"id": user_id, "type": "private"}, "text": "…"},
        }})

    def push_kicked(self, user_id: int) -> int:
        return self.push({"my_chat_member": {
            "chat": {"id": user_id, "type": "private"}, "from": _user(user_id, "en"),
            "date": 1_790_000_000,
            "old_chat_member": {"status": "member", "user": _bot()},
            "new_chat_member": {"status": "kicked", "until_date": 0, "user": _bot()},
        }})

    def redeliver_from(self, update_id: int) -> None:
        """Act as if confirmations from `update_id` on never arrived (Telegram resends)."""
        self.confirmed = update_id

    def fail(self, method: str, status: int, description: str, *, times: int = 1,
             retry_after: int | None = None) -> None:
        self.faults[method] += [Fault(status, description, retry_after)] * times

    # ------------------------------------------------------------- what the bot did
    def sent(self, chat_id: int | None = None) -> list[Call]:
        """Messages delivered (answered 200), optionally to one chat."""
        return [c for c in self.calls if c.method in ("sendMessage", "sendPhoto", "sendDocument")
                and c.status == 200
                and (chat_id is None or int(c.params.get("chat_id", 0)) == chat_id)]

    def texts(self, chat_id: int) -> list[str]:
        """Message texts, and the captions of photos and documents."""
        return [str(c.params.get("text", c.params.get("caption", ""))) for c in self.sent(chat_id)]

    def files(self, chat_id: int) -> list[tuple[str, str, bytes]]:
        """(method, file name, bytes) of every photo and document uploaded to a chat."""
        found = []
        for call in self.sent(chat_id):
            for value in call.params.values():
                if isinstance(value, Upload):
                    found.append((call.method, value.filename, value.content))
        return found

    def calls_of(self, method: str) -> list[Call]:
        return [c for c in self.calls if c.method == method]

    def last_buttons(self, chat_id: int) -> list[tuple[str, str]]:
        """(label, callback_data) of the inline keyboard of the newest message to a chat."""
        for call in reversed(self.sent(chat_id)):
            markup = call.params.get("reply_markup") or {}
            rows = markup.get("inline_keyboard")
            if rows is not None:
                return [(b["text"], b.get("callback_data", "")) for row in rows for b in row]
            return []
        return []

    def last_message_id(self, chat_id: int) -> int:
        """The id of the newest message the bot sent to a chat."""
        return self._newest[chat_id]

    async def wait_for(self, predicate: Any, seconds: float = 10.0) -> None:
        """Wait until `predicate()` holds; fail, listing the recent calls, after `seconds`."""
        try:
            async with asyncio.timeout(seconds):
                while not predicate():
                    self._activity.clear()
                    await self._activity.wait()
        except TimeoutError:
            raise AssertionError("the bot did not do what was expected in time; calls: "
                                 + json.dumps([c.method for c in self.calls[-20:]])) from None

    # ------------------------------------------------------------- HTTP
    async def _handle(self, request: web.Request) -> web.Response:
        method = request.match_info["method"]
        if request.match_info["token"] != TOKEN:
            return error(401, "Unauthorized")
        params = await params_of(request)
        call = Call(method, params)
        self.calls.append(call)
        self._activity.set()
        if self.hook is not None:
            self.hook(call)
        response = await self._respond(method, params)
        call.status = response.status
        self._activity.set()
        return response

    async def _respond(self, method: str, params: dict[str, Any]) -> web.Response:
        if self.faults.get(method):
            fault = self.faults[method].pop(0)
            extra = {"parameters": {"retry_after": fault.retry_after}} if fault.retry_after else {}
            return error(fault.status, fault.description, **extra)
        chat = params.get("chat_id")
        if chat is not None and int(chat) in self.blocked and method.startswith("send"):
            return error(403, "Forbidden: bot was blocked by the user")
        handler = getattr(self, f"_m_{method}", None)
        if handler is None:
            return ok(True)
        return await handler(params)  # type: ignore[no-any-return]

    async def _m_getMe(self, _p: dict[str, Any]) -> web.Response:
        return ok({**_bot(), "can_join_groups": True, "can_read_all_group_messages": False,
                    "supports_inline_queries": False})

    async def _m_getUpdates(self, p: dict[str, Any]) -> web.Response:
        offset = int(p.get("offset") or 0)
        if offset:
            self.confirmed = max(self.confirmed, offset)
        timeout = float(p.get("timeout") or 0)
        limit = int(p.get("limit") or 100)
        deadline = asyncio.get_running_loop().time() + timeout
        while True:
            ready = [u for u in self.updates if u["update_id"] >= self.confirmed][:limit]
            if ready or asyncio.get_running_loop().time() >= deadline:
                return ok(ready)
            self._arrived.clear()
            with contextlib.suppress(TimeoutError):
                await asyncio.wait_for(self._arrived.wait(),
                                       deadline - asyncio.get_running_loop().time())

    async def _m_sendMessage(self, p: dict[str, Any]) -> web.Response:
        chat_id = int(p["chat_id"])
        self._newest[chat_id] = self._next_message_id(chat_id)
        return ok({"message_id": self._newest[chat_id], "date": 1_790_000_000,
                    "chat": {"id": chat_id, "type": "private"}, "text": p.get("text", "")})

    _m_sendPhoto = _m_sendMessage
    _m_sendDocument = _m_sendMessage

    async def _m_editMessageText(self, p: dict[str, Any]) -> web.Response:
        return ok({"message_id": int(p.get("message_id", 0)), "date": 1_790_000_000,
                    "chat": {"id": int(p.get("chat_id", 0)), "type": "private"},
                    "text": p.get("text", "")})

    _m_editMessageReplyMarkup = _m_editMessageText

    async def _m_setWebhook(self, p: dict[str, Any]) -> web.Response:
        self.webhook = p
        return ok(True)

    async def _m_getWebhookInfo(self, _p: dict[str, Any]) -> web.Response:
        return ok({"url": self.webhook.get("url", ""), "has_custom_certificate": False,
                    "pending_update_count": 0})

    def _next_message_id(self, chat_id: int) -> int:
        return next(self._message_ids.setdefault(chat_id, itertools.count(1)))


def _user(user_id: int, language: str) -> dict[str, Any]:
    return {"id": user_id, "is_bot": False, "first_name": f"User{user_id}",
            "language_code": language}


def _bot() -> dict[str, Any]:
    return {"id": BOT_ID, "is_bot": True, "first_name": "Interview", "username": BOT_USERNAME}


def ok(result: Any) -> web.Response:
    return web.json_response({"ok": True, "result": result})


def error(status: int, description: str, **extra: Any) -> web.Response:
    return web.json_response({"ok": False, "error_code": status, "description": description,
                              **extra}, status=status)


async def params_of(request: web.Request) -> dict[str, Any]:
    if request.content_type == "application/json":
        data = await request.json()
        return dict(data or {})
    form = await request.post() if request.can_read_body else {}
    params: dict[str, Any] = {**request.query, **{k: v for k, v in form.items()
                                                  if isinstance(v, str)}}
    for key, value in form.items():
        if isinstance(value, web.FileField):
            params[key] = Upload(value.filename, value.file.read())
    for key, value in list(params.items()):
        if isinstance(value, str) and value[:1] in "[{":
            with contextlib.suppress(json.JSONDecodeError):
                params[key] = json.loads(value)
    return params
