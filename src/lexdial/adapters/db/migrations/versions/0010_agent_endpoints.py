"""agent endpoints: where a live-agent call reaches an agent (a SIP address, the browser
softphone of the agent desk, or a Twilio Client identity)

Revision ID: 0010_agent_endpoints
Revises: 0009_pending_uploads
Create Date: 2026-12-07 06:40:00
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

revision = "0010_agent_endpoints"
down_revision = "0009_pending_uploads"
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.create_table(
        "agent_endpoints",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("user_id", sa.Integer(), nullable=False),
        sa.Column("kind", sa.String(length=20), nullable=False),
        sa.Column("address", sa.String(length=200), nullable=True),
        sa.Column("created_at", sa.DateTime(timezone=True), nullable=False),
        sa.ForeignKeyConstraint(
            ["user_id"], ["users.id"], name=op.f("fk_agent_endpoints_user_id_users")
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_agent_endpoints")),
    )
    with op.batch_alter_table("agent_endpoints", schema=None) as batch_op:
        batch_op.create_index(batch_op.f("ix_agent_endpoints_user_id"), ["user_id"], unique=False)


def downgrade() -> None:
    with op.batch_alter_table("agent_endpoints", schema=None) as batch_op:
        batch_op.drop_index(batch_op.f("ix_agent_endpoints_user_id"))
    op.drop_table("agent_endpoints")
