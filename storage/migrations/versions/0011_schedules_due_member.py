"""Schedules' due index carries the member id

The claim pass cuts a peak minute into chunks by member id. With the member id in the
due index, each chunk reads only its own rows: (enabled, next_due_at, member_id) is a
range scan for one instant's slice, where (enabled, next_due_at) read the whole instant
and looked up each row to compare its member id.

Revision ID: 0011_schedules_due_member
Revises: 0010_milestones_buddies
Create Date: 2026-12-04
"""

from __future__ import annotations

from alembic import op

revision = "0011_schedules_due_member"
down_revision = "0010_milestones_buddies"
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.drop_index("ix_schedules_due", table_name="schedules")
    op.create_index("ix_schedules_due", "schedules", ["enabled", "next_due_at", "member_id"])


def downgrade() -> None:
    op.drop_index("ix_schedules_due", table_name="schedules")
    op.create_index("ix_schedules_due", "schedules", ["enabled", "next_due_at"])
