"""Indexes for community-wide figures: members by community (and last activity), outbox by community

/admin stats counts a community's members and its members active this week;
without an index on members.community_id each count read the whole table.
Deleting a community cascades to its outbox rows, which had no index either.

Revision ID: 0004_concurrency
Revises: 0003_numbers_checkin
Create Date: 2026-12-02
"""

from __future__ import annotations

from alembic import op

revision = "0004_concurrency"
down_revision = "0003_numbers_checkin"
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.create_index("ix_members_community_active", "members", ["community_id", "last_active_at"])
    op.create_index("ix_outbox_community_id", "outbox", ["community_id"])


def downgrade() -> None:
    op.drop_index("ix_outbox_community_id", table_name="outbox")
    op.drop_index("ix_members_community_active", table_name="members")
