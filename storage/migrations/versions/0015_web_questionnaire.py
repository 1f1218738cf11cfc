"""web questionnaire: an invite bound to the first browser that opens it; consents given
on the web (no Telegram id)

Revision ID: 0015
Revises: 0014
Create Date: 2026-12-01
"""
from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

revision: str = '0015'
down_revision: str | None = '0014'
branch_labels: Sequence[str] | None = None
depends_on: Sequence[str] | None = None


def upgrade() -> None:
    with op.batch_alter_table('invites') as batch:
        batch.add_column(sa.Column('browser_hash', sa.String(length=64), nullable=True))
    with op.batch_alter_table('consents') as batch:
        batch.alter_column('telegram_id', existing_type=sa.BigInteger(), nullable=True)


def downgrade() -> None:
    with op.batch_alter_table('consents') as batch:
        batch.alter_column('telegram_id', existing_type=sa.BigInteger(), nullable=False)
    with op.batch_alter_table('invites') as batch:
        batch.drop_column('browser_hash')
