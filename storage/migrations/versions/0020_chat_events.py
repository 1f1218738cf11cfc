"""chat events: the events of every chat channel other than Telegram (Feishu's today) in one
table, by channel and the channel's event id; Feishu's carried over with their ids, so the
inbox update ids made from them stay unique

Revision ID: 0020
Revises: 0019
Create Date: 2026-12-06
"""
from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

revision: str = '0020'
down_revision: str | None = '0019'
branch_labels: Sequence[str] | None = None
depends_on: Sequence[str] | None = None


def _last_id(bind: sa.Connection) -> int:
    """The highest id feishu_events ever gave (an id must never come again: the inbox's
    update ids are made from it)."""
    top = bind.execute(sa.text("SELECT COALESCE(MAX(id), 0) FROM feishu_events")).scalar() or 0
    if bind.dialect.name == "sqlite":
        seq = bind.execute(sa.text(
            "SELECT seq FROM sqlite_sequence WHERE name = 'feishu_events'")).scalar()
    else:
        seq = bind.execute(sa.text(
            "SELECT CASE WHEN is_called THEN last_value ELSE 0 END FROM "
            "feishu_events_id_seq")).scalar()
    return max(int(top), int(seq or 0))


def upgrade() -> None:
    bind = op.get_bind()
    last = _last_id(bind)
    op.create_table(
        'chat_events',
        sa.Column('id', sa.Integer(), nullable=False),
        sa.Column('channel', sa.String(length=16), nullable=False),
        sa.Column('event_id', sa.String(length=64), nullable=False),
        sa.Column('received_at', sa.DateTime(timezone=True), nullable=False),
        sa.PrimaryKeyConstraint('id', name=op.f('pk_chat_events')),
        sa.UniqueConstraint('channel', 'event_id', name=op.f('uq_chat_events_channel')),
        sqlite_autoincrement=True,
    )
    bind.execute(sa.text("INSERT INTO chat_events (id, channel, event_id, received_at) "
                         "SELECT id, 'feishu', event_id, received_at FROM feishu_events"))
    if last:
        if bind.dialect.name == "sqlite":
            bind.execute(sa.text("DELETE FROM sqlite_sequence WHERE name = 'chat_events'"))
            bind.execute(sa.text("INSERT INTO sqlite_sequence (name, seq) "
                                 "VALUES ('chat_events', :s)"), {"s": last})
        else:
            bind.execute(sa.text("SELECT setval(pg_get_serial_sequence('chat_events', 'id'), "
                                 ":s)"), {"s": last})
    op.drop_table('feishu_events')


def downgrade() -> None:
    raise NotImplementedError("events of several channels cannot be folded back into Feishu's")
