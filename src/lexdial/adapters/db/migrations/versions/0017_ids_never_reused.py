"""ids never reused: on SQLite, the tables whose ids are named outside their row (audit
entries, evidence bundles, reports, webhooks) become ``AUTOINCREMENT``. Without it SQLite
gives a new row max(id)+1, so once the newest rows were deleted (a retention purge, an
erasure, a rolled-back import) a new row could take an id an older audit entry or
evidence bundle already names for another row. PostgreSQL's sequences never go back:
nothing to do there.

SQLite cannot add AUTOINCREMENT to a table, so each table is rebuilt (every row, index,
foreign key and constraint kept: Alembic's batch mode, recreate always); the database
must run this with foreign keys off, as SQLite's own procedure for rebuilding a table
says (``database.migrate`` does, and checks every foreign key before it commits).
Each table's counter (``sqlite_sequence``) starts at the larger of its largest id and
the largest id the audit trail names for it (``attempt:N``...): a store already purged
goes on above every id its trail names, not from whatever row is newest today.

Revision ID: 0017_ids_never_reused
Revises: 0016_audit_lookups
Create Date: 2026-12-08 03:00:00
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

revision = "0017_ids_never_reused"
down_revision = "0016_audit_lookups"
branch_labels = None
depends_on = None

#: the tables (``tables.IDS_NEVER_REUSED`` at this revision), each with the prefix of the
#: audit subjects that name its rows (None: none does; its ids appear in entries' data)
TABLES: dict[str, str | None] = {
    "firms": "firm",
    "users": "user",
    "api_tokens": "token",
    "review_items": "review",
    "outbox": None,
    "agent_endpoints": None,
    "agent_sessions": None,
    "training_attestations": None,
    "contacts": "contact",
    "consents": "consent",
    "revocations": None,
    "dnc_entries": "dnc",
    "dnc_tombstones": None,
    "registry_snapshots": "registry",
    "reassigned_checks": None,
    "debt_facts": "debt",
    "erasure_tombstones": None,
    "campaigns": "campaign",
    "call_attempts": "attempt",
    "call_outcomes": None,
    "disposition_codes": None,
    "call_dispositions": None,
}


def upgrade() -> None:
    bind = op.get_bind()
    if bind.dialect.name != "sqlite":
        return
    for table in TABLES:
        with op.batch_alter_table(
            table, recreate="always", table_kwargs={"sqlite_autoincrement": True}
        ):
            pass
    for table, prefix in TABLES.items():
        _seed(bind, table, prefix)


def _seed(bind: sa.Connection, table: str, prefix: str | None) -> None:
    """Start ``table``'s counter above every id it holds or the audit trail names."""
    top = int(bind.exec_driver_sql(f"SELECT COALESCE(MAX(id), 0) FROM {table}").scalar_one())
    if prefix is not None:
        # the subjects of one prefix sit together in the subject index; ';' follows ':'
        named = bind.execute(
            sa.text(
                "SELECT COALESCE(MAX(CAST(substr(subject, :start) AS INTEGER)), 0)"
                " FROM audit_log WHERE subject >= :low AND subject < :high"
            ),
            {"start": len(prefix) + 2, "low": f"{prefix}:", "high": f"{prefix};"},
        ).scalar_one()
        top = max(top, int(named))
    bind.execute(sa.text("DELETE FROM sqlite_sequence WHERE name = :t"), {"t": table})
    if top:
        bind.execute(
            sa.text("INSERT INTO sqlite_sequence (name, seq) VALUES (:t, :seq)"),
            {"t": table, "seq": top},
        )


def downgrade() -> None:
    bind = op.get_bind()
    if bind.dialect.name != "sqlite":
        return
    for table in TABLES:
        with op.batch_alter_table(
            table, recreate="always", table_kwargs={"sqlite_autoincrement": False}
        ):
            pass
