"""customers (owner_id, revisit_due_on): a team's overdue revisits through one index

Revision ID: 0007
Revises: 0006
Create Date: 2026-11-23
"""
from collections.abc import Sequence

from alembic import op

revision: str = '0007'
down_revision: str | None = '0006'
branch_labels: Sequence[str] | None = None
depends_on: Sequence[str] | None = None


def upgrade() -> None:
    op.create_index('ix_customers_owner_revisit', 'customers', ['owner_id', 'revisit_due_on'])


def downgrade() -> None:
    op.drop_index('ix_customers_owner_revisit', table_name='customers')
