"""answers.source: typed, or kept (the value the card already held, confirmed)

Revision ID: 0012
Revises: 0011
Create Date: 2026-12-01
"""
from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

revision: str = '0012'
down_revision: str | None = '0011'
branch_labels: Sequence[str] | None = None
depends_on: Sequence[str] | None = None


def upgrade() -> None:
    op.add_column('answers', sa.Column('source', sa.String(length=8), nullable=True))


def downgrade() -> None:
    with op.batch_alter_table('answers') as batch:
        batch.drop_column('source')
