"""Feishu's (Lark's) JSON and ours, both ways, like `bot.telegram` for Telegram.

An event Feishu delivers (by HTTP callback or the SDK's long connection) is opened here:
decrypted with the encrypt key, its signature and verification token checked, and digested
into the few fields the bot reads. The inbox stores that digest with the chat account id and
the card number `storage.feishu` gives; the worker turns it into an `Incoming`. An `Action`
becomes a Feishu message: plain text, or an interactive card when it has buttons (a button
carries our callback data in its value); a refusal becomes a `DeliveryError`.
"""

from __future__ import annotations

import base64
import hashlib
import hmac
import json
from collections.abc import Mapping
from dataclasses import dataclass
from typing import Any

from cryptography.hazmat.primitives.ciphers import Cipher, algorithms, modes

from bot.telegram import split_command
from chat.actions import Keyboard
from chat.delivery import DeliveryError
from chat.incoming import Incoming

MESSAGE = "im.message.receive_v1"
CARD_ACTION = "card.action.trigger"
READ = (MESSAGE, CARD_ACTION)


class Refused(Exception):
    """A callback that is not Feishu's (bad signature, wrong token) or cannot be read."""


@dataclass(frozen=True)
class Keys:
    verification_token: str
    encrypt_key: str = ""


def decrypt(encrypted: str, encrypt_key: str) -> str:
    """Feishu's encryption: AES-256-CBC, the key SHA-256 of the encrypt key, the IV the
    first block, PKCS#7 padding, all in base64."""
    try:
        raw = base64.b64decode(encrypted, validate=True)
    except ValueError as exc:
        raise Refused("the encrypted body is not base64") from exc
    if len(raw) < 32 or len(raw) % 16:
        raise Refused("the encrypted body has the wrong length")
    key = hashlib.sha256(encrypt_key.encode()).digest()
    decryptor = Cipher(algorithms.AES(key), modes.CBC(raw[:16])).decryptor()
    plain = decryptor.update(raw[16:]) + decryptor.finalize()
    pad = plain[-1]
    if not 1 <= pad <= 16 or plain[-pad:] != bytes([pad]) * pad:
        raise Refused("cannot decrypt the body: is FEISHU_ENCRYPT_KEY the app's encrypt key?")
    return plain[:-pad].decode("utf-8")


def encrypt(plain: str, encrypt_key: str, iv: bytes) -> str:
    """The reverse of `decrypt` (the local Feishu server in the tests sends this way)."""
    key = hashlib.sha256(encrypt_key.encode()).digest()
    data = plain.encode("utf-8")
    pad = 16 - len(data) % 16
    encryptor = Cipher(algorithms.AES(key), modes.CBC(iv)).encryptor()
    return base64.b64encode(iv + encryptor.update(data + bytes([pad]) * pad)
                            + encryptor.finalize()).decode()


def signature(timestamp: str, nonce: str, encrypt_key: str, body: bytes) -> str:
    return hashlib.sha256((timestamp + nonce + encrypt_key).encode() + body).hexdigest()


FRESH_SECONDS = 300  # a signed callback older (or newer) than this is a replay


def open_callback(body: bytes, headers: Mapping[str, str], keys: Keys,
                  now: float) -> dict[str, Any]:
    """A callback's event as plain JSON, once it is shown to be Feishu's: signed with the
    encrypt key (when one is set) within FRESH_SECONDS of `now` (Unix time: Feishu stamps
    each delivery, a retry too) and carrying the verification token. Raises `Refused`."""
    try:
        outer = json.loads(body)
    except ValueError as exc:
        raise Refused("the body is not JSON") from exc
    if not isinstance(outer, dict):
        raise Refused("the body is not a JSON object")
    if keys.encrypt_key:
        if "encrypt" not in outer:
            raise Refused("the body is not encrypted, but FEISHU_ENCRYPT_KEY is set")
        try:
            event = json.loads(decrypt(str(outer["encrypt"]), keys.encrypt_key))
        except ValueError as exc:
            # a wrong key yields garbage that now and then still has valid padding
            raise Refused("the body decrypts to no JSON: is FEISHU_ENCRYPT_KEY the app's "
                          "encrypt key?") from exc
    else:
        event = outer
    if not isinstance(event, dict):
        raise Refused("the event is not a JSON object")
    token = (event.get("header") or {}).get("token") or event.get("token") or ""
    if not hmac.compare_digest(str(token).encode(), keys.verification_token.encode()):
        raise Refused("wrong verification token")
    if keys.encrypt_key and event.get("type") != "url_verification":
        stamp, nonce = headers.get("X-Lark-Request-Timestamp"), headers.get(
            "X-Lark-Request-Nonce")
        given = headers.get("X-Lark-Signature") or ""
        if stamp is None or nonce is None or not hmac.compare_digest(
                given, signature(stamp, nonce, keys.encrypt_key, body)):
            raise Refused("bad signature")
        if not stamp.isdecimal() or abs(now - int(stamp)) > FRESH_SECONDS:
            raise Refused(f"signed at {stamp}, more than {FRESH_SECONDS} s from now: a replay")
    return event


def challenge_of(event: dict[str, Any]) -> str | None:
    """The challenge of Feishu's URL check (answered as is), None for an event."""
    return str(event.get("challenge", "")) if event.get("type") == "url_verification" else None


