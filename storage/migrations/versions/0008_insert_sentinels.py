"""answers and audit_log: a sentinel column, so many new rows go in one INSERT on SQLite

SQLite cannot say which new id belongs to which row of a multi-row INSERT … RETURNING;
without a sentinel the ORM inserts one row per statement (bench M1: 64 INSERTs a batch).

Revision ID: 0008
Revises: 0007
Create Date: 2026-12-01
"""
from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

revision: str = '0008'
down_revision: str | None = '0007'
branch_labels: Sequence[str] | None = None
depends_on: Sequence[str] | None = None


def upgrade() -> None:
    for table in ('answers', 'audit_log'):
        op.add_column(table, sa.Column('_sentinel', sa.Integer(), nullable=True))


def downgrade() -> None:
    for table in ('answers', 'audit_log'):
        with op.batch_alter_table(table) as batch:
            batch.drop_column('_sentinel')
