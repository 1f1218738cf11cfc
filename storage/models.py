"""Tables. Every change here needs an Alembic migration (a test compares them)."""

from __future__ import annotations

import unicodedata
from datetime import UTC, date, datetime
from typing import Any

from sqlalchemy import (
    BigInteger,
    Boolean,
    Date,
    ForeignKey,
    Index,
    Integer,
    String,
    Text,
    event,
    text,
)
from sqlalchemy.engine import Dialect
from sqlalchemy.orm import Mapped, Session, mapped_column, orm_insert_sentinel

from storage.base import Base as Base
from storage.base import JsonValue as JsonValue
from storage.base import UtcDateTime as UtcDateTime
from storage.channel_models import Account as Account
from storage.channel_models import ChatEvent as ChatEvent
from storage.channel_models import ChatKeyboard as ChatKeyboard
from storage.channel_models import FeishuMessage as FeishuMessage
from storage.channel_models import InboxUpdate as InboxUpdate
from storage.channel_models import WebLink as WebLink
from storage.channel_models import WebSession as WebSession
from storage.crypto import EncryptedDate, EncryptedJSON, EncryptedText, blind_index
from storage.deal_models import DealWarningRow as DealWarningRow
from storage.deal_models import Meeting as Meeting
from storage.hook_models import ApiToken as ApiToken
from storage.hook_models import HookDelivery as HookDelivery
from storage.hook_models import HookEndpoint as HookEndpoint
from storage.hook_models import OutboxEvent as OutboxEvent


class User(Base):
    __tablename__ = "users"
    id: Mapped[int] = mapped_column(primary_key=True)
    # the person's accounts on Telegram, Feishu, DingTalk: storage.models.Account (0019)
    name: Mapped[str] = mapped_column(String(200))
    role: Mapped[str] = mapped_column(String(16))  # rep | manager | admin
    language: Mapped[str] = mapped_column(String(8), default="zh")
    timezone: Mapped[str | None] = mapped_column(String(64))
    quiet_hours: Mapped[str | None] = mapped_column(String(11))  # "21:00-08:30"; None: policy
    manager_id: Mapped[int | None] = mapped_column(ForeignKey("users.id"))
    active: Mapped[bool] = mapped_column(Boolean, default=True)
    created_at: Mapped[datetime]


class Customer(Base):
    """The customer information card (seed 003)."""

    __tablename__ = "customers"
    # a team's overdue revisits: an index range per rep (bench M5)
    __table_args__ = (Index("ix_customers_owner_revisit", "owner_id", "revisit_due_on"),)
    id: Mapped[int] = mapped_column(primary_key=True)
    name: Mapped[str] = mapped_column(String(200))
    name_key: Mapped[str] = mapped_column(String(200), index=True)  # customers.name_key
    search_key: Mapped[str | None] = mapped_column(Text)  # key|pinyin|initials (0010)
    # in clear: public facts about a company, searched and grouped by (README "data map")
    credit_code: Mapped[str | None] = mapped_column(String(32), unique=True)
    industry: Mapped[str | None] = mapped_column(String(200))
    employees: Mapped[int | None] = mapped_column(BigInteger)  # 64-bit: 0009
    revenue_band: Mapped[str | None] = mapped_column(String(100))
    website: Mapped[str | None] = mapped_column(String(300))
    grade: Mapped[str | None] = mapped_column(String(1))
    priority: Mapped[str | None] = mapped_column(String(8))
    owner_id: Mapped[int | None] = mapped_column(ForeignKey("users.id"), index=True)
    tags: Mapped[list[str]] = mapped_column(default=list)
    # encrypted: free text a person typed can name people, phones, addresses (0009)
    address: Mapped[str | None] = mapped_column(EncryptedText())
    need_type: Mapped[str | None] = mapped_column(EncryptedText())
    need_description: Mapped[str | None] = mapped_column(EncryptedText())
    budget: Mapped[str | None] = mapped_column(EncryptedText())
    timeline: Mapped[str | None] = mapped_column(EncryptedText())
    decision_process: Mapped[str | None] = mapped_column(EncryptedText())
    competitors: Mapped[str | None] = mapped_column(EncryptedText())
    next_step: Mapped[str | None] = mapped_column(EncryptedText())
    next_contact: Mapped[date | None] = mapped_column(Date)
    last_contact_at: Mapped[datetime | None]
    # the day the next revisit is due (grade cadence after the last contact)
    revisit_due_on: Mapped[date | None] = mapped_column(Date, index=True)
    # a yearly day worth a call 30 days ahead (seed 002), and the last quarterly check (0013)
    celebration_on: Mapped[date | None] = mapped_column(Date)
    last_verified: Mapped[date | None] = mapped_column(Date)
    # no longer a customer (lost, ended): retention counts from here
    closed_at: Mapped[datetime | None]
    # the team pool (0024): the last time its owner worked on it (scheduler.pool), when it
    # went back to the pool and whose it was, and whether it never goes (key accounts)
    worked_at: Mapped[datetime | None] = mapped_column(index=True)
    released_at: Mapped[datetime | None] = mapped_column(index=True)
    released_from: Mapped[int | None] = mapped_column(Integer)  # a user id (never deleted)
    pool_exempt: Mapped[bool] = mapped_column(Boolean, default=False)
    created_at: Mapped[datetime]
    updated_at: Mapped[datetime]
    _sentinel: Mapped[int | None] = orm_insert_sentinel()  # many rows, one INSERT (0009)


