"""audit lookups: the audit entries about a row are found by their subject
(``attempt:5``) for every evidence bundle and, number by number, for ``audit verify``'s
comparison of every record with the trail; without an index each lookup read the whole
log. And do-not-call entries by number alone: ``audit verify`` walks the numbers of
every firm in order, through each table's index on the number.

Revision ID: 0016_audit_lookups
Revises: 0015_attempt_request
Create Date: 2026-12-07 23:45:00
"""

from __future__ import annotations

from alembic import op

revision = "0016_audit_lookups"
down_revision = "0015_attempt_request"
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.create_index("ix_audit_log_subject", "audit_log", ["subject"])
    op.create_index("ix_dnc_entries_number", "dnc_entries", ["number_bidx"])


def downgrade() -> None:
    op.drop_index("ix_dnc_entries_number", table_name="dnc_entries")
    op.drop_index("ix_audit_log_subject", table_name="audit_log")
