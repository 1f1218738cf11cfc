"""the inbox's indexes cover only its open updates (pending, replying): the claim of a
batch no longer wades through the done ones and their dead index entries on PostgreSQL

Revision ID: 0025
Revises: 0024
Create Date: 2026-12-07
"""
from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

revision: str = '0025'
down_revision: str | None = '0024'
branch_labels: Sequence[str] | None = None
depends_on: Sequence[str] | None = None

OPEN = sa.text("status IN ('pending', 'replying')")


def upgrade() -> None:
    op.create_index('ix_inbox_updates_open', 'inbox_updates', ['update_id'],
                    postgresql_where=OPEN, sqlite_where=OPEN)
    op.create_index('ix_inbox_updates_open_chat', 'inbox_updates', ['chat_id', 'update_id'],
                    postgresql_where=OPEN, sqlite_where=OPEN)
    op.drop_index('ix_inbox_updates_status_update_id', 'inbox_updates')
    op.drop_index('ix_inbox_updates_chat_id', 'inbox_updates')


def downgrade() -> None:
    op.create_index('ix_inbox_updates_chat_id', 'inbox_updates', ['chat_id'])
    op.create_index('ix_inbox_updates_status_update_id', 'inbox_updates',
                    ['status', 'update_id'])
    op.drop_index('ix_inbox_updates_open_chat', 'inbox_updates')
    op.drop_index('ix_inbox_updates_open', 'inbox_updates')
