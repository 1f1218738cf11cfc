"""seed practices: celebration day and last verification on customers, co-owners,
merges of duplicate records, and the reasons given for exports

Revision ID: 0013
Revises: 0012
Create Date: 2026-12-01
"""
from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

revision: str = '0013'
down_revision: str | None = '0012'
branch_labels: Sequence[str] | None = None
depends_on: Sequence[str] | None = None


def upgrade() -> None:
    with op.batch_alter_table('customers') as batch:
        batch.add_column(sa.Column('celebration_on', sa.Date(), nullable=True))
        batch.add_column(sa.Column('last_verified', sa.Date(), nullable=True))
    op.create_table(
        'customer_owners',
        sa.Column('customer_id', sa.Integer(), nullable=False),
        sa.Column('user_id', sa.Integer(), nullable=False),
        sa.Column('added_by', sa.String(length=64), nullable=False),
        sa.Column('added_at', sa.DateTime(timezone=True), nullable=False),
        sa.ForeignKeyConstraint(['customer_id'], ['customers.id'],
                                name=op.f('fk_customer_owners_customer_id_customers')),
        sa.ForeignKeyConstraint(['user_id'], ['users.id'],
                                name=op.f('fk_customer_owners_user_id_users')),
        sa.PrimaryKeyConstraint('customer_id', 'user_id', name=op.f('pk_customer_owners')),
    )
    op.create_index(op.f('ix_customer_owners_user_id'), 'customer_owners', ['user_id'])
    op.create_table(
        'customer_merges',
        sa.Column('id', sa.Integer(), nullable=False),
        sa.Column('from_id', sa.Integer(), nullable=False),
        sa.Column('into_id', sa.Integer(), nullable=False),
        sa.Column('actor', sa.String(length=64), nullable=False),
        sa.Column('moved', sa.JSON().with_variant(sa.dialects.postgresql.JSONB(), 'postgresql'),
                  nullable=False),
        sa.Column('at', sa.DateTime(timezone=True), nullable=False),
        sa.ForeignKeyConstraint(['into_id'], ['customers.id'],
                                name=op.f('fk_customer_merges_into_id_customers')),
        sa.PrimaryKeyConstraint('id', name=op.f('pk_customer_merges')),
    )
    op.create_index(op.f('ix_customer_merges_from_id'), 'customer_merges', ['from_id'])
    op.create_index(op.f('ix_customer_merges_into_id'), 'customer_merges', ['into_id'])
    op.create_table(
        'access_reasons',
        sa.Column('id', sa.Integer(), nullable=False),
        sa.Column('audit_id', sa.Integer(), nullable=False),
        sa.Column('reason', sa.Text(), nullable=False),
        sa.ForeignKeyConstraint(['audit_id'], ['audit_log.id'],
                                name=op.f('fk_access_reasons_audit_id_audit_log')),
        sa.PrimaryKeyConstraint('id', name=op.f('pk_access_reasons')),
        sa.UniqueConstraint('audit_id', name=op.f('uq_access_reasons_audit_id')),
    )


def downgrade() -> None:
    op.drop_table('access_reasons')
    op.drop_index(op.f('ix_customer_merges_into_id'), table_name='customer_merges')
    op.drop_index(op.f('ix_customer_merges_from_id'), table_name='customer_merges')
    op.drop_table('customer_merges')
    op.drop_index(op.f('ix_customer_owners_user_id'), table_name='customer_owners')
    op.drop_table('customer_owners')
    with op.batch_alter_table('customers') as batch:
        batch.drop_column('last_verified')
        batch.drop_column('celebration_on')
