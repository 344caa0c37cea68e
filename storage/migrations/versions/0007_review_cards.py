"""Spaced review: per-member FSRS card state, the review log, and two member settings

`review_cards` holds one row per member and card (stability, difficulty, due, state, step,
last review); `(member_id, due)` is indexed so counting a member's due cards is one range
scan. `review_logs` keeps every rating. Members get a desired retention (0.9) and a daily
review limit (5).

Revision ID: 0007_review_cards
Revises: 0006_community_opt_in
Create Date: 2026-12-02
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

revision = "0007_review_cards"
down_revision = "0006_community_opt_in"
branch_labels = None
depends_on = None


def upgrade() -> None:
    # Plain ADD COLUMNs: a batch rebuild of members on SQLite would cascade-delete their rows
    # in other tables.
    op.add_column("members", sa.Column("review_retention", sa.Float(), nullable=False, server_default="0.9"))
    op.add_column(
        "members", sa.Column("review_daily_limit", sa.Integer(), nullable=False, server_default="5")
    )
    op.create_table(
        "review_cards",
        sa.Column("member_id", sa.Integer(), nullable=False),
        sa.Column("card_id", sa.String(length=64), nullable=False),
        sa.Column("topic_id", sa.String(length=64), nullable=False),
        sa.Column("state", sa.Integer(), nullable=False),
        sa.Column("step", sa.Integer(), nullable=True),
        sa.Column("stability", sa.Float(), nullable=True),
        sa.Column("difficulty", sa.Float(), nullable=True),
        sa.Column("due", sa.DateTime(), nullable=False),
        sa.Column("last_review", sa.DateTime(), nullable=True),
        sa.Column("reps", sa.Integer(), nullable=False),
        sa.Column("lapses", sa.Integer(), nullable=False),
        sa.Column("created_at", sa.DateTime(), nullable=False),
        sa.ForeignKeyConstraint(
            ["member_id"], ["members.id"], name=op.f("fk_review_cards_member_id_members"), ondelete="CASCADE"
        ),
        sa.PrimaryKeyConstraint("member_id", "card_id", name=op.f("pk_review_cards")),
    )
    op.create_index("ix_review_cards_member_due", "review_cards", ["member_id", "due"], unique=False)
    op.create_table(
        "review_logs",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("member_id", sa.Integer(), nullable=False),
        sa.Column("card_id", sa.String(length=64), nullable=False),
        sa.Column("topic_id", sa.String(length=64), nullable=False),
        sa.Column("rating", sa.Integer(), nullable=False),
        sa.Column("reviewed_at", sa.DateTime(), nullable=False),
        sa.Column("due_before", sa.DateTime(), nullable=False),
        sa.Column("due_after", sa.DateTime(), nullable=False),
        sa.ForeignKeyConstraint(
            ["member_id"], ["members.id"], name=op.f("fk_review_logs_member_id_members"), ondelete="CASCADE"
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_review_logs")),
    )
    op.create_index(
        "ix_review_logs_member_reviewed", "review_logs", ["member_id", "reviewed_at"], unique=False
    )


def downgrade() -> None:
    op.drop_index("ix_review_logs_member_reviewed", table_name="review_logs")
    op.drop_table("review_logs")
    op.drop_index("ix_review_cards_member_due", table_name="review_cards")
    op.drop_table("review_cards")
    op.drop_column("members", "review_daily_limit")
    op.drop_column("members", "review_retention")
