"""deal warnings and meetings: each warning on a customer from when it began until it ended
(the reports say how long customers stayed at risk), and the meetings whose brief goes to
the owner before them

Revision ID: 0022
Revises: 0021
Create Date: 2026-12-06
"""
from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

revision: str = '0022'
down_revision: str | None = '0021'
branch_labels: Sequence[str] | None = None
depends_on: Sequence[str] | None = None


def upgrade() -> None:
    op.create_table(
        'deal_warnings',
        sa.Column('id', sa.Integer(), nullable=False),
        sa.Column('customer_id', sa.Integer(), nullable=False),
        sa.Column('kind', sa.String(length=32), nullable=False),
        sa.Column('days', sa.Integer(), nullable=False),
        sa.Column('count', sa.Integer(), nullable=False),
        sa.Column('began_at', sa.DateTime(timezone=True), nullable=False),
        sa.Column('seen_at', sa.DateTime(timezone=True), nullable=False),
        sa.Column('ended_at', sa.DateTime(timezone=True), nullable=True),
        sa.ForeignKeyConstraint(['customer_id'], ['customers.id'],
                                name=op.f('fk_deal_warnings_customer_id_customers')),
        sa.PrimaryKeyConstraint('id', name=op.f('pk_deal_warnings')),
        sqlite_autoincrement=True,
    )
    op.create_index(op.f('ix_deal_warnings_customer_id'), 'deal_warnings', ['customer_id'])
    op.create_index('ix_deal_warnings_open_kind', 'deal_warnings', ['ended_at', 'kind'])
    op.create_index('uq_deal_warnings_open', 'deal_warnings', ['customer_id', 'kind'],
                    unique=True, sqlite_where=sa.text('ended_at IS NULL'),
                    postgresql_where=sa.text('ended_at IS NULL'))
    op.create_table(
        'meetings',
        sa.Column('id', sa.Integer(), nullable=False),
        sa.Column('customer_id', sa.Integer(), nullable=False),
        sa.Column('owner_id', sa.Integer(), nullable=True),
        sa.Column('starts_at', sa.DateTime(timezone=True), nullable=False),
        sa.Column('all_day', sa.Boolean(), nullable=False),
        sa.Column('status', sa.String(length=12), nullable=False),
        sa.Column('source', sa.String(length=12), nullable=False),
        sa.Column('created_by', sa.String(length=64), nullable=False),
        sa.Column('created_at', sa.DateTime(timezone=True), nullable=False),
        sa.Column('updated_at', sa.DateTime(timezone=True), nullable=False),
        sa.ForeignKeyConstraint(['customer_id'], ['customers.id'],
                                name=op.f('fk_meetings_customer_id_customers')),
        sa.ForeignKeyConstraint(['owner_id'], ['users.id'],
                                name=op.f('fk_meetings_owner_id_users')),
        sa.PrimaryKeyConstraint('id', name=op.f('pk_meetings')),
        sqlite_autoincrement=True,
    )
    op.create_index(op.f('ix_meetings_customer_id'), 'meetings', ['customer_id'])
    op.create_index(op.f('ix_meetings_owner_id'), 'meetings', ['owner_id'])


def downgrade() -> None:
    op.drop_table('meetings')
    op.drop_table('deal_warnings')
