"""chat keyboards: the numbered choices last offered to someone on a channel without
buttons (DingTalk), so that a reply with a number presses that choice

Revision ID: 0021
Revises: 0020
Create Date: 2026-12-06
"""
from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

revision: str = '0021'
down_revision: str | None = '0020'
branch_labels: Sequence[str] | None = None
depends_on: Sequence[str] | None = None


def upgrade() -> None:
    op.create_table(
        'chat_keyboards',
        sa.Column('address', sa.BigInteger(), autoincrement=False, nullable=False),
        sa.Column('buttons', sa.Text(), nullable=False),
        sa.Column('sent_at', sa.DateTime(timezone=True), nullable=False),
        sa.PrimaryKeyConstraint('address', name=op.f('pk_chat_keyboards')),
    )


def downgrade() -> None:
    op.drop_table('chat_keyboards')
