"""`python -m bot db copy`: move a database (all of it, or one community) to another one,
typically from the default SQLite file to PostgreSQL.

The target is migrated to head first. Tables are copied in foreign-key order, in
batches, keeping every id, inside one transaction on the target: a failure part way
leaves the target as it was. Afterwards PostgreSQL's id sequences are moved past the
copied ids. A target that already holds any of the rows (the same community, or the
same ids) is refused before anything is written.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass, field
from typing import Any

from sqlalchemy import MetaData, Table, or_, select, text, tuple_
from sqlalchemy.ext.asyncio import AsyncConnection
from sqlalchemy.sql.elements import ColumnElement

from bot.core.identity import CommunityKey
from storage.db import make_engine
from storage.migrate import current_revision, head_revision, upgrade
from storage.models import (
    Assessment,
    Base,
    CheckIn,
    Community,
    CommunityPaper,
    CommunityPaperRead,
    Member,
    MemberPaper,
    OutboxMessage,
    Pause,
    Plan,
    PlanItem,
    ReviewCardState,
    ReviewLogEntry,
    Schedule,
    StudyTotal,
)

BATCH = 1000
SKIP = {"alembic_version"}
# Tables that belong to no community: copied whole, or skipped when copying one community.
GLOBAL = {"arxiv_entries", "seen_events", "app_state", "slack_oauth_states"}
MEMBER_SCOPED = (
    Schedule,
    Plan,
    CheckIn,
    Assessment,
    MemberPaper,
    Pause,
    StudyTotal,
    ReviewCardState,
    ReviewLogEntry,
)


class CopyRefused(Exception):
    """The copy cannot go ahead; the message says why and nothing was written."""


@dataclass
class CopyReport:
    copied: dict[str, int] = field(default_factory=dict)
    skipped: list[str] = field(default_factory=list)

    @property
    def total(self) -> int:
        return sum(self.copied.values())

    def lines(self) -> list[str]:
        out = [f"{name}: {n}" for name, n in self.copied.items() if n]
        if self.skipped:
            out.append("not copied (shared by all communities): " + ", ".join(self.skipped))
        out.append(f"{self.total} rows copied")
        return out


def parse_community(text_: str) -> CommunityKey:
    platform, sep, workspace = text_.partition(":")
    if not sep or not platform or not workspace:
        raise CopyRefused("--community is written platform:workspace, e.g. slack:T0123")
    return CommunityKey(platform, workspace)


async def _tables(source: AsyncConnection) -> list[Table]:
    """The models' tables in FK order, then any other table the migrations made (Slack's OAuth stores)."""

    def reflect(sync_conn: Any) -> MetaData:
        meta = MetaData()
        meta.reflect(sync_conn)
        return meta

    reflected = await source.run_sync(reflect)
    ours = list(Base.metadata.sorted_tables)
    names = {t.name for t in ours}
    extra = [t for t in reflected.sorted_tables if t.name not in names and t.name not in SKIP]
    return ours + extra


COMMUNITY_SIDE = frozenset(
    {
        "community_circles",
        "member_milestones",
        "milestone_roles",
        "buddy_profiles",
        "buddy_rounds",
        "buddy_pairings",
        "buddy_pair_members",
    }
)


def _scope(table: Table, community_ids: list[int]) -> ColumnElement[bool] | None:
    """Which rows of `table` belong to the chosen communities."""
    members = select(Member.id).where(Member.community_id.in_(community_ids))
    if table.name == Community.__tablename__:
        return Community.id.in_(community_ids)
    if table.name == Member.__tablename__:
        return Member.community_id.in_(community_ids)
    for model in MEMBER_SCOPED:
        if table.name == model.__tablename__:
            return model.member_id.in_(members)
    if table.name == PlanItem.__tablename__:
        return PlanItem.plan_id.in_(select(Plan.id).where(Plan.member_id.in_(members)))
    if table.name == CommunityPaper.__tablename__:
        return CommunityPaper.community_id.in_(community_ids)
    if table.name == CommunityPaperRead.__tablename__:
        papers = select(CommunityPaper.id).where(CommunityPaper.community_id.in_(community_ids))
        return CommunityPaperRead.community_paper_id.in_(papers)
    if table.name == OutboxMessage.__tablename__:
        return or_(OutboxMessage.member_id.in_(members), OutboxMessage.community_id.in_(community_ids))
    # Milestones and study buddies: rows of the community's members, or of the community itself.
    if table.name in COMMUNITY_SIDE and "member_id" in table.c:
        return table.c.member_id.in_(members)
    if table.name in COMMUNITY_SIDE and "community_id" in table.c:
        return table.c.community_id.in_(community_ids)
    raise CopyRefused(f"table {table.name} has no rule for copying one community")


def _slack_scope(table: Table, keys: Sequence[CommunityKey]) -> ColumnElement[bool] | None:
    teams = [k.workspace_id for k in keys if k.platform == "slack"]
    if "team_id" not in table.c or not teams:
        return None
    return table.c.team_id.in_(teams)


async def _plan(
    source: AsyncConnection, tables: list[Table], only: CommunityKey | None, report: CopyReport
) -> list[tuple[Table, ColumnElement[bool] | None]]:
    """(table, filter) for every table to copy; filter None copies the whole table."""
    if only is None:
        return [(t, None) for t in tables]
    found = (
        await source.execute(
            select(Community.id).where(
                Community.platform == only.platform, Community.workspace_id == only.workspace_id
            )
        )
    ).scalar_one_or_none()
    if found is None:
        raise CopyRefused(f"the source has no community {only}")
    plan: list[tuple[Table, ColumnElement[bool] | None]] = []
    for t in tables:
        if t.name in GLOBAL:
            report.skipped.append(t.name)
        elif t in Base.metadata.sorted_tables:
            plan.append((t, _scope(t, [found])))
        else:
            where = _slack_scope(t, [only])
            if where is not None:
                plan.append((t, where))
            else:
                report.skipped.append(t.name)
    return plan


async def _conflicts(
    source: AsyncConnection, target: AsyncConnection, plan: list[tuple[Table, ColumnElement[bool] | None]]
) -> list[str]:
    """Tables whose rows (by primary key, or communities by platform and workspace) the target already has."""
    out: list[str] = []
    wanted = select(Community.platform, Community.workspace_id)
    community_filter = next((w for t, w in plan if t.name == Community.__tablename__), None)
    if community_filter is not None:
        wanted = wanted.where(community_filter)
    keys = [tuple(r) for r in (await source.execute(wanted)).all()]
    for i in range(0, len(keys), BATCH):
        chunk = keys[i : i + BATCH]
        hit = await target.execute(
            select(Community.platform, Community.workspace_id)
            .where(tuple_(Community.platform, Community.workspace_id).in_(chunk))
            .limit(3)
        )
        taken = [f"{p}:{w}" for p, w in hit.all()]
        if taken:
            out.append("communities " + ", ".join(taken) + " already exist there")
            break
    for table, where in plan:
        pk = list(table.primary_key.columns)
        if not pk:
            continue
        stmt = select(*pk) if where is None else select(*pk).where(where)
        rows = [tuple(r) for r in (await source.execute(stmt)).all()]
        for i in range(0, len(rows), BATCH):
            chunk = rows[i : i + BATCH]
            target_pk = [table.c[c.name] for c in pk]
            cond = target_pk[0].in_([r[0] for r in chunk]) if len(pk) == 1 else tuple_(*target_pk).in_(chunk)
            if (await target.execute(select(*target_pk).where(cond).limit(1))).first() is not None:
                out.append(f"{table.name} already has rows with the same ids")
                break
    return out


async def _copy_table(
    source: AsyncConnection,
    target: AsyncConnection,
    read: Table,
    write: Table,
    where: ColumnElement[bool] | None,
    batch: int,
) -> int:
    stmt = select(read)
    if where is not None:
        stmt = stmt.where(where)
    pk = list(read.primary_key.columns)
    if pk:
        stmt = stmt.order_by(*pk)
    n = 0
    result = await source.stream(stmt)
    async for part in result.partitions(batch):
        rows = [dict(r._mapping) for r in part]
        await target.execute(write.insert(), rows)
        n += len(rows)
    return n


async def _fix_sequences(target: AsyncConnection, tables: list[Table]) -> None:
    for table in tables:
        if "id" not in table.c or not table.c.id.autoincrement or len(table.primary_key.columns) != 1:
            continue
        await target.execute(
            text(
                "SELECT setval(pg_get_serial_sequence(:t, 'id'), "
                f'COALESCE((SELECT MAX(id) FROM "{table.name}"), 1), '
                f'(SELECT MAX(id) FROM "{table.name}") IS NOT NULL)'
            ),
            {"t": table.name},
        )


async def copy_database(
    source_url: str, target_url: str, community: str | None = None, batch: int = BATCH
) -> CopyReport:
    """Copy everything (or one community, `platform:workspace`) from source to target."""
    if source_url == target_url:
        raise CopyRefused("the source and the target are the same database")
    only = parse_community(community) if community else None
    source_engine = make_engine(source_url)
    try:
        if await current_revision(source_engine) != head_revision():
            raise CopyRefused(
                "the source database is not at the latest schema; run `python -m bot migrate` first"
            )
        await upgrade(target_url)
        target_engine = make_engine(target_url)
        try:
            report = CopyReport()
            async with source_engine.connect() as source, target_engine.begin() as target:
                tables = await _tables(source)
                plan = await _plan(source, tables, only, report)
                problems = await _conflicts(source, target, plan)
                if problems:
                    where = "that community" if only else "the source"
                    raise CopyRefused(
                        f"the target already holds data from {where} ({'; '.join(problems)}); "
                        "nothing was copied"
                    )

                def target_tables(sync_conn: Any) -> MetaData:
                    meta = MetaData()
                    meta.reflect(sync_conn)
                    return meta

                reflected = await target.run_sync(target_tables)
                for table, where in plan:
                    write = table if table in Base.metadata.sorted_tables else reflected.tables[table.name]
                    report.copied[table.name] = await _copy_table(source, target, table, write, where, batch)
                if target.dialect.name == "postgresql":
                    await _fix_sequences(target, [t for t, _ in plan])
            return report
        finally:
            await target_engine.dispose()
    finally:
        await source_engine.dispose()
