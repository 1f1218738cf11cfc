"""a command waiting for a button is encrypted: what was typed after the customer's name
(`/edit 华东精密 phone 139…`) can be personal data

Revision ID: 0018
Revises: 0017
Create Date: 2026-12-06
"""
from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

revision: str = '0018'
down_revision: str | None = '0017'
branch_labels: Sequence[str] | None = None
depends_on: Sequence[str] | None = None


def upgrade() -> None:
    # values kept as plain JSON text until `interview-bot keys rotate` encrypts them
    with op.batch_alter_table('telegram_accounts') as batch:
        batch.alter_column('pending', type_=sa.Text(), existing_nullable=True,
                           postgresql_using='pending::text')


def downgrade() -> None:
    raise NotImplementedError("encrypted columns cannot be turned back into typed ones")
