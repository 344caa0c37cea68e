"""Every table. Members are keyed by (platform, workspace_id, user_id), communities by
(platform, workspace_id); nothing here is shaped like one platform's ids."""

from __future__ import annotations

from datetime import date, datetime
from typing import Any

from sqlalchemy import (
    JSON,
    Boolean,
    Date,
    Float,
    ForeignKey,
    Index,
    Integer,
    MetaData,
    String,
    Text,
    UniqueConstraint,
    false,
    true,
)
from sqlalchemy.orm import DeclarativeBase, Mapped, mapped_column

from storage.outbox_status import Status
from storage.types import UTCDateTime

NAMING = {
    "ix": "ix_%(column_0_label)s",
    "uq": "uq_%(table_name)s_%(column_0_N_name)s",
    "ck": "ck_%(table_name)s_%(constraint_name)s",
    "fk": "fk_%(table_name)s_%(column_0_name)s_%(referred_table_name)s",
    "pk": "pk_%(table_name)s",
}

STREAMS = ("checkin", "nudge", "paper", "reassess")


class Base(DeclarativeBase):
    metadata = MetaData(naming_convention=NAMING)
    type_annotation_map = {datetime: UTCDateTime(), dict[str, Any]: JSON, list[Any]: JSON}


class Community(Base):
    __tablename__ = "communities"
    __table_args__ = (UniqueConstraint("platform", "workspace_id"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    platform: Mapped[str] = mapped_column(String(16))
    workspace_id: Mapped[str] = mapped_column(String(64))
    name: Mapped[str] = mapped_column(String(200), default="")
    paper_channel_id: Mapped[str | None] = mapped_column(String(64))
    defaults: Mapped[dict[str, Any]] = mapped_column(default=dict)
    created_at: Mapped[datetime]
    # The weekly digest and the leaderboard (bot/core/community/board_admin.py).
    digest_channel_id: Mapped[str | None] = mapped_column(String(64))
    digest_weekday: Mapped[int] = mapped_column(Integer, default=6, server_default="6")
    digest_time: Mapped[str] = mapped_column(String(5), default="18:00", server_default="18:00")
    digest_enabled: Mapped[bool] = mapped_column(Boolean, default=True, server_default=true())
    leaderboard_enabled: Mapped[bool] = mapped_column(Boolean, default=True, server_default=true())


class Member(Base):
    __tablename__ = "members"
    __table_args__ = (
        UniqueConstraint("platform", "workspace_id", "user_id"),
        # One person's memberships across communities (shared settings, one check-in a day).
        Index("ix_members_platform_user", "platform", "user_id"),
        # Community-wide figures (/admin stats) and the cascade when a community goes.
        Index("ix_members_community_active", "community_id", "last_active_at"),
    )

    id: Mapped[int] = mapped_column(primary_key=True)
    community_id: Mapped[int] = mapped_column(ForeignKey("communities.id", ondelete="CASCADE"))
    platform: Mapped[str] = mapped_column(String(16))
    workspace_id: Mapped[str] = mapped_column(String(64))
    user_id: Mapped[str] = mapped_column(String(64))
    timezone: Mapped[str] = mapped_column(String(64), default="UTC")
    timezone_source: Mapped[str] = mapped_column(String(16), default="default")
    hours_per_week: Mapped[float] = mapped_column(Float, default=5.0)
    checkin_time: Mapped[str] = mapped_column(String(5), default="19:00")
    checkin_days: Mapped[str] = mapped_column(String(7), default="0123456")
    nudge_weekday: Mapped[int] = mapped_column(Integer, default=6)
    quiet_start: Mapped[str | None] = mapped_column(String(5))
    quiet_end: Mapped[str | None] = mapped_column(String(5))
    paused_until: Mapped[date | None] = mapped_column(Date)
    dm_channel_id: Mapped[str | None] = mapped_column(String(64))
    dm_blocked_reason: Mapped[str | None] = mapped_column(String(200))
    dm_blocked_notice: Mapped[bool] = mapped_column(Boolean, default=False)
    # Seen in this community's public places (leaderboard, celebrations, digest, buddies).
    community_opt_in: Mapped[bool] = mapped_column(Boolean, default=False, server_default=false())
    # Spaced review: the recall FSRS aims for, and how many cards a day /review offers.
    review_retention: Mapped[float] = mapped_column(Float, default=0.9, server_default="0.9")
    review_daily_limit: Mapped[int] = mapped_column(Integer, default=5, server_default="5")
    # Replies carry pictures (heatmap, burn-up, skill profile); off means text only.
    images_enabled: Mapped[bool] = mapped_column(Boolean, default=True, server_default=true())
    # The name the member last used here, shown (never as a mention) on the leaderboard and digest.
    display_name: Mapped[str | None] = mapped_column(String(100))
    created_at: Mapped[datetime]
    last_active_at: Mapped[datetime | None]


class Pause(Base):
    """One pause of the member's own calendar, both local dates included. The streak holds every
    recorded pause, so a later pause never un-holds an earlier one; `members.paused_until` stays
    the current pause that the scheduler reads."""

    __tablename__ = "pauses"

    id: Mapped[int] = mapped_column(primary_key=True)
    member_id: Mapped[int] = mapped_column(ForeignKey("members.id", ondelete="CASCADE"), index=True)
    start: Mapped[date] = mapped_column(Date)
    end: Mapped[date] = mapped_column(Date)
    created_at: Mapped[datetime]


class Schedule(Base):
    """The next due instant (UTC) of one stream for one member."""

    __tablename__ = "schedules"
    __table_args__ = (Index("ix_schedules_due", "enabled", "next_due_at", "member_id"),)

    member_id: Mapped[int] = mapped_column(ForeignKey("members.id", ondelete="CASCADE"), primary_key=True)
    stream: Mapped[str] = mapped_column(String(16), primary_key=True)
    enabled: Mapped[bool] = mapped_column(Boolean, default=True)
    next_due_at: Mapped[datetime | None]
    disabled_reason: Mapped[str | None] = mapped_column(String(200))
    updated_at: Mapped[datetime | None]


class Plan(Base):
    __tablename__ = "plans"
    __table_args__ = (Index("ix_plans_member_status", "member_id", "status"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    member_id: Mapped[int] = mapped_column(ForeignKey("members.id", ondelete="CASCADE"))
    kind: Mapped[str] = mapped_column(String(16))
    ref_id: Mapped[str] = mapped_column(String(64))
    title: Mapped[str] = mapped_column(String(200))
    status: Mapped[str] = mapped_column(String(16), default="active")
    hours_per_week: Mapped[float] = mapped_column(Float)
    start_date: Mapped[date] = mapped_column(Date)
    created_at: Mapped[datetime]
    archived_at: Mapped[datetime | None]


class PlanItem(Base):
    __tablename__ = "plan_items"
    __table_args__ = (
        UniqueConstraint("plan_id", "roadmap_id", "topic_id"),
        # Topics finished in a week, for the community digest.
        Index("ix_plan_items_state_updated", "state", "updated_at"),
    )

    id: Mapped[int] = mapped_column(primary_key=True)
    plan_id: Mapped[int] = mapped_column(ForeignKey("plans.id", ondelete="CASCADE"), index=True)
    week: Mapped[int] = mapped_column(Integer)
    position: Mapped[int] = mapped_column(Integer)
    roadmap_id: Mapped[str] = mapped_column(String(64))
    topic_id: Mapped[str] = mapped_column(String(64))
    hours: Mapped[float] = mapped_column(Float)
    state: Mapped[str] = mapped_column(String(16), default="todo")
    updated_at: Mapped[datetime | None]


class CheckIn(Base):
    """One logged day or part of one. `source` is the message whose button logged it (None for a
    typed command); the unique key makes a second press of the same button log nothing."""

    __tablename__ = "checkins"
    __table_args__ = (
        Index("ix_checkins_member_date", "member_id", "local_date"),
        UniqueConstraint("member_id", "local_date", "source"),
    )

    id: Mapped[int] = mapped_column(primary_key=True)
    member_id: Mapped[int] = mapped_column(ForeignKey("members.id", ondelete="CASCADE"))
    local_date: Mapped[date] = mapped_column(Date)
    kind: Mapped[str] = mapped_column(String(16), default="study")
    minutes: Mapped[int] = mapped_column(Integer, default=0)
    note: Mapped[str] = mapped_column(Text, default="")
    topics: Mapped[list[Any]] = mapped_column(default=list)
    source: Mapped[str | None] = mapped_column(String(200))
    created_at: Mapped[datetime]


class StudyTotal(Base):
    """Minutes studied per member and period ("all", "2026-12", "2026-W49"), kept as check-ins
    are written, so a leaderboard is an index range read. The period is that of the check-in's
    local date on the member's own calendar; `community_id` and `opted_in` copy the member's row
    so the ranking index needs no join."""

    __tablename__ = "study_totals"

    member_id: Mapped[int] = mapped_column(ForeignKey("members.id", ondelete="CASCADE"), primary_key=True)
    period: Mapped[str] = mapped_column(String(10), primary_key=True)
    community_id: Mapped[int] = mapped_column(ForeignKey("communities.id", ondelete="CASCADE"))
    opted_in: Mapped[bool] = mapped_column(Boolean, default=False)
    minutes: Mapped[int] = mapped_column(Integer, default=0)


# Ranking order (most minutes first, ties in joining order) is the index order: a board is a range read.
Index(
    "ix_study_totals_board",
    StudyTotal.community_id,
    StudyTotal.period,
    StudyTotal.opted_in,
    StudyTotal.minutes.desc(),
    StudyTotal.member_id,
)


class Assessment(Base):
    __tablename__ = "assessments"
    __table_args__ = (Index("ix_assessments_member_status", "member_id", "status"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    member_id: Mapped[int] = mapped_column(ForeignKey("members.id", ondelete="CASCADE"))
    scope: Mapped[str] = mapped_column(String(32))
    status: Mapped[str] = mapped_column(String(16), default="active")
    state: Mapped[dict[str, Any]] = mapped_column(default=dict)
    result: Mapped[dict[str, Any] | None] = mapped_column(JSON)
    started_at: Mapped[datetime]
    completed_at: Mapped[datetime | None]


class MemberPaper(Base):
    """A member's history with one paper: sent, read (with rating), saved or passed."""

    __tablename__ = "member_papers"

    member_id: Mapped[int] = mapped_column(ForeignKey("members.id", ondelete="CASCADE"), primary_key=True)
    paper_id: Mapped[str] = mapped_column(String(128), primary_key=True)
    status: Mapped[str] = mapped_column(String(16))
    rating: Mapped[int | None] = mapped_column(Integer)
    source: Mapped[str] = mapped_column(String(16), default="catalog")
    sent_at: Mapped[datetime]
    updated_at: Mapped[datetime]


class CommunityPaper(Base):
    """A paper of the week posted to a community's reading-group channel."""

    __tablename__ = "community_papers"
    __table_args__ = (UniqueConstraint("community_id", "paper_id"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    community_id: Mapped[int] = mapped_column(ForeignKey("communities.id", ondelete="CASCADE"))
    paper_id: Mapped[str] = mapped_column(String(128))
    week: Mapped[str] = mapped_column(String(10))
    channel_id: Mapped[str | None] = mapped_column(String(64))
    message_id: Mapped[str | None] = mapped_column(String(64))
    thread_id: Mapped[str | None] = mapped_column(String(64))
    posted_at: Mapped[datetime]


class CommunityPaperRead(Base):
    __tablename__ = "community_paper_reads"

    community_paper_id: Mapped[int] = mapped_column(
        ForeignKey("community_papers.id", ondelete="CASCADE"), primary_key=True
    )
    member_id: Mapped[int] = mapped_column(ForeignKey("members.id", ondelete="CASCADE"), primary_key=True)
    read_at: Mapped[datetime]


class OutboxMessage(Base):
    """A message to deliver. `key` makes each slot deliverable once, ever."""

    __tablename__ = "outbox"
    __table_args__ = (
        Index("ix_outbox_status_due", "status", "not_before"),
        Index("ix_outbox_community_id", "community_id"),
    )

    id: Mapped[int] = mapped_column(primary_key=True)
    key: Mapped[str] = mapped_column(String(200), unique=True)
    platform: Mapped[str] = mapped_column(String(16))
    stream: Mapped[str] = mapped_column(String(16))
    target: Mapped[str] = mapped_column(String(16), default="dm")
    member_id: Mapped[int | None] = mapped_column(ForeignKey("members.id", ondelete="CASCADE"), index=True)
    community_id: Mapped[int | None] = mapped_column(ForeignKey("communities.id", ondelete="CASCADE"))
    channel_id: Mapped[str | None] = mapped_column(String(64))
    payload: Mapped[dict[str, Any]] = mapped_column(default=dict)
    status: Mapped[str] = mapped_column(String(16), default=Status.PENDING.value)
    attempts: Mapped[int] = mapped_column(Integer, default=0)
    not_before: Mapped[datetime]
    expires_at: Mapped[datetime | None]
    claimed_at: Mapped[datetime | None]
    claimed_by: Mapped[str | None] = mapped_column(String(64))
    last_error: Mapped[str | None] = mapped_column(String(500))
    message_id: Mapped[str | None] = mapped_column(String(64))
    created_at: Mapped[datetime]
    sent_at: Mapped[datetime | None]


class ArxivEntry(Base):
    """Recent arXiv listings cached from the optional live source, one row per base id."""

    __tablename__ = "arxiv_entries"

    arxiv_id: Mapped[str] = mapped_column(String(32), primary_key=True)
    version: Mapped[int] = mapped_column(Integer, default=1)
    title: Mapped[str] = mapped_column(Text)
    authors: Mapped[list[Any]] = mapped_column(default=list)
    summary: Mapped[str] = mapped_column(Text, default="")
    categories: Mapped[list[Any]] = mapped_column(default=list)
    published_at: Mapped[datetime]
    fetched_at: Mapped[datetime]


class SeenEvent(Base):
    """Platform event ids already handled, so a redelivered event is processed once."""

    __tablename__ = "seen_events"

    platform: Mapped[str] = mapped_column(String(16), primary_key=True)
    event_id: Mapped[str] = mapped_column(String(128), primary_key=True)
    seen_at: Mapped[datetime] = mapped_column(index=True)


class AppState(Base):
    """Small process-wide facts, such as the hash of the last synced command set."""

    __tablename__ = "app_state"

    key: Mapped[str] = mapped_column(String(100), primary_key=True)
    value: Mapped[str] = mapped_column(Text)
    updated_at: Mapped[datetime]


class ReviewCardState(Base):
    """One member's FSRS state for one review card (see bot/core/domain/review.py)."""

    __tablename__ = "review_cards"
    # Counting a member's due cards, and reading the next one, is one range scan of this index.
    __table_args__ = (Index("ix_review_cards_member_due", "member_id", "due"),)

    member_id: Mapped[int] = mapped_column(ForeignKey("members.id", ondelete="CASCADE"), primary_key=True)
    card_id: Mapped[str] = mapped_column(String(64), primary_key=True)
    topic_id: Mapped[str] = mapped_column(String(64))
    state: Mapped[int] = mapped_column(Integer)
    step: Mapped[int | None] = mapped_column(Integer)
    stability: Mapped[float | None] = mapped_column(Float)
    difficulty: Mapped[float | None] = mapped_column(Float)
    due: Mapped[datetime]
    last_review: Mapped[datetime | None]
    reps: Mapped[int] = mapped_column(Integer, default=0)
    lapses: Mapped[int] = mapped_column(Integer, default=0)
    created_at: Mapped[datetime]


class ReviewLogEntry(Base):
    """Every rating a member gave a card, with the due time it replaced and the one it set."""

    __tablename__ = "review_logs"
    __table_args__ = (Index("ix_review_logs_member_reviewed", "member_id", "reviewed_at"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    member_id: Mapped[int] = mapped_column(ForeignKey("members.id", ondelete="CASCADE"))
    card_id: Mapped[str] = mapped_column(String(64))
    topic_id: Mapped[str] = mapped_column(String(64))
    rating: Mapped[int] = mapped_column(Integer)
    reviewed_at: Mapped[datetime]
    due_before: Mapped[datetime]
    due_after: Mapped[datetime]


class CommunityCircle(Base):
    """A community's milestone and study-buddy settings: the celebration channel, the buddy
    channel and round cadence, and whether each feature is on."""

    __tablename__ = "community_circles"

    community_id: Mapped[int] = mapped_column(
        ForeignKey("communities.id", ondelete="CASCADE"), primary_key=True
    )
    milestones_enabled: Mapped[bool] = mapped_column(Boolean, default=True)
    celebration_channel_id: Mapped[str | None] = mapped_column(String(64))
    buddies_enabled: Mapped[bool] = mapped_column(Boolean, default=True)
    buddy_channel_id: Mapped[str | None] = mapped_column(String(64))
    buddy_every_weeks: Mapped[int] = mapped_column(Integer, default=1)
    next_buddy_round_at: Mapped[datetime | None] = mapped_column(index=True)
    updated_at: Mapped[datetime]


class MemberMilestone(Base):
    """A milestone a member reached; the unique key records each one once, ever."""

    __tablename__ = "member_milestones"
    __table_args__ = (UniqueConstraint("member_id", "kind"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    member_id: Mapped[int] = mapped_column(ForeignKey("members.id", ondelete="CASCADE"))
    kind: Mapped[str] = mapped_column(String(32))
    reached_at: Mapped[datetime]


class MilestoneRole(Base):
    """A platform role an admin mapped to a milestone (Discord), and the last grant problem."""

    __tablename__ = "milestone_roles"

    community_id: Mapped[int] = mapped_column(
        ForeignKey("communities.id", ondelete="CASCADE"), primary_key=True
    )
    kind: Mapped[str] = mapped_column(String(32), primary_key=True)
    role_id: Mapped[str] = mapped_column(String(64))
    problem: Mapped[str | None] = mapped_column(String(300))
    updated_at: Mapped[datetime]


class BuddyProfile(Base):
    """A member's study-buddy opt-in: how often, a skipped round, and their place in line."""

    __tablename__ = "buddy_profiles"
    __table_args__ = (Index("ix_buddy_profiles_community_active", "community_id", "active"),)

    member_id: Mapped[int] = mapped_column(ForeignKey("members.id", ondelete="CASCADE"), primary_key=True)
    community_id: Mapped[int] = mapped_column(ForeignKey("communities.id", ondelete="CASCADE"))
    active: Mapped[bool] = mapped_column(Boolean, default=True)
    every_weeks: Mapped[int] = mapped_column(Integer, default=1)
    skip_until: Mapped[date | None] = mapped_column(Date)
    # Left out of the last round (the odd one out): first in line next round.
    waiting_since: Mapped[datetime | None]
    # The name their buddy sees in an intro, as of their last /buddy.
    display_name: Mapped[str] = mapped_column(String(100), default="")
    joined_at: Mapped[datetime]
    updated_at: Mapped[datetime]


class BuddyRound(Base):
    """One matching round of a community; the unique key runs each round once."""

    __tablename__ = "buddy_rounds"
    __table_args__ = (UniqueConstraint("community_id", "round_date"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    community_id: Mapped[int] = mapped_column(ForeignKey("communities.id", ondelete="CASCADE"))
    round_date: Mapped[date] = mapped_column(Date)
    pairs: Mapped[int] = mapped_column(Integer, default=0)
    created_at: Mapped[datetime]


class BuddyPairing(Base):
    """Two members paired in a round, and what the intro suggested. Who is in it lives in
    buddy_pair_members, one row per member, so each member's history is theirs alone."""

    __tablename__ = "buddy_pairings"

    id: Mapped[int] = mapped_column(primary_key=True)
    community_id: Mapped[int] = mapped_column(ForeignKey("communities.id", ondelete="CASCADE"))
    round_id: Mapped[int] = mapped_column(ForeignKey("buddy_rounds.id", ondelete="CASCADE"), index=True)
    paired_on: Mapped[date] = mapped_column(Date)
    suggestion: Mapped[str] = mapped_column(Text, default="")
    ended_at: Mapped[datetime | None]
    created_at: Mapped[datetime]


class BuddyPairMember(Base):
    __tablename__ = "buddy_pair_members"
    __table_args__ = (Index("ix_buddy_pair_members_member", "member_id", "paired_on"),)

    pairing_id: Mapped[int] = mapped_column(
        ForeignKey("buddy_pairings.id", ondelete="CASCADE"), primary_key=True
    )
    member_id: Mapped[int] = mapped_column(ForeignKey("members.id", ondelete="CASCADE"), primary_key=True)
    paired_on: Mapped[date] = mapped_column(Date)
    ended_by_me: Mapped[bool] = mapped_column(Boolean, default=False)
