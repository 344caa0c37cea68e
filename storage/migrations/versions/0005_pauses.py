"""Pauses: every pause a member took, so the streak holds all of them

Before this, only the latest pause was known (members.paused_until), so a new pause made the
days of an earlier one count as missed. Each member paused now gets one row, holding the days
the old rule held: from the day after their last check-in on or before the pause's end (or the
end itself, if none), through the end.

Revision ID: 0005_pauses
Revises: 0004_concurrency
Create Date: 2026-12-02
"""

from __future__ import annotations

from datetime import UTC, date, datetime, timedelta

import sqlalchemy as sa
from alembic import op

revision = "0005_pauses"
down_revision = "0004_concurrency"
branch_labels = None
depends_on = None


def upgrade() -> None:
    pauses = op.create_table(
        "pauses",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("member_id", sa.Integer(), nullable=False),
        sa.Column("start", sa.Date(), nullable=False),
        sa.Column("end", sa.Date(), nullable=False),
        sa.Column("created_at", sa.DateTime(), nullable=False),
        sa.ForeignKeyConstraint(
            ["member_id"],
            ["members.id"],
            name=op.f("fk_pauses_member_id_members"),
            ondelete="CASCADE",
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_pauses")),
    )
    with op.batch_alter_table("pauses", schema=None) as batch_op:
        batch_op.create_index(batch_op.f("ix_pauses_member_id"), ["member_id"], unique=False)

    members = sa.table("members", sa.column("id", sa.Integer()), sa.column("paused_until", sa.Date()))
    checkins = sa.table("checkins", sa.column("member_id", sa.Integer()), sa.column("local_date", sa.Date()))
    last = (
        sa.select(sa.func.max(checkins.c.local_date))
        .where(checkins.c.member_id == members.c.id, checkins.c.local_date <= members.c.paused_until)
        .scalar_subquery()
    )
    bind = op.get_bind()
    found = bind.execute(
        sa.select(members.c.id, members.c.paused_until, last).where(members.c.paused_until.is_not(None))
    ).all()
    now = datetime.now(UTC).replace(tzinfo=None)
    rows = []
    for member_id, until, last_day in found:
        end = _as_date(until)
        start = end if last_day is None else min(_as_date(last_day) + timedelta(days=1), end)
        rows.append({"member_id": member_id, "start": start, "end": end, "created_at": now})
    if rows:
        op.bulk_insert(pauses, rows)


def _as_date(value: date | str) -> date:
    """SQLite hands a subquery's MAX() back as text."""
    return value if isinstance(value, date) else date.fromisoformat(str(value))


def downgrade() -> None:
    with op.batch_alter_table("pauses", schema=None) as batch_op:
        batch_op.drop_index(batch_op.f("ix_pauses_member_id"))
    op.drop_table("pauses")