class Contact(Base):
    __tablename__ = "contacts"
    id: Mapped[int] = mapped_column(primary_key=True)
    customer_id: Mapped[int] = mapped_column(ForeignKey("customers.id"), index=True)
    # personal data: encrypted at rest; phone and email found through blind indexes
    name: Mapped[str | None] = mapped_column(EncryptedText())
    title: Mapped[str | None] = mapped_column(EncryptedText())
    department: Mapped[str | None] = mapped_column(EncryptedText())
    phone: Mapped[str | None] = mapped_column(EncryptedText())
    email: Mapped[str | None] = mapped_column(EncryptedText())
    messenger_id: Mapped[str | None] = mapped_column(EncryptedText())
    decision_role: Mapped[str | None] = mapped_column(String(20))
    birthday: Mapped[date | None] = mapped_column(EncryptedDate())
    notes: Mapped[str | None] = mapped_column(EncryptedText())
    phone_index: Mapped[str | None] = mapped_column(String(64), index=True)
    email_index: Mapped[str | None] = mapped_column(String(64), index=True)
    name_index: Mapped[str | None] = mapped_column(String(64), index=True)  # 0010
    created_at: Mapped[datetime]
    updated_at: Mapped[datetime]
    _sentinel: Mapped[int | None] = orm_insert_sentinel()


def person_key(name: str | None) -> str | None:
    """A person's name as the blind index holds it: width, case and spaces folded."""
    if not name:
        return None
    return "".join(unicodedata.normalize("NFKC", name).casefold().split()) or None


@event.listens_for(Session, "before_flush")
def _blind_indexes(session: Session, _context: object, _instances: object) -> None:
    """Keep each contact's name, phone and email findable without decrypting them."""
    changed = [o for o in (*session.new, *session.dirty) if isinstance(o, Contact)]
    if not changed:
        return
    dialect = session.get_bind().dialect
    for contact in changed:
        index_contact(contact, dialect)


def index_contact(contact: Any, dialect: Dialect) -> None:
    """Set a contact's blind indexes (name, phone, email) from its values: by the flush hook
    above, and by a bulk INSERT (an import), which no hook sees."""
    contact.phone_index = blind_index(dialect, "phone", contact.phone)
    contact.email_index = blind_index(dialect, "email",
                                      contact.email.lower() if contact.email else None)
    contact.name_index = blind_index(dialect, "name", person_key(contact.name))


ACTIVE = text("status = 'active'")


