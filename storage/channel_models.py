"""Tables of the channels people reach the bot by: the inbox of updates, people's accounts
on every channel, Feishu's events and cards, and the dashboard's sign-in links and sessions.
`storage.models` re-exports them; every change needs an Alembic migration."""

from __future__ import annotations

from datetime import datetime
from typing import Any

from sqlalchemy import (
    BigInteger,
    Boolean,
    ForeignKey,
    Index,
    Integer,
    String,
    Text,
    UniqueConstraint,
    text,
)
from sqlalchemy.orm import Mapped, mapped_column

from storage.base import Base
from storage.crypto import EncryptedJSON, EncryptedText

OPEN = ("pending", "replying")  # an update not done yet (storage.inbox)
OPEN_SQL = text(f"status IN ({', '.join(repr(status) for status in OPEN)})")


class InboxUpdate(Base):
    """Every Telegram update, stored before Telegram is told we have it.

    pending → (processed in one transaction with its effects, reply stored) replying
    → (reply delivered) done. A crash leaves rows pending or replying, never lost.
    """

    __tablename__ = "inbox_updates"
    # Partial indexes over the open updates only (0025): done ones, most of the table, are in
    # neither, and PostgreSQL's dead index entries of a busy inbox stay few (the claim read
    # ~13,000 of them per batch through an index on status, 35 ms instead of 0.2).
    __table_args__ = (
        Index("ix_inbox_updates_open", "update_id", postgresql_where=OPEN_SQL,
              sqlite_where=OPEN_SQL),
        Index("ix_inbox_updates_open_chat", "chat_id", "update_id",
              postgresql_where=OPEN_SQL, sqlite_where=OPEN_SQL))
    update_id: Mapped[int] = mapped_column(BigInteger, primary_key=True, autoincrement=False)
    chat_id: Mapped[int | None] = mapped_column(BigInteger)
    payload: Mapped[dict[str, Any]] = mapped_column(EncryptedJSON())  # the update as sent
    status: Mapped[str] = mapped_column(String(16))  # pending | replying | done | failed
    attempts: Mapped[int] = mapped_column(Integer, default=0)
    next_attempt_at: Mapped[datetime]
    lease_until: Mapped[datetime | None]
    reply: Mapped[Any] = mapped_column(EncryptedJSON(), nullable=True)  # the reply actions
    error: Mapped[str | None] = mapped_column(Text)
    received_at: Mapped[datetime]
    done_at: Mapped[datetime | None]


class Account(Base):
    """A person's account on one channel (0019): a Telegram user id, a Feishu open id, a
    DingTalk user id, as `(channel, external_id)`. A staff user's accounts carry their
    `user_id` (one person, every channel they are on); a customer's carry none.

    `address` is the number the conversation, the inbox and the reminders reach the account
    by: a Telegram account's own id; for every other channel one below -2**60 made from the
    row id (storage.accounts.address_for), one range for all of them."""

    __tablename__ = "accounts"
    __table_args__ = (UniqueConstraint("channel", "external_id"),)
    id: Mapped[int] = mapped_column(primary_key=True)
    channel: Mapped[str] = mapped_column(String(16))  # telegram | feishu | dingtalk
    external_id: Mapped[str] = mapped_column(String(64))
    address: Mapped[int | None] = mapped_column(BigInteger, unique=True)
    user_id: Mapped[int | None] = mapped_column(ForeignKey("users.id"), index=True)
    # the app's language until the person chooses one; None until they write (an account an
    # admin bound): their user's language is used
    language: Mapped[str | None] = mapped_column(String(8))
    language_chosen: Mapped[bool] = mapped_column(Boolean, default=False)
    unreachable_at: Mapped[datetime | None]
    # a command waiting for a button: {"command": "edit", "name": "Acme", "rest": "phone …"}
    # (what was typed after the name can be a phone: encrypted, 0018)
    pending: Mapped[dict[str, Any] | None] = mapped_column(EncryptedJSON(), nullable=True)
    created_at: Mapped[datetime]
    updated_at: Mapped[datetime]


class WebLink(Base):
    """A one-time sign-in link for the dashboard (/dashboard): 256 random bits, kept only
    as a hash, valid 10 minutes, used at most once."""

    __tablename__ = "web_links"
    id: Mapped[int] = mapped_column(primary_key=True)
    token_hash: Mapped[str] = mapped_column(String(64), unique=True)
    user_id: Mapped[int] = mapped_column(ForeignKey("users.id"), index=True)
    created_at: Mapped[datetime]
    expires_at: Mapped[datetime]
    used_at: Mapped[datetime | None]


class WebSession(Base):
    """A signed-in browser: the cookie holds a random id, this table only its hash."""

    __tablename__ = "web_sessions"
    id_hash: Mapped[str] = mapped_column(String(64), primary_key=True)
    user_id: Mapped[int] = mapped_column(ForeignKey("users.id"), index=True)
    created_at: Mapped[datetime]
    expires_at: Mapped[datetime]


class ChatEvent(Base):
    """An event of a chat channel other than Telegram (a Feishu event, a DingTalk message)
    stored in the inbox: its id on that channel, so one sent again is ignored; the inbox's
    update id comes from `id` (storage.inbox.new_event). 0020"""

    __tablename__ = "chat_events"
    __table_args__ = (UniqueConstraint("channel", "event_id"),)
    id: Mapped[int] = mapped_column(primary_key=True)
    channel: Mapped[str] = mapped_column(String(16))
    event_id: Mapped[str] = mapped_column(String(64))
    received_at: Mapped[datetime]


class ChatKeyboard(Base):
    """The choices last offered to someone on a channel without buttons (DingTalk): they are
    numbered in the message, and a reply with a number presses that one (0021). Labels can
    name a customer: encrypted."""

    __tablename__ = "chat_keyboards"
    address: Mapped[int] = mapped_column(BigInteger, primary_key=True, autoincrement=False)
    buttons: Mapped[list[list[str]]] = mapped_column(EncryptedJSON())  # [label, data] pairs
    sent_at: Mapped[datetime]


class FeishuMessage(Base):
    """A card the bot sent on Feishu: the number the conversation edits it by (`id`), its
    Feishu message id, and its text (shown again when a button of it is pressed)."""

    __tablename__ = "feishu_messages"
    id: Mapped[int] = mapped_column(primary_key=True)
    message_id: Mapped[str] = mapped_column(String(64), unique=True)
    text: Mapped[str] = mapped_column(EncryptedText())  # a card can show a phone or a name
    created_at: Mapped[datetime]
