"""campaign day counts: the 30-day abandonment rate's numerator and denominator kept per
campaign and UTC day as outcomes are recorded (and filled from the outcomes already stored)

Revision ID: 0013_campaign_day_counts
Revises: 0012_dispositions
Create Date: 2026-12-07 08:00:00
"""

from __future__ import annotations

from collections import Counter
from datetime import UTC, datetime

import sqlalchemy as sa
from alembic import op

revision = "0013_campaign_day_counts"
down_revision = "0012_dispositions"
branch_labels = None
depends_on = None


def upgrade() -> None:
    counts = op.create_table(
        "campaign_day_counts",
        sa.Column("campaign_id", sa.Integer(), nullable=False),
        sa.Column("day", sa.Date(), nullable=False),
        sa.Column("live_answered", sa.Integer(), server_default="0", nullable=False),
        sa.Column("abandoned", sa.Integer(), server_default="0", nullable=False),
        sa.ForeignKeyConstraint(
            ["campaign_id"], ["campaigns.id"],
            name=op.f("fk_campaign_day_counts_campaign_id_campaigns"),
        ),
        sa.PrimaryKeyConstraint("campaign_id", "day", name=op.f("pk_campaign_day_counts")),
    )  # fmt: skip
    with op.batch_alter_table("call_outcomes", schema=None) as batch_op:
        batch_op.create_index("ix_call_outcomes_at", ["at"], unique=False)
    # the outcomes already stored, added up in Python: the day of an instant is computed the
    # same way on both databases (SQLite keeps UTC text, PostgreSQL timestamptz)
    outcomes, attempts = sa.table(
        "call_outcomes", sa.column("attempt_id"), sa.column("at"), sa.column("live_answered"),
        sa.column("abandoned"),
    ), sa.table("call_attempts", sa.column("id"), sa.column("campaign_id"))  # fmt: skip
    rows = op.get_bind().execute(
        sa.select(attempts.c.campaign_id, outcomes.c.at, outcomes.c.live_answered,
                  outcomes.c.abandoned)
        .select_from(outcomes.join(attempts, attempts.c.id == outcomes.c.attempt_id))
        .where(attempts.c.campaign_id.is_not(None))
        .where(sa.or_(outcomes.c.live_answered.is_(True), outcomes.c.abandoned.is_(True)))
    )  # fmt: skip
    live: Counter[tuple[int, object]] = Counter()
    abandoned: Counter[tuple[int, object]] = Counter()
    for campaign_id, at, was_live, was_abandoned in rows:
        key = (int(campaign_id), _utc_day(at))
        live[key] += bool(was_live)
        abandoned[key] += bool(was_abandoned)
    if live or abandoned:
        op.bulk_insert(
            counts,
            [
                {"campaign_id": c, "day": d, "live_answered": live[(c, d)],
                 "abandoned": abandoned[(c, d)]}
                for c, d in sorted(set(live) | set(abandoned))
            ],
        )  # fmt: skip


def _utc_day(at: object) -> object:
    """The UTC day of a stored instant (SQLite hands back text or a naive UTC datetime)."""
    if isinstance(at, str):
        at = datetime.fromisoformat(at)
    assert isinstance(at, datetime)
    if at.tzinfo is None:
        at = at.replace(tzinfo=UTC)
    return at.astimezone(UTC).date()


def downgrade() -> None:
    with op.batch_alter_table("call_outcomes", schema=None) as batch_op:
        batch_op.drop_index("ix_call_outcomes_at")
    op.drop_table("campaign_day_counts")