class Interview(Base):
    __tablename__ = "interviews"
    __table_args__ = (
        # one unfinished interview per respondent, customer and flow
        Index("uq_interviews_active", "respondent_key", "customer_id", "flow_id", unique=True,
              sqlite_where=ACTIVE, postgresql_where=ACTIVE),
    )
    id: Mapped[int] = mapped_column(primary_key=True)
    flow_id: Mapped[str] = mapped_column(String(40))
    flow_version: Mapped[str] = mapped_column(String(40))
    fingerprint: Mapped[str] = mapped_column(String(16))
    customer_id: Mapped[int] = mapped_column(ForeignKey("customers.id"), index=True)
    contact_id: Mapped[int | None] = mapped_column(ForeignKey("contacts.id"))
    respondent_key: Mapped[str] = mapped_column(String(64))
    respondent_user_id: Mapped[int | None] = mapped_column(ForeignKey("users.id"))
    language: Mapped[str] = mapped_column(String(8))
    status: Mapped[str] = mapped_column(String(16))  # active | completed | cancelled
    state: Mapped[dict[str, Any]] = mapped_column(EncryptedJSON())  # holds the answers
    outcome: Mapped[dict[str, Any] | None]
    started_at: Mapped[datetime]
    updated_at: Mapped[datetime]
    completed_at: Mapped[datetime | None]
    # the newest Telegram update applied: a redelivered update must not answer twice
    last_update_id: Mapped[int | None] = mapped_column(BigInteger)


CURRENT = text("superseded_at IS NULL")


class Answer(Base):
    """One row per answer given; an edited answer keeps its old row, marked superseded."""

    __tablename__ = "answers"
    __table_args__ = (
        Index("uq_answers_current", "interview_id", "question_id", unique=True,
              sqlite_where=CURRENT, postgresql_where=CURRENT),
    )
    id: Mapped[int] = mapped_column(primary_key=True)
    interview_id: Mapped[int] = mapped_column(ForeignKey("interviews.id"), index=True)
    customer_id: Mapped[int] = mapped_column(ForeignKey("customers.id"), index=True)
    question_id: Mapped[str] = mapped_column(String(40))
    stage: Mapped[str] = mapped_column(String(16))
    maps_to: Mapped[str | None] = mapped_column(String(40))
    # what people typed may be personal (a phone, an address): encrypted at rest
    raw_text: Mapped[str | None] = mapped_column(EncryptedText())
    value: Mapped[Any] = mapped_column(EncryptedJSON(), nullable=True)
    other_text: Mapped[str | None] = mapped_column(EncryptedText())
    answered_by: Mapped[str] = mapped_column(String(64))
    answered_at: Mapped[datetime]
    superseded_at: Mapped[datetime | None]
    # "typed" (given), "kept": the value the card already held, confirmed (0012), or
    # "revised": changed by the respondent after finishing (the 24-hour correction)
    source: Mapped[str | None] = mapped_column(String(8))
    # lets one INSERT carry many rows on SQLite too (migration 0008)
    _sentinel: Mapped[int | None] = orm_insert_sentinel()


class AuditEntry(Base):
    """Append-only; each entry's hash covers the previous one, so an edit breaks the chain."""

    __tablename__ = "audit_log"
    id: Mapped[int] = mapped_column(primary_key=True)
    at: Mapped[datetime]
    actor: Mapped[str] = mapped_column(String(64))
    action: Mapped[str] = mapped_column(String(40))
    entity: Mapped[str] = mapped_column(String(40))
    entity_id: Mapped[str | None] = mapped_column(String(64))
    fields: Mapped[list[str]] = mapped_column(default=list)
    channel: Mapped[str] = mapped_column(String(16))
    outcome: Mapped[str] = mapped_column(String(16))
    prev_hash: Mapped[str] = mapped_column(String(64))
    hash: Mapped[str] = mapped_column(String(64), unique=True)
    _sentinel: Mapped[int | None] = orm_insert_sentinel()  # many rows, one INSERT (0008)


