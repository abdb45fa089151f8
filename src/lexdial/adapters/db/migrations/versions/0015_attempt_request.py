"""attempt request: each attempt keeps the decision request it was judged on, encrypted
(personal data: the number, the address, the consents), so a stored decision can be read
and decided again, its digest checked against ``decision.input_digest``. NULL for
attempts recorded before this revision and for erased people.

Revision ID: 0015_attempt_request
Revises: 0014_relay_routes
Create Date: 2026-12-07 20:30:00
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

revision = "0015_attempt_request"
down_revision = "0014_relay_routes"
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.add_column("call_attempts", sa.Column("request_enc", sa.Text(), nullable=True))


def downgrade() -> None:
    with op.batch_alter_table("call_attempts") as batch:
        batch.drop_column("request_enc")
