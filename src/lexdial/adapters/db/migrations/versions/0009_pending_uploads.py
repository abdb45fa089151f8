"""pending uploads: import files kept (encrypted) between the preview and the import, so any
API process can finish an import another one previewed

Revision ID: 0009_pending_uploads
Revises: 0007_law_facts
Create Date: 2026-12-07 06:10:00
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

revision = "0009_pending_uploads"
down_revision = "0008_campaign_pause_reason"
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.create_table(
        "pending_uploads",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("key_hash", sa.String(length=64), nullable=False),
        sa.Column("firm_id", sa.Integer(), nullable=False),
        sa.Column("user_label", sa.String(length=100), nullable=False),
        sa.Column("name_enc", sa.Text(), nullable=False),
        sa.Column("file_enc", sa.Text(), nullable=False),
        sa.Column("created_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("expires_at", sa.DateTime(timezone=True), nullable=False),
        sa.ForeignKeyConstraint(
            ["firm_id"], ["firms.id"], name=op.f("fk_pending_uploads_firm_id_firms")
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_pending_uploads")),
        sa.UniqueConstraint("key_hash", name=op.f("uq_pending_uploads_key_hash")),
    )
    with op.batch_alter_table("pending_uploads", schema=None) as batch_op:
        batch_op.create_index("ix_pending_uploads_expires_at", ["expires_at"], unique=False)


def downgrade() -> None:
    with op.batch_alter_table("pending_uploads", schema=None) as batch_op:
        batch_op.drop_index("ix_pending_uploads_expires_at")
    op.drop_table("pending_uploads")
