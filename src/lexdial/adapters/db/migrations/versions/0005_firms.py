"""firms: a consent and a reassigned-number check belong to a firm

Revision ID: 0005_firms
Revises: 0004_evidence
Create Date: 2026-12-07 02:10:00

Why: consents were found by the number's blind index alone, so a second firm in the same
store read, matched (duplicate check), relied on (gate) and revoked (opt-out) the first
firm's consents. Each consent now carries its firm, copied from its contact, and the
"same evidence twice" fingerprint is unique within a firm, not across the store. A
Reassigned Numbers Database answer gives its safe harbor (47 CFR 64.1200(m)) to the firm
that asked, so it too carries its firm; answers on file are the store's first firm's (a
store held one firm before this revision: a renamed firm was the only way to get two).
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

revision = "0005_firms"
down_revision = "0004_evidence"
branch_labels = None
depends_on = None


def upgrade() -> None:
    with op.batch_alter_table("consents", schema=None) as batch_op:
        batch_op.add_column(sa.Column("firm_id", sa.Integer(), nullable=True))
    op.execute(
        "UPDATE consents SET firm_id = "
        "(SELECT contacts.firm_id FROM contacts WHERE contacts.id = consents.contact_id)"
    )
    with op.batch_alter_table("consents", schema=None) as batch_op:
        batch_op.alter_column("firm_id", existing_type=sa.Integer(), nullable=False)
        batch_op.create_foreign_key(
            batch_op.f("fk_consents_firm_id_firms"), "firms", ["firm_id"], ["id"]
        )
        batch_op.drop_constraint("uq_consents_evidence_sha256", type_="unique")
        batch_op.create_unique_constraint(
            "uq_consents_firm_evidence", ["firm_id", "evidence_sha256"]
        )
        batch_op.create_index("ix_consents_firm_number", ["firm_id", "number_bidx"], unique=False)
    with op.batch_alter_table("reassigned_checks", schema=None) as batch_op:
        batch_op.add_column(sa.Column("firm_id", sa.Integer(), nullable=True))
    op.execute("UPDATE reassigned_checks SET firm_id = (SELECT MIN(firms.id) FROM firms)")
    with op.batch_alter_table("reassigned_checks", schema=None) as batch_op:
        batch_op.alter_column("firm_id", existing_type=sa.Integer(), nullable=False)
        batch_op.create_foreign_key(
            batch_op.f("fk_reassigned_checks_firm_id_firms"), "firms", ["firm_id"], ["id"]
        )


def downgrade() -> None:
    with op.batch_alter_table("reassigned_checks", schema=None) as batch_op:
        batch_op.drop_constraint(
            batch_op.f("fk_reassigned_checks_firm_id_firms"), type_="foreignkey"
        )
        batch_op.drop_column("firm_id")
    with op.batch_alter_table("consents", schema=None) as batch_op:
        batch_op.drop_index("ix_consents_firm_number")
        batch_op.drop_constraint("uq_consents_firm_evidence", type_="unique")
        batch_op.create_unique_constraint("uq_consents_evidence_sha256", ["evidence_sha256"])
        batch_op.drop_constraint(batch_op.f("fk_consents_firm_id_firms"), type_="foreignkey")
        batch_op.drop_column("firm_id")
