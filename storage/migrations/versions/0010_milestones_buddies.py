"""Milestones and study buddies

member_milestones records each milestone once per member; milestone_roles maps milestones to
Discord roles; community_circles holds the celebration channel, the buddy channel and round
cadence, and the on/off switches; buddy_profiles, buddy_rounds, buddy_pairings and
buddy_pair_members hold the study-buddy opt-ins and pairing history.

Revision ID: 0010_milestones_buddies
Revises: 0009_leaderboard_digest
Create Date: 2026-12-02
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

revision = "0010_milestones_buddies"
down_revision = "0009_leaderboard_digest"
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.create_table(
        "community_circles",
        sa.Column("community_id", sa.Integer(), nullable=False),
        sa.Column("milestones_enabled", sa.Boolean(), nullable=False),
        sa.Column("celebration_channel_id", sa.String(length=64), nullable=True),
        sa.Column("buddies_enabled", sa.Boolean(), nullable=False),
        sa.Column("buddy_channel_id", sa.String(length=64), nullable=True),
        sa.Column("buddy_every_weeks", sa.Integer(), nullable=False),
        sa.Column("next_buddy_round_at", sa.DateTime(), nullable=True),
        sa.Column("updated_at", sa.DateTime(), nullable=False),
        sa.ForeignKeyConstraint(
            ["community_id"],
            ["communities.id"],
            name=op.f("fk_community_circles_community_id_communities"),
            ondelete="CASCADE",
        ),
        sa.PrimaryKeyConstraint("community_id", name=op.f("pk_community_circles")),
    )
    op.create_index(
        op.f("ix_community_circles_next_buddy_round_at"), "community_circles", ["next_buddy_round_at"]
    )
    op.create_table(
        "member_milestones",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("member_id", sa.Integer(), nullable=False),
        sa.Column("kind", sa.String(length=32), nullable=False),
        sa.Column("reached_at", sa.DateTime(), nullable=False),
        sa.ForeignKeyConstraint(
            ["member_id"],
            ["members.id"],
            name=op.f("fk_member_milestones_member_id_members"),
            ondelete="CASCADE",
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_member_milestones")),
        sa.UniqueConstraint("member_id", "kind", name=op.f("uq_member_milestones_member_id_kind")),
    )
    op.create_table(
        "milestone_roles",
        sa.Column("community_id", sa.Integer(), nullable=False),
        sa.Column("kind", sa.String(length=32), nullable=False),
        sa.Column("role_id", sa.String(length=64), nullable=False),
        sa.Column("problem", sa.String(length=300), nullable=True),
        sa.Column("updated_at", sa.DateTime(), nullable=False),
        sa.ForeignKeyConstraint(
            ["community_id"],
            ["communities.id"],
            name=op.f("fk_milestone_roles_community_id_communities"),
            ondelete="CASCADE",
        ),
        sa.PrimaryKeyConstraint("community_id", "kind", name=op.f("pk_milestone_roles")),
    )
    op.create_table(
        "buddy_profiles",
        sa.Column("member_id", sa.Integer(), nullable=False),
        sa.Column("community_id", sa.Integer(), nullable=False),
        sa.Column("active", sa.Boolean(), nullable=False),
        sa.Column("every_weeks", sa.Integer(), nullable=False),
        sa.Column("skip_until", sa.Date(), nullable=True),
        sa.Column("waiting_since", sa.DateTime(), nullable=True),
        sa.Column("display_name", sa.String(length=100), nullable=False),
        sa.Column("joined_at", sa.DateTime(), nullable=False),
        sa.Column("updated_at", sa.DateTime(), nullable=False),
        sa.ForeignKeyConstraint(
            ["community_id"],
            ["communities.id"],
            name=op.f("fk_buddy_profiles_community_id_communities"),
            ondelete="CASCADE",
        ),
        sa.ForeignKeyConstraint(
            ["member_id"],
            ["members.id"],
            name=op.f("fk_buddy_profiles_member_id_members"),
            ondelete="CASCADE",
        ),
        sa.PrimaryKeyConstraint("member_id", name=op.f("pk_buddy_profiles")),
    )
    op.create_index("ix_buddy_profiles_community_active", "buddy_profiles", ["community_id", "active"])
    op.create_table(
        "buddy_rounds",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("community_id", sa.Integer(), nullable=False),
        sa.Column("round_date", sa.Date(), nullable=False),
        sa.Column("pairs", sa.Integer(), nullable=False),
        sa.Column("created_at", sa.DateTime(), nullable=False),
        sa.ForeignKeyConstraint(
            ["community_id"],
            ["communities.id"],
            name=op.f("fk_buddy_rounds_community_id_communities"),
            ondelete="CASCADE",
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_buddy_rounds")),
        sa.UniqueConstraint(
            "community_id", "round_date", name=op.f("uq_buddy_rounds_community_id_round_date")
        ),
    )
    op.create_table(
        "buddy_pairings",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("community_id", sa.Integer(), nullable=False),
        sa.Column("round_id", sa.Integer(), nullable=False),
        sa.Column("paired_on", sa.Date(), nullable=False),
        sa.Column("suggestion", sa.Text(), nullable=False),
        sa.Column("ended_at", sa.DateTime(), nullable=True),
        sa.Column("created_at", sa.DateTime(), nullable=False),
        sa.ForeignKeyConstraint(
            ["community_id"],
            ["communities.id"],
            name=op.f("fk_buddy_pairings_community_id_communities"),
            ondelete="CASCADE",
        ),
        sa.ForeignKeyConstraint(
            ["round_id"],
            ["buddy_rounds.id"],
            name=op.f("fk_buddy_pairings_round_id_buddy_rounds"),
            ondelete="CASCADE",
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_buddy_pairings")),
    )
    op.create_index(op.f("ix_buddy_pairings_round_id"), "buddy_pairings", ["round_id"])
    op.create_table(
        "buddy_pair_members",
        sa.Column("pairing_id", sa.Integer(), nullable=False),
        sa.Column("member_id", sa.Integer(), nullable=False),
        sa.Column("paired_on", sa.Date(), nullable=False),
        sa.Column("ended_by_me", sa.Boolean(), nullable=False),
        sa.ForeignKeyConstraint(
            ["member_id"],
            ["members.id"],
            name=op.f("fk_buddy_pair_members_member_id_members"),
            ondelete="CASCADE",
        ),
        sa.ForeignKeyConstraint(
            ["pairing_id"],
            ["buddy_pairings.id"],
            name=op.f("fk_buddy_pair_members_pairing_id_buddy_pairings"),
            ondelete="CASCADE",
        ),
        sa.PrimaryKeyConstraint("pairing_id", "member_id", name=op.f("pk_buddy_pair_members")),
    )
    op.create_index("ix_buddy_pair_members_member", "buddy_pair_members", ["member_id", "paired_on"])


def downgrade() -> None:
    op.drop_index("ix_buddy_pair_members_member", table_name="buddy_pair_members")
    op.drop_table("buddy_pair_members")
    op.drop_index(op.f("ix_buddy_pairings_round_id"), table_name="buddy_pairings")
    op.drop_table("buddy_pairings")
    op.drop_table("buddy_rounds")
    op.drop_index("ix_buddy_profiles_community_active", table_name="buddy_profiles")
    op.drop_table("buddy_profiles")
    op.drop_table("milestone_roles")
    op.drop_table("member_milestones")
    op.drop_index(op.f("ix_community_circles_next_buddy_round_at"), table_name="community_circles")
    op.drop_table("community_circles")
