"""aiogram types → `Incoming`."""

from __future__ import annotations

from aiogram.types import CallbackQuery, Message, User

from chat.incoming import Incoming, split_command


def _who(user: User | None) -> tuple[int, str | None, str]:
    if user is None:
        return 0, None, ""
    return user.id, user.language_code, user.first_name


def from_message(message: Message, update_id: int) -> Incoming:
    user_id, language, name = _who(message.from_user)
    if message.contact is not None:
        return Incoming(update_id, user_id, message.chat.id, language, "contact",
                        text=message.contact.phone_number, first_name=name)
    text = message.text or ""
    if text.startswith("/"):
        command, args = split_command(text)
        return Incoming(update_id, user_id, message.chat.id, language, "command", text=text,
                        command=command, args=args, first_name=name)
    kind = "text" if message.text is not None else "other"
    return Incoming(update_id, user_id, message.chat.id, language, kind, text=text,
                    first_name=name)


def from_callback(query: CallbackQuery, update_id: int) -> Incoming:
    user_id, language, name = _who(query.from_user)
    message = query.message
    chat_id = message.chat.id if message is not None else user_id
    text = getattr(message, "text", None)
    return Incoming(update_id, user_id, chat_id, language, "callback", first_name=name,
                    callback_id=query.id, callback_data=query.data or "",
                    message_id=message.message_id if message is not None else None,
                    message_text=text)