@dataclass(frozen=True)
class Event:
    """What the bot reads of an event, before the inbox gives it its numbers."""

    event_id: str
    open_id: str
    digest: dict[str, Any]  # kind, text or data, the card's Feishu message id
    card_message_id: str | None = None  # a pressed card: to be told its number
    card_number: int | None = None  # the number the card's buttons carry (cards since 0019)


def event_of(event: dict[str, Any]) -> Event | None:
    """The event the bot reads (a message to it, a card button pressed), None for others
    (group messages, events the app subscribed to but the bot does not use)."""
    header = event.get("header") or {}
    body = event.get("event") or {}
    kind, event_id = header.get("event_type"), str(header.get("event_id") or "")
    if kind not in READ or not event_id:
        return None
    if kind == MESSAGE:
        message = body.get("message") or {}
        sender = ((body.get("sender") or {}).get("sender_id") or {}).get("open_id")
        if message.get("chat_type") != "p2p" or not sender:
            return None  # the bot talks to people one to one
        text = None
        if message.get("message_type") == "text":
            try:
                text = json.loads(message.get("content") or "{}").get("text")
            except (ValueError, AttributeError):
                text = None
        digest = {"kind": "text", "text": str(text)} if isinstance(text, str) \
            else {"kind": "other"}
        return Event(event_id, str(sender), digest)
    operator = (body.get("operator") or {}).get("open_id")
    value = (body.get("action") or {}).get("value") or {}
    message_id = (body.get("context") or {}).get("open_message_id")
    if not operator or not isinstance(value, dict):
        return None
    number = value.get("n")
    return Event(event_id, str(operator), {"kind": "callback", "data": str(value.get("d", ""))},
                 str(message_id) if message_id else None,
                 number if isinstance(number, int) and not isinstance(number, bool) else None)


def stored_payload(update_id: int, chat_id: int, event: Event,
                   card: tuple[int, str] | None) -> dict[str, Any]:
    """The inbox row's payload: the digest with its numbers (the card's number and text)."""
    payload: dict[str, Any] = {"update_id": update_id, "chat_id": chat_id,
                               "feishu": {**event.digest, "event_id": event.event_id,
                                          "open_id": event.open_id}}
    if card is not None:
        payload["feishu"]["message_id"], payload["feishu"]["message_text"] = card
    return payload


def incoming_of(payload: dict[str, Any]) -> Incoming | None:
    """A stored Feishu update as the conversation sees it."""
    digest = payload.get("feishu")
    if not isinstance(digest, dict):
        return None
    update_id, chat = int(payload["update_id"]), int(payload["chat_id"])
    kind = digest.get("kind")
    open_id = digest.get("open_id")
    account = str(open_id) if open_id else None
    if kind == "callback":
        return Incoming(update_id, chat, chat, None, "callback",
                        callback_id=f"feishu:{digest.get('event_id', '')}:{chat}",
                        callback_data=str(digest.get("data") or ""),
                        message_id=digest.get("message_id"),
                        message_text=digest.get("message_text"), channel="feishu", account=account)
    if kind == "text":
        text = str(digest.get("text") or "")
        if text.startswith("/"):
            command, args = split_command(text)
            return Incoming(update_id, chat, chat, None, "command", text=text, command=command,
                            args=args, channel="feishu", account=account)
        return Incoming(update_id, chat, chat, None, "text", text=text, channel="feishu",
                        account=account)
    return Incoming(update_id, chat, chat, None, "other", channel="feishu", account=account)


def card(text: str, buttons: Keyboard = (), image_key: str | None = None,
         number: int | None = None) -> str:
    """An interactive card: the text as plain text (never read as markup), a row of buttons
    per keyboard row, each carrying our callback data and the card's number (so a press
    finds its card even before Feishu's message id is recorded); an image above, for the
    report."""
    elements: list[dict[str, Any]] = []
    if image_key:
        elements.append({"tag": "img", "img_key": image_key,
                         "alt": {"tag": "plain_text", "content": ""}})
    if text:
        elements.append({"tag": "div", "text": {"tag": "plain_text", "content": text}})
    for row in buttons:
        elements.append({"tag": "action", "actions": [
            {"tag": "button", "text": {"tag": "plain_text", "content": b.label},
             "type": "default", "value": {"d": b.data} if number is None
             else {"d": b.data, "n": number}} for b in row]})
    return json.dumps({"config": {"wide_screen_mode": True, "update_multi": True},
                       "elements": elements}, ensure_ascii=False)


def text_content(text: str) -> str:
    return json.dumps({"text": text}, ensure_ascii=False)


# Feishu's codes that mean the person cannot be reached by the bot (left the company, out of
# the app's availability, blocked it)
UNREACHABLE = {230013, 230006, 99992361}
RATE_LIMITED = {99991400, 230020}


def delivery_error(status: int, code: int, message: str, retry_after: float | None = None
                   ) -> DeliveryError:
    """A Feishu refusal as one of our kinds: wait, drop the chat, retry, or give up."""
    detail = f"{status}/{code}: {message}"
    if status == 429 or code in RATE_LIMITED:
        return DeliveryError("retry_after", detail, float(retry_after or 1))
    if code in UNREACHABLE or status == 403:
        return DeliveryError("forbidden", detail)
    if status == 0 or status >= 500:
        return DeliveryError("transient", detail)
    return DeliveryError("permanent", detail)