class Invite(Base):
    """A customer's way in: a deep link whose token is stored only as a hash."""

    __tablename__ = "invites"
    id: Mapped[int] = mapped_column(primary_key=True)
    token_hash: Mapped[str] = mapped_column(String(64), unique=True)
    customer_id: Mapped[int] = mapped_column(ForeignKey("customers.id"), index=True)
    flow_id: Mapped[str] = mapped_column(String(40))
    created_by: Mapped[int | None] = mapped_column(ForeignKey("users.id"))
    created_at: Mapped[datetime]
    expires_at: Mapped[datetime]
    revoked_at: Mapped[datetime | None]
    telegram_id: Mapped[int | None] = mapped_column(BigInteger)  # the first who opened it
    # or the first browser that opened its web page: the hash of that browser's cookie (0015)
    browser_hash: Mapped[str | None] = mapped_column(String(64))
    opened_at: Mapped[datetime | None]
    interview_id: Mapped[int | None] = mapped_column(ForeignKey("interviews.id"))


class Consent(Base):
    """A customer's answer to the consent question, with the text version they saw."""

    __tablename__ = "consents"
    id: Mapped[int] = mapped_column(primary_key=True)
    telegram_id: Mapped[int | None] = mapped_column(BigInteger, index=True)  # None: the web
    customer_id: Mapped[int] = mapped_column(ForeignKey("customers.id"), index=True)
    invite_id: Mapped[int | None] = mapped_column(ForeignKey("invites.id"))
    text_version: Mapped[str] = mapped_column(String(20))
    decision: Mapped[str] = mapped_column(String(10))  # accepted | declined | withdrawn
    decided_at: Mapped[datetime]


class Reminder(Base):
    """One thing to tell one person at one time. The database is the queue.

    pending → (claimed with a lease) → sent | failed | expired | cancelled | done | snoozed.
    The dedupe key makes scheduling the same thing twice a no-op.
    """

    __tablename__ = "reminders"
    __table_args__ = (Index("ix_reminders_status_due_at", "status", "due_at"),)
    id: Mapped[int] = mapped_column(primary_key=True)
    kind: Mapped[str] = mapped_column(String(24))
    customer_id: Mapped[int | None] = mapped_column(ForeignKey("customers.id"), index=True)
    recipient_id: Mapped[int | None] = mapped_column(ForeignKey("users.id"), index=True)
    recipient_chat: Mapped[int | None] = mapped_column(BigInteger)  # customers: no user row
    due_at: Mapped[datetime]
    status: Mapped[str] = mapped_column(String(12))
    lease_until: Mapped[datetime | None]
    attempts: Mapped[int] = mapped_column(Integer, default=0)
    last_error: Mapped[str | None] = mapped_column(Text)
    sent_message_id: Mapped[int | None] = mapped_column(BigInteger)
    sent_at: Mapped[datetime | None]
    dedupe_key: Mapped[str] = mapped_column(String(120), unique=True)
    payload: Mapped[dict[str, Any]]
    created_at: Mapped[datetime]
    updated_at: Mapped[datetime]


class DigestSent(Base):
    """A manager's daily digest, once per local day even across restarts."""

    __tablename__ = "digests_sent"
    manager_id: Mapped[int] = mapped_column(ForeignKey("users.id"), primary_key=True)
    day: Mapped[date] = mapped_column(Date, primary_key=True)
    created_at: Mapped[datetime]


def utcnow() -> datetime:
    return datetime.now(UTC)


class ImportRun(Base):
    """One `customers import`: written in short transactions, undone as a whole if it
    fails or is interrupted (status "running" found by the next import)."""

    __tablename__ = "import_runs"
    id: Mapped[int] = mapped_column(primary_key=True)
    source: Mapped[str] = mapped_column(String(300))  # the file name, no path
    actor: Mapped[str] = mapped_column(String(64))
    status: Mapped[str] = mapped_column(String(16))  # running | done | undone
    rows: Mapped[int] = mapped_column(Integer, default=0)
    started_at: Mapped[datetime]
    beat_at: Mapped[datetime]  # the last chunk written: a run silent for long was killed
    finished_at: Mapped[datetime | None]


