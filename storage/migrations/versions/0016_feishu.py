"""feishu: users bound to Feishu open ids; Feishu accounts, events (for duplicates) and the
cards the bot sent

Revision ID: 0016
Revises: 0015
Create Date: 2026-12-01
"""
from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

revision: str = '0016'
down_revision: str | None = '0015'
branch_labels: Sequence[str] | None = None
depends_on: Sequence[str] | None = None


def upgrade() -> None:
    with op.batch_alter_table('users') as batch:
        batch.add_column(sa.Column('feishu_open_id', sa.String(length=64), nullable=True))
        batch.create_unique_constraint(op.f('uq_users_feishu_open_id'), ['feishu_open_id'])
    op.create_table(
        'feishu_accounts',
        sa.Column('id', sa.Integer(), nullable=False),
        sa.Column('open_id', sa.String(length=64), nullable=False),
        sa.Column('created_at', sa.DateTime(timezone=True), nullable=False),
        sa.PrimaryKeyConstraint('id', name=op.f('pk_feishu_accounts')),
        sa.UniqueConstraint('open_id', name=op.f('uq_feishu_accounts_open_id')),
    )
    op.create_table(
        'feishu_events',
        sa.Column('id', sa.Integer(), nullable=False),
        sa.Column('event_id', sa.String(length=64), nullable=False),
        sa.Column('received_at', sa.DateTime(timezone=True), nullable=False),
        sa.PrimaryKeyConstraint('id', name=op.f('pk_feishu_events')),
        sa.UniqueConstraint('event_id', name=op.f('uq_feishu_events_event_id')),
    )
    op.create_table(
        'feishu_messages',
        sa.Column('id', sa.Integer(), nullable=False),
        sa.Column('message_id', sa.String(length=64), nullable=False),
        sa.Column('text', sa.Text(), nullable=False),
        sa.Column('created_at', sa.DateTime(timezone=True), nullable=False),
        sa.PrimaryKeyConstraint('id', name=op.f('pk_feishu_messages')),
        sa.UniqueConstraint('message_id', name=op.f('uq_feishu_messages_message_id')),
    )


def downgrade() -> None:
    op.drop_table('feishu_messages')
    op.drop_table('feishu_events')
    op.drop_table('feishu_accounts')
    with op.batch_alter_table('users') as batch:
        batch.drop_constraint(op.f('uq_users_feishu_open_id'), type_='unique')
        batch.drop_column('feishu_open_id')
