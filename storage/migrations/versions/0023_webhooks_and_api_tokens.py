"""webhooks and the read API: the endpoints an admin registered, the outbox of events
written with the changes that caused them, one delivery per event and endpoint, and the
API's tokens (hashes)

Revision ID: 0023
Revises: 0022
Create Date: 2026-12-07
"""
from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op
from sqlalchemy.dialects import postgresql

revision: str = '0023'
down_revision: str | None = '0022'
branch_labels: Sequence[str] | None = None
depends_on: Sequence[str] | None = None

JSON = sa.JSON().with_variant(postgresql.JSONB(astext_type=sa.Text()), 'postgresql')


def upgrade() -> None:
    op.create_table(
        'hook_endpoints',
        sa.Column('id', sa.Integer(), nullable=False),
        sa.Column('url', sa.String(length=2000), nullable=False),
        sa.Column('events', JSON, nullable=False),
        sa.Column('secret', sa.Text(), nullable=False),
        sa.Column('personal', sa.Boolean(), nullable=False),
        sa.Column('status', sa.String(length=8), nullable=False),
        sa.Column('since_event', sa.Integer(), nullable=False),
        sa.Column('created_by', sa.String(length=64), nullable=False),
        sa.Column('created_at', sa.DateTime(timezone=True), nullable=False),
        sa.Column('updated_at', sa.DateTime(timezone=True), nullable=False),
        sa.PrimaryKeyConstraint('id', name=op.f('pk_hook_endpoints')),
        sqlite_autoincrement=True,
    )
    op.create_table(
        'outbox_events',
        sa.Column('id', sa.Integer(), nullable=False),
        sa.Column('event_id', sa.String(length=40), nullable=False),
        sa.Column('kind', sa.String(length=32), nullable=False),
        sa.Column('customer_id', sa.Integer(), nullable=True),
        sa.Column('data', sa.Text(), nullable=False),
        sa.Column('personal', sa.Text(), nullable=True),
        sa.Column('fanned_out', sa.Boolean(), nullable=False),
        sa.Column('created_at', sa.DateTime(timezone=True), nullable=False),
        sa.PrimaryKeyConstraint('id', name=op.f('pk_outbox_events')),
        sa.UniqueConstraint('event_id', name=op.f('uq_outbox_events_event_id')),
        sqlite_autoincrement=True,
    )
    op.create_index(op.f('ix_outbox_events_customer_id'), 'outbox_events', ['customer_id'])
    op.create_index('ix_outbox_events_fanned_out', 'outbox_events', ['fanned_out', 'id'])
    op.create_table(
        'hook_deliveries',
        sa.Column('id', sa.Integer(), nullable=False),
        sa.Column('event_id', sa.Integer(), nullable=False),
        sa.Column('endpoint_id', sa.Integer(), nullable=False),
        sa.Column('customer_key', sa.Integer(), nullable=False),
        sa.Column('status', sa.String(length=10), nullable=False),
        sa.Column('attempts', sa.Integer(), nullable=False),
        sa.Column('next_at', sa.DateTime(timezone=True), nullable=False),
        sa.Column('lease_until', sa.DateTime(timezone=True), nullable=True),
        sa.Column('last_error', sa.Text(), nullable=True),
        sa.Column('sent_at', sa.DateTime(timezone=True), nullable=True),
        sa.Column('created_at', sa.DateTime(timezone=True), nullable=False),
        sa.ForeignKeyConstraint(['endpoint_id'], ['hook_endpoints.id'],
                                name=op.f('fk_hook_deliveries_endpoint_id_hook_endpoints')),
        sa.ForeignKeyConstraint(['event_id'], ['outbox_events.id'],
                                name=op.f('fk_hook_deliveries_event_id_outbox_events')),
        sa.PrimaryKeyConstraint('id', name=op.f('pk_hook_deliveries')),
        sqlite_autoincrement=True,
    )
    op.create_index(op.f('ix_hook_deliveries_event_id'), 'hook_deliveries', ['event_id'])
    op.create_index('ix_hook_deliveries_queue', 'hook_deliveries',
                    ['endpoint_id', 'status', 'id'])
    op.create_index('ix_hook_deliveries_customer', 'hook_deliveries',
                    ['endpoint_id', 'customer_key', 'status'])
    op.create_table(
        'api_tokens',
        sa.Column('id', sa.Integer(), nullable=False),
        sa.Column('token_hash', sa.String(length=64), nullable=False),
        sa.Column('name', sa.String(length=100), nullable=False),
        sa.Column('user_id', sa.Integer(), nullable=False),
        sa.Column('created_by', sa.String(length=64), nullable=False),
        sa.Column('created_at', sa.DateTime(timezone=True), nullable=False),
        sa.Column('expires_at', sa.DateTime(timezone=True), nullable=False),
        sa.Column('revoked_at', sa.DateTime(timezone=True), nullable=True),
        sa.ForeignKeyConstraint(['user_id'], ['users.id'],
                                name=op.f('fk_api_tokens_user_id_users')),
        sa.PrimaryKeyConstraint('id', name=op.f('pk_api_tokens')),
        sa.UniqueConstraint('token_hash', name=op.f('uq_api_tokens_token_hash')),
        sqlite_autoincrement=True,
    )


def downgrade() -> None:
    op.drop_table('api_tokens')
    op.drop_table('hook_deliveries')
    op.drop_table('outbox_events')
    op.drop_table('hook_endpoints')