class ImportChange(Base):
    """What an import run wrote, so it can be undone: a record it created, or the empty
    fields of an existing record it filled (names only; the values were empty)."""

    __tablename__ = "import_changes"
    id: Mapped[int] = mapped_column(primary_key=True)
    run_id: Mapped[int] = mapped_column(ForeignKey("import_runs.id"), index=True)
    entity: Mapped[str] = mapped_column(String(16))  # customer | contact
    entity_id: Mapped[int] = mapped_column(BigInteger)
    created: Mapped[bool] = mapped_column(Boolean)
    columns: Mapped[list[str]] = mapped_column(default=list)
    _sentinel: Mapped[int | None] = orm_insert_sentinel()


class Note(Base):
    """A dated note on a customer's timeline (/note): free text, so encrypted."""

    __tablename__ = "notes"
    id: Mapped[int] = mapped_column(primary_key=True)
    customer_id: Mapped[int] = mapped_column(ForeignKey("customers.id"), index=True)
    author_id: Mapped[int | None] = mapped_column(ForeignKey("users.id"))
    text: Mapped[str] = mapped_column(EncryptedText())
    created_at: Mapped[datetime]


class CoOwner(Base):
    """A second (third…) rep on a customer (seed 001: important prospects have two or more
    reps in contact): reminders go to every owner, and each of them sees the customer."""

    __tablename__ = "customer_owners"
    customer_id: Mapped[int] = mapped_column(ForeignKey("customers.id"), primary_key=True)
    user_id: Mapped[int] = mapped_column(ForeignKey("users.id"), primary_key=True, index=True)
    added_by: Mapped[str] = mapped_column(String(64))
    added_at: Mapped[datetime]


class CustomerMerge(Base):
    """A duplicate folded into another record (seed 002): the merged record is gone, this
    row keeps its id, so the audit entries about it still lead to the record it became."""

    __tablename__ = "customer_merges"
    id: Mapped[int] = mapped_column(primary_key=True)
    from_id: Mapped[int] = mapped_column(Integer, index=True)  # the record folded in (deleted)
    into_id: Mapped[int] = mapped_column(ForeignKey("customers.id"), index=True)
    actor: Mapped[str] = mapped_column(String(64))
    moved: Mapped[dict[str, Any]]  # counts per kind, and the card fields filled / differing
    at: Mapped[datetime]


class AccessReason(Base):
    """Why someone copied customer data out (seed 001: access needs a registered reason);
    free text, so encrypted, tied to the audit entry of the export."""

    __tablename__ = "access_reasons"
    id: Mapped[int] = mapped_column(primary_key=True)
    audit_id: Mapped[int] = mapped_column(ForeignKey("audit_log.id"), unique=True)
    reason: Mapped[str] = mapped_column(EncryptedText())


# ids no other row, audit entry, export or button names, on tables written on every answer:
# AUTOINCREMENT's sequence row is one more page per commit (bench M1: about +20% CPU per
# answer on SQLite); the audit log is never deleted from, so it cannot reuse an id anyway
IDS_NAMED_NOWHERE = frozenset({"answers", "audit_log", "import_changes"})


def _ids_never_reused() -> None:
    """SQLite hands a deleted row's id to the next insert unless the table says
    AUTOINCREMENT; a merged or erased customer's id would then name someone else in the
    audit trail and in exports. Every table with a plain integer id that is named anywhere
    keeps its ids (0017); PostgreSQL's sequences never go back anyway."""
    for table in Base.metadata.tables.values():
        key = list(table.primary_key.columns)
        if (len(key) == 1 and type(key[0].type) is Integer and key[0].autoincrement is not False
                and table.name not in IDS_NAMED_NOWHERE):
            table.dialect_options["sqlite"]["autoincrement"] = True


_ids_never_reused()
