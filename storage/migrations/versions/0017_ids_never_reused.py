"""ids never reused on SQLite: every table with an integer id becomes AUTOINCREMENT

Without it SQLite gives the id of the last deleted row (a merged or erased customer) to the
next insert, and that customer's audit trail and personal-data export then show the old
one's history. Each table is rebuilt with AUTOINCREMENT; its sequence starts above every id
it ever had that is still named somewhere (the audit trail, the merge log), not only above
the rows left. PostgreSQL's sequences never go back: nothing to do there.

Revision ID: 0017
Revises: 0016
Create Date: 2026-12-06
"""
from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

revision: str = '0017'
down_revision: str | None = '0016'
branch_labels: Sequence[str] | None = None
depends_on: Sequence[str] | None = None

# every table with an integer id that something names (not answers, the audit log and import
# changes: storage.models.IDS_NAMED_NOWHERE)
TABLES = ("users", "customers", "contacts", "interviews", "invites", "consents", "reminders",
          "import_runs", "notes", "customer_merges", "access_reasons", "web_links",
          "feishu_accounts", "feishu_events", "feishu_messages")
# ids that outlive their rows: the audit trail names them, the merge log keeps merged ones
NAMED_IN_AUDIT = {"users": "user", "customers": "customer", "contacts": "contact",
                  "interviews": "interview", "invites": "invite"}


def upgrade() -> None:
    bind = op.get_bind()
    if bind.dialect.name != "sqlite":
        return
    for table in TABLES:
        # a rebuilt table loses its triggers (audit_log's append-only ones): put them back
        triggers = bind.execute(sa.text("SELECT sql FROM sqlite_master WHERE type = 'trigger' "
                                        "AND tbl_name = :t"), {"t": table}).scalars().all()
        with op.batch_alter_table(table, recreate="always",
                                  table_kwargs={"sqlite_autoincrement": True}):
            pass
        for sql in triggers:
            op.execute(sql)
    for table in TABLES:
        highest = [f"(SELECT MAX(id) FROM {table})"]
        if table in NAMED_IN_AUDIT:
            highest.append("(SELECT MAX(CAST(entity_id AS INTEGER)) FROM audit_log "
                           f"WHERE entity = '{NAMED_IN_AUDIT[table]}' "
                           "AND entity_id GLOB '[0-9]*')")
        if table == "customers":
            highest.append("(SELECT MAX(from_id) FROM customer_merges)")
        top = bind.execute(sa.text("SELECT MAX(COALESCE(v, 0)) FROM (SELECT "
                                   + " AS v UNION ALL SELECT ".join(highest) + " AS v)"))
        seq = top.scalar() or 0
        bind.execute(sa.text("DELETE FROM sqlite_sequence WHERE name = :t"), {"t": table})
        bind.execute(sa.text("INSERT INTO sqlite_sequence (name, seq) VALUES (:t, :s)"),
                     {"t": table, "s": seq})


def downgrade() -> None:
    pass  # AUTOINCREMENT only stops reuse; a table without it still works
