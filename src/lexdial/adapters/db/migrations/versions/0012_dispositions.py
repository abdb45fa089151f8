"""dispositions: the firm's disposition list, one disposition per call, the desk's line
requests and manual click-to-call marker on the seat, name tokens for the contact directory

Revision ID: 0012_dispositions
Revises: 0011_agent_sessions
Create Date: 2026-12-07 09:00:00
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

revision = "0012_dispositions"
down_revision = "0011_agent_sessions"
branch_labels = None
depends_on = None


def upgrade() -> None:
    with op.batch_alter_table("agent_sessions") as batch:
        batch.add_column(sa.Column("line_request", sa.String(length=200), nullable=True))
        batch.add_column(sa.Column("dial_manual", sa.Boolean(), server_default="0", nullable=False))
    op.create_table(
        "disposition_codes",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("firm_id", sa.Integer(), nullable=False),
        sa.Column("code", sa.String(length=40), nullable=False),
        sa.Column("label", sa.String(length=100), nullable=False),
        sa.Column("is_callback", sa.Boolean(), server_default="0", nullable=False),
        sa.Column("active", sa.Boolean(), server_default="1", nullable=False),
        sa.Column("sort_order", sa.Integer(), server_default="0", nullable=False),
        sa.ForeignKeyConstraint(
            ["firm_id"], ["firms.id"], name=op.f("fk_disposition_codes_firm_id_firms")
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_disposition_codes")),
        sa.UniqueConstraint("firm_id", "code", name="uq_disposition_codes_firm_code"),
    )
    op.create_table(
        "call_dispositions",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("attempt_id", sa.Integer(), nullable=False),
        sa.Column("firm_id", sa.Integer(), nullable=False),
        sa.Column("user_id", sa.Integer(), nullable=False),
        sa.Column("code", sa.String(length=40), nullable=False),
        sa.Column("notes_enc", sa.Text(), nullable=True),
        sa.Column("callback_at", sa.DateTime(timezone=True), nullable=True),
        sa.Column("created_at", sa.DateTime(timezone=True), nullable=False),
        sa.ForeignKeyConstraint(
            ["attempt_id"],
            ["call_attempts.id"],
            name=op.f("fk_call_dispositions_attempt_id_call_attempts"),
        ),
        sa.ForeignKeyConstraint(
            ["firm_id"], ["firms.id"], name=op.f("fk_call_dispositions_firm_id_firms")
        ),
        sa.ForeignKeyConstraint(
            ["user_id"], ["users.id"], name=op.f("fk_call_dispositions_user_id_users")
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_call_dispositions")),
        sa.UniqueConstraint("attempt_id", name=op.f("uq_call_dispositions_attempt_id")),
    )
    with op.batch_alter_table("call_dispositions", schema=None) as batch_op:
        batch_op.create_index(batch_op.f("ix_call_dispositions_firm_id"), ["firm_id"], unique=False)
    op.create_table(
        "contact_name_tokens",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("firm_id", sa.Integer(), nullable=False),
        sa.Column("contact_id", sa.Integer(), nullable=False),
        sa.Column("token_bidx", sa.String(length=64), nullable=False),
        sa.ForeignKeyConstraint(
            ["firm_id"], ["firms.id"], name=op.f("fk_contact_name_tokens_firm_id_firms")
        ),
        sa.ForeignKeyConstraint(
            ["contact_id"],
            ["contacts.id"],
            name=op.f("fk_contact_name_tokens_contact_id_contacts"),
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_contact_name_tokens")),
    )
    with op.batch_alter_table("contact_name_tokens", schema=None) as batch_op:
        batch_op.create_index(
            batch_op.f("ix_contact_name_tokens_contact_id"), ["contact_id"], unique=False
        )
        batch_op.create_index(
            "ix_contact_name_tokens_lookup", ["firm_id", "token_bidx"], unique=False
        )


def downgrade() -> None:
    with op.batch_alter_table("contact_name_tokens", schema=None) as batch_op:
        batch_op.drop_index("ix_contact_name_tokens_lookup")
        batch_op.drop_index(batch_op.f("ix_contact_name_tokens_contact_id"))
    op.drop_table("contact_name_tokens")
    with op.batch_alter_table("call_dispositions", schema=None) as batch_op:
        batch_op.drop_index(batch_op.f("ix_call_dispositions_firm_id"))
    op.drop_table("call_dispositions")
    op.drop_table("disposition_codes")
    with op.batch_alter_table("agent_sessions") as batch:
        batch.drop_column("dial_manual")
        batch.drop_column("line_request")
