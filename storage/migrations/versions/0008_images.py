"""Pictures: whether a member's replies carry images (heatmap, burn-up, skill profile)

On by default. A member who turns it off gets the same replies as text only; the text
always carries every number the pictures show.

Revision ID: 0008_images
Revises: 0007_review_cards
Create Date: 2026-12-02
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

revision = "0008_images"
down_revision = "0007_review_cards"
branch_labels = None
depends_on = None


def upgrade() -> None:
    # A plain ADD COLUMN: a batch rebuild of members on SQLite would cascade-delete their rows
    # in other tables.
    op.add_column(
        "members",
        sa.Column("images_enabled", sa.Boolean(), nullable=False, server_default=sa.true()),
    )


def downgrade() -> None:
    op.drop_column("members", "images_enabled")
