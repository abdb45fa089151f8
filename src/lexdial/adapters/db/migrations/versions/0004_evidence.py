"""evidence: encrypted consent free text, do-not-call tombstones

Revision ID: 0004_evidence
Revises: 0003

The consent's disclosure text and user agent move to encrypted columns; the plaintext
columns stay (nullable, emptied by ``service.consent.encrypt_plain_evidence`` on the next
open, which holds the key the migration does not). A purged do-not-call entry leaves a
keyed-hash tombstone so the number stays suppressed.
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

revision = "0004_evidence"
down_revision = "0003"
branch_labels = None
depends_on = None


def upgrade() -> None:
    with op.batch_alter_table("consents", schema=None) as batch_op:
        batch_op.add_column(sa.Column("disclosure_text_enc", sa.Text(), nullable=True))
        batch_op.add_column(sa.Column("user_agent_enc", sa.Text(), nullable=True))
        batch_op.alter_column("disclosure_text", existing_type=sa.Text(), nullable=True)
    op.create_table(
        "dnc_tombstones",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("firm_id", sa.Integer(), nullable=False),
        sa.Column("number_bidx", sa.String(length=64), nullable=False),
        sa.Column("first_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("purged_at", sa.DateTime(timezone=True), nullable=False),
        sa.ForeignKeyConstraint(
            ["firm_id"], ["firms.id"], name=op.f("fk_dnc_tombstones_firm_id_firms")
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_dnc_tombstones")),
        sa.UniqueConstraint("firm_id", "number_bidx", name="uq_dnc_tombstones_firm_number"),
    )


def downgrade() -> None:
    op.drop_table("dnc_tombstones")
    with op.batch_alter_table("consents", schema=None) as batch_op:
        batch_op.alter_column("disclosure_text", existing_type=sa.Text(), nullable=False)
        batch_op.drop_column("user_agent_enc")
        batch_op.drop_column("disclosure_text_enc")
