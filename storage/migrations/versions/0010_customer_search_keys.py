"""one company-identity rule, search by pinyin, contacts findable by name

customers.name_key is recomputed with the one identity rule (width, case, spacing and
punctuation folded, legal form dropped), customers get a search key (the identity key,
its pinyin and pinyin initials), and contacts a blind index of their name. Contacts
written before get their name index from `interview-bot keys rotate` (it needs the key).

Revision ID: 0010
Revises: 0009
Create Date: 2026-12-01
"""
from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

from storage.customers import name_key, search_key

revision: str = '0010'
down_revision: str | None = '0009'
branch_labels: Sequence[str] | None = None
depends_on: Sequence[str] | None = None


def upgrade() -> None:
    op.add_column('customers', sa.Column('search_key', sa.Text(), nullable=True))
    op.add_column('contacts', sa.Column('name_index', sa.String(length=64), nullable=True))
    op.create_index(op.f('ix_contacts_name_index'), 'contacts', ['name_index'])
    customers = sa.table('customers', sa.column('id', sa.Integer), sa.column('name', sa.String),
                         sa.column('name_key', sa.String), sa.column('search_key', sa.Text))
    bind = op.get_bind()
    rows = bind.execute(sa.select(customers.c.id, customers.c.name)).all()
    for start in range(0, len(rows), 1000):
        batch = [{"cid": cid, "key": name_key(name), "search": search_key(name)}
                 for cid, name in rows[start:start + 1000] if not name.startswith("erased #")]
        if batch:
            bind.execute(customers.update().where(customers.c.id == sa.bindparam("cid"))
                         .values(name_key=sa.bindparam("key"),
                                 search_key=sa.bindparam("search")), batch)


def downgrade() -> None:
    op.drop_index(op.f('ix_contacts_name_index'), table_name='contacts')
    op.drop_column('contacts', 'name_index')
    op.drop_column('customers', 'search_key')
