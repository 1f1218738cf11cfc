"""personal data encrypted at rest: contacts' details, answers, interview state, inbox

Columns that hold personal data become text (Fernet tokens, see storage/crypto.py), and
contacts get blind indexes for phone and email. Values written before keep working as
plain text until `interview-bot keys rotate` encrypts them.

Revision ID: 0005
Revises: 0004
Create Date: 2026-11-23
"""
from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

revision: str = '0005'
down_revision: str | None = '0004'
branch_labels: Sequence[str] | None = None
depends_on: Sequence[str] | None = None

TEXT_COLUMNS = {
    "contacts": ["phone", "email", "messenger_id", "birthday", "notes"],
    "answers": ["raw_text", "value", "other_text"],
    "interviews": ["state"],
    "inbox_updates": ["payload", "reply"],
}
NOT_NULL = {("interviews", "state"), ("inbox_updates", "payload")}


def upgrade() -> None:
    postgres = op.get_bind().dialect.name == "postgresql"
    if not postgres:
        # the tables are rebuilt; references to them are checked at commit, not midway
        op.execute("PRAGMA defer_foreign_keys = ON")
    for table, columns in TEXT_COLUMNS.items():
        with op.batch_alter_table(table) as batch:
            for column in columns:
                batch.alter_column(column, type_=sa.Text(),
                                   existing_nullable=(table, column) not in NOT_NULL,
                                   postgresql_using=f"{column}::text")
            if table == "contacts":
                batch.add_column(sa.Column("phone_index", sa.String(length=64), nullable=True))
                batch.add_column(sa.Column("email_index", sa.String(length=64), nullable=True))
                batch.create_index("ix_contacts_phone_index", ["phone_index"])
                batch.create_index("ix_contacts_email_index", ["email_index"])


def downgrade() -> None:
    raise NotImplementedError("encrypted columns cannot be turned back into typed ones")
