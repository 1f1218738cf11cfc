"""DingTalk (钉钉): what the bot reads of a robot message, how the inbox keeps it, how a
reply's choices are written, and DingTalk's refusals as our delivery kinds.

A message comes as the Stream SDK's `ChatbotMessage`: one person to the robot
(conversationType "1"), by `senderStaffId`, with the `msgId` a message sent again keeps. A
robot's one-to-one messages carry no buttons that call back: choices are numbered in the
text, and a reply that is just one of those numbers is that choice's press (the intake
turns it into one, storage.keyboards); a question's options need no such help, as their
number is already an answer the engine reads.
"""

from __future__ import annotations

from dataclasses import dataclass, replace
from typing import Any

from bot.telegram import split_command
from chat.actions import Keyboard
from chat.capabilities import Channel, register
from chat.delivery import DeliveryError
from chat.incoming import Incoming
from conversation.callback_data import QuestionButton, parse

CHANNEL = "dingtalk"
# staff only (customers use the web page); no link opens the robot for an outsider, no
# command menu; choices by number; a sent message cannot be changed, a press shows nothing
DINGTALK = register(Channel(CHANNEL, edits=False, button_notices=False, deep_links=False,
                            menu=False, customers=False,
                            register_option="--dingtalk-user-id"))
HINT = "回复序号 · reply with the number"
NAVIGATION = {"b": "/back", "s": "/skip"}


@dataclass(frozen=True)
class Message:
    """What the bot reads of a robot message, before the inbox gives it its numbers."""

    msg_id: str
    staff_id: str
    text: str | None  # None: not text (a picture, a file, a voice message)
    nick: str = ""


def message_of(data: Any) -> Message | None:
    """A one-to-one message to the robot; None for anything else (group chats, frames that
    are not DingTalk's robot messages)."""
    if not isinstance(data, dict):
        return None
    from dingtalk_stream import ChatbotMessage

    try:
        read = ChatbotMessage.from_dict(data)
    except (TypeError, ValueError, AttributeError, KeyError):
        return None
    staff, msg_id = read.sender_staff_id, read.message_id
    if read.conversation_type != "1" or not isinstance(staff, str) or not staff \
            or not isinstance(msg_id, str) or not msg_id:
        return None
    text = None
    if read.message_type == "text" and read.text is not None:
        text = str(read.text.content or "").strip()
    return Message(msg_id, staff, text, str(read.sender_nick or ""))


def stored_payload(update_id: int, address: int, message: Message,
                   chosen: str | None) -> dict[str, Any]:
    """The inbox row's payload: a text, or (a number typed for a choice offered) a press."""
    digest: dict[str, Any] = {"msg_id": message.msg_id, "staff_id": message.staff_id,
                              "nick": message.nick}
    if chosen is not None:
        digest |= {"kind": "callback", "data": chosen}
    elif message.text is not None:
        digest |= {"kind": "text", "text": message.text}
    else:
        digest["kind"] = "other"
    return {"update_id": update_id, "chat_id": address, CHANNEL: digest}


def incoming_of(payload: dict[str, Any]) -> Incoming | None:
    """A stored DingTalk update as the conversation sees it."""
    digest = payload.get(CHANNEL)
    if not isinstance(digest, dict):
        return None
    update_id, chat = int(payload["update_id"]), int(payload["chat_id"])
    base = Incoming(update_id, chat, chat, None, "other", first_name=str(digest.get("nick", "")),
                    channel=CHANNEL, account=str(digest.get("staff_id") or "") or None)
    kind = digest.get("kind")
    if kind == "callback":
        return replace(base, kind="callback",
                       callback_id=f"{CHANNEL}:{digest.get('msg_id', '')}:{chat}",
                       callback_data=str(digest.get("data") or ""))
    if kind == "text":
        text = str(digest.get("text") or "")
        if text.startswith("/"):
            command, args = split_command(text)
            return replace(base, kind="command", text=text, command=command, args=args)
        return replace(base, kind="text", text=text)
    return base


def written(text: str, buttons: Keyboard) -> tuple[str, list[tuple[str, str]]]:
    """A message with its choices numbered in the text, and the choices a typed number
    presses (none for a question: its options' numbers are answers already, its back and
    skip are the commands /back and /skip)."""
    flat = [button for row in buttons for button in row]
    if not flat:
        return text, []
    question = all(isinstance(parse(b.data), QuestionButton) for b in flat)
    lines, choices, number = [text, ""], [], 0
    commands = []
    for button in flat:
        parsed = parse(button.data)
        if question and isinstance(parsed, QuestionButton) and parsed.action in NAVIGATION:
            commands.append(f"{NAVIGATION[parsed.action]} {button.label}")
        elif question and isinstance(parsed, QuestionButton) and parsed.action == "d":
            continue  # several options are typed at once ("1,3"): nothing to finish
        else:
            number += 1
            lines.append(f"{number}. {button.label}")
            choices.append((button.label, button.data))
    lines.append(" · ".join([HINT, *commands]) if number else " · ".join(commands))
    return "\n".join(lines).strip(), [] if question else choices


# DingTalk's answers that mean: wait (its flow control), the person cannot be reached by
# the robot (not in the organisation, not in the app's range), or a token to fetch again
RATE_LIMITED = ("QpsLimit", "Throttling", "flowControl", "RateLimit")
UNREACHABLE = ("staffId", "userId", "invalidStaffIdList")


def delivery_error(status: int, code: str, message: str) -> DeliveryError:
    """A DingTalk refusal as one of our kinds: wait, drop the chat, retry, or give up."""
    detail = f"{status}/{code}: {message}"
    if status == 429 or any(word.lower() in code.lower() for word in RATE_LIMITED):
        return DeliveryError("retry_after", detail, 1.0)
    if status == 0 or status >= 500 or status == 401:
        return DeliveryError("transient", detail)
    if any(word.lower() in f"{code} {message}".lower() for word in UNREACHABLE):
        return DeliveryError("forbidden", detail)
    return DeliveryError("permanent", detail)
