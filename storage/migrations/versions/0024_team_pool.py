"""the team pool: when a customer's owner last worked on it, when it went back to the pool
and from whom, and whether it is exempt (key accounts); existing customers count as worked
on at their last contact (or their creation)

Revision ID: 0024
Revises: 0023
Create Date: 2026-12-07
"""
from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

revision: str = '0024'
down_revision: str | None = '0023'
branch_labels: Sequence[str] | None = None
depends_on: Sequence[str] | None = None


def upgrade() -> None:
    # plain ADD COLUMN, not a batch: SQLite would copy the table and lose its AUTOINCREMENT
    # (0017: a merged or erased customer's id is never given out again)
    op.add_column('customers', sa.Column('worked_at', sa.DateTime(timezone=True),
                                         nullable=True))
    op.add_column('customers', sa.Column('released_at', sa.DateTime(timezone=True),
                                         nullable=True))
    op.add_column('customers', sa.Column('released_from', sa.Integer(), nullable=True))
    op.add_column('customers', sa.Column('pool_exempt', sa.Boolean(), nullable=False,
                                         server_default=sa.false()))
    op.create_index(op.f('ix_customers_worked_at'), 'customers', ['worked_at'])
    op.create_index(op.f('ix_customers_released_at'), 'customers', ['released_at'])
    op.execute("UPDATE customers SET worked_at = COALESCE(last_contact_at, created_at)")


def downgrade() -> None:
    op.drop_index(op.f('ix_customers_released_at'), 'customers')
    op.drop_index(op.f('ix_customers_worked_at'), 'customers')
    with op.batch_alter_table('customers') as batch:
        batch.drop_column('pool_exempt')
        batch.drop_column('released_from')
        batch.drop_column('released_at')
        batch.drop_column('worked_at')
