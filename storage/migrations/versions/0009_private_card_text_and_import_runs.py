"""free text on the card encrypted; employees 64-bit; import runs that can be undone

Card fields a person types freely (needs, budget, timeline, decision process,
competitors, next step, address) and contacts' name, title and department can hold
personal data: they become text holding Fernet tokens. Values written before keep
working as plain text until `interview-bot keys rotate` encrypts them. `employees`
becomes 64-bit. customers and contacts get an insert sentinel (many rows, one INSERT),
and imports keep a journal (import_runs, import_changes) so an interrupted one is undone.

Revision ID: 0009
Revises: 0008
Create Date: 2026-12-01
"""
from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

revision: str = '0009'
down_revision: str | None = '0008'
branch_labels: Sequence[str] | None = None
depends_on: Sequence[str] | None = None

TEXT_COLUMNS = {
    "customers": ["address", "need_type", "budget", "timeline", "next_step"],
    "contacts": ["name", "title", "department"],
}


def upgrade() -> None:
    # SQLite rebuilds these tables; storage/migrate.py runs it with foreign keys off and
    # checks every reference before the commit
    for table, columns in TEXT_COLUMNS.items():
        with op.batch_alter_table(table) as batch:
            for column in columns:
                batch.alter_column(column, type_=sa.Text(), existing_nullable=True,
                                   postgresql_using=f"{column}::text")
            if table == "customers":
                batch.alter_column("employees", type_=sa.BigInteger(), existing_nullable=True)
            batch.add_column(sa.Column('_sentinel', sa.Integer(), nullable=True))
    op.create_table(
        'import_runs',
        sa.Column('id', sa.Integer(), nullable=False),
        sa.Column('source', sa.String(length=300), nullable=False),
        sa.Column('actor', sa.String(length=64), nullable=False),
        sa.Column('status', sa.String(length=16), nullable=False),
        sa.Column('rows', sa.Integer(), nullable=False),
        sa.Column('started_at', sa.DateTime(timezone=True), nullable=False),
        sa.Column('beat_at', sa.DateTime(timezone=True), nullable=False),
        sa.Column('finished_at', sa.DateTime(timezone=True), nullable=True),
        sa.PrimaryKeyConstraint('id', name=op.f('pk_import_runs')),
    )
    op.create_table(
        'import_changes',
        sa.Column('id', sa.Integer(), nullable=False),
        sa.Column('run_id', sa.Integer(), nullable=False),
        sa.Column('entity', sa.String(length=16), nullable=False),
        sa.Column('entity_id', sa.BigInteger(), nullable=False),
        sa.Column('created', sa.Boolean(), nullable=False),
        sa.Column('columns', sa.JSON().with_variant(
            sa.dialects.postgresql.JSONB(), 'postgresql'), nullable=False),
        sa.Column('_sentinel', sa.Integer(), nullable=True),
        sa.ForeignKeyConstraint(['run_id'], ['import_runs.id'],
                                name=op.f('fk_import_changes_run_id_import_runs')),
        sa.PrimaryKeyConstraint('id', name=op.f('pk_import_changes')),
    )
    op.create_index(op.f('ix_import_changes_run_id'), 'import_changes', ['run_id'])


def downgrade() -> None:
    raise NotImplementedError("encrypted columns cannot be turned back into typed ones")
