"""record checks: the last completed comparison of every record with the audit trail
(``service.record_checks``), one row per firm, and the check running now. The web Audit
page and ``/v1/audit/verify`` show it instead of running one on every request (minutes at
a million numbers); a new one runs when someone asks, one at a time per firm, the claim
kept in the store because several API processes may serve one firm.

Revision ID: 0018_record_checks
Revises: 0017_ids_never_reused
Create Date: 2026-12-08 03:30:00
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

revision = "0018_record_checks"
down_revision = "0017_ids_never_reused"
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.create_table(
        "record_checks",
        sa.Column("firm_id", sa.Integer(), nullable=False),
        sa.Column("running_by", sa.String(length=100), nullable=True),
        sa.Column("running_token", sa.String(length=32), nullable=True),
        sa.Column("running_since", sa.DateTime(timezone=True), nullable=True),
        sa.Column("running_until", sa.DateTime(timezone=True), nullable=True),
        sa.Column("last_by", sa.String(length=100), nullable=True),
        sa.Column("last_started_at", sa.DateTime(timezone=True), nullable=True),
        sa.Column("last_finished_at", sa.DateTime(timezone=True), nullable=True),
        sa.Column("last_head_seq", sa.Integer(), nullable=True),
        sa.Column("last_numbers", sa.Integer(), nullable=True),
        sa.Column("last_problems", sa.JSON(), nullable=True),
        sa.Column("last_other_problems", sa.Integer(), nullable=True),
        sa.ForeignKeyConstraint(
            ["firm_id"], ["firms.id"], name=op.f("fk_record_checks_firm_id_firms")
        ),
        sa.PrimaryKeyConstraint("firm_id", name=op.f("pk_record_checks")),
    )


def downgrade() -> None:
    op.drop_table("record_checks")
