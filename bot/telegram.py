"""Telegram's JSON and ours, both ways: one translation shared by every adapter.

An update as Telegram sends it becomes an `Incoming`; an `Action` becomes a Bot API method
and its parameters; a Bot API error becomes a `DeliveryError`. The aiogram and
python-telegram-bot adapters and the plain-HTTP reminder sender all go through here, so a
photo is kind "other" whichever of them received it, and a keyboard is built one way.
"""

from __future__ import annotations

from typing import Any, Protocol

from chat.actions import Action, AnswerCallback, Edit, Keyboard, Send, SendFile
from chat.delivery import DeliveryError
from chat.incoming import Incoming

ALLOWED_UPDATES = ["message", "callback_query", "my_chat_member"]


def split_command(text: str) -> tuple[str, str]:
    """`/debrief@my_bot Acme Ltd` → ("debrief", "Acme Ltd")."""
    head, _, rest = text.strip().partition(" ")
    return head[1:].split("@", 1)[0].lower(), rest.strip()


def _who(user: dict[str, Any] | None) -> tuple[int, str | None, str]:
    if not user:
        return 0, None, ""
    return int(user["id"]), user.get("language_code"), str(user.get("first_name") or "")


def _from_message(update_id: int, message: dict[str, Any]) -> Incoming | None:
    chat = message.get("chat") or {}
    if chat.get("type") != "private":
        return None  # the bot talks to people one to one; groups are not read
    user_id, language, name = _who(message.get("from"))
    chat_id = int(chat["id"])
    contact = message.get("contact")
    if isinstance(contact, dict):
        return Incoming(update_id, user_id, chat_id, language, "contact",
                        text=str(contact.get("phone_number") or ""), first_name=name)
    text = message.get("text")
    if not isinstance(text, str):
        return Incoming(update_id, user_id, chat_id, language, "other", first_name=name)
    if text.startswith("/"):
        command, args = split_command(text)
        return Incoming(update_id, user_id, chat_id, language, "command", text=text,
                        command=command, args=args, first_name=name)
    return Incoming(update_id, user_id, chat_id, language, "text", text=text, first_name=name)


def _from_callback(update_id: int, query: dict[str, Any]) -> Incoming:
    user_id, language, name = _who(query.get("from"))
    message = query.get("message") or {}
    chat_id = int((message.get("chat") or {}).get("id", user_id))
    text = message.get("text")
    return Incoming(update_id, user_id, chat_id, language, "callback", first_name=name,
                    callback_id=str(query["id"]), callback_data=str(query.get("data") or ""),
                    message_id=message.get("message_id"),
                    message_text=text if isinstance(text, str) else None)


def incoming_of(update: dict[str, Any]) -> Incoming | None:
    """The update as the conversation sees it; None for what the bot does not read."""
    update_id = int(update["update_id"])
    if isinstance(update.get("message"), dict):
        return _from_message(update_id, update["message"])
    if isinstance(update.get("callback_query"), dict):
        return _from_callback(update_id, update["callback_query"])
    member = update.get("my_chat_member")
    if isinstance(member, dict) and (member.get("new_chat_member") or {}).get("status") == "kicked":
        user_id, language, _ = _who(member.get("from"))
        return Incoming(update_id, user_id, int(member["chat"]["id"]), language, "blocked")
    return None


def inline_keyboard(buttons: Keyboard) -> dict[str, Any]:
    return {"inline_keyboard": [[{"text": b.label, "callback_data": b.data} for b in row]
                                for row in buttons]}


def _markup(action: Send) -> dict[str, Any] | None:
    if action.buttons:
        return inline_keyboard(action.buttons)
    if action.contact_button:
        return {"keyboard": [[{"text": action.contact_button, "request_contact": True}]],
                "resize_keyboard": True, "one_time_keyboard": True}
    return None


def request_of(action: Send | Edit | AnswerCallback) -> tuple[str, dict[str, Any]]:
    """The Bot API method and its JSON parameters (files go through `upload_of`)."""
    if isinstance(action, Send):
        params: dict[str, Any] = {"chat_id": action.chat_id, "text": action.text}
        markup = _markup(action)
        if markup is not None:
            params["reply_markup"] = markup
        return "sendMessage", params
    if isinstance(action, Edit):
        params = {"chat_id": action.chat_id, "message_id": action.message_id,
                  "text": action.text}
        if action.buttons:
            params["reply_markup"] = inline_keyboard(action.buttons)
        return "editMessageText", params
    params = {"callback_query_id": action.query_id}
    if action.text:
        params["text"] = action.text
    return "answerCallbackQuery", params


def upload_of(action: SendFile) -> tuple[str, str, dict[str, Any]]:
    """A file: the method, the name of its file field, and the other parameters."""
    method, field = ("sendPhoto", "photo") if action.photo else ("sendDocument", "document")
    params: dict[str, Any] = {"chat_id": action.chat_id}
    if action.caption:
        params["caption"] = action.caption
    return method, field, params


def message_id_of(result: Any) -> int | None:
    """The id of the message a send made, from the Bot API's `result`."""
    if isinstance(result, dict) and "message_id" in result:
        return int(result["message_id"])
    return None


def delivery_error(code: int, description: str, retry_after: float | None = None
                   ) -> DeliveryError:
    """A Bot API refusal as one of our kinds: wait, drop the chat, retry, or give up."""
    detail = f"{code}: {description}" if code else description
    if code == 429:
        return DeliveryError("retry_after", detail, float(retry_after or 1))
    if code == 403:
        return DeliveryError("forbidden", detail)
    if code == 0 or code >= 500:
        return DeliveryError("transient", detail)
    return DeliveryError("permanent", detail)


def error_of_body(body: dict[str, Any], status: int) -> DeliveryError:
    """`delivery_error` from a Bot API error response body."""
    retry = (body.get("parameters") or {}).get("retry_after")
    return delivery_error(int(body.get("error_code") or status), str(body.get("description", "")),
                          None if retry is None else float(retry))


def commands_params(entries: list[tuple[str, str]], language: str | None) -> dict[str, Any]:
    params: dict[str, Any] = {"commands": [{"command": c, "description": d}
                                           for c, d in entries]}
    if language:
        params["language_code"] = language
    return params


class TelegramClient(Protocol):
    """What an adapter gives: its framework's client, speaking the Bot API. Errors come out
    as `DeliveryError` (through `delivery_error`)."""

    name: str

    async def start(self) -> str:
        """Connect; the bot's username."""

    async def call(self, method: str, params: dict[str, Any]) -> Any:
        """One Bot API method with JSON parameters; its `result`, as plain JSON."""

    async def upload(self, action: SendFile, content: bytes) -> Any:
        """A file upload (`upload_of` says which method and field)."""

    async def perform(self, action: Action) -> int | None:
        """Carry out one action; the id of the message it sent, if it sent one."""

    async def close(self) -> None: ...
