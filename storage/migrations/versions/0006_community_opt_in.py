"""Community opt-in: whether a member may appear in this community's public places

Leaderboards, milestone announcements, the weekly digest and study buddies show a member
only when this is true. It is per membership, so being seen in one server says nothing
about another, and it starts false for everyone.

Revision ID: 0006_community_opt_in
Revises: 0005_pauses
Create Date: 2026-12-02
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

revision = "0006_community_opt_in"
down_revision = "0005_pauses"
branch_labels = None
depends_on = None


def upgrade() -> None:
    # A plain ADD COLUMN: a batch rebuild of members on SQLite would cascade-delete their rows
    # in other tables.
    op.add_column(
        "members",
        sa.Column("community_opt_in", sa.Boolean(), nullable=False, server_default=sa.false()),
    )


def downgrade() -> None:
    op.drop_column("members", "community_opt_in")
