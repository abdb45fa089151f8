"""agent sessions: each agent's seat on the agent desk (state, the call on screen, the
preview offered, the leg the dialler keeps open)

Revision ID: 0011_agent_sessions
Revises: 0010_agent_endpoints
Create Date: 2026-12-07 08:00:00
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

revision = "0011_agent_sessions"
down_revision = "0010_agent_endpoints"
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.create_table(
        "agent_sessions",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("firm_id", sa.Integer(), nullable=False),
        sa.Column("user_id", sa.Integer(), nullable=False),
        sa.Column("campaign_id", sa.Integer(), nullable=True),
        sa.Column("state", sa.String(length=20), nullable=False),
        sa.Column("reason", sa.String(length=100), nullable=True),
        sa.Column("since", sa.DateTime(timezone=True), nullable=False),
        sa.Column("attempt_id", sa.Integer(), nullable=True),
        sa.Column("preview_contact_id", sa.Integer(), nullable=True),
        sa.Column("dial_contact_id", sa.Integer(), nullable=True),
        sa.Column("leg_up", sa.Boolean(), server_default="0", nullable=False),
        sa.Column("endpoint_id", sa.Integer(), nullable=True),
        sa.Column("version", sa.Integer(), server_default="0", nullable=False),
        sa.ForeignKeyConstraint(
            ["firm_id"], ["firms.id"], name=op.f("fk_agent_sessions_firm_id_firms")
        ),
        sa.ForeignKeyConstraint(
            ["user_id"], ["users.id"], name=op.f("fk_agent_sessions_user_id_users")
        ),
        sa.ForeignKeyConstraint(
            ["campaign_id"], ["campaigns.id"], name=op.f("fk_agent_sessions_campaign_id_campaigns")
        ),
        sa.ForeignKeyConstraint(
            ["attempt_id"],
            ["call_attempts.id"],
            name=op.f("fk_agent_sessions_attempt_id_call_attempts"),
        ),
        sa.ForeignKeyConstraint(
            ["preview_contact_id"],
            ["contacts.id"],
            name=op.f("fk_agent_sessions_preview_contact_id_contacts"),
        ),
        sa.ForeignKeyConstraint(
            ["dial_contact_id"],
            ["contacts.id"],
            name=op.f("fk_agent_sessions_dial_contact_id_contacts"),
        ),
        sa.ForeignKeyConstraint(
            ["endpoint_id"],
            ["agent_endpoints.id"],
            name=op.f("fk_agent_sessions_endpoint_id_agent_endpoints"),
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_agent_sessions")),
        sa.UniqueConstraint("user_id", name=op.f("uq_agent_sessions_user_id")),
    )
    with op.batch_alter_table("agent_sessions", schema=None) as batch_op:
        batch_op.create_index(
            "ix_agent_sessions_campaign", ["firm_id", "campaign_id"], unique=False
        )


def downgrade() -> None:
    with op.batch_alter_table("agent_sessions", schema=None) as batch_op:
        batch_op.drop_index("ix_agent_sessions_campaign")
    op.drop_table("agent_sessions")
