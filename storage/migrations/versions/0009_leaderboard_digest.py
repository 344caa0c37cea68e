"""Leaderboards and the weekly digest

- communities: the digest channel, weekday and time, and whether the digest and the
  leaderboard are on;
- members.display_name: the name shown (never as a mention) on boards and digests;
- study_totals: minutes per member and period (all time, a month, an ISO week of the
  member's own calendar), indexed for ranking; filled from the existing check-ins;
- plan_items(state, updated_at): topics finished in a week.

Revision ID: 0009_leaderboard_digest
Revises: 0008_images
Create Date: 2026-12-02
"""

from __future__ import annotations

from collections import defaultdict

import sqlalchemy as sa
from alembic import op

revision = "0009_leaderboard_digest"
down_revision = "0008_images"
branch_labels = None
depends_on = None


def _periods(d) -> tuple[str, ...]:  # type: ignore[no-untyped-def]
    # Same keys as bot/core/community/study_totals.py (a migration must not import the app).
    iso = d.isocalendar()
    return ("all", f"{d.year:04d}-{d.month:02d}", f"{iso[0]:04d}-W{iso[1]:02d}")


def upgrade() -> None:
    # Plain ADD COLUMNs: a batch rebuild of members on SQLite would cascade-delete their rows.
    op.add_column("communities", sa.Column("digest_channel_id", sa.String(64), nullable=True))
    op.add_column(
        "communities", sa.Column("digest_weekday", sa.Integer(), nullable=False, server_default="6")
    )
    op.add_column(
        "communities", sa.Column("digest_time", sa.String(5), nullable=False, server_default="18:00")
    )
    op.add_column(
        "communities", sa.Column("digest_enabled", sa.Boolean(), nullable=False, server_default=sa.true())
    )
    op.add_column(
        "communities",
        sa.Column("leaderboard_enabled", sa.Boolean(), nullable=False, server_default=sa.true()),
    )
    op.add_column("members", sa.Column("display_name", sa.String(100), nullable=True))
    totals = op.create_table(
        "study_totals",
        sa.Column("member_id", sa.Integer(), nullable=False),
        sa.Column("period", sa.String(10), nullable=False),
        sa.Column("community_id", sa.Integer(), nullable=False),
        sa.Column("opted_in", sa.Boolean(), nullable=False),
        sa.Column("minutes", sa.Integer(), nullable=False),
        sa.ForeignKeyConstraint(
            ["member_id"], ["members.id"], name="fk_study_totals_member_id_members", ondelete="CASCADE"
        ),
        sa.ForeignKeyConstraint(
            ["community_id"],
            ["communities.id"],
            name="fk_study_totals_community_id_communities",
            ondelete="CASCADE",
        ),
        sa.PrimaryKeyConstraint("member_id", "period", name="pk_study_totals"),
    )
    op.create_index(
        "ix_study_totals_board",
        "study_totals",
        ["community_id", "period", "opted_in", sa.text("minutes DESC"), "member_id"],
    )
    op.create_index("ix_plan_items_state_updated", "plan_items", ["state", "updated_at"])

    conn = op.get_bind()
    rows = conn.execute(
        sa.text(
            "SELECT c.member_id, c.local_date, SUM(c.minutes), m.community_id, m.community_opt_in "
            "FROM checkins c JOIN members m ON m.id = c.member_id "
            "WHERE c.kind = 'study' AND c.minutes > 0 GROUP BY c.member_id, c.local_date, "
            "m.community_id, m.community_opt_in"
        )
    )
    sums: dict[tuple[int, str], list] = defaultdict(lambda: [0, 0, False])
    for member_id, local_date, minutes, community_id, opted_in in rows:
        if isinstance(local_date, str):
            from datetime import date

            local_date = date.fromisoformat(local_date)
        for period in _periods(local_date):
            entry = sums[(member_id, period)]
            entry[0] += int(minutes)
            entry[1], entry[2] = community_id, bool(opted_in)
    batch = [
        {"member_id": m, "period": p, "minutes": v[0], "community_id": v[1], "opted_in": v[2]}
        for (m, p), v in sums.items()
    ]
    for i in range(0, len(batch), 5000):
        op.bulk_insert(totals, batch[i : i + 5000])


def downgrade() -> None:
    op.drop_index("ix_plan_items_state_updated", table_name="plan_items")
    op.drop_index("ix_study_totals_board", table_name="study_totals")
    op.drop_table("study_totals")
    op.drop_column("members", "display_name")
    added = ("leaderboard_enabled", "digest_enabled", "digest_time", "digest_weekday", "digest_channel_id")
    for name in added:
        op.drop_column("communities", name)
