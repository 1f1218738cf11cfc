"""people and their accounts: one `accounts` table for every channel (Telegram user ids,
Feishu open ids, DingTalk user ids), each bound to the staff user it belongs to; users no
longer carry a Telegram id or a Feishu open id

Carried over with nothing lost: every Telegram account (language, choice, unreachable,
pending command), every Feishu account with its address kept (the inbox, the reminders
and the interviews that name it still reach it), the settings a Feishu account had under
its address, every user's Telegram id and open id as a bound account (made if the person
never wrote). Old audit entries keep their actor text (the chain is hashed); readers name
the person behind a "tg:<address>" through the accounts.

Revision ID: 0019
Revises: 0018
Create Date: 2026-12-06
"""
from collections.abc import Sequence
from datetime import UTC, datetime
from typing import Any

import sqlalchemy as sa
from alembic import op

revision: str = '0019'
down_revision: str | None = '0018'
branch_labels: Sequence[str] | None = None
depends_on: Sequence[str] | None = None

ADDRESSES_BELOW = -(2 ** 60)  # storage.accounts: address = ADDRESSES_BELOW - accounts.id
FEISHU_FLOOR = -(2 ** 62) // 2  # the old Feishu range: FEISHU_FLOOR < address < ADDRESSES_BELOW


def _create_accounts() -> None:
    op.create_table(
        'accounts',
        sa.Column('id', sa.Integer(), nullable=False),
        sa.Column('channel', sa.String(length=16), nullable=False),
        sa.Column('external_id', sa.String(length=64), nullable=False),
        sa.Column('address', sa.BigInteger(), nullable=True),
        sa.Column('user_id', sa.Integer(), nullable=True),
        sa.Column('language', sa.String(length=8), nullable=True),
        sa.Column('language_chosen', sa.Boolean(), nullable=False),
        sa.Column('unreachable_at', sa.DateTime(timezone=True), nullable=True),
        sa.Column('pending', sa.Text(), nullable=True),
        sa.Column('created_at', sa.DateTime(timezone=True), nullable=False),
        sa.Column('updated_at', sa.DateTime(timezone=True), nullable=False),
        sa.ForeignKeyConstraint(['user_id'], ['users.id'], name=op.f('fk_accounts_user_id_users')),
        sa.PrimaryKeyConstraint('id', name=op.f('pk_accounts')),
        sa.UniqueConstraint('address', name=op.f('uq_accounts_address')),
        sa.UniqueConstraint('channel', 'external_id', name=op.f('uq_accounts_channel')),
        sqlite_autoincrement=True,
    )
    op.create_index(op.f('ix_accounts_user_id'), 'accounts', ['user_id'], unique=False)


def _rows(bind: sa.Connection) -> list[dict[str, Any]]:
    """Every account as the new table holds it: Feishu's first, keeping their ids (their
    addresses come from them), then Telegram's, then the ids users named that never wrote."""
    settings = {row.telegram_id: row._asdict() for row in bind.execute(sa.text(
        "SELECT telegram_id, language, language_chosen, unreachable_at, pending, created_at, "
        "updated_at FROM telegram_accounts"))}
    users = list(bind.execute(sa.text(
        "SELECT id, telegram_id, feishu_open_id, created_at FROM users ORDER BY id")))
    rows: list[dict[str, Any]] = []
    for row_id, open_id, created in bind.execute(sa.text(
            "SELECT id, open_id, created_at FROM feishu_accounts ORDER BY id")):
        address = ADDRESSES_BELOW - row_id
        kept = settings.pop(address, None) or {
            "language": None, "language_chosen": False, "unreachable_at": None,
            "pending": None, "created_at": created, "updated_at": created}
        rows.append({**kept, "id": row_id, "channel": "feishu", "external_id": open_id,
                     "address": address})
    next_id = max((r["id"] for r in rows), default=0) + 1
    feishu_ids = {r["external_id"] for r in rows}
    for user in users:  # named by a user, never written: the account is made now
        if user.telegram_id is not None and user.telegram_id not in settings and not (
                FEISHU_FLOOR < user.telegram_id < ADDRESSES_BELOW):
            settings[user.telegram_id] = {
                "telegram_id": user.telegram_id, "language": None,
                "language_chosen": False, "unreachable_at": None, "pending": None,
                "created_at": user.created_at, "updated_at": user.created_at}
    for telegram_id in sorted(settings):
        kept = {k: v for k, v in settings[telegram_id].items() if k != "telegram_id"}
        rows.append({**kept, "id": next_id, "channel": "telegram",
                     "external_id": str(telegram_id), "address": telegram_id})
        next_id += 1
    for user in users:
        if user.feishu_open_id is not None and user.feishu_open_id not in feishu_ids:
            rows.append({"id": next_id, "channel": "feishu", "external_id": user.feishu_open_id,
                         "address": ADDRESSES_BELOW - next_id, "language": None,
                         "language_chosen": False, "unreachable_at": None, "pending": None,
                         "created_at": user.created_at, "updated_at": user.created_at})
            next_id += 1
    return _bound(rows, users)


def _bound(rows: list[dict[str, Any]], users: list[Any]) -> list[dict[str, Any]]:
    """Each account with the user it belongs to: by the Telegram id (or Feishu address) the
    user held, then by the open id (a binding by open id wins, as it did)."""
    by_address = {u.telegram_id: u.id for u in users if u.telegram_id is not None}
    by_open_id = {u.feishu_open_id: u.id for u in users if u.feishu_open_id is not None}
    for row in rows:
        row["user_id"] = by_address.get(row["address"])
        if row["channel"] == "feishu" and row["external_id"] in by_open_id:
            row["user_id"] = by_open_id[row["external_id"]]
    return rows


def upgrade() -> None:
    _create_accounts()
    bind = op.get_bind()
    rows = _rows(bind)
    now = datetime.now(UTC)
    for row in rows:
        row["created_at"] = row["created_at"] or now
        row["updated_at"] = row["updated_at"] or row["created_at"]
    if rows:
        bind.execute(sa.text(
            "INSERT INTO accounts (id, channel, external_id, address, user_id, language, "
            "language_chosen, unreachable_at, pending, created_at, updated_at) VALUES (:id, "
            ":channel, :external_id, :address, :user_id, :language, :language_chosen, "
            ":unreachable_at, :pending, :created_at, :updated_at)"), rows)
    if bind.dialect.name == "postgresql":
        bind.execute(sa.text("SELECT setval(pg_get_serial_sequence('accounts', 'id'), "
                             "(SELECT COALESCE(MAX(id), 0) + 1 FROM accounts), false)"))
    with op.batch_alter_table('users') as batch:
        batch.drop_constraint(op.f('uq_users_telegram_id'), type_='unique')
        batch.drop_constraint(op.f('uq_users_feishu_open_id'), type_='unique')
        batch.drop_column('telegram_id')
        batch.drop_column('feishu_open_id')
    op.drop_table('telegram_accounts')
    op.drop_table('feishu_accounts')


def downgrade() -> None:
    raise NotImplementedError("people on several channels cannot be folded back into one id")
