"""Check-ins log once per source message; one person's memberships found by user

A check-in logged from a message's button carries that message as its source, and
(member, local date, source) is unique, so pressing the same button twice logs once.
Entries typed as commands have no source and are not limited.

members(platform, user_id) is indexed: a person's memberships in several communities
share their settings and one daily check-in.

Revision ID: 0003_numbers_checkin
Revises: 0002
Create Date: 2026-12-02
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

revision = "0003_numbers_checkin"
down_revision = "0002"
branch_labels = None
depends_on = None


def upgrade() -> None:
    with op.batch_alter_table("checkins", schema=None) as batch_op:
        batch_op.add_column(sa.Column("source", sa.String(length=200), nullable=True))
        batch_op.create_unique_constraint(
            "uq_checkins_member_id_local_date_source", ["member_id", "local_date", "source"]
        )
    with op.batch_alter_table("members", schema=None) as batch_op:
        batch_op.create_index("ix_members_platform_user", ["platform", "user_id"], unique=False)


def downgrade() -> None:
    with op.batch_alter_table("members", schema=None) as batch_op:
        batch_op.drop_index("ix_members_platform_user")
    with op.batch_alter_table("checkins", schema=None) as batch_op:
        batch_op.drop_constraint("uq_checkins_member_id_local_date_source", type_="unique")
        batch_op.drop_column("source")
